/* fuzz_proc_stat.c - libFuzzer target for the /proc/PID parsers.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz_proc_stat.c src/proc/proc_table.c -o build/fuzz_proc_stat
 *   mkdir -p build/fuzz_work && build/fuzz_proc_stat -max_total_time=60 \
 *         build/fuzz_work tests/fuzz/corpus/proc_stat
 *
 * (libFuzzer writes new inputs into the first directory; keep the seeds
 * second so they stay as committed.)
 *
 * The same bytes go to the stat, status and argv parsers: all take
 * untrusted text (a comm or argv is chosen by whoever runs the process).
 * The input is copied to an exact-size heap buffer so ASan sees any read
 * past its end (the parsers must not rely on a NUL terminator).
 */
#include "proc/proc_table.h"

#include <stdlib.h>
#include <string.h>

static void check_stat(const char *buf, size_t len)
{
	struct proc_stat_fields f;

	if (proc_parse_stat(buf, len, &f) == 0) {
		/* comm is always terminated within its array */
		if (strnlen(f.comm, sizeof(f.comm)) >= sizeof(f.comm))
			abort();
	}
}

static void check_status(const char *buf, size_t len)
{
	struct proc_status_fields f;

	if (proc_parse_status(buf, len, &f) < 0 && (f.have_uid || f.have_gid))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	check_stat(buf, size);
	check_status(buf, size);
	if (proc_count_args(buf, size) > size)
		abort();
	free(buf);
	return 0;
}

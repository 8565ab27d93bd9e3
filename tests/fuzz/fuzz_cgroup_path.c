/* fuzz_cgroup_path.c - libFuzzer target for the cgroup path parser.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz_cgroup_path.c src/workload/cgroup_path.c -o build/fuzz_cgroup_path
 *   mkdir -p build/fuzz_work && build/fuzz_cgroup_path -max_total_time=60 \
 *         build/fuzz_work tests/fuzz/corpus/cgroup_path
 *
 * Cgroup names are chosen by whoever creates the cgroup (any user with a
 * delegated subtree), so the parser sees untrusted bytes.  The input is
 * copied to an exact-size heap buffer so ASan sees any read past len, and
 * the result is checked for the promises the header makes.
 */
#include "workload/cgroup_path.h"

#include <stdlib.h>
#include <string.h>

static bool terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

static bool is_lower_hex_string(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void check(const struct cgroup_workload *w)
{
	size_t id_len;

	if (w->kind > WORKLOAD_CONTAINER || w->runtime > RUNTIME_UNKNOWN)
		abort();
	if (!terminated(w->container_id, sizeof(w->container_id)) ||
	    !terminated(w->pod_uid, sizeof(w->pod_uid)) ||
	    !terminated(w->qos, sizeof(w->qos)) ||
	    !terminated(w->pod_id, sizeof(w->pod_id)) ||
	    !terminated(w->unit, sizeof(w->unit)))
		abort();
	id_len = strlen(w->container_id);
	if (!is_lower_hex_string(w->container_id) || !is_lower_hex_string(w->pod_id))
		abort();
	if (id_len != 0 && id_len < CONTAINER_ID_MIN_LEN)
		abort();
	if (w->id_truncated != (id_len != 0 && id_len < CONTAINER_ID_LEN))
		abort();
	/* a container always has an id; host and unknown have no runtime
	 * unless they are a container monitor */
	if (w->kind == WORKLOAD_CONTAINER && (id_len == 0 || w->runtime == RUNTIME_NONE))
		abort();
	if (w->kind != WORKLOAD_CONTAINER && !w->conmon && w->runtime != RUNTIME_NONE)
		abort();
	if (w->kind == WORKLOAD_UNKNOWN && w->unit[0])
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct cgroup_workload w;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	if (cgroup_path_parse(buf, size, &w) != 0)
		abort();
	check(&w);
	free(buf);
	return 0;
}

/* store_bench.c - the audit store's two costs: store_append() on the
 * agent's hot path (kept and filtered records), and the writer's
 * throughput (records of ~1 KiB parsed, indexed and committed per second).
 * Prints one line: append_ns=.. filtered_ns=.. events_per_s=.. bytes=.. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define N_APPEND 100000
#define N_FILTERED 1000000

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* An exec event in a container, shaped like `vigil run` prints it. */
static int exec_json(char *buf, size_t cap, const char *type, int i, int flags)
{
	return snprintf(buf, cap,
		"{\"time\":\"2026-11-28T08:37:21.%09dZ\",\"host\":\"node-7\",\"event\":\"%s\","
		"\"syscall\":\"%s\",\"ret\":0,\"cgroup_id\":8123,\"proc\":{\"pid\":%d,\"tid\":%d,"
		"\"ppid\":4100,\"uid\":1000,\"gid\":1000,\"euid\":1000,\"user\":\"app\",\"comm\":"
		"\"python3\",\"exe\":\"/usr/bin/python3.11\",\"args\":[\"python3\",\"-m\","
		"\"gunicorn\",\"app:server\",\"--workers\",\"4\",\"--bind\",\"0.0.0.0:8080\"],"
		"\"cwd\":\"/srv/app\",\"exec_id\":\"%016x\",\"parent_exec_id\":\"5ed9ad6c21bfb84a\","
		"\"ancestors\":[{\"pid\":4100,\"exe\":\"/bin/sh\",\"exec_id\":\"5ed9ad6c21bfb84a\"},"
		"{\"pid\":4001,\"exe\":\"/usr/bin/tini\",\"exec_id\":\"cc1fa58bf029e4b9\"},"
		"{\"pid\":3990,\"exe\":\"/usr/bin/conmon\",\"exec_id\":\"a425b8756c8d47fd\"}]},"
		"\"%s\":{\"%s\":\"/usr/lib/python3.11/site-packages/gunicorn/app/base-%d.py\","
		"\"flags\":%d,\"mode\":420},\"workload\":{\"kind\":\"container\",\"id\":"
		"\"3f5e8a1c9b7d2e4f6a8c0b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f\",\"runtime\":"
		"\"podman\",\"name\":\"shop-api-%d\",\"image\":\"registry.local/shop/api:2.14.1\","
		"\"pod\":\"shop-api-7c9f\",\"namespace\":\"shop\"}}",
		i % 1000000000, type, type[0] == 'e' ? "execve" : "openat", 10000 + i % 30000,
		10000 + i % 30000, (unsigned)(i * 2654435761u), type[0] == 'e' ? "exec" : "file",
		type[0] == 'e' ? "filename" : "path", i, flags, i % 8);
}

int main(int argc, char **argv)
{
	struct store_options o;
	struct store_stats st;
	struct store *s;
	char err[512], (*jsons)[2048];
	int *lens;
	uint64_t t0, t1, t2;

	if (argc != 2) {
		fprintf(stderr, "usage: store_bench DB\n");
		return 2;
	}
	jsons = malloc(sizeof(*jsons) * 1024);
	lens = malloc(sizeof(*lens) * 1024);
	if (!jsons || !lens)
		return 1;
	store_options_default(&o);
	o.path = argv[1];
	o.queue_max = 2 * N_APPEND;
	o.queue_max_bytes = 1ULL << 30;
	o.batch_max = 20000;
	s = store_open(&o, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "store_bench: %s\n", err);
		return 1;
	}
	size_t bytes = 0;
	for (int i = 0; i < 1024; i++) {
		lens[i] = exec_json(jsons[i], sizeof(jsons[i]), "exec", i, 0);
		bytes += (size_t)lens[i];
	}

	/* filtered: plain reads the store does not keep */
	char open_json[2048];
	int open_len = exec_json(open_json, sizeof(open_json), "open", 1, 0);
	struct out_record fr = { OUT_EVENT, OUT_PRIORITY_NONE, 1, open_json, (size_t)open_len };
	t0 = mono();
	for (int i = 0; i < N_FILTERED; i++)
		store_append(s, &fr);
	t1 = mono();
	double filtered_ns = (double)(t1 - t0) / N_FILTERED;

	/* kept: copied into the batch in bursts of 1000 (the writer drains
	 * in between, so the buffers are reused as in a running agent);
	 * the throughput counts from the first append to the last commit */
	uint64_t append_total = 0;
	t0 = mono();
	for (int round = 0; round < N_APPEND / 1000; round++) {
		t1 = mono();
		for (int j = 0; j < 1000; j++) {
			int i = round * 1000 + j;
			struct out_record r = { OUT_EVENT, OUT_PRIORITY_NONE,
						1795855041000000000ULL + (uint64_t)i,
						jsons[i & 1023], (size_t)lens[i & 1023] };
			store_append(s, &r);
		}
		append_total += mono() - t1;
		if (round % 20 == 19)
			store_flush(s);	/* a queue of at most 20000 */
	}
	store_flush(s);
	t2 = mono();
	store_get_stats(s, &st);
	store_close(s);
	if (st.written != N_APPEND || st.dropped || st.failed) {
		fprintf(stderr, "store_bench: written %llu dropped %llu failed %llu: %s\n",
			(unsigned long long)st.written, (unsigned long long)st.dropped,
			(unsigned long long)st.failed, st.last_error);
		return 1;
	}
	printf("append_ns=%.1f filtered_ns=%.1f events_per_s=%.0f bytes=%zu\n",
	       (double)append_total / N_APPEND, filtered_ns, N_APPEND / ((double)(t2 - t0) / 1e9),
	       bytes / 1024);
	free(jsons);
	free(lens);
	return 0;
}

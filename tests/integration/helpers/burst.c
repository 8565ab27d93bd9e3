/* burst.c - many threads opening many distinct (missing) files as fast
 * as they can, to overflow vigil's ring buffer.
 *
 *   burst DIR THREADS OPENS_PER_THREAD
 *
 * Every open fails with ENOENT (distinct names, so no deduplication). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *dir;
static long per_thread;

static void *worker(void *arg)
{
	long id = (long)arg;
	char path[4096];

	for (long i = 0; i < per_thread; i++) {
		snprintf(path, sizeof(path), "%s/missing-%ld-%ld", dir, id, i);
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *threads;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: burst DIR THREADS OPENS_PER_THREAD\n");
		return 2;
	}
	dir = argv[1];
	n = strtol(argv[2], NULL, 10);
	per_thread = strtol(argv[3], NULL, 10);
	threads = calloc(n, sizeof(*threads));
	if (!threads)
		return 1;
	for (long i = 0; i < n; i++) {
		int err = pthread_create(&threads[i], NULL, worker, (void *)i);
		if (err) {
			fprintf(stderr, "burst: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

/* disk_queue.c - see disk_queue.h. */
#include "output/disk_queue.h"

#include "util/deadline.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (16u << 20)	/* a record longer than this is corrupt */

static void path_of(const struct disk_queue *q, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", q->dir, name);
}

static off_t read_offset(const struct disk_queue *q)
{
	char path[4200];
	long long off = 0;
	FILE *f;

	path_of(q, "queue.offset", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lld", &off) != 1 || off < 0)
		off = 0;
	fclose(f);
	return (off_t)off;
}

/* tmp + rename: a crash leaves the old offset or the new one. */
static void write_offset(const struct disk_queue *q)
{
	char path[4200], tmp[4300];
	FILE *f;

	path_of(q, "queue.offset", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%lld\n", (long long)q->offset);
	if (fclose(f) == 0)
		rename(tmp, path);
}

int disk_queue_open(struct disk_queue *q, const char *dir, uint64_t max_bytes, char *err,
		    size_t errlen)
{
	char path[4200];
	struct stat st;

	memset(q, 0, sizeof(*q));
	snprintf(q->dir, sizeof(q->dir), "%s", dir);
	if (mkdir(dir, 0750) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	path_of(q, "queue.jsonl", path, sizeof(path));
	q->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (q->fd < 0 || fstat(q->fd, &st)) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		if (q->fd >= 0)
			close(q->fd);
		return -1;
	}
	q->size = st.st_size;
	q->offset = read_offset(q);
	if (q->offset > q->size)
		q->offset = 0;	/* the file was replaced: resend rather than lose */
	q->max_bytes = max_bytes;
	pthread_mutex_init(&q->lock, NULL);
	monotonic_cond_init(&q->ready);
	return 0;
}

void disk_queue_close(struct disk_queue *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->ready);
}

/* Length of the line at off (without its newline), -1 when none is complete. */
static ssize_t line_at(const struct disk_queue *q, off_t off)
{
	char buf[4096];
	off_t at = off;

	while (at < q->size && at - off < LINE_MAX_BYTES) {
		ssize_t n = pread(q->fd, buf, sizeof(buf), at);
		char *nl;

		if (n <= 0)
			return -1;
		nl = memchr(buf, '\n', n);
		if (nl)
			return (at - off) + (nl - buf);
		at += n;
	}
	return -1;
}

/* Everything delivered: start the file over (keeps it from growing). */
static void maybe_restart(struct disk_queue *q)
{
	if (q->offset != q->size || q->size == 0)
		return;
	if (ftruncate(q->fd, 0) == 0) {
		q->size = 0;
		q->offset = 0;
	}
	write_offset(q);
}

int disk_queue_push(struct disk_queue *q, const char *data, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while ((uint64_t)(q->size - q->offset) + len + 1 > q->max_bytes && q->offset < q->size) {
		ssize_t n = line_at(q, q->offset);	/* drop the oldest to make room */

		if (n < 0) {
			q->offset = q->size;
			break;
		}
		q->offset += n + 1;
		q->dropped++;
	}
	if ((uint64_t)len + 1 > q->max_bytes) {
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	maybe_restart(q);
	char *line = malloc(len + 1);

	if (!line || (memcpy(line, data, len), line[len] = '\n',
		      write(q->fd, line, len + 1) != (ssize_t)(len + 1))) {
		q->dropped++;
		rc = -1;
	} else {
		q->size += len + 1;
		q->pushed++;
		pthread_cond_signal(&q->ready);
	}
	free(line);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

char *disk_queue_peek(struct disk_queue *q, size_t *len, int timeout_ms)
{
	struct timespec until = deadline_after_ms(timeout_ms);
	char *buf = NULL;
	ssize_t n;

	pthread_mutex_lock(&q->lock);
	while (q->offset >= q->size && !q->stopping)
		if (pthread_cond_timedwait(&q->ready, &q->lock, &until) == ETIMEDOUT)
			break;
	if (q->offset < q->size && (n = line_at(q, q->offset)) >= 0) {
		buf = malloc(n + 1);
		if (buf && pread(q->fd, buf, n, q->offset) == n) {
			buf[n] = 0;
			*len = n;
			q->peeked = q->offset;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return buf;
}

void disk_queue_ack(struct disk_queue *q, size_t len)
{
	pthread_mutex_lock(&q->lock);
	/* unless the record was dropped for room while it was being sent */
	if (q->offset == q->peeked && q->offset + (off_t)len + 1 <= q->size) {
		q->offset += len + 1;
		q->acked++;
	}
	write_offset(q);
	maybe_restart(q);
	pthread_mutex_unlock(&q->lock);
}

uint64_t disk_queue_pending(struct disk_queue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->size - q->offset;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void disk_queue_stop(struct disk_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

bool disk_queue_sleep(struct disk_queue *q, int ms)
{
	bool stopping;

	pthread_mutex_lock(&q->lock);
	stopping = wait_flag_or_timeout(&q->ready, &q->lock, &q->stopping, ms);
	pthread_mutex_unlock(&q->lock);
	return stopping;
}

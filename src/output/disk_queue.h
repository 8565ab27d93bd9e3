/* disk_queue.h - records waiting for a slow or absent receiver, on disk,
 * in order, across restarts.
 *
 * DIR/queue.jsonl holds the records, one per line, appended; DIR/queue.offset
 * the number of bytes already delivered (written atomically after each
 * delivery), so a restart resends nothing acknowledged and loses nothing
 * written.  Above max_bytes the oldest records are dropped (and counted)
 * to make room; once everything is delivered the file starts over. */
#ifndef VIGIL_DISK_QUEUE_H
#define VIGIL_DISK_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct disk_queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int fd;
	char dir[4096];
	off_t size, offset;
	off_t peeked;		/* offset of the record last peeked */
	uint64_t max_bytes;
	uint64_t dropped, pushed, acked;
	bool stopping;
};

/* 0, or -1 with err ("cannot create DIR: …"). */
int disk_queue_open(struct disk_queue *q, const char *dir, uint64_t max_bytes, char *err,
		    size_t errlen);
void disk_queue_close(struct disk_queue *q);

/* Append one record (no newline inside: JSON lines never have one). */
int disk_queue_push(struct disk_queue *q, const char *data, size_t len);
/* The oldest undelivered record (malloc'd, *len set), waiting up to
 * timeout_ms; NULL on timeout or stop. */
char *disk_queue_peek(struct disk_queue *q, size_t *len, int timeout_ms);
/* The record from the last peek (len bytes) was delivered or given up. */
void disk_queue_ack(struct disk_queue *q, size_t len);
/* Records waiting, in bytes. */
uint64_t disk_queue_pending(struct disk_queue *q);
void disk_queue_stop(struct disk_queue *q);
bool disk_queue_sleep(struct disk_queue *q, int ms);

#endif

/* msg_queue.h - a bounded FIFO of messages between the agent thread and
 * one sink's sender thread.  Push never blocks: a full queue drops the
 * new message and counts it.  The sender takes the oldest, and puts it
 * back at the front when delivery failed, so order is kept. */
#ifndef VIGIL_MSG_QUEUE_H
#define VIGIL_MSG_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg {
	struct msg *next;
	size_t len;
	char data[];
};

struct msg_queue {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct msg *head, **tail;
	size_t count, bytes, max_count, max_bytes;
	uint64_t dropped;
	bool stopping;
};

void msg_queue_init(struct msg_queue *q, size_t max_count, size_t max_bytes);
void msg_queue_destroy(struct msg_queue *q);
/* false when dropped (full or out of memory). */
bool msg_queue_push(struct msg_queue *q, const char *data, size_t len);
/* The oldest message, waiting up to timeout_ms; NULL on timeout or stop.
 * The caller owns it until it frees it or gives it back. */
struct msg *msg_queue_take(struct msg_queue *q, int timeout_ms);
void msg_queue_give_back(struct msg_queue *q, struct msg *m);
/* Wake the sender for good. */
void msg_queue_stop(struct msg_queue *q);
/* Sleep up to ms unless stopping; true when stopping. */
bool msg_queue_sleep(struct msg_queue *q, int ms);

#endif

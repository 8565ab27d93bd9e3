/* msg_queue.c - see msg_queue.h. */
#include "output/msg_queue.h"

#include "util/deadline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void msg_queue_init(struct msg_queue *q, size_t max_count, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	monotonic_cond_init(&q->ready);
	q->tail = &q->head;
	q->max_count = max_count;
	q->max_bytes = max_bytes;
}

void msg_queue_destroy(struct msg_queue *q)
{
	for (struct msg *m = q->head, *n; m; m = n) {
		n = m->next;
		free(m);
	}
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->ready);
}

bool msg_queue_push(struct msg_queue *q, const char *data, size_t len)
{
	struct msg *m;

	pthread_mutex_lock(&q->lock);
	if (q->count >= q->max_count || q->bytes + len > q->max_bytes) {
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	pthread_mutex_unlock(&q->lock);
	m = malloc(sizeof(*m) + len + 1);
	if (!m) {
		pthread_mutex_lock(&q->lock);
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->data, data, len);
	m->data[len] = 0;
	pthread_mutex_lock(&q->lock);
	*q->tail = m;
	q->tail = &m->next;
	q->count++;
	q->bytes += len;
	pthread_cond_signal(&q->ready);
	pthread_mutex_unlock(&q->lock);
	return true;
}

struct msg *msg_queue_take(struct msg_queue *q, int timeout_ms)
{
	struct timespec until = deadline_after_ms(timeout_ms);
	struct msg *m = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->head && !q->stopping)
		if (pthread_cond_timedwait(&q->ready, &q->lock, &until) == ETIMEDOUT)
			break;
	if (q->head) {
		m = q->head;
		q->head = m->next;
		if (!q->head)
			q->tail = &q->head;
		q->count--;
		q->bytes -= m->len;
	}
	pthread_mutex_unlock(&q->lock);
	return m;
}

void msg_queue_give_back(struct msg_queue *q, struct msg *m)
{
	pthread_mutex_lock(&q->lock);
	m->next = q->head;
	q->head = m;
	if (q->tail == &q->head)
		q->tail = &m->next;
	q->count++;
	q->bytes += m->len;
	pthread_mutex_unlock(&q->lock);
}

void msg_queue_stop(struct msg_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

bool msg_queue_sleep(struct msg_queue *q, int ms)
{
	bool stopping;

	pthread_mutex_lock(&q->lock);
	stopping = wait_flag_or_timeout(&q->ready, &q->lock, &q->stopping, ms);
	pthread_mutex_unlock(&q->lock);
	return stopping;
}

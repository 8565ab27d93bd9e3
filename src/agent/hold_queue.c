/* hold_queue.c - a FIFO of rendered events awaiting metadata. */
#include "agent/hold_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hold_queue_init(struct hold_queue *q, size_t max)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
	q->max = max;
}

int hold_queue_push(struct hold_queue *q, struct workload *wl, bool entered,
		    const struct out_record *rec, uint64_t deadline_ns)
{
	size_t len = rec->len;
	struct held_event *e;

	if (q->count >= q->max)
		return -1;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return -1;
	e->wl = wl;
	e->entered = entered;
	e->deadline_ns = deadline_ns;
	e->kind = rec->kind;
	e->priority = rec->priority;
	e->time_ns = rec->time_ns;
	snprintf(e->root_exec_id, sizeof(e->root_exec_id), "%s",
		 rec->root_exec_id ? rec->root_exec_id : "");
	e->len = len;
	e->next = NULL;
	memcpy(e->json, rec->json, len);
	*q->tail = e;
	q->tail = &e->next;
	q->count++;
	return 0;
}

size_t hold_queue_release(struct hold_queue *q, uint64_t now_ns, bool force,
			  void (*emit)(void *ctx, const struct held_event *e), void *ctx)
{
	struct held_event **link = &q->head;
	size_t released = 0;

	while (*link) {
		struct held_event *e = *link;
		bool ready = force || e->wl->meta_state != META_PENDING ||
			     now_ns >= e->deadline_ns;

		if (!ready) {
			link = &e->next;
			continue;
		}
		emit(ctx, e);
		*link = e->next;
		if (q->tail == &e->next)
			q->tail = link;
		free(e);
		q->count--;
		released++;
	}
	return released;
}

void hold_queue_free(struct hold_queue *q)
{
	while (q->head) {
		struct held_event *next = q->head->next;
		free(q->head);
		q->head = next;
	}
	q->tail = &q->head;
	q->count = 0;
}

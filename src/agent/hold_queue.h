/* hold_queue.h - events waiting for their container's metadata.
 *
 * An event of a container whose metadata the resolver has not returned
 * yet is kept, rendered, until the metadata arrives or its deadline
 * passes (then it goes out marked unresolved): held, never dropped.
 */
#ifndef VIGIL_HOLD_QUEUE_H
#define VIGIL_HOLD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/out_record.h"
#include "workload/workload.h"

struct held_event {
	struct workload *wl;
	bool entered;
	uint64_t deadline_ns;
	enum out_kind kind;
	int priority;
	uint64_t time_ns;
	char root_exec_id[24];		/* "" unknown */
	size_t len;
	struct held_event *next;
	char json[];		/* the event object without its closing brace */
};

struct hold_queue {
	struct held_event *head, **tail;
	size_t count, max;
};

void hold_queue_init(struct hold_queue *q, size_t max);
/* Keep a copy of rec (its json without the closing brace). -1 when full. */
int hold_queue_push(struct hold_queue *q, struct workload *wl, bool entered,
		    const struct out_record *rec, uint64_t deadline_ns);
/* Hand every event that may go now (metadata settled, or deadline
 * passed, or force) to emit(), in arrival order; returns how many. */
size_t hold_queue_release(struct hold_queue *q, uint64_t now_ns, bool force,
			  void (*emit)(void *ctx, const struct held_event *e), void *ctx);
void hold_queue_free(struct hold_queue *q);

#endif

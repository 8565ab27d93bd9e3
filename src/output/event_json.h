/* event_json.h - an enriched event as one JSON object (vigil's event
 * schema: time, host, event, syscall, ret, proc, file, net, ...). */
#ifndef VIGIL_EVENT_JSON_H
#define VIGIL_EVENT_JSON_H

#include "sensor/event.h"
#include "proc/proc_table.h"
#include "util/json.h"
#include "util/time_format.h"

struct event_context {
	const char *host;
	const struct proc_entry *proc;	/* NULL when unknown */
	const char *user;		/* name of proc uid, NULL unknown */
	struct proc_table *table;	/* for child lookups (fork) */
};

/* Write the event as a complete JSON object (no newline). */
void event_json_write(struct json_writer *w, const struct event *ev,
		      const struct event_context *ctx);

/* Only the "proc" member (key and object), for alerts about the event. */
void event_json_write_proc(struct json_writer *w, const struct event *ev,
			   const struct event_context *ctx);

#endif

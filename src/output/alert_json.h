/* alert_json.h - a rule match as one JSON object, in Falco's envelope
 * (time, rule, priority, output, output_fields, tags, source, hostname)
 * plus vigil's "kind", "source_event" and "proc"; the caller appends "workload". */
#ifndef VIGIL_ALERT_JSON_H
#define VIGIL_ALERT_JSON_H

#include "output/event_json.h"
#include "rules/engine.h"

/* Writes the object without its closing brace when open is true (the
 * workload follows), complete otherwise. */
void alert_json_write(struct json_writer *w, struct rule_engine *e, size_t rule_index,
		      const struct rule_input *in, const struct event_context *ctx, bool open);

#endif

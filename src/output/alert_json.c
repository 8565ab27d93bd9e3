/* alert_json.c - the alert envelope Falco users already parse. */
#include "alert_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/event_names.h"
#include "util/time_format.h"

/* Falco's output line starts "HH:MM:SS.nnnnnnnnn: Priority ". */
static void write_output(struct json_writer *w, struct rule_engine *e, size_t rule_index,
			 const struct rule_input *in, int priority)
{
	const char *text = rule_engine_output(e, rule_index, in);
	time_t secs = (time_t)(in->ev->real_ns / 1000000000ULL);
	struct tm tm;
	char prefix[64];
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(prefix, sizeof(prefix), "%H:%M:%S", &tm);
	snprintf(prefix + n, sizeof(prefix) - n, ".%09llu: %s ",
		 (unsigned long long)(in->ev->real_ns % 1000000000ULL), priority_name(priority));
	json_key(w, "output");
	size_t plen = strlen(prefix), tlen = strlen(text);
	char *line = malloc(plen + tlen + 1);	/* alerts are rare: one allocation is fine */

	if (!line) {
		json_string(w, text);
		return;
	}
	memcpy(line, prefix, plen);
	memcpy(line + plen, text, tlen + 1);
	json_string_len(w, line, plen + tlen);
	free(line);
}

void alert_json_write(struct json_writer *w, struct rule_engine *e, size_t rule_index,
		      const struct rule_input *in, const struct event_context *ctx, bool open)
{
	const struct engine_rule *r = rule_engine_rule(e, rule_index);
	char time[48];

	format_rfc3339_ns(time, sizeof(time), in->ev->real_ns);
	json_object_begin(w);
	json_kv_string(w, "time", time);
	json_kv_string(w, "rule", r->name);
	json_kv_string(w, "priority", priority_name(r->priority));
	write_output(w, e, rule_index, in, r->priority);
	json_key(w, "output_fields");
	json_object_begin(w);
	json_kv_uint(w, "evt.time", in->ev->real_ns);
	rule_engine_output_fields(e, rule_index, in, w);
	json_object_end(w);
	json_key(w, "tags");
	json_array_begin(w);
	for (size_t i = 0; i < r->ntags; i++)
		json_string(w, r->tags[i]);
	json_array_end(w);
	json_kv_string(w, "source", r->source);
	json_kv_string(w, "hostname", in->host ? in->host : "");
	json_kv_string(w, "kind", "rule");
	json_kv_string(w, "source_event", event_type_name(in->ev->type));
	event_json_write_proc(w, in->ev, ctx);
	if (!open)
		json_object_end(w);
}

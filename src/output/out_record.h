/* out_record.h - what the pipeline hands downstream: one finished JSON
 * object (events, alerts, incidents, response actions, model changes)
 * plus the few facts the consumers route on, so that the alert pipeline,
 * the outputs and the audit store never reach back into the sensor, the
 * process table or the rule engine.
 *
 * The JSON is complete (workload included), one object, no newline; the
 * consumer copies what it keeps: the buffer is reused after the call. */
#ifndef VIGIL_OUT_RECORD_H
#define VIGIL_OUT_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum out_kind {
	OUT_EVENT,		/* a sensor event ("event": "exec", ...) */
	OUT_ALERT,		/* a rule match or an anomaly ("kind": "rule"|"anomaly") */
	OUT_INCIDENT,		/* alerts grouped by the alert pipeline */
	OUT_ACTION,		/* a response action or an enforced block */
	OUT_MODEL,		/* a model changed mode */
	OUT_KIND_MAX,
};

/* Falco's priorities, most severe first (same values as enum
 * rules_priority); events and model changes carry OUT_PRIORITY_NONE. */
#define OUT_PRIORITY_NONE 8

struct out_record {
	enum out_kind kind;
	int priority;
	uint64_t time_ns;		/* wall clock, ns since the epoch */
	const char *json;
	size_t len;
	/* Alerts: the exec id of the top of the process's tree inside its
	 * workload (incidents group by it); NULL when unknown. */
	const char *root_exec_id;
};

#endif

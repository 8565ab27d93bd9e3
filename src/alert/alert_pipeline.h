/* alert_pipeline.h - between detections and outputs: alerts that matter,
 * not floods.
 *
 * Every alert (struct out_record of kind OUT_ALERT with its JSON) goes
 * through, in order:
 *   1. exceptions (alert/exceptions.h): silenced (counted, dropped), or
 *      forwarded with a lowered priority; escalations raise it;
 *   2. its incident: alerts of one workload and one process tree, until
 *      incident_window passes without any; the incident is reported as
 *      OUT_INCIDENT records (same incident_id, rising "version");
 *   3. dedup: the first alert of a kind passes at once (with
 *      "incident_id" added); identical ones within dedup_window are only
 *      counted, and when the window closes one summary is forwarded: the
 *      first alert plus "count", "first_time", "last_time", "summary":
 *      true.  While a storm lasts, each window gives one summary, so
 *      10,000 identical alerts in a minute are 2 lines;
 *   4. rate limits (per workload and global token buckets): alerts over
 *      the rate are counted into their incident, and one "rate_limit"
 *      note per workload per minute says how many were held back.
 *
 * Identical means: same rule (anomalies: same model and novelties), same
 * workload, same process (exec_id, or the executable with dedup_by_exe)
 * and the same output_fields except the ignored ones (times, counters,
 * pids and tids by default: see alert_default_ignored_fields).
 *
 * Nothing is allocated for a duplicate: it costs parsing spans of its
 * JSON, two hash lookups and counters.  Memory is bounded by max_keys,
 * max_incidents and max_workloads: when full, the oldest entry is closed
 * (its summary or final incident version emitted) to make room.
 *
 * Single-threaded: call everything from the thread that owns the pipeline.
 */
#ifndef VIGIL_ALERT_PIPELINE_H
#define VIGIL_ALERT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/exceptions.h"
#include "output/out_record.h"

/* What the caller knows of an alert beyond its JSON.  Every member is
 * optional (NULL/0): the pipeline then reads the JSON. */
struct alert_context {
	const char *workload_key;	/* container id, or "host:<unit>"; default from "workload" */
	const char *mode;		/* workload's model: "learning", "monitoring", "protecting", "" */
	uint64_t workload_start_ns;	/* when the workload started (recent deployments) */
	const char *exec_id;		/* default proc.exec_id */
	const char *root_exec_id;	/* root of its process tree in the workload;
					   default the last of proc.ancestors */
	uint64_t now_ns;		/* default the record's time_ns */
};

struct alert_pipeline_options {
	uint64_t dedup_window_ns;	/* 0: 60 s */
	uint64_t incident_window_ns;	/* inactivity that closes an incident; 0: 10 min */
	uint64_t incident_update_ns;	/* min gap between "it grew" updates; 0: 30 s
					   (a new rule, tactic or action updates at once) */
	unsigned rate_per_min;		/* forwarded alerts per workload and minute; 0: 20 */
	unsigned global_rate_per_min;	/* all workloads; 0: 300 */
	size_t max_keys;		/* dedup keys tracked; 0: 4096 */
	size_t max_incidents;		/* open incidents; 0: 1024 */
	size_t max_workloads;		/* rate-limit buckets; 0: 1024 */
	uint64_t first_incident_id;	/* persisted by the caller; 0: 1 */
	const char *const *ignored_fields;	/* NULL-terminated globs; NULL: defaults */
	bool dedup_by_exe;		/* process identity: proc.exe instead of exec_id */
	struct alert_exceptions *exceptions;	/* borrowed; may be NULL */
	/* Receives every forwarded record; the JSON is reused after the call. */
	void (*emit)(void *ctx, const struct out_record *r);
	void (*warn)(void *ctx, const char *msg);	/* NULL: stderr */
	void *ctx;
};

struct alert_pipeline_stats {
	uint64_t alerts_in, actions_in;
	uint64_t forwarded, duplicates, summaries;
	uint64_t silenced, lowered, escalated, rate_limited, malformed;
	uint64_t incidents_opened, incidents_closed, incident_updates;
	uint64_t evicted_keys, evicted_incidents;
	size_t keys, incidents, workloads;	/* tracked now */
};

extern const char *const alert_default_ignored_fields[];

struct alert_pipeline;

/* NULL when out of memory or emit is missing. */
struct alert_pipeline *alert_pipeline_new(const struct alert_pipeline_options *o);
/* Does not flush: call alert_pipeline_flush first to emit what is pending. */
void alert_pipeline_free(struct alert_pipeline *p);

void alert_pipeline_alert(struct alert_pipeline *p, const struct out_record *r,
			  const struct alert_context *ctx);
/* An OUT_ACTION (a block, a kill) for a workload: forwarded as it is and
 * added to the workload's open incident ("actions"), raising its severity. */
void alert_pipeline_action(struct alert_pipeline *p, const struct out_record *r,
			   const struct alert_context *ctx);
/* Once a second: closes dedup windows and incidents, emits summaries,
 * incident updates and rate-limit notes that are due. */
void alert_pipeline_tick(struct alert_pipeline *p, uint64_t now_ns);
/* At exit: emits every pending summary, note and incident (closed). */
void alert_pipeline_flush(struct alert_pipeline *p, uint64_t now_ns);

/* Reloaded exceptions (borrowed, may be NULL); the old set may be freed
 * after the call.  Open incidents and dedup windows stay. */
void alert_pipeline_set_exceptions(struct alert_pipeline *p, struct alert_exceptions *ex);

void alert_pipeline_get_stats(const struct alert_pipeline *p, struct alert_pipeline_stats *s);
/* The id the next incident gets: persist it to continue after a restart. */
uint64_t alert_pipeline_next_incident_id(const struct alert_pipeline *p);

#endif

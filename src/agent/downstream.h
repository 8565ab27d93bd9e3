/* downstream.h - where the agent's finished records go: alerts and
 * actions through the alert pipeline (dedup, incidents, exceptions, rate
 * limits), then everything to the outputs.  The agent only says what a
 * record is and, for alerts, what it knows of the workload. */
#ifndef VIGIL_DOWNSTREAM_H
#define VIGIL_DOWNSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/alert_pipeline.h"
#include "output/metrics.h"
#include "output/outputs.h"
#include "output/out_record.h"
#include "util/config.h"

struct downstream;

/* NULL with a message on stderr when a file (exceptions, output) cannot
 * be used; replay is true for `vigil replay` (no state is written), store
 * whether to keep the audit store (run; a replay only into a named file). */
struct downstream *downstream_open(const struct vigil_config *cfg, bool replay, bool store);
/* Flushes the pipeline (pending summaries, incidents), closes outputs. */
void downstream_close(struct downstream *d, uint64_t now_ns);

/* ctx may be NULL (the pipeline reads the JSON). */
void downstream_emit(struct downstream *d, const struct out_record *rec,
		     const struct alert_context *ctx);
/* Once a second (wall clock): windows close, summaries and incidents go out. */
void downstream_tick(struct downstream *d, uint64_t now_ns);
void downstream_flush(struct downstream *d);
/* Reload exceptions (all or nothing); 0 or -1 (the old ones stay). */
int downstream_reload(struct downstream *d);

/* The output keys' values (addresses, URLs, facility): 0 or -1 with err. */
int downstream_check_config(const struct vigil_config *cfg, char *err, size_t errlen);

/* The metrics the agent feeds (NULL when no endpoint); refreshed sink counters. */
struct metrics *downstream_metrics(struct downstream *d);

/* The reader of stdout went away (EPIPE): the agent should stop. */
bool downstream_broken(const struct downstream *d);

struct downstream_stats {
	uint64_t written;
	struct outputs_stats outputs;
	struct alert_pipeline_stats pipeline;
};
void downstream_stats(const struct downstream *d, struct downstream_stats *out);

#endif

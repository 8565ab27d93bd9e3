/* agent.h - the pipeline: sensor → decode → process table → output.
 * Runs until SIGINT/SIGTERM, then detaches everything. */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdint.h>
#include <stdio.h>

#include "rules/engine.h"
#include "util/config.h"

struct agent_options {
	const struct vigil_config *cfg;
	uint64_t output_mask;	/* events to print (the sensor traces more) */
	const char *proc_root;	/* "/proc" */
	struct rule_engine *rules;	/* NULL: no threat rules */
	const char *record_path;	/* also save the stream here (vigil record) */
	bool models;			/* behaviour models (if model.enabled) */
	bool enforce;			/* policies and enforcement (if enforce.enabled) */
};

/* Returns the process exit status. */
int agent_run(const struct agent_options *opts);

/* Run the pipeline over a recording as fast as it goes, then print the
 * throughput to stderr.  Returns the process exit status. */
int agent_replay(const struct agent_options *opts, const char *path);

#endif

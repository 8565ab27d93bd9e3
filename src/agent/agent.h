/* agent.h - the pipeline: sensor → decode → process table → output.
 * Runs until SIGINT/SIGTERM, then detaches everything. */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdint.h>
#include <stdio.h>

#include "util/config.h"

struct agent_options {
	const struct vigil_config *cfg;
	uint64_t output_mask;	/* events to print (the sensor traces more) */
	const char *proc_root;	/* "/proc" */
};

/* Returns the process exit status. */
int agent_run(const struct agent_options *opts);

#endif

/* alert_replay.h - how noisy is a stream of alerts once it has been
 * through the pipeline?  Feeds a JSON-lines file (vigil's output: alerts,
 * actions; events are skipped) in its own time, ticking once per second
 * of stream time, and counts what comes out. */
#ifndef VIGIL_ALERT_REPLAY_H
#define VIGIL_ALERT_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "alert/alert_pipeline.h"

struct alert_replay_result {
	uint64_t lines_in, alerts_in, actions_in, skipped;
	uint64_t lines_out;		/* every record forwarded */
	uint64_t alerts_out, incident_records, incidents;	/* incidents: distinct ids */
};

/* o->emit and o->ctx are replaced; out (may be NULL) receives the
 * forwarded records as JSON lines.  0, or -1 when the pipeline cannot
 * be made. */
int alert_replay(FILE *in, FILE *out, const struct alert_pipeline_options *o,
		 struct alert_replay_result *res);

#endif

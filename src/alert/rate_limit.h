/* rate_limit.h - token buckets: per workload and one for everything.
 * A bucket holds a minute's worth of alerts and refills continuously;
 * what it refuses is counted, and a note says so once per minute. */
#ifndef VIGIL_ALERT_RATE_LIMIT_H
#define VIGIL_ALERT_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/alert_facts.h"
#include "util/u64_map.h"

struct token_bucket {
	double tokens;
	uint64_t last_ns;
};

struct rate_state {
	struct token_bucket bucket;
	uint64_t suppressed;		/* since the last note */
	uint64_t first_suppressed_ns;
	uint64_t incident_id;		/* of the last alert held back */
	uint64_t last_seen_ns;
	char workload_key[ALERT_NAME_MAX];
	char *workload_json;		/* for the note; copied when first held back */
};

struct rate_limiter {
	struct u64_map by_workload;
	size_t n, max;
	double per_min, global_per_min;
	struct token_bucket global;
	uint64_t global_suppressed;
	void (*note)(void *ctx, const struct rate_state *s, uint64_t now_ns);
	void *ctx;
};

int rate_limiter_init(struct rate_limiter *r, size_t max_workloads, unsigned per_min,
		      unsigned global_per_min,
		      void (*note)(void *ctx, const struct rate_state *s, uint64_t now_ns),
		      void *ctx);
void rate_limiter_destroy(struct rate_limiter *r);
/* May this alert be forwarded?  False: counted as suppressed. */
bool rate_limiter_allow(struct rate_limiter *r, const struct alert_facts *f,
			uint64_t workload_hash, uint64_t incident_id);
/* Notes due (a minute after the first refusal, or all when flushing);
 * buckets idle for a minute and full are forgotten. */
void rate_limiter_tick(struct rate_limiter *r, uint64_t now_ns, bool all);

#endif

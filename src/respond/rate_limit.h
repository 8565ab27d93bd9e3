/* rate_limit.h - token buckets (per workload and global) and the memory
 * of recent actions, so that an alert storm cannot turn into a storm of
 * kills, and the same action on the same target is not repeated. */
#ifndef VIGIL_RESPOND_RATE_LIMIT_H
#define VIGIL_RESPOND_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "respond/response_config.h"
#include "util/u64_map.h"

struct bucket {
	double tokens;
	uint64_t last_ns;
};

#define RECENT_SLOTS 256

struct recent_action {
	uint64_t key;			/* action and target, hashed */
	uint64_t time_ns;
};

struct rate_state {
	struct u64_map workloads;	/* cgroup id -> struct bucket */
	struct bucket global;
	struct recent_action recent[RECENT_SLOTS];
	unsigned next_recent;
};

int rate_state_init(struct rate_state *s);
void rate_state_destroy(struct rate_state *s);

/* Take one token from the workload's bucket and the global one, or none
 * when either is empty (returns false: rate-limited). */
bool rate_take(struct rate_state *s, const struct response_config *c, uint64_t workload,
	       uint64_t now_ns);

/* Was key acted on within window_ns?  rate_remember records it. */
bool rate_recent(const struct rate_state *s, uint64_t key, uint64_t now_ns, uint64_t window_ns);
void rate_remember(struct rate_state *s, uint64_t key, uint64_t now_ns);

#endif

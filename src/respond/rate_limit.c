/* rate_limit.c - token buckets: a bucket holds at most count tokens and
 * refills count per period, continuously; each action takes one. */
#include "respond/rate_limit.h"

#include <stdlib.h>
#include <string.h>

/* Beyond this many workloads, full (idle) buckets are dropped. */
#define MAX_WORKLOAD_BUCKETS 4096

int rate_state_init(struct rate_state *s)
{
	memset(s, 0, sizeof(*s));
	s->global.tokens = -1;	/* full on first use */
	return u64_map_init(&s->workloads, 64);
}

void rate_state_destroy(struct rate_state *s)
{
	u64_map_destroy(&s->workloads, free);
}

static void refill(struct bucket *b, const struct respond_rate *r, uint64_t now_ns)
{
	if (b->tokens < 0) {
		b->tokens = r->count;
	} else if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * r->count / (double)r->period_ns;
		if (b->tokens > r->count)
			b->tokens = r->count;
	}
	b->last_ns = now_ns;
}

struct idle_ctx {
	const struct respond_rate *rate;
	uint64_t now_ns;
};

static bool bucket_idle(void *value, void *ctx)
{
	struct idle_ctx *ic = ctx;

	refill(value, ic->rate, ic->now_ns);
	return ((struct bucket *)value)->tokens >= ic->rate->count;
}

static struct bucket *workload_bucket(struct rate_state *s, const struct respond_rate *r,
				      uint64_t workload, uint64_t now_ns)
{
	struct bucket *b = u64_map_get(&s->workloads, workload);

	if (b)
		return b;
	if (s->workloads.count >= MAX_WORKLOAD_BUCKETS) {
		struct idle_ctx ic = { r, now_ns };
		u64_map_remove_if(&s->workloads, bucket_idle, &ic, free);
	}
	if (s->workloads.count >= MAX_WORKLOAD_BUCKETS || !(b = malloc(sizeof(*b))))
		return NULL;
	b->tokens = -1;
	b->last_ns = now_ns;
	if (u64_map_put(&s->workloads, workload, b, NULL) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

bool rate_take(struct rate_state *s, const struct response_config *c, uint64_t workload,
	       uint64_t now_ns)
{
	struct bucket *b = NULL;

	if (c->per_workload.count) {
		/* no bucket (no memory, too many busy workloads): refuse, safely */
		if (!(b = workload_bucket(s, &c->per_workload, workload, now_ns)))
			return false;
		refill(b, &c->per_workload, now_ns);
		if (b->tokens < 1)
			return false;
	}
	if (c->global.count) {
		refill(&s->global, &c->global, now_ns);
		if (s->global.tokens < 1)
			return false;
		s->global.tokens -= 1;
	}
	if (b)
		b->tokens -= 1;
	return true;
}

bool rate_recent(const struct rate_state *s, uint64_t key, uint64_t now_ns, uint64_t window_ns)
{
	for (unsigned i = 0; i < RECENT_SLOTS; i++)
		if (s->recent[i].key == key && s->recent[i].time_ns &&
		    now_ns - s->recent[i].time_ns < window_ns)
			return true;
	return false;
}

void rate_remember(struct rate_state *s, uint64_t key, uint64_t now_ns)
{
	s->recent[s->next_recent] = (struct recent_action){ key, now_ns };
	s->next_recent = (s->next_recent + 1) % RECENT_SLOTS;
}

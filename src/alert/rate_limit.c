/* rate_limit.c - token buckets per workload and global. */
#include "rate_limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MIN 60000000000ULL

int rate_limiter_init(struct rate_limiter *r, size_t max_workloads, unsigned per_min,
		      unsigned global_per_min,
		      void (*note)(void *ctx, const struct rate_state *s, uint64_t now_ns),
		      void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->max = max_workloads;
	r->per_min = per_min;
	r->global_per_min = global_per_min;
	r->global.tokens = global_per_min;
	r->note = note;
	r->ctx = ctx;
	return u64_map_init(&r->by_workload, 64);
}

static void state_free(void *value)
{
	struct rate_state *s = value;

	free(s->workload_json);
	free(s);
}

void rate_limiter_destroy(struct rate_limiter *r)
{
	u64_map_destroy(&r->by_workload, state_free);
}

/* Refill for the time passed, then take one token if there is one. */
static bool take(struct token_bucket *b, double per_min, uint64_t now_ns)
{
	if (now_ns > b->last_ns) {
		b->tokens += per_min * (double)(now_ns - b->last_ns) / (double)NS_PER_MIN;
		if (b->tokens > per_min)
			b->tokens = per_min;
		b->last_ns = now_ns;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static bool idle(void *value, void *ctx)
{
	const struct rate_state *s = value;
	uint64_t now_ns = *(const uint64_t *)ctx;

	return !s->suppressed && now_ns >= s->last_seen_ns + NS_PER_MIN;
}

static bool oldest_marker(void *value, void *ctx)
{
	return value == ctx;
}

static void find_oldest(uint64_t key, void *value, void *ctx)
{
	struct rate_state **oldest = ctx;
	struct rate_state *s = value;

	(void)key;
	if (!*oldest || s->last_seen_ns < (*oldest)->last_seen_ns)
		*oldest = s;
}

/* Room for one more workload: forget the idle ones, else the oldest
 * (its note first). */
static void make_room(struct rate_limiter *r, uint64_t now_ns)
{
	struct rate_state *oldest = NULL;

	r->n -= u64_map_remove_if(&r->by_workload, idle, &now_ns, state_free);
	if (r->n < r->max)
		return;
	u64_map_each(&r->by_workload, find_oldest, &oldest);
	if (!oldest)
		return;
	if (oldest->suppressed)
		r->note(r->ctx, oldest, now_ns);
	r->n -= u64_map_remove_if(&r->by_workload, oldest_marker, oldest, state_free);
}

static struct rate_state *state_for(struct rate_limiter *r, const struct alert_facts *f,
				    uint64_t hash)
{
	struct rate_state *s = u64_map_get(&r->by_workload, hash);

	if (s)
		return s;
	if (r->n >= r->max)
		make_room(r, f->now_ns);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->bucket.tokens = r->per_min;
	s->bucket.last_ns = f->now_ns;
	snprintf(s->workload_key, sizeof(s->workload_key), "%s", f->workload_key);
	if (u64_map_put(&r->by_workload, hash, s, NULL) < 0) {
		free(s);
		return NULL;
	}
	r->n++;
	return s;
}

bool rate_limiter_allow(struct rate_limiter *r, const struct alert_facts *f,
			uint64_t workload_hash, uint64_t incident_id)
{
	struct rate_state *s = state_for(r, f, workload_hash);
	bool ok;

	if (!s)
		return true;	/* no memory for a bucket: do not lose the alert */
	s->last_seen_ns = f->now_ns;
	ok = take(&s->bucket, r->per_min, f->now_ns);
	if (ok && !take(&r->global, r->global_per_min, f->now_ns)) {
		s->bucket.tokens += 1.0;	/* not this workload's fault */
		r->global_suppressed++;
		ok = false;
	}
	if (ok)
		return true;
	if (!s->suppressed++) {
		s->first_suppressed_ns = f->now_ns;
		free(s->workload_json);
		s->workload_json = f->workload.p ? strndup(f->workload.p, f->workload.n) : NULL;
	}
	s->incident_id = incident_id;
	return false;
}

struct tick_ctx {
	struct rate_limiter *r;
	uint64_t now_ns;
	bool all;
};

static void note_if_due(uint64_t key, void *value, void *ctx)
{
	struct tick_ctx *t = ctx;
	struct rate_state *s = value;

	(void)key;
	if (!s->suppressed || (!t->all && t->now_ns < s->first_suppressed_ns + NS_PER_MIN))
		return;
	t->r->note(t->r->ctx, s, t->now_ns);
	s->suppressed = 0;
}

void rate_limiter_tick(struct rate_limiter *r, uint64_t now_ns, bool all)
{
	struct tick_ctx t = { r, now_ns, all };

	u64_map_each(&r->by_workload, note_if_due, &t);
}

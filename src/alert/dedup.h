/* dedup.h - identical alerts within a window: the first passes, the
 * rest are counted, and a closing window yields one summary.
 *
 * Entries sit in a list ordered by the end of their window (every window
 * has the same length, so appending keeps the order): a tick pops from
 * the head, and eviction when full takes the head too. */
#ifndef VIGIL_ALERT_DEDUP_H
#define VIGIL_ALERT_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/u64_map.h"

struct dedup_entry {
	uint64_t key, incident_id;
	uint64_t first_ns, last_ns, window_end_ns;
	uint64_t count;			/* occurrences in this window */
	uint64_t total;			/* since the entry was made */
	bool renewed;			/* a window after the first */
	bool dead;			/* closed, left in the map until the sweep */
	int priority;
	char *json;			/* the first alert as forwarded */
	size_t len;
	struct dedup_entry *prev, *next;
};

struct dedup_table {
	struct u64_map by_key;
	struct dedup_entry *head, *tail;
	size_t n, max;
	uint64_t window_ns;
	/* a window closed with duplicates in it: forward a summary */
	void (*summary)(void *ctx, const struct dedup_entry *e);
	void *ctx;
	uint64_t evicted;
	size_t dead;			/* closed entries still in by_key */
};

int dedup_init(struct dedup_table *t, size_t max, uint64_t window_ns,
	       void (*summary)(void *ctx, const struct dedup_entry *e), void *ctx);
void dedup_destroy(struct dedup_table *t);

/* Count an occurrence of key at now_ns: true when it is a duplicate
 * (counted, nothing to forward). */
bool dedup_seen(struct dedup_table *t, uint64_t key, uint64_t now_ns);
/* Remember a first occurrence (json: as forwarded).  -1 out of memory. */
int dedup_remember(struct dedup_table *t, uint64_t key, uint64_t now_ns, uint64_t incident_id,
		   int priority, const char *json, size_t len);
/* Close windows ended by now_ns (all: every window). */
void dedup_tick(struct dedup_table *t, uint64_t now_ns, bool all);

#endif

/* dedup.c - the dedup windows. */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

int dedup_init(struct dedup_table *t, size_t max, uint64_t window_ns,
	       void (*summary)(void *ctx, const struct dedup_entry *e), void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->window_ns = window_ns;
	t->summary = summary;
	t->ctx = ctx;
	return u64_map_init(&t->by_key, 256);
}

static void entry_free(void *value)
{
	struct dedup_entry *e = value;

	free(e->json);
	free(e);
}

void dedup_destroy(struct dedup_table *t)
{
	u64_map_destroy(&t->by_key, entry_free);
	t->head = t->tail = NULL;
	t->n = 0;
}

static void unlink_entry(struct dedup_table *t, struct dedup_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void append(struct dedup_table *t, struct dedup_entry *e)
{
	e->prev = t->tail;
	e->next = NULL;
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
}

static bool is_dead(void *value, void *ctx)
{
	(void)ctx;
	return ((struct dedup_entry *)value)->dead;
}

/* The map can only remove by a scan, so closed entries are swept in
 * batches rather than one scan each. */
static void sweep(struct dedup_table *t)
{
	if (t->dead)
		u64_map_remove_if(&t->by_key, is_dead, NULL, entry_free);
	t->dead = 0;
}

static void drop(struct dedup_table *t, struct dedup_entry *e)
{
	unlink_entry(t, e);
	e->dead = true;
	t->dead++;
	t->n--;
}

/* The first window held only the alert that passed: nothing to say.
 * Otherwise summarise, and keep suppressing for one more window while
 * the storm lasts; a window with nothing in it ends the entry. */
static void close_window(struct dedup_table *t, struct dedup_entry *e, uint64_t now_ns,
			 bool final)
{
	bool duplicates = e->renewed ? e->count > 0 : e->count > 1;

	if (duplicates)
		t->summary(t->ctx, e);
	if (!duplicates || final) {
		drop(t, e);
		return;
	}
	e->renewed = true;
	e->count = 0;
	e->window_end_ns = now_ns + t->window_ns;
	unlink_entry(t, e);
	append(t, e);
}

bool dedup_seen(struct dedup_table *t, uint64_t key, uint64_t now_ns)
{
	struct dedup_entry *e = u64_map_get(&t->by_key, key);

	if (!e || e->dead)
		return false;
	if (now_ns >= e->window_end_ns)	/* the tick is late: close it first */
		close_window(t, e, now_ns, false);
	if (e->dead)
		return false;
	if (!e->count)
		e->first_ns = now_ns;
	e->count++;
	e->total++;
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	return true;
}

int dedup_remember(struct dedup_table *t, uint64_t key, uint64_t now_ns, uint64_t incident_id,
		   int priority, const char *json, size_t len)
{
	struct dedup_entry *e;
	void *old = NULL;

	if (t->n >= t->max && t->head) {
		t->evicted++;
		close_window(t, t->head, now_ns, true);
	}
	if (t->dead > t->max / 4)
		sweep(t);
	e = calloc(1, sizeof(*e));
	if (!e || !(e->json = malloc(len + 1))) {
		free(e);
		return -1;
	}
	memcpy(e->json, json, len);
	e->json[len] = '\0';
	e->len = len;
	e->key = key;
	e->incident_id = incident_id;
	e->priority = priority;
	e->first_ns = e->last_ns = now_ns;
	e->window_end_ns = now_ns + t->window_ns;
	e->count = e->total = 1;
	if (u64_map_put(&t->by_key, key, e, &old) < 0) {
		entry_free(e);
		return -1;
	}
	if (old) {	/* a closed entry of the same key, not swept yet */
		entry_free(old);
		t->dead--;
	}
	append(t, e);
	t->n++;
	return 0;
}

void dedup_tick(struct dedup_table *t, uint64_t now_ns, bool all)
{
	/* renewed entries go to the tail with a later end, so stop at the
	 * first that reaches past now (or after one pass when flushing) */
	for (size_t left = t->n; t->head && left; left--) {
		if (!all && t->head->window_end_ns > now_ns)
			break;
		close_window(t, t->head, now_ns, all);
	}
	sweep(t);
}

/* store.c - the audit store's queue and writer thread.
 *
 * Two batches: the agent appends to the active one under a mutex (a
 * memcpy, nothing more); the writer swaps it for the empty spare every
 * batch window, then parses and inserts the swapped batch in one
 * transaction with the mutex released.  Records are laid out in one
 * buffer (header + JSON), so an append allocates nothing once the
 * buffer has grown to the usual batch size.
 */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_db.h"
#include "store/store_filter.h"
#include "store/store_retention.h"
#include "store/store_write.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL
#define RETENTION_EVERY_NS (5 * NS_PER_SEC)
#define RETENTION_BUDGET_NS (50 * NS_PER_MS)
/* at start the queue can absorb a longer pass (a store that was closed
 * for a while may have a backlog of expired rows) */
#define RETENTION_FIRST_BUDGET_NS (1000 * NS_PER_MS)
#define BATCH_FIRST_CAP (256 * 1024)

struct rec_hdr {
	uint32_t kind;
	int32_t priority;
	uint64_t time_ns;
	uint64_t len;
};

struct batch {
	char *buf;
	size_t len, cap;
	size_t count;
};

struct store {
	struct store_options o;
	char *path;
	sqlite3 *db;
	struct store_writer w;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the writer waits here */
	pthread_cond_t done;		/* store_flush waits here */
	struct batch active, spare;
	uint64_t accepted, done_seq;	/* records appended / written or failed */
	bool stop, flush_wanted;
	bool failing;			/* the error was reported; quiet until it works */
	uint64_t filtered;		/* atomic: counted without the lock */
	uint64_t last_retention_ns;
	uint64_t last_incident_id;	/* in the file at open */
	struct store_stats st;		/* under lock */
};

void store_options_default(struct store_options *o)
{
	memset(o, 0, sizeof(*o));
	o->batch_window_ns = 200 * NS_PER_MS;
	o->batch_max = 5000;
	o->queue_max = 100000;
	o->queue_max_bytes = 64ULL << 20;
	o->retention_age_ns = 30ULL * 86400 * NS_PER_SEC;
	o->retention_bytes = 1ULL << 30;
	o->events = STORE_EVENTS_SECURITY;
	o->keep_exit = true;
}

static uint64_t clock_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static size_t record_size(size_t json_len)
{
	return sizeof(struct rec_hdr) + ((json_len + 7) & ~(size_t)7);
}

/* ---- the hot path ------------------------------------------------------ */

static bool batch_reserve(struct batch *b, size_t need)
{
	size_t cap = b->cap ? b->cap : BATCH_FIRST_CAP;
	char *buf;

	while (cap < b->len + need)
		cap *= 2;
	if (cap == b->cap)
		return true;
	buf = realloc(b->buf, cap);
	if (!buf)
		return false;
	b->buf = buf;
	b->cap = cap;
	return true;
}

void store_append(struct store *s, const struct out_record *r)
{
	struct rec_hdr h = { r->kind, r->priority, r->time_ns, r->len };
	size_t need = record_size(r->len);
	struct batch *b = &s->active;

	if ((r->kind == OUT_EVENT &&
	     !store_filter_keep_event(r->json, r->len, s->o.events, s->o.keep_exit)) ||
	    (unsigned)r->kind >= OUT_KIND_MAX) {
		__atomic_fetch_add(&s->filtered, 1, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (b->count >= s->o.queue_max || b->len + need > s->o.queue_max_bytes ||
	    !batch_reserve(b, need)) {
		s->st.dropped++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	memcpy(b->buf + b->len, &h, sizeof(h));
	memcpy(b->buf + b->len + sizeof(h), r->json, r->len);
	b->len += need;
	b->count++;
	s->accepted++;
	s->st.appended++;
	if (b->count == s->o.batch_max)
		pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the writer thread ------------------------------------------------- */

static void report_failure(struct store *s, int rc, size_t lost)
{
	char msg[sizeof(s->st.last_error)];

	snprintf(msg, sizeof(msg), "%s: writing failed: %s (%s)", s->path,
		 sqlite3_errmsg(s->db), sqlite3_errstr(rc));
	pthread_mutex_lock(&s->lock);
	s->st.failed += lost;
	memcpy(s->st.last_error, msg, sizeof(msg));
	pthread_mutex_unlock(&s->lock);
	if (!s->failing)
		fprintf(stderr, "vigil: store: %s; dropping records until it works again\n", msg);
	s->failing = true;
}

static void report_invalid(struct store *s, size_t index, int rc)
{
	pthread_mutex_lock(&s->lock);
	s->st.failed++;
	snprintf(s->st.last_error, sizeof(s->st.last_error),
		 "%s: record %zu of a batch refused: %s", s->path, index,
		 rc == SQLITE_MISMATCH ? "not a JSON object of a known kind (or an incident "
		 "without incident_id)" : sqlite3_errstr(rc));
	pthread_mutex_unlock(&s->lock);
}

/* Is this a problem of the record rather than of the database? */
static bool record_problem(int rc)
{
	return rc == SQLITE_MISMATCH || rc == SQLITE_TOOBIG;
}

static void write_batch(struct store *s, struct batch *b)
{
	uint64_t start = clock_of(CLOCK_MONOTONIC), took;
	size_t off = 0, invalid = 0, i = 0;
	int rc = store_writer_begin(&s->w);

	for (; rc == SQLITE_OK && off < b->len; i++) {
		struct rec_hdr h;
		memcpy(&h, b->buf + off, sizeof(h));
		struct out_record r = { h.kind, h.priority, h.time_ns,
					b->buf + off + sizeof(h), h.len };

		rc = store_writer_record(&s->w, &r);
		if (record_problem(rc)) {
			report_invalid(s, i, rc);
			invalid++;
			rc = SQLITE_OK;
		}
		off += record_size(h.len);
	}
	if (rc == SQLITE_OK)
		rc = store_writer_commit(&s->w);
	if (rc != SQLITE_OK) {
		store_writer_rollback(&s->w);
		report_failure(s, rc, b->count - invalid);
		return;
	}
	if (s->failing)
		fprintf(stderr, "vigil: store: %s: writing works again\n", s->path);
	s->failing = false;
	took = clock_of(CLOCK_MONOTONIC) - start;
	pthread_mutex_lock(&s->lock);
	s->st.written += b->count - invalid;
	s->st.batches++;
	s->st.last_batch_ns = took;
	if (took > s->st.max_batch_ns)
		s->st.max_batch_ns = took;
	pthread_mutex_unlock(&s->lock);
}

static void maybe_retention(struct store *s, bool now)
{
	uint64_t mono = clock_of(CLOCK_MONOTONIC), deleted = 0;
	int rc;

	if (!now && mono < s->last_retention_ns + RETENTION_EVERY_NS)
		return;
	s->last_retention_ns = mono;
	rc = store_retention_pass(s->db, clock_of(CLOCK_REALTIME), s->o.retention_age_ns,
				  s->o.retention_bytes,
				  now ? RETENTION_FIRST_BUDGET_NS : RETENTION_BUDGET_NS, &deleted);
	pthread_mutex_lock(&s->lock);
	s->st.deleted += deleted;
	if (rc != SQLITE_OK)
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: retention: %s",
			 s->path, sqlite3_errmsg(s->db));
	pthread_mutex_unlock(&s->lock);
}

/* Under the lock: wait for a full batch, the window's end, a flush or
 * stop.  Windows keep a fixed cadence (the time spent writing the last
 * batch counts toward the next window), so a batch never holds more than
 * one window of records while the writer keeps up. */
static void wait_for_batch(struct store *s, uint64_t *deadline)
{
	uint64_t now = clock_of(CLOCK_MONOTONIC);
	struct timespec ts;

	*deadline = *deadline > now ? *deadline : now;
	ts.tv_sec = (time_t)(*deadline / NS_PER_SEC);
	ts.tv_nsec = (long)(*deadline % NS_PER_SEC);
	while (!s->stop && !s->flush_wanted && s->active.count < s->o.batch_max)
		if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT)
			break;
	*deadline += s->o.batch_window_ns;
}

static void *writer_main(void *arg)
{
	struct store *s = arg;
	uint64_t deadline = clock_of(CLOCK_MONOTONIC) + s->o.batch_window_ns;

	maybe_retention(s, true);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct batch taken;
		uint64_t seq;

		wait_for_batch(s, &deadline);
		taken = s->active;
		s->active = s->spare;
		s->active.len = s->active.count = 0;
		s->spare = taken;
		seq = s->accepted;
		s->flush_wanted = false;
		bool last = s->stop;
		pthread_mutex_unlock(&s->lock);

		if (taken.count)
			write_batch(s, &taken);
		maybe_retention(s, false);

		pthread_mutex_lock(&s->lock);
		s->done_seq = seq;
		pthread_cond_broadcast(&s->done);
		if (last)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

static int init_sync(struct store *s)
{
	pthread_condattr_t ca;
	int rc;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -1;
	if (pthread_cond_init(&s->done, NULL) != 0) {
		pthread_cond_destroy(&s->wake);
		return -1;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->done);
		return -1;
	}
	return 0;
}

static void free_store(struct store *s)
{
	store_writer_fini(&s->w);
	sqlite3_close(s->db);
	free(s->active.buf);
	free(s->spare.buf);
	free(s->path);
	free(s);
}

static uint64_t max_incident_id(sqlite3 *db)
{
	sqlite3_stmt *st;
	uint64_t id = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(id) FROM incidents", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

uint64_t store_last_incident_id(const struct store *s)
{
	return s->last_incident_id;
}

struct store *store_open(const struct store_options *o, char *err, size_t errlen)
{
	struct store *s;

	if (!o->path || !o->path[0]) {
		snprintf(err, errlen, "store: no path given (store.path)");
		return NULL;
	}
	if (!o->batch_max || !o->queue_max || !o->batch_window_ns) {
		snprintf(err, errlen, "store: batch window, batch size and queue size must be > 0");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(o->path))) {
		snprintf(err, errlen, "store: out of memory");
		free(s);
		return NULL;
	}
	s->o = *o;
	s->o.path = s->path;
	if (!(s->db = store_db_open_writer(s->path, err, errlen)) ||
	    store_writer_init(&s->w, s->db, err, errlen) != 0) {
		free_store(s);
		return NULL;
	}
	s->last_incident_id = max_incident_id(s->db);
	if (init_sync(s) != 0) {
		snprintf(err, errlen, "store: cannot create locks");
		free_store(s);
		return NULL;
	}
	if ((errno = pthread_create(&s->thread, NULL, writer_main, s)) != 0) {
		snprintf(err, errlen, "store: cannot start the writer thread: %s", strerror(errno));
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->done);
		free_store(s);
		return NULL;
	}
	return s;
}

void store_flush(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t target = s->accepted;

	s->flush_wanted = true;
	pthread_cond_signal(&s->wake);
	while (s->done_seq < target)
		pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void store_get_stats(struct store *s, struct store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	out->queued = s->active.count;
	pthread_mutex_unlock(&s->lock);
	out->filtered = __atomic_load_n(&s->filtered, __ATOMIC_RELAXED);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	free_store(s);
}

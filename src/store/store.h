/* store.h - the audit store: the security-relevant records (kept events,
 * alerts, incidents, response actions, model changes) in SQLite, so that
 * what happened stays answerable after the container is gone.
 *
 * The agent's thread only copies a record into an in-memory batch
 * (store_append: no parsing, no I/O, bounded; a full queue drops and
 * counts).  A writer thread swaps the batch out every batch window (or
 * when it holds batch_max records), parses the JSON into indexed columns
 * and inserts the batch in one transaction.  Retention (age, size) runs
 * in the same thread, a small chunk at a time.
 *
 * Disk full or I/O errors never stop the agent: the error is printed
 * once on stderr, the batch is dropped and counted in "failed", and the
 * next batch tries again.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/out_record.h"

/* Which sensor events are kept (alerts, incidents, actions and model
 * changes always are).  See store_filter.h for the details. */
enum store_events_mode {
	STORE_EVENTS_NONE,		/* no sensor events at all */
	STORE_EVENTS_SECURITY,		/* the default: execs, writes, sensitive reads,
					   network, privilege, containers */
	STORE_EVENTS_ALL,		/* every event (large) */
};

struct store_options {
	const char *path;		/* the database file, e.g. STATE_DIR/audit.db */
	uint64_t batch_window_ns;	/* default 200 ms */
	size_t batch_max;		/* records per transaction before the window ends; 5000 */
	size_t queue_max;		/* records waiting; more are dropped; 100000 */
	size_t queue_max_bytes;		/* JSON bytes waiting; 64 MiB */
	uint64_t retention_age_ns;	/* default 30 days; 0 = keep forever */
	uint64_t retention_bytes;	/* default 1 GiB; 0 = no size limit */
	enum store_events_mode events;	/* default STORE_EVENTS_SECURITY */
	bool keep_exit;			/* also keep exit events (default true) */
};

/* Defaults for every field (path NULL: the caller sets it). */
void store_options_default(struct store_options *o);

struct store_stats {
	uint64_t appended;		/* accepted by store_append */
	uint64_t filtered;		/* events store_append did not keep (by design) */
	uint64_t written;		/* rows committed */
	uint64_t dropped;		/* queue full */
	uint64_t failed;		/* lost to disk full / I/O errors */
	uint64_t batches;		/* transactions committed */
	uint64_t deleted;		/* rows removed by retention */
	uint64_t queued;		/* waiting now */
	uint64_t last_batch_ns;		/* time the last batch took to parse and commit */
	uint64_t max_batch_ns;		/* the longest so far */
	char last_error[256];		/* "" when none yet */
};

struct store;

/* Opens (creating if needed) the database and starts the writer thread.
 * NULL on error, with the reason in err ("audit.db: schema version 3 is
 * newer than this vigil understands (1)").  A corrupt file is moved aside
 * to <path>.corrupt-<unix time> (said on stderr) and a new store started. */
struct store *store_open(const struct store_options *o, char *err, size_t errlen);

/* The agent's hot path: copy the record (or count it as filtered or
 * dropped).  Never blocks on I/O.  Thread-safe. */
void store_append(struct store *s, const struct out_record *r);

/* Wait until everything appended so far is committed (or failed). */
void store_flush(struct store *s);

void store_get_stats(struct store *s, struct store_stats *out);

/* The highest incident id in the file when it was opened, so that the
 * alert pipeline can go on from there (its first_incident_id) and ids
 * stay unique across restarts. */
uint64_t store_last_incident_id(const struct store *s);

/* Flushes, stops the writer thread, closes the database. */
void store_close(struct store *s);

#endif

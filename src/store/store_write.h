/* store_write.h - one record's JSON into the indexed columns of its
 * table, within the transaction the writer thread opened for its batch. */
#ifndef VIGIL_STORE_WRITE_H
#define VIGIL_STORE_WRITE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "output/out_record.h"

#define STORE_BATCH_WORKLOADS 64	/* containers remembered per batch */

struct store_writer {
	sqlite3 *db;
	sqlite3_stmt *event, *alert, *incident, *action, *workload, *event_exists;
	/* the containers seen in this batch: one upsert each at commit */
	struct batch_workload {
		char *id, *kind, *name, *image, *pod, *namespace, *json;
		uint64_t first_ns, last_ns;
	} workloads[STORE_BATCH_WORKLOADS];
	size_t nworkloads;
};

int store_writer_init(struct store_writer *w, sqlite3 *db, char *err, size_t errlen);
void store_writer_fini(struct store_writer *w);

/* BEGIN, records, COMMIT: SQLite result codes (SQLITE_OK on success).
 * store_writer_record returns SQLITE_MISMATCH for a record that is not a
 * JSON object (skipped; the batch goes on). */
int store_writer_begin(struct store_writer *w);
int store_writer_record(struct store_writer *w, const struct out_record *r);
int store_writer_commit(struct store_writer *w);
void store_writer_rollback(struct store_writer *w);

#endif

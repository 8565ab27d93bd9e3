/* store_retention.h - forgetting the oldest rows: by age, and by size
 * when the live pages of the file pass the limit.  Deletes run in small
 * chunks, each its own short transaction, and a pass stops after a time
 * budget, so the writer's inserts never wait long. */
#ifndef VIGIL_STORE_RETENTION_H
#define VIGIL_STORE_RETENTION_H

#include <sqlite3.h>
#include <stdint.h>

#define STORE_RETENTION_CHUNK 2000	/* rows per DELETE */

/* One pass; rows removed are added to *deleted.  Returns an SQLite code. */
int store_retention_pass(sqlite3 *db, uint64_t now_ns, uint64_t age_ns, uint64_t max_bytes,
			 uint64_t budget_ns, uint64_t *deleted);

/* Bytes in use: pages that are not on the free list. */
int64_t store_used_bytes(sqlite3 *db);

#endif

/* store_retention.c - age and size limits, a chunk at a time. */
#include "store/store_retention.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Tables and the column their age is read from, most voluminous first
 * (when the file is too big, events go before alerts and incidents). */
static const struct { const char *table, *key, *time; } tables[] = {
	{"events", "id", "time_ns"},
	{"actions", "id", "time_ns"},
	{"alerts", "id", "time_ns"},
	{"incidents", "id", "last_ns"},
	{"workloads", "container_id", "last_ns"},
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* DELETE of up to rows rows: older than cutoff, or just the oldest when
 * cutoff is UINT64_MAX.  Returns rows deleted, -1 on error (*rc). */
static int64_t delete_chunk(sqlite3 *db, size_t t, uint64_t cutoff, int64_t rows, int *rc)
{
	char sql[320];
	sqlite3_stmt *st;
	bool by_age = cutoff != UINT64_MAX;

	char where[64] = "";

	if (by_age)
		snprintf(where, sizeof(where), "WHERE %s < ?1", tables[t].time);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM %s WHERE %s IN (SELECT %s FROM %s %s ORDER BY %s LIMIT %lld)",
		 tables[t].table, tables[t].key, tables[t].key, tables[t].table, where,
		 tables[t].time, (long long)rows);
	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	if (by_age)
		sqlite3_bind_int64(st, 1, (int64_t)cutoff);
	*rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (*rc != SQLITE_DONE)
		return -1;
	*rc = SQLITE_OK;
	return sqlite3_changes(db);
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t store_used_bytes(sqlite3 *db)
{
	int64_t pages = pragma_int(db, "PRAGMA page_count");
	int64_t free_pages = pragma_int(db, "PRAGMA freelist_count");
	int64_t size = pragma_int(db, "PRAGMA page_size");

	if (pages < 0 || free_pages < 0 || size < 0)
		return -1;
	return (pages - free_pages) * size;
}

static int by_age(sqlite3 *db, uint64_t cutoff, uint64_t deadline, uint64_t *deleted)
{
	int rc = SQLITE_OK;

	for (size_t t = 0; t < NTABLES; t++) {
		int64_t n;
		do {
			n = delete_chunk(db, t, cutoff, STORE_RETENTION_CHUNK, &rc);
			if (n < 0)
				return rc;
			*deleted += (uint64_t)n;
		} while (n == STORE_RETENTION_CHUNK && mono_ns() < deadline);
	}
	return rc;
}

/* Oldest first, events before the rest, until under the limit. */
static int by_size(sqlite3 *db, uint64_t max_bytes, uint64_t deadline, uint64_t *deleted)
{
	int rc = SQLITE_OK;
	size_t t = 0;

	while (t < NTABLES - 1 && mono_ns() < deadline) {
		int64_t used = store_used_bytes(db), n, rows;

		if (used < 0 || (uint64_t)used <= max_bytes)
			break;
		/* as many rows as the excess holds at 4 KiB a row: rarely more
		 * than needed, since most rows are smaller */
		rows = (used - (int64_t)max_bytes) / 4096 + 1;
		n = delete_chunk(db, t, UINT64_MAX, rows < STORE_RETENTION_CHUNK ? rows :
				 STORE_RETENTION_CHUNK, &rc);
		if (n < 0)
			return rc;
		*deleted += (uint64_t)n;
		if (n == 0)
			t++;	/* this table is empty: the next one */
	}
	return rc;
}

int store_retention_pass(sqlite3 *db, uint64_t now_ns, uint64_t age_ns, uint64_t max_bytes,
			 uint64_t budget_ns, uint64_t *deleted)
{
	uint64_t deadline = mono_ns() + budget_ns;
	int rc = SQLITE_OK;

	if (age_ns && now_ns > age_ns)
		rc = by_age(db, now_ns - age_ns, deadline, deleted);
	if (rc == SQLITE_OK && max_bytes)
		rc = by_size(db, max_bytes, deadline, deleted);
	/* give freed pages back to the file system, up to 64 MiB a pass */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA incremental_vacuum(16384)", NULL, NULL, NULL);
	return rc;
}

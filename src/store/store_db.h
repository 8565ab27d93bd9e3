/* store_db.h - the audit database file: opening it for the writer (WAL,
 * schema creation, version check, a corrupt file set aside) or for the
 * query commands (read-only, concurrently with a running agent). */
#ifndef VIGIL_STORE_DB_H
#define VIGIL_STORE_DB_H

#include <sqlite3.h>
#include <stddef.h>

/* Version 1: events, alerts, incidents, actions, workloads, meta. */
#define STORE_SCHEMA_VERSION 1

/* For the agent: creates the file and schema as needed.  A file SQLite
 * calls corrupt or not a database is renamed to <path>.corrupt-<time>
 * (with its -wal and -shm), said on stderr, and a new one created.  A
 * newer schema version is refused.  NULL with err set on failure. */
sqlite3 *store_db_open_writer(const char *path, char *err, size_t errlen);

/* For the commands: read-only; refuses a missing file and a newer schema. */
sqlite3 *store_db_open_reader(const char *path, char *err, size_t errlen);

/* sqlite3_exec with the message put into err ("what: message"). */
int store_db_exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen);

#endif

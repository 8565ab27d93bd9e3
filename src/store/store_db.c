/* store_db.c - opening the audit database, its schema and its version. */
#include "store/store_db.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define TEXT_OF(x) #x
#define TEXT_OF_VALUE(x) TEXT_OF(x)
#define SCHEMA_VERSION_TEXT TEXT_OF_VALUE(STORE_SCHEMA_VERSION)

static const char schema_sql[] =
	"BEGIN;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events("
	" id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, type TEXT NOT NULL,"
	" pid INTEGER, ppid INTEGER, exec_id TEXT, parent_exec_id TEXT, exe TEXT, path TEXT,"
	" container_id TEXT, container_name TEXT, image TEXT, pod TEXT, namespace TEXT,"
	" workload_kind TEXT, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_time ON events(time_ns);"
	"CREATE INDEX IF NOT EXISTS events_type ON events(type, time_ns);"
	"CREATE INDEX IF NOT EXISTS events_container ON events(container_id, time_ns)"
	" WHERE container_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS events_container_name ON events(container_name, time_ns)"
	" WHERE container_name IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS events_pod ON events(pod, time_ns) WHERE pod IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS events_pid ON events(pid, time_ns);"
	"CREATE INDEX IF NOT EXISTS events_exec_id ON events(exec_id);"
	"CREATE INDEX IF NOT EXISTS events_parent ON events(parent_exec_id) WHERE type = 'exec';"
	"CREATE TABLE IF NOT EXISTS alerts("
	" id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, rule TEXT, priority TEXT,"
	" kind TEXT, container_id TEXT, container_name TEXT, exec_id TEXT, pid INTEGER,"
	" incident_id INTEGER, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_ns);"
	"CREATE INDEX IF NOT EXISTS alerts_incident ON alerts(incident_id)"
	" WHERE incident_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS alerts_container ON alerts(container_id, time_ns);"
	"CREATE TABLE IF NOT EXISTS incidents("
	" id INTEGER PRIMARY KEY, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,"
	" severity INTEGER, title TEXT, container_id TEXT, container_name TEXT,"
	" count INTEGER, closed INTEGER, root_exec_id TEXT, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS incidents_last ON incidents(last_ns);"
	"CREATE TABLE IF NOT EXISTS actions("
	" id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, action TEXT, outcome TEXT,"
	" container_id TEXT, container_name TEXT, pid INTEGER, incident_id INTEGER,"
	" json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS actions_time ON actions(time_ns);"
	"CREATE INDEX IF NOT EXISTS actions_incident ON actions(incident_id)"
	" WHERE incident_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS actions_container ON actions(container_id, time_ns);"
	"CREATE TABLE IF NOT EXISTS workloads("
	" container_id TEXT PRIMARY KEY, kind TEXT, name TEXT, image TEXT, pod TEXT,"
	" namespace TEXT, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, json TEXT);"
	"CREATE INDEX IF NOT EXISTS workloads_last ON workloads(last_ns);"
	"INSERT OR IGNORE INTO meta VALUES('schema_version', '" SCHEMA_VERSION_TEXT "');"
	"COMMIT;";

int store_db_exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK && err && errlen)
		snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

/* The schema version recorded in the file: 0 when there is no meta
 * table yet (a new file), -1 with err set when it cannot be read. */
static int schema_version(sqlite3 *db, const char *path, int *rc_out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, version = 0;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'",
				-1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_int(st, 0)) {
		sqlite3_finalize(st);
		st = NULL;
		rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'",
					-1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			version = atoi((const char *)sqlite3_column_text(st, 0));
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	*rc_out = rc;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot read the schema: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	return version;
}

static bool refuse_newer(int version, const char *path, char *err, size_t errlen)
{
	if (version <= STORE_SCHEMA_VERSION)
		return false;
	snprintf(err, errlen, "%s: schema version %d is newer than this vigil understands (%d); "
		 "use a newer vigil, or move the file away to start a new store", path, version,
		 STORE_SCHEMA_VERSION);
	return true;
}

static bool is_corruption(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

/* Move path (and its -wal, -shm) to path.corrupt-<time>[-wal|-shm]. */
static int set_aside(const char *path, const char *why)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char from[4200], to[4200];
	long now = (long)time(NULL);

	for (size_t i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
		snprintf(to, sizeof(to), "%s.corrupt-%ld%s", path, now, suffixes[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			fprintf(stderr, "vigil: store: %s is corrupt (%s) and cannot be moved to %s: %s\n",
				path, why, to, strerror(errno));
			return -1;
		}
	}
	fprintf(stderr, "vigil: store: %s is corrupt (%s); moved it to %s.corrupt-%ld "
		"and started a new store\n", path, why, path, now);
	return 0;
}

/* One attempt: *corrupt says whether the file should be set aside. */
static sqlite3 *open_writer_once(const char *path, bool *corrupt, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc, version;

	*corrupt = false;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* auto_vacuum must be chosen before anything is written to a new file
	 * (WAL mode writes the header); retention then gives pages back with
	 * incremental_vacuum.  On an existing file this changes nothing. */
	rc = store_db_exec(db, "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL", path,
			   err, errlen);
	if (rc == SQLITE_OK)
		version = schema_version(db, path, &rc, err, errlen);
	if (rc != SQLITE_OK) {
		*corrupt = is_corruption(rc);
		sqlite3_close(db);
		return NULL;
	}
	if (refuse_newer(version, path, err, errlen)) {
		sqlite3_close(db);
		return NULL;
	}
	/* NORMAL in WAL mode: a crash of the agent loses nothing committed;
	 * only a power loss may lose the last transactions. */
	if (store_db_exec(db, "PRAGMA synchronous=NORMAL;"
			  "PRAGMA journal_size_limit=67108864;", path, err, errlen) != SQLITE_OK ||
	    (version == 0 && store_db_exec(db, schema_sql, path, err, errlen) != SQLITE_OK)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

sqlite3 *store_db_open_writer(const char *path, char *err, size_t errlen)
{
	bool corrupt;
	sqlite3 *db = open_writer_once(path, &corrupt, err, errlen);

	if (db || !corrupt)
		return db;
	if (set_aside(path, err) != 0)
		return NULL;
	return open_writer_once(path, &corrupt, err, errlen);
}

sqlite3 *store_db_open_reader(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	struct stat st;
	int rc, version;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s (no audit store yet: is store.enabled on?)", path,
			 strerror(errno));
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	version = schema_version(db, path, &rc, err, errlen);
	if (rc != SQLITE_OK || refuse_newer(version, path, err, errlen)) {
		sqlite3_close(db);
		return NULL;
	}
	if (version == 0) {
		snprintf(err, errlen, "%s: not an audit store (no schema)", path);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* store_cmd.c - vigil events, vigil incidents, vigil export. */
#include "store/store_cmd.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_query.h"

#define DEFAULT_LIMIT 1000

/* ---- vigil events ------------------------------------------------------ */

static void events_where(struct sql_builder *b, const struct query *q)
{
	bool first = true;
	int v;

	if (q->workload) {
		v = sql_text(b, q->workload);
		sql_and(b, &first);
		sql_add(b, "(workload_kind = ?%d OR pod = ?%d OR container_name = ?%d OR "
			"(length(?%d) >= 4 AND substr(container_id, 1, length(?%d)) = ?%d))",
			v, v, v, v, v, v);
	}
	if (q->container)
		sql_container(b, &first, "container_id", "container_name", q->container);
	if (q->pod) {
		const char *slash = strchr(q->pod, '/');
		v = sql_text(b, q->pod);
		sql_and(b, &first);
		if (slash)	/* NAMESPACE/NAME */
			sql_add(b, "namespace || '/' || pod = ?%d", v);
		else
			sql_add(b, "pod = ?%d", v);
	}
	if (q->ntypes) {
		sql_and(b, &first);
		sql_add(b, "type IN (");
		for (size_t i = 0; i < q->ntypes; i++)
			sql_add(b, "%s?%d", i ? ", " : "", sql_text(b, q->types[i]));
		sql_add(b, ")");
	}
	if (q->process) {
		bool pid = q->process[0] && strspn(q->process, "0123456789") == strlen(q->process);
		v = pid ? sql_int(b, atoll(q->process)) : sql_text(b, q->process);
		sql_and(b, &first);
		if (pid)
			sql_add(b, "pid = ?%d", v);
		else if (strchr(q->process, '/'))
			sql_add(b, "exe GLOB ?%d", v);
		else	/* a bare name: in any directory */
			sql_add(b, "(exe GLOB ?%d OR exe GLOB '*/' || ?%d)", v, v);
	}
	if (q->path) {
		sql_and(b, &first);
		sql_add(b, "path GLOB ?%d", sql_text(b, q->path));
	}
	sql_time(b, &first, q, "time_ns");
}

static void add_text(char *buf, size_t cap, const char *fmt, const char *s)
{
	size_t n = strlen(buf);

	if (n < cap)
		snprintf(buf + n, cap - n, fmt, s);
}

/* A few words on what the event did beyond its path: the command line,
 * the exit code, write or read, the error. */
static void event_short(const char *json, char *buf, size_t cap)
{
	cJSON *root = cJSON_Parse(json), *v;
	const cJSON *proc, *args, *file;
	const char *type;

	buf[0] = '\0';
	if (!root)
		return;
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "event"));
	proc = cJSON_GetObjectItemCaseSensitive(root, "proc");
	if (type && !strcmp(type, "exec") && (args = cJSON_GetObjectItemCaseSensitive(proc, "args"))) {
		cJSON_ArrayForEach(v, args)
			if (cJSON_IsString(v))
				add_text(buf, cap, buf[0] ? " %s" : "%s", v->valuestring);
	} else if ((v = cJSON_GetObjectItemCaseSensitive(root, "exit"))) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(v, "code");
		const cJSON *sig = cJSON_GetObjectItemCaseSensitive(v, "signal");
		snprintf(buf, cap, sig ? "signal %d" : "code %d",
			 sig ? (int)sig->valuedouble : code ? (int)code->valuedouble : 0);
	} else if (type && !strcmp(type, "open") &&
		   (file = cJSON_GetObjectItemCaseSensitive(root, "file")) &&
		   (v = cJSON_GetObjectItemCaseSensitive(file, "flags")) && cJSON_IsNumber(v)) {
		int flags = (int)v->valuedouble;
		snprintf(buf, cap, "%s", (flags & O_ACCMODE) != O_RDONLY ||
			 (flags & (O_CREAT | O_TRUNC)) ? "write" : "read");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "error")) && cJSON_IsString(v))
		add_text(buf, cap, buf[0] ? " (%s)" : "%s", v->valuestring);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "from_alert")) && cJSON_IsString(v))
		add_text(buf, cap, " [from alert: %s]", v->valuestring);
	cJSON_Delete(root);
}

static void print_event_row(sqlite3_stmt *st)
{
	char when[48], pid[24], shortly[512];
	const char *container = (const char *)sqlite3_column_text(st, 4);
	const char *kind = (const char *)sqlite3_column_text(st, 8);

	format_short_time(when, sizeof(when), (uint64_t)sqlite3_column_int64(st, 0));
	snprintf(pid, sizeof(pid), "%lld", (long long)sqlite3_column_int64(st, 2));
	event_short((const char *)sqlite3_column_text(st, 7), shortly, sizeof(shortly));
	printf("%-23s  ", when);
	print_clean(stdout, (const char *)sqlite3_column_text(st, 1), 15, true);
	printf("  ");
	print_clean(stdout, container ? container : kind ? kind : "-", 16, true);
	printf("  %7s  ", pid);
	print_clean(stdout, (const char *)sqlite3_column_text(st, 3), 28, true);
	printf("  ");
	print_clean(stdout, (const char *)sqlite3_column_text(st, 5), 60, false);
	if (shortly[0]) {
		printf("  ");
		print_clean(stdout, shortly, 80, false);
	}
	printf("\n");
}

int store_cmd_events(const char *db_path, int argc, char **argv)
{
	struct query q = { .db_path = db_path };
	struct sql_builder b;
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc = query_parse(&q, "events", QOPT_WORKLOAD | QOPT_CONTAINER | QOPT_POD | QOPT_TYPE |
			     QOPT_PROCESS | QOPT_PATH | QOPT_SINCE | QOPT_UNTIL | QOPT_LIMIT |
			     QOPT_JSON, DEFAULT_LIMIT, argc, argv);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (!(db = query_open("events", q.db_path)))
		return 1;
	/* the latest N, shown oldest first */
	sql_init(&b, "SELECT * FROM (SELECT time_ns, type, pid, exe, coalesce(container_name,"
		 " substr(container_id, 1, 12)), path, id, json, workload_kind FROM events");
	events_where(&b, &q);
	sql_add(&b, " ORDER BY time_ns DESC, id DESC");
	if (q.limit)
		sql_add(&b, " LIMIT %llu", (unsigned long long)q.limit);
	sql_add(&b, ") ORDER BY time_ns, id");
	if (!(st = sql_prepare(db, &b, "events"))) {
		sqlite3_close(db);
		return 1;
	}
	if (!q.json)
		printf("%-23s  %-15s  %-16s  %7s  %-28s  %s\n", "TIME (UTC)", "TYPE", "CONTAINER",
		       "PID", "EXE", "PATH/PEER");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (q.json)
			printf("%s\n", (const char *)sqlite3_column_text(st, 7));
		else
			print_event_row(st);
	}
	if (rc != SQLITE_DONE)
		fprintf(stderr, "vigil events: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : 1;
}

/* ---- vigil incidents --------------------------------------------------- */

int store_cmd_incidents(const char *db_path, int argc, char **argv)
{
	struct query q = { .db_path = db_path };
	struct sql_builder b;
	sqlite3 *db;
	sqlite3_stmt *st;
	bool first = true;
	int rc = query_parse(&q, "incidents", QOPT_CONTAINER | QOPT_SINCE | QOPT_UNTIL |
			     QOPT_LIMIT | QOPT_JSON, DEFAULT_LIMIT, argc, argv);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (!(db = query_open("incidents", q.db_path)))
		return 1;
	sql_init(&b, "SELECT * FROM (SELECT id, first_ns, last_ns, severity, count,"
		 " coalesce(container_name, substr(container_id, 1, 12), 'host'), title, json, closed"
		 " FROM incidents");
	if (q.container)
		sql_container(&b, &first, "container_id", "container_name", q.container);
	/* an incident belongs to a window it overlaps */
	if (q.has_since) {
		sql_and(&b, &first);
		sql_add(&b, "last_ns >= ?%d", sql_int(&b, (int64_t)q.since));
	}
	if (q.has_until) {
		sql_and(&b, &first);
		sql_add(&b, "first_ns <= ?%d", sql_int(&b, (int64_t)q.until));
	}
	sql_add(&b, " ORDER BY first_ns DESC, id DESC");
	if (q.limit)
		sql_add(&b, " LIMIT %llu", (unsigned long long)q.limit);
	sql_add(&b, ") ORDER BY first_ns, id");
	if (!(st = sql_prepare(db, &b, "incidents"))) {
		sqlite3_close(db);
		return 1;
	}
	if (!q.json)
		printf("%6s  %-23s  %-23s  %3s  %6s  %-16s  %s\n", "ID", "FIRST (UTC)", "LAST",
		       "SEV", "COUNT", "CONTAINER", "TITLE");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char first_t[48], last_t[48];

		if (q.json) {
			printf("%s\n", (const char *)sqlite3_column_text(st, 7));
			continue;
		}
		format_short_time(first_t, sizeof(first_t), (uint64_t)sqlite3_column_int64(st, 1));
		format_short_time(last_t, sizeof(last_t), (uint64_t)sqlite3_column_int64(st, 2));
		printf("%6lld  %-23s  %-23s  %3d  %6lld  ", (long long)sqlite3_column_int64(st, 0),
		       first_t, last_t, sqlite3_column_int(st, 3),
		       (long long)sqlite3_column_int64(st, 4));
		print_clean(stdout, (const char *)sqlite3_column_text(st, 5), 16, true);
		printf("  ");
		print_clean(stdout, (const char *)sqlite3_column_text(st, 6), 100, false);
		printf("%s\n", sqlite3_column_int(st, 8) ? "" : "  (open)");
	}
	if (rc != SQLITE_DONE)
		fprintf(stderr, "vigil incidents: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : 1;
}

/* ---- vigil export ------------------------------------------------------ */

/* One SELECT of the union: time, table order, id, json. */
static void export_part(struct sql_builder *b, const struct query *q, const char *table,
			const char *time_col, int order)
{
	bool first = true;

	sql_add(b, "%sSELECT %s, %d, id, json FROM %s", order ? " UNION ALL " : "", time_col,
		order, table);
	if (q->container)
		sql_container(b, &first, "container_id", "container_name", q->container);
	sql_time(b, &first, q, time_col);
}

int store_cmd_export(const char *db_path, int argc, char **argv)
{
	struct query q = { .db_path = db_path };
	struct sql_builder b;
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc = query_parse(&q, "export", QOPT_CONTAINER | QOPT_SINCE | QOPT_UNTIL, 0,
			     argc, argv);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (!(db = query_open("export", q.db_path)))
		return 1;
	sql_init(&b, "");
	export_part(&b, &q, "events", "time_ns", 0);
	export_part(&b, &q, "alerts", "time_ns", 1);
	export_part(&b, &q, "incidents", "first_ns", 2);
	export_part(&b, &q, "actions", "time_ns", 3);
	sql_add(&b, " ORDER BY 1, 2, 3");
	if (!(st = sql_prepare(db, &b, "export"))) {
		sqlite3_close(db);
		return 1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		printf("%s\n", (const char *)sqlite3_column_text(st, 3));
	if (rc != SQLITE_DONE)
		fprintf(stderr, "vigil export: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : 1;
}

/* test_store.c - the audit store: what goes in comes out through the
 * commands, exactly; incidents upsert; the process tree survives the
 * container; retention; a newer schema and a corrupt file; disk full;
 * kill -9 while writing. */
#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_args.h"
#include "store/store_cmd.h"
#include "store/store_filter.h"
#include "test.h"

#define SEC 1000000000ULL
#define MS 1000000ULL

static char dir[64], db_path[128];

static void fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-store-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(db_path, sizeof(db_path), "%s/audit.db", dir);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", dir);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void rfc3339(char *buf, size_t cap, uint64_t ns)
{
	time_t s = (time_t)(ns / SEC);
	struct tm tm;

	gmtime_r(&s, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%09lluZ", (unsigned long long)(ns % SEC));
}

/* ---- records shaped like the pipeline's ---------------------------------- */

struct ev {
	const char *type, *exe, *path, *exec_id, *parent_exec_id, *container, *name, *pod;
	int pid, ppid, flags;
	uint64_t t;
};

static int event_json(char *buf, size_t cap, const struct ev *e)
{
	char when[48], detail[1024] = "", wl[512];

	rfc3339(when, sizeof(when), e->t);
	if (!strcmp(e->type, "open") || !strcmp(e->type, "unlink") || !strcmp(e->type, "rename"))
		snprintf(detail, sizeof(detail), ",\"file\":{\"path\":\"%s\",\"flags\":%d,\"mode\":0}",
			 e->path, e->flags);
	else if (!strcmp(e->type, "connect"))
		snprintf(detail, sizeof(detail), ",\"net\":{\"family\":\"inet\",\"proto\":\"tcp\","
			 "\"fd\":3,\"local\":{\"addr\":\"10.0.0.2\",\"port\":40000},"
			 "\"remote\":{\"addr\":\"%s\",\"port\":443}}", e->path);
	else if (!strcmp(e->type, "exec"))
		snprintf(detail, sizeof(detail), ",\"exec\":{\"filename\":\"%s\",\"argc\":2}", e->exe);
	else if (!strcmp(e->type, "exit"))
		snprintf(detail, sizeof(detail), ",\"exit\":{\"code\":0}");
	if (e->container)
		snprintf(wl, sizeof(wl), "{\"kind\":\"container\",\"id\":\"%s\",\"runtime\":\"podman\","
			 "\"name\":\"%s\",\"image\":\"docker.io/library/%s:1\"%s%s%s}", e->container,
			 e->name, e->name, e->pod ? ",\"pod\":\"" : "", e->pod ? e->pod : "",
			 e->pod ? "\",\"namespace\":\"shop\"" : "");
	else
		snprintf(wl, sizeof(wl), "{\"kind\":\"host\"}");
	return snprintf(buf, cap,
		"{\"time\":\"%s\",\"host\":\"vm\",\"event\":\"%s\",\"syscall\":\"x\",\"ret\":0,"
		"\"cgroup_id\":7,\"proc\":{\"pid\":%d,\"tid\":%d,\"ppid\":%d,\"uid\":0,\"gid\":0,"
		"\"euid\":0,\"user\":\"root\",\"comm\":\"c\",\"exe\":\"%s\",\"args\":[\"%s\",\"-x\"],"
		"\"cwd\":\"/\",\"exec_id\":\"%s\",\"parent_exec_id\":\"%s\",\"ancestors\":[]}%s,"
		"\"workload\":%s}",
		when, e->type, e->pid, e->pid, e->ppid, e->exe, e->exe, e->exec_id,
		e->parent_exec_id ? e->parent_exec_id : "", detail, wl);
}

static void append_json(struct store *s, enum out_kind kind, uint64_t t, const char *json)
{
	struct out_record r = { kind, OUT_PRIORITY_NONE, t, json, strlen(json) };

	store_append(s, &r);
}

static void append_event(struct store *s, const struct ev *e)
{
	char buf[4096];

	event_json(buf, sizeof(buf), e);
	append_json(s, OUT_EVENT, e->t, buf);
}

static struct store *open_store(uint64_t window_ns)
{
	struct store_options o;
	char err[512] = "";
	struct store *s;

	store_options_default(&o);
	o.path = db_path;
	o.batch_window_ns = window_ns;
	s = store_open(&o, err, sizeof(err));
	if (!s)
		fprintf(stderr, "  store_open: %s\n", err);
	return s;
}

/* ---- running the commands ------------------------------------------------ */

typedef int (*store_cmd_fn)(const char *, int, char **);

/* The command's stdout; *rc its exit status. */
static char *run_cmd(store_cmd_fn fn, int *rc, ...)
{
	char *argv[32], *out = NULL;
	int argc = 0, saved;
	va_list ap;
	FILE *tmp = tmpfile();
	long size;

	va_start(ap, rc);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (!tmp)
		return strdup("");
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	*rc = fn(db_path, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	size = lseek(fileno(tmp), 0, SEEK_END);
	out = calloc(1, (size_t)size + 1);
	if (out && size > 0 && pread(fileno(tmp), out, (size_t)size, 0) != size)
		out[0] = '\0';
	fclose(tmp);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static long long sql_number(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void integrity(char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(out, cap, "(cannot check)");
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(out, cap, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* Rows `vigil events OPT VALUE --json --limit 0` prints; -1 on failure. */
static int json_rows(const char *opt, const char *value)
{
	int rc, n;
	char *out = run_cmd(store_cmd_events, &rc, "events", opt, value, "--json", "--limit", "0",
			    NULL);

	n = rc ? -1 : count_lines(out);
	free(out);
	return n;
}

/* ---- argument parsing ---------------------------------------------------- */

TEST(durations_times_sizes)
{
	uint64_t v;
	char err[256];

	CHECK(store_parse_duration("10m", &v, err, sizeof(err)) == 0 && v == 600 * SEC);
	CHECK(store_parse_duration("2h30m", &v, err, sizeof(err)) == 0 && v == 9000 * SEC);
	CHECK(store_parse_duration("1500ms", &v, err, sizeof(err)) == 0 && v == 1500 * MS);
	CHECK(store_parse_duration("7d", &v, err, sizeof(err)) == 0 && v == 7 * 86400 * SEC);
	CHECK(store_parse_duration("10", &v, err, sizeof(err)) == -1 && strstr(err, "unit"));
	CHECK(store_parse_duration("99999999999999999999d", &v, err, sizeof(err)) == -1);
	CHECK(store_parse_time("2026-11-28T08:37:21Z", 0, &v, err, sizeof(err)) == 0 &&
	      v == 1795855041ULL * SEC);
	CHECK(store_parse_time("2026-11-28T10:37:21.5+02:00", 0, &v, err, sizeof(err)) == 0 &&
	      v == 1795855041ULL * SEC + 500 * MS);
	CHECK(store_parse_time("2026-11-28", 0, &v, err, sizeof(err)) == 0 &&
	      v == 1795824000ULL * SEC);
	CHECK(store_parse_time("2h", 10000 * SEC, &v, err, sizeof(err)) == 0 && v == 2800 * SEC);
	CHECK(store_parse_time("2026-02-30T00:00:00Z", 0, &v, err, sizeof(err)) == -1 &&
	      strstr(err, "range"));
	CHECK(store_parse_time("yesterday", 0, &v, err, sizeof(err)) == -1 &&
	      strstr(err, "'yesterday'"));
	CHECK(store_parse_time("2026-11-28T08:37", 0, &v, err, sizeof(err)) == -1);
	CHECK(store_parse_size("1GiB", &v, err, sizeof(err)) == 0 && v == 1ULL << 30);
	CHECK(store_parse_size("500MB", &v, err, sizeof(err)) == 0 && v == 500000000ULL);
	CHECK(store_parse_size("5 apples", &v, err, sizeof(err)) == -1 && strstr(err, "unit"));
	CHECK(store_parse_count("12", 100, &v, err, sizeof(err)) == 0 && v == 12);
	CHECK(store_parse_count("-1", 100, &v, err, sizeof(err)) == -1);
}

TEST(bad_arguments_are_named)
{
	int rc;
	char *out;

	fresh_dir();
	out = run_cmd(store_cmd_events, &rc, "events", "--since", "yesterday", NULL);
	CHECK_INT(rc, 2);
	free(out);
	out = run_cmd(store_cmd_events, &rc, "events", "--type", "exec,opn", NULL);
	CHECK_INT(rc, 2);
	free(out);
	out = run_cmd(store_cmd_events, &rc, "events", "--limit", NULL);
	CHECK_INT(rc, 2);
	free(out);
	out = run_cmd(store_cmd_incident_show, &rc, "show", NULL);
	CHECK_INT(rc, 2);
	free(out);
	out = run_cmd(store_cmd_events, &rc, "events", NULL);	/* no store yet */
	CHECK_INT(rc, 1);
	free(out);
	remove_dir();
}

/* ---- the filter ------------------------------------------------------------ */

static bool keeps(const char *type, const char *path, int flags)
{
	char buf[4096];
	struct ev e = { type, "/bin/cat", path, "e1", "e0", NULL, NULL, NULL, 5, 1, flags, SEC };
	int n = event_json(buf, sizeof(buf), &e);

	return store_filter_keep_event(buf, (size_t)n, STORE_EVENTS_SECURITY, true);
}

TEST(filter_keeps_security_events)
{
	CHECK(keeps("exec", NULL, 0));
	CHECK(keeps("connect", "1.2.3.4", 0));
	CHECK(keeps("unlink", "/tmp/x", 0));
	CHECK(!keeps("fork", NULL, 0));
	CHECK(!keeps("open", "/usr/lib/libc.so.6", 0));		/* O_RDONLY */
	CHECK(keeps("open", "/tmp/out", 01 | 0100));		/* O_WRONLY|O_CREAT */
	CHECK(keeps("open", "/etc/shadow", 0));
	CHECK(keeps("open", "/home/ann/.ssh/id_ed25519", 0));
	CHECK(!keeps("open", "/home/ann/notes.txt", 0));
	CHECK(!keeps("open", "/etc/ld.so.cache", 0));
	CHECK(store_filter_sensitive_path("/root/.bash_history", 19));
	CHECK(!store_filter_sensitive_path("/rootfs/x", 9));
}

/* ---- 10k mixed records, then the queries --------------------------------- */

static const char *const containers[] = {"aaaa1111bbbb2222", "cccc3333dddd4444",
					 "eeee5555ffff6666"};
static const char *const names[] = {"web-1", "db-1", "cache-1"};
static const char *const types[] = {"exec", "open", "connect", "exit", "fork", "unlink"};
static const char *const exes[] = {"/usr/sbin/nginx", "/usr/bin/curl", "/bin/sh"};

struct expected {
	int web, exec_connect, window, etc, nginx, pid_77, kept, stored_total, by_pod;
};

static void mixed_record(struct store *s, int i, uint64_t base, uint64_t w0, uint64_t w1,
			 struct expected *x)
{
	char exec_id[32], path[64];
	int c = i % 3;
	const char *type = types[i % 6];
	struct ev e = { type, exes[i % 3 == 0 ? 0 : (i / 3) % 3], path, exec_id, "p0",
			containers[c], names[c], c == 1 ? "db-pod" : NULL, 100 + i % 50, 1,
			i % 4 == 0 ? 0 : 01 | 0100, base + (uint64_t)i * 10 * MS };

	snprintf(exec_id, sizeof(exec_id), "x%d", i);
	snprintf(path, sizeof(path), i % 5 == 0 ? "/etc/conf-%d" : "/var/data-%d", i);
	if (!strcmp(type, "connect"))
		snprintf(path, sizeof(path), "10.1.0.%d", i % 200);
	append_event(s, &e);
	if (!strcmp(type, "fork") || (!strcmp(type, "open") && !e.flags))
		return;		/* not kept */
	x->kept++;
	x->web += c == 0;
	x->by_pod += c == 1;
	x->exec_connect += !strcmp(type, "exec") || !strcmp(type, "connect");
	x->window += e.t >= w0 && e.t <= w1;
	x->etc += !strncmp(path, "/etc/", 5) && (!strcmp(type, "open") || !strcmp(type, "unlink"));
	x->nginx += !strcmp(e.exe, "/usr/sbin/nginx");
	x->pid_77 += e.pid == 77;
}

static void append_mixed(struct store *s, uint64_t base, uint64_t w0, uint64_t w1,
			 struct expected *x)
{
	char buf[2048], when[48];

	for (int i = 0; i < 10000; i++) {
		uint64_t t = base + (uint64_t)i * 10 * MS;

		if (i % 100 == 7) {	/* an alert */
			rfc3339(when, sizeof(when), t);
			snprintf(buf, sizeof(buf), "{\"time\":\"%s\",\"rule\":\"Write below etc\","
				 "\"priority\":\"Error\",\"output\":\"x\",\"kind\":\"rule\","
				 "\"source_event\":\"unlink\",\"proc\":{\"pid\":9,\"exec_id\":\"a%d\"},"
				 "\"workload\":{\"kind\":\"container\",\"id\":\"%s\",\"name\":\"%s\"}}",
				 when, i, containers[i % 3], names[i % 3]);
			append_json(s, OUT_ALERT, t, buf);
			x->stored_total++;
		} else if (i % 1000 == 8) {	/* an action */
			snprintf(buf, sizeof(buf), "{\"time\":\"x\",\"kind\":\"action\",\"action\":"
				 "\"kill_process\",\"outcome\":\"done\",\"target\":{\"pid\":%d,"
				 "\"container_id\":\"%s\"}}", i, containers[i % 3]);
			append_json(s, OUT_ACTION, t, buf);
			x->stored_total++;
		} else {
			mixed_record(s, i, base, w0, w1, x);
		}
	}
	x->stored_total += x->kept;
}

TEST(mixed_records_query_exactly)
{
	uint64_t base = now_ns() - 3600 * SEC, w0 = base + 20 * SEC, w1 = base + 30 * SEC;
	struct expected x = {0};
	struct store_stats st;
	struct store *s;
	char since[48], until[48], *out;
	int rc;

	fresh_dir();
	s = open_store(200 * MS);
	CHECK(s != NULL);
	if (!s)
		return;
	append_mixed(s, base, w0, w1, &x);
	store_flush(s);
	store_get_stats(s, &st);
	CHECK_INT(st.written, x.stored_total);
	CHECK_INT(st.dropped, 0);
	CHECK_INT(st.failed, 0);
	CHECK(st.filtered > 0);
	store_close(s);

	out = run_cmd(store_cmd_events, &rc, "events", "--container", "web-1", "--json",
		      "--limit", "0", NULL);
	CHECK_INT(rc, 0);
	CHECK_INT(count_lines(out), x.web);
	CHECK(strstr(out, "\"name\":\"db-1\"") == NULL);
	free(out);
	out = run_cmd(store_cmd_events, &rc, "events", "--container", "aaaa1111", "--json",
		      "--limit=0", NULL);	/* an id prefix */
	CHECK_INT(count_lines(out), x.web);
	free(out);
	CHECK_INT(json_rows("--pod", "shop/db-pod"), x.by_pod);
	CHECK_INT(json_rows("--type", "exec,connect"), x.exec_connect);
	rfc3339(since, sizeof(since), w0);
	rfc3339(until, sizeof(until), w1);
	out = run_cmd(store_cmd_events, &rc, "events", "--since", since, "--until", until,
		      "--json", "--limit", "0", NULL);
	CHECK_INT(count_lines(out), x.window);
	free(out);
	CHECK_INT(json_rows("--path", "/etc/*"), x.etc);
	CHECK_INT(json_rows("--process", "nginx"), x.nginx);
	CHECK_INT(json_rows("--process", "77"), x.pid_77);
	/* the latest 5, oldest first, in a table with a header */
	out = run_cmd(store_cmd_events, &rc, "events", "--limit", "5", NULL);
	CHECK_INT(count_lines(out), 6);
	CHECK(strstr(out, "TIME (UTC)") == out);
	free(out);
	out = run_cmd(store_cmd_export, &rc, "export", NULL);
	CHECK_INT(rc, 0);
	CHECK_INT(count_lines(out), x.stored_total);
	free(out);
	out = run_cmd(store_cmd_export, &rc, "export", "--container", "db-1", NULL);
	CHECK(count_lines(out) > x.by_pod);	/* its events, alerts and actions */
	free(out);
	remove_dir();
}

/* Hostile strings stay data: quotes, control bytes and escapes. */
TEST(hostile_strings_are_safe)
{
	struct store *s;
	struct store_stats st;
	char *out;
	int rc;
	const char *json = "{\"time\":\"2026-11-28T08:00:00Z\",\"event\":\"exec\",\"proc\":"
		"{\"pid\":5,\"exe\":\"/tmp/\\u001b[31mevil\\\"'; DROP TABLE events;--\","
		"\"exec_id\":\"e\"},\"workload\":{\"kind\":\"host\"}}";

	fresh_dir();
	s = open_store(50 * MS);
	if (!s)
		return;
	append_json(s, OUT_EVENT, 1795852800ULL * SEC, json);
	append_json(s, OUT_ALERT, 1795852800ULL * SEC, "not json {");
	append_json(s, OUT_INCIDENT, 1795852800ULL * SEC, "{\"no\":\"id\"}");
	store_flush(s);
	store_get_stats(s, &st);
	CHECK_INT(st.written, 1);
	CHECK_INT(st.failed, 2);
	CHECK(strstr(st.last_error, "refused"));
	store_close(s);
	out = run_cmd(store_cmd_events, &rc, "events", "--process", "/tmp/*", NULL);
	CHECK_INT(rc, 0);
	CHECK(strchr(out, 0x1b) == NULL);
	CHECK(strstr(out, "DROP TABLE"));
	free(out);
	CHECK_INT(sql_number("SELECT count(*) FROM events"), 1);
	remove_dir();
}

/* ---- incidents ------------------------------------------------------------- */

static void append_incident(struct store *s, int id, int version, const char *opened,
			    const char *last, int count, const char *root)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"incident_id\":%d,\"version\":%d,\"opened\":\"%s\","
		 "\"updated\":\"%s\",\"last_alert\":\"%s\",\"closed\":false,\"severity\":%d,"
		 "\"title\":\"Shell then curl in web-1\",\"kind\":\"incident\",\"workload\":"
		 "{\"kind\":\"container\",\"id\":\"aaaa1111bbbb2222\",\"name\":\"web-1\","
		 "\"image\":\"nginx:1\"},\"root_process\":{\"exec_id\":\"%s\",\"pid\":10},"
		 "\"rules\":[],\"tactics\":[],\"actions\":[],\"alert_count\":%d}",
		 id, version, opened, last, last, 40 + version, root, count);
	append_json(s, OUT_INCIDENT, 0, buf);
}

TEST(incident_upsert)
{
	struct store *s;
	char *out;
	int rc;

	fresh_dir();
	s = open_store(50 * MS);
	if (!s)
		return;
	append_incident(s, 5, 1, "2026-11-28T08:00:00Z", "2026-11-28T08:00:00Z", 1, "r");
	store_flush(s);	/* the update in another batch */
	append_incident(s, 5, 2, "2026-11-28T08:00:00Z", "2026-11-28T08:05:00Z", 3, "r");
	append_incident(s, 6, 1, "2026-11-28T09:00:00Z", "2026-11-28T09:00:00Z", 1, "q");
	store_close(s);
	CHECK_INT(sql_number("SELECT count(*) FROM incidents"), 2);
	CHECK_INT(sql_number("SELECT count FROM incidents WHERE id = 5"), 3);
	CHECK_INT(sql_number("SELECT last_ns - first_ns FROM incidents WHERE id = 5"), 300 * SEC);
	out = run_cmd(store_cmd_incidents, &rc, "incidents", "--json", NULL);
	CHECK_INT(count_lines(out), 2);
	CHECK(strstr(out, "\"version\":2") && !strstr(out, "\"version\":1,\"opened\":\"2026-11-28T08"));
	free(out);
	out = run_cmd(store_cmd_incidents, &rc, "incidents", "--since", "2026-11-28T08:30:00Z",
		      NULL);
	CHECK_INT(count_lines(out), 2);	/* header + incident 6 */
	CHECK(strstr(out, "web-1") && strstr(out, "     6  "));
	free(out);
	/* a new agent run goes on after the highest id */
	s = open_store(50 * MS);
	CHECK(s && store_last_incident_id(s) == 6);
	store_close(s);
	remove_dir();
}

/* bash (A) -> sh (B) -> curl (C) in web-1; D is unrelated.  After the
 * container is gone, the tree comes from the stored exec events. */
TEST(process_tree_survives)
{
	uint64_t t0 = 1795852800ULL * SEC;	/* 2026-11-28T08:00:00Z */
	struct ev execs[] = {
		{"exec", "/usr/bin/bash", NULL, "A", "Z", containers[0], "web-1", NULL, 10, 1, 0, t0},
		{"exec", "/bin/sh", NULL, "B", "A", containers[0], "web-1", NULL, 11, 10, 0, t0 + SEC},
		{"exec", "/usr/bin/curl", NULL, "C", "B", containers[0], "web-1", NULL, 12, 11, 0,
		 t0 + 2 * SEC},
		{"exec", "/usr/bin/unrelated", NULL, "D", "Y", containers[0], "web-1", NULL, 13, 1,
		 0, t0 + 2 * SEC},
		{"connect", "/usr/bin/curl", "203.0.113.9", "C", "B", containers[0], "web-1", NULL,
		 12, 11, 0, t0 + 3 * SEC},
		{"container_stop", "", NULL, "", "", containers[0], "web-1", NULL, 0, 0, 0,
		 t0 + 10 * SEC},
	};
	struct store *s;
	char buf[2048], *out;
	int rc;

	fresh_dir();
	s = open_store(50 * MS);
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(execs) / sizeof(execs[0]); i++)
		append_event(s, &execs[i]);
	snprintf(buf, sizeof(buf), "{\"time\":\"2026-11-28T08:00:03Z\",\"rule\":\"Outbound from "
		 "shell child\",\"priority\":\"Critical\",\"kind\":\"rule\",\"source_event\":"
		 "\"connect\",\"output_fields\":{\"evt.time\":%llu},\"proc\":{\"pid\":12,\"exe\":"
		 "\"/usr/bin/curl\",\"args\":[\"curl\",\"http://203.0.113.9\"],\"exec_id\":\"C\","
		 "\"parent_exec_id\":\"B\",\"ancestors\":[{\"pid\":11,\"exe\":\"/bin/sh\",\"exec_id\":"
		 "\"B\"},{\"pid\":10,\"exe\":\"/usr/bin/bash\",\"exec_id\":\"A\"},{\"pid\":1,\"exe\":"
		 "\"/sbin/init\",\"exec_id\":\"Z\"}]},\"incident_id\":1,\"workload\":{\"kind\":"
		 "\"container\",\"id\":\"%s\",\"name\":\"web-1\"}}",
		 (unsigned long long)(t0 + 3 * SEC), containers[0]);
	append_json(s, OUT_ALERT, t0 + 3 * SEC, buf);
	snprintf(buf, sizeof(buf), "{\"time\":\"2026-11-28T08:00:04Z\",\"kind\":\"action\","
		 "\"action\":\"kill_process\",\"trigger\":{\"kind\":\"rule\",\"rule\":\"Outbound\"},"
		 "\"target\":{\"pid\":12,\"container_id\":\"%s\",\"container_name\":\"web-1\"},"
		 "\"outcome\":\"done\"}", containers[0]);
	append_json(s, OUT_ACTION, t0 + 4 * SEC, buf);
	append_incident(s, 1, 1, "2026-11-28T08:00:03Z", "2026-11-28T08:00:03Z", 1, "A");
	store_close(s);

	out = run_cmd(store_cmd_incident_show, &rc, "show", "1", NULL);
	CHECK_INT(rc, 0);
	const char *tree = strstr(out, "Process tree");
	const char *a = tree ? strstr(tree, "/usr/bin/bash (pid 10") : NULL;
	const char *b = a ? strstr(a, "  └─ /bin/sh (pid 11") : NULL;
	const char *c = b ? strstr(b, "    └─ /usr/bin/curl (pid 12") : NULL;
	CHECK(a && b && c);
	CHECK(c && strstr(c, "curl -x") && strstr(c, "[kill_process: done]") &&
	      strstr(c, "[Outbound from shell child]"));
	CHECK(strstr(out, "unrelated") == NULL);
	CHECK(strstr(out, "/sbin/init") == NULL);	/* above the root */
	const char *tl = strstr(out, "Timeline");
	const char *e1 = tl ? strstr(tl, "event   exec") : NULL;
	const char *e2 = e1 ? strstr(e1, "event   connect  pid 12 /usr/bin/curl  203.0.113.9:443") : NULL;
	const char *e3 = e2 ? strstr(e2, "alert   Critical Outbound") : NULL;
	const char *e4 = e3 ? strstr(e3, "action  kill_process: done  (pid 12)") : NULL;
	CHECK(e1 && e2 && e3 && e4 && e4 < tree);
	if (test_failed_now)
		fprintf(stderr, "%s", out);
	free(out);
	out = run_cmd(store_cmd_incident_show, &rc, "show", "1", "--json", NULL);
	CHECK(count_lines(out) >= 6 && strncmp(out, "{\"incident_id\":1", 16) == 0);
	free(out);
	out = run_cmd(store_cmd_incident_show, &rc, "show", "2", NULL);
	CHECK_INT(rc, 1);
	free(out);
	out = run_cmd(store_cmd_events, &rc, "events", "--workload", "web-1", "--json", NULL);
	CHECK_INT(count_lines(out), 6);
	free(out);
	remove_dir();
}

/* ---- retention --------------------------------------------------------------- */

TEST(retention_by_age_and_size)
{
	uint64_t now = now_ns();
	struct store_options o;
	struct store *s;
	char err[256], check[64];
	struct ev e = { "exec", "/bin/true", NULL, "x", "y", NULL, NULL, NULL, 1, 0, 0, 0 };

	fresh_dir();
	s = open_store(50 * MS);
	if (!s)
		return;
	for (int i = 0; i < 300; i++) {
		e.t = i < 100 ? now - 40 * 86400 * SEC + (uint64_t)i : now - (uint64_t)i * SEC;
		e.pid = i;
		append_event(s, &e);
	}
	store_close(s);
	CHECK_INT(sql_number("SELECT count(*) FROM events"), 300);
	s = open_store(50 * MS);	/* retention runs as the writer starts */
	store_flush(s);
	store_close(s);
	CHECK_INT(sql_number("SELECT count(*) FROM events"), 200);
	CHECK_INT(sql_number("SELECT min(pid) FROM events"), 100);

	/* size: ~1.5 KiB rows, a 256 KiB limit keeps the newest */
	s = open_store(50 * MS);
	for (int i = 0; i < 3000; i++) {
		char big[300];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		e.exe = big;
		e.t = now - 50 * SEC + (uint64_t)i * 1000;
		e.pid = 1000 + i;
		append_event(s, &e);
	}
	e.exe = "/bin/true";
	store_close(s);
	store_options_default(&o);
	o.path = db_path;
	o.retention_bytes = 256 * 1024;
	s = store_open(&o, err, sizeof(err));
	CHECK(s != NULL);
	store_flush(s);
	store_close(s);
	long long pages = sql_number("PRAGMA page_count"), size = sql_number("PRAGMA page_size");
	CHECK(pages * size <= 400 * 1024);	/* pages given back to the file system */
	CHECK(sql_number("SELECT count(*) FROM events WHERE pid = 3999") == 1);
	CHECK(sql_number("SELECT count(*) FROM events") < 300);
	integrity(check, sizeof(check));
	CHECK_STR(check, "ok");
	remove_dir();
}

/* ---- damaged and foreign files ------------------------------------------------ */

TEST(newer_schema_refused)
{
	struct store_options o;
	char err[512] = "", *out;
	sqlite3 *db;
	int rc;

	fresh_dir();
	store_close(open_store(50 * MS));
	CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	store_options_default(&o);
	o.path = db_path;
	CHECK(store_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "schema version 99 is newer") != NULL);
	out = run_cmd(store_cmd_events, &rc, "events", NULL);
	CHECK_INT(rc, 1);
	free(out);
	remove_dir();
}

static int count_corrupt_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strncmp(de->d_name, "audit.db.corrupt-", 17) == 0;
	if (d)
		closedir(d);
	return n;
}

TEST(corrupt_file_set_aside)
{
	FILE *f;
	struct store *s;
	struct store_stats st;
	struct ev e = { "exec", "/bin/true", NULL, "x", "y", NULL, NULL, NULL, 1, 0, 0, SEC };

	fresh_dir();
	f = fopen(db_path, "w");
	for (int i = 0; f && i < 500; i++)
		fputs("this is not a database, whatever its name says\n", f);
	if (f)
		fclose(f);
	s = open_store(50 * MS);
	CHECK(s != NULL);
	CHECK_INT(count_corrupt_files(), 1);
	if (s) {
		append_event(s, &e);
		store_flush(s);
		store_get_stats(s, &st);
		CHECK_INT(st.written, 1);
		store_close(s);
	}
	remove_dir();
}

/* ---- disk full ---------------------------------------------------------------- */

static bool write_filler(const char *path, size_t bytes)
{
	FILE *f = fopen(path, "w");
	char block[4096] = {0};
	size_t done = 0;

	if (!f)
		return false;
	while (done < bytes && fwrite(block, 1, sizeof(block), f) == sizeof(block))
		done += sizeof(block);
	return fclose(f) == 0 && done >= bytes;
}

TEST(disk_full_recovers)
{
	char filler[160];
	struct store *s;
	struct store_stats st;
	struct ev e = { "exec", "/usr/bin/some-long-program-name", NULL, "x", "y", containers[0],
			"web-1", NULL, 1, 0, 0, 0 };
	uint64_t t = now_ns();
	int i;

	if (geteuid() != 0) {
		fprintf(stderr, "  disk_full_recovers: skipped (needs root for tmpfs)\n");
		return;
	}
	fresh_dir();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=1m") != 0) {
		perror("  mount tmpfs");
		remove_dir();
		return;
	}
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	CHECK(write_filler(filler, 512 * 1024));
	s = open_store(20 * MS);
	CHECK(s != NULL);
	if (!s)
		goto out;
	for (i = 0, st.failed = 0; i < 200 && !st.failed; i++) {
		for (int j = 0; j < 50; j++) {
			e.t = t++;
			append_event(s, &e);
		}
		store_flush(s);
		store_get_stats(s, &st);
	}
	CHECK(st.failed > 0);
	CHECK(strstr(st.last_error, "full") != NULL);
	unlink(filler);
	uint64_t written = st.written;
	for (int j = 0; j < 50; j++) {
		e.t = t++;
		append_event(s, &e);
	}
	store_flush(s);
	store_get_stats(s, &st);
	CHECK_INT(st.written, written + 50);
	store_close(s);
	CHECK(sql_number("SELECT count(*) FROM events") == (long long)written + 50);
out:
	umount(dir);
	remove_dir();
}

/* ---- kill -9 while writing ------------------------------------------------------ */

struct shared {
	volatile uint64_t appended;
	volatile uint64_t start_ns, last_ns;
	volatile uint64_t max_batch_ns;		/* the writer's longest commit */
};

static void child_appends(struct shared *sh, uint64_t window)
{
	struct store *s = open_store(window);
	struct ev e = { "exec", "/usr/bin/worker", NULL, "x", "y", containers[1], "db-1", NULL,
			0, 1, 0, 0 };
	char buf[4096];
	struct timespec pause = { 0, 50000 };

	if (!s)
		_exit(1);
	sh->start_ns = now_ns();
	for (uint64_t i = 0;; i++) {
		e.pid = (int)i;		/* the sequence number */
		e.t = now_ns();
		event_json(buf, sizeof(buf), &e);
		append_json(s, OUT_EVENT, e.t, buf);
		sh->appended = i + 1;
		sh->last_ns = now_ns();
		if (i % 64 == 0) {
			struct store_stats st;
			store_get_stats(s, &st);
			sh->max_batch_ns = st.max_batch_ns;
		}
		nanosleep(&pause, NULL);
	}
}

TEST(kill9_loses_at_most_one_window)
{
	const uint64_t window = 100 * MS;
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char check[64] = "";
	pid_t pid;

	if (sh == MAP_FAILED)
		return;
	fresh_dir();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child_appends(sh, window);
	usleep(1500 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	integrity(check, sizeof(check));
	CHECK_STR(check, "ok");
	long long rows = sql_number("SELECT count(*) FROM events");
	CHECK_INT(sql_number("SELECT min(id) FROM events"), 1);
	CHECK_INT(sql_number("SELECT max(id) FROM events"), rows);
	CHECK_INT(sql_number("SELECT count(*) FROM events WHERE pid != id - 1"), 0);	/* a prefix */
	double secs = (double)(sh->last_ns - sh->start_ns) / 1e9;
	double rate = (double)sh->appended / secs;
	long long lost = (long long)sh->appended - rows;
	/* Lost: the window being collected, plus, when the kill lands during
	 * a commit, what came in while it ran; a slow commit (a WAL
	 * checkpoint's fsync) also lengthens the batch after it.  So: a
	 * window plus twice the longest commit.  The measured loss is
	 * printed; it is under one window when commits are quick. */
	double max_commit = (double)sh->max_batch_ns / 1e9;
	long long bound = (long long)(rate * ((double)window / 1e9 + 2 * max_commit) * 1.2) + 50;
	fprintf(stderr, "  kill -9: %llu appended at %.0f/s, %lld rows, %lld lost (%.0f ms of "
		"records; window %llu ms, longest commit %.0f ms, bound %lld)\n",
		(unsigned long long)sh->appended, rate, rows, lost, lost / rate * 1000,
		(unsigned long long)(window / MS), max_commit * 1000, bound);
	CHECK(rows > 0);
	CHECK(lost >= 0 && lost <= bound);
	munmap(sh, sizeof(*sh));
	remove_dir();
}

int main(void)
{
	RUN(durations_times_sizes);
	RUN(bad_arguments_are_named);
	RUN(filter_keeps_security_events);
	RUN(mixed_records_query_exactly);
	RUN(hostile_strings_are_safe);
	RUN(incident_upsert);
	RUN(process_tree_survives);
	RUN(retention_by_age_and_size);
	RUN(newer_schema_refused);
	RUN(corrupt_file_set_aside);
	RUN(disk_full_recovers);
	RUN(kill9_loses_at_most_one_window);
	return TEST_SUMMARY();
}

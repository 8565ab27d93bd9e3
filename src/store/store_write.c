/* store_write.c - records into rows.  The JSON is kept whole in every
 * row (the queries give it back in its original shape); the columns are
 * what the queries filter and sort on. */
#include "store/store_write.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_args.h"

static const char sql_event[] =
	"INSERT INTO events(time_ns, type, pid, ppid, exec_id, parent_exec_id, exe, path,"
	" container_id, container_name, image, pod, namespace, workload_kind, json)"
	" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_alert[] =
	"INSERT INTO alerts(time_ns, rule, priority, kind, container_id, container_name,"
	" exec_id, pid, incident_id, json) VALUES(?,?,?,?,?,?,?,?,?,?)";
/* an incident is reported again as it grows: the latest report wins,
 * its window only widens */
static const char sql_incident[] =
	"INSERT INTO incidents(id, first_ns, last_ns, severity, title, container_id,"
	" container_name, count, closed, root_exec_id, json) VALUES(?,?,?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(id) DO UPDATE SET first_ns = min(first_ns, excluded.first_ns),"
	" last_ns = max(last_ns, excluded.last_ns), severity = excluded.severity,"
	" title = excluded.title, container_id = coalesce(excluded.container_id, container_id),"
	" container_name = coalesce(excluded.container_name, container_name),"
	" count = excluded.count, closed = excluded.closed,"
	" root_exec_id = coalesce(excluded.root_exec_id, root_exec_id), json = excluded.json";
static const char sql_action[] =
	"INSERT INTO actions(time_ns, action, outcome, container_id, container_name, pid,"
	" incident_id, json) VALUES(?,?,?,?,?,?,?,?)";
static const char sql_workload[] =
	"INSERT INTO workloads(container_id, kind, name, image, pod, namespace, first_ns,"
	" last_ns, json) VALUES(?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(container_id) DO UPDATE SET kind = coalesce(excluded.kind, kind),"
	" name = coalesce(excluded.name, name), image = coalesce(excluded.image, image),"
	" pod = coalesce(excluded.pod, pod), namespace = coalesce(excluded.namespace, namespace),"
	" first_ns = min(first_ns, excluded.first_ns), last_ns = max(last_ns, excluded.last_ns),"
	" json = coalesce(excluded.json, json)";
static const char sql_event_exists[] =
	"SELECT 1 FROM events WHERE exec_id = ? AND time_ns = ? AND type = ? LIMIT 1";

int store_writer_init(struct store_writer *w, sqlite3 *db, char *err, size_t errlen)
{
	const struct { sqlite3_stmt **st; const char *sql; } all[] = {
		{&w->event, sql_event}, {&w->alert, sql_alert}, {&w->incident, sql_incident},
		{&w->action, sql_action}, {&w->workload, sql_workload},
		{&w->event_exists, sql_event_exists},
	};

	memset(w, 0, sizeof(*w));
	w->db = db;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (sqlite3_prepare_v3(db, all[i].sql, -1, SQLITE_PREPARE_PERSISTENT, all[i].st,
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "store: preparing statements: %s", sqlite3_errmsg(db));
			store_writer_fini(w);
			return -1;
		}
	}
	return 0;
}

static void forget_workloads(struct store_writer *w)
{
	for (size_t i = 0; i < w->nworkloads; i++) {
		struct batch_workload *b = &w->workloads[i];
		free(b->id); free(b->kind); free(b->name); free(b->image);
		free(b->pod); free(b->namespace); free(b->json);
	}
	w->nworkloads = 0;
}

void store_writer_fini(struct store_writer *w)
{
	forget_workloads(w);
	sqlite3_finalize(w->event);
	sqlite3_finalize(w->alert);
	sqlite3_finalize(w->incident);
	sqlite3_finalize(w->action);
	sqlite3_finalize(w->workload);
	sqlite3_finalize(w->event_exists);
	memset(w, 0, sizeof(*w));
}

/* ---- reading the JSON ------------------------------------------------ */

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool num(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

/* A time member (RFC 3339 text) as ns, or fallback. */
static uint64_t time_of(const cJSON *o, const char *key, uint64_t fallback)
{
	const char *s = str(o, key);
	uint64_t ns;

	return s && store_parse_time(s, 0, &ns, NULL, 0) == 0 ? ns : fallback;
}

struct wl_cols {
	const cJSON *obj;
	const char *kind, *id, *name, *image, *pod, *namespace;
};

/* "workload": {kind, id, name, image, pod, namespace}, or the same under
 * "container" and "pod" objects. */
static struct wl_cols workload_cols(const cJSON *root)
{
	struct wl_cols c = {0};
	const cJSON *w = obj(root, "workload"), *src, *pod;

	if (!w)
		return c;
	c.obj = w;
	c.kind = str(w, "kind");
	src = obj(w, "container") ? obj(w, "container") : w;
	c.id = str(src, "id");
	c.name = str(src, "name");
	c.image = str(src, "image");
	pod = obj(w, "pod");
	c.pod = pod ? str(pod, "name") : str(w, "pod");
	c.namespace = pod ? str(pod, "namespace") : str(w, "namespace");
	return c;
}

/* ---- binding ------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_int_of(sqlite3_stmt *st, int i, const cJSON *o, const char *key)
{
	int64_t v;

	if (o && num(o, key, &v))
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int step_once(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- workloads seen in this batch ------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int upsert_workload(struct store_writer *w, const struct batch_workload *b)
{
	sqlite3_stmt *st = w->workload;

	bind_text(st, 1, b->id);
	bind_text(st, 2, b->kind);
	bind_text(st, 3, b->name);
	bind_text(st, 4, b->image);
	bind_text(st, 5, b->pod);
	bind_text(st, 6, b->namespace);
	sqlite3_bind_int64(st, 7, (int64_t)b->first_ns);
	sqlite3_bind_int64(st, 8, (int64_t)b->last_ns);
	bind_text(st, 9, b->json);
	return step_once(st);
}

static int flush_workloads(struct store_writer *w)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < w->nworkloads && rc == SQLITE_OK; i++)
		rc = upsert_workload(w, &w->workloads[i]);
	forget_workloads(w);
	return rc;
}

/* Remember the container; its metadata is written once per batch. */
static int saw_workload(struct store_writer *w, const struct wl_cols *c, uint64_t t)
{
	struct batch_workload *b = NULL;
	int rc = SQLITE_OK;

	if (!c->id)
		return SQLITE_OK;
	for (size_t i = 0; i < w->nworkloads && !b; i++)
		if (strcmp(w->workloads[i].id, c->id) == 0)
			b = &w->workloads[i];
	if (!b) {
		if (w->nworkloads == STORE_BATCH_WORKLOADS && (rc = flush_workloads(w)) != SQLITE_OK)
			return rc;
		b = &w->workloads[w->nworkloads];
		memset(b, 0, sizeof(*b));
		if (!(b->id = strdup(c->id)))
			return SQLITE_NOMEM;
		w->nworkloads++;
		b->first_ns = b->last_ns = t;
	}
	if (t < b->first_ns)
		b->first_ns = t;
	if (t > b->last_ns)
		b->last_ns = t;
	if (!b->name && c->name) {	/* metadata arrives once the runtime answered */
		free(b->kind); free(b->image); free(b->pod); free(b->namespace); free(b->json);
		b->kind = dup_or_null(c->kind);
		b->name = dup_or_null(c->name);
		b->image = dup_or_null(c->image);
		b->pod = dup_or_null(c->pod);
		b->namespace = dup_or_null(c->namespace);
		b->json = cJSON_PrintUnformatted(c->obj);
	}
	return SQLITE_OK;
}

/* ---- one row per kind ------------------------------------------------ */

/* The column "path": the file, the program executed, or the peer. */
static void event_path(const cJSON *root, const char *type, char *buf, size_t cap)
{
	const cJSON *net = obj(root, "net"), *o;
	const char *s = NULL;
	int64_t port;

	buf[0] = '\0';
	if (net) {
		bool local = type && (!strcmp(type, "bind") || !strcmp(type, "listen"));
		o = obj(net, local ? "local" : "remote");
		if (o && (s = str(o, "addr")) && num(o, "port", &port)) {
			snprintf(buf, cap, strchr(s, ':') ? "[%s]:%lld" : "%s:%lld", s, (long long)port);
			return;
		}
		s = o ? str(o, "path") : NULL;
	} else if ((o = obj(root, "file"))) {
		s = str(o, "path") ? str(o, "path") : str(o, "name");
	} else if ((o = obj(root, "exec"))) {
		s = str(o, "filename");
	} else if ((o = obj(root, "module")) || (o = obj(root, "ns"))) {
		s = str(o, "path");
	}
	if (s)
		snprintf(buf, cap, "%s", s);
}

static int insert_event(struct store_writer *w, const cJSON *root, uint64_t t, const char *json,
			size_t len)
{
	sqlite3_stmt *st = w->event;
	const cJSON *proc = obj(root, "proc");
	const char *type = str(root, "event");
	struct wl_cols c = workload_cols(root);
	char path[4200];

	event_path(root, type, path, sizeof(path));
	sqlite3_bind_int64(st, 1, (int64_t)t);
	bind_text(st, 2, type ? type : "unknown");
	bind_int_of(st, 3, proc, "pid");
	bind_int_of(st, 4, proc, "ppid");
	bind_text(st, 5, str(proc, "exec_id"));
	bind_text(st, 6, str(proc, "parent_exec_id"));
	bind_text(st, 7, str(proc, "exe"));
	bind_text(st, 8, path[0] ? path : NULL);
	bind_text(st, 9, c.id);
	bind_text(st, 10, c.name);
	bind_text(st, 11, c.image);
	bind_text(st, 12, c.pod);
	bind_text(st, 13, c.namespace);
	bind_text(st, 14, c.kind);
	sqlite3_bind_text(st, 15, json, (int)len, SQLITE_STATIC);
	int rc = step_once(st);
	return rc == SQLITE_OK ? saw_workload(w, &c, t) : rc;
}

/* An alert about an event the filter did not keep (a plain read of a
 * file a rule cares about): keep what the alert knows of it, so the
 * incident's timeline has it. */
static int keep_alerted_event(struct store_writer *w, const cJSON *root)
{
	const char *type = str(root, "source_event"), *exec_id;
	const cJSON *proc = obj(root, "proc"), *fields = obj(root, "output_fields");
	cJSON *ev;
	int64_t t;
	char *json;
	int rc;

	if (!type || !proc || !fields || !num(fields, "evt.time", &t) ||
	    !(exec_id = str(proc, "exec_id")))
		return SQLITE_OK;
	bind_text(w->event_exists, 1, exec_id);
	sqlite3_bind_int64(w->event_exists, 2, t);
	bind_text(w->event_exists, 3, type);
	rc = sqlite3_step(w->event_exists);
	sqlite3_reset(w->event_exists);
	sqlite3_clear_bindings(w->event_exists);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_ROW ? SQLITE_OK : rc;

	ev = cJSON_CreateObject();
	if (!ev)
		return SQLITE_NOMEM;
	cJSON_AddStringToObject(ev, "time", str(root, "time") ? str(root, "time") : "");
	cJSON_AddStringToObject(ev, "host", str(root, "hostname") ? str(root, "hostname") : "");
	cJSON_AddStringToObject(ev, "event", type);
	cJSON_AddItemToObject(ev, "proc", cJSON_Duplicate(proc, true));
	if (str(fields, "fd.name")) {
		cJSON *file = cJSON_AddObjectToObject(ev, "file");
		if (file)
			cJSON_AddStringToObject(file, "path", str(fields, "fd.name"));
	}
	if (obj(root, "workload"))
		cJSON_AddItemToObject(ev, "workload", cJSON_Duplicate(obj(root, "workload"), true));
	cJSON_AddStringToObject(ev, "from_alert", str(root, "rule") ? str(root, "rule") : "");
	json = cJSON_PrintUnformatted(ev);
	rc = json ? insert_event(w, ev, (uint64_t)t, json, strlen(json)) : SQLITE_NOMEM;
	free(json);
	cJSON_Delete(ev);
	return rc;
}

static int insert_alert(struct store_writer *w, const cJSON *root, uint64_t t, const char *json,
			size_t len)
{
	sqlite3_stmt *st = w->alert;
	const cJSON *proc = obj(root, "proc");
	struct wl_cols c = workload_cols(root);
	int rc;

	sqlite3_bind_int64(st, 1, (int64_t)t);
	bind_text(st, 2, str(root, "rule"));
	bind_text(st, 3, str(root, "priority"));
	bind_text(st, 4, str(root, "kind"));
	bind_text(st, 5, c.id);
	bind_text(st, 6, c.name);
	bind_text(st, 7, str(proc, "exec_id"));
	bind_int_of(st, 8, proc, "pid");
	bind_int_of(st, 9, root, "incident_id");
	sqlite3_bind_text(st, 10, json, (int)len, SQLITE_STATIC);
	if ((rc = step_once(st)) != SQLITE_OK || (rc = saw_workload(w, &c, t)) != SQLITE_OK)
		return rc;
	return keep_alerted_event(w, root);
}

static int insert_incident(struct store_writer *w, const cJSON *root, uint64_t t,
			   const char *json, size_t len)
{
	sqlite3_stmt *st = w->incident;
	struct wl_cols c = workload_cols(root);
	const cJSON *closed = cJSON_GetObjectItemCaseSensitive(root, "closed");
	int64_t id;

	if (!num(root, "incident_id", &id))
		return SQLITE_MISMATCH;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)time_of(root, "opened", t));
	sqlite3_bind_int64(st, 3, (int64_t)time_of(root, "last_alert", time_of(root, "updated", t)));
	bind_int_of(st, 4, root, "severity");
	bind_text(st, 5, str(root, "title"));
	bind_text(st, 6, c.id);
	bind_text(st, 7, c.name);
	bind_int_of(st, 8, root, "alert_count");
	sqlite3_bind_int(st, 9, cJSON_IsTrue(closed));
	bind_text(st, 10, str(obj(root, "root_process"), "exec_id"));
	sqlite3_bind_text(st, 11, json, (int)len, SQLITE_STATIC);
	int rc = step_once(st);
	return rc == SQLITE_OK ? saw_workload(w, &c, t) : rc;
}

/* Actions name their target ("target": {pid, container_id,
 * container_name}); a workload object, when present, says more. */
static int insert_action(struct store_writer *w, const cJSON *root, uint64_t t, const char *json,
			size_t len)
{
	sqlite3_stmt *st = w->action;
	const cJSON *target = obj(root, "target"), *trigger = obj(root, "trigger");
	struct wl_cols c = workload_cols(root);
	const char *cid = c.id ? c.id : str(target, "container_id");
	const char *cname = c.name ? c.name : str(target, "container_name");

	sqlite3_bind_int64(st, 1, (int64_t)t);
	bind_text(st, 2, str(root, "action"));
	bind_text(st, 3, str(root, "outcome"));
	bind_text(st, 4, cid);
	bind_text(st, 5, cname);
	bind_int_of(st, 6, target ? target : obj(root, "proc"), "pid");
	bind_int_of(st, 7, cJSON_GetObjectItemCaseSensitive(root, "incident_id") ? root : trigger,
		    "incident_id");
	sqlite3_bind_text(st, 8, json, (int)len, SQLITE_STATIC);
	int rc = step_once(st);
	return rc == SQLITE_OK ? saw_workload(w, &c, t) : rc;
}

int store_writer_record(struct store_writer *w, const struct out_record *r)
{
	cJSON *root;
	int rc;

	if (r->len > INT32_MAX)
		return SQLITE_TOOBIG;
	root = cJSON_ParseWithLength(r->json, r->len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return SQLITE_MISMATCH;
	}
	/* the row keeps the text as it came */
	switch (r->kind) {
	case OUT_ALERT: rc = insert_alert(w, root, r->time_ns, r->json, r->len); break;
	case OUT_INCIDENT: rc = insert_incident(w, root, r->time_ns, r->json, r->len); break;
	case OUT_ACTION: rc = insert_action(w, root, r->time_ns, r->json, r->len); break;
	case OUT_EVENT: case OUT_MODEL: rc = insert_event(w, root, r->time_ns, r->json, r->len); break;
	default: rc = SQLITE_MISMATCH; break;
	}
	cJSON_Delete(root);
	return rc;
}

int store_writer_begin(struct store_writer *w)
{
	return sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

int store_writer_commit(struct store_writer *w)
{
	int rc = flush_workloads(w);

	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
}

void store_writer_rollback(struct store_writer *w)
{
	forget_workloads(w);
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
}

/* store_incident.c - vigil incident show ID: what happened, in order,
 * and the process tree it happened in, from the store alone (the
 * container may be long gone).
 *
 * The tree: the incident's root process and every process an alert
 * names, their ancestors up to the root (from the alerts' "ancestors"),
 * then every stored exec whose parent_exec_id is already in the tree.
 * The timeline: the incident's alerts, the actions taken (same incident,
 * same container, or a process of the tree), and the events of the
 * tree's processes around the incident's window. */
#include "store/store_cmd.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_query.h"

#define MAX_NODES 2048
#define MAX_ITEMS 20000
#define SEC 1000000000LL
#define BEFORE_NS (60 * SEC)		/* events shown before the first alert */
#define AFTER_NS (60 * SEC)		/* and after the last */
#define TREE_BEFORE_NS (600 * SEC)	/* processes started this long before count */
#define ACTIONS_AFTER_NS (600 * SEC)	/* responses may come later than the alerts */

struct node {
	char exec_id[64], parent[64];
	int64_t pid;
	uint64_t time_ns;
	char *exe, *args;
	char marks[512];
};

struct item {
	uint64_t t;
	int order;			/* at the same time: the event, its alert, the action */
	char *text, *json;
};

struct incident_view {
	sqlite3 *db;
	int64_t id;
	uint64_t first, last;
	char container_id[128], root[64];
	struct node nodes[MAX_NODES];
	size_t nnodes;
	struct item *items;
	size_t nitems, items_cap;
};

/* t - d, not below zero */
static int64_t before(uint64_t t, int64_t d)
{
	return t > (uint64_t)d ? (int64_t)(t - (uint64_t)d) : 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

static const char *jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void add_mark(char *marks, size_t cap, const char *mark)
{
	size_t n = strlen(marks);

	if (strstr(marks, mark) || n >= cap)
		return;
	snprintf(marks + n, cap - n, " [%s]", mark);
}

/* ---- the timeline ---------------------------------------------------- */

static void add_item(struct incident_view *v, uint64_t t, int order, const char *text,
		     const char *json)
{
	if (v->nitems == v->items_cap) {
		size_t cap = v->items_cap ? v->items_cap * 2 : 64;
		struct item *items;

		if (cap > MAX_ITEMS || !(items = realloc(v->items, cap * sizeof(*items))))
			return;
		v->items = items;
		v->items_cap = cap;
	}
	v->items[v->nitems].t = t;
	v->items[v->nitems].order = order;
	v->items[v->nitems].text = strdup(text);
	v->items[v->nitems].json = strdup(json);
	if (v->items[v->nitems].text && v->items[v->nitems].json)
		v->nitems++;
	else {
		free(v->items[v->nitems].text);
		free(v->items[v->nitems].json);
	}
}

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order - y->order;
}

/* ---- the tree ---------------------------------------------------------- */

static struct node *find_node(struct incident_view *v, const char *exec_id)
{
	for (size_t i = 0; i < v->nnodes; i++)
		if (!strcmp(v->nodes[i].exec_id, exec_id))
			return &v->nodes[i];
	return NULL;
}

static struct node *add_node(struct incident_view *v, const char *exec_id, const char *parent,
			     int64_t pid, const char *exe)
{
	struct node *n;

	if (!exec_id[0] || strlen(exec_id) >= sizeof(n->exec_id))
		return NULL;
	if ((n = find_node(v, exec_id)))
		return n;
	if (v->nnodes == MAX_NODES)
		return NULL;
	n = &v->nodes[v->nnodes++];
	memset(n, 0, sizeof(*n));
	snprintf(n->exec_id, sizeof(n->exec_id), "%s", exec_id);
	snprintf(n->parent, sizeof(n->parent), "%s", parent);
	n->pid = pid;
	n->exe = strdup(exe);
	return n;
}

static char *join_args(const cJSON *proc)
{
	char buf[1024] = "";
	size_t n = 0;
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(proc, "args")) {
		int w;

		if (!cJSON_IsString(a) || n >= sizeof(buf) - 1)
			continue;
		w = snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "", a->valuestring);
		n = w < 0 || n + (size_t)w >= sizeof(buf) ? sizeof(buf) - 1 : n + (size_t)w;
	}
	return strdup(buf);
}

/* The alert's process and its ancestors up to the incident's root (or
 * just the parent when the incident names no root). */
static void nodes_from_alert(struct incident_view *v, const cJSON *alert)
{
	const cJSON *proc = cJSON_GetObjectItemCaseSensitive(alert, "proc");
	const cJSON *anc = cJSON_GetObjectItemCaseSensitive(proc, "ancestors");
	struct node *n = add_node(v, jstr(proc, "exec_id"), jstr(proc, "parent_exec_id"),
				  jint(proc, "pid"), jstr(proc, "exe"));
	int count = cJSON_GetArraySize(anc);

	if (!n)
		return;
	if (!n->args)
		n->args = join_args(proc);
	add_mark(n->marks, sizeof(n->marks), jstr(alert, "rule"));
	if (!strcmp(n->exec_id, v->root))
		return;
	for (int i = 0; i < count; i++) {
		const cJSON *a = cJSON_GetArrayItem(anc, i);
		const cJSON *up = i + 1 < count ? cJSON_GetArrayItem(anc, i + 1) : NULL;
		const char *id = jstr(a, "exec_id");

		add_node(v, id, up ? jstr(up, "exec_id") : "", jint(a, "pid"), jstr(a, "exe"));
		if (!v->root[0] || !strcmp(id, v->root))
			break;
	}
}

/* Fill time and arguments from the stored exec events. */
static void complete_from_execs(struct incident_view *v)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(v->db, "SELECT time_ns, json, parent_exec_id, pid, exe FROM events"
			       " WHERE exec_id = ? AND type = 'exec' LIMIT 1", -1, &st, NULL))
		return;
	for (size_t i = 0; i < v->nnodes; i++) {
		struct node *n = &v->nodes[i];

		sqlite3_bind_text(st, 1, n->exec_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			cJSON *ev = cJSON_Parse(col_text(st, 1));

			n->time_ns = (uint64_t)sqlite3_column_int64(st, 0);
			if (!n->parent[0])
				snprintf(n->parent, sizeof(n->parent), "%s", col_text(st, 2));
			if (!n->pid)
				n->pid = sqlite3_column_int64(st, 3);
			if (!n->exe || !n->exe[0]) {
				free(n->exe);
				n->exe = strdup(col_text(st, 4));
			}
			if (ev) {
				free(n->args);
				n->args = join_args(cJSON_GetObjectItemCaseSensitive(ev, "proc"));
				cJSON_Delete(ev);
			}
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Every stored exec whose parent is in the tree, generation by generation. */
static void add_descendants(struct incident_view *v)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(v->db, "SELECT exec_id, pid, exe, time_ns, json FROM events"
			       " WHERE type = 'exec' AND parent_exec_id = ? AND time_ns BETWEEN ? AND ?"
			       " ORDER BY time_ns", -1, &st, NULL))
		return;
	for (size_t i = 0; i < v->nnodes; i++) {
		sqlite3_bind_text(st, 1, v->nodes[i].exec_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, before(v->first, TREE_BEFORE_NS));
		sqlite3_bind_int64(st, 3, (int64_t)(v->last + AFTER_NS));
		while (sqlite3_step(st) == SQLITE_ROW) {
			size_t before = v->nnodes;
			struct node *n = add_node(v, col_text(st, 0), v->nodes[i].exec_id,
						  sqlite3_column_int64(st, 1), col_text(st, 2));
			cJSON *ev;

			if (!n || v->nnodes == before)
				continue;
			n->time_ns = (uint64_t)sqlite3_column_int64(st, 3);
			if ((ev = cJSON_Parse(col_text(st, 4)))) {
				n->args = join_args(cJSON_GetObjectItemCaseSensitive(ev, "proc"));
				cJSON_Delete(ev);
			}
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* ---- reading the rows -------------------------------------------------- */

static int load_incident(struct incident_view *v, cJSON **inc)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(v->db, "SELECT first_ns, last_ns, coalesce(container_id, ''),"
			       " coalesce(root_exec_id, ''), json FROM incidents WHERE id = ?",
			       -1, &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, v->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v->first = (uint64_t)sqlite3_column_int64(st, 0);
		v->last = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(v->container_id, sizeof(v->container_id), "%s", col_text(st, 2));
		snprintf(v->root, sizeof(v->root), "%s", col_text(st, 3));
		*inc = cJSON_Parse(col_text(st, 4));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW && *inc ? 0 : -1;
}

static void load_alerts(struct incident_view *v)
{
	sqlite3_stmt *st;
	char text[1024];

	if (sqlite3_prepare_v2(v->db, "SELECT time_ns, json FROM alerts WHERE incident_id = ?"
			       " ORDER BY time_ns", -1, &st, NULL))
		return;
	sqlite3_bind_int64(st, 1, v->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *a = cJSON_Parse(col_text(st, 1));
		const cJSON *proc = cJSON_GetObjectItemCaseSensitive(a, "proc");

		if (!a)
			continue;
		snprintf(text, sizeof(text), "alert   %-8s %s  (pid %lld %s)", jstr(a, "priority"),
			 jstr(a, "rule"), (long long)jint(proc, "pid"), jstr(proc, "exe"));
		add_item(v, (uint64_t)sqlite3_column_int64(st, 0), 1, text, col_text(st, 1));
		nodes_from_alert(v, a);
		cJSON_Delete(a);
	}
	sqlite3_finalize(st);
}

static struct node *node_of_pid(struct incident_view *v, int64_t pid)
{
	for (size_t i = 0; i < v->nnodes; i++)
		if (pid && v->nodes[i].pid == pid)
			return &v->nodes[i];
	return NULL;
}

static void load_actions(struct incident_view *v)
{
	sqlite3_stmt *st;
	char text[512], mark[160];

	if (sqlite3_prepare_v2(v->db, "SELECT time_ns, coalesce(action, '?'), coalesce(outcome, '?'),"
			       " coalesce(pid, 0), coalesce(incident_id, 0), coalesce(container_id, ''),"
			       " json FROM actions WHERE incident_id = ?1 OR time_ns BETWEEN ?2 AND ?3"
			       " ORDER BY time_ns", -1, &st, NULL))
		return;
	sqlite3_bind_int64(st, 1, v->id);
	sqlite3_bind_int64(st, 2, before(v->first, BEFORE_NS));
	sqlite3_bind_int64(st, 3, (int64_t)(v->last + ACTIONS_AFTER_NS));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(st, 3);
		struct node *n = node_of_pid(v, pid);
		bool mine = sqlite3_column_int64(st, 4) == v->id ||
			(v->container_id[0] && !strcmp(col_text(st, 5), v->container_id));

		if (!mine && !n)
			continue;
		snprintf(text, sizeof(text), "action  %s: %s%s%lld", col_text(st, 1), col_text(st, 2),
			 pid ? "  (pid " : "", (long long)pid);
		if (pid)
			strncat(text, ")", sizeof(text) - strlen(text) - 1);
		else
			text[strlen(text) - 1] = '\0';	/* no pid: drop the "0" */
		add_item(v, (uint64_t)sqlite3_column_int64(st, 0), 2, text, col_text(st, 6));
		snprintf(mark, sizeof(mark), "%s: %s", col_text(st, 1), col_text(st, 2));
		if (n)
			add_mark(n->marks, sizeof(n->marks), mark);
	}
	sqlite3_finalize(st);
}

static void load_events(struct incident_view *v)
{
	sqlite3_stmt *st;
	char text[1024];

	if (sqlite3_prepare_v2(v->db, "SELECT time_ns, type, pid, coalesce(exe, ''),"
			       " coalesce(path, ''), json FROM events WHERE exec_id = ?"
			       " AND time_ns BETWEEN ? AND ? ORDER BY time_ns", -1, &st, NULL))
		return;
	for (size_t i = 0; i < v->nnodes; i++) {
		sqlite3_bind_text(st, 1, v->nodes[i].exec_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, before(v->first, BEFORE_NS));
		sqlite3_bind_int64(st, 3, (int64_t)(v->last + AFTER_NS));
		while (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(text, sizeof(text), "event   %-8s pid %lld %s  %s", col_text(st, 1),
				 (long long)sqlite3_column_int64(st, 2), col_text(st, 3),
				 col_text(st, 4));
			add_item(v, (uint64_t)sqlite3_column_int64(st, 0), 0, text, col_text(st, 5));
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* ---- printing ------------------------------------------------------------ */

static void print_header(const struct incident_view *v, const cJSON *inc)
{
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(inc, "workload");
	char first[48], last[48];

	format_short_time(first, sizeof(first), v->first);
	format_short_time(last, sizeof(last), v->last);
	printf("Incident %lld: ", (long long)v->id);
	print_clean(stdout, jstr(inc, "title"), 200, false);
	printf("\n  severity %lld, %lld alert(s), %s\n  from %s to %s (UTC)\n",
	       (long long)jint(inc, "severity"), (long long)jint(inc, "alert_count"),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inc, "closed")) ? "closed" : "open",
	       first, last);
	printf("  workload: ");
	print_clean(stdout, jstr(wl, "kind"), 20, false);
	if (jstr(wl, "name")[0] || jstr(wl, "id")[0]) {
		printf(" ");
		print_clean(stdout, jstr(wl, "name"), 64, false);
		printf(" (");
		print_clean(stdout, jstr(wl, "id"), 12, false);
		printf(") image ");
		print_clean(stdout, jstr(wl, "image"), 100, false);
	}
	printf("\n");
}

static void print_subtree(struct incident_view *v, struct node *n, int depth, bool *done)
{
	size_t me = (size_t)(n - v->nodes);

	if (done[me] || depth > 64)
		return;
	done[me] = true;
	printf("  %*s%s", depth * 2, "", depth ? "└─ " : "");
	print_clean(stdout, n->exe && n->exe[0] ? n->exe : "?", 120, false);
	printf(" (pid %lld, exec_id ", (long long)n->pid);
	print_clean(stdout, n->exec_id, 32, false);
	printf(")");
	if (n->args && n->args[0]) {
		printf("  ");
		print_clean(stdout, n->args, 120, false);
	}
	print_clean(stdout, n->marks, 0, false);
	printf("\n");
	/* children in the order they started */
	for (;;) {
		struct node *next = NULL;

		for (size_t i = 0; i < v->nnodes; i++)
			if (!done[i] && !strcmp(v->nodes[i].parent, n->exec_id) &&
			    (!next || v->nodes[i].time_ns < next->time_ns))
				next = &v->nodes[i];
		if (!next)
			break;
		print_subtree(v, next, depth + 1, done);
	}
}

static void print_tree(struct incident_view *v)
{
	bool *done = calloc(v->nnodes + 1, sizeof(bool));

	if (!done)
		return;
	printf("\nProcess tree\n");
	if (!v->nnodes)
		printf("  (no processes recorded)\n");
	for (size_t i = 0; i < v->nnodes; i++)
		if (!done[i] && !find_node(v, v->nodes[i].parent))
			print_subtree(v, &v->nodes[i], 0, done);
	for (size_t i = 0; i < v->nnodes; i++)	/* a cycle of bad ids: still shown */
		if (!done[i])
			print_subtree(v, &v->nodes[i], 0, done);
	free(done);
}

static void print_timeline(const struct incident_view *v)
{
	printf("\nTimeline\n");
	for (size_t i = 0; i < v->nitems; i++) {
		char when[48];

		format_short_time(when, sizeof(when), v->items[i].t);
		printf("  %s  ", when + 11);	/* the time of day; the date is above */
		print_clean(stdout, v->items[i].text, 200, false);
		printf("\n");
	}
}

static void free_view(struct incident_view *v)
{
	for (size_t i = 0; i < v->nnodes; i++) {
		free(v->nodes[i].exe);
		free(v->nodes[i].args);
	}
	for (size_t i = 0; i < v->nitems; i++) {
		free(v->items[i].text);
		free(v->items[i].json);
	}
	free(v->items);
	sqlite3_close(v->db);
	free(v);
}

int store_cmd_incident_show(const char *db_path, int argc, char **argv)
{
	struct query q = { .db_path = db_path };
	struct incident_view *v;
	cJSON *inc = NULL;
	int rc = query_parse(&q, "incident show", QOPT_ID | QOPT_JSON, 0, argc, argv);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (!(v = calloc(1, sizeof(*v))) || !(v->db = query_open("incident show", q.db_path))) {
		free(v);
		return 1;
	}
	v->id = (int64_t)q.id;
	if (load_incident(v, &inc) != 0) {
		fprintf(stderr, "vigil incident show: incident %lld: not in %s\n", (long long)v->id,
			q.db_path);
		free_view(v);
		return 1;
	}
	if (v->root[0])
		add_node(v, v->root, "", 0, "");
	load_alerts(v);
	complete_from_execs(v);
	add_descendants(v);
	load_actions(v);
	load_events(v);
	qsort(v->items, v->nitems, sizeof(*v->items), by_time);
	if (q.json) {
		char *text = cJSON_PrintUnformatted(inc);
		printf("%s\n", text ? text : "{}");
		free(text);
		for (size_t i = 0; i < v->nitems; i++)
			printf("%s\n", v->items[i].json);
	} else {
		print_header(v, inc);
		print_timeline(v);
		print_tree(v);
	}
	cJSON_Delete(inc);
	free_view(v);
	return 0;
}

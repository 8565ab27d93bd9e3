/* incident.c - grouping, severity and the incident record. */
#include "incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules_file.h"
#include "util/time_format.h"

/* MITRE ATT&CK tactics, as tags name them: "TA0002" or "mitre_execution". */
static const struct {
	const char *id, *name;
} tactics[] = {
	{ "TA0043", "reconnaissance" }, { "TA0042", "resource_development" },
	{ "TA0001", "initial_access" }, { "TA0002", "execution" },
	{ "TA0003", "persistence" }, { "TA0004", "privilege_escalation" },
	{ "TA0005", "defense_evasion" }, { "TA0006", "credential_access" },
	{ "TA0007", "discovery" }, { "TA0008", "lateral_movement" },
	{ "TA0009", "collection" }, { "TA0011", "command_and_control" },
	{ "TA0010", "exfiltration" }, { "TA0040", "impact" },
};
#define NTACTICS (sizeof(tactics) / sizeof(tactics[0]))

/* Names are cut to their slot: a title needs no more. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- table ------------------------------------------------------------ */

int incident_table_init(struct incident_table *t, size_t max, uint64_t first_id,
			void (*report)(void *ctx, struct incident *inc, bool closed), void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->all = calloc(max, sizeof(*t->all));
	if (!t->all || u64_map_init(&t->by_key, 64) < 0) {
		free(t->all);
		return -1;
	}
	t->max = max;
	t->next_id = first_id;
	t->report = report;
	t->ctx = ctx;
	return 0;
}

static void incident_free(struct incident *inc)
{
	for (size_t i = 0; i < inc->nactions; i++)
		free(inc->actions[i]);
	free(inc->workload_json);
	free(inc->root_json);
	free(inc);
}

void incident_table_destroy(struct incident_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		incident_free(t->all[i]);
	free(t->all);
	u64_map_destroy(&t->by_key, NULL);
}

struct incident *incident_find(struct incident_table *t, uint64_t key)
{
	return u64_map_get(&t->by_key, key);
}

static bool is_this(void *value, void *ctx)
{
	return value == ctx;
}

struct incident *incident_find_workload(struct incident_table *t, uint64_t workload_hash)
{
	struct incident *best = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (t->all[i]->workload_hash == workload_hash &&
		    (!best || t->all[i]->last_alert_ns > best->last_alert_ns))
			best = t->all[i];
	return best;
}

/* Report it closed and forget it (index i in t->all). */
static void close_at(struct incident_table *t, size_t i)
{
	struct incident *inc = t->all[i];

	t->report(t->ctx, inc, true);
	u64_map_remove_if(&t->by_key, is_this, inc, NULL);
	t->all[i] = t->all[--t->n];
	incident_free(inc);
}

static size_t idlest(const struct incident_table *t)
{
	size_t best = 0;

	for (size_t i = 1; i < t->n; i++)
		if (t->all[i]->last_alert_ns < t->all[best]->last_alert_ns)
			best = i;
	return best;
}

static char *copy_span(struct jspan s)
{
	char *c;

	if (!s.p)
		s = (struct jspan){ "{}", 2 };
	c = malloc(s.n + 1);
	if (c) {
		memcpy(c, s.p, s.n);
		c[s.n] = '\0';
	}
	return c;
}

/* {"exec_id","pid","exe"} of the tree's root, from the alert's ancestry. */
static char *root_process_json(const struct alert_facts *f)
{
	struct json_writer w;
	struct jspan root = { NULL, 0 }, k, v;
	struct jiter it;
	char *out;

	if (strcmp(f->exec_id, f->root_exec_id) == 0)
		root = f->proc;
	else if (jiter_begin(&it, jspan_get(f->proc, "ancestors")))
		while (jiter_next(&it, &k, &v)) {
			char id[ALERT_ID_MAX];

			jspan_text(jspan_get(v, "exec_id"), id, sizeof(id));
			if (strcmp(id, f->root_exec_id) == 0)
				root = v;
		}
	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "exec_id", f->root_exec_id);
	if (jspan_ok(jspan_get(root, "pid")))
		json_kv_int(&w, "pid", jspan_int(jspan_get(root, "pid")));
	if (jspan_is_string(jspan_get(root, "exe"))) {
		json_key(&w, "exe");
		json_raw(&w, jspan_get(root, "exe").p, jspan_get(root, "exe").n);
	}
	json_object_end(&w);
	out = w.failed ? NULL : strndup(w.buf, w.len);
	json_free(&w);
	return out;
}

/* "container web-1", "pod shop/cart-7", "host unit ssh.service". */
static void describe_workload(const struct alert_facts *f, char *buf, size_t cap)
{
	char a[96], b[64];
	struct jspan wl = f->workload;

	if (jspan_equals(jspan_get(wl, "kind"), "host") || !jspan_ok(jspan_get(wl, "id"))) {
		if (jspan_text(jspan_get(wl, "unit"), a, sizeof(a)))
			snprintf(buf, cap, "host unit %s", a);
		else
			snprintf(buf, cap, "host");
		return;
	}
	if (jspan_text(jspan_get(wl, "name"), a, sizeof(a))) {
		if (jspan_text(jspan_get(wl, "namespace"), b, sizeof(b)))
			snprintf(buf, cap, "container %s (namespace %s)", a, b);
		else
			snprintf(buf, cap, "container %s", a);
		return;
	}
	jspan_text(jspan_get(wl, "id"), a, 13);
	snprintf(buf, cap, "container %s", a);
}

struct incident *incident_open(struct incident_table *t, uint64_t key,
			       const struct alert_facts *f)
{
	struct incident *inc;

	if (t->n == t->max)
		close_at(t, idlest(t));
	inc = calloc(1, sizeof(*inc));
	if (!inc)
		return NULL;
	inc->key = key;
	inc->workload_hash = alert_facts_workload_hash(f);
	inc->id = t->next_id;
	inc->opened_ns = inc->last_alert_ns = f->now_ns;
	inc->max_priority = PRIORITY_DEBUG + 1;
	inc->workload_json = copy_span(f->workload);
	inc->root_json = root_process_json(f);
	describe_workload(f, inc->where, sizeof(inc->where));
	if (!inc->workload_json || !inc->root_json ||
	    u64_map_put(&t->by_key, key, inc, NULL) < 0) {
		incident_free(inc);
		return NULL;
	}
	t->next_id++;
	t->all[t->n++] = inc;
	return inc;
}

/* ---- growth ----------------------------------------------------------- */

static int tactic_of_tag(const char *tag, size_t len)
{
	for (size_t i = 0; i < NTACTICS; i++) {
		size_t nlen = strlen(tactics[i].name);

		if (len >= 6 && memmem(tag, len, tactics[i].id, 6))
			return (int)i;
		if (len == nlen + 6 && strncasecmp(tag, "mitre_", 6) == 0 &&
		    strncasecmp(tag + 6, tactics[i].name, nlen) == 0)
			return (int)i;
	}
	return -1;
}

static uint32_t tactics_of(struct jspan tags)
{
	struct jspan k, v;
	struct jiter it;
	uint32_t mask = 0;

	if (jiter_begin(&it, tags))
		while (jiter_next(&it, &k, &v)) {
			char tag[64];
			size_t n = jspan_text(v, tag, sizeof(tag));
			int i = tactic_of_tag(tag, n);

			if (i >= 0)
				mask |= 1u << i;
		}
	return mask;
}

static bool add_category(struct incident *inc, const char *c)
{
	for (size_t i = 0; i < inc->ncategories; i++)
		if (strcmp(inc->categories[i], c) == 0)
			return false;
	if (inc->ncategories == INCIDENT_CATEGORIES_MAX)
		return false;
	copy_cut(inc->categories[inc->ncategories++], sizeof(inc->categories[0]), c);
	return true;
}

static bool add_categories(struct incident *inc, struct jspan anomaly)
{
	struct jspan k, v;
	struct jiter it;
	bool added = false;

	if (jiter_begin(&it, jspan_get(anomaly, "novelties")))
		while (jiter_next(&it, &k, &v)) {
			char c[32];

			if (jspan_text(jspan_get(v, "category"), c, sizeof(c)))
				added |= add_category(inc, c);
		}
	return added;
}

/* Count the alert under its rule; true when the rule is new here. */
static bool count_rule(struct incident *inc, const struct alert_facts *f)
{
	struct incident_rule *r;

	for (size_t i = 0; i < inc->nrules; i++) {
		r = &inc->rules[i];
		if (strncmp(r->name, f->rule, sizeof(r->name) - 1) == 0) {
			r->count++;
			r->last_ns = f->now_ns;
			if (f->priority < r->priority)
				r->priority = f->priority;
			return false;
		}
	}
	if (inc->nrules == INCIDENT_RULES_MAX) {
		inc->other_rules++;
		return false;
	}
	r = &inc->rules[inc->nrules++];
	copy_cut(r->name, sizeof(r->name), f->rule);
	r->priority = f->priority;
	r->count = 1;
	r->first_ns = r->last_ns = f->now_ns;
	return true;
}

void incident_add_alert(struct incident *inc, const struct alert_facts *f)
{
	uint32_t t = tactics_of(f->tags);
	bool grew = count_rule(inc, f);
	int before = inc->severity;

	if (f->kind == ALERT_KIND_ANOMALY)
		grew |= add_categories(inc, f->anomaly);
	grew |= (t & ~inc->tactics) != 0;
	inc->tactics |= t;
	if (f->priority < inc->max_priority)
		inc->max_priority = f->priority;
	if (f->anomaly_score > inc->max_score)
		inc->max_score = f->anomaly_score;
	inc->alert_count++;
	if (f->now_ns > inc->last_alert_ns)
		inc->last_alert_ns = f->now_ns;
	inc->severity = incident_severity(inc);
	inc->grew |= grew || inc->severity != before;
	inc->dirty = true;
}

void incident_add_action(struct incident *inc, const struct alert_facts *f)
{
	if (inc->nactions < INCIDENT_ACTIONS_MAX)
		inc->actions[inc->nactions] = copy_span(f->root);
	if (inc->nactions < INCIDENT_ACTIONS_MAX && inc->actions[inc->nactions])
		inc->nactions++;
	else
		inc->more_actions++;
	if (f->now_ns > inc->last_alert_ns)
		inc->last_alert_ns = f->now_ns;
	inc->severity = incident_severity(inc);
	inc->grew = inc->dirty = true;
}

/* ---- scoring and text ------------------------------------------------- */

/* The most severe rule sets the base, an anomaly's score can too; each
 * further distinct behaviour and each ATT&CK tactic adds, and a block or
 * kill adds: a policy judged it hostile enough to stop, and the attacker
 * may try another way. */
int incident_severity(const struct incident *inc)
{
	static const int by_priority[] = { 75, 70, 65, 50, 40, 25, 12, 5 };
	int base = 0, behaviours = (int)(inc->nrules + inc->ncategories), tactic_count = 0;
	int anomaly = inc->max_score * 7 / 10, score;

	if (inc->max_priority >= 0 && inc->max_priority <= PRIORITY_DEBUG)
		base = by_priority[inc->max_priority];
	if (anomaly > base)
		base = anomaly;
	for (uint32_t m = inc->tactics; m; m &= m - 1)
		tactic_count++;
	score = base;
	if (behaviours > 1)
		score += behaviours - 1 >= 4 ? 20 : 5 * (behaviours - 1);
	score += tactic_count >= 4 ? 20 : 5 * tactic_count;
	if (inc->nactions || inc->more_actions)
		score += 10;
	return score > 100 ? 100 : score;
}

static const char *rule_label(const char *name)
{
	return strcmp(name, "Behaviour anomaly") == 0 ? "New behaviour" : name;
}

/* "Reverse shell and Read sensitive file in container web-1 (3 rules, 17 alerts)" */
void incident_title(const struct incident *inc, char *buf, size_t cap)
{
	size_t first = 0, second = SIZE_MAX;

	for (size_t i = 1; i < inc->nrules; i++)
		if (inc->rules[i].priority < inc->rules[first].priority)
			first = i;
	for (size_t i = 0; i < inc->nrules; i++)
		if (i != first && (second == SIZE_MAX ||
				   inc->rules[i].priority < inc->rules[second].priority))
			second = i;
	if (!inc->nrules)
		snprintf(buf, cap, "Response action in %s (%zu actions)", inc->where,
			 inc->nactions);
	else
		snprintf(buf, cap, "%s%s%s in %s (%zu rule%s, %llu alert%s)",
			 rule_label(inc->rules[first].name), second != SIZE_MAX ? " and " : "",
			 second != SIZE_MAX ? rule_label(inc->rules[second].name) : "", inc->where,
			 inc->nrules, inc->nrules == 1 ? "" : "s",
			 (unsigned long long)inc->alert_count, inc->alert_count == 1 ? "" : "s");
}

static void kv_time(struct json_writer *w, const char *key, uint64_t ns)
{
	char t[48];

	format_rfc3339_ns(t, sizeof(t), ns);
	json_kv_string(w, key, t);
}

static void write_rules(const struct incident *inc, struct json_writer *w)
{
	json_key(w, "rules");
	json_array_begin(w);
	for (size_t i = 0; i < inc->nrules; i++) {
		const struct incident_rule *r = &inc->rules[i];

		json_object_begin(w);
		json_kv_string(w, "rule", r->name);
		json_kv_string(w, "priority", priority_name(r->priority));
		json_kv_uint(w, "count", r->count);
		kv_time(w, "first", r->first_ns);
		kv_time(w, "last", r->last_ns);
		json_object_end(w);
	}
	json_array_end(w);
	if (inc->other_rules)
		json_kv_uint(w, "other_rule_alerts", inc->other_rules);
}

static void write_lists(const struct incident *inc, struct json_writer *w)
{
	json_key(w, "tactics");
	json_array_begin(w);
	for (size_t i = 0; i < NTACTICS; i++)
		if (inc->tactics & (1u << i))
			json_string(w, tactics[i].name);
	json_array_end(w);
	if (inc->ncategories) {
		json_key(w, "novelty_categories");
		json_array_begin(w);
		for (size_t i = 0; i < inc->ncategories; i++)
			json_string(w, inc->categories[i]);
		json_array_end(w);
	}
	json_key(w, "actions");
	json_array_begin(w);
	for (size_t i = 0; i < inc->nactions; i++)
		json_raw(w, inc->actions[i], strlen(inc->actions[i]));
	json_array_end(w);
	if (inc->more_actions)
		json_kv_uint(w, "more_actions", inc->more_actions);
}

void incident_write_json(const struct incident *inc, struct json_writer *w, uint64_t now_ns,
			 bool closed)
{
	char title[512];

	incident_title(inc, title, sizeof(title));
	json_object_begin(w);
	json_kv_uint(w, "incident_id", inc->id);
	json_kv_uint(w, "version", inc->version);
	kv_time(w, "opened", inc->opened_ns);
	kv_time(w, "updated", now_ns > inc->last_alert_ns ? now_ns : inc->last_alert_ns);
	kv_time(w, "last_alert", inc->last_alert_ns);
	json_kv_bool(w, "closed", closed);
	json_kv_int(w, "severity", inc->severity);
	json_kv_string(w, "title", title);
	json_kv_string(w, "kind", "incident");
	json_key(w, "workload");
	json_raw(w, inc->workload_json, strlen(inc->workload_json));
	json_key(w, "root_process");
	json_raw(w, inc->root_json, strlen(inc->root_json));
	if (inc->max_priority <= PRIORITY_DEBUG)
		json_kv_string(w, "priority", priority_name(inc->max_priority));
	if (inc->max_score)
		json_kv_int(w, "max_anomaly_score", inc->max_score);
	write_rules(inc, w);
	write_lists(inc, w);
	json_kv_uint(w, "alert_count", inc->alert_count);
	if (inc->rate_limited)
		json_kv_uint(w, "rate_limited", inc->rate_limited);
	json_object_end(w);
}

/* ---- time ------------------------------------------------------------- */

static void report(struct incident_table *t, struct incident *inc, uint64_t now_ns)
{
	t->report(t->ctx, inc, false);
	inc->last_emit_ns = now_ns;
	inc->dirty = inc->grew = false;
}

void incident_table_tick(struct incident_table *t, uint64_t now_ns, uint64_t window_ns,
			 uint64_t update_ns, bool all)
{
	for (size_t i = 0; i < t->n;) {
		struct incident *inc = t->all[i];

		if (all || now_ns >= inc->last_alert_ns + window_ns) {
			close_at(t, i);	/* moves the last one here */
			continue;
		}
		if (inc->grew || (inc->dirty && now_ns >= inc->last_emit_ns + update_ns))
			report(t, inc, now_ns);
		i++;
	}
}

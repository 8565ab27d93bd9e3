/* alert_facts.c - read an alert's identity from its JSON and context. */
#include "alert_facts.h"

#include <stdio.h>
#include <string.h>

#include "alert/alert_pipeline.h"
#include "alert/glob.h"
#include "rules/rules_file.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return (h ^ 0xff) * FNV_PRIME;	/* a separator: "ab"+"c" differs from "a"+"bc" */
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s));
}

static uint64_t hash_span(uint64_t h, struct jspan s)
{
	return s.p ? hash_bytes(h, s.p, s.n) : hash_bytes(h, "", 0);
}

static void copy_or_read(char *dst, size_t cap, const char *given, struct jspan from)
{
	if (given)
		snprintf(dst, cap, "%s", given);
	else
		jspan_text(from, dst, cap);
}

/* The topmost ancestor the JSON names: the process tree's root as far
 * as the process table knew it. */
static struct jspan last_ancestor_exec_id(struct jspan proc)
{
	struct jspan k, v, last = { NULL, 0 };
	struct jiter it;

	if (jiter_begin(&it, jspan_get(proc, "ancestors")))
		while (jiter_next(&it, &k, &v))
			if (jspan_ok(jspan_get(v, "exec_id")))
				last = jspan_get(v, "exec_id");
	return last;
}

/* Container id, else "host:" and the unit (or the executable). */
static void derive_workload_key(struct alert_facts *f)
{
	char part[ALERT_NAME_MAX - 8];
	struct jspan id = jspan_get(f->workload, "id");

	if (jspan_ok(id) && !jspan_equals(jspan_get(f->workload, "kind"), "host")) {
		jspan_text(id, f->workload_key, sizeof(f->workload_key));
		return;
	}
	if (!jspan_text(jspan_get(f->workload, "unit"), part, sizeof(part)))
		jspan_text(jspan_get(f->proc, "exe"), part, sizeof(part));
	snprintf(f->workload_key, sizeof(f->workload_key), "host:%s", part);
}

static enum alert_kind kind_of(struct jspan kind)
{
	if (!jspan_ok(kind) || jspan_equals(kind, "rule"))
		return ALERT_KIND_RULE;
	if (jspan_equals(kind, "anomaly"))
		return ALERT_KIND_ANOMALY;
	if (jspan_equals(kind, "block") || jspan_equals(kind, "action"))
		return ALERT_KIND_BLOCK;
	return ALERT_KIND_OTHER;
}

/* One pass over the top-level members: alerts are a few hundred bytes to
 * a few KiB, and this runs for every duplicate. */
static void read_members(struct alert_facts *f)
{
	struct jspan k, v, rule = { NULL, 0 };
	struct jiter it;

	jiter_begin(&it, f->root);
	while (jiter_next(&it, &k, &v)) {
		const char *name = k.p + 1;
		size_t n = k.n - 2;

#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
		if (IS("rule"))
			rule = v;
		else if (IS("priority"))
			f->priority_value = v;
		else if (IS("kind"))
			f->kind_value = v;
		else if (IS("output_fields"))
			f->output_fields = v;
		else if (IS("tags"))
			f->tags = v;
		else if (IS("proc"))
			f->proc = v;
		else if (IS("workload"))
			f->workload = v;
		else if (IS("anomaly"))
			f->anomaly = v;
#undef IS
	}
	jspan_text(rule, f->rule, sizeof(f->rule));
}

int alert_facts_read(struct alert_facts *f, const struct out_record *r,
		     const struct alert_context *ctx)
{
	static const struct alert_context none;
	char prio[32];
	int p;

	if (!ctx)
		ctx = &none;
	memset(f, 0, sizeof(*f));
	f->root = jspan_of(r->json, r->len);
	if (!f->root.p || f->root.p[0] != '{' || f->root.p[f->root.n - 1] != '}')
		return -1;
	read_members(f);
	f->kind = kind_of(f->kind_value);
	if (r->kind == OUT_ACTION && !jspan_ok(f->kind_value))
		f->kind = ALERT_KIND_BLOCK;
	jspan_text(f->priority_value, prio, sizeof(prio));
	p = priority_from_name(prio);
	f->priority = p >= 0 ? p : r->priority >= 0 && r->priority < OUT_PRIORITY_NONE ?
		      r->priority : PRIORITY_INFORMATIONAL;
	f->json_priority = f->priority;
	jspan_text(jspan_get(f->anomaly, "model"), f->model, sizeof(f->model));
	f->anomaly_score = (int)jspan_int(jspan_get(f->anomaly, "score"));
	if (f->anomaly_score < 0 || f->anomaly_score > 100)
		f->anomaly_score = f->anomaly_score < 0 ? 0 : 100;
	copy_or_read(f->exec_id, sizeof(f->exec_id), ctx->exec_id, jspan_get(f->proc, "exec_id"));
	copy_or_read(f->root_exec_id, sizeof(f->root_exec_id), ctx->root_exec_id,
		     last_ancestor_exec_id(f->proc));
	if (!f->root_exec_id[0])	/* no ancestors known: it is its own tree */
		snprintf(f->root_exec_id, sizeof(f->root_exec_id), "%s", f->exec_id);
	if (ctx->workload_key)
		snprintf(f->workload_key, sizeof(f->workload_key), "%s", ctx->workload_key);
	else
		derive_workload_key(f);
	f->mode = alert_mode_from_name(ctx->mode ? ctx->mode : "");
	if (!ctx->mode) {
		char mode[32];

		jspan_text(jspan_get(f->anomaly, "mode"), mode, sizeof(mode));
		f->mode = alert_mode_from_name(mode);
	}
	f->workload_start_ns = ctx->workload_start_ns;
	f->now_ns = ctx->now_ns ? ctx->now_ns : r->time_ns;
	return 0;
}

static bool ignored_field(struct jspan key, const char *const *ignored)
{
	if (!key.p || key.n < 2)
		return true;	/* an array, not an object: no names to keep */
	for (size_t i = 0; ignored && ignored[i]; i++)
		if (glob_match(ignored[i], key.p + 1, key.n - 2))
			return true;
	return false;
}

/* An anomaly's behaviour: its novelties' categories and values. */
static uint64_t hash_novelties(uint64_t h, struct jspan anomaly)
{
	struct jspan k, v;
	struct jiter it;

	if (jiter_begin(&it, jspan_get(anomaly, "novelties")))
		while (jiter_next(&it, &k, &v)) {
			h = hash_span(h, jspan_get(v, "category"));
			h = hash_span(h, jspan_get(v, "value"));
		}
	return h;
}

uint64_t alert_facts_dedup_key(const struct alert_facts *f, const char *const *ignored,
			       bool by_exe)
{
	uint64_t h = hash_str(FNV_OFFSET, f->workload_key);
	struct jspan k, v;
	struct jiter it;

	h = hash_bytes(h, (const char *)&f->kind, sizeof(f->kind));
	h = hash_str(h, f->rule);
	h = by_exe ? hash_span(h, jspan_get(f->proc, "exe")) : hash_str(h, f->exec_id);
	if (f->kind == ALERT_KIND_ANOMALY)
		return hash_novelties(hash_str(h, f->model), f->anomaly);
	if (jiter_begin(&it, f->output_fields))
		while (jiter_next(&it, &k, &v))
			if (!ignored_field(k, ignored))
				h = hash_span(hash_span(h, k), v);
	return h;
}

uint64_t alert_facts_incident_key(const struct alert_facts *f)
{
	return hash_str(hash_str(FNV_OFFSET, f->workload_key), f->root_exec_id);
}

uint64_t alert_facts_workload_hash(const struct alert_facts *f)
{
	return hash_str(FNV_OFFSET, f->workload_key);
}

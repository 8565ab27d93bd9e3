/* alert_pipeline.c - exceptions, incidents, dedup and rate limits, in
 * that order, between the detectors and the outputs. */
#include "alert_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_facts.h"
#include "alert/dedup.h"
#include "alert/incident.h"
#include "alert/rate_limit.h"
#include "rules/rules_file.h"
#include "util/json.h"
#include "util/time_format.h"

#define NS_PER_SEC 1000000000ULL

/* Times, counters, pids and tids differ between copies of one behaviour. */
const char *const alert_default_ignored_fields[] = {
	"evt.time*", "evt.rawtime*", "evt.datetime*", "evt.num", "evt.count*",
	"*.pid", "*.tid", "*.vpid", "*.vtid", "*.ppid", "proc.apid*", "proc.duration",
	"fd.num", "evt.latency*", NULL,
};

struct alert_pipeline {
	struct alert_pipeline_options o;
	struct dedup_table dedup;
	struct incident_table incidents;
	struct rate_limiter rate;
	struct json_writer out;		/* records being emitted; reused */
	struct alert_pipeline_stats st;
	uint64_t now_ns;		/* of the latest alert or tick */
};

/* Additions to a forwarded alert; NULL/0 members are left out. */
struct additions {
	uint64_t incident_id;
	const char *exception, *escalation;
	const char *original_priority;
};

static void emit(struct alert_pipeline *p, enum out_kind kind, int priority, uint64_t time_ns)
{
	struct out_record r = { kind, priority, time_ns, p->out.buf, p->out.len };

	if (p->out.failed || !p->out.len)
		return;
	p->o.emit(p->o.ctx, &r);
}

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "vigil: warning: %s\n", msg);
}

/* ---- composing records from the alert's own text ---------------------- */

/* ,"key": then a value the caller writes (the writer's nesting is reset
 * so it writes a bare value). */
static void raw_key(struct json_writer *w, const char *key)
{
	json_raw(w, ",\"", 2);
	json_raw(w, key, strlen(key));
	json_raw(w, "\":", 2);
	json_reset_nesting(w);
}

static void add_string(struct json_writer *w, const char *key, const char *value)
{
	raw_key(w, key);
	json_string(w, value);
}

static void add_uint(struct json_writer *w, const char *key, uint64_t v)
{
	raw_key(w, key);
	json_uint(w, v);
}

static void add_time(struct json_writer *w, const char *key, uint64_t ns)
{
	char t[48];

	format_rfc3339_ns(t, sizeof(t), ns);
	add_string(w, key, t);
}

/* The object without its closing brace, with its priority replaced when
 * it changed; more members may follow, then "}". */
static void open_copy(struct json_writer *w, const struct alert_facts *f, int priority)
{
	struct jspan pv = f->priority_value, root = f->root;
	const char *body_end = root.p + root.n - 1;

	json_reset(w);
	if (priority != f->json_priority && jspan_is_string(pv)) {
		json_raw(w, root.p, (size_t)(pv.p - root.p));
		json_reset_nesting(w);
		json_string(w, priority_name(priority));
		json_raw(w, pv.p + pv.n, (size_t)(body_end - (pv.p + pv.n)));
	} else {
		json_raw(w, root.p, (size_t)(body_end - root.p));
	}
	while (w->len && strchr(" \t\r\n", w->buf[w->len - 1]))
		w->len--;
	if (w->len && w->buf[w->len - 1] == '{')
		json_raw(w, "\"vigil\":true", 12);	/* "{}": keep the commas valid */
}

static void write_forwarded(struct json_writer *w, const struct alert_facts *f, int priority,
			    const struct additions *a)
{
	open_copy(w, f, priority);
	if (a->incident_id)
		add_uint(w, "incident_id", a->incident_id);
	if (a->exception)
		add_string(w, "exception", a->exception);
	if (a->escalation)
		add_string(w, "escalated_by", a->escalation);
	if (a->original_priority)
		add_string(w, "original_priority", a->original_priority);
	json_raw(w, "}", 1);
}

/* ---- callbacks from the tables ---------------------------------------- */

static void emit_summary(void *ctx, const struct dedup_entry *e)
{
	struct alert_pipeline *p = ctx;
	struct json_writer *w = &p->out;

	json_reset(w);
	json_raw(w, e->json, e->len - 1);	/* the closing brace comes last */
	raw_key(w, "summary");
	json_bool(w, true);
	add_uint(w, "count", e->count);
	add_time(w, "first_time", e->first_ns);
	add_time(w, "last_time", e->last_ns);
	if (e->total != e->count)
		add_uint(w, "total", e->total);
	json_raw(w, "}", 1);
	p->st.summaries++;
	emit(p, OUT_ALERT, e->priority, e->last_ns);
}

static int priority_of_severity(int severity)
{
	return severity >= 80 ? PRIORITY_CRITICAL : severity >= 60 ? PRIORITY_ERROR :
	       severity >= 40 ? PRIORITY_WARNING : severity >= 20 ? PRIORITY_NOTICE :
	       PRIORITY_INFORMATIONAL;
}

static void emit_incident(void *ctx, struct incident *inc, bool closed)
{
	struct alert_pipeline *p = ctx;

	inc->version++;
	json_reset(&p->out);
	incident_write_json(inc, &p->out, p->now_ns, closed);
	if (closed)
		p->st.incidents_closed++;
	else if (inc->version > 1)
		p->st.incident_updates++;
	emit(p, OUT_INCIDENT, priority_of_severity(inc->severity), p->now_ns);
}

static void emit_rate_note(void *ctx, const struct rate_state *s, uint64_t now_ns)
{
	struct alert_pipeline *p = ctx;
	struct json_writer *w = &p->out;
	char time[48], since[48], text[ALERT_NAME_MAX + 160];

	format_rfc3339_ns(time, sizeof(time), now_ns);
	format_rfc3339_ns(since, sizeof(since), s->first_suppressed_ns);
	snprintf(text, sizeof(text), "rate limited: %llu alerts of %s held back since %s",
		 (unsigned long long)s->suppressed, s->workload_key, since);
	json_reset(w);
	json_object_begin(w);
	json_kv_string(w, "time", time);
	json_kv_string(w, "rule", "Alert rate limit");
	json_kv_string(w, "priority", priority_name(PRIORITY_WARNING));
	json_kv_string(w, "output", text);
	json_kv_string(w, "kind", "rate_limit");
	json_kv_uint(w, "suppressed", s->suppressed);
	json_kv_string(w, "since", since);
	if (s->incident_id)
		json_kv_uint(w, "incident_id", s->incident_id);
	if (s->workload_json) {
		json_key(w, "workload");
		json_raw(w, s->workload_json, strlen(s->workload_json));
	}
	json_object_end(w);
	emit(p, OUT_ALERT, PRIORITY_WARNING, now_ns);
}

/* ---- life ------------------------------------------------------------- */

static void apply_defaults(struct alert_pipeline_options *o)
{
	if (!o->dedup_window_ns)
		o->dedup_window_ns = 60 * NS_PER_SEC;
	if (!o->incident_window_ns)
		o->incident_window_ns = 600 * NS_PER_SEC;
	if (!o->incident_update_ns)
		o->incident_update_ns = 30 * NS_PER_SEC;
	if (!o->rate_per_min)
		o->rate_per_min = 20;
	if (!o->global_rate_per_min)
		o->global_rate_per_min = 300;
	if (!o->max_keys)
		o->max_keys = 4096;
	if (!o->max_incidents)
		o->max_incidents = 1024;
	if (!o->max_workloads)
		o->max_workloads = 1024;
	if (!o->first_incident_id)
		o->first_incident_id = 1;
	if (!o->ignored_fields)
		o->ignored_fields = alert_default_ignored_fields;
	if (!o->warn)
		o->warn = warn_stderr;
}

struct alert_pipeline *alert_pipeline_new(const struct alert_pipeline_options *o)
{
	struct alert_pipeline *p;

	if (!o || !o->emit || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->o = *o;
	apply_defaults(&p->o);
	json_init(&p->out);
	if (dedup_init(&p->dedup, p->o.max_keys, p->o.dedup_window_ns, emit_summary, p) < 0) {
		free(p);
		return NULL;
	}
	if (incident_table_init(&p->incidents, p->o.max_incidents, p->o.first_incident_id,
				emit_incident, p) < 0) {
		dedup_destroy(&p->dedup);
		free(p);
		return NULL;
	}
	if (rate_limiter_init(&p->rate, p->o.max_workloads, p->o.rate_per_min,
			      p->o.global_rate_per_min, emit_rate_note, p) < 0) {
		incident_table_destroy(&p->incidents);
		dedup_destroy(&p->dedup);
		free(p);
		return NULL;
	}
	return p;
}

void alert_pipeline_free(struct alert_pipeline *p)
{
	if (!p)
		return;
	dedup_destroy(&p->dedup);
	incident_table_destroy(&p->incidents);
	rate_limiter_destroy(&p->rate);
	json_free(&p->out);
	free(p);
}

/* ---- alerts ----------------------------------------------------------- */

/* Exceptions and escalations: false when silenced; *priority and the
 * additions say what changed. */
static bool judge(struct alert_pipeline *p, const struct alert_facts *f, int *priority,
		  struct additions *a)
{
	enum exception_effect effect;
	int lowered;
	const char *name;

	*priority = f->priority;
	if (!p->o.exceptions)
		return true;
	name = alert_exceptions_match(p->o.exceptions, f, &effect, &lowered, p->o.warn, p->o.ctx);
	if (name && effect == EFFECT_SILENCE) {
		p->st.silenced++;
		return false;
	}
	if (name) {
		p->st.lowered++;
		a->exception = name;
		if (lowered > *priority)
			*priority = lowered;
	} else if ((name = alert_exceptions_escalate(p->o.exceptions, f, priority))) {
		p->st.escalated++;
		a->escalation = name;
	}
	if (*priority != f->priority)
		a->original_priority = priority_name(f->priority);
	return true;
}

static struct incident *incident_for(struct alert_pipeline *p, const struct alert_facts *f,
				     bool *opened)
{
	uint64_t key = alert_facts_incident_key(f);
	struct incident *inc = incident_find(&p->incidents, key);

	*opened = false;
	if (inc)
		return inc;
	inc = incident_open(&p->incidents, key, f);
	if (inc) {
		*opened = true;
		p->st.incidents_opened++;
	}
	return inc;
}

/* Version 1 goes out at once, after the alert that opened it. */
static void report_opened(struct alert_pipeline *p, struct incident *inc, uint64_t now_ns)
{
	emit_incident(p, inc, false);
	inc->last_emit_ns = now_ns;
	inc->grew = inc->dirty = false;
}

static void pass_on(struct alert_pipeline *p, struct alert_facts *f, int priority,
		    struct additions *a, struct incident *inc, uint64_t dedup_key)
{
	bool allowed;

	a->incident_id = inc ? inc->id : 0;
	allowed = rate_limiter_allow(&p->rate, f, alert_facts_workload_hash(f), a->incident_id);
	write_forwarded(&p->out, f, priority, a);
	if (!p->out.failed)
		dedup_remember(&p->dedup, dedup_key, f->now_ns, a->incident_id, priority,
			       p->out.buf, p->out.len);
	if (!allowed) {
		p->st.rate_limited++;
		if (inc)
			inc->rate_limited++;
		return;
	}
	p->st.forwarded++;
	emit(p, OUT_ALERT, priority, f->now_ns);
}

void alert_pipeline_alert(struct alert_pipeline *p, const struct out_record *r,
			  const struct alert_context *ctx)
{
	struct additions a = { 0 };
	struct alert_facts f;
	struct incident *inc;
	uint64_t key;
	int priority;
	bool opened;

	p->st.alerts_in++;
	if (alert_facts_read(&f, r, ctx) < 0) {
		p->st.malformed++;
		p->o.emit(p->o.ctx, r);	/* not ours to judge: never lose an alert */
		return;
	}
	if (f.now_ns > p->now_ns)
		p->now_ns = f.now_ns;
	if (!judge(p, &f, &priority, &a))
		return;
	f.priority = priority;
	inc = incident_for(p, &f, &opened);
	if (inc)
		incident_add_alert(inc, &f);
	key = alert_facts_dedup_key(&f, p->o.ignored_fields, p->o.dedup_by_exe);
	if (dedup_seen(&p->dedup, key, f.now_ns))
		p->st.duplicates++;
	else
		pass_on(p, &f, priority, &a, inc, key);
	if (opened)
		report_opened(p, inc, f.now_ns);
}

void alert_pipeline_action(struct alert_pipeline *p, const struct out_record *r,
			   const struct alert_context *ctx)
{
	struct additions a = { 0 };
	struct alert_facts f;
	struct incident *inc;
	int priority;
	bool opened = false;

	p->st.actions_in++;
	if (alert_facts_read(&f, r, ctx) < 0) {
		p->st.malformed++;
		p->o.emit(p->o.ctx, r);
		return;
	}
	if (f.now_ns > p->now_ns)
		p->now_ns = f.now_ns;
	if (!judge(p, &f, &priority, &a))
		return;
	inc = incident_find(&p->incidents, alert_facts_incident_key(&f));
	if (!inc)
		inc = incident_find_workload(&p->incidents, alert_facts_workload_hash(&f));
	if (!inc)
		inc = incident_for(p, &f, &opened);
	if (inc)
		incident_add_action(inc, &f);
	a.incident_id = inc ? inc->id : 0;
	write_forwarded(&p->out, &f, f.priority, &a);
	emit(p, r->kind, r->priority, f.now_ns);
	if (opened)
		report_opened(p, inc, f.now_ns);
}

/* ---- time ------------------------------------------------------------- */

static void advance(struct alert_pipeline *p, uint64_t now_ns, bool all)
{
	if (now_ns > p->now_ns)
		p->now_ns = now_ns;
	dedup_tick(&p->dedup, p->now_ns, all);
	rate_limiter_tick(&p->rate, p->now_ns, all);
	incident_table_tick(&p->incidents, p->now_ns, p->o.incident_window_ns,
			    p->o.incident_update_ns, all);
}

void alert_pipeline_tick(struct alert_pipeline *p, uint64_t now_ns)
{
	advance(p, now_ns, false);
}

void alert_pipeline_flush(struct alert_pipeline *p, uint64_t now_ns)
{
	advance(p, now_ns, true);
}

void alert_pipeline_get_stats(const struct alert_pipeline *p, struct alert_pipeline_stats *s)
{
	*s = p->st;
	s->evicted_keys = p->dedup.evicted;
	s->keys = p->dedup.n;
	s->incidents = p->incidents.n;
	s->workloads = p->rate.n;
}

uint64_t alert_pipeline_next_incident_id(const struct alert_pipeline *p)
{
	return p->incidents.next_id;
}

void alert_pipeline_set_exceptions(struct alert_pipeline *p, struct alert_exceptions *ex)
{
	p->o.exceptions = ex;
}

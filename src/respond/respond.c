/* respond.c - the responder: pick the action rule, run the checks in the
 * order respond.h gives, act, report one JSON record. */
#include "respond/respond.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "respond/actions.h"
#include "respond/proc_info.h"
#include "respond/protect.h"
#include "respond/rate_limit.h"
#include "rules/rules_file.h"
#include "util/json.h"
#include "util/string_set.h"
#include "util/time_format.h"

struct responder {
	struct respond_options opts;
	struct response_config *cfg;	/* owned */
	struct rate_state rate;
	struct u64_map isolated;	/* cgroup id -> non-NULL while cut off */
};

/* A decision in the making: what, on what, and why. */
struct decision {
	enum respond_action action;
	const struct respond_trigger *t;
	bool manual, dry_run;
	int config_line;		/* 0: none (manual) */
	uint64_t cgroup_id;
};

static void free_config(struct response_config *c)
{
	response_config_free(c);
	free(c);
}

struct responder *responder_new(const struct respond_options *o, struct response_config *cfg)
{
	struct responder *r = calloc(1, sizeof(*r));

	if (!r)
		goto fail;
	if (o)
		r->opts = *o;
	if (!r->opts.wait_ns)
		r->opts.wait_ns = 1000000000ULL;
	if (!cfg && (cfg = calloc(1, sizeof(*cfg))) && response_config_defaults(cfg) < 0) {
		free_config(cfg);
		cfg = NULL;
	}
	if (!cfg)
		goto fail;
	r->cfg = cfg;
	if (rate_state_init(&r->rate) < 0 || u64_map_init(&r->isolated, 16) < 0) {
		responder_free(r);
		return NULL;
	}
	return r;
fail:
	free(r);
	if (cfg)
		free_config(cfg);
	return NULL;
}

void responder_free(struct responder *r)
{
	if (!r)
		return;
	free_config(r->cfg);
	rate_state_destroy(&r->rate);
	u64_map_destroy(&r->isolated, NULL);
	free(r);
}

void responder_set_config(struct responder *r, struct response_config *cfg)
{
	if (!cfg)
		return;
	free_config(r->cfg);
	r->cfg = cfg;
}

/* ---- matching ---- */

static bool glob_ok(const char *pattern, const char *s)
{
	return !pattern || (s && fnmatch(pattern, s, 0) == 0);
}

static bool rule_matches(const struct respond_match *m, const struct respond_trigger *t)
{
	return (m->kind < 0 || m->kind == (int)t->kind) &&
	       (m->priority < 0 || (t->priority >= 0 && t->priority <= m->priority)) &&
	       (m->min_score < 0 || t->score >= m->min_score) &&
	       glob_ok(m->rule, t->rule) &&
	       glob_ok(m->container_name, t->container_name) &&
	       glob_ok(m->container_image, t->container_image) &&
	       glob_ok(m->container_id, t->container_id) &&
	       glob_ok(m->pod, t->pod) &&
	       glob_ok(m->unit, t->unit);
}

/* ---- the report ---- */

static void write_trigger(struct json_writer *w, const struct respond_trigger *t)
{
	char when[40];

	json_key(w, "trigger");
	json_object_begin(w);
	json_kv_string(w, "kind", respond_kind_name(t->kind));
	if (t->rule)
		json_kv_string(w, "rule", t->rule);
	if (t->priority >= 0 && t->priority <= PRIORITY_DEBUG)
		json_kv_string(w, "priority", priority_name(t->priority));
	if (t->score >= 0 && t->kind == RESPOND_KIND_ANOMALY)
		json_kv_int(w, "score", t->score);
	if (t->time_ns) {
		format_rfc3339_ns(when, sizeof(when), t->time_ns);
		json_kv_string(w, "alert_time", when);
	}
	json_object_end(w);
}

static void write_target(struct json_writer *w, const struct decision *d)
{
	const struct respond_trigger *t = d->t;

	json_key(w, "target");
	json_object_begin(w);
	if (t->pid > 0)
		json_kv_int(w, "pid", t->pid);
	if (t->container_id)
		json_kv_string(w, "container_id", t->container_id);
	if (t->container_name)
		json_kv_string(w, "container_name", t->container_name);
	if (t->cgroup_path)
		json_kv_string(w, "cgroup", t->cgroup_path);
	if (d->cgroup_id)
		json_kv_uint(w, "cgroup_id", d->cgroup_id);
	json_object_end(w);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void report(const struct responder *r, const struct decision *d,
		   const struct respond_result *res, respond_result_fn on_result, void *ctx)
{
	struct json_writer w;
	char when[40], where[PATH_MAX + 16];

	if (!on_result)
		return;
	json_init(&w);
	json_object_begin(&w);
	format_rfc3339_ns(when, sizeof(when), wall_ns());
	json_kv_string(&w, "time", when);
	json_kv_string(&w, "kind", "action");
	json_kv_string(&w, "action", respond_action_name(d->action));
	write_trigger(&w, d->t);
	write_target(&w, d);
	json_kv_string(&w, "outcome", res->text);
	json_kv_bool(&w, "dry_run", d->dry_run);
	if (d->config_line) {
		snprintf(where, sizeof(where), "%s:%d", r->cfg->name ? r->cfg->name : "response",
			 d->config_line);
		json_kv_string(&w, "config", where);
	}
	json_kv_uint(&w, "duration_us", res->duration_us);
	if (res->outcome == RESPOND_DONE) {
		json_kv_uint(&w, "processes", res->processes);
		json_kv_bool(&w, "settled", res->settled);
	}
	json_object_end(&w);
	if (!w.failed)
		on_result(ctx, w.buf, w.len);
	json_free(&w);
}

/* ---- the checks ---- */

static bool is_process_action(enum respond_action a)
{
	return a == ACT_KILL_PROCESS || a == ACT_KILL_TREE;
}

static uint64_t cgroup_id_of(const struct responder *r, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	const char *root = r->opts.cgroup2_root ? r->opts.cgroup2_root : "/sys/fs/cgroup/unified";

	/* the v2 cgroup id is the inode number of its directory */
	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", root, path) >= sizeof(dir) ||
	    stat(dir, &st) < 0)
		return 0;
	return st.st_ino;
}

/* The target exists in the trigger and is not protected; else res says why. */
static bool target_allowed(struct responder *r, struct decision *d, struct respond_result *res)
{
	const struct respond_trigger *t = d->t;
	char why[160];

	if (is_process_action(d->action)) {
		if (t->pid <= 0) {
			result_set(res, RESPOND_REFUSED, "refused: no process in the trigger");
			return false;
		}
		if (protect_process(r->cfg, t->pid, t->container_name, why, sizeof(why))) {
			result_set(res, RESPOND_REFUSED, "refused: protected (%s)", why);
			return false;
		}
		return true;
	}
	if (!t->cgroup_path || !*t->cgroup_path) {
		result_set(res, RESPOND_REFUSED, "refused: no cgroup in the trigger");
		return false;
	}
	/* an alert from a host process must not freeze the user's session */
	if (!d->manual && !t->container_id) {
		result_set(res, RESPOND_REFUSED, "refused: not a container");
		return false;
	}
	if (protect_cgroup(r->cfg, t->cgroup_path, t->container_name, why, sizeof(why))) {
		result_set(res, RESPOND_REFUSED, "refused: protected (%s)", why);
		return false;
	}
	return true;
}

static uint64_t repeat_key(const struct decision *d)
{
	const struct respond_trigger *t = d->t;
	uint64_t target = is_process_action(d->action) ?
			  ((uint64_t)t->pid << 40) ^ t->start_ns : d->cgroup_id;

	return string_set_hash((const char *)&target, sizeof(target)) * 31 + d->action + 1;
}

/* Already in the wanted state, or just done: res says so. */
static bool already(struct responder *r, const struct decision *d, struct respond_result *res,
		    uint64_t now_ns)
{
	static const char *const done_text[ACT_COUNT] = {
		[ACT_KILL_PROCESS] = "already killed", [ACT_KILL_TREE] = "already killed",
		[ACT_STOP] = "already stopped",
	};
	bool isolated = u64_map_get(&r->isolated, d->cgroup_id) != NULL;
	int frozen;

	switch (d->action) {
	case ACT_FREEZE:
	case ACT_THAW:
		frozen = cgroup_frozen(&r->opts, d->t->cgroup_path);
		if (frozen < 0 || frozen != (d->action == ACT_FREEZE))
			return false;
		result_set(res, RESPOND_ALREADY, frozen ? "already frozen" : "already thawed");
		return true;
	case ACT_ISOLATE:
		if (isolated)
			result_set(res, RESPOND_ALREADY, "already isolated");
		return isolated;
	case ACT_RELEASE:
		return false;	/* always asked: the enforcement side may know better */
	default:
		if (!rate_recent(&r->rate, repeat_key(d), now_ns, r->cfg->repeat_window_ns))
			return false;
		result_set(res, RESPOND_ALREADY, "%s", done_text[d->action]);
		return true;
	}
}

static void isolate(struct responder *r, const struct decision *d, bool on,
		    struct respond_result *res)
{
	int rc;

	if (!r->opts.isolate) {
		result_set(res, RESPOND_FAILED, "failed: network isolation not available");
		return;
	}
	if (!d->cgroup_id) {
		result_set(res, RESPOND_FAILED, "failed: unknown cgroup id");
		return;
	}
	rc = r->opts.isolate(r->opts.isolate_ctx, d->cgroup_id, on);
	if (rc < 0) {
		result_errno(res, rc);
		return;
	}
	if (on && u64_map_put(&r->isolated, d->cgroup_id, r, NULL) < 0) {
		result_errno(res, -ENOMEM);
		return;
	}
	if (!on)
		u64_map_put(&r->isolated, d->cgroup_id, NULL, NULL);
	res->settled = true;
	result_set(res, RESPOND_DONE, "done");
}

static void act(struct responder *r, const struct decision *d, struct respond_result *res,
		uint64_t start_ns)
{
	const struct respond_trigger *t = d->t;
	struct act_env e = { r->cfg, &r->opts, t->container_name, start_ns + r->opts.wait_ns };

	switch (d->action) {
	case ACT_KILL_PROCESS:
		act_kill_process(&e, t->pid, t->start_ns, res);
		break;
	case ACT_KILL_TREE:
		act_kill_tree(&e, t->pid, t->start_ns, res);
		break;
	case ACT_STOP:
		act_stop_cgroup(&e, t->cgroup_path, res);
		break;
	case ACT_FREEZE:
	case ACT_THAW:
		act_freeze_cgroup(&e, t->cgroup_path, d->action == ACT_FREEZE, res);
		break;
	case ACT_ISOLATE:
	case ACT_RELEASE:
		isolate(r, d, d->action == ACT_ISOLATE, res);
		break;
	default:
		result_set(res, RESPOND_FAILED, "failed: unknown action");
	}
}

static int decide(struct responder *r, struct decision *d, respond_result_fn on_result,
		  void *ctx, struct respond_result *out)
{
	uint64_t start = respond_monotonic_ns();
	struct respond_result res = { .action = d->action };

	d->cgroup_id = d->t->cgroup_id;
	if (!d->cgroup_id && d->t->cgroup_path)
		d->cgroup_id = cgroup_id_of(r, d->t->cgroup_path);
	if (!target_allowed(r, d, &res) || already(r, d, &res, start)) {
		/* refused or nothing to do */
	} else if (!d->manual && !rate_take(&r->rate, r->cfg, d->cgroup_id, start)) {
		result_set(&res, RESPOND_RATE_LIMITED, "rate-limited");
	} else if (d->dry_run) {
		result_set(&res, RESPOND_DRY_RUN, "dry-run");
	} else {
		act(r, d, &res, start);
		if (res.outcome == RESPOND_DONE)
			rate_remember(&r->rate, repeat_key(d), start);
	}
	res.duration_us = (respond_monotonic_ns() - start) / 1000;
	report(r, d, &res, on_result, ctx);
	if (out)
		*out = res;
	return res.outcome == RESPOND_DONE ? 0 : -1;
}

int respond_handle(struct responder *r, const struct respond_trigger *t,
		   respond_result_fn on_result, void *ctx, struct respond_result *res)
{
	if (t->kind == RESPOND_MANUAL)
		return 0;
	for (size_t i = 0; i < r->cfg->nrules; i++) {
		const struct respond_rule *rule = &r->cfg->rules[i];

		if (!rule_matches(&rule->match, t))
			continue;
		struct decision d = {
			.action = rule->action, .t = t, .manual = false,
			.dry_run = r->opts.dry_run ||
				   (rule->dry_run >= 0 ? rule->dry_run : r->cfg->dry_run),
			.config_line = rule->line,
		};
		decide(r, &d, on_result, ctx, res);
		return 1;
	}
	return 0;
}

int respond_do(struct responder *r, enum respond_action a, const struct respond_trigger *t,
	       respond_result_fn on_result, void *ctx, struct respond_result *res)
{
	struct decision d = { .action = a, .t = t, .manual = true };

	if ((unsigned)a >= ACT_COUNT) {
		if (res)
			*res = (struct respond_result){ .action = a, .outcome = RESPOND_FAILED,
							.text = "failed: unknown action" };
		return -1;
	}
	return decide(r, &d, on_result, ctx, res);
}

/* agent.c - vigil's main loop.
 *
 * One thread: wait on the ring buffer (woken by the kernel past a fill
 * threshold, or by the poll interval), decode each record, keep the
 * process table current, write the event.  Every second: refresh the
 * clock offset, reap exited processes, report new drops.
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/control_cmd.h"
#include "agent/downstream.h"
#include "agent/hold_queue.h"
#include "agent/requests.h"
#include "agent/responses.h"
#include "enforce/enforcement.h"
#include "output/block_json.h"
#include "output/alert_json.h"
#include "output/event_json.h"
#include "model/modeler.h"
#include "proc/proc_table.h"
#include "record/record_codec.h"
#include "record/record_file.h"
#include "rules/ruleset.h"
#include "store/store_filter.h"
#include "proc/user_names.h"
#include "sensor/decode.h"
#include "sensor/event_names.h"
#include "sensor/sensor.h"
#include "util/instance_lock.h"
#include "util/json.h"
#include "util/string_set.h"
#include "workload/workload.h"

#define REAP_GRACE_NS	(5ULL * 1000000000ULL)
#define HOLD_MAX	16384	/* events waiting for metadata (then written unresolved) */
#define NS_PER_SEC	1000000000ULL

/* Events the process table needs whatever the user asked to see. */
#define LIFECYCLE_MASK ((1ULL << EVENT_EXEC) | (1ULL << EVENT_FORK) | (1ULL << EVENT_EXIT))

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_reload_signal(int sig)
{
	(void)sig;
	reload_requested = 1;
}

struct agent {
	const struct agent_options *opts;
	struct proc_table *procs;
	struct user_names *users;
	struct workload_registry *workloads;	/* NULL: attribution off */
	struct hold_queue held;
	char workloads_path[4096];		/* state file, "" when none */
	struct event ev;
	struct json_writer json;
	struct json_writer line;		/* event + workload, composed */
	struct downstream *down;		/* alert pipeline and outputs */
	bool replaying;
	char host[256];
	int64_t real_offset_ns;
	uint64_t type_counts[EVENT_TYPE_MAX];
	uint64_t decode_errors, record_errors;
	uint64_t events_seen, alerts;
	uint64_t salt;				/* exec id salt */
	struct record_writer *rec;		/* vigil record */
	struct string_set *recorded;		/* containers whose metadata is in rec */
	struct modeler *models;			/* NULL: behaviour models off */
	struct enforcement *enforce;		/* NULL: no enforcement */
	struct responses *responses;		/* NULL: no response actions */
	char alert_root[EXEC_ID_LEN + 1];	/* process tree root of the next delivered alert */
	struct string_set *protect_checked;	/* containers whose model mode was looked at */
	char pid_path[4200];			/* STATE_DIR/vigil.pid, "" when none */
	int state_lock;				/* flock on STATE_DIR while running */
	struct workload *alert_wl;		/* context of the rule matches being written */
	bool alert_entered;
	struct event_context *alert_ctx;
	uint64_t last_drops;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t real_minus_boot(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
}

/* Boot id mixed into exec ids so they differ between boots. */
static uint64_t boot_salt(void)
{
	char buf[64] = {0};
	uint64_t h = 1469598103934665603ULL;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	for (char *p = buf; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h;
}

/* What the rules need of the new image beyond path and arguments. */
static void keep_exec_details(struct proc_entry *p, const struct event *ev)
{
	struct proc_exec_details *d = &p->details;

	d->known = true;
	memcpy(d->stdio_type, ev->exec.stdio_type, sizeof(d->stdio_type));
	d->tty = ev->exec.tty;
	d->exe_flags = ev->exec.exe_flags;
	d->exe_ctime_ns = ev->exec.exe_ctime_ns;
	d->exe_mtime_ns = ev->exec.exe_mtime_ns;
	d->cap_effective = ev->exec.cap_effective;
	d->cap_permitted = ev->exec.cap_permitted;
}

/* Keep the process table in step with lifecycle events. */
static struct proc_entry *track_process(struct agent *a, const struct event *ev)
{
	struct proc_entry *p;

	switch (ev->type) {
	case EVENT_EXEC:
		if (ev->ret < 0)
			break;
		p = proc_table_on_exec(a->procs, ev->task.pid, ev->task.ppid, ev->boot_ns,
				       ev->exec.exe.ptr ? ev->exec.exe.ptr : "",
				       ev->exec.cwd.ptr ? ev->exec.cwd.ptr : "",
				       ev->exec.args.ptr ? ev->exec.args.ptr : "",
				       ev->exec.args.len, ev->exec.argc,
				       ev->exec.args_truncated);
		if (p)
			keep_exec_details(p, ev);
		return p;
	case EVENT_FORK: {
		struct proc_entry *child = proc_table_on_fork(a->procs, ev->task.pid,
							      ev->fork.child_pid,
							      ev->fork.child_start_ns);
		struct proc_entry *parent = proc_table_lookup(a->procs, ev->task.pid);

		if (child) {
			child->cgroup_id = ev->cgroup_id;
			child->entered = parent && parent->entered;
		}
		break;
	}
	default:
		break;
	}
	p = proc_table_lookup(a->procs, ev->task.pid);
	if (p)
		proc_table_update_creds(p, ev->task.uid, ev->task.gid, ev->task.euid,
					ev->task.comm);
	return p;
}

/* Every finished record leaves the agent here; alerts with what the
 * agent knows of their workload (the pipeline reads the rest from the JSON). */
static void emit_record(struct agent *a, const struct out_record *rec, const struct workload *wl)
{
	struct alert_context ctx = {0};
	char key[CGROUP_NAME_MAX + 8], model_id[CGROUP_NAME_MAX + 16];
	int mode = -1;

	ctx.root_exec_id = rec->root_exec_id;
	if (wl && (rec->kind == OUT_ALERT || rec->kind == OUT_ACTION)) {
		if (wl->kind == WORKLOAD_CONTAINER) {
			ctx.workload_key = wl->id;
			if (wl->meta_state == META_READY)
				ctx.workload_start_ns = wl->meta.started_unix_ns;
			snprintf(model_id, sizeof(model_id), "container:%s", wl->id);
			mode = a->models ? modeler_mode(a->models, model_id) : -1;
			if (mode >= 0)
				ctx.mode = model_mode_name(mode);
		} else if (wl->unit[0]) {
			snprintf(key, sizeof(key), "host:%s", wl->unit);
			ctx.workload_key = key;
		}
	}
	downstream_emit(a->down, rec, &ctx);
	if (downstream_broken(a->down))
		stop_requested = 1;	/* the reader of stdout went away */
}

/* body is an event object without its closing brace; the workload goes
 * last so that an event held for metadata is rendered only once. */
static void write_with_workload(struct agent *a, const struct out_record *body,
				const struct workload *wl, bool entered)
{
	struct out_record rec = *body;

	json_reset(&a->line);
	json_raw(&a->line, body->json, body->len);
	json_raw(&a->line, ",\"workload\":", 12);
	json_reset_nesting(&a->line);
	workload_json_write(&a->line, wl, entered);
	json_raw(&a->line, "}", 1);
	if (a->line.failed)
		return;
	rec.json = a->line.buf;
	rec.len = a->line.len;
	emit_record(a, &rec, wl);
}

static void emit_held(void *ctx, const struct held_event *e)
{
	struct out_record rec = {
		.kind = e->kind, .priority = e->priority, .time_ns = e->time_ns,
		.json = e->json, .len = e->len,
		.root_exec_id = e->root_exec_id[0] ? e->root_exec_id : NULL,
	};

	write_with_workload(ctx, &rec, e->wl, e->entered);
}

/* Write a->json now, or hold it until the container's metadata is known. */
static void deliver(struct agent *a, struct workload *wl, bool entered, uint64_t now_ns,
		    enum out_kind kind, int priority, uint64_t time_ns)
{
	char root[EXEC_ID_LEN + 1];
	struct out_record rec = {
		.kind = kind, .priority = priority, .time_ns = time_ns,
		.json = a->json.buf, .len = a->json.len,
	};

	/* the root belongs to this record only */
	snprintf(root, sizeof(root), "%s", a->alert_root);
	rec.root_exec_id = root[0] ? root : NULL;
	a->alert_root[0] = 0;
	if (a->json.failed || rec.len < 2)
		return;
	if (!wl) {
		emit_record(a, &rec, NULL);
		return;
	}
	rec.len--;	/* drop the closing brace: the workload follows */
	if (wl->meta_state == META_PENDING &&
	    hold_queue_push(&a->held, wl, entered, &rec,
			    now_ns + a->opts->cfg->workload.metadata_wait_ns) == 0)
		return;
	write_with_workload(a, &rec, wl, entered);
}

/* container_start / container_stop, from the kernel's cgroup records. */
static void lifecycle_event(struct agent *a, enum event_type type, struct workload *wl)
{
	char time[48];

	if (!wl || !(a->opts->output_mask & (1ULL << type)))
		return;
	format_rfc3339_ns(time, sizeof(time), a->ev.real_ns);
	json_reset(&a->json);
	json_object_begin(&a->json);
	json_kv_string(&a->json, "time", time);
	json_kv_string(&a->json, "host", a->host);
	json_kv_string(&a->json, "event", event_type_name(type));
	json_kv_uint(&a->json, "cgroup_id", a->ev.cgroup.id);
	json_object_end(&a->json);
	a->type_counts[type]++;
	deliver(a, wl, false, a->ev.boot_ns, OUT_EVENT, OUT_PRIORITY_NONE, a->ev.real_ns);
}

static bool on_cgroup_record(struct agent *a)
{
	const struct event *ev = &a->ev;
	struct workload *wl;

	if (ev->type == EVENT_CGROUP_MKDIR) {
		wl = workload_on_cgroup_mkdir(a->workloads, ev->cgroup.id, ev->cgroup.path.ptr,
					      ev->cgroup.path.len, ev->boot_ns);
		lifecycle_event(a, EVENT_CONTAINER_START, wl);
	} else {
		wl = workload_on_cgroup_rmdir(a->workloads, ev->cgroup.id, ev->boot_ns);
		lifecycle_event(a, EVENT_CONTAINER_STOP, wl);
	}
	return true;
}

/* A process entered a container when it execs inside the container
 * (its cgroup and its mount namespace) but was started by a process
 * outside it (podman exec, runc exec), and is not the container's own
 * init; its children inherit that.  The mount namespace check leaves out
 * the runtime's own helpers, which sit in the cgroup before the
 * container's namespaces exist. */
static bool process_entered(struct agent *a, struct proc_entry *p,
			    const struct workload *wl)
{
	const struct event *ev = &a->ev;

	if (!p)
		return false;
	if (ev->type == EVENT_EXEC && ev->ret >= 0 && wl->kind == WORKLOAD_CONTAINER &&
	    ev->task.ns_pid != 1 && wl->mntns && ev->task.mntns == wl->mntns &&
	    p->parent && p->parent->cgroup_id &&
	    workload_of_cgroup(a->workloads, p->parent->cgroup_id) != wl)
		p->entered = true;
	p->cgroup_id = ev->cgroup_id;
	return p->entered;
}

/* The top of p's process tree inside its workload: incidents group the
 * alerts of one tree (a container's init and what it started; a host
 * service's main process). */
static void note_tree_root(struct agent *a, const struct proc_entry *p, const struct workload *wl)
{
	const struct proc_entry *top = p;

	a->alert_root[0] = 0;
	if (!p || !a->workloads)
		return;
	while (top->parent && top->parent->cgroup_id &&
	       workload_of_cgroup(a->workloads, top->parent->cgroup_id) == wl)
		top = top->parent;
	snprintf(a->alert_root, sizeof(a->alert_root), "%s", top->exec_id);
}

/* An alert that response actions may answer; carried out between batches. */
static void queue_response(struct agent *a, enum respond_kind kind, const char *rule,
			   int priority, int score, const struct workload *wl, uint32_t pid,
			   uint64_t start_ns, uint64_t cgroup_id, uint64_t time_ns)
{
	struct respond_trigger t = {
		.kind = kind, .rule = rule, .priority = priority, .score = score,
		.time_ns = time_ns, .pid = (pid_t)pid, .start_ns = start_ns, .cgroup_id = cgroup_id,
	};

	if (wl && wl->kind == WORKLOAD_CONTAINER) {
		t.container_id = wl->id;
		if (wl->meta_state == META_READY) {
			t.container_name = wl->meta.name;
			t.container_image = wl->meta.image;
			t.pod = wl->meta.pod_name;
		}
	} else if (wl && wl->unit[0]) {
		t.unit = wl->unit;
	}
	responses_queue(a->responses, &t);
}

/* A rule matched: write the alert, held like the event for its workload's metadata. */
static void on_rule_match(void *ctx, size_t rule_index, const struct rule_input *in)
{
	struct agent *a = ctx;

	a->alerts++;
	a->alert_ctx->user = user_name_lookup(a->users, a->ev.task.uid);	/* only now: it reads the clock */
	json_reset(&a->json);
	alert_json_write(&a->json, a->opts->rules, rule_index, in, a->alert_ctx, false);
	note_tree_root(a, in->proc, a->alert_wl);
	deliver(a, a->alert_wl, a->alert_entered, a->ev.boot_ns, OUT_ALERT,
		rule_engine_rule(a->opts->rules, rule_index)->priority, a->ev.real_ns);
	if (responses_active(a->responses)) {
		const struct engine_rule *r = rule_engine_rule(a->opts->rules, rule_index);

		queue_response(a, RESPOND_KIND_RULE, r->name, r->priority, -1, a->alert_wl,
			       a->ev.task.pid, in->proc ? in->proc->start_ns : 0, a->ev.cgroup_id,
			       a->ev.real_ns);
	}
}

static void evaluate_rules(struct agent *a, struct event_context *ectx, struct workload *wl,
			   bool entered)
{
	struct rule_input in = {
		.ev = &a->ev, .proc = ectx->proc, .wl = wl, .entered = entered,
		.host = a->host, .users = a->users, .evt_num = a->events_seen,
	};

	a->alert_wl = wl;
	a->alert_entered = entered;
	a->alert_ctx = ectx;
	rule_engine_evaluate(a->opts->rules, &in, on_rule_match, a);
}

/* With output.events off, events are rendered only for the audit store:
 * skip what its filter would drop anyway (forks, signals, plain reads of
 * ordinary files), the bulk of a busy host's events. */
static bool worth_rendering(const struct agent *a, const struct event *ev)
{
	const struct vigil_config *cfg = a->opts->cfg;
	uint32_t flags = ev->file.flags;

	if (cfg->output.events || cfg->store.events != 1)	/* 1: security */
		return true;
	switch (ev->type) {
	case EVENT_FORK:
	case EVENT_KILL:
		return false;
	case EVENT_OPEN:
		return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
		       ev->ret == -EPERM || ev->ret == -EACCES ||
		       (ev->file.path.ptr &&
			store_filter_sensitive_path(ev->file.path.ptr, ev->file.path.len));
	default:
		return true;
	}
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct agent *a = ctx;
	char err[128];
	struct event_context ectx = {.host = a->host, .table = a->procs};

	if (a->rec && record_write(a->rec, FRAME_SENSOR, data, size) && a->record_errors++ == 0)
		fprintf(stderr, "vigil: warning: cannot write the recording\n");
	if (event_decode(&a->ev, data, size, a->real_offset_ns, err, sizeof(err))) {
		if (a->decode_errors++ < 10)
			fprintf(stderr, "vigil: warning: %s\n", err);
		return 0;
	}
	if (a->ev.type >= EVENT_TYPE_MAX) {	/* attribution records */
		if (a->workloads)
			on_cgroup_record(a);
		return stop_requested ? 1 : 0;
	}
	a->type_counts[a->ev.type]++;
	a->events_seen++;
	struct proc_entry *proc = track_process(a, &a->ev);
	struct workload *wl = NULL;
	bool entered = false;

	ectx.proc = proc;
	if (a->workloads) {
		wl = workload_for_event(a->workloads, a->ev.cgroup_id, a->ev.task.mntns,
					a->ev.task.ns_pid, a->ev.boot_ns, &entered);
		if (wl)
			entered = process_entered(a, proc, wl) || entered;
	}
	if ((a->opts->output_mask & (1ULL << a->ev.type)) && worth_rendering(a, &a->ev)) {
		ectx.user = user_name_lookup(a->users, a->ev.task.uid);
		json_reset(&a->json);
		event_json_write(&a->json, &a->ev, &ectx);
		deliver(a, wl, entered, a->ev.boot_ns, OUT_EVENT, OUT_PRIORITY_NONE, a->ev.real_ns);
	}
	if (a->opts->rules)
		evaluate_rules(a, &ectx, wl, entered);
	if (a->models) {
		struct rule_input in = {
			.ev = &a->ev, .proc = proc, .wl = wl, .entered = entered,
			.host = a->host, .users = a->users, .evt_num = a->events_seen,
		};

		a->alert_ctx = &ectx;	/* for capture(), called from inside observe */
		modeler_observe(a->models, &in, a->ev.real_ns);
	}
	if (a->ev.type == EVENT_EXIT)
		proc_table_on_exit(a->procs, a->ev.task.pid, a->ev.boot_ns);
	return stop_requested ? 1 : 0;
}

static void write_stats_json(struct agent *a, struct sensor *s, FILE *f)
{
	struct sensor_stats st;
	struct json_writer w;

	if (sensor_stats(s, &st))
		return;
	json_init(&w);
	json_object_begin(&w);
	json_key(&w, "events");
	json_object_begin(&w);
	for (int t = 1; t < EVENT_TYPE_MAX; t++)
		if (a->type_counts[t])
			json_kv_uint(&w, event_type_name(t), a->type_counts[t]);
	json_object_end(&w);
	json_kv_uint(&w, "kernel_events", st.events);
	json_kv_uint(&w, "drops", st.drops);
	json_key(&w, "drops_per_cpu");
	json_array_begin(&w);
	for (int c = 0; c < st.ncpus && c < 64; c++)
		json_uint(&w, st.drops_per_cpu[c]);
	json_array_end(&w);
	json_kv_uint(&w, "too_big", st.too_big);
	json_kv_uint(&w, "deduplicated", st.deduplicated);
	json_kv_uint(&w, "program_misses", st.prog_misses);
	json_kv_uint(&w, "ring_buffer_size", st.ring_size);
	json_kv_uint(&w, "ring_buffer_max_fill", st.max_pending);
	json_kv_uint(&w, "decode_errors", a->decode_errors);
	if (a->models) {
		struct modeler_counts mc;

		modeler_counts(a->models, &mc);
		json_key(&w, "models");
		json_object_begin(&w);
		for (int mode = 0; mode <= MODE_PROTECTING; mode++)
			json_kv_uint(&w, model_mode_name(mode), mc.models[mode]);
		json_kv_uint(&w, "anomalies", mc.anomalies);
		json_kv_uint(&w, "novelties", mc.novelties);
		json_object_end(&w);
	}
	if (a->opts->rules || a->models) {
		json_kv_uint(&w, "alerts", a->alerts);
		if (a->opts->rules)
			json_kv_uint(&w, "rules_active", rule_engine_active_count(a->opts->rules));
	}
	json_kv_uint(&w, "processes", proc_table_size(a->procs));
	if (a->workloads) {
		json_kv_uint(&w, "workloads", workload_registry_count(a->workloads));
		json_kv_uint(&w, "cgroups", workload_registry_cgroups(a->workloads));
		json_kv_uint(&w, "held", a->held.count);
	}
	json_object_end(&w);
	if (!w.failed)
		fprintf(f, "vigil: stats %.*s\n", (int)w.len, w.buf);
	json_free(&w);
}

static void report_new_drops(struct agent *a, struct sensor *s)
{
	struct sensor_stats st;

	if (sensor_stats(s, &st) || st.drops == a->last_drops)
		return;
	fprintf(stderr, "vigil: warning: ring buffer full, %llu events lost (%llu in total)\n",
		(unsigned long long)(st.drops - a->last_drops),
		(unsigned long long)st.drops);
	a->last_drops = st.drops;
}

/* The Prometheus endpoint's view of the agent, refreshed once a second. */
static void update_metrics(struct agent *a, struct sensor *s)
{
	struct metrics *m = downstream_metrics(a->down);
	struct sensor_stats st;

	if (!m)
		return;
	for (int t = 1; t < EVENT_TYPE_MAX; t++)
		if (a->type_counts[t])
			metrics_set(m, "vigil_events_total", "type", event_type_name(t),
				    a->type_counts[t]);
	if (s && sensor_stats(s, &st) == 0)
		metrics_set(m, "vigil_events_dropped_total", NULL, NULL, st.drops);
	if (a->models) {
		struct modeler_counts c;

		modeler_counts(a->models, &c);
		for (int mode = 0; mode < 3; mode++)
			metrics_set(m, "vigil_models", "mode", model_mode_name(mode), c.models[mode]);
	}
	if (a->enforce) {
		struct enforcement_stats es;

		enforcement_stats(a->enforce, &es);
		metrics_set(m, "vigil_policy_blocks_total", NULL, NULL, es.blocked);
	}
}

/* Metadata that arrived, deadlines that passed: release held events. */
/* Metadata that arrived since the last look goes into the recording. */
static void record_new_metadata(struct agent *a)
{
	for (struct workload *wl = workload_registry_first(a->workloads); wl; wl = wl->next) {
		if (wl->meta_state != META_READY ||
		    string_set_contains(a->recorded, wl->id, strlen(wl->id)))
			continue;
		if (string_set_add(a->recorded, wl->id, strlen(wl->id)) == 0)
			record_write_container(a->rec, &wl->meta);
	}
}

static void release_held_at(struct agent *a, uint64_t now_ns, bool force)
{
	if (!a->workloads)
		return;
	if (workload_registry_poll(a->workloads)) {
		if (a->rec)
			record_new_metadata(a);
		if (a->enforce)
			enforcement_reconcile(a->enforce, a->workloads);
	}
	hold_queue_release(&a->held, now_ns, force, emit_held, a);
}

static void release_held(struct agent *a, bool force)
{
	release_held_at(a, clock_ns(CLOCK_BOOTTIME), force);
}

/* ---- enforcement: policies in the kernel, what they blocked ---------- */

static void on_enforcement_report(void *ctx, const struct enforcement_report *r)
{
	struct agent *a = ctx;
	struct workload *wl = a->workloads ?
		(struct workload *)workload_of_cgroup(a->workloads, r->cgroup_id) : NULL;
	struct proc_entry *p = proc_table_lookup(a->procs, r->pid);
	uint64_t real_ns = r->boot_ns + a->real_offset_ns;

	a->alerts++;
	json_reset(&a->json);
	block_json_write(&a->json, r, p, a->host, real_ns);
	note_tree_root(a, p, wl);
	deliver(a, wl, p && p->entered, clock_ns(CLOCK_BOOTTIME), OUT_ALERT,
		r->action[0] == 'b' ? PRIORITY_WARNING : PRIORITY_NOTICE, real_ns);
	if (responses_active(a->responses) && r->action[0] == 'b')
		queue_response(a, RESPOND_KIND_BLOCK, r->rule, PRIORITY_WARNING, -1, wl, r->pid,
			       p ? p->start_ns : 0, r->cgroup_id, real_ns);
}

static int load_policies(struct agent *a)
{
	const char *paths[64];
	char *list = strdup(a->opts->cfg->enforce.policies), err[4096];
	size_t n;
	int rc;

	if (!list)
		return -1;
	n = rules_split_paths(list, paths, 64);
	rc = enforcement_load(a->enforce, paths, n, a->workloads, err, sizeof(err));
	if (rc)
		fprintf(stderr, "vigil: policies refused, the ones in force stay:\n%s\n", err);
	else
		fprintf(stderr, "vigil: %zu policies loaded\n", enforcement_policy_count(a->enforce));
	free(list);
	if (rc == 0 && a->workloads)
		enforcement_reconcile(a->enforce, a->workloads);
	return rc;
}

static int enforcement_start(struct agent *a)
{
	const struct vigil_config *cfg = a->opts->cfg;
	struct enforcement_options o = {
		.cgroup_root = "/sys/fs/cgroup/unified", .pin_dir = cfg->enforce.pin_dir,
		.fail_closed = cfg->enforce.fail_mode == 0, .dry_run = cfg->enforce.dry_run,
		.files = cfg->enforce.files,
	};
	char err[512];

	if (!a->opts->enforce || !cfg->enforce.enabled)
		return 0;
	if (access(o.cgroup_root, F_OK))
		o.cgroup_root = "/sys/fs/cgroup";	/* a pure v2 machine */
	if (instance_lock_held_elsewhere(o.pin_dir)) {
		/* running beside it would sweep its kernel entries */
		fprintf(stderr, "vigil: another vigil agent is running with pin directory %s (one "
			"agent per pin directory; set enforce.pin_dir or enforce.enabled=false)\n",
			o.pin_dir);
		return -1;
	}
	a->enforce = enforcement_open(&o, err, sizeof(err));
	if (!a->enforce) {
		fprintf(stderr, "vigil: enforcement: %s\n", err);
		return cfg->enforce.policies[0] ? -1 : 0;	/* policies asked for: cannot run */
	}
	a->protect_checked = string_set_new(false);
	return load_policies(a);
}

/* A model in protecting mode becomes its container's policy. */
static void protect_with_model(struct agent *a, const struct workload *wl, int mode,
			       const struct profile *prof)
{
	char name[64];

	snprintf(name, sizeof(name), "model-%.12s", wl->id);
	if (enforcement_protect_with_profile(a->enforce, wl, mode == MODE_PROTECTING ? prof : NULL,
					     name) == 0 && mode == MODE_PROTECTING)
		fprintf(stderr, "vigil: container %s protected by its model (policy %s)\n",
			wl->meta_state == META_READY ? wl->meta.name : wl->id, name);
}

/* Models persisted in protecting mode, for containers seen for the first time. */
static void check_protecting_models(struct agent *a)
{
	char id[128];
	int mode;

	if (!a->enforce || !a->models || !a->workloads)
		return;
	for (struct workload *wl = workload_registry_first(a->workloads); wl; wl = wl->next) {
		const struct profile *prof;

		if (wl->kind != WORKLOAD_CONTAINER || wl->stopped ||
		    string_set_contains(a->protect_checked, wl->id, strlen(wl->id)))
			continue;
		string_set_add(a->protect_checked, wl->id, strlen(wl->id));
		snprintf(id, sizeof(id), "container:%s", wl->id);
		prof = modeler_profile(a->models, id, &mode);
		if (prof && mode == MODE_PROTECTING)
			protect_with_model(a, wl, mode, prof);
	}
}

static void enforcement_tick(struct agent *a)
{
	if (reload_requested) {
		reload_requested = 0;
		fprintf(stderr, "vigil: reloading policies and exceptions\n");
		if (a->enforce)
			load_policies(a);
		if (a->responses)
			responses_reload(a->responses);
		downstream_reload(a->down);
	}
	if (!a->enforce)
		return;
	check_protecting_models(a);
	if (a->workloads)
		enforcement_reconcile(a->enforce, a->workloads);
}

/* ---- response actions ------------------------------------------------- */

static int isolate_cgroup(void *ctx, uint64_t cgroup_id, bool on)
{
	struct agent *a = ctx;

	return a->enforce ? enforcement_isolate(a->enforce, cgroup_id, on) : -ENOTSUP;
}

static const char *cgroup_path_of(void *ctx, uint64_t cgroup_id)
{
	struct agent *a = ctx;

	return a->workloads ? workload_registry_cgroup_path(a->workloads, cgroup_id) : NULL;
}

/* An action's record, with the workload it acted on. */
static void emit_action(void *ctx, const char *json, size_t len, uint64_t cgroup_id)
{
	struct agent *a = ctx;
	struct workload *wl = a->workloads && cgroup_id ?
		(struct workload *)workload_of_cgroup(a->workloads, cgroup_id) : NULL;

	json_reset(&a->json);
	json_raw(&a->json, json, len);
	json_reset_nesting(&a->json);
	deliver(a, wl, false, clock_ns(CLOCK_BOOTTIME), OUT_ACTION, OUT_PRIORITY_NONE,
		clock_ns(CLOCK_REALTIME));
}

struct find_cgroup {
	const struct workload_registry *reg;
	const struct workload *wl;
	uint64_t id;
	const char *path;
};

static void match_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct find_cgroup *f = ctx;

	if (!f->id && workload_of_cgroup(f->reg, id) == f->wl) {
		f->id = id;
		f->path = path;
	}
}

/* A container by name or id prefix (at least 4 characters). */
static const struct workload *find_container(struct agent *a, const char *target)
{
	size_t n = strlen(target);

	for (struct workload *wl = workload_registry_first(a->workloads); wl; wl = wl->next) {
		if (wl->kind != WORKLOAD_CONTAINER || wl->stopped)
			continue;
		if ((n >= 4 && !strncmp(wl->id, target, n)) ||
		    (wl->meta_state == META_READY && !strcmp(wl->meta.name, target)))
			return wl;
	}
	return NULL;
}

/* `vigil respond ACTION TARGET`: TARGET is a pid or a container. */
static void on_respond_request(void *ctx, const char *id, const char *action, const char *target)
{
	struct agent *a = ctx;
	struct respond_trigger t = {.kind = RESPOND_MANUAL, .priority = -1, .score = -1};
	char json[2048];
	char *end;
	long pid = strtol(target, &end, 10);

	if (!strcmp(action, "kill"))
		action = "kill_process";
	if (!*end && pid > 0) {
		t.pid = (pid_t)pid;
	} else {
		const struct workload *wl = a->workloads ? find_container(a, target) : NULL;
		struct find_cgroup f = {.reg = a->workloads, .wl = wl};

		if (wl)
			workload_registry_each_cgroup(a->workloads, match_cgroup, &f);
		if (!wl || !f.id) {
			snprintf(json, sizeof(json), "{\"outcome\":\"failed: no running container or "
				 "pid '%s'\"}", target);
			respond_request_done(a->opts->cfg->state_dir, id, json, strlen(json));
			return;
		}
		t.container_id = wl->id;
		t.container_name = wl->meta_state == META_READY ? wl->meta.name : NULL;
		t.container_image = wl->meta_state == META_READY ? wl->meta.image : NULL;
		t.cgroup_id = f.id;
		t.cgroup_path = f.path;
	}
	json[0] = 0;
	responses_manual(a->responses, action, &t, emit_action, a, json, sizeof(json));
	respond_request_done(a->opts->cfg->state_dir, id, json, strlen(json));
}

static void responses_tick(struct agent *a)
{
	if (!a->responses)
		return;
	responses_run(a->responses, cgroup_path_of, emit_action, a);
}

static int responses_start(struct agent *a)
{
	if (!a->opts->enforce)
		return 0;	/* replay, trace: nothing acts on this machine */
	a->responses = responses_open(a->opts->cfg, a->enforce ? isolate_cgroup : NULL, a);
	return a->responses ? 0 : -1;
}

/* The live agent owns its state directory (webhook queue, store,
 * models, request files): a second one there is refused. */
static int lock_state_dir(struct agent *a)
{
	char err[4400];

	if (!a->opts->enforce)
		return 0;	/* trace: writes nothing there */
	a->state_lock = instance_lock_take(a->opts->cfg->state_dir, "state directory", err,
					   sizeof(err));
	if (a->state_lock < 0) {
		long pid = running_agent(a->opts->cfg->state_dir);

		if (pid)
			fprintf(stderr, "vigil: %s (pid %ld)\n", err, pid);
		else
			fprintf(stderr, "vigil: %s\n", err);
		return -1;
	}
	return 0;
}

static void write_pid_file(struct agent *a)
{
	FILE *f;

	snprintf(a->pid_path, sizeof(a->pid_path), "%s/vigil.pid", a->opts->cfg->state_dir);
	f = fopen(a->pid_path, "w");
	if (!f) {
		a->pid_path[0] = 0;
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

static void every_second(struct agent *a, struct sensor *s)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	a->real_offset_ns = real_minus_boot();
	if (a->rec)
		record_write(a->rec, FRAME_CLOCK, &a->real_offset_ns, sizeof(a->real_offset_ns));
	proc_table_reap(a->procs, now, REAP_GRACE_NS);
	if (a->workloads) {
		workload_registry_reap(a->workloads, now, REAP_GRACE_NS);
		if (a->workloads_path[0])
			workload_registry_save(a->workloads, a->workloads_path, a->real_offset_ns);
	}
	if (a->models)
		modeler_tick(a->models, clock_ns(CLOCK_REALTIME));
	enforcement_tick(a);
	if (a->responses)
		respond_requests_each(a->opts->cfg->state_dir, on_respond_request, a);
	report_new_drops(a, s);
	update_metrics(a, s);
	downstream_tick(a->down, clock_ns(CLOCK_REALTIME));
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	sa.sa_handler = on_reload_signal;
	if (sigaction(SIGHUP, &sa, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The alert pipeline and outputs, then the signals that end the run. */
static int open_outputs(struct agent *a, const struct vigil_config *cfg)
{
	/* the agent (run, record) keeps the store; trace does not; a replay
	 * only into a store named explicitly (benchmarks) */
	a->down = downstream_open(cfg, a->replaying,
				  a->replaying ? cfg->store.path[0] != 0 : a->opts->enforce);
	if (!a->down)
		return -1;
	return install_signals();
}

static int agent_setup(struct agent *a, const struct agent_options *opts)
{
	const struct vigil_config *cfg = opts->cfg;

	a->opts = opts;
	event_init(&a->ev);
	json_init(&a->json);
	if (gethostname(a->host, sizeof(a->host) - 1))
		strcpy(a->host, "unknown");
	a->real_offset_ns = real_minus_boot();
	a->salt = boot_salt();
	a->procs = proc_table_new(a->salt);
	a->users = user_names_new("/etc/passwd");
	if (!a->procs || !a->users) {
		fprintf(stderr, "vigil: out of memory\n");
		return -1;
	}
	proc_table_set_max(a->procs, cfg->sensor.max_processes);
	if (proc_table_seed(a->procs, opts->proc_root) < 0)
		fprintf(stderr, "vigil: warning: cannot read %s: %s\n", opts->proc_root,
			strerror(errno));
	hold_queue_init(&a->held, HOLD_MAX);
	json_init(&a->line);
	if (cfg->workload.attribution) {
		struct stat st;

		if (stat(cfg->state_dir, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(a->workloads_path, sizeof(a->workloads_path),
				 "%s/workloads.json", cfg->state_dir);
		a->workloads = workload_registry_new(NULL, NULL);
		if (!a->workloads) {
			fprintf(stderr, "vigil: cannot start workload attribution\n");
			return -1;
		}
	}
	return open_outputs(a, cfg);
}

/* ---- behaviour models: anomalies and mode changes -------------------- */

/* What an anomaly alert says about its process, taken when the process
 * showed its first novelty (it may be gone when the alert is written). */
struct anomaly_context {
	struct workload *wl;
	bool entered;
	uint64_t boot_ns;
	uint32_t pid;
	uint64_t start_ns, cgroup_id;	/* for response actions */
	char root[EXEC_ID_LEN + 1];	/* process tree root in the workload */
	char *proc_json;		/* "proc":{...} */
	char *fields_json;		/* "proc.name":...,... (output_fields members) */
	char summary[256];		/* "nc (pid 12)" */
};

static char *json_member_text(struct json_writer *w, size_t from)
{
	return w->failed ? NULL : strndup(w->buf + from, w->len - from);
}

static void *anomaly_capture(void *ctx, const struct rule_input *in)
{
	struct agent *a = ctx;
	struct anomaly_context *c = calloc(1, sizeof(*c));
	struct json_writer w;
	const struct proc_entry *p = in->proc;
	size_t mark;

	if (!c)
		return NULL;
	c->wl = (struct workload *)in->wl;
	c->entered = in->entered;
	c->boot_ns = in->ev->boot_ns;
	c->pid = in->ev->task.pid;
	c->start_ns = p ? p->start_ns : 0;
	c->cgroup_id = in->ev->cgroup_id;
	note_tree_root(a, p, in->wl);
	snprintf(c->root, sizeof(c->root), "%s", a->alert_root);
	a->alert_root[0] = 0;
	snprintf(c->summary, sizeof(c->summary), "%s (pid %u)", in->ev->task.comm, in->ev->task.pid);
	json_init(&w);
	json_object_begin(&w);
	mark = w.len;
	a->alert_ctx->user = user_name_lookup(a->users, in->ev->task.uid);
	event_json_write_proc(&w, in->ev, a->alert_ctx);
	c->proc_json = json_member_text(&w, mark);
	json_reset(&w);
	json_object_begin(&w);
	mark = w.len;
	json_kv_string(&w, "proc.name", in->ev->task.comm);
	json_kv_string(&w, "proc.exepath", p && p->exe ? p->exe : "");
	json_kv_uint(&w, "proc.pid", in->ev->task.pid);
	json_kv_string(&w, "user.name", a->alert_ctx->user ? a->alert_ctx->user : "");
	c->fields_json = json_member_text(&w, mark);
	json_free(&w);
	if (!c->proc_json || !c->fields_json) {
		free(c->proc_json);
		free(c->fields_json);
		free(c);
		return NULL;
	}
	return c;
}

static void anomaly_discard(void *ctx, void *captured)
{
	struct anomaly_context *c = captured;

	(void)ctx;
	if (!c)
		return;
	free(c->proc_json);
	free(c->fields_json);
	free(c);
}

static int anomaly_priority_value(int score)
{
	return score >= 70 ? PRIORITY_WARNING : score >= 40 ? PRIORITY_NOTICE
							  : PRIORITY_INFORMATIONAL;
}

static const char *anomaly_priority(int score)
{
	return score >= 70 ? "Warning" : score >= 40 ? "Notice" : "Informational";
}

/* "exec /usr/bin/nc <- /bin/sh as root; connect ..." for the output line. */
static void novelty_summary(const struct model_anomaly *an, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < an->count && len < cap; i++) {
		int n = snprintf(buf + len, cap - len, "%s%s %s", i ? "; " : "",
				 an->novelties[i].category, an->novelties[i].value);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (an->more && len < cap)
		snprintf(buf + len, cap - len, "; and %zu more", an->more);
}

static void write_novelties(struct json_writer *w, const struct model_anomaly *an)
{
	json_key(w, "novelties");
	json_array_begin(w);
	for (size_t i = 0; i < an->count; i++) {
		const struct model_novelty *n = &an->novelties[i];

		json_object_begin(w);
		json_kv_string(w, "category", n->category);
		json_kv_string(w, "value", n->value);
		json_kv_int(w, "score", n->score);
		json_kv_bool(w, "group_known", n->group_known);
		json_object_end(w);
	}
	json_array_end(w);
}

static void anomaly_emit(void *ctx, const struct model_anomaly *an)
{
	struct agent *a = ctx;
	struct anomaly_context *c = an->captured;
	char time[48], clock[32], what[2048], *output;
	size_t olen;
	time_t secs = (time_t)(an->time_ns / NS_PER_SEC);
	struct tm tm;

	if (!c)
		return;
	a->alerts++;
	format_rfc3339_ns(time, sizeof(time), an->time_ns);
	gmtime_r(&secs, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	novelty_summary(an, what, sizeof(what));
	olen = strlen(what) + strlen(an->model->name) + strlen(c->summary) + 200;
	output = malloc(olen);
	if (output)
		snprintf(output, olen, "%s.%09llu: %s New behaviour of %s (%s): %s (process %s)",
			 clock, (unsigned long long)(an->time_ns % NS_PER_SEC),
			 anomaly_priority(an->score), an->model->name,
			 model_mode_name(an->model->mode), what, c->summary);
	json_reset(&a->json);
	json_object_begin(&a->json);
	json_kv_string(&a->json, "time", time);
	json_kv_string(&a->json, "rule", "Behaviour anomaly");
	json_kv_string(&a->json, "priority", anomaly_priority(an->score));
	json_kv_string(&a->json, "output", output ? output : what);
	json_key(&a->json, "output_fields");
	json_object_begin(&a->json);
	json_kv_uint(&a->json, "evt.time", an->time_ns);
	json_raw(&a->json, c->fields_json, strlen(c->fields_json));	/* the comma comes with it */
	json_kv_string(&a->json, "vigil.model", an->model->id);
	json_object_end(&a->json);
	json_key(&a->json, "tags");
	json_array_begin(&a->json);
	json_string(&a->json, "anomaly");
	for (size_t i = 0; i < an->count; i++)
		json_string(&a->json, an->novelties[i].category);
	json_array_end(&a->json);
	json_kv_string(&a->json, "source", "syscall");
	json_kv_string(&a->json, "hostname", a->host);
	json_kv_string(&a->json, "kind", "anomaly");
	json_key(&a->json, "anomaly");
	json_object_begin(&a->json);
	json_kv_string(&a->json, "model", an->model->id);
	json_kv_string(&a->json, "mode", model_mode_name(an->model->mode));
	json_kv_int(&a->json, "score", an->score);
	json_kv_uint(&a->json, "model_age_s", an->model_age_ns / NS_PER_SEC);
	json_kv_uint(&a->json, "monitoring_for_s", an->stable_for_ns / NS_PER_SEC);
	write_novelties(&a->json, an);
	if (an->more)
		json_kv_uint(&a->json, "more", an->more);
	json_object_end(&a->json);
	json_raw(&a->json, c->proc_json, strlen(c->proc_json));
	json_object_end(&a->json);
	free(output);
	snprintf(a->alert_root, sizeof(a->alert_root), "%s", c->root);
	deliver(a, c->wl, c->entered, c->boot_ns, OUT_ALERT, anomaly_priority_value(an->score),
		an->time_ns);
	if (responses_active(a->responses))
		queue_response(a, RESPOND_KIND_ANOMALY, "Behaviour anomaly",
			       anomaly_priority_value(an->score), an->score, c->wl, c->pid,
			       c->start_ns, c->cgroup_id, an->time_ns);
	anomaly_discard(a, c);
}

/* The live workload of a model: the modeler's own pointer may outlive the
 * workload (a container reaped while its model changes mode later). */
static const struct workload *workload_of_model(struct agent *a, const char *model_id)
{
	const char *id = model_id + strlen("container:");

	if (!a->workloads || strncmp(model_id, "container:", 10))
		return NULL;
	for (struct workload *wl = workload_registry_first(a->workloads); wl; wl = wl->next)
		if (wl->kind == WORKLOAD_CONTAINER && !strcmp(wl->id, id))
			return wl;
	return NULL;
}

static void model_mode_changed(void *ctx, const struct model_meta *m, int previous,
			       const struct workload *stale)
{
	struct agent *a = ctx;
	const struct workload *wl = workload_of_model(a, m->id);
	char time[48];

	(void)stale;

	format_rfc3339_ns(time, sizeof(time), a->ev.real_ns ? a->ev.real_ns :
			  clock_ns(CLOCK_REALTIME));
	json_reset(&a->json);
	json_object_begin(&a->json);
	json_kv_string(&a->json, "time", time);
	json_kv_string(&a->json, "host", a->host);
	json_kv_string(&a->json, "event", "model_mode");
	json_key(&a->json, "model");
	json_object_begin(&a->json);
	json_kv_string(&a->json, "id", m->id);
	json_kv_string(&a->json, "name", m->name);
	json_kv_string(&a->json, "mode", model_mode_name(m->mode));
	json_kv_string(&a->json, "previous", model_mode_name(previous));
	json_object_end(&a->json);
	json_object_end(&a->json);
	if (a->enforce && wl && wl->kind == WORKLOAD_CONTAINER &&
	    (m->mode == MODE_PROTECTING || previous == MODE_PROTECTING)) {
		int mode;
		const struct profile *prof = modeler_profile(a->models, m->id, &mode);

		protect_with_model(a, wl, m->mode, prof);
		enforcement_reconcile(a->enforce, a->workloads);
	}
	deliver(a, (struct workload *)wl, false, a->ev.boot_ns, OUT_MODEL, OUT_PRIORITY_NONE,
		a->ev.real_ns ? a->ev.real_ns : clock_ns(CLOCK_REALTIME));
}

static int models_start(struct agent *a, bool persist)
{
	const struct vigil_config *cfg = a->opts->cfg;
	char dir[4200], err[512];
	struct modeler_options o = {
		.learning_min_ns = cfg->model.learning_min_ns,
		.learning_quiet_ns = cfg->model.learning_quiet_ns,
		.alert_window_ns = cfg->model.alert_window_ns,
		.save_interval_ns = cfg->model.save_interval_ns,
		.max_entries = (size_t)cfg->model.max_entries,
		.min_score = cfg->model.min_score,
		.hosts = cfg->model.hosts,
	};
	struct model_hooks hooks = {
		.capture = anomaly_capture, .emit = anomaly_emit, .discard = anomaly_discard,
		.mode_change = model_mode_changed, .ctx = a,
	};

	if (!cfg->model.enabled || !a->opts->models)
		return 0;
	snprintf(dir, sizeof(dir), "%s/models", cfg->state_dir);
	o.dir = persist ? dir : NULL;
	a->models = modeler_new(&o, &hooks, err, sizeof(err));
	if (!a->models) {
		fprintf(stderr, "vigil: models: %s\n", err);
		return -1;
	}
	return 0;
}

static void models_stop(struct agent *a)
{
	modeler_free(a->models);	/* pending anomalies are written, models saved */
	a->models = NULL;
}

static void record_process(void *ctx, const struct proc_entry *p)
{
	record_write_process(ctx, p);
}

static void record_cgroup(void *ctx, uint64_t id, const char *path)
{
	record_write2(ctx, FRAME_CGROUP, &id, sizeof(id), path, strlen(path));
}

/* What a replay needs before the first event: who we are, the clock,
 * every process and cgroup known so far. */
static int record_begin(struct agent *a, const char *path)
{
	struct record_start start = {
		.exec_id_salt = a->salt,
		.started_unix_ns = clock_ns(CLOCK_REALTIME),
		.host_mntns = a->workloads ? workload_registry_host_mntns(a->workloads) : 0,
	};
	char err[512];

	a->rec = record_writer_open(path, err, sizeof(err));
	a->recorded = string_set_new(false);
	if (!a->rec || !a->recorded) {
		fprintf(stderr, "vigil: record: %s\n", a->rec ? "out of memory" : err);
		return -1;
	}
	record_write2(a->rec, FRAME_START, &start, sizeof(start), a->host, strlen(a->host));
	record_write(a->rec, FRAME_CLOCK, &a->real_offset_ns, sizeof(a->real_offset_ns));
	proc_table_each_live(a->procs, record_process, a->rec);
	if (a->workloads)
		workload_registry_each_cgroup(a->workloads, record_cgroup, a->rec);
	return 0;
}

static void record_end(struct agent *a)
{
	if (!a->rec)
		return;
	fprintf(stderr, "vigil: recorded %llu frames to %s\n",
		(unsigned long long)record_writer_frames(a->rec), a->opts->record_path);
	if (record_writer_close(a->rec))
		fprintf(stderr, "vigil: warning: the recording %s is incomplete (write error)\n",
			a->opts->record_path);
	a->rec = NULL;
}

static void agent_teardown(struct agent *a)
{
	models_stop(a);
	downstream_close(a->down, a->replaying ? a->ev.real_ns : clock_ns(CLOCK_REALTIME));
	responses_close(a->responses);
	enforcement_close(a->enforce);
	string_set_free(a->protect_checked);
	if (a->pid_path[0])
		unlink(a->pid_path);
	instance_lock_release(a->state_lock);
	record_end(a);
	string_set_free(a->recorded);
	hold_queue_free(&a->held);
	workload_registry_free(a->workloads);
	event_release(&a->ev);
	json_free(&a->json);
	json_free(&a->line);
	proc_table_free(a->procs);
	user_names_free(a->users);
}

int agent_run(const struct agent_options *opts)
{
	const struct vigil_config *cfg = opts->cfg;
	struct sensor_options so = {
		.event_mask = cfg->sensor.events | LIFECYCLE_MASK,
		.ring_buffer_size = cfg->sensor.ring_buffer_size,
		.wakeup_bytes = cfg->sensor.wakeup_bytes,
		.open_dedup_window_ns = cfg->sensor.open_dedup_window_ns,
		.exclude_self = cfg->sensor.exclude_self,
	};
	int timeout_ms = cfg->sensor.poll_interval_ns / 1000000ULL;
	struct agent a;
	struct sensor *s = NULL;
	char err[256];
	int status = 1;
	uint64_t next_tick;

	memset(&a, 0, sizeof(a));
	a.state_lock = -1;
	if (agent_setup(&a, opts) || lock_state_dir(&a))
		goto out;
	if (opts->record_path && record_begin(&a, opts->record_path))
		goto out;
	if (models_start(&a, true))
		goto out;
	s = sensor_open(&so, on_record, &a, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "vigil: %s\n", err);
		goto out;
	}
	if (enforcement_start(&a) || responses_start(&a))
		goto out;
	write_pid_file(&a);
	fprintf(stderr, "vigil: sensor ready (%d processes known)\n",
		(int)proc_table_size(a.procs));
	next_tick = clock_ns(CLOCK_MONOTONIC) + NS_PER_SEC;
	while (!stop_requested) {
		int n = sensor_poll(s, timeout_ms > 0 ? timeout_ms : 1);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "vigil: reading the ring buffer: %s\n", strerror(-n));
			goto out;
		}
		if (a.enforce)
			enforcement_poll(a.enforce, on_enforcement_report, &a);
		responses_tick(&a);
		release_held(&a, false);
		downstream_flush(a.down);
		if (clock_ns(CLOCK_MONOTONIC) >= next_tick || reload_requested) {
			every_second(&a, s);
			next_tick += NS_PER_SEC;
		}
	}
	sensor_poll(s, 0);	/* what is already in the ring */
	if (a.enforce)
		enforcement_poll(a.enforce, on_enforcement_report, &a);
	models_stop(&a);
	release_held(&a, true);	/* nothing held is lost at exit */
	report_new_drops(&a, s);
	write_stats_json(&a, s, stderr);
	status = 0;
out:
	sensor_close(s);
	agent_teardown(&a);
	return status;
}

/* ---- replay -------------------------------------------------------- */

/* The pipeline without the kernel: nothing is read from this machine
 * (no /proc, no cgroup scan, no metadata fetch); the recording says it all. */
static int replay_setup(struct agent *a, const struct agent_options *opts,
			const struct record_start *start, const char *host, size_t host_len)
{
	const struct vigil_config *cfg = opts->cfg;

	a->opts = opts;
	event_init(&a->ev);
	json_init(&a->json);
	json_init(&a->line);
	snprintf(a->host, sizeof(a->host), "%.*s", (int)host_len, host);
	a->salt = start->exec_id_salt;
	a->procs = proc_table_new(a->salt);
	a->users = user_names_new("/etc/passwd");
	if (!a->procs || !a->users || proc_table_set_root(a->procs, "/nonexistent")) {
		fprintf(stderr, "vigil: out of memory\n");
		return -1;
	}
	proc_table_set_max(a->procs, cfg->sensor.max_processes);
	hold_queue_init(&a->held, HOLD_MAX);
	if (cfg->workload.attribution) {
		a->workloads = workload_registry_new_offline();
		if (!a->workloads) {
			fprintf(stderr, "vigil: out of memory\n");
			return -1;
		}
		workload_registry_set_host_mntns(a->workloads, start->host_mntns);
	}
	return open_outputs(a, cfg);
}

static void replay_container(struct agent *a, const void *data, size_t len)
{
	struct container_meta meta;

	if (record_read_container(data, len, &meta) == 0 && a->workloads &&
	    workload_registry_set_meta(a->workloads, meta.id, &meta) == 0)
		return;	/* the workload owns it now */
	container_meta_free(&meta);
}

struct replay_counts {
	uint64_t frames, events, bad_frames;
};

/* One frame; false to stop. */
static bool replay_frame(struct agent *a, uint32_t kind, const void *data, size_t len,
			 struct replay_counts *n, bool *linked)
{
	struct proc_entry p;

	n->frames++;
	if (kind != FRAME_PROCESS && !*linked) {
		proc_table_relink(a->procs);	/* every process of the start is in */
		*linked = true;
	}
	switch (kind) {
	case FRAME_PROCESS:
		if (record_read_process(data, len, &p) || !proc_table_restore(a->procs, &p))
			n->bad_frames++;
		return true;
	case FRAME_CGROUP:
		if (len < 8 || !a->workloads) {
			n->bad_frames += len < 8;
			return true;
		}
		uint64_t id;

		memcpy(&id, data, 8);
		workload_registry_add_cgroup(a->workloads, id, (const char *)data + 8, len - 8);
		return true;
	case FRAME_CONTAINER:
		replay_container(a, data, len);
		release_held_at(a, a->ev.boot_ns, false);
		return true;
	case FRAME_CLOCK:
		if (len == sizeof(a->real_offset_ns))
			memcpy(&a->real_offset_ns, data, len);
		return true;
	case FRAME_SENSOR:
		n->events++;
		return on_record(a, data, len) == 0;
	default:
		return true;	/* a newer vigil's frame: skip it */
	}
}

static double elapsed_s(clockid_t id, uint64_t since_ns)
{
	return (double)(clock_ns(id) - since_ns) / 1e9;
}

static struct record_reader *replay_open(const char *path, struct record_start *start,
					 const char **host, size_t *host_len)
{
	char err[512];
	struct record_reader *r = record_reader_open(path, err, sizeof(err));
	uint32_t kind;
	const void *data;
	size_t len;

	if (!r) {
		fprintf(stderr, "vigil replay: %s\n", err);
		return NULL;
	}
	if (record_next(r, &kind, &data, &len, err, sizeof(err)) != 1 ||
	    kind != FRAME_START || len < sizeof(*start)) {
		fprintf(stderr, "vigil replay: %s: no start frame\n", path);
		record_reader_close(r);
		return NULL;
	}
	memcpy(start, data, sizeof(*start));
	*host = (const char *)data + sizeof(*start);
	*host_len = len - sizeof(*start);
	return r;
}

int agent_replay(const struct agent_options *opts, const char *path)
{
	struct record_start start;
	struct replay_counts n = {0};
	struct agent a;
	const char *host;
	const void *data;
	size_t len, host_len;
	uint32_t kind;
	char err[512];
	bool linked = false;
	int rc = 0, status = 1;
	uint64_t cpu0, wall0, next_tick = 0;
	struct record_reader *r = replay_open(path, &start, &host, &host_len);

	if (!r)
		return 1;
	memset(&a, 0, sizeof(a));
	a.replaying = true;
	if (replay_setup(&a, opts, &start, host, host_len) || models_start(&a, false))
		goto out;
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = clock_ns(CLOCK_MONOTONIC);
	while (!stop_requested && (rc = record_next(r, &kind, &data, &len, err, sizeof(err))) == 1) {
		if (!replay_frame(&a, kind, data, len, &n, &linked))
			break;
		if (a.ev.boot_ns >= next_tick) {	/* the recording's own seconds */
			proc_table_reap(a.procs, a.ev.boot_ns, REAP_GRACE_NS);
			if (a.models)
				modeler_tick(a.models, a.ev.real_ns);
			release_held_at(&a, a.ev.boot_ns, false);
			downstream_tick(a.down, a.ev.real_ns);
			next_tick = a.ev.boot_ns + NS_PER_SEC;
		}
	}
	if (!stop_requested && rc < 0)
		fprintf(stderr, "vigil replay: %s: %s (replayed what came before)\n", path, err);
	models_stop(&a);
	release_held_at(&a, a.ev.boot_ns, true);
	downstream_flush(a.down);
	double cpu = elapsed_s(CLOCK_PROCESS_CPUTIME_ID, cpu0);
	double wall = elapsed_s(CLOCK_MONOTONIC, wall0);

	fprintf(stderr, "vigil replay: %llu events in %.3f s CPU, %.3f s wall: %.0f events/s "
		"per core; %llu alerts from %zu active rules; %llu decode errors, %llu bad "
		"frames\n", (unsigned long long)n.events, cpu, wall,
		cpu > 0 ? (double)n.events / cpu : 0.0, (unsigned long long)a.alerts,
		opts->rules ? rule_engine_active_count(opts->rules) : 0,
		(unsigned long long)a.decode_errors, (unsigned long long)n.bad_frames);
	status = rc < 0 ? 1 : 0;
out:
	agent_teardown(&a);
	record_reader_close(r);
	return status;
}

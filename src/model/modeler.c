/* modeler.c - per-workload models: learning, monitoring, anomalies. */
#include "modeler.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/behaviour.h"

#define MODEL_BUCKETS 4096
#define EVICT_AFTER_NS (60ULL * 1000000000ULL)	/* unseen this long: saved and dropped from memory */
#define NS_PER_SEC 1000000000ULL
#define NS_PER_HOUR (3600ULL * NS_PER_SEC)

struct group_model {
	struct model_meta meta;
	struct profile *prof;
	bool dirty;
	struct group_model *next;
};

struct model {
	struct model_meta meta;
	struct profile *prof;
	struct group_model *group;
	const struct workload *wl;	/* last seen with (for mode-change events) */
	bool dirty;
	uint64_t rate_alert_hour[RATE_KINDS];	/* hour a rate anomaly was last raised */
	uint64_t hash;
	struct model *next;		/* bucket chain */
	struct model *all_next;		/* every model */
};

/* One process image's novelties, gathered for alert_window. */
struct pending {
	char exec_id[EXEC_ID_LEN + 1];
	struct model *model;
	void *captured;
	uint64_t first_ns, deadline_ns;
	struct model_novelty nov[MODEL_NOVELTIES_MAX];
	size_t count, more;
	int score;
	struct pending *next;
};

struct modeler {
	struct modeler_options o;
	struct model_hooks hooks;
	char dir[4096];			/* "" when not persisted */
	struct model *buckets[MODEL_BUCKETS];
	struct model *all;
	struct group_model *groups;
	struct pending *pending;
	uint64_t last_save_ns;
	uint64_t last_now_ns;		/* latest time seen (event or tick) */
	struct modeler_counts counts;
};

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* ---- finding and creating models ------------------------------------- */

static struct model *find_model(struct modeler *m, const char *id, uint64_t h)
{
	for (struct model *x = m->buckets[h % MODEL_BUCKETS]; x; x = x->next)
		if (x->hash == h && !strcmp(x->meta.id, id))
			return x;
	return NULL;
}

static struct model *add_model(struct modeler *m, const struct model_meta *meta,
			       struct profile *prof)
{
	struct model *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->meta = *meta;
	x->prof = prof;
	x->hash = hash_id(meta->id);
	x->next = m->buckets[x->hash % MODEL_BUCKETS];
	m->buckets[x->hash % MODEL_BUCKETS] = x;
	x->all_next = m->all;
	m->all = x;
	return x;
}

static struct group_model *find_group(struct modeler *m, const char *id)
{
	for (struct group_model *g = m->groups; g; g = g->next)
		if (!strcmp(g->meta.id, id))
			return g;
	return NULL;
}

static struct group_model *get_group(struct modeler *m, const char *id, const char *name,
				     uint64_t now_ns)
{
	struct group_model *g = find_group(m, id);

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->prof = profile_new(m->o.max_entries))) {
		free(g);
		return NULL;
	}
	snprintf(g->meta.id, sizeof(g->meta.id), "%s", id);
	snprintf(g->meta.name, sizeof(g->meta.name), "%s", name);
	g->meta.mode = MODE_LEARNING;	/* monitoring once a member's model is stable */
	g->meta.created_ns = g->meta.last_new_ns = g->meta.mode_since_ns = now_ns;
	g->next = m->groups;
	m->groups = g;
	return g;
}

/* Which model an event belongs to: the container instance, the host unit,
 * or (no unit) the executable — for an exec, the one that executed it. */
static bool model_identity(const struct modeler *m, const struct rule_input *in,
			   struct model_meta *id)
{
	const struct workload *wl = in->wl;
	const struct proc_entry *p = in->proc;

	memset(id, 0, sizeof(*id));
	if (wl && wl->kind == WORKLOAD_CONTAINER) {
		snprintf(id->id, sizeof(id->id), "container:%s", wl->id);
		if (wl->meta_state == META_READY) {
			const struct container_meta *cm = &wl->meta;
			const char *image = cm->image_digest && cm->image_digest[0] ?
				cm->image_digest : cm->image;

			snprintf(id->name, sizeof(id->name), "%s", cm->name ? cm->name : "");
			if (image && image[0])
				snprintf(id->group, sizeof(id->group), "group:%s", image);
		}
		if (!id->name[0])
			snprintf(id->name, sizeof(id->name), "%.12s", wl->id);
		return true;
	}
	if (!m->o.hosts)
		return false;
	if (wl && wl->unit[0]) {
		snprintf(id->id, sizeof(id->id), "unit:%s", wl->unit);
		snprintf(id->name, sizeof(id->name), "%s", wl->unit);
		return true;
	}
	if (in->ev->type == EVENT_EXEC)
		p = p ? p->parent : NULL;
	if (!p || !p->exe || !p->exe[0])
		return false;
	snprintf(id->id, sizeof(id->id), "exe:%s", p->exe);
	snprintf(id->name, sizeof(id->name), "%s", p->exe);
	return true;
}

static void set_mode(struct modeler *m, struct model *x, int mode, uint64_t now_ns)
{
	int previous = x->meta.mode;

	if (previous == mode)
		return;
	x->meta.mode = mode;
	x->meta.mode_since_ns = now_ns;
	x->dirty = true;
	if (mode != MODE_LEARNING && x->group && x->group->meta.mode == MODE_LEARNING) {
		x->group->meta.mode = MODE_MONITORING;	/* the image has a stable member */
		x->group->meta.mode_since_ns = now_ns;
		x->group->dirty = true;
	}
	if (m->hooks.mode_change)
		m->hooks.mode_change(m->hooks.ctx, &x->meta, previous, x->wl);
}

static void join_group(struct modeler *m, struct model *x, const char *group_id,
		       const char *image, uint64_t now_ns)
{
	snprintf(x->meta.group, sizeof(x->meta.group), "%s", group_id);
	x->group = get_group(m, group_id, image, now_ns);
	x->dirty = true;
}

static void load_one(void *ctx, const char *path);

/* A model dropped from memory (or never loaded) comes back from its file. */
static struct model *load_by_id(struct modeler *m, const char *id)
{
	char name[128], path[4300];

	if (!m->dir[0])
		return NULL;
	model_file_name(id, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", m->dir, name);
	if (access(path, R_OK))
		return NULL;
	load_one(m, path);
	return find_model(m, id, hash_id(id));
}

/* Container runtimes work in a container's cgroup and namespaces while they
 * set it up (mounts under the overlay's merged directory, different for
 * every container): infrastructure, not the workload's behaviour. */
static bool runtime_process(const struct rule_input *in)
{
	static const char *const runtimes[] = {"runc", "crun", "conmon", "runsc", "youki"};
	const char *exe = in->proc && in->proc->exe ? in->proc->exe : "";
	const char *base = strrchr(exe, '/');

	if (!strncmp(in->ev->task.comm, "runc:[", 6))
		return true;
	base = base ? base + 1 : exe;
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (!strcmp(base, runtimes[i]))
			return true;
	return !strncmp(base, "containerd-shim", 15);
}

int modeler_mode(const struct modeler *m, const char *model_id)
{
	const struct model *x = find_model((struct modeler *)m, model_id, hash_id(model_id));

	return x ? x->meta.mode : -1;
}

const struct profile *modeler_profile(struct modeler *m, const char *model_id, int *mode)
{
	struct model *x = find_model(m, model_id, hash_id(model_id));

	if (!x)
		x = load_by_id(m, model_id);
	if (!x)
		return NULL;
	*mode = x->meta.mode;
	return x->prof;
}

static struct model *model_for(struct modeler *m, const struct rule_input *in, uint64_t now_ns)
{
	struct model_meta id;
	struct model *x;
	struct profile *p;

	if (!model_identity(m, in, &id) || runtime_process(in))
		return NULL;
	x = find_model(m, id.id, hash_id(id.id));
	if (!x)
		x = load_by_id(m, id.id);
	if (!x) {
		if (!(p = profile_new(m->o.max_entries)))
			return NULL;
		id.mode = MODE_LEARNING;
		id.created_ns = id.last_new_ns = id.mode_since_ns = now_ns;
		x = add_model(m, &id, p);
		if (!x) {
			profile_free(p);
			return NULL;
		}
		x->meta.group[0] = '\0';	/* joined below */
		x->dirty = true;
	}
	x->wl = in->wl;
	x->meta.last_seen_ns = now_ns;
	if (!x->meta.name[0] || (id.name[0] && strcmp(x->meta.name, id.name) && id.group[0]))
		snprintf(x->meta.name, sizeof(x->meta.name), "%s", id.name);
	if (id.group[0] && strcmp(x->meta.group, id.group)) {
		join_group(m, x, id.group, id.group + 6, now_ns);
		/* a new replica of an image whose model is stable starts informed */
		if (x->meta.mode == MODE_LEARNING && x->group &&
		    x->group->meta.mode != MODE_LEARNING && profile_size(x->prof, PROF_EXEC) == 0)
			set_mode(m, x, MODE_MONITORING, now_ns);
	} else if (x->meta.group[0] && !x->group) {
		x->group = get_group(m, x->meta.group, x->meta.group + 6, now_ns);
	}
	return x;
}

/* ---- novelties ------------------------------------------------------- */

static int base_score(enum profile_category c)
{
	switch (c) {
	case PROF_PRIV: return 80;
	case PROF_EXEC: return 70;
	case PROF_NET_OUT: case PROF_LISTEN: return 60;
	case PROF_READ: case PROF_WRITE: case PROF_NET_IN: return 50;
	default: return 40;
	}
}

/* How unusual: the category's weight, more for a model that had long been
 * stable, much less when the image's other containers do this. */
static int score_of(const struct modeler *m, const struct model *x, int base, bool group_known,
		    uint64_t now_ns)
{
	uint64_t stable = now_ns > x->meta.last_new_ns ? now_ns - x->meta.last_new_ns : 0;
	double quiet = (double)(m->o.learning_quiet_ns ? m->o.learning_quiet_ns : NS_PER_SEC);
	double s = base * (0.75 + 0.25 * fmin(1.0, (double)stable / (4.0 * quiet)));

	if (group_known)
		s *= 0.3;
	return s < 1 ? 1 : s > 100 ? 100 : (int)lround(s);
}

static struct pending *pending_for(struct modeler *m, struct model *x,
				   const struct rule_input *in, uint64_t now_ns)
{
	const char *exec_id = in->proc ? in->proc->exec_id : "";
	struct pending *p;

	for (p = m->pending; p; p = p->next)
		if (p->model == x && !strcmp(p->exec_id, exec_id))
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->exec_id, sizeof(p->exec_id), "%s", exec_id);
	p->model = x;
	p->first_ns = now_ns;
	p->deadline_ns = now_ns + m->o.alert_window_ns;
	p->captured = m->hooks.capture ? m->hooks.capture(m->hooks.ctx, in) : NULL;
	p->next = m->pending;
	m->pending = p;
	return p;
}

static void add_novelty(struct modeler *m, struct model *x, const struct rule_input *in,
			const char *category, const char *value, size_t len, int score,
			bool group_known, uint64_t now_ns)
{
	struct pending *p;
	struct model_novelty *n;

	m->counts.novelties++;
	if (score < m->o.min_score) {
		m->counts.learned_silently++;
		return;
	}
	p = pending_for(m, x, in, now_ns);
	if (!p)
		return;
	if (score > p->score)
		p->score = score;
	if (p->count == MODEL_NOVELTIES_MAX) {
		p->more++;
		return;
	}
	n = &p->nov[p->count++];
	snprintf(n->category, sizeof(n->category), "%s", category);
	snprintf(n->value, sizeof(n->value), "%.*s", (int)len, value);
	n->score = score;
	n->group_known = group_known;
}

static void observe_rate(struct modeler *m, struct model *x, const struct rule_input *in,
			 int rate, uint64_t now_ns)
{
	static const char *const names[] = {"exec", "file", "network"};
	uint64_t hour = now_ns / NS_PER_HOUR, current;
	double mean;
	unsigned hours;
	char text[160];

	profile_count(x->prof, rate, now_ns);
	if (x->meta.mode == MODE_LEARNING || x->rate_alert_hour[rate] == hour)
		return;
	profile_rate_expected(x->prof, rate, now_ns, &mean, &hours);
	current = profile_rate_current(x->prof, rate);
	/* only against an hour-of-week bucket seen a few times, and well above it */
	if (hours < 2 || (double)current <= 3.0 * mean + 20.0)
		return;
	x->rate_alert_hour[rate] = hour;
	int n = snprintf(text, sizeof(text), "%s events %llu this hour, usually %.1f at this hour of the week",
			 names[rate], (unsigned long long)current, mean);
	double ratio = (double)current / (mean + 1.0);
	int score = (int)fmin(100.0, 40.0 + 10.0 * log2(ratio));

	add_novelty(m, x, in, "rate", text, (size_t)n, score, false, now_ns);
}

void modeler_observe(struct modeler *m, const struct rule_input *in, uint64_t now_ns)
{
	struct behaviour_set set;
	struct model *x;

	if (now_ns > m->last_now_ns)
		m->last_now_ns = now_ns;
	x = model_for(m, in, now_ns);
	if (!x)
		return;
	behaviour_of_event(in, &set);
	for (size_t i = 0; i < set.count; i++) {
		const struct behaviour *b = &set.items[i];

		if (x->meta.mode == MODE_LEARNING) {
			if (profile_learn(x->prof, b->category, b->key, b->len, now_ns)) {
				x->meta.last_new_ns = now_ns;
				x->dirty = true;
			}
			if (x->group && profile_learn(x->group->prof, b->category, b->key, b->len,
						      now_ns))
				x->group->dirty = true;
			continue;
		}
		if (profile_covers(x->prof, b->category, b->key, b->len, NULL)) {
			profile_learn(x->prof, b->category, b->key, b->len, now_ns);
			continue;
		}
		bool group_known = x->group &&
			profile_covers(x->group->prof, b->category, b->key, b->len, NULL);

		add_novelty(m, x, in, profile_category_name(b->category), b->key, b->len,
			    score_of(m, x, base_score(b->category), group_known, now_ns),
			    group_known, now_ns);
		profile_learn(x->prof, b->category, b->key, b->len, now_ns);	/* alert once */
		x->dirty = true;
	}
	if (set.rate >= 0)
		observe_rate(m, x, in, set.rate, now_ns);
}

/* ---- tick: modes, anomalies, saving, requests ----------------------- */

static void emit_pending(struct modeler *m, struct pending *p, uint64_t now_ns)
{
	struct model_anomaly a = {
		.model = &p->model->meta, .time_ns = p->first_ns,
		.model_age_ns = now_ns > p->model->meta.created_ns ?
			now_ns - p->model->meta.created_ns : 0,
		.stable_for_ns = p->first_ns > p->model->meta.mode_since_ns ?
			p->first_ns - p->model->meta.mode_since_ns : 0,
		.novelties = p->nov, .count = p->count, .more = p->more, .score = p->score,
		.captured = p->captured,
	};

	p->model->meta.anomalies++;
	p->model->dirty = true;
	m->counts.anomalies++;
	if (m->hooks.emit)
		m->hooks.emit(m->hooks.ctx, &a);
	else if (m->hooks.discard)
		m->hooks.discard(m->hooks.ctx, p->captured);
}

static void flush_pending(struct modeler *m, uint64_t now_ns, bool all)
{
	struct pending **link = &m->pending;

	while (*link) {
		struct pending *p = *link;

		if (!all && p->deadline_ns > now_ns) {
			link = &p->next;
			continue;
		}
		*link = p->next;
		emit_pending(m, p, now_ns);
		free(p);
	}
}

static void update_modes(struct modeler *m, uint64_t now_ns)
{
	for (struct model *x = m->all; x; x = x->all_next)
		if (x->meta.mode == MODE_LEARNING && now_ns >= x->meta.last_new_ns &&
		    now_ns >= x->meta.created_ns &&
		    now_ns - x->meta.created_ns >= m->o.learning_min_ns &&
		    now_ns - x->meta.last_new_ns >= m->o.learning_quiet_ns)
			set_mode(m, x, MODE_MONITORING, now_ns);
}

static void save_one(struct modeler *m, const struct model_meta *meta, const struct profile *p,
		     bool *dirty)
{
	char err[512];

	if (!m->dir[0] || !*dirty)
		return;
	if (model_file_save(m->dir, meta, p, err, sizeof(err)))
		fprintf(stderr, "vigil: warning: model: %s\n", err);
	else
		*dirty = false;
}

static void save_all(struct modeler *m)
{
	for (struct model *x = m->all; x; x = x->all_next)
		save_one(m, &x->meta, x->prof, &x->dirty);
	for (struct group_model *g = m->groups; g; g = g->next)
		save_one(m, &g->meta, g->prof, &g->dirty);
}

static void relearn(struct modeler *m, struct model *x, uint64_t now_ns)
{
	struct profile *fresh = profile_new(m->o.max_entries);

	if (!fresh)
		return;
	profile_free(x->prof);
	x->prof = fresh;
	x->meta.created_ns = x->meta.last_new_ns = now_ns;
	set_mode(m, x, MODE_LEARNING, now_ns);
	x->dirty = true;
}

/* A model from elsewhere (import, or a file that replaced the old one). */
static void install(struct modeler *m, struct model_meta *meta, struct profile *p)
{
	struct model *x = find_model(m, meta->id, hash_id(meta->id));

	if (!strncmp(meta->id, "group:", 6)) {
		struct group_model *g = find_group(m, meta->id);

		if (!g && !(g = calloc(1, sizeof(*g)))) {
			profile_free(p);
			return;
		}
		if (!g->prof) {
			g->next = m->groups;
			m->groups = g;
		}
		profile_free(g->prof);
		g->meta = *meta;
		g->prof = p;
		g->dirty = true;
		return;
	}
	if (!x) {
		x = add_model(m, meta, p);
		if (!x)
			profile_free(p);
		else
			x->dirty = true;
		return;
	}
	profile_free(x->prof);
	x->prof = p;
	x->meta = *meta;
	x->group = meta->group[0] ? get_group(m, meta->group, meta->group + 6, meta->created_ns) :
		NULL;
	x->dirty = true;
}

static void apply_request(struct modeler *m, const char *path, const char *name, uint64_t now_ns)
{
	size_t len = strlen(name);
	char err[512];

	const char *dot = strrchr(name, '.');
	int mode = dot ? model_mode_from_name(dot + 1) : -1;

	if (dot && (mode >= 0 || !strcmp(dot, ".relearn"))) {
		char id[MODEL_ID_MAX] = "";
		FILE *f = fopen(path, "r");

		if (f) {
			if (!fgets(id, sizeof(id), f))
				id[0] = '\0';
			fclose(f);
		}
		id[strcspn(id, "\n")] = '\0';
		struct model *x = id[0] ? find_model(m, id, hash_id(id)) : NULL;

		if (!x)
			fprintf(stderr, "vigil: warning: %s: no model %s\n", dot + 1, id);
		else if (mode < 0 || mode == MODE_LEARNING)
			relearn(m, x, now_ns);
		else
			set_mode(m, x, mode, now_ns);
	} else if (len > 7 && !strcmp(name + len - 7, ".import")) {
		struct model_meta meta;
		struct profile *p = model_file_load(path, &meta, m->o.max_entries, err, sizeof(err));

		if (p)
			install(m, &meta, p);
		else
			fprintf(stderr, "vigil: warning: import refused: %s\n", err);
	}
	unlink(path);
}

static void apply_requests(struct modeler *m, uint64_t now_ns)
{
	char dir[4200], path[4500];
	struct dirent *de;
	DIR *d;

	if (!m->dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/requests", m->dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		apply_request(m, path, de->d_name, now_ns);
	}
	closedir(d);
}

static bool has_pending(const struct modeler *m, const struct model *x)
{
	for (const struct pending *p = m->pending; p; p = p->next)
		if (p->model == x)
			return true;
	return false;
}

static void unlink_model(struct modeler *m, struct model *x)
{
	struct model **link = &m->buckets[x->hash % MODEL_BUCKETS];

	while (*link && *link != x)
		link = &(*link)->next;
	if (*link)
		*link = x->next;
	for (link = &m->all; *link && *link != x; link = &(*link)->all_next)
		;
	if (*link)
		*link = x->all_next;
	profile_free(x->prof);
	free(x);
}

/* Memory holds the models of workloads seen lately; the others live on
 * disk (a stopped container's model stays answerable by the commands). */
static void evict_idle(struct modeler *m, uint64_t now_ns)
{
	struct model *x = m->all, *next;

	if (!m->dir[0])
		return;
	for (; x; x = next) {
		next = x->all_next;
		if (x->dirty || now_ns < x->meta.last_seen_ns + EVICT_AFTER_NS || has_pending(m, x))
			continue;
		unlink_model(m, x);
	}
}

void modeler_tick(struct modeler *m, uint64_t now_ns)
{
	if (now_ns > m->last_now_ns)
		m->last_now_ns = now_ns;
	apply_requests(m, now_ns);
	update_modes(m, now_ns);
	flush_pending(m, now_ns, false);
	if (now_ns - m->last_save_ns >= m->o.save_interval_ns) {
		save_all(m);
		evict_idle(m, now_ns);
		m->last_save_ns = now_ns;
	}
}

/* ---- start and end --------------------------------------------------- */

static void load_one(void *ctx, const char *path)
{
	struct modeler *m = ctx;
	struct model_meta meta;
	char err[600], aside[4200];
	struct profile *p = model_file_load(path, &meta, m->o.max_entries, err, sizeof(err));

	if (!p) {
		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		fprintf(stderr, "vigil: warning: model %s is unreadable (%s); set aside as %s, "
			"the workload learns again\n", path, err, aside);
		rename(path, aside);
		return;
	}
	install(m, &meta, p);
	/* loaded as is: nothing to write back */
	struct model *x = find_model(m, meta.id, hash_id(meta.id));

	if (x)
		x->dirty = false;
	struct group_model *g = find_group(m, meta.id);

	if (g)
		g->dirty = false;
}

static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char req[4200];

	snprintf(req, sizeof(req), "%s/requests", dir);
	if ((mkdir(dir, 0750) && errno != EEXIST) || (mkdir(req, 0750) && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s: %s", req, strerror(errno));
		return -1;
	}
	return 0;
}

/* So that the model commands know whether to ask an agent or act alone. */
static void write_pid_file(const char *dir)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/agent.pid", dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

struct modeler *modeler_new(const struct modeler_options *o, const struct model_hooks *hooks,
			    char *err, size_t errlen)
{
	struct modeler *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->o = *o;
	if (hooks)
		m->hooks = *hooks;
	if (o->dir) {
		snprintf(m->dir, sizeof(m->dir), "%s", o->dir);
		if (make_dirs(m->dir, err, errlen)) {
			free(m);
			return NULL;
		}
		model_dir_each(m->dir, load_one, m);
		write_pid_file(m->dir);
		for (struct model *x = m->all; x; x = x->all_next)	/* link loaded groups */
			if (x->meta.group[0])
				x->group = get_group(m, x->meta.group, x->meta.group + 6,
						     x->meta.created_ns);
	}
	return m;
}

void modeler_free(struct modeler *m)
{
	if (!m)
		return;
	flush_pending(m, m->last_now_ns, true);
	save_all(m);
	if (m->dir[0]) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/agent.pid", m->dir);
		unlink(path);
	}
	for (struct model *x = m->all, *next; x; x = next) {
		next = x->all_next;
		profile_free(x->prof);
		free(x);
	}
	for (struct group_model *g = m->groups, *next; g; g = next) {
		next = g->next;
		profile_free(g->prof);
		free(g);
	}
	free(m);
}

void modeler_counts(const struct modeler *m, struct modeler_counts *c)
{
	*c = m->counts;
	memset(c->models, 0, sizeof(c->models));
	for (const struct model *x = m->all; x; x = x->all_next)
		if (x->meta.mode >= 0 && x->meta.mode <= MODE_PROTECTING)
			c->models[x->meta.mode]++;
}

/* ---- requests from the command line ---------------------------------- */

static int write_request(const char *dir, const char *suffix, const char *data, size_t len,
			 char *err, size_t errlen)
{
	char path[4300], tmp[4400];
	static unsigned seq;
	FILE *f;

	if (make_dirs(dir, err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s/requests/%ld-%u%s", dir, (long)getpid(), seq++, suffix);
	snprintf(tmp, sizeof(tmp), "%s/requests/.%ld-%u.tmp", dir, (long)getpid(), seq);
	f = fopen(tmp, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (rename(tmp, path)) {	/* the agent sees it whole or not at all */
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int modeler_request_mode(const char *dir, const char *model_id, int mode, char *err,
			 size_t errlen)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), ".%s", mode == MODE_LEARNING ? "relearn" :
		 model_mode_name(mode));
	return write_request(dir, suffix, model_id, strlen(model_id), err, errlen);
}

int modeler_request_import(const char *dir, const char *json, size_t len, char *err,
			   size_t errlen)
{
	return write_request(dir, ".import", json, len, err, errlen);
}

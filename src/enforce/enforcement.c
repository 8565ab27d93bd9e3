/* enforcement.c - policies to workloads, workloads to kernel entries. */
#include "enforce/enforcement.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "enforce/enforcer.h"
#include "enforce/file_guard.h"
#include "enforce/parent_rules.h"
#include "enforce/policy.h"
#include "util/u64_map.h"
#include "workload/task_cgroup.h"
#include "workload/workload.h"

#define GUARD_QUEUE 64		/* file reports waiting for the agent thread */
#define SUBTREE_DIRS_MAX 256	/* directories marked for one "DIR/" file rule */

struct applied {
	const struct policy *policy;
	uint32_t policy_id;
	unsigned seen;			/* reconcile round that last saw the cgroup */
};

struct profile_policy {
	char container_id[CONTAINER_ID_LEN + 1];
	struct policy_set *set;		/* one policy, made from the model */
	struct profile_policy *next;
};

struct enforcement {
	struct enforcer *enf;
	struct file_guard *guard;
	struct policy_set *set;
	unsigned generation;		/* bumped per load: policy ids change */
	struct profile_policy *profiles;
	struct u64_map applied;		/* cgroup id -> struct applied */
	unsigned round;
	uint64_t own_cgroup;
	char cgroup_root[256];
	bool dry_run, swept;
	uint64_t refreshed_at;		/* second of the last glob refresh */
	/* file reports, written by the guard thread */
	pthread_mutex_t lock;
	struct guard_report queue[GUARD_QUEUE];
	size_t queued;
	uint64_t blocked, audited, lost;
};

/* ---- subjects ---------------------------------------------------------- */

struct subject_buf {
	struct policy_subject s;
	struct policy_label labels[META_MAX_LABELS], pod_labels[META_MAX_LABELS];
};

static void subject_of(const struct workload *wl, struct subject_buf *b)
{
	const struct container_meta *m = &wl->meta;

	memset(b, 0, sizeof(*b));
	if (wl->kind != WORKLOAD_CONTAINER) {
		b->s.kind = POLICY_WORKLOAD_HOST;
		b->s.host_unit = wl->unit;
		return;
	}
	b->s.kind = POLICY_WORKLOAD_CONTAINER;
	b->s.container_id = wl->id;
	if (wl->meta_state != META_READY)
		return;
	b->s.container_name = m->name;
	b->s.container_image = m->image;
	b->s.k8s_ns = m->pod_namespace;
	b->s.k8s_pod = m->pod_name;
	for (size_t i = 0; i < m->nlabels && i < META_MAX_LABELS; i++)
		b->labels[i] = (struct policy_label){m->labels[i].key, m->labels[i].value};
	for (size_t i = 0; i < m->npod_labels && i < META_MAX_LABELS; i++)
		b->pod_labels[i] = (struct policy_label){m->pod_labels[i].key, m->pod_labels[i].value};
	b->s.labels = b->labels;
	b->s.nlabels = m->nlabels;
	b->s.pod_labels = b->pod_labels;
	b->s.npod_labels = m->npod_labels;
}

static struct profile_policy *profile_policy_of(struct enforcement *e, const char *id)
{
	for (struct profile_policy *pp = e->profiles; pp; pp = pp->next)
		if (strcmp(pp->container_id, id) == 0)
			return pp;
	return NULL;
}

/* The written policy selecting the workload, else its model's policy. */
static const struct policy *policy_for(struct enforcement *e, const struct workload *wl,
				       uint32_t *policy_id)
{
	struct subject_buf b;
	struct profile_policy *pp;

	if (wl->kind == WORKLOAD_CONTAINER && wl->meta_state == META_PENDING)
		return NULL;	/* selectors need the name and image */
	if (wl->kind != WORKLOAD_CONTAINER && !wl->unit[0])
		return NULL;	/* host processes outside a unit share cgroups with everything */
	subject_of(wl, &b);
	for (size_t i = 0; e->set && i < e->set->count; i++) {
		if (policy_selects(e->set->items[i], &b.s)) {
			*policy_id = (e->generation & 0xffff) << 16 | (uint32_t)(i + 1);
			return e->set->items[i];
		}
	}
	pp = wl->kind == WORKLOAD_CONTAINER ? profile_policy_of(e, wl->id) : NULL;
	if (pp && pp->set->count) {
		*policy_id = 0xffff0000u | (uint32_t)(((uintptr_t)pp >> 4) & 0xffff);
		return pp->set->items[0];
	}
	return NULL;
}

static const struct policy *policy_by_id(struct enforcement *e, uint32_t id)
{
	size_t index = id & 0xffff;

	if ((id >> 16) == 0xffff) {
		for (struct profile_policy *pp = e->profiles; pp; pp = pp->next)
			if ((((uintptr_t)pp >> 4) & 0xffff) == index && pp->set->count)
				return pp->set->items[0];
		return NULL;
	}
	if ((id >> 16) != (e->generation & 0xffff) || !e->set || index == 0 ||
	    index > e->set->count)
		return NULL;
	return e->set->items[index - 1];
}

/* ---- applying one policy to one cgroup ------------------------------------ */

struct apply_ctx {
	struct enforcement *e;
	const struct policy *p;
	uint64_t cgroup_id;
	uint32_t policy_id;
	const char *root;		/* "/proc/<pid>/root" */
	struct enforce_workload w;
	bool dry_run;
	struct parent_rules parents;	/* rules limited to parents, paired at the end */
	int net_overflow, failures;
};

static uint8_t kernel_action(enum policy_action a)
{
	return a == POLICY_BLOCK ? ENFORCE_BLOCK : a == POLICY_AUDIT ? ENFORCE_AUDIT : ENFORCE_ALLOW;
}

static void add_net_entry(void *ctx, const struct policy_net_entry *ne)
{
	struct apply_ctx *c = ctx;
	struct enforce_net_rule *r;

	if (c->w.net_rules >= ENFORCE_NET_RULES) {
		c->net_overflow++;
		return;
	}
	r = &c->w.net[c->w.net_rules++];
	memset(r, 0, sizeof(*r));
	if (ne->family == AF_INET) {
		r->addr[10] = r->addr[11] = 0xff;
		memcpy(&r->addr[12], ne->addr, 4);
		r->prefix = 96 + ne->prefix_len;
	} else {
		memcpy(r->addr, ne->addr, 16);
		r->prefix = ne->prefix_len;
	}
	r->proto = ne->proto == POLICY_PROTO_TCP ? 6 : ne->proto == POLICY_PROTO_UDP ? 17 : 0;
	r->action = kernel_action(ne->action);
	r->direction = (ne->direction & POLICY_DIR_OUT ? ENFORCE_DIR_OUT : 0) |
		       (ne->direction & POLICY_DIR_IN ? ENFORCE_DIR_IN : 0);
	if (r->direction & ENFORCE_DIR_IN)
		c->w.inbound = 1;
	r->port_lo = ne->port_lo;
	r->port_hi = ne->port_hi;
	r->rule_index = (uint16_t)ne->rule;
}

static void join_root(char *buf, size_t len, const char *root, const char *path)
{
	snprintf(buf, len, "%s%s", root, path);
}

/* An executable path: by the name execve is given and, when the path is
 * the file itself, by its inode too: that catches other names for it
 * (copies run through /proc/self/exe, renamed symlinks).  A path that is
 * a link to another file (a symlink, or a hard link: busybox installs
 * its applets either way) is looked up by that file and the applet name
 * instead, so that a rule on one applet does not decide for all of them;
 * the path rule is looked up first. */
static void add_exec(struct apply_ctx *c, const char *path, int rule, enum policy_action a)
{
	struct stat st, target;
	uint8_t action = kernel_action(a);
	int rc = 0;

	if (enforcer_add_exec_path(c->e->enf, c->cgroup_id, path, action, (uint16_t)rule))
		c->failures++;
	if (stat_in_root(c->root, path, 0, &st))
		return;
	if (S_ISLNK(st.st_mode) && stat_in_root(c->root, path, 1, &target) == 0 &&
	    S_ISREG(target.st_mode))
		rc = enforcer_add_exec_applet(c->e->enf, c->cgroup_id, path, target.st_dev,
					      target.st_ino, action, (uint16_t)rule);
	else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		rc = enforcer_add_exec_applet(c->e->enf, c->cgroup_id, path, st.st_dev, st.st_ino,
					      action, (uint16_t)rule);
	else if (S_ISREG(st.st_mode))
		rc = enforcer_add_exec_inode(c->e->enf, c->cgroup_id, st.st_dev, st.st_ino, action,
					     (uint16_t)rule);
	if (rc && rc != -EINVAL)
		c->failures++;
}

/* A process rule's path or parent: plain rules go in directly, rules
 * limited to parents once all their paths and parents are known. */
static void add_process_path(struct apply_ctx *c, const struct policy_path_entry *pe,
			     const char *path)
{
	if (pe->is_parent)
		parent_rules_add_parent(&c->parents, pe->rule, c->root, path);
	else if (pe->has_parents)
		parent_rules_add_path(&c->parents, pe->rule, path, kernel_action(pe->action));
	else
		add_exec(c, path, pe->rule, pe->action);
}

static void protect_file(struct apply_ctx *c, const char *path, int rule, enum policy_action a,
			 unsigned access)
{
	struct guard_rule gr = {
		.cgroup_id = c->cgroup_id, .policy_id = c->policy_id, .rule_index = (uint16_t)rule,
		.action = kernel_action(a), .access = (uint8_t)access, .dry_run = c->dry_run,
	};
	char host[4200];

	if (!c->e->guard)
		return;
	int rc;

	join_root(host, sizeof(host), c->root, path);
	rc = file_guard_protect(c->e->guard, host, path, &gr);
	if (rc && rc != -ENOENT)
		c->failures++;
}

/* "DIR/": the directory and every directory below it (bounded). */
static void protect_subtree(struct apply_ctx *c, const char *dir, int rule, enum policy_action a,
			    unsigned access, int *budget)
{
	char host[4200], child[4200];
	struct dirent *d;
	DIR *dp;

	if ((*budget)-- <= 0)
		return;
	protect_file(c, dir, rule, a, access);
	join_root(host, sizeof(host), c->root, dir);
	dp = opendir(host);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/", d->d_name);
		protect_subtree(c, child, rule, a, access, budget);
	}
	closedir(dp);
}

static void add_exact_path(void *ctx, const struct policy_path_entry *pe)
{
	struct apply_ctx *c = ctx;
	int budget = SUBTREE_DIRS_MAX;

	if (pe->category == POLICY_PROCESS) {
		if (pe->path->type == POLICY_PATH_EXACT)
			add_process_path(c, pe, pe->path->text);
		return;
	}
	if (pe->path->type == POLICY_PATH_EXACT)
		protect_file(c, pe->path->text, pe->rule, pe->action, pe->access);
	else if (pe->path->type == POLICY_PATH_SUBTREE && !pe->path->dir_is_glob)
		protect_subtree(c, pe->path->text, pe->rule, pe->action, pe->access, &budget);
}

static void add_glob_match(void *ctx, const struct policy_path_entry *pe, const char *abs_path)
{
	struct apply_ctx *c = ctx;
	int budget = SUBTREE_DIRS_MAX;

	if (pe->category == POLICY_PROCESS) {
		add_process_path(c, pe, abs_path);
		return;
	}
	if (pe->path->type == POLICY_PATH_SUBTREE)
		protect_subtree(c, abs_path, pe->rule, pe->action, pe->access, &budget);
	else
		protect_file(c, abs_path, pe->rule, pe->action, pe->access);
}

/* Every path entry of the policy: exact ones, glob matches in the
 * workload's root, then the pairs of rules limited to parents. */
static void add_paths(struct apply_ctx *c)
{
	policy_each_path(c->p, add_exact_path, c);
	policy_expand_globs(c->p, c->root, add_glob_match, c);
	c->failures += parent_rules_apply(&c->parents, c->e->enf, c->cgroup_id);
	parent_rules_free(&c->parents);
}

/* A process of the cgroup whose root the policy's paths resolve in. */
static int root_of_cgroup(const struct enforcement *e, const char *cg_path, bool container,
			  char *root, size_t len)
{
	struct stat ours, theirs;
	char procs[4200];
	int pid = 0;
	FILE *f;

	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", e->cgroup_root, cg_path);
	f = fopen(procs, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return -1;
	snprintf(root, len, "/proc/%d/root", pid);
	/* the runtime's init sits in the cgroup before pivot_root: wait for the
	 * container's own root, or paths would resolve on the host */
	if (container && stat(root, &theirs) == 0 && stat("/", &ours) == 0 &&
	    theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
		return -1;
	return 0;
}

static int apply_policy(struct enforcement *e, uint64_t cgroup_id, const char *cg_path,
			bool container, const struct policy *p, uint32_t policy_id)
{
	char root[64];
	struct apply_ctx c = {
		.e = e, .p = p, .cgroup_id = cgroup_id, .policy_id = policy_id, .root = root,
		.dry_run = e->dry_run,
	};

	if (root_of_cgroup(e, cg_path, container, root, sizeof(root)))
		return -1;	/* no process yet: next round */
	c.w.policy_id = policy_id;
	c.w.exec_default = kernel_action(p->defaults[POLICY_PROCESS]);
	c.w.net_default = kernel_action(p->defaults[POLICY_NETWORK]);
	c.w.inbound = c.w.net_default != ENFORCE_ALLOW;
	c.w.dry_run = e->dry_run;
	policy_each_net(p, add_net_entry, &c);
	if (c.net_overflow) {	/* the rules past the kernel's room would be skipped: refuse */
		fprintf(stderr, "vigil: policy %s: more than %d network entries; its network "
			"rules are not enforced\n", p->name, ENFORCE_NET_RULES);
		c.w.net_rules = 0;
		c.w.net_default = ENFORCE_ALLOW;
		c.w.inbound = 0;
	}
	if (enforcer_set_workload(e->enf, cgroup_id, &c.w))
		return -1;
	add_paths(&c);
	if (c.failures)
		fprintf(stderr, "vigil: policy %s on cgroup %llu: %d entries failed\n", p->name,
			(unsigned long long)cgroup_id, c.failures);
	return 0;
}

static void forget_cgroup(struct enforcement *e, uint64_t cgroup_id)
{
	struct enforce_workload w;
	bool isolated = enforcer_get_workload(e->enf, cgroup_id, &w) == 0 && w.isolated;

	enforcer_forget(e->enf, cgroup_id);
	if (isolated)	/* isolation is a response, not part of the policy */
		enforcer_isolate(e->enf, cgroup_id, true);
	if (e->guard)
		file_guard_forget(e->guard, cgroup_id);
}

/* ---- reconcile ------------------------------------------------------------ */

struct reconcile_ctx {
	struct enforcement *e;
	const struct workload_registry *reg;
	bool refresh;			/* expand globs again: files appear after a policy applies */
};

/* Paths resolve to what existed when the policy applied; files created
 * since (a protected file written by the container's setup, a binary
 * dropped into a blocked directory) are added here, once a second.
 * Entries already there are left as they are. */
static void refresh_globs(struct enforcement *e, uint64_t cgroup_id, const char *cg_path,
			  bool container, const struct policy *p, uint32_t policy_id)
{
	char root[64];
	struct apply_ctx c = {
		.e = e, .p = p, .cgroup_id = cgroup_id, .policy_id = policy_id, .root = root,
		.dry_run = e->dry_run,
	};

	if (root_of_cgroup(e, cg_path, container, root, sizeof(root)))
		return;
	add_paths(&c);
}

static void reconcile_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct reconcile_ctx *rc = ctx;
	struct enforcement *e = rc->e;
	const struct workload *wl = workload_of_cgroup(rc->reg, id);
	struct applied *cur = u64_map_get(&e->applied, id);
	const struct policy *p = NULL;
	uint32_t policy_id = 0;

	if (wl && id != e->own_cgroup && id > 1)
		p = policy_for(e, wl, &policy_id);
	if (cur && cur->policy == p && cur->policy_id == policy_id) {
		cur->seen = e->round;
		if (p && rc->refresh)
			refresh_globs(e, id, path, wl->kind == WORKLOAD_CONTAINER, p, policy_id);
		return;
	}
	if (cur) {
		forget_cgroup(e, id);
		cur->policy = NULL;
		cur->policy_id = 0;
	}
	if (!p || apply_policy(e, id, path, wl->kind == WORKLOAD_CONTAINER, p, policy_id))
		return;
	if (!cur) {
		cur = calloc(1, sizeof(*cur));
		if (!cur || u64_map_put(&e->applied, id, cur, NULL)) {
			free(cur);
			forget_cgroup(e, id);
			return;
		}
	}
	cur->policy = p;
	cur->policy_id = policy_id;
	cur->seen = e->round;
	fprintf(stderr, "vigil: policy %s applied to cgroup %llu (%s)\n", p->name,
		(unsigned long long)id, wl->kind == WORKLOAD_CONTAINER && wl->meta_state == META_READY
		? wl->meta.name : path);
}

static bool unseen(void *value, void *ctx)
{
	struct applied *a = value;
	struct enforcement *e = ctx;

	return a->seen != e->round;
}

static void forget_unseen(uint64_t key, void *value, void *ctx)
{
	struct applied *a = value;
	struct enforcement *e = ctx;

	if (a->seen != e->round)
		forget_cgroup(e, key);
}

/* Entries a previous (fail-closed) vigil left for cgroups no policy
 * selects now; isolation stays. */
static void sweep_inherited(struct enforcement *e)
{
	uint64_t ids[4096];
	size_t n = enforcer_workloads(e->enf, ids, 4096);

	for (size_t i = 0; i < n; i++) {
		struct enforce_workload w;

		if (u64_map_get(&e->applied, ids[i]))
			continue;
		if (enforcer_get_workload(e->enf, ids[i], &w) == 0 && w.isolated) {
			memset(&w, 0, sizeof(w));
			w.isolated = 1;
			enforcer_forget(e->enf, ids[i]);
			enforcer_set_workload(e->enf, ids[i], &w);
			continue;
		}
		enforcer_forget(e->enf, ids[i]);
	}
}

void enforcement_reconcile(struct enforcement *e, const struct workload_registry *reg)
{
	uint64_t now = (uint64_t)time(NULL);
	struct reconcile_ctx rc = {.e = e, .reg = reg, .refresh = now != e->refreshed_at};

	e->round++;
	workload_registry_each_cgroup(reg, reconcile_cgroup, &rc);
	u64_map_each(&e->applied, forget_unseen, e);
	u64_map_remove_if(&e->applied, unseen, e, free);
	if (!e->swept) {
		sweep_inherited(e);
		e->swept = true;
	}
	e->refreshed_at = now;
}

/* ---- loading ---------------------------------------------------------------- */

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "vigil: warning: %s\n", msg);
}

static bool any_workload(void *ctx, const struct policy *p)
{
	const struct workload_registry *reg = ctx;

	for (struct workload *wl = workload_registry_first((struct workload_registry *)reg); wl;
	     wl = wl->next) {
		struct subject_buf b;

		subject_of(wl, &b);
		if (policy_selects(p, &b.s))
			return true;
	}
	return false;
}

int enforcement_load(struct enforcement *e, const char *const *files, size_t n,
		     const struct workload_registry *reg, char *err, size_t errlen)
{
	struct policy_checks checks = {
		.warn = warn_stderr, .any_workload = reg ? any_workload : NULL,
		.workload_ctx = (void *)reg,
	};
	struct policy_set *set = NULL;

	if (n && policy_set_load(files, n, &set, &checks, err, errlen))
		return -1;
	/* everything applied refers to the old set: drop it all, reconcile re-applies */
	e->round++;
	u64_map_each(&e->applied, forget_unseen, e);
	u64_map_remove_if(&e->applied, unseen, e, free);
	policy_set_free(e->set);
	e->set = set;
	e->generation++;
	return 0;
}

size_t enforcement_policy_count(const struct enforcement *e)
{
	return e->set ? e->set->count : 0;
}

int enforcement_protect_with_profile(struct enforcement *e, const struct workload *wl,
				     const struct profile *prof, const char *name)
{
	struct profile_policy **link = &e->profiles, *pp;
	char err[512], *yaml;

	if (!wl || wl->kind != WORKLOAD_CONTAINER)
		return -1;
	while (*link && strcmp((*link)->container_id, wl->id))
		link = &(*link)->next;
	if (*link) {	/* replaced or removed: reconcile re-applies */
		pp = *link;
		*link = pp->next;
		policy_set_free(pp->set);
		free(pp);
		e->round++;
		u64_map_each(&e->applied, forget_unseen, e);
		u64_map_remove_if(&e->applied, unseen, e, free);
	}
	if (!prof)
		return 0;
	yaml = policy_from_profile(prof, name, NULL);
	pp = calloc(1, sizeof(*pp));
	if (!yaml || !pp || !(pp->set = policy_set_new()) ||
	    policy_set_add_string(pp->set, name, yaml, strlen(yaml), NULL, err, sizeof(err))) {
		fprintf(stderr, "vigil: cannot make a policy of model %s: %s\n", name,
			yaml ? err : "out of memory");
		if (pp)
			policy_set_free(pp->set);
		free(pp);
		free(yaml);
		return -1;
	}
	free(yaml);
	snprintf(pp->container_id, sizeof(pp->container_id), "%s", wl->id);
	pp->next = e->profiles;
	e->profiles = pp;
	return 0;
}

/* ---- reports ------------------------------------------------------------------ */

static void on_guard_report(void *ctx, const struct guard_report *r)
{
	struct enforcement *e = ctx;

	pthread_mutex_lock(&e->lock);
	if (e->queued < GUARD_QUEUE)
		e->queue[e->queued++] = *r;
	else
		e->lost++;
	pthread_mutex_unlock(&e->lock);
}

struct poll_ctx {
	struct enforcement *e;
	enforcement_report_fn fn;
	void *ctx;
};

static void name_rule(struct enforcement *e, struct enforcement_report *out, uint32_t policy_id,
		      enum policy_category cat, uint16_t rule_index)
{
	const struct policy *p = policy_by_id(e, policy_id);

	out->policy = p ? p->name : "";
	if (rule_index == ENFORCE_RULE_DEFAULT - 1)
		snprintf(out->rule, sizeof(out->rule), "isolated");
	else if (p)
		policy_rule_name(p, cat, rule_index == ENFORCE_RULE_DEFAULT ? -1 : rule_index,
				 out->rule, sizeof(out->rule));
	else
		snprintf(out->rule, sizeof(out->rule), "policy %u rule %u", policy_id, rule_index);
}

static void format_peer(char *buf, size_t len, const struct enforce_report *r)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (r->family == 2) {
		inet_ntop(AF_INET, &r->addr[12], ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, r->port);
	} else {
		inet_ntop(AF_INET6, r->addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, r->port);
	}
}

static void on_kernel_report(void *ctx, const struct enforce_report *r)
{
	struct poll_ctx *pc = ctx;
	struct enforcement_report out;
	char path[ENFORCE_PATH_MAX + 1];

	memset(&out, 0, sizeof(out));
	out.action = r->action == ENFORCE_BLOCK ? "block" : "audit";
	out.cgroup_id = r->cgroup_id;
	out.pid = r->tgid;
	out.tid = r->pid;
	out.boot_ns = r->time_ns;
	memcpy(out.comm, r->comm, sizeof(out.comm) - 1);
	out.path = "";
	out.access = "";
	out.proto = "";
	if (r->kind == ENFORCE_EXEC) {
		out.kind = "exec";
		memcpy(path, r->path, sizeof(r->path));
		path[r->path_len < ENFORCE_PATH_MAX ? r->path_len : ENFORCE_PATH_MAX] = 0;
		out.path = path;
		out.access = "exec";
		name_rule(pc->e, &out, r->policy_id, POLICY_PROCESS, r->rule_index);
	} else if (r->kind == ENFORCE_ACCEPT) {
		struct enforce_report peer = *r;

		out.kind = "accept";
		peer.port = r->peer_port;
		format_peer(out.peer, sizeof(out.peer), &peer);
		out.local_port = r->port;
		out.proto = r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : "";
		name_rule(pc->e, &out, r->policy_id, POLICY_NETWORK, r->rule_index);
	} else {
		out.kind = r->kind == ENFORCE_CONNECT ? "connect" : "sendmsg";
		format_peer(out.peer, sizeof(out.peer), r);
		out.proto = r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : "";
		name_rule(pc->e, &out, r->policy_id, POLICY_NETWORK, r->rule_index);
	}
	if (r->action == ENFORCE_BLOCK)
		pc->e->blocked++;
	else
		pc->e->audited++;
	pc->fn(pc->ctx, &out);
}

static const char *access_text(uint8_t a)
{
	static const char *const names[8] = {
		"", "read", "write", "read,write", "exec", "read,exec", "write,exec",
		"read,write,exec",
	};
	return names[a & 7];
}

void enforcement_poll(struct enforcement *e, enforcement_report_fn fn, void *ctx)
{
	struct poll_ctx pc = {.e = e, .fn = fn, .ctx = ctx};
	struct guard_report batch[GUARD_QUEUE];
	size_t n;

	enforcer_poll(e->enf, on_kernel_report, &pc);
	pthread_mutex_lock(&e->lock);
	n = e->queued;
	memcpy(batch, e->queue, n * sizeof(batch[0]));
	e->queued = 0;
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < n; i++) {
		const struct guard_report *g = &batch[i];
		struct enforcement_report out;

		memset(&out, 0, sizeof(out));
		out.kind = "open";
		out.action = g->action == ENFORCE_BLOCK ? "block" : "audit";
		out.cgroup_id = g->cgroup_id;
		out.pid = g->pid;
		out.tid = g->tid;
		out.boot_ns = g->time_ns;
		out.path = g->path;
		out.access = access_text(g->access);
		out.proto = "";
		out.decide_ns = g->decide_ns;
		name_rule(e, &out, g->policy_id, POLICY_FILE, g->rule_index);
		if (g->action == ENFORCE_BLOCK)
			e->blocked++;
		else
			e->audited++;
		fn(ctx, &out);
	}
}

/* ---- lifetime --------------------------------------------------------------------- */

struct enforcement *enforcement_open(const struct enforcement_options *o, char *err,
				     size_t errlen)
{
	struct enforcer_options eo = {
		.cgroup_root = o->cgroup_root, .pin_dir = o->pin_dir, .fail_closed = o->fail_closed,
	};
	struct enforcement *e = calloc(1, sizeof(*e));

	if (!e || u64_map_init(&e->applied, 64)) {
		snprintf(err, errlen, "out of memory");
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	snprintf(e->cgroup_root, sizeof(e->cgroup_root), "%s", o->cgroup_root);
	e->dry_run = o->dry_run;
	e->own_cgroup = task_cgroup_id(o->cgroup_root, "self");
	e->enf = enforcer_open(&eo, err, errlen);
	if (!e->enf)
		goto fail;
	if (o->files) {
		e->guard = file_guard_open(o->cgroup_root, on_guard_report, e, err, errlen);
		if (!e->guard)
			goto fail;
	}
	return e;
fail:
	enforcement_close(e);
	return NULL;
}

void enforcement_close(struct enforcement *e)
{
	if (!e)
		return;
	file_guard_close(e->guard);
	enforcer_close(e->enf);
	u64_map_destroy(&e->applied, free);
	policy_set_free(e->set);
	while (e->profiles) {
		struct profile_policy *pp = e->profiles;

		e->profiles = pp->next;
		policy_set_free(pp->set);
		free(pp);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int enforcement_isolate(struct enforcement *e, uint64_t cgroup_id, bool on)
{
	return enforcer_isolate(e->enf, cgroup_id, on);
}

void enforcement_stats(struct enforcement *e, struct enforcement_stats *out)
{
	struct file_guard_stats gs = {0};

	if (e->guard)
		file_guard_stats(e->guard, &gs);
	out->policies = enforcement_policy_count(e);
	out->workloads = e->applied.count;
	out->blocked = e->blocked;
	out->audited = e->audited;
	out->lost = e->lost + enforcer_reports_lost(e->enf) + gs.errors;
}

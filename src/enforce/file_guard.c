/* file_guard.c - fanotify permission events on protected inodes. */
#include "enforce/file_guard.h"
#include "util/error_text.h"
#include "workload/task_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../bpf/enforce.h"

#define PERM_EVENTS (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)

struct guard_entry {
	dev_t dev;
	ino_t ino;
	bool dir;
	char *shown_path;
	struct guard_rule rule;
};

struct file_guard {
	int fan_fd;
	int stop_pipe[2];
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;		/* entries and stats */
	struct guard_entry *entries;
	size_t count, cap;
	char cgroup_root[256];
	guard_report_fn fn;
	void *fn_ctx;
	struct file_guard_stats stats;
	struct guard_report report;	/* guard thread only */
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- who, and what they asked for --------------------------------- */

static bool is_own_thread(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	return access(path, F_OK) == 0;
}

/* The v2 cgroup id of a thread. */
static uint64_t cgroup_of(const struct file_guard *g, pid_t tid)
{
	char task[16];

	snprintf(task, sizeof(task), "%d", tid);
	return task_cgroup_id(g->cgroup_root, task);
}

static uint8_t access_of_flags(uint64_t flags)
{
	uint8_t a;

	switch (flags & O_ACCMODE) {
	case O_WRONLY: a = GUARD_WRITE; break;
	case O_RDWR: a = GUARD_READ | GUARD_WRITE; break;
	default: a = GUARD_READ; break;
	}
	if (flags & O_TRUNC)
		a |= GUARD_WRITE;
	return a;
}

/* The open is still in progress (it waits for our answer), so the
 * thread's current syscall and its arguments say how it opens. */
static uint8_t access_requested(pid_t tid)
{
	char path[64], buf[512];
	unsigned long long a[7] = {0};
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return GUARD_READ | GUARD_WRITE;	/* unknown: the strictest */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return GUARD_READ | GUARD_WRITE;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llx %llx %llx", &a[0], &a[1], &a[2], &a[3]) < 4)
		return GUARD_READ | GUARD_WRITE;
	switch (a[0]) {
	case 2: return access_of_flags(a[2]);		/* open(path, flags) */
	case 85: return GUARD_WRITE;			/* creat */
	case 257: return access_of_flags(a[3]);		/* openat(dfd, path, flags) */
	case 437: {					/* openat2(dfd, path, how) */
		uint64_t flags;

		snprintf(path, sizeof(path), "/proc/%d/mem", tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return GUARD_READ | GUARD_WRITE;
		n = pread(fd, &flags, sizeof(flags), (off_t)a[3]);
		close(fd);
		return n == sizeof(flags) ? access_of_flags(flags) : GUARD_READ | GUARD_WRITE;
	}
	default: return GUARD_READ;
	}
}

/* ---- the decision --------------------------------------------------- */

struct opened {
	struct stat st;		/* the file being opened */
	struct stat parent;	/* its directory, if found */
	bool have_parent;
	const char *name;	/* last component, for directory rules */
	char path[PATH_MAX];
};

static void describe_opened(int fd, struct opened *o)
{
	char link[64];
	ssize_t n;
	char *slash;

	o->have_parent = false;
	o->name = "";
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, o->path, sizeof(o->path) - 1);
	if (n <= 0)
		return;
	o->path[n] = 0;
	slash = strrchr(o->path, '/');
	if (!slash || slash == o->path)
		return;
	o->name = slash + 1;
	*slash = 0;
	o->have_parent = stat(o->path, &o->parent) == 0;
	*slash = '/';
}

static bool entry_covers(const struct guard_entry *e, const struct opened *o)
{
	if (e->dev == o->st.st_dev && e->ino == o->st.st_ino)
		return true;
	return e->dir && o->have_parent && e->dev == o->parent.st_dev &&
	       e->ino == o->parent.st_ino;
}

/* First rule of the opener's workload covering the file and the access. */
static const struct guard_entry *find_rule(struct file_guard *g, const struct opened *o,
					   uint64_t cgroup_id, uint8_t access)
{
	for (size_t i = 0; i < g->count; i++) {
		const struct guard_entry *e = &g->entries[i];

		if (e->rule.cgroup_id == cgroup_id && (e->rule.access & access) &&
		    entry_covers(e, o))
			return e;
	}
	return NULL;
}

static void fill_report(struct guard_report *r, const struct guard_entry *e,
			const struct opened *o)
{
	if (e->dir && !(e->dev == o->st.st_dev && e->ino == o->st.st_ino))
		snprintf(r->path, sizeof(r->path), "%s%s%s", e->shown_path,
			 e->shown_path[strlen(e->shown_path) - 1] == '/' ? "" : "/", o->name);
	else
		snprintf(r->path, sizeof(r->path), "%s", e->shown_path);
	r->policy_id = e->rule.policy_id;
	r->rule_index = e->rule.rule_index;
}

/* FAN_ALLOW or FAN_DENY for one permission event. */
static uint32_t decide(struct file_guard *g, const struct fanotify_event_metadata *m,
		       uint64_t started_ns)
{
	struct guard_report *r = &g->report;
	const struct guard_entry *e;
	struct opened o;
	uint64_t cg;
	uint8_t access, action;

	if (is_own_thread(m->pid) || fstat(m->fd, &o.st))
		return FAN_ALLOW;
	cg = cgroup_of(g, m->pid);
	if (!cg)
		return FAN_ALLOW;	/* gone already */
	describe_opened(m->fd, &o);
	access = m->mask & FAN_OPEN_EXEC_PERM ? GUARD_EXEC : access_requested(m->pid);
	pthread_mutex_lock(&g->lock);
	e = find_rule(g, &o, cg, access);
	if (!e || e->rule.action == ENFORCE_ALLOW) {
		pthread_mutex_unlock(&g->lock);
		return FAN_ALLOW;
	}
	action = e->rule.action;
	if (action == ENFORCE_BLOCK && e->rule.dry_run)
		action = ENFORCE_AUDIT;
	fill_report(r, e, &o);
	if (action == ENFORCE_BLOCK)
		g->stats.denied++;
	else
		g->stats.audited++;
	pthread_mutex_unlock(&g->lock);
	r->time_ns = now_ns(CLOCK_BOOTTIME);
	r->cgroup_id = cg;
	r->tid = m->pid;
	r->pid = m->pid;
	r->action = action;
	r->access = access;
	r->decide_ns = now_ns(CLOCK_MONOTONIC) - started_ns;
	return action == ENFORCE_BLOCK ? FAN_DENY : FAN_ALLOW;
}

static void answer(struct file_guard *g, const struct fanotify_event_metadata *m)
{
	uint64_t started = now_ns(CLOCK_MONOTONIC);
	struct fanotify_response resp = {.fd = m->fd, .response = FAN_ALLOW};

	g->report.action = ENFORCE_ALLOW;
	if (m->mask & PERM_EVENTS)
		resp.response = decide(g, m, started);
	if ((m->mask & PERM_EVENTS) && write(g->fan_fd, &resp, sizeof(resp)) != sizeof(resp)) {
		pthread_mutex_lock(&g->lock);
		g->stats.errors++;
		pthread_mutex_unlock(&g->lock);
	}
	/* report after answering: the opener waits for nothing else */
	if (g->report.action != ENFORCE_ALLOW && g->fn) {
		g->report.decide_ns = now_ns(CLOCK_MONOTONIC) - started;
		g->fn(g->fn_ctx, &g->report);
	}
}

static void *guard_thread(void *arg)
{
	struct file_guard *g = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd fds[2] = {
		{.fd = g->fan_fd, .events = POLLIN},
		{.fd = g->stop_pipe[0], .events = POLLIN},
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		ssize_t n = read(g->fan_fd, buf, sizeof(buf));

		if (n <= 0)
			continue;
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, n);
		     m = FAN_EVENT_NEXT(m, n)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				break;
			pthread_mutex_lock(&g->lock);
			g->stats.events++;
			pthread_mutex_unlock(&g->lock);
			if (m->fd >= 0) {
				answer(g, m);
				close(m->fd);
			}
		}
	}
	return NULL;
}

struct file_guard *file_guard_open(const char *cgroup_root, guard_report_fn fn, void *ctx,
				   char *err, size_t errlen)
{
	struct file_guard *g = calloc(1, sizeof(*g));

	if (!g) {
		set_error(err, errlen, "out of memory");
		return NULL;
	}
	g->stop_pipe[0] = g->stop_pipe[1] = -1;
	pthread_mutex_init(&g->lock, NULL);
	snprintf(g->cgroup_root, sizeof(g->cgroup_root), "%s", cgroup_root);
	g->fn = fn;
	g->fn_ctx = ctx;
	g->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (g->fan_fd < 0) {
		set_error(err, errlen, "fanotify permission events unavailable: %s", strerror(errno));
		goto fail;
	}
	if (pipe2(g->stop_pipe, O_CLOEXEC)) {
		set_error(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&g->thread, NULL, guard_thread, g)) {
		set_error(err, errlen, "cannot start the file guard thread");
		goto fail;
	}
	g->thread_started = true;
	return g;
fail:
	file_guard_close(g);
	return NULL;
}

void file_guard_close(struct file_guard *g)
{
	if (!g)
		return;
	if (g->thread_started) {
		if (write(g->stop_pipe[1], "x", 1) != 1)
			pthread_cancel(g->thread);
		pthread_join(g->thread, NULL);
	}
	if (g->fan_fd >= 0)
		close(g->fan_fd);	/* pending permission events are allowed */
	if (g->stop_pipe[0] >= 0)
		close(g->stop_pipe[0]);
	if (g->stop_pipe[1] >= 0)
		close(g->stop_pipe[1]);
	for (size_t i = 0; i < g->count; i++)
		free(g->entries[i].shown_path);
	free(g->entries);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static bool has_entry(struct file_guard *g, const struct guard_entry *e)
{
	bool found = false;

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->count && !found; i++) {
		const struct guard_entry *x = &g->entries[i];

		found = x->dev == e->dev && x->ino == e->ino &&
			x->rule.cgroup_id == e->rule.cgroup_id &&
			x->rule.policy_id == e->rule.policy_id &&
			x->rule.rule_index == e->rule.rule_index;
	}
	pthread_mutex_unlock(&g->lock);
	return found;
}

int file_guard_protect(struct file_guard *g, const char *host_path, const char *shown_path,
		       const struct guard_rule *rule)
{
	uint64_t mask = FAN_OPEN_PERM;
	struct guard_entry e = {.rule = *rule};
	struct stat st;

	if (stat(host_path, &st))
		return -errno;
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	e.dir = S_ISDIR(st.st_mode);
	if (has_entry(g, &e))
		return 0;	/* protected already (a glob expanded again) */
	if (rule->access & GUARD_EXEC)
		mask |= FAN_OPEN_EXEC_PERM;
	if (e.dir)
		mask |= FAN_EVENT_ON_CHILD | FAN_ONDIR;
	if (fanotify_mark(g->fan_fd, FAN_MARK_ADD, mask, AT_FDCWD, host_path))
		return -errno;
	e.shown_path = strdup(shown_path);
	if (!e.shown_path)
		return -ENOMEM;
	pthread_mutex_lock(&g->lock);
	if (g->count == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct guard_entry *n = realloc(g->entries, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&g->lock);
			free(e.shown_path);
			return -ENOMEM;
		}
		g->entries = n;
		g->cap = cap;
	}
	g->entries[g->count++] = e;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* Marks stay: an inode that no rule covers answers "allow" at once, and
 * its mark goes when the inode does (the container's files). */
void file_guard_forget(struct file_guard *g, uint64_t cgroup_id)
{
	size_t kept = 0;

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->count; i++) {
		if (g->entries[i].rule.cgroup_id == cgroup_id)
			free(g->entries[i].shown_path);
		else
			g->entries[kept++] = g->entries[i];
	}
	g->count = kept;
	pthread_mutex_unlock(&g->lock);
}

size_t file_guard_rules(struct file_guard *g)
{
	size_t n;

	pthread_mutex_lock(&g->lock);
	n = g->count;
	pthread_mutex_unlock(&g->lock);
	return n;
}

void file_guard_stats(struct file_guard *g, struct file_guard_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->stats;
	pthread_mutex_unlock(&g->lock);
}

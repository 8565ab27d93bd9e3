/* cgroup_act.c - stop, freeze and thaw a container by its v2 cgroup.
 *
 * stop: cgroup.kill when the kernel has it (5.14+: the kernel kills every
 * process of the subtree, forks included); otherwise freeze the cgroup
 * so nothing forks, then SIGKILL each process of cgroup.procs (sub-
 * cgroups included) through a pidfd, re-reading until it is empty.
 * freeze/thaw: cgroup.freeze of the unified hierarchy; on kernels or
 * layouts without it, the v1 freezer's freezer.state at the same path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "respond/actions.h"
#include "respond/proc_info.h"

#define SWEEP_MAX_PIDS 65536
#define CGROUP_MAX_DEPTH 16

static const char *v2_root(const struct respond_options *o)
{
	return o->cgroup2_root ? o->cgroup2_root : "/sys/fs/cgroup/unified";
}

static const char *v1_freezer_root(const struct respond_options *o)
{
	return o->freezer_root ? o->freezer_root : "/sys/fs/cgroup/freezer";
}

static int file_path(char *buf, size_t len, const char *root, const char *path, const char *file)
{
	int n = snprintf(buf, len, "%s%s/%s", root, path, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The value of "key N" in a flat-keyed file (cgroup.events); -errno. */
static long keyed_value(const char *path, const char *key)
{
	char text[512];
	size_t klen = strlen(key);
	ssize_t rc = read_small_file(path, text, sizeof(text));

	if (rc < 0)
		return rc;
	for (char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtol(line + klen + 1, NULL, 10);
	return -ENOENT;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Calls fn for every pid in dir/cgroup.procs and below.  0 or -errno. */
static int each_pid(const char *dir, int depth, int (*fn)(pid_t pid, void *ctx), void *ctx)
{
	char path[PATH_MAX];
	FILE *f;
	DIR *d;
	struct dirent *de;
	long pid;
	int rc = 0;

	if (depth > CGROUP_MAX_DEPTH || (size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	if (!(f = fopen(path, "re")))
		return -errno;
	while (rc == 0 && fscanf(f, "%ld", &pid) == 1)
		rc = fn((pid_t)pid, ctx);
	fclose(f);
	if (rc < 0 || !(d = opendir(dir)))
		return rc < 0 ? rc : -errno;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		rc = each_pid(path, depth + 1, fn, ctx);
		if (rc == -ENOENT)
			rc = 0;		/* a sub-cgroup removed meanwhile */
	}
	closedir(d);
	return rc;
}

static int count_one(pid_t pid, void *ctx)
{
	(void)pid;
	++*(unsigned *)ctx;
	return 0;
}

static unsigned count_pids(const char *dir)
{
	unsigned n = 0;

	each_pid(dir, 0, count_one, &n);
	return n;
}

static void pause_briefly(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

/* ---- stop ---- */

struct sweep {
	const char *path;		/* relative, to check /proc/PID/cgroup */
	pid_t *killed;
	size_t n, cap;
	int err;
};

static int sweep_one(pid_t pid, void *ctx)
{
	struct sweep *s = ctx;
	char cg[PATH_MAX];
	int fd;

	for (size_t i = 0; i < s->n; i++)
		if (s->killed[i] == pid)
			return 0;	/* signalled, still exiting */
	if (s->n >= SWEEP_MAX_PIDS)
		return -E2BIG;
	if ((fd = pidfd_open_pid(pid)) < 0)
		return 0;
	/* the pidfd names the process that is in the cgroup now */
	if (proc_cgroup_path(pid, cg, sizeof(cg)) == 0 && cgroup_path_within(cg, s->path) &&
	    pidfd_signal(fd, SIGKILL) == 0) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			pid_t *grown = realloc(s->killed, cap * sizeof(*grown));

			if (!grown) {
				close(fd);
				return -ENOMEM;
			}
			s->killed = grown;
			s->cap = cap;
		}
		s->killed[s->n++] = pid;
	}
	close(fd);
	return 0;
}

static bool populated(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	return keyed_value(path, "populated") != 0;	/* unreadable: gone or unknown */
}

static int wait_empty(const struct act_env *e, const char *dir)
{
	while (populated(dir)) {
		if (!exists(dir))
			return 0;
		if (respond_monotonic_ns() > e->deadline_ns)
			return -ETIMEDOUT;
		pause_briefly();
	}
	return 0;
}

static int stop_by_sweep(const struct act_env *e, const char *path, const char *dir,
			 unsigned *killed)
{
	struct sweep s = { path, NULL, 0, 0, 0 };
	char freeze[PATH_MAX];
	bool froze = file_path(freeze, sizeof(freeze), v2_root(e->opts), path, "cgroup.freeze") == 0 &&
		     write_text(freeze, "1") == 0;
	int rc;

	/* a frozen task still dies of SIGKILL (v2), and cannot fork first */
	for (;;) {
		size_t before = s.n;

		rc = each_pid(dir, 0, sweep_one, &s);
		if (rc == -ENOENT) {
			rc = 0;		/* the cgroup went away: empty */
			break;
		}
		if (rc < 0 || (s.n == before && !populated(dir)))
			break;
		if (respond_monotonic_ns() > e->deadline_ns) {
			rc = -ETIMEDOUT;
			break;
		}
		pause_briefly();
	}
	if (froze)
		write_text(freeze, "0");
	*killed = (unsigned)s.n;
	free(s.killed);
	return rc;
}

void act_stop_cgroup(const struct act_env *e, const char *path, struct respond_result *res)
{
	char dir[PATH_MAX], kill_file[PATH_MAX];
	int rc;

	if (file_path(dir, sizeof(dir), v2_root(e->opts), path, "") < 0) {
		result_errno(res, -ENAMETOOLONG);
		return;
	}
	dir[strlen(dir) - 1] = '\0';	/* no trailing '/' */
	if (!exists(dir)) {
		result_set(res, RESPOND_ALREADY, "already stopped (no such cgroup)");
		return;
	}
	if (!populated(dir)) {
		result_set(res, RESPOND_ALREADY, "already stopped (no process left)");
		return;
	}
	file_path(kill_file, sizeof(kill_file), v2_root(e->opts), path, "cgroup.kill");
	if (!e->opts->no_cgroup_kill && exists(kill_file)) {
		res->processes = count_pids(dir);
		rc = write_text(kill_file, "1");
		if (rc == 0)
			rc = wait_empty(e, dir);
	} else {
		rc = stop_by_sweep(e, path, dir, &res->processes);
		if (rc == 0)
			rc = wait_empty(e, dir);
	}
	if (rc < 0) {
		result_errno(res, rc);
		return;
	}
	res->settled = true;
	result_set(res, RESPOND_DONE, "done");
}

/* ---- freeze / thaw ---- */

int cgroup_frozen(const struct respond_options *o, const char *path)
{
	char file[PATH_MAX], state[64];
	int rc;

	if (file_path(file, sizeof(file), v2_root(o), path, "cgroup.freeze") == 0 && exists(file)) {
		file_path(file, sizeof(file), v2_root(o), path, "cgroup.events");
		long v = keyed_value(file, "frozen");
		return v < 0 ? (int)v : v != 0;
	}
	if ((rc = file_path(file, sizeof(file), v1_freezer_root(o), path, "freezer.state")) < 0 ||
	    (rc = (int)read_small_file(file, state, sizeof(state))) < 0)
		return rc;
	return strncmp(state, "FROZEN", 6) == 0;
}

/* Writes the wanted state to v2 cgroup.freeze or v1 freezer.state. */
static int set_frozen(const struct respond_options *o, const char *path, bool freeze)
{
	char file[PATH_MAX];
	int rc;

	if (file_path(file, sizeof(file), v2_root(o), path, "cgroup.freeze") == 0 && exists(file))
		return write_text(file, freeze ? "1" : "0");
	if ((rc = file_path(file, sizeof(file), v1_freezer_root(o), path, "freezer.state")) < 0)
		return rc;
	return write_text(file, freeze ? "FROZEN" : "THAWED");
}

void act_freeze_cgroup(const struct act_env *e, const char *path, bool freeze,
		       struct respond_result *res)
{
	char dir[PATH_MAX];
	int now = cgroup_frozen(e->opts, path), rc;

	if (now < 0) {
		result_set(res, RESPOND_FAILED, "failed: no freezer for this cgroup (%s)",
			   strerror(-now));
		return;
	}
	if (now == freeze) {
		result_set(res, RESPOND_ALREADY, freeze ? "already frozen" : "already thawed");
		return;
	}
	if ((rc = set_frozen(e->opts, path, freeze)) < 0) {
		result_errno(res, rc);
		return;
	}
	/* freezing completes when every task has reached the freezer */
	while ((now = cgroup_frozen(e->opts, path)) != freeze) {
		if (now < 0) {
			result_errno(res, now);
			return;
		}
		if (respond_monotonic_ns() > e->deadline_ns)
			break;
		pause_briefly();
	}
	res->settled = now == freeze;
	if (file_path(dir, sizeof(dir), v2_root(e->opts), path, "") == 0) {
		dir[strlen(dir) - 1] = '\0';
		res->processes = count_pids(dir);
	}
	result_set(res, RESPOND_DONE, "done");
}

/* kill.c - kill_process and kill_tree.
 *
 * Each process is opened as a pidfd first and checked after (start time
 * for the target, parent for a descendant): the pidfd then names the
 * process that passed the check, so a pid recycled in between is never
 * signalled.  A tree is stopped (SIGSTOP) from the top down before
 * anything is killed: a stopped process cannot fork, and a killed parent
 * would hand its children to init, out of the walk's reach.  The walk
 * reads the parent of every process in /proc (task/N/children needs
 * CONFIG_PROC_CHILDREN, which not every kernel has).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "respond/actions.h"
#include "respond/proc_info.h"
#include "respond/protect.h"

/* A tree larger than this is not a process tree an alert is about. */
#define TREE_MAX 65536
#define TREE_ROUNDS 200

void result_set(struct respond_result *res, enum respond_outcome o, const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
}

void result_errno(struct respond_result *res, int neg_errno)
{
	result_set(res, RESPOND_FAILED, "failed: %s", strerror(-neg_errno));
}

/* Opens pid and checks it is still the process the caller meant. */
static int open_checked(pid_t pid, uint64_t start_ns, struct respond_result *res)
{
	struct proc_stat st;
	int fd = pidfd_open_pid(pid), rc;

	if (fd < 0) {
		result_errno(res, fd);
		return -1;
	}
	rc = proc_read_stat(pid, &st);
	if (rc < 0) {
		result_errno(res, rc == -ENOENT ? -ESRCH : rc);
		close(fd);
		return -1;
	}
	if (start_ns && !proc_start_matches(&st, start_ns)) {
		result_set(res, RESPOND_REFUSED, "refused: pid %d was reused (start time differs)",
			   (int)pid);
		close(fd);
		return -1;
	}
	return fd;
}

void act_kill_process(const struct act_env *e, pid_t pid, uint64_t start_ns,
		      struct respond_result *res)
{
	int fd = open_checked(pid, start_ns, res), rc;

	if (fd < 0)
		return;
	rc = pidfd_signal(fd, SIGKILL);
	if (rc < 0) {
		result_errno(res, rc);
	} else {
		res->processes = 1;
		res->settled = pidfds_wait_exit(&fd, 1, e->deadline_ns) == 1;
		result_set(res, RESPOND_DONE, "done");
	}
	close(fd);
}

struct held {
	pid_t *pid;
	int *fd;
	size_t n, cap;
};

static bool held_has(const struct held *h, pid_t pid)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->pid[i] == pid)
			return true;
	return false;
}

static int held_add(struct held *h, pid_t pid, int fd)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 32;
		pid_t *p = realloc(h->pid, cap * sizeof(*p));
		int *f;

		if (!p)
			return -ENOMEM;
		h->pid = p;
		if (!(f = realloc(h->fd, cap * sizeof(*f))))
			return -ENOMEM;
		h->fd = f;
		h->cap = cap;
	}
	h->pid[h->n] = pid;
	h->fd[h->n++] = fd;
	return 0;
}

static void held_free(struct held *h)
{
	for (size_t i = 0; i < h->n; i++)
		close(h->fd[i]);
	free(h->pid);
	free(h->fd);
}

/* Opens, checks (its parent is one we hold) and stops one child.
 * 1 held, 0 skipped (gone, protected, moved), -errno on no memory. */
static int stop_child(const struct act_env *e, struct held *h, pid_t pid, pid_t parent)
{
	struct proc_stat st;
	char why[160];
	int fd, rc;

	if (protect_process(e->cfg, pid, e->container_name, why, sizeof(why)))
		return 0;
	if ((fd = pidfd_open_pid(pid)) < 0)
		return 0;
	if (proc_read_stat(pid, &st) < 0 || st.ppid != parent || pidfd_signal(fd, SIGSTOP) < 0) {
		close(fd);
		return 0;
	}
	if ((rc = held_add(h, pid, fd)) < 0) {
		close(fd);
		return rc;
	}
	return 1;
}

/* One pass over /proc: stop every child of a held process not yet held.
 * Returns how many were added, or -errno. */
static int stop_new_children(const struct act_env *e, struct held *h)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int added = 0, rc = 0;

	if (!d)
		return -errno;
	while (rc >= 0 && (de = readdir(d))) {
		struct proc_stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || held_has(h, (pid_t)pid))
			continue;
		if (proc_read_stat((pid_t)pid, &st) < 0 || !held_has(h, st.ppid))
			continue;
		if (h->n >= TREE_MAX)
			rc = -E2BIG;
		else if ((rc = stop_child(e, h, (pid_t)pid, st.ppid)) > 0)
			added++;
	}
	closedir(d);
	return rc < 0 ? rc : added;
}

/* Have all held processes stopped (or died)?  A signal is delivered
 * asynchronously: until a process is really stopped it may still fork. */
static bool all_stopped(const struct held *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct proc_stat st;

		if (proc_read_stat(h->pid[i], &st) == 0 && !strchr("TtZX", st.state))
			return false;
	}
	return true;
}

static void pause_briefly(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

/* Stops the whole tree under h->pid[0]; 0 or -errno. */
static int stop_tree(const struct act_env *e, struct held *h)
{
	for (int round = 0; round < TREE_ROUNDS; round++) {
		int added = stop_new_children(e, h);

		if (added < 0)
			return added;
		if (added > 0)
			continue;
		if (all_stopped(h)) {
			/* nothing new while everything was stopped: complete */
			added = stop_new_children(e, h);
			if (added <= 0)
				return added;
			continue;
		}
		if (respond_monotonic_ns() > e->deadline_ns)
			return -ETIMEDOUT;
		pause_briefly();
	}
	return -ETIMEDOUT;
}

void act_kill_tree(const struct act_env *e, pid_t pid, uint64_t start_ns,
		   struct respond_result *res)
{
	struct held h = { 0 };
	int fd = open_checked(pid, start_ns, res), rc;

	if (fd < 0)
		return;
	if ((rc = pidfd_signal(fd, SIGSTOP)) < 0 || (rc = held_add(&h, pid, fd)) < 0) {
		close(fd);
		result_errno(res, rc);
		held_free(&h);
		return;
	}
	/* kill what was stopped even if the walk did not finish */
	rc = stop_tree(e, &h);
	for (size_t i = h.n; i-- > 0;)		/* leaves first */
		if (pidfd_signal(h.fd[i], SIGKILL) == 0)
			res->processes++;
	res->settled = pidfds_wait_exit(h.fd, h.n, e->deadline_ns) == h.n;
	if (rc < 0)
		result_set(res, RESPOND_FAILED, "failed: %s (killed %u stopped processes)",
			   strerror(-rc), res->processes);
	else
		result_set(res, RESPOND_DONE, "done");
	held_free(&h);
}

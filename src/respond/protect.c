/* protect.c - the protected set. */
#include "respond/protect.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "respond/proc_info.h"
#include "workload/cgroup_path.h"

static bool any_glob(char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

/* A component of the cgroup path names a protected unit ("sshd.service"
 * is protected in /system.slice/sshd.service and in its sub-cgroups). */
static const char *protected_unit_in(const struct response_config *c, const char *path,
				     char *comp, size_t complen)
{
	const char *p = path;

	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n < complen) {
			memcpy(comp, p, n);
			comp[n] = '\0';
			if (any_glob(c->units, c->nunits, comp))
				return comp;
		}
		p += n;
	}
	return NULL;
}

/* vigil's parent chain, stopping at pid 1 (or at a short loop guard). */
static bool is_vigil_ancestor(pid_t pid)
{
	pid_t p = getppid();

	for (int depth = 0; p > 1 && depth < 4096; depth++) {
		struct proc_stat st;

		if (p == pid)
			return true;
		if (proc_read_stat(p, &st) < 0)
			return false;
		p = st.ppid;
	}
	return false;
}

bool protect_process(const struct response_config *c, pid_t pid, const char *container_name,
		     char *why, size_t whylen)
{
	struct proc_stat st;
	char buf[PATH_MAX], comp[256];
	const char *unit;

	if (pid <= 0)
		return snprintf(why, whylen, "invalid pid %d", (int)pid), true;
	if (pid == 1)
		return snprintf(why, whylen, "pid 1"), true;
	if (pid == getpid())
		return snprintf(why, whylen, "vigil itself"), true;
	if (is_vigil_ancestor(pid))
		return snprintf(why, whylen, "an ancestor of vigil"), true;
	if (proc_read_stat(pid, &st) < 0)
		return false;	/* gone: the action will say so */
	if (st.flags & PROC_PF_KTHREAD)
		return snprintf(why, whylen, "kernel thread"), true;
	if (st.pgrp == getpgrp())
		return snprintf(why, whylen, "vigil's process group"), true;
	if (proc_exe(pid, buf, sizeof(buf)) == 0 && any_glob(c->exes, c->nexes, buf))
		return snprintf(why, whylen, "protected executable %s", buf), true;
	if (proc_cgroup_path(pid, buf, sizeof(buf)) == 0 &&
	    (unit = protected_unit_in(c, buf, comp, sizeof(comp))))
		return snprintf(why, whylen, "protected unit %s", unit), true;
	if (any_glob(c->containers, c->ncontainers, container_name))
		return snprintf(why, whylen, "protected container %s", container_name), true;
	return false;
}

/* Absolute, no empty, "." or ".." component: the path cannot leave the mount. */
static bool clean_path(const char *path)
{
	const char *p = path;

	if (*p != '/')
		return false;
	while (*p == '/') {
		size_t n = strcspn(++p, "/");

		if (n == 0 && *p)
			return false;	/* "//" */
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return *p == '\0';
}

static bool holds_process(const char *path, pid_t pid)
{
	char own[PATH_MAX];

	/* unreadable: assume it might, protection errs on the safe side */
	return proc_cgroup_path(pid, own, sizeof(own)) < 0 || cgroup_path_within(own, path);
}

bool protect_cgroup(const struct response_config *c, const char *path,
		    const char *container_name, char *why, size_t whylen)
{
	struct cgroup_workload w;
	char comp[256];
	const char *unit, *last;
	size_t n;

	if (!path || !*path || strcmp(path, "/") == 0)
		return snprintf(why, whylen, "root cgroup"), true;
	if (strlen(path) >= PATH_MAX / 2 || !clean_path(path))
		return snprintf(why, whylen, "not a clean cgroup path"), true;
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	last = path + n;
	while (last > path && last[-1] != '/')
		last--;
	if (n - (size_t)(last - path) >= 6 && strncmp(path + n - 6, ".slice", 6) == 0)
		return snprintf(why, whylen, "a systemd slice"), true;
	if ((unit = protected_unit_in(c, path, comp, sizeof(comp))))
		return snprintf(why, whylen, "protected unit %s", unit), true;
	/* "/libpod_parent", "/docker", a pod: every container under it would go */
	if (cgroup_path_parse(path, strlen(path), &w) < 0 || w.kind == WORKLOAD_UNKNOWN)
		return snprintf(why, whylen, "a runtime's cgroup that holds containers"), true;
	if (w.conmon)
		return snprintf(why, whylen, "a container monitor"), true;
	if (holds_process(path, getpid()))
		return snprintf(why, whylen, "holds vigil"), true;
	if (holds_process(path, 1))
		return snprintf(why, whylen, "holds pid 1"), true;
	if (any_glob(c->containers, c->ncontainers, container_name))
		return snprintf(why, whylen, "protected container %s", container_name), true;
	return false;
}

/* proc_info.c - /proc readers and pidfd helpers for the responder. */
#include "respond/proc_info.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t respond_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

ssize_t read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

int proc_read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	unsigned long long v[20];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* comm may hold spaces and parentheses: the fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	st->state = p[2];
	p += 3;
	/* fields 4..22 */
	for (int i = 0; i < 19; i++) {
		char *end;

		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EINVAL;
		p = end;
	}
	st->ppid = (pid_t)v[0];
	st->pgrp = (pid_t)v[1];
	st->flags = (unsigned)v[5];
	st->start_ticks = v[18];
	return 0;
}

static uint64_t tick_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
}

uint64_t proc_ticks_to_ns(uint64_t ticks)
{
	return ticks * tick_ns();
}

bool proc_start_matches(const struct proc_stat *st, uint64_t start_ns)
{
	return start_ns / tick_ns() == st->start_ticks;
}

int proc_cgroup_path(pid_t pid, char *buf, size_t len)
{
	char path[64], text[8192], *line;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	n = read_small_file(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			size_t l = strcspn(line + 3, "\n");

			if (l >= len)
				return -ENAMETOOLONG;
			memcpy(buf, line + 3, l);
			buf[l] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

int proc_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int pidfd_open_pid(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

unsigned pidfds_wait_exit(const int *fds, size_t n, uint64_t deadline_ns)
{
	struct pollfd *p = calloc(n ? n : 1, sizeof(*p));
	unsigned exited = 0;
	size_t open = n;

	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (open > 0) {
		uint64_t now = respond_monotonic_ns();
		int r;

		if (now >= deadline_ns)
			break;
		r = poll(p, n, (int)((deadline_ns - now) / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; r > 0 && i < n; i++)
			if (p[i].fd >= 0 && p[i].revents) {
				p[i].fd = -1;	/* poll ignores negative fds */
				exited++;
				open--;
			}
	}
	free(p);
	return exited;
}

bool cgroup_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;		/* "/" is the root: everything is within it */
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

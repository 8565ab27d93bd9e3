/* proc_info.h - what the responder needs to know about a process, read
 * from /proc, and pidfds: a process is signalled through a pidfd opened
 * before its identity is checked, so the signal reaches the process that
 * was checked even if its pid is recycled in between. */
#ifndef VIGIL_RESPOND_PROC_INFO_H
#define VIGIL_RESPOND_PROC_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	char state;			/* R S D T t Z X ... */
	pid_t ppid, pgrp;
	unsigned flags;			/* PF_* */
	uint64_t start_ticks;		/* field 22: clock ticks since boot */
};

#define PROC_PF_KTHREAD 0x00200000u

/* 0, or -errno (-ENOENT/-ESRCH when the process is gone). */
int proc_read_stat(pid_t pid, struct proc_stat *st);

/* The start time given in boot-clock ns matches field 22 (same tick). */
bool proc_start_matches(const struct proc_stat *st, uint64_t start_ns);
uint64_t proc_ticks_to_ns(uint64_t ticks);

/* The v2 cgroup path ("0::" line) into buf; 0 or -errno. */
int proc_cgroup_path(pid_t pid, char *buf, size_t len);

/* readlink of /proc/PID/exe; 0 or -errno (kernel threads have none). */
int proc_exe(pid_t pid, char *buf, size_t len);

/* pidfd_open / pidfd_send_signal; a fd or -errno, 0 or -errno. */
int pidfd_open_pid(pid_t pid);
int pidfd_signal(int pidfd, int sig);

/* Wait until every pidfd's process has exited, or until deadline_ns
 * (CLOCK_MONOTONIC).  Returns how many exited. */
unsigned pidfds_wait_exit(const int *fds, size_t n, uint64_t deadline_ns);

uint64_t respond_monotonic_ns(void);

/* Reads a small /proc or cgroup file whole, NUL-terminated; bytes read
 * or -errno. */
ssize_t read_small_file(const char *path, char *buf, size_t len);

/* Is path (a cgroup path) the same as or below dir? */
bool cgroup_path_within(const char *path, const char *dir);

#endif

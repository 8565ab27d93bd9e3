/* event.h - one decoded sensor event, as every later stage sees it.
 *
 * The decoder (decode.c) turns a ring-buffer record into struct event;
 * strings point into the event's own storage (valid until the next
 * decode into the same struct).  Enrichment adds the process view
 * (struct proc_entry) without copying.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../../bpf/events.h"

/* A byte string from the monitored world: not NUL-safe, maybe invalid UTF-8. */
struct event_str {
	const char *ptr;	/* NULL when absent */
	size_t len;
	bool truncated;
};

struct event_addr {
	uint16_t family;	/* AF_INET, AF_INET6, AF_UNIX, 0 = none */
	uint8_t addr[16];
	uint16_t port;
	struct event_str unix_path;
};

struct event {
	enum event_type type;
	uint64_t boot_ns;	/* kernel timestamp, boot clock */
	uint64_t real_ns;	/* wall clock, ns since the epoch */
	uint64_t cgroup_id;
	int64_t ret;
	int syscall;		/* -1 when the event is not a syscall */
	uint32_t hdr_flags;

	struct {
		uint32_t pid, tid, ppid;
		uint32_t uid, gid, euid, egid, loginuid;
		uint32_t ns_pid;	/* pid inside its own pid namespace */
		uint32_t mntns;		/* mount namespace inode */
		uint64_t start_ns;	/* process start, boot clock */
		char comm[COMM_LEN + 1];
	} task;

	union {
		struct {
			struct event_str exe;
			struct event_str args;	/* NUL-separated argv blob */
			struct event_str cwd;
			struct event_str filename;
			uint32_t argc;
			bool args_truncated;
			/* the new image (zero for a failed execve): */
			uint8_t stdio_type[3];	/* enum fd_kind of fds 0, 1, 2 */
			uint32_t tty;		/* /proc/PID/stat tty_nr, 0 = none */
			uint64_t exe_ctime_ns;	/* exe inode times, ns since the epoch */
			uint64_t exe_mtime_ns;
			uint32_t exe_flags;	/* EXE_* (bpf/events.h) */
			uint64_t exe_ino;
			uint32_t exe_dev;	/* as stat(2) st_dev encodes it */
			uint64_t cap_effective, cap_permitted;
		} exec;
		struct {
			uint32_t child_pid, child_tid;
			uint64_t child_start_ns;
			uint64_t clone_flags;
		} fork;
		struct {
			uint32_t exit_code, signal;
		} exit;
		struct {
			struct event_str path;	/* absolute when we could make it so */
			struct event_str path2;	/* rename/link new, symlink link path, mount target */
			struct event_str fstype; /* mount */
			int32_t dirfd, fd;
			uint32_t flags, mode;
			uint32_t uid, gid;
			uint64_t resolve;
		} file;
		struct {
			uint16_t family, type, protocol;
			int32_t fd, backlog;
			struct event_addr local, remote;
		} net;
		struct cred_payload cred;
		struct {
			uint64_t args[6];
			uint32_t target_pid;
			struct event_str path;	/* memfd name, module path, setns ns file */
		} generic;
		struct {
			uint64_t id;		/* cgroup v2 id */
			uint32_t level;
			struct event_str path;	/* relative to the v2 root, "/..." */
		} cgroup;
	};

	/* decoder storage for joined strings */
	char *storage;
	size_t storage_len, storage_cap;
};

#endif

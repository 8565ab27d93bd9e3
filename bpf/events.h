/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.h - the ABI between vigil's kernel programs and user space.
 *
 * Every ring-buffer record starts with struct event_header.  What follows
 * depends on header.type: a fixed part (struct <kind>_payload) and then
 * header.nstr strings, each encoded as
 *
 *     u16 len_and_flags;  bytes[len]   (no NUL; STR_TRUNCATED set when cut)
 *
 * in the order documented next to each payload.  Path strings produced by
 * a dentry walk (DENTRY_PATH) are emitted leaf first, one string per
 * component, and user space joins them.  Records never exceed
 * RECORD_MAX bytes.
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#define RECORD_MAX	16384	/* one record, header included */
#define STR_MAX		4097	/* longest string read: PATH_MAX + 1 to see truncation */
#define ARGS_MAX	4096	/* bytes of argv captured per exec */
#define DENTRY_DEPTH	48	/* path components walked from a dentry */
#define COMM_LEN	16

#define STR_TRUNCATED	0x8000
#define STR_LEN_MASK	0x7fff

/* Which process the event belongs to, the kind of event. */
enum event_type {
	EVENT_NONE = 0,
	EVENT_EXEC,
	EVENT_FORK,
	EVENT_EXIT,
	EVENT_OPEN,
	EVENT_UNLINK,
	EVENT_RENAME,
	EVENT_CHMOD,
	EVENT_CHOWN,
	EVENT_MKDIR,
	EVENT_LINK,
	EVENT_SYMLINK,
	EVENT_MOUNT,
	EVENT_MEMFD,
	EVENT_CONNECT,
	EVENT_ACCEPT,
	EVENT_BIND,
	EVENT_LISTEN,
	EVENT_SETUID,
	EVENT_CAPSET,
	EVENT_PTRACE,
	EVENT_MODULE,
	EVENT_UNSHARE,
	EVENT_SETNS,
	EVENT_BPF,
	EVENT_KILL,
	EVENT_CONTAINER_START,	/* made by user space from cgroup records */
	EVENT_CONTAINER_STOP,
	EVENT_TYPE_MAX,
	/* Kernel records that feed attribution, never shown as events. */
	EVENT_CGROUP_MKDIR = 60,
	EVENT_CGROUP_RMDIR = 61,
};

/* Header flags */
#define HDR_ARGS_TRUNCATED	0x1	/* exec: argv longer than ARGS_MAX */
#define HDR_PATH_RELATIVE	0x2	/* file: first path could not be made absolute */
#define HDR_FROM_FD		0x4	/* file: path resolved from the returned/given fd */

struct event_header {
	__u64 time_ns;		/* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;	/* cgroup v2 id of the task */
	__u64 start_ns;		/* task group leader start time (boot ns) */
	__s64 ret;		/* syscall result, exit code for EVENT_EXIT */
	__u32 type;		/* enum event_type */
	__u32 size;		/* whole record, header included */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;		/* real parent's tgid */
	__u32 uid, gid, euid, egid;
	__u32 loginuid;
	__u32 ns_pid;		/* tgid as the task's own pid namespace sees it */
	__u32 mntns;		/* mount namespace inode number */
	__u16 syscall;		/* syscall number, 0xffff for non-syscall events */
	__u16 nstr;		/* strings following the payload */
	__u32 flags;		/* HDR_* */
	char comm[COMM_LEN];
};

/* What an open descriptor refers to (exec_payload.stdio_type). */
enum fd_kind {
	FD_KIND_NONE = 0,	/* closed, or not readable */
	FD_KIND_FILE,		/* regular file */
	FD_KIND_DIRECTORY,
	FD_KIND_CHARDEV,	/* terminals, /dev/null */
	FD_KIND_BLOCKDEV,
	FD_KIND_PIPE,		/* pipe or fifo */
	FD_KIND_IPV4,		/* sockets by family */
	FD_KIND_IPV6,
	FD_KIND_UNIX,
	FD_KIND_NETLINK,
	FD_KIND_SOCKET,		/* a socket of another family */
	FD_KIND_OTHER,		/* anon inodes (eventfd, epoll...), O_PATH links */
	FD_KIND_MAX,
};

/* exec_payload.exe_flags */
#define EXE_FROM_MEMFD	0x1	/* a memfd: a "memfd:" file no directory holds */
#define EXE_DELETED	0x2	/* no links left (memfds have none either) */
#define EXE_ON_OVERLAY	0x4	/* on an overlayfs (a container image) */
#define EXE_UPPER_LAYER	0x8	/* ... in its writable upper layer: written
				 * or copied up since the overlay was made */

/* EVENT_EXEC (sched_process_exec) strings: exe path components (dentry
 * walk), argv blob (NUL-separated), cwd components (dentry walk),
 * filename as passed to execve.  A failed execve is reported from the
 * syscall exit with ret < 0 and strings: filename; its payload is zero.
 * Credentials and descriptors are those of the new image (after
 * setuid bits, file capabilities and close-on-exec). */
struct exec_payload {
	__u32 argc;		/* bprm->argc, whatever was captured */
	__u32 exe_parts;	/* number of exe component strings */
	__u32 cwd_parts;	/* number of cwd component strings */
	__u32 old_pid;		/* thread that called exec (leader after de_thread) */
	__u64 exe_ino;
	__u32 exe_dev;		/* super block s_dev, kernel encoding (major << 20 | minor) */
	__u32 tty;		/* controlling terminal as /proc/PID/stat tty_nr, 0 none */
	__u64 exe_ctime_ns;	/* exe inode change / modification time, */
	__u64 exe_mtime_ns;	/* ns since the epoch */
	__u64 cap_effective;
	__u64 cap_permitted;
	__u32 exe_flags;	/* EXE_* */
	__u8 stdio_type[3];	/* enum fd_kind of fds 0, 1, 2 */
	__u8 pad;
};

/* EVENT_FORK: child in the payload, parent in the header. No strings. */
struct fork_payload {
	__u32 child_pid;
	__u32 child_tid;
	__u64 child_start_ns;
	__u64 clone_flags;	/* 0 when not known */
};

/* EVENT_EXIT: header.ret is the raw wait status (code << 8 | signal). */
struct exit_payload {
	__u32 exit_code;	/* status >> 8 */
	__u32 signal;		/* status & 0x7f */
};

/* File events.  Strings, in order:
 *   path   (path_parts)  - as given (1 string), or the resolved
 *                           components when HDR_FROM_FD
 *   base   (base_parts)  - when path is relative: components of the
 *                           directory it is relative to (dirfd or cwd)
 *   path2  (path2_parts) - rename/link: new path; symlink: the link
 *                           path (path is then its target); mount: target
 *   base2  (base2_parts) - as base, for path2
 *   fstype               - mount only: the filesystem type
 * all dentry walks leaf first. */
struct file_payload {
	__s32 dirfd;		/* AT_FDCWD (-100) or a descriptor */
	__s32 fd;		/* fchmod/fchown: the fd */
	__u32 flags;		/* open flags, unlink/rename/link flags, mount flags */
	__u32 mode;		/* open/creat/mkdir/chmod mode */
	__u32 uid, gid;		/* chown */
	__u16 path_parts;	/* strings making up path (1 unless HDR_FROM_FD) */
	__u16 path2_parts;
	__u16 base_parts;
	__u16 base2_parts;	/* base of path2 when it is relative */
	__u64 resolve;		/* openat2 resolve flags; mount: fstype in strings */
};

/* Socket address, network byte order for addr/port as in sockaddr. */
struct net_addr {
	__u8 addr[16];
	__u16 port;		/* host order */
	__u16 pad;
};

/* EVENT_CONNECT/ACCEPT/BIND/LISTEN.  A unix socket path is the one string. */
struct net_payload {
	__u16 family;		/* AF_INET, AF_INET6, AF_UNIX */
	__u16 type;		/* SOCK_STREAM, ... */
	__u16 protocol;		/* IPPROTO_* */
	__u16 pad;
	__s32 fd;
	__s32 backlog;		/* listen */
	struct net_addr local;
	struct net_addr remote;
};

/* EVENT_SETUID/CAPSET: values after the call (header has the old ones). */
struct cred_payload {
	__u32 uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	__u64 cap_effective, cap_permitted, cap_inheritable;
	__u64 arg0, arg1, arg2;	/* what was asked for */
};

/* EVENT_PTRACE/MODULE/UNSHARE/SETNS/BPF/KILL/MEMFD: the raw arguments.
 * memfd: string 1 = name.  module (init_module): string = module name
 * if found; finit_module: path components of the fd. setns: see ns_inum,
 * otherwise (a pidfd) path components of the fd. */
struct generic_payload {
	__u64 args[6];
	__u32 target_pid;	/* ptrace/kill target */
	__u32 path_parts;
	__u64 ns_inum;		/* setns to a namespace file: its inode number;
				 * the one string is then the type ("uts") */
};

/* EVENT_CGROUP_MKDIR/RMDIR on the cgroup v2 hierarchy: the id events
 * carry in header.cgroup_id, and (one string) its path. */
struct cgroup_payload {
	__u64 id;
	__u32 level;
	__u32 pad;
};

/* Control state shared through BPF maps */
struct sensor_counters {
	__u64 events;
	__u64 drops;		/* ring buffer reservation failures */
	__u64 too_big;		/* record exceeded RECORD_MAX (cut) */
	__u64 max_pending;	/* ring buffer fill high-water mark, bytes */
	__u64 deduplicated;	/* opens not reported: seen within the window */
};

/* syscall tables: tail call slots are syscall numbers (x86_64) */
#define SYSCALL_SLOTS 512

#endif /* VIGIL_EVENTS_H */

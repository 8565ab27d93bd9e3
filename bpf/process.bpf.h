/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* process.bpf.h - process lifecycle: exec, fork, exit, credential changes. */

static __always_inline bool task_is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

#ifndef S_IFREG
#define S_IFREG		0100000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFBLK		0060000
#define S_IFIFO		0010000
#endif
#ifndef AF_NETLINK
#define AF_NETLINK	16
#endif
#define OVERLAYFS_SUPER_MAGIC	0x794c7630
#define TMPFS_MAGIC		0x01021994
#define HUGETLBFS_MAGIC		0x958458f6

/* What an open file is: its inode type, and for a socket the family. */
static __always_inline __u8 file_kind(struct file *file)
{
	struct socket *sock;

	if (!file)
		return FD_KIND_NONE;
	switch (file->f_inode->i_mode & S_IFMT) {
	case S_IFREG: return FD_KIND_FILE;
	case S_IFDIR: return FD_KIND_DIRECTORY;
	case S_IFCHR: return FD_KIND_CHARDEV;
	case S_IFBLK: return FD_KIND_BLOCKDEV;
	case S_IFIFO: return FD_KIND_PIPE;
	case S_IFSOCK: break;
	default: return FD_KIND_OTHER;	/* anon inodes have no type bits */
	}
	/* An O_PATH descriptor of a socket file has no socket behind it:
	 * private_data is NULL and the cast reads below yield 0. */
	sock = kernel_cast(file->private_data, struct socket);
	if (!sock || !sock->sk)
		return FD_KIND_OTHER;
	switch (sock->sk->__sk_common.skc_family) {
	case AF_INET: return FD_KIND_IPV4;
	case AF_INET6: return FD_KIND_IPV6;
	case AF_UNIX: return FD_KIND_UNIX;
	case AF_NETLINK: return FD_KIND_NETLINK;
	default: return FD_KIND_SOCKET;
	}
}

/* Kinds of fds 0, 1 and 2 of the current task.  The three file pointers
 * come in one read (not fd_to_file() three times: this runs on every
 * exec); every fd table has room for NR_OPEN_DEFAULT (64) of them. */
static __always_inline void stdio_kinds(__u8 kinds[3])
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *files[3] = {};

	if (fdt && fdt->max_fds >= 3)
		bpf_probe_read_kernel(files, sizeof(files), fdt->fd);
	for (int i = 0; i < 3; i++)
		kinds[i] = file_kind(files[i] ? kernel_cast(files[i], struct file) : NULL);
}

/* The controlling terminal as /proc/PID/stat field 7 (tty_nr) shows it:
 * the device number MKDEV(major, minor_start) + index, new_encode_dev'd. */
static __always_inline __u32 task_tty_nr(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tty_struct *tty = task->signal->tty;
	__u32 dev, major, minor;

	if (!tty)
		return 0;
	dev = ((__u32)tty->driver->major << 20 | tty->driver->minor_start) + tty->index;
	major = dev >> 20;
	minor = dev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* Inode timestamps moved twice: timespec64 i_ctime/i_mtime (< 6.6),
 * __i_ctime (6.6) and __i_mtime (6.7-6.10) behind accessors, then
 * split seconds and nanoseconds (6.11+).  One flavour per layout. */
struct inode___ts_split {
	time64_t i_ctime_sec;
	time64_t i_mtime_sec;
	u32 i_ctime_nsec;
	u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

struct inode___ts_hidden {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___ts_old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/* Nanoseconds since the epoch; times before it become 0.  The kernel
 * may keep a flag in the top bits of the nanoseconds (multigrain
 * timestamps, 6.13+); a value below 10^9 never reaches bit 30. */
static __always_inline __u64 ts_ns(__s64 sec, __u32 nsec)
{
	return sec < 0 ? 0 : (__u64)sec * 1000000000ULL + (nsec & 0x3fffffff);
}

static __always_inline __u64 inode_ctime_ns(struct inode *inode)
{
	struct inode___ts_split *a = (void *)inode;
	struct inode___ts_hidden *b = (void *)inode;
	struct inode___ts_old *c = (void *)inode;

	if (bpf_core_field_exists(a->i_ctime_sec))
		return ts_ns(a->i_ctime_sec, a->i_ctime_nsec);
	if (bpf_core_field_exists(b->__i_ctime))
		return ts_ns(b->__i_ctime.tv_sec, b->__i_ctime.tv_nsec);
	if (bpf_core_field_exists(c->i_ctime))
		return ts_ns(c->i_ctime.tv_sec, c->i_ctime.tv_nsec);
	return 0;
}

static __always_inline __u64 inode_mtime_ns(struct inode *inode)
{
	struct inode___ts_split *a = (void *)inode;
	struct inode___ts_hidden *b = (void *)inode;
	struct inode___ts_old *c = (void *)inode;

	if (bpf_core_field_exists(a->i_mtime_sec))
		return ts_ns(a->i_mtime_sec, a->i_mtime_nsec);
	if (bpf_core_field_exists(b->__i_mtime))
		return ts_ns(b->__i_mtime.tv_sec, b->__i_mtime.tv_nsec);
	if (bpf_core_field_exists(c->i_mtime))
		return ts_ns(c->i_mtime.tv_sec, c->i_mtime.tv_nsec);
	return 0;
}

/* memfd_create() files are shmem (or hugetlbfs) files named "memfd:NAME"
 * whose dentry sits in no directory: it is its own parent.  Both tests
 * together keep an ordinary file called "memfd:x" out. */
static __always_inline bool exe_is_memfd(struct dentry *dentry, unsigned long magic)
{
	char name[8] = {};

	if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC)
		return false;
	if (dentry->d_parent != dentry)
		return false;
	bpf_probe_read_kernel_str(name, sizeof(name), dentry->d_name.name);
	return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	       name[4] == 'd' && name[5] == ':';
}

/* An overlay inode has an upper dentry once the file exists in the
 * upper (writable) layer: created there, or copied up on a write or
 * attribute change.  Files only in the image's lower layers have none.
 * ovl_inode is in module BTF where overlay is a module; without it
 * (no BTF for overlay) the bit stays clear. */
static __always_inline bool ovl_in_upper(struct inode *inode)
{
	struct ovl_inode *oi;

	if (!bpf_core_type_exists(struct ovl_inode))
		return false;
	oi = (void *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	return BPF_CORE_READ(oi, __upperdentry) != NULL;
}

static __always_inline __u32 exe_flags(struct file *exe, struct inode *inode)
{
	unsigned long magic = inode->i_sb->s_magic;
	__u32 flags = 0;

	if (exe_is_memfd(exe->f_path.dentry, magic))
		flags |= EXE_FROM_MEMFD;
	if (inode->i_nlink == 0)
		flags |= EXE_DELETED;
	if (magic == OVERLAYFS_SUPER_MAGIC) {
		flags |= EXE_ON_OVERLAY;
		if (ovl_in_upper(inode))
			flags |= EXE_UPPER_LAYER;
	}
	return flags;
}

/* Facts about the new image that rules ask for: its executable file,
 * its terminal and standard descriptors, its capabilities.  exe comes
 * from kernel_cast(), so reads through it are plain loads. */
static __always_inline void exec_facts(struct exec_payload *ep, struct file *exe)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *inode = exe->f_inode;
	const struct cred *cred = task->cred;

	ep->exe_ino = inode->i_ino;
	ep->exe_dev = inode->i_sb->s_dev;
	ep->exe_ctime_ns = inode_ctime_ns(inode);
	ep->exe_mtime_ns = inode_mtime_ns(inode);
	ep->exe_flags = exe_flags(exe, inode);
	ep->tty = task_tty_nr();
	/* kernel_cap_t is { u64 val } since 6.3 and { u32 cap[2] } before:
	 * the same 8 bytes on a little-endian machine, so read them raw. */
	bpf_probe_read_kernel(&ep->cap_effective, 8, &cred->cap_effective);
	bpf_probe_read_kernel(&ep->cap_permitted, 8, &cred->cap_permitted);
	stdio_kinds(ep->stdio_type);
}

/* raw tp args: task, old_pid, bprm */
SEC("raw_tracepoint/sched_process_exec")
int vigil_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 old_pid = ctx->args[1];
	struct exec_payload *ep;
	struct scratch *s;
	struct file *exe;
	__u64 arg_start, arg_end, len;
	/* the thread that called execve keeps its storage through de_thread */
	struct pending *p = pending_get(false);
	__u16 nr = p && p->active ? p->nr : 59;	/* execve unless execveat */

	if (p)
		p->active = 0;	/* success is reported here, not at sys_exit */
	if (task_is_self() || !event_enabled(EVENT_EXEC))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	record_begin(s, EVENT_EXEC, sizeof(*ep));
	((struct event_header *)s->buf)->syscall = nr;
	ep = record_payload(s);
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->old_pid = old_pid;
	ep->argc = BPF_CORE_READ(bprm, argc);

	exe = kernel_cast(BPF_CORE_READ(bprm, file), struct file);
	exec_facts(ep, exe);
	ep->exe_parts = put_file_path(s, exe);

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	put_user_bytes(s, (const void *)arg_start, len > ARGS_MAX ? ARGS_MAX : len,
		       len > ARGS_MAX);

	ep->cwd_parts = put_path(s, BPF_CORE_READ(task, fs, pwd.dentry),
				 BPF_CORE_READ(task, fs, pwd.mnt));
	put_str(s, BPF_CORE_READ(bprm, filename), STR_MAX, false);
	if (len > ARGS_MAX)
		((struct event_header *)s->buf)->flags |= HDR_ARGS_TRUNCATED;
	record_emit(s);
	return 0;
}

/* raw tp args: parent, child.  Only new processes, not threads. */
SEC("raw_tracepoint/sched_process_fork")
int vigil_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	struct fork_payload *fp;
	struct scratch *s;
	__u32 child_pid = BPF_CORE_READ(child, tgid);

	if (BPF_CORE_READ(child, pid) != child_pid)
		return 0;
	if (task_is_self() || !event_enabled(EVENT_FORK))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	record_begin(s, EVENT_FORK, sizeof(*fp));
	fp = record_payload(s);
	fp->child_pid = child_pid;
	fp->child_tid = BPF_CORE_READ(child, pid);
	fp->child_start_ns = BPF_CORE_READ(child, start_boottime);
	fp->clone_flags = 0;
	record_emit(s);
	return 0;
}

/* raw tp args: task.  Reported once per process, when its last thread goes. */
SEC("raw_tracepoint/sched_process_exit")
int vigil_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_payload *xp;
	struct scratch *s;
	__u32 status;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (task_is_self() || !event_enabled(EVENT_EXIT))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
		status = BPF_CORE_READ(task, signal, group_exit_code);
	else
		status = BPF_CORE_READ(task, exit_code);
	record_begin(s, EVENT_EXIT, sizeof(*xp));
	((struct event_header *)s->buf)->ret = status;
	xp = record_payload(s);
	xp->exit_code = (status >> 8) & 0xff;
	xp->signal = status & 0x7f;
	record_emit(s);
	return 0;
}

/* execve/execveat that failed; success is reported by sched_process_exec. */
SEC("raw_tp")
int vigil_exit_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct exec_payload *ep;

	if (!exit_take(ctx, &x) || x.ret >= 0)
		return 0;
	ep = exit_record(&x, EVENT_EXEC, struct exec_payload);
	(void)ep;
	/* execve(filename, ...) / execveat(dirfd, filename, ...) */
	put_str(x.s, (const void *)(x.p.nr == 322 ? x.p.args[1] : x.p.args[0]),
		STR_MAX, true);
	record_emit(x.s);
	return 0;
}

SEC("raw_tp")
int vigil_exit_cred(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_ctx x;
	struct cred_payload *cp;
	const struct cred *cred;
	__u32 type;

	if (!exit_take(ctx, &x))
		return 0;
	type = x.p.nr == 126 ? EVENT_CAPSET : EVENT_SETUID;
	cp = exit_record(&x, type, struct cred_payload);
	/* the header carries the credentials from before the call */
	x.h->uid = x.p.uid;
	x.h->gid = x.p.gid;
	x.h->euid = x.p.euid;
	cred = BPF_CORE_READ(task, cred);
	cp->uid = BPF_CORE_READ(cred, uid.val);
	cp->gid = BPF_CORE_READ(cred, gid.val);
	cp->euid = BPF_CORE_READ(cred, euid.val);
	cp->egid = BPF_CORE_READ(cred, egid.val);
	cp->suid = BPF_CORE_READ(cred, suid.val);
	cp->sgid = BPF_CORE_READ(cred, sgid.val);
	cp->fsuid = BPF_CORE_READ(cred, fsuid.val);
	cp->fsgid = BPF_CORE_READ(cred, fsgid.val);
	bpf_probe_read_kernel(&cp->cap_effective, 8, &cred->cap_effective);
	bpf_probe_read_kernel(&cp->cap_permitted, 8, &cred->cap_permitted);
	bpf_probe_read_kernel(&cp->cap_inheritable, 8, &cred->cap_inheritable);
	cp->arg0 = x.p.args[0];
	cp->arg1 = x.p.args[1];
	cp->arg2 = x.p.args[2];
	record_emit(x.s);
	return 0;
}

/* cgroup_mkdir/cgroup_rmdir (raw tp args: cgroup, path).  Only the v2
 * hierarchy (hierarchy id 0) names the cgroup ids events carry. */
static __always_inline int cgroup_record(struct bpf_raw_tracepoint_args *ctx,
					 __u32 type)
{
	struct cgroup *cgrp = kernel_cast((void *)ctx->args[0], struct cgroup);
	struct cgroup_payload *cp;
	struct scratch *s;

	if (cgrp->root->hierarchy_id != 0)
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	record_begin(s, type, sizeof(*cp));
	cp = record_payload(s);
	cp->id = cgrp->kn->id;
	cp->level = cgrp->level;
	cp->pad = 0;
	put_str(s, (const void *)ctx->args[1], STR_MAX, false);
	record_emit(s);
	return 0;
}

SEC("raw_tracepoint/cgroup_mkdir")
int vigil_cgroup_mkdir(struct bpf_raw_tracepoint_args *ctx)
{
	return cgroup_record(ctx, EVENT_CGROUP_MKDIR);
}

SEC("raw_tracepoint/cgroup_rmdir")
int vigil_cgroup_rmdir(struct bpf_raw_tracepoint_args *ctx)
{
	return cgroup_record(ctx, EVENT_CGROUP_RMDIR);
}

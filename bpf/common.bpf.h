/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* common.bpf.h - maps, the per-CPU record builder and helpers shared by
 * every hook family.  A record is built in a per-CPU scratch buffer and
 * copied to the ring buffer in one bpf_ringbuf_output(), so records can
 * be as long as they need to be and no longer. */
#ifndef VIGIL_COMMON_BPF_H
#define VIGIL_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "events.h"

#define AT_FDCWD	-100
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define AF_UNIX		1
#define AF_INET		2
#define AF_INET6	10
#define NAME_MAX_READ	256
#define SIGNAL_GROUP_EXIT 0x00000004

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 256 * 1024;
const volatile __u64 open_dedup_window_ns = 0;

/* Family of each syscall number, 0 = not traced.  Written by user space
 * (through the mmap'ed .bss) so the enabled set can change at run time. */
__u8 syscall_family[SYSCALL_SLOTS];

/* Which non-syscall events are on (bit = enum event_type). */
__u64 event_mask = ~0ULL;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);	/* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sensor_counters);
} counters SEC(".maps");

/* RECORD_MAX of record plus room for one maximal read past its end, so
 * a bounded offset plus a bounded length always stays inside. */
#define SCRATCH_SIZE (RECORD_MAX + STR_MAX + ARGS_MAX + 64)
struct scratch {
	__u32 off;
	__u32 pad;
	__u8 buf[SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* Syscall arguments captured at entry, kept with the thread itself
 * (task local storage: a pointer away, no hashing, no locking, freed
 * with the task). */
struct pending {
	__u64 args[6];
	__u32 nr;
	__u32 active;		/* entered, exit not yet seen */
	__u32 uid, gid, euid;	/* credentials before the call (cred family) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending_store SEC(".maps");

static __always_inline struct pending *pending_get(bool create)
{
	return bpf_task_storage_get(&pending_store, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* Per-family exit programs, indexed by syscall family. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} exit_progs SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline struct sensor_counters *counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

/* The process id as the task's own pid namespace sees it (1 for a
 * container's init). */
static __always_inline __u32 task_ns_tgid(struct task_struct *task)
{
	struct pid *pid = task->group_leader->thread_pid;
	unsigned int level = pid->level;
	struct upid upid = {};

	bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level & 31]);
	return upid.nr;
}

/* Start a record: fill the header from the current task. */
static __always_inline struct event_header *
record_begin(struct scratch *s, __u32 type, __u32 payload_size)
{
	struct event_header *h = (struct event_header *)s->buf;
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;

	h->time_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->start_ns = task->group_leader->start_boottime;
	h->ret = 0;
	h->type = type;
	h->size = 0;
	h->pid = task->tgid;
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->euid = cred->euid.val;
	h->egid = cred->egid.val;
	h->loginuid = task->loginuid.val;
	h->mntns = task->nsproxy ? task->nsproxy->mnt_ns->ns.inum : 0;
	h->ns_pid = task_ns_tgid(task);
	h->syscall = 0xffff;
	h->nstr = 0;
	h->flags = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	s->off = sizeof(*h) + payload_size;
	return h;
}

static __always_inline void *record_payload(struct scratch *s)
{
	return s->buf + sizeof(struct event_header);
}

/* Room left for a string's bytes (after its 2-byte length). */
static __always_inline __u32 str_room(struct scratch *s, __u32 max)
{
	__u32 off = s->off;

	if (off + 2 >= RECORD_MAX)
		return 0;
	__u32 room = RECORD_MAX - off - 2;
	return room < max ? room : max;
}

static __always_inline void str_commit(struct scratch *s, __u32 off, long n,
				       __u32 room)
{
	__u16 len;

	if (n <= 0) {
		len = 0;
	} else {
		len = (n - 1) & STR_LEN_MASK;	/* n counts the NUL */
		if ((__u32)n >= room)
			len |= STR_TRUNCATED;
	}
	off &= RECORD_MAX - 1;
	*(__u16 *)&s->buf[off] = len;
	s->off = off + 2 + (len & STR_LEN_MASK);
	((struct event_header *)s->buf)->nstr++;
}

/* Append a NUL-terminated string from user or kernel memory. */
static __always_inline void put_str(struct scratch *s, const void *src,
				    __u32 max, bool user)
{
	__u32 room = str_room(s, max);
	__u32 off = s->off & (RECORD_MAX - 1);
	long n = 0;

	/* The bounds are already true; restate them so the verifier sees
	 * a non-negative length no larger than the buffer allows. */
	barrier_var(room);
	room &= 0x1fff;
	if (room > 1 && room <= STR_MAX) {
		if (user)
			n = bpf_probe_read_user_str(&s->buf[off + 2], room, src);
		else
			n = bpf_probe_read_kernel_str(&s->buf[off + 2], room, src);
	}
	str_commit(s, off, n, room > 0 ? room : 1);
}

/* Append len raw bytes from user memory (argv blob). */
static __always_inline void put_user_bytes(struct scratch *s, const void *src,
					   __u64 len, bool cut)
{
	__u32 room = str_room(s, ARGS_MAX);
	__u32 off = s->off & (RECORD_MAX - 1);
	__u16 stored = 0;

	if (len > room) {
		len = room;
		cut = true;
	}
	barrier_var(len);
	len &= 0x1fff;
	if (len > 0 && len <= ARGS_MAX &&
	    bpf_probe_read_user(&s->buf[off + 2], len, src) == 0)
		stored = len;
	*(__u16 *)&s->buf[off] = stored | (cut ? STR_TRUNCATED : 0);
	s->off = off + 2 + stored;
	((struct event_header *)s->buf)->nstr++;
}

/* State of one dentry walk; bpf_loop() calls walk_step once per
 * component, so the verifier checks the step once, not DENTRY_DEPTH
 * times. */
struct path_walk {
	struct scratch *s;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 parts;
};

static long walk_step(__u64 index, void *ctx)
{
	struct path_walk *w = ctx;
	/* locals: CO-RE reads must start from kernel types, not ours */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *mnt_root, *parent;

	if (!w->s || !dentry)
		return 1;
	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		return 1;
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (mnt_parent == mnt || !mnt_parent)
			return 1;	/* the root of this namespace */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	if (dentry == parent) {
		/* Unreachable from our root (another namespace or a pseudo
		 * filesystem): keep the leaf-most name only. */
		if (w->parts == 0) {
			put_str(w->s, BPF_CORE_READ(dentry, d_name.name), NAME_MAX_READ, false);
			w->parts++;
		}
		return 1;
	}
	put_str(w->s, BPF_CORE_READ(dentry, d_name.name), NAME_MAX_READ, false);
	w->parts++;
	w->dentry = parent;
	return 0;
}

/* Append the components of a path, leaf first, walking dentries up to
 * the task's root and across mount points.  Returns the component count. */
static __always_inline __u32 put_path(struct scratch *s, struct dentry *dentry,
				      struct vfsmount *vfsmnt)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path_walk w = {
		.s = s,
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
	};

	if (!dentry)
		return 0;
	bpf_loop(DENTRY_DEPTH, walk_step, &w, 0);
	return w.parts;
}

/* A kernel pointer turned into a typed one: loads through it become
 * inline fault-safe reads instead of a helper call each (kernel 6.2+). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define kernel_cast(ptr, type) \
	((type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	return file ? kernel_cast(file, struct file) : NULL;
}

static __always_inline __u32 put_file_path(struct scratch *s, struct file *file)
{
	if (!file)
		return 0;
	return put_path(s, BPF_CORE_READ(file, f_path.dentry),
			BPF_CORE_READ(file, f_path.mnt));
}

/* Components of the directory a relative path starts from. */
static __always_inline __u32 put_base_dir(struct scratch *s, int dirfd)
{
	struct task_struct *task;

	if (dirfd != AT_FDCWD)
		return put_file_path(s, fd_to_file(dirfd));
	task = (struct task_struct *)bpf_get_current_task();
	return put_path(s, BPF_CORE_READ(task, fs, pwd.dentry),
			BPF_CORE_READ(task, fs, pwd.mnt));
}

static __always_inline void record_emit(struct scratch *s)
{
	struct event_header *h = (struct event_header *)s->buf;
	struct sensor_counters *c = counters_get();
	__u32 size = s->off;
	__u64 flags, pending;

	if (size > RECORD_MAX) {
		size = RECORD_MAX;
		if (c)
			c->too_big++;
	}
	if (size < sizeof(*h))
		return;
	h->size = size;
	/* Wake the reader only once enough is pending; it also drains on a
	 * timer, so a quiet system still sees its events promptly. */
	pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	flags = pending >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (c && pending > c->max_pending)
		c->max_pending = pending;
	if (bpf_ringbuf_output(&events, s->buf, size, flags) == 0) {
		if (c)
			c->events++;
	} else if (c) {
		c->drops++;
	}
}

static __always_inline bool event_enabled(__u32 type)
{
	return event_mask & (1ULL << (type & 63));
}

#endif

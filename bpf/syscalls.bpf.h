/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* syscalls.bpf.h - the two raw tracepoints every syscall passes.
 * sys_enter keeps the arguments of traced syscalls in pending_map;
 * sys_exit hands traced ones to their family's program by tail call.
 * Untraced syscalls leave after one array read. */

/* x86_64 syscall arguments live in di, si, dx, r10, r8, r9. */
static __always_inline void read_syscall_args(struct pt_regs *regs, __u64 *args)
{
	struct pt_regs r;

	if (bpf_probe_read_kernel(&r, sizeof(r), regs) != 0)
		return;
	args[0] = r.di;
	args[1] = r.si;
	args[2] = r.dx;
	args[3] = r.r10;
	args[4] = r.r8;
	args[5] = r.r9;
}

SEC("raw_tracepoint/sys_enter")
int vigil_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 nr = ctx->args[1];
	__u64 id, ugid;
	struct pending p = {};
	struct task_struct *task;
	__u32 tid;

	if (nr >= SYSCALL_SLOTS || !syscall_family[nr])
		return 0;
	id = bpf_get_current_pid_tgid();
	if ((id >> 32) == self_tgid)
		return 0;
	tid = (__u32)id;
	ugid = bpf_get_current_uid_gid();
	task = (struct task_struct *)bpf_get_current_task();
	p.nr = nr;
	p.uid = (__u32)ugid;
	p.gid = ugid >> 32;
	p.euid = BPF_CORE_READ(task, cred, euid.val);
	read_syscall_args((struct pt_regs *)ctx->args[0], p.args);
	bpf_map_update_elem(&pending_map, &tid, &p, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int vigil_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 nr = 0;
	__u32 family;

	if (bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax) != 0)
		return 0;
	if (nr >= SYSCALL_SLOTS)
		return 0;
	family = syscall_family[nr];
	if (!family)
		return 0;
	bpf_tail_call(ctx, &exit_progs, family);
	/* No program for the family: forget the pending entry. */
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&pending_map, &tid);
	return 0;
}

/* Shared prologue of every family exit program: take (and delete) the
 * pending entry of this thread. */
struct exit_ctx {
	struct pending p;
	struct scratch *s;
	struct event_header *h;
	long ret;
};

static __always_inline bool exit_take(struct bpf_raw_tracepoint_args *ctx,
				      struct exit_ctx *x)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending_map, &tid);

	if (!p)
		return false;
	x->p = *p;
	bpf_map_delete_elem(&pending_map, &tid);
	x->ret = ctx->args[1];
	x->s = scratch_get();
	return x->s != NULL;
}

/* Begin the record for a taken syscall; payload zeroed. */
#define exit_record(x, type, payload_type)                                   \
	({                                                                   \
		(x)->h = record_begin((x)->s, (type), sizeof(payload_type));  \
		(x)->h->ret = (x)->ret;                                      \
		(x)->h->syscall = (x)->p.nr;                                 \
		__builtin_memset(record_payload((x)->s), 0,                  \
				 sizeof(payload_type));                      \
		(payload_type *)record_payload((x)->s);                      \
	})

/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* syscalls.bpf.h - the two raw tracepoints every syscall passes.
 * sys_enter keeps the arguments of traced syscalls in pending_map;
 * sys_exit hands traced ones to their family's program by tail call.
 * Untraced syscalls leave after one array read. */

/* x86_64 syscall arguments live in di, si, dx, r10, r8, r9. */
static __always_inline void read_syscall_args(void *raw_regs, __u64 *args)
{
	struct pt_regs *regs = kernel_cast(raw_regs, struct pt_regs);

	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

SEC("raw_tracepoint/sys_enter")
int vigil_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 nr = ctx->args[1];
	struct pending *p;
	__u8 family;

	if (nr >= SYSCALL_SLOTS)
		return 0;
	family = syscall_family[nr];
	if (!family)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	p = pending_get(true);
	if (!p)
		return 0;
	p->nr = nr;
	p->active = 1;
	if (family == FAMILY_CRED) {
		struct task_struct *task = bpf_get_current_task_btf();
		__u64 ugid = bpf_get_current_uid_gid();

		p->uid = (__u32)ugid;
		p->gid = ugid >> 32;
		p->euid = task->cred->euid.val;
	}
	read_syscall_args((void *)ctx->args[0], p->args);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int vigil_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = kernel_cast((void *)ctx->args[0], struct pt_regs);
	__u64 nr = regs->orig_ax;
	__u32 family;

	if (nr >= SYSCALL_SLOTS)
		return 0;
	family = syscall_family[nr];
	if (!family)
		return 0;
	bpf_tail_call(ctx, &exit_progs, family);
	/* No program for the family: forget the pending entry. */
	struct pending *p = pending_get(false);
	if (p)
		p->active = 0;
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
	struct pending *p = pending_get(false);

	if (!p || !p->active)
		return false;
	p->active = 0;
	x->p = *p;
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

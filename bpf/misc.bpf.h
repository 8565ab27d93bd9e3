/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* misc.bpf.h - other security-relevant syscalls: ptrace, kernel
 * modules, namespaces, bpf, signals, memfd. */

#define PTRACE_TRACEME		0
#define PTRACE_POKETEXT		4
#define PTRACE_POKEUSR		6
#define PTRACE_SETREGS		13
#define PTRACE_SETFPREGS	15
#define PTRACE_ATTACH		16
#define PTRACE_SETREGSET	0x4205
#define PTRACE_SEIZE		0x4206

/* Requests that change another process; reads (PEEK*) are a debugger's
 * chatter and are left out. */
static __always_inline bool ptrace_interesting(__u64 req)
{
	return req == PTRACE_TRACEME || req == PTRACE_ATTACH ||
	       req == PTRACE_SEIZE || req == PTRACE_SETREGS ||
	       req == PTRACE_SETFPREGS || req == PTRACE_SETREGSET ||
	       (req >= PTRACE_POKETEXT && req <= PTRACE_POKEUSR);
}

/* bpf commands that create or attach something (no map reads/writes). */
static __always_inline bool bpf_cmd_interesting(__u64 cmd)
{
	return cmd == 0 /* MAP_CREATE */ || cmd == 5 /* PROG_LOAD */ ||
	       cmd == 8 /* PROG_ATTACH */ || cmd == 17 /* RAW_TRACEPOINT_OPEN */ ||
	       cmd == 18 /* BTF_LOAD */ || cmd == 28 /* LINK_CREATE */;
}

#define NSFS_MAGIC 0x6e736673

/* setns(fd, ...): a namespace file has no path worth walking (its name
 * is made up on demand), so report its type and inode: "uts:[4026531838]". */
static __always_inline void put_setns_target(struct scratch *s,
					     struct generic_payload *gp,
					     struct file *file)
{
	struct inode *inode;
	struct ns_common *ns;

	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if (BPF_CORE_READ(inode, i_sb, s_magic) != NSFS_MAGIC) {
		gp->path_parts = put_file_path(s, file);	/* a pidfd */
		return;
	}
	ns = BPF_CORE_READ(inode, i_private);
	gp->ns_inum = BPF_CORE_READ(inode, i_ino);
	put_str(s, BPF_CORE_READ(ns, ops, name), 16, false);
}

static __always_inline __u32 misc_type(__u32 nr)
{
	switch (nr) {
	case 101: return EVENT_PTRACE;
	case 175: case 313: return EVENT_MODULE;
	case 272: return EVENT_UNSHARE;
	case 308: return EVENT_SETNS;
	case 321: return EVENT_BPF;
	case 319: return EVENT_MEMFD;
	default: return EVENT_KILL;	/* kill, tkill, tgkill */
	}
}

SEC("raw_tp")
int vigil_exit_misc(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct generic_payload *gp;
	__u32 type, self = bpf_get_current_pid_tgid() >> 32;
	__u64 *a;

	if (!exit_take(ctx, &x))
		return 0;
	a = x.p.args;
	type = misc_type(x.p.nr);
	if (type == EVENT_PTRACE && !ptrace_interesting(a[0]))
		return 0;
	if (type == EVENT_BPF && !bpf_cmd_interesting(a[0]))
		return 0;
	if (type == EVENT_KILL) {
		/* signal 0 probes and signals to one's own threads (Go's
		 * preemption, pthread_kill) are not interesting */
		__u64 sig = x.p.nr == 234 ? a[2] : a[1];
		__u32 target = a[0];

		if (sig == 0 || target == self)
			return 0;
		if (x.p.nr == 200 && target == (__u32)bpf_get_current_pid_tgid())
			return 0;
	}
	gp = exit_record(&x, type, struct generic_payload);
	for (int i = 0; i < 6; i++)
		gp->args[i] = a[i];
	if (type == EVENT_PTRACE)
		gp->target_pid = a[1];
	else if (type == EVENT_KILL)
		gp->target_pid = a[0];
	if (type == EVENT_MEMFD) {
		put_str(x.s, (const void *)a[0], NAME_MAX_READ, true);
		gp->path_parts = 1;
	} else if (type == EVENT_SETNS) {
		put_setns_target(x.s, gp, fd_to_file(a[0]));
	} else if (x.p.nr == 313) {
		/* finit_module(fd, ...): the module file */
		gp->path_parts = put_file_path(x.s, fd_to_file(a[0]));
	}
	record_emit(x.s);
	return 0;
}

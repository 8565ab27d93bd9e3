/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* process.bpf.h - process lifecycle: exec, fork, exit, credential changes. */

static __always_inline bool task_is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
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

	exe = BPF_CORE_READ(bprm, file);
	ep->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
	ep->exe_dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
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

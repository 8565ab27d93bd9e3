/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* floor.bpf.c - the benchmark floor: no-op programs on exactly the raw
 * tracepoints vigil's sensor attaches (sys_enter, sys_exit and the three
 * sched_process_* ones). Whatever these cost is the price of being on the
 * hooks at all; vigil's overhead is measured against it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("raw_tracepoint/sys_enter")
int floor_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int floor_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int floor_exec(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int floor_fork(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int floor_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

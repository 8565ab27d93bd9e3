/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* enforce.bpf.c - policies applied in the kernel.
 *
 * A separate object from the sensor so that its links and maps can be
 * pinned and outlive vigil (enforce.fail_mode=closed) while the sensor
 * goes away with the process.  Every program starts with one hash probe
 * on the current cgroup id: workloads without a policy pay only that. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "enforce.h"

#define AF_INET		2
#define AF_INET6	10
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define SIGKILL		9
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct enforce_workload);
} enforced_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct enforce_exec_key);
	__type(value, struct enforce_exec_rule);
} exec_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct enforce_parent_key);
	__type(value, struct enforce_exec_rule);
} exec_parents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct enforce_applet_key);
	__type(value, struct enforce_exec_rule);
} exec_applets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct enforce_inode_key);
	__type(value, struct enforce_inode_rule);
} exec_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} enforce_reports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct enforce_report);
} report_scratch SEC(".maps");

/* Reports lost because the ring was full (user space reads it). */
__u64 reports_lost;

static __always_inline struct enforce_report *report_begin(__u64 cgroup_id,
							   const struct enforce_workload *w,
							   __u8 kind)
{
	__u32 zero = 0;
	struct enforce_report *r = bpf_map_lookup_elem(&report_scratch, &zero);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!r)
		return NULL;
	__builtin_memset(r, 0, sizeof(*r) - ENFORCE_PATH_MAX);
	r->time_ns = bpf_ktime_get_boot_ns();
	r->cgroup_id = cgroup_id;
	r->pid = (__u32)pid_tgid;
	r->tgid = pid_tgid >> 32;
	r->policy_id = w->policy_id;
	r->kind = kind;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	return r;
}

static __always_inline void report_send(struct enforce_report *r)
{
	if (bpf_ringbuf_output(&enforce_reports, r, sizeof(*r), 0))
		__sync_fetch_and_add(&reports_lost, 1);
}

/* ---- exec ---------------------------------------------------------- */

static __always_inline __u64 path_hash(const char *path, __u32 len)
{
	__u64 h = FNV_OFFSET;

	for (__u32 i = 0; i < ENFORCE_PATH_MAX; i++) {
		if (i >= len)
			break;
		h ^= (__u8)path[i];
		h *= FNV_PRIME;
	}
	return h;
}

static __always_inline bool same_path(const struct enforce_exec_rule *rule,
				      const char *path, __u32 len)
{
	if (rule->len != len)
		return false;
	for (__u32 i = 0; i < ENFORCE_PATH_MAX; i++) {
		if (i >= len)
			break;
		if (rule->path[i] != path[i])
			return false;
	}
	return true;
}

/* The rule for this path limited to the parent's executable, if the
 * workload has such rules and the parent's is one of them. */
static __always_inline struct enforce_exec_rule *parent_rule(__u64 cg, __u64 hash,
							     struct enforce_report *r)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *parent = BPF_CORE_READ(task, real_parent, mm, exe_file, f_inode);
	struct enforce_parent_key key = {.cgroup_id = cg, .hash = hash};
	struct enforce_exec_rule *rule;

	if (!parent)
		return NULL;	/* a kernel thread's child */
	key.parent_ino = BPF_CORE_READ(parent, i_ino);
	key.parent_dev = BPF_CORE_READ(parent, i_sb, s_dev);
	rule = bpf_map_lookup_elem(&exec_parents, &key);
	return rule && same_path(rule, r->path, r->path_len) ? rule : NULL;
}

#define APPLET_NAME_MAX 64

/* The rule for the applet this exec runs: the file's inode and argv[0],
 * which the new image's stack already holds.  A shell runs an applet it
 * finds on PATH under its bare name ("nc"); a name with a '/' was exec'd
 * by path and met the path rules. */
static __always_inline struct enforce_exec_rule *applet_rule(__u64 cg,
							     const struct enforce_report *r)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long arg = BPF_CORE_READ(task, mm, arg_start);
	struct enforce_applet_key key = {.cgroup_id = cg, .ino = r->ino, .dev = r->dev};
	struct enforce_exec_rule *rule;
	char argv0[APPLET_NAME_MAX];
	__u32 len, i;
	long n;

	n = bpf_probe_read_user_str(argv0, sizeof(argv0), (const void *)arg);
	if (n <= 1)
		return NULL;
	len = (__u32)(n - 1);
	key.hash = FNV_OFFSET;
	for (i = 0; i < APPLET_NAME_MAX; i++) {
		if (i >= len)
			break;
		key.hash ^= (__u8)argv0[i];
		key.hash *= FNV_PRIME;
	}
	rule = bpf_map_lookup_elem(&exec_applets, &key);
	if (!rule || rule->len - rule->pad != len)
		return NULL;
	for (i = 0; i < APPLET_NAME_MAX; i++) {
		if (i >= len)
			break;
		if (rule->path[(rule->pad + i) & (ENFORCE_PATH_MAX - 1)] != argv0[i])
			return NULL;
	}
	return rule;
}

static __always_inline struct enforce_exec_rule *earlier(struct enforce_exec_rule *a,
							 struct enforce_exec_rule *b)
{
	if (!a)
		return b;
	return b && b->rule_index < a->rule_index ? b : a;
}

/* The first in policy order of the path rule and the parent-limited path
 * rule for what execve was given and the applet rule for the file and
 * argv[0], else the inode rule for the file that is running, else the
 * workload's default. */
static __always_inline __u8 exec_decision(__u64 cg, const struct enforce_workload *w,
					  struct enforce_report *r, struct linux_binprm *bprm)
{
	struct enforce_exec_key key = {.cgroup_id = cg};
	struct enforce_inode_key ikey = {.cgroup_id = cg};
	struct enforce_exec_rule *rule, *by_applet = NULL;
	struct enforce_inode_rule *irule;
	struct inode *inode;
	long n;

	n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), BPF_CORE_READ(bprm, filename));
	r->path_len = n > 0 ? n - 1 : 0;
	inode = BPF_CORE_READ(bprm, file, f_inode);
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r->rule_index = ENFORCE_RULE_DEFAULT;
	if (!w->exec_rules)
		return w->exec_default;
	key.hash = path_hash(r->path, r->path_len);
	rule = bpf_map_lookup_elem(&exec_paths, &key);
	if (rule && !same_path(rule, r->path, r->path_len))
		rule = NULL;
	if (w->parent_rules)
		rule = earlier(rule, parent_rule(cg, key.hash, r));
	if (w->applet_rules) {
		by_applet = applet_rule(cg, r);
		rule = earlier(rule, by_applet);
	}
	if (rule) {
		r->rule_index = rule->rule_index;
		if (rule == by_applet) {	/* report the name the policy gave */
			bpf_probe_read_kernel(r->path, sizeof(r->path), rule->path);
			r->path_len = rule->len;
		}
		return rule->action;
	}
	ikey.ino = r->ino;
	ikey.dev = r->dev;
	irule = bpf_map_lookup_elem(&exec_inodes, &ikey);
	if (irule) {
		r->rule_index = irule->rule_index;
		return irule->action;
	}
	return w->exec_default;
}

/* raw tp args: task, old_pid, bprm.  Past the point of no return the old
 * image is gone and the new one has not run an instruction: SIGKILL here
 * means the blocked program never runs. */
SEC("raw_tracepoint/sched_process_exec")
int enforce_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct enforce_workload *w = bpf_map_lookup_elem(&enforced_cgroups, &cg);
	struct enforce_report *r;
	__u8 action;

	if (!w || (!w->exec_rules && w->exec_default == ENFORCE_ALLOW))
		return 0;
	r = report_begin(cg, w, ENFORCE_EXEC);
	if (!r)
		return 0;
	action = exec_decision(cg, w, r, (struct linux_binprm *)ctx->args[2]);
	if (action == ENFORCE_ALLOW)
		return 0;
	if (action == ENFORCE_BLOCK && w->dry_run)
		action = ENFORCE_AUDIT;
	if (action == ENFORCE_BLOCK)
		bpf_send_signal(SIGKILL);
	r->action = action;
	report_send(r);
	return 0;
}

/* ---- network ------------------------------------------------------- */

static __always_inline bool is_loopback(const __u8 *a)
{
	/* ::1, or ::ffff:127.0.0.0/8 */
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	if (a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127;
	return !a[10] && !a[11] && !a[12] && !a[13] && !a[14] && a[15] == 1;
}

static __always_inline bool prefix_matches(const __u8 *a, const __u8 *net, __u8 prefix)
{
	for (int i = 0; i < 16; i++) {
		int bits = (int)prefix - i * 8;
		__u8 mask;

		if (bits <= 0)
			break;
		mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((a[i] ^ net[i]) & mask)
			return false;
	}
	return true;
}

/* The first rule of the direction matching r's peer, port and protocol. */
static __always_inline __u8 net_decision(const struct enforce_workload *w,
					 struct enforce_report *r, __u8 direction)
{
	__u16 n = w->net_rules;

	r->rule_index = ENFORCE_RULE_DEFAULT;
	if (w->isolated) {
		r->rule_index = ENFORCE_RULE_DEFAULT - 1;	/* "isolated" */
		return is_loopback(r->addr) ? ENFORCE_ALLOW : ENFORCE_BLOCK;
	}
	for (int i = 0; i < ENFORCE_NET_RULES; i++) {
		const struct enforce_net_rule *rule = &w->net[i];

		if (i >= n)
			break;
		if (!(rule->direction & direction))
			continue;
		if (rule->proto && rule->proto != r->proto)
			continue;
		if (r->port < rule->port_lo || r->port > rule->port_hi)
			continue;
		if (!prefix_matches(r->addr, rule->addr, rule->prefix))
			continue;
		r->rule_index = rule->rule_index;
		return rule->action;
	}
	return w->net_default;
}

/* Reports a block or an audit; 1 lets the call or packet go on, 0
 * refuses it (EPERM for a call, a drop for a packet). */
static __always_inline int net_verdict(const struct enforce_workload *w,
				       struct enforce_report *r, __u8 action)
{
	if (action == ENFORCE_ALLOW)
		return 1;
	if (action == ENFORCE_BLOCK && w->dry_run)
		action = ENFORCE_AUDIT;
	r->action = action;
	report_send(r);
	return action == ENFORCE_BLOCK ? 0 : 1;
}

/* 1 lets the call go on, 0 refuses it with EPERM. */
/* family is a constant per program: connect4 may not touch user_ip6. */
static __always_inline int sock_addr_check(struct bpf_sock_addr *ctx, __u8 kind,
					   const __u32 family)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct enforce_workload *w = bpf_map_lookup_elem(&enforced_cgroups, &cg);
	struct enforce_report *r;

	if (!w || (!w->isolated && !w->net_rules && w->net_default == ENFORCE_ALLOW))
		return 1;
	r = report_begin(cg, w, kind);
	if (!r)
		return 1;
	r->family = family;
	r->proto = ctx->protocol;
	r->port = bpf_ntohs(ctx->user_port);
	if (family == AF_INET) {
		__u32 ip = ctx->user_ip4;

		r->addr[10] = 0xff;
		r->addr[11] = 0xff;
		__builtin_memcpy(&r->addr[12], &ip, 4);
	} else {
		__u32 ip6[4];

		ip6[0] = ctx->user_ip6[0];
		ip6[1] = ctx->user_ip6[1];
		ip6[2] = ctx->user_ip6[2];
		ip6[3] = ctx->user_ip6[3];
		__builtin_memcpy(r->addr, ip6, 16);
	}
	return net_verdict(w, r, net_decision(w, r, ENFORCE_DIR_OUT));
}

SEC("cgroup/connect4")
int enforce_connect4(struct bpf_sock_addr *ctx)
{
	return sock_addr_check(ctx, ENFORCE_CONNECT, AF_INET);
}

SEC("cgroup/connect6")
int enforce_connect6(struct bpf_sock_addr *ctx)
{
	return sock_addr_check(ctx, ENFORCE_CONNECT, AF_INET6);
}

SEC("cgroup/sendmsg4")
int enforce_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_addr_check(ctx, ENFORCE_SENDMSG, AF_INET);
}

SEC("cgroup/sendmsg6")
int enforce_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_addr_check(ctx, ENFORCE_SENDMSG, AF_INET6);
}

/* ---- packets: isolation and inbound rules ------------------------------- */

#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define TCP_FLAG_SYN	0x02
#define TCP_FLAG_ACK	0x10

/* What an inbound packet is: its peer (source), the local port it is
 * for, the protocol and whether it opens a TCP connection.  cgroup_skb
 * programs see the packet from its network header. */
struct inbound {
	__u8 peer[16];
	__u16 peer_port, local_port;
	__u8 proto;
	__u8 family;
	bool opens;		/* TCP SYN without ACK */
	bool ports_known;	/* TCP or UDP, first fragment */
};

static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off, struct inbound *in)
{
	__u16 ports[2];
	__u8 flags;

	if (in->proto != IPPROTO_TCP && in->proto != IPPROTO_UDP)
		return 0;
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return -1;
	in->peer_port = bpf_ntohs(ports[0]);
	in->local_port = bpf_ntohs(ports[1]);
	in->ports_known = true;
	if (in->proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, off + 13, &flags, 1))
			return -1;
		in->opens = (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	}
	return 0;
}

/* 0 when parsed; -1 for what is not IPv4/IPv6 or cannot be read. */
static __always_inline int parse_inbound(struct __sk_buff *skb, struct inbound *in)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u8 head[20];
		__u16 frag;

		if (bpf_skb_load_bytes(skb, 0, head, sizeof(head)))
			return -1;
		in->family = AF_INET;
		in->peer[10] = 0xff;
		in->peer[11] = 0xff;
		__builtin_memcpy(&in->peer[12], &head[12], 4);
		in->proto = head[9];
		frag = ((__u16)(head[6] & 0x1f) << 8) | head[7];
		if (frag)
			return 0;	/* a later fragment: no ports */
		return parse_l4(skb, (head[0] & 0xf) * 4, in);
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 next;

		if (bpf_skb_load_bytes(skb, 6, &next, 1) || bpf_skb_load_bytes(skb, 8, in->peer, 16))
			return -1;
		in->family = AF_INET6;
		in->proto = next;	/* extension headers: no ports, protocol unknown */
		return parse_l4(skb, 40, in);
	}
	return -1;
}

/* Inbound rules: a TCP connection attempt is decided by the rules of
 * direction in, then the network default; a UDP datagram only by a rule
 * that names it (without connection state a reply to the workload's own
 * query looks like any other datagram, so the default does not apply).
 * Packets of connections already open pass: only their SYN is checked. */
static __always_inline int inbound_check(struct __sk_buff *skb, __u64 cg,
					 const struct enforce_workload *w)
{
	__u32 zero = 0;
	struct inbound in = {};
	struct enforce_report *r;
	__u8 action;

	if (parse_inbound(skb, &in) || !in.ports_known)
		return 1;
	if (in.proto == IPPROTO_TCP && !in.opens)
		return 1;
	r = bpf_map_lookup_elem(&report_scratch, &zero);
	if (!r)
		return 1;
	/* softirq context: no current task to name, user space attributes
	 * the report by cgroup */
	__builtin_memset(r, 0, sizeof(*r) - ENFORCE_PATH_MAX);
	r->time_ns = bpf_ktime_get_boot_ns();
	r->cgroup_id = cg;
	r->policy_id = w->policy_id;
	r->kind = ENFORCE_ACCEPT;
	r->family = in.family;
	r->proto = in.proto;
	r->port = in.local_port;
	r->peer_port = in.peer_port;
	__builtin_memcpy(r->addr, in.peer, 16);
	action = net_decision(w, r, ENFORCE_DIR_IN);
	if (r->rule_index == ENFORCE_RULE_DEFAULT && in.proto == IPPROTO_UDP)
		return 1;
	return net_verdict(w, r, action);
}

/* Isolation also cuts connections that existed before it: every packet
 * of an isolated workload that is not loopback is dropped. */
static __always_inline int isolate_packet(struct __sk_buff *skb, bool egress)
{
	__u8 a[16] = {};

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		__u32 ip;

		if (bpf_skb_load_bytes(skb, egress ? 16 : 12, &ip, 4))
			return 1;
		a[10] = 0xff;
		a[11] = 0xff;
		__builtin_memcpy(&a[12], &ip, 4);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, egress ? 24 : 8, a, 16))
			return 1;
	} else {
		return 1;
	}
	return is_loopback(a) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int enforce_egress(struct __sk_buff *skb)
{
	__u64 cg = bpf_skb_cgroup_id(skb);
	struct enforce_workload *w = bpf_map_lookup_elem(&enforced_cgroups, &cg);

	if (!w || !w->isolated || w->dry_run)
		return 1;
	return isolate_packet(skb, true);
}

SEC("cgroup_skb/ingress")
int enforce_ingress(struct __sk_buff *skb)
{
	__u64 cg = bpf_skb_cgroup_id(skb);
	struct enforce_workload *w = bpf_map_lookup_elem(&enforced_cgroups, &cg);

	if (!w)
		return 1;
	if (w->isolated)
		return w->dry_run ? 1 : isolate_packet(skb, false);
	if (!w->inbound)
		return 1;
	return inbound_check(skb, cg, w);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enforce.h - the ABI between vigil's enforcement programs and user space.
 *
 * User space (src/enforce/) keeps the maps current: which cgroups are
 * policed and how (enforced_cgroups), which executables they may or may
 * not run (exec_paths by the path given to execve, exec_inodes by the
 * file itself).  The kernel applies them with no round trip and reports
 * every block or audit through the enforce_reports ring buffer.
 */
#ifndef VIGIL_ENFORCE_ABI_H
#define VIGIL_ENFORCE_ABI_H

#define ENFORCE_PATH_MAX	256	/* exec paths compared in the kernel */
#define ENFORCE_NET_RULES	32	/* network rules per workload */
#define ENFORCE_RULE_DEFAULT	0xffff	/* "no rule matched: the default" */

enum enforce_action {
	ENFORCE_ALLOW = 0,
	ENFORCE_AUDIT = 1,
	ENFORCE_BLOCK = 2,
};

enum enforce_kind {
	ENFORCE_EXEC = 1,	/* killed at sched_process_exec, before its first instruction */
	ENFORCE_CONNECT = 2,	/* connect() refused with EPERM */
	ENFORCE_SENDMSG = 3,	/* sendmsg()/sendto() with an address refused */
	ENFORCE_PACKET = 4,	/* packet of an isolated workload dropped (not reported each) */
	ENFORCE_ACCEPT = 5,	/* inbound TCP connection attempt (SYN) or UDP datagram dropped */
};

enum enforce_direction { ENFORCE_DIR_OUT = 1, ENFORCE_DIR_IN = 2, ENFORCE_DIR_ANY = 3 };

/* Protocol numbers as in IP headers; 0 = any. */
struct enforce_net_rule {
	__u8 addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u8 prefix;		/* over the 128-bit form (IPv4 /n = 96 + n) */
	__u8 proto;
	__u8 action;
	__u8 direction;
	__u16 port_lo, port_hi;	/* host order; 0-65535 = any */
	__u16 rule_index;	/* the policy's own numbering */
	__u16 pad;
};

struct enforce_workload {
	__u32 policy_id;
	__u8 exec_default;	/* enum enforce_action */
	__u8 net_default;
	__u8 isolated;		/* nothing but loopback */
	__u8 dry_run;		/* blocks are reported as audits, nothing refused */
	__u16 net_rules;	/* used entries of net[] */
	__u16 exec_rules;	/* entries in exec_paths/exec_inodes (0: skip the lookups) */
	__u8 inbound;		/* net[] has rules for direction in, or net_default is not allow */
	__u8 parent_rules;	/* exec_parents has entries for this cgroup */
	__u8 applet_rules;	/* exec_applets has entries for this cgroup */
	__u8 pad;
	struct enforce_net_rule net[ENFORCE_NET_RULES];
};

struct enforce_exec_key {
	__u64 cgroup_id;
	__u64 hash;		/* FNV-1a 64 of the path bytes */
};

struct enforce_exec_rule {
	__u8 action;
	__u8 pad;
	__u16 rule_index;
	__u32 len;
	char path[ENFORCE_PATH_MAX];	/* compared in full: no hash collisions */
};

/* A process rule limited to parents: the path given to execve (hash,
 * compared in full as in exec_paths) and the parent's executable file
 * (the inode its mm runs). */
struct enforce_parent_key {
	__u64 cgroup_id;
	__u64 hash;
	__u64 parent_ino;
	__u32 parent_dev;	/* kernel dev_t, as in enforce_inode_key */
	__u32 pad;
};

/* A path rule whose file is a link to a multi-call binary (busybox):
 * its shell runs an applet by exec'ing /proc/self/exe with argv[0] the
 * applet's name, so the kernel looks up the file it runs and the last
 * component of argv[0].  The value's path is the rule's path; its pad
 * byte is where the last component starts. */
struct enforce_applet_key {
	__u64 cgroup_id;
	__u64 hash;		/* FNV-1a 64 of the name */
	__u64 ino;
	__u32 dev;		/* kernel dev_t */
	__u32 pad;
};

struct enforce_inode_key {
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev;		/* kernel dev_t (MKDEV(major, minor) = major << 20 | minor) */
	__u32 pad;
};

struct enforce_inode_rule {
	__u8 action;
	__u8 pad;
	__u16 rule_index;
	__u32 pad2;
};

struct enforce_report {
	__u64 time_ns;		/* boot clock */
	__u64 cgroup_id;
	__u32 pid, tgid;
	__u32 policy_id;
	__u8 kind;		/* enum enforce_kind */
	__u8 action;		/* what was done: block or audit */
	__u16 rule_index;
	__u8 family;		/* network: AF_INET / AF_INET6 */
	__u8 proto;
	__u16 port;
	__u8 addr[16];		/* network: the peer */
	__u16 peer_port;	/* accept: the peer's port (port is the local one, as rules see it) */
	__u16 pad;
	__u64 ino;		/* exec: the file */
	__u32 dev;
	__u32 path_len;
	char comm[16];
	char path[ENFORCE_PATH_MAX];	/* exec: the path given to execve */
};

#endif

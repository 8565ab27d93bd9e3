/* enforcement.h - policies in force: which policy applies to which
 * workload, turned into kernel map entries (enforcer.h) and protected
 * files (file_guard.h), and what they blocked, for the pipeline.
 *
 * The agent hands over its workload registry once a second and whenever
 * container metadata arrives (enforcement_reconcile); a policy applies to
 * a cgroup as soon as the workload's metadata is known and it has a
 * process whose root the paths resolve in. */
#ifndef VIGIL_ENFORCEMENT_H
#define VIGIL_ENFORCEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct workload_registry;
struct workload;
struct profile;

struct enforcement_options {
	const char *cgroup_root;	/* v2 mount */
	const char *pin_dir;		/* bpffs directory for fail-closed pins */
	bool fail_closed;		/* kernel maps stay in force if vigil dies */
	bool dry_run;			/* every block reported as audit */
	bool files;			/* fanotify file protection */
};

/* One thing a policy stopped (or audited), ready to be written. */
struct enforcement_report {
	const char *kind;		/* "exec", "connect", "sendmsg", "accept", "open" */
	const char *action;		/* "block" or "audit" */
	const char *policy;		/* name, "" when the policy is gone */
	char rule[256];			/* "policy web rule process[0]", "isolated" */
	uint64_t cgroup_id;
	uint32_t pid, tid;
	uint64_t boot_ns;		/* when the kernel (or guard) decided */
	char comm[16];
	const char *path;		/* exec/open: the path; else "" */
	const char *access;		/* open: "read", "write", "read,write", "exec" */
	char peer[64];			/* network: "1.2.3.4:4444" or "[::1]:80" */
	uint16_t local_port;		/* accept: the workload's port the peer tried */
	const char *proto;		/* "tcp", "udp", "" */
	uint64_t decide_ns;		/* open: time the guard took */
};

typedef void (*enforcement_report_fn)(void *ctx, const struct enforcement_report *r);

struct enforcement;

struct enforcement *enforcement_open(const struct enforcement_options *o, char *err,
				     size_t errlen);
void enforcement_close(struct enforcement *e);

/* Load these policy files instead of the ones in force: all or nothing
 * (on error the old set stays, err says why).  Warnings go to stderr. */
int enforcement_load(struct enforcement *e, const char *const *files, size_t n,
		     const struct workload_registry *reg, char *err, size_t errlen);
size_t enforcement_policy_count(const struct enforcement *e);

/* Apply, change or drop policies per cgroup to match the registry. */
void enforcement_reconcile(struct enforcement *e, const struct workload_registry *reg);

/* A model in protecting mode: its profile becomes the policy of its
 * workload's cgroups (unless a written policy selects the workload).
 * prof NULL removes it. */
int enforcement_protect_with_profile(struct enforcement *e, const struct workload *wl,
				     const struct profile *prof, const char *name);

/* Network isolation of a cgroup (response action), independent of policies. */
int enforcement_isolate(struct enforcement *e, uint64_t cgroup_id, bool on);

/* Hand what was blocked since the last call to fn (agent thread). */
void enforcement_poll(struct enforcement *e, enforcement_report_fn fn, void *ctx);

struct enforcement_stats {
	size_t policies, workloads;	/* policies loaded, cgroups policed */
	uint64_t blocked, audited, lost;
};
void enforcement_stats(struct enforcement *e, struct enforcement_stats *out);

#endif

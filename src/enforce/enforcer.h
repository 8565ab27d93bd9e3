/* enforcer.h - the kernel side of policies: load and attach the
 * enforcement programs, keep their maps current, read their reports.
 *
 * Exec: killed at sched_process_exec (before the new image runs an
 * instruction) by the path given to execve or by the file's inode.
 * Network: cgroup connect4/6 and sendmsg4/6 refuse with EPERM; an isolated
 * workload also loses every non-loopback packet (cgroup_skb).
 * Files are refused by fanotify (file_guard.h), not here.
 *
 * Fail behaviour: with fail_closed the links and maps are pinned under
 * pin_dir and stay in force when vigil dies; the next start takes them
 * over.  Otherwise they go away with the process. */
#ifndef VIGIL_ENFORCER_H
#define VIGIL_ENFORCER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bpf/enforce.h"

struct enforcer_options {
	const char *cgroup_root;	/* the v2 mount ("/sys/fs/cgroup/unified") */
	const char *pin_dir;		/* "/sys/fs/bpf/vigil" */
	bool fail_closed;
};

struct enforcer;

struct enforcer *enforcer_open(const struct enforcer_options *o, char *err, size_t errlen);
/* Detaches and, unless fail_closed, removes the pins. */
void enforcer_close(struct enforcer *e);
/* Remove the pins a fail-closed vigil left: `vigil enforce clear`. */
int enforcer_clear_pins(const char *pin_dir, char *err, size_t errlen);

/* One workload's settings (defaults, isolation, network rules).  Exec
 * rules go in separately; exec_rules in w is maintained by the enforcer. */
int enforcer_set_workload(struct enforcer *e, uint64_t cgroup_id,
			  const struct enforce_workload *w);
int enforcer_get_workload(struct enforcer *e, uint64_t cgroup_id, struct enforce_workload *w);
int enforcer_add_exec_path(struct enforcer *e, uint64_t cgroup_id, const char *path,
			   uint8_t action, uint16_t rule_index);
/* A path rule limited to a parent: applies when the process calling
 * execve with this path has a parent running the file (dev, ino). */
int enforcer_add_exec_parent(struct enforcer *e, uint64_t cgroup_id, const char *path,
			     uint64_t parent_dev, uint64_t parent_ino, uint8_t action,
			     uint16_t rule_index);
/* A path rule whose file is a multi-call binary (dev, ino) reached by
 * this name: applies when that file runs with argv[0] ending in the
 * path's last component (busybox's shell runs applets that way). */
int enforcer_add_exec_applet(struct enforcer *e, uint64_t cgroup_id, const char *path,
			     uint64_t dev, uint64_t ino, uint8_t action, uint16_t rule_index);
int enforcer_add_exec_inode(struct enforcer *e, uint64_t cgroup_id, uint64_t dev,
			    uint64_t ino, uint8_t action, uint16_t rule_index);
/* Forget everything about a workload (its policy went, or it stopped). */
void enforcer_forget(struct enforcer *e, uint64_t cgroup_id);
/* Isolation on/off (creates a bare entry when the workload had none). */
int enforcer_isolate(struct enforcer *e, uint64_t cgroup_id, bool on);
/* Cgroups with an entry. */
size_t enforcer_workloads(struct enforcer *e, uint64_t *ids, size_t max);

/* The same FNV-1a 64 the kernel computes over exec paths. */
uint64_t enforce_path_hash(const char *path, size_t len);

/* Read the reports waiting (no blocking). */
typedef void (*enforce_report_fn)(void *ctx, const struct enforce_report *r);
int enforcer_poll(struct enforcer *e, enforce_report_fn fn, void *ctx);
uint64_t enforcer_reports_lost(struct enforcer *e);

#endif

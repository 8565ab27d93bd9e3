/* file_guard.h - files a workload may not open, refused with EPERM by
 * fanotify permission events.
 *
 * Only the protected inodes are marked (a file, or a directory and its
 * direct children), so opens of anything else never wait for vigil.  A
 * thread answers each permission event: which workload (the opener's
 * cgroup), which access (the flags of the open still in progress, read
 * from /proc/<tid>/syscall), which rule.  fanotify marks go away with
 * vigil: file protection cannot outlive the process (unlike the BPF
 * maps); a crash fails open for files. */
#ifndef VIGIL_FILE_GUARD_H
#define VIGIL_FILE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum guard_access { GUARD_READ = 1, GUARD_WRITE = 2, GUARD_EXEC = 4 };

struct guard_rule {
	uint64_t cgroup_id;
	uint32_t policy_id;
	uint16_t rule_index;
	uint8_t action;		/* enum enforce_action */
	uint8_t access;		/* enum guard_access mask the rule covers */
	bool dry_run;
};

/* What the guard decided, for the pipeline (called on the guard thread:
 * copy what you keep, do not block). */
struct guard_report {
	uint64_t time_ns;	/* boot clock */
	uint64_t cgroup_id;
	uint32_t pid, tid;
	uint32_t policy_id;
	uint16_t rule_index;
	uint8_t action;		/* block or audit */
	uint8_t access;		/* what the open asked for */
	uint64_t decide_ns;	/* from reading the event to answering it */
	char path[4096];	/* as the workload names it */
};

typedef void (*guard_report_fn)(void *ctx, const struct guard_report *r);

struct file_guard;

/* cgroup_root: the v2 mount, to turn /proc/<pid>/cgroup into cgroup ids. */
struct file_guard *file_guard_open(const char *cgroup_root, guard_report_fn fn, void *ctx,
				   char *err, size_t errlen);
void file_guard_close(struct file_guard *g);

/* Protect one path.  host_path is where vigil reaches it (through
 * /proc/<pid>/root for a container), shown_path what the workload calls
 * it.  A directory covers its direct children (and itself).  Returns 0,
 * or -errno (ENOENT: nothing there to protect yet). */
int file_guard_protect(struct file_guard *g, const char *host_path, const char *shown_path,
		       const struct guard_rule *rule);
/* Drop every rule of a workload (its marks stay until nothing needs them). */
void file_guard_forget(struct file_guard *g, uint64_t cgroup_id);
size_t file_guard_rules(struct file_guard *g);

struct file_guard_stats {
	uint64_t events, denied, audited, errors;
};
void file_guard_stats(struct file_guard *g, struct file_guard_stats *out);

#endif

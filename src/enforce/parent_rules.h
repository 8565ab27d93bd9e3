/* parent_rules.h - process rules limited to parents, as kernel entries.
 *
 * A rule `{paths: [P...], parent: [Q...]}` becomes one exec_parents entry
 * per (P, file that Q names): the kernel compares the path given to
 * execve with P and the inode the parent process runs with Q's.  The
 * policy walk reports paths and parents separately; this pairs them per
 * rule once the walk is done. */
#ifndef VIGIL_ENFORCE_PARENT_RULES_H
#define VIGIL_ENFORCE_PARENT_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct enforcer;

struct parent_rule_path {
	int rule;
	uint8_t action;
	char *path;
};

struct parent_rule_exe {
	int rule;
	dev_t dev;
	ino_t ino;
};

struct parent_rules {
	struct parent_rule_path *paths;
	size_t npaths, cap_paths;
	struct parent_rule_exe *exes;
	size_t nexes, cap_exes;
	int failures;			/* out of memory, or more than the bound */
};

void parent_rules_add_path(struct parent_rules *pr, int rule, const char *path, uint8_t action);
/* Q resolved inside root ("/proc/<pid>/root"), symlinks followed as the
 * container sees them; a parent that names no file adds nothing. */
void parent_rules_add_parent(struct parent_rules *pr, int rule, const char *root,
			     const char *path);
/* Every pair into the kernel map of cgroup_id; returns failed entries. */
int parent_rules_apply(struct parent_rules *pr, struct enforcer *enf, uint64_t cgroup_id);
void parent_rules_free(struct parent_rules *pr);

/* stat() of path as seen from inside root: absolute symlinks stay in the
 * root (openat2 RESOLVE_IN_ROOT).  follow = 0 gives the link itself. */
int stat_in_root(const char *root, const char *path, int follow, struct stat *st);

#endif

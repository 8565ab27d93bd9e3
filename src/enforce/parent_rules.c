/* parent_rules.c - pair a process rule's paths with its parents' files. */
#include "enforce/parent_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "enforce/enforcer.h"

#define PAIRS_MAX 4096		/* exec_parents entries for one workload */

int stat_in_root(const char *root, const char *path, int follow, struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, rc;

	if (dir < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
	rc = fd < 0 ? -errno : 0;
	close(dir);
	if (fd < 0)
		return rc;
	rc = fstat(fd, st) ? -errno : 0;
	close(fd);
	return rc;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *bigger;
	size_t want = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	bigger = realloc(*v, want * size);
	if (!bigger)
		return -1;
	*v = bigger;
	*cap = want;
	return 0;
}

void parent_rules_add_path(struct parent_rules *pr, int rule, const char *path, uint8_t action)
{
	char *copy;

	if (grow((void **)&pr->paths, &pr->cap_paths, pr->npaths, sizeof(pr->paths[0])) ||
	    !(copy = strdup(path))) {
		pr->failures++;
		return;
	}
	pr->paths[pr->npaths++] = (struct parent_rule_path){
		.rule = rule, .action = action, .path = copy,
	};
}

void parent_rules_add_parent(struct parent_rules *pr, int rule, const char *root,
			     const char *path)
{
	struct stat st;

	if (stat_in_root(root, path, 1, &st) || !S_ISREG(st.st_mode))
		return;
	if (grow((void **)&pr->exes, &pr->cap_exes, pr->nexes, sizeof(pr->exes[0]))) {
		pr->failures++;
		return;
	}
	pr->exes[pr->nexes++] = (struct parent_rule_exe){
		.rule = rule, .dev = st.st_dev, .ino = st.st_ino,
	};
}

int parent_rules_apply(struct parent_rules *pr, struct enforcer *enf, uint64_t cgroup_id)
{
	int failures = pr->failures, added = 0;

	for (size_t i = 0; i < pr->npaths; i++) {
		const struct parent_rule_path *p = &pr->paths[i];

		for (size_t k = 0; k < pr->nexes; k++) {
			if (pr->exes[k].rule != p->rule)
				continue;
			if (added++ >= PAIRS_MAX ||
			    enforcer_add_exec_parent(enf, cgroup_id, p->path, pr->exes[k].dev,
						     pr->exes[k].ino, p->action,
						     (uint16_t)p->rule) < 0)
				failures++;
		}
	}
	return failures;
}

void parent_rules_free(struct parent_rules *pr)
{
	for (size_t i = 0; i < pr->npaths; i++)
		free(pr->paths[i].path);
	free(pr->paths);
	free(pr->exes);
	memset(pr, 0, sizeof(*pr));
}

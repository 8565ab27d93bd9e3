/* task_cgroup.c - see task_cgroup.h. */
#include "workload/task_cgroup.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

uint64_t task_cgroup_id(const char *cgroup_root, const char *task)
{
	char path[PATH_MAX], line[PATH_MAX];
	uint64_t id = 0;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cgroup", task);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))	/* the v2 line */
			continue;
		line[strcspn(line, "\n")] = 0;
		if (snprintf(path, sizeof(path), "%s%s", cgroup_root, line + 3) < (int)sizeof(path) &&
		    stat(path, &st) == 0)
			id = st.st_ino;
		break;
	}
	fclose(f);
	return id;
}

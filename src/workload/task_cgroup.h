/* task_cgroup.h - the cgroup v2 id of a running task, from /proc. */
#ifndef VIGIL_TASK_CGROUP_H
#define VIGIL_TASK_CGROUP_H

#include <stdint.h>

/* The id (the inode of its directory under cgroup_root) of the v2 cgroup
 * task lives in ("self" or a pid/tid as text); 0 when unknown. */
uint64_t task_cgroup_id(const char *cgroup_root, const char *task);

#endif

/* cgroup_map.h - cgroup v2 id → path, for attribution.
 *
 * Seeded by walking the v2 hierarchy at start (cgroups older than vigil),
 * then kept current from the kernel's cgroup_mkdir/rmdir records, so a
 * lookup on the event path is one hash probe and never a file read.
 * Removed cgroups stay for a grace period: events of a container that
 * just exited still arrive after its cgroup is gone.
 */
#ifndef VIGIL_CGROUP_MAP_H
#define VIGIL_CGROUP_MAP_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_map;

struct cgroup_map *cgroup_map_new(void);
void cgroup_map_free(struct cgroup_map *map);

/* Mount point of the v2 hierarchy from a mountinfo file ("/proc/self/
 * mountinfo"); 0 and the path in out, -1 when there is none. */
int cgroup2_mount_point(const char *mountinfo, char *out, size_t outlen);

/* Record every cgroup under root (a v2 mount); returns how many, -1 when
 * root cannot be read.  Paths are stored relative to root ("/a/b"). */
long cgroup_map_scan(struct cgroup_map *map, const char *root);

/* path need not be NUL-terminated; the kernel gives "/a/b". */
int cgroup_map_add(struct cgroup_map *map, uint64_t id, const char *path, size_t len);
void cgroup_map_remove(struct cgroup_map *map, uint64_t id, uint64_t now_ns);
const char *cgroup_map_lookup(const struct cgroup_map *map, uint64_t id);
size_t cgroup_map_reap(struct cgroup_map *map, uint64_t now_ns, uint64_t grace_ns);
size_t cgroup_map_size(const struct cgroup_map *map);
/* Every live (not removed) cgroup, for recordings. */
void cgroup_map_each(const struct cgroup_map *map,
		     void (*fn)(void *ctx, uint64_t id, const char *path), void *ctx);

#endif

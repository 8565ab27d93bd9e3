/* workload.h - which workload an event belongs to: the host (with its
 * systemd unit) or a container instance, with the container's metadata.
 *
 * The registry maps cgroup ids to workloads through the cgroup map and the
 * path parser, caching the answer per cgroup id, so attribution costs one
 * hash probe per event.  Container metadata is fetched by a resolver
 * thread (container_meta_fetch may read files or ask a runtime's API),
 * never on the event path; the registry says whether it is known yet.
 */
#ifndef VIGIL_WORKLOAD_H
#define VIGIL_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json.h"
#include "workload/cgroup_path.h"
#include "workload/container_meta.h"

enum meta_state { META_NONE, META_PENDING, META_READY, META_FAILED };

struct workload {
	enum workload_kind kind;
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1];		/* container id, "" for host */
	char pod_id[CONTAINER_ID_LEN + 1];
	char unit[CGROUP_NAME_MAX + 1];		/* host: systemd unit, "" if none */
	enum meta_state meta_state;
	int meta_attempts;			/* fetch retries so far */
	struct container_meta meta;		/* valid when META_READY */
	uint64_t events;
	uint64_t first_seen_ns, last_seen_ns;	/* boot clock */
	uint64_t started_ns, stopped_ns;	/* from cgroup records, boot clock */
	uint32_t mntns;				/* mount namespace of its processes */
	bool stopped;
	bool announced;				/* container_start written */
	struct workload *next;			/* registry list */
};

struct workload_registry;

/* sources may be NULL for the defaults; cgroup_root NULL finds the v2 mount. */
struct workload_registry *workload_registry_new(const struct meta_sources *sources,
						const char *cgroup_root);
void workload_registry_free(struct workload_registry *reg);

/* The workload of an event's cgroup (never NULL: unknown cgroups are the
 * host).  When the cgroup says host but the mount namespace belongs to a
 * known container, the process has entered that container (nsenter,
 * setns): that container is returned and *entered_by_ns set. */
struct workload *workload_for_event(struct workload_registry *reg, uint64_t cgroup_id,
				    uint32_t mntns, uint32_t ns_pid, uint64_t now_ns,
				    bool *entered_by_ns);

/* The workload a cgroup id is already known to belong to (no counting,
 * no creation); NULL when not cached. */
const struct workload *workload_of_cgroup(const struct workload_registry *reg,
					  uint64_t cgroup_id);

/* Kernel cgroup records.  mkdir returns the container it starts (its own
 * cgroup appeared), rmdir the one it stops; NULL otherwise. */
struct workload *workload_on_cgroup_mkdir(struct workload_registry *reg, uint64_t id,
					  const char *path, size_t len, uint64_t now_ns);
struct workload *workload_on_cgroup_rmdir(struct workload_registry *reg, uint64_t id,
					  uint64_t now_ns);

/* Collect metadata the resolver finished; returns how many workloads
 * changed state (READY or FAILED) since the last call. */
int workload_registry_poll(struct workload_registry *reg);

/* Forget stopped containers and removed cgroups older than grace_ns. */
void workload_registry_reap(struct workload_registry *reg, uint64_t now_ns, uint64_t grace_ns);

/* The v2 path of a known cgroup id ("/libpod_parent/libpod-…"), NULL if unknown. */
const char *workload_registry_cgroup_path(const struct workload_registry *reg, uint64_t id);

/* Iterate (for `vigil workloads` state). */
struct workload *workload_registry_first(struct workload_registry *reg);
size_t workload_registry_count(const struct workload_registry *reg);
size_t workload_registry_cgroups(const struct workload_registry *reg);

/* Replay: a registry that neither scans this machine's cgroups nor fetches
 * metadata; the recording supplies cgroup paths and container metadata. */
struct workload_registry *workload_registry_new_offline(void);
int workload_registry_add_cgroup(struct workload_registry *reg, uint64_t id,
				 const char *path, size_t len);
/* The container's metadata, known from elsewhere; takes ownership of
 * *meta on success (0); -1 when no such container workload exists. */
int workload_registry_set_meta(struct workload_registry *reg, const char *container_id,
			       struct container_meta *meta);
void workload_registry_set_host_mntns(struct workload_registry *reg, uint32_t mntns);
uint32_t workload_registry_host_mntns(const struct workload_registry *reg);
/* Every live cgroup the registry knows (for recordings). */
void workload_registry_each_cgroup(const struct workload_registry *reg,
				   void (*fn)(void *ctx, uint64_t id, const char *path),
				   void *ctx);

/* Write every workload with its counts as one JSON document to path,
 * atomically (temp file + rename): `vigil workloads` reads it. */
int workload_registry_save(struct workload_registry *reg, const char *path,
			   int64_t real_offset_ns);

/* The "workload" object of the event JSON (keys that apply). */
void workload_json_write(struct json_writer *w, const struct workload *wl, bool entered);

#endif

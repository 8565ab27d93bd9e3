/* cgroup_path.h - which workload a cgroup v2 path belongs to.
 *
 * Every event carries the v2 cgroup id of its task; user space maps the id
 * to a path relative to the v2 mount ("/system.slice/ssh.service", never
 * "/sys/fs/cgroup/...", never a "0::" line of /proc/PID/cgroup) and hands
 * it to cgroup_path_parse(), which recognises the layouts real runtimes
 * create.  Pure string work: no I/O, no allocation, never reads past len.
 *
 * Layouts recognised (<id> is 12..64 lowercase hex, <uid> a pod UID):
 *   Docker       /docker/<id>                        (cgroupfs driver)
 *                /system.slice/docker-<id>.scope     (systemd driver)
 *   Kubernetes   /kubepods[/burstable|/besteffort]/pod<uid>/<id>
 *                /kubepods.slice/kubepods-<qos>.slice/
 *                    kubepods-<qos>-pod<uid with '_'>.slice/<scope>
 *                with <scope> cri-containerd-<id>.scope, crio-<id>.scope or
 *                docker-<id>.scope; a kubelet cgroup root prefix is fine
 *                ("kubelet.slice/kubelet-kubepods.slice/...", "/kubelet/kubepods")
 *   CRI-O        crio-<id>[.scope], its monitor crio-conmon-<id>[.scope]
 *   containerd   cri-containerd-<id>.scope, nerdctl-<id>.scope
 *   Podman       /libpod_parent/libpod-<id>, /libpod_parent/<podid>/libpod-<id>,
 *                /libpod_parent[/<podid>]/conmon                 (cgroupfs)
 *                /machine.slice/libpod-<id>.scope,
 *                /machine.slice/machine-libpod_pod_<podid>.slice/libpod-<id>.scope,
 *                libpod-conmon-<id>.scope, rootless under user@UID.service
 *   runc         /<id> (a top-level hex id), runc-<id>.scope
 *   host         anything else that is a well-formed path; the unit is the
 *                innermost .service/.scope/.socket/.mount/.swap component
 *
 * Decisions where a path is ambiguous:
 *  - A bare id under a Kubernetes pod (cgroupfs driver) is reported as
 *    containerd: the path does not name the runtime, and since dockershim
 *    left Kubernetes (1.24) containerd is the runtime that lays it out so
 *    (CRI-O names its cgroups crio-<id> even with cgroupfs).
 *  - runc's "/<name>" only counts when <name> looks like a container id
 *    (12..64 lowercase hex): any other top-level directory is more likely a
 *    host cgroup made by some tool, so it is host.
 *  - Nesting: the innermost container wins (docker-in-docker, a kind node's
 *    pods), and a container's own sub-cgroups (".../<id>/init",
 *    ".../libpod-<id>.scope/container") stay that container.
 *  - Monitor processes (conmon) are host processes that serve a container:
 *    kind HOST with conmon set and container_id naming the container they
 *    serve (empty for podman's shared cgroupfs "conmon" cgroup).
 *  - A path inside a runtime's tree that holds no container (the "/docker"
 *    parent, a pod cgroup, a malformed id) is UNKNOWN, not host.
 *  - Unit names are unescaped ("\x2d" becomes '-'), as the issue asks, so
 *    they read as a person would write them; this is lossy for names that
 *    escape a '-' on purpose.
 */
#ifndef VIGIL_WORKLOAD_CGROUP_PATH_H
#define VIGIL_WORKLOAD_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path (bytes) and path component the parser accepts; longer ones
 * are not something the kernel hands out, so they read as garbage. */
#define CGROUP_PATH_MAX 4096
#define CGROUP_NAME_MAX 255

#define CONTAINER_ID_MIN_LEN 12
#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36

enum workload_kind { WORKLOAD_UNKNOWN, WORKLOAD_HOST, WORKLOAD_CONTAINER };

enum container_runtime {
	RUNTIME_NONE,
	RUNTIME_DOCKER,
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
	RUNTIME_PODMAN,
	RUNTIME_RUNC,
	RUNTIME_UNKNOWN,
};

struct cgroup_workload {
	enum workload_kind kind;
	enum container_runtime runtime;
	char container_id[CONTAINER_ID_LEN + 1];	/* lowercase hex; "" if none */
	bool id_truncated;		/* the path held a shorter id (e.g. 12) */
	char pod_uid[POD_UID_LEN + 1];	/* Kubernetes pod, dashes restored; "" */
	char qos[16];			/* "guaranteed", "burstable", "besteffort" */
	char pod_id[CONTAINER_ID_LEN + 1];	/* podman pod id; "" */
	char unit[CGROUP_NAME_MAX + 1];	/* systemd unit (unescaped); "" */
	bool conmon;			/* a container monitor, not the container */
};

/* Fill out from path[0..len).  Returns 0, with out->kind UNKNOWN when the
 * path is garbage (no leading '/', NUL bytes, "." or ".." or empty
 * components, over the limits above) or sits in a runtime's tree without
 * a container; -1 only when out is NULL or path is NULL with len > 0. */
int cgroup_path_parse(const char *path, size_t len, struct cgroup_workload *out);

/* "host", "container", "unknown" */
const char *workload_kind_name(enum workload_kind kind);
/* "docker", "containerd", "cri-o", "podman", "runc", "unknown"; "" for none */
const char *container_runtime_name(enum container_runtime runtime);

#endif

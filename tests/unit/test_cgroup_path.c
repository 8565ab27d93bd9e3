/* test_cgroup_path.c - cgroup path → workload, layout by layout.
 *
 * The podman paths are the ones podman 4 made on our hybrid-cgroup VM; the
 * others follow the runtimes' documented layouts (cgroupfs and systemd
 * drivers of Docker, containerd, CRI-O and the kubelet).
 */
#include "test.h"

#include "workload/cgroup_path.h"

#include <stdlib.h>
#include <string.h>

/* Ids used across the table. */
#define ID64 "3f4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829"
#define ID12 "3f4b5c6d7e8f"
#define PODMAN_POD "68f6609eae4edfd7fc7f2f8a4ff0e3614834eef1af774a643ddfccd5788ddbae"
#define PODMAN_CTR "e62f7d1d5adec447bcacda0d6844fb4b2c953ca39891a6b65032ee7ff6101ab1"
#define UID "4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
#define UID_ "4a1b2c3d_5e6f_4a7b_8c9d_0e1f2a3b4c5d"
#define STATIC_UID "6a5f1e1d7b6c0a3f9e8d7c6b5a493827"

/* Entries start ".path = " so the rest may be positional without a
 * missing-initializer warning. */
struct layout_case {
	const char *path;
	enum workload_kind kind;
	enum container_runtime runtime;
	const char *id;		/* NULL: "" */
	bool truncated;
	const char *pod_uid;
	const char *qos;
	const char *pod_id;
	const char *unit;
	bool conmon;
};

#define HOST WORKLOAD_HOST
#define CTR WORKLOAD_CONTAINER
#define UNKNOWN WORKLOAD_UNKNOWN

static const struct layout_case layouts[] = {
	/* ---- host ---- */
	{ .path = "/", HOST, RUNTIME_NONE },
	{ .path = "/init.scope", HOST, RUNTIME_NONE, .unit = "init.scope" },
	{ .path = "/system.slice/ssh.service", HOST, RUNTIME_NONE,
	  .unit = "ssh.service" },
	{ .path = "/system.slice/ssh.service/", HOST, RUNTIME_NONE,
	  .unit = "ssh.service" },
	{ .path = "/system.slice", HOST, RUNTIME_NONE },
	{ .path = "/user.slice/user-1000.slice/session-2.scope", HOST, RUNTIME_NONE,
	  .unit = "session-2.scope" },
	{ .path = "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-org.gnome.Terminal.slice/vte-spawn-0f1e.scope", HOST, RUNTIME_NONE,
	  .unit = "vte-spawn-0f1e.scope" },
	{ .path = "/system.slice/system-getty.slice/getty@tty1.service", HOST,
	  RUNTIME_NONE, .unit = "getty@tty1.service" },
	{ .path = "/system.slice/system-systemd\\x2dfsck.slice/"
	  "systemd-fsck@dev-disk-by\\x2duuid-0a1b.service", HOST, RUNTIME_NONE,
	  .unit = "systemd-fsck@dev-disk-by-uuid-0a1b.service" },
	{ .path = "/system.slice/dev-sda2.swap", HOST, RUNTIME_NONE,
	  .unit = "dev-sda2.swap" },
	/* bad escapes stay as written; \x00 must not end the string */
	{ .path = "/system.slice/a\\x2\\xzz\\x00b.service", HOST, RUNTIME_NONE,
	  .unit = "a\\x2\\xzz\\x00b.service" },
	/* the daemons themselves are host services */
	{ .path = "/system.slice/docker.service", HOST, RUNTIME_NONE,
	  .unit = "docker.service" },
	{ .path = "/system.slice/containerd.service/sub", HOST, RUNTIME_NONE,
	  .unit = "containerd.service" },
	/* a tool's own cgroup with a hex-looking name below the top level */
	{ .path = "/process_api/2d337a0da741d96de1a2ebe9cb94d6db", HOST,
	  RUNTIME_NONE },
	/* runc's "/<name>" with a name that is not an id: host (see header) */
	{ .path = "/mycontainer", HOST, RUNTIME_NONE },
	{ .path = "/DEADBEEFCAFE00", HOST, RUNTIME_NONE },
	{ .path = "/machine.slice", HOST, RUNTIME_NONE },

	/* ---- Docker ---- */
	{ .path = "/docker/" ID64, CTR, RUNTIME_DOCKER, ID64 },
	{ .path = "/docker/" ID12, CTR, RUNTIME_DOCKER, ID12,
	  .truncated = true },
	{ .path = "/system.slice/docker-" ID64 ".scope", CTR, RUNTIME_DOCKER, ID64,
	  .unit = "docker-" ID64 ".scope" },
	{ .path = "/docker/" ID64 "/init", CTR, RUNTIME_DOCKER, ID64 },
	/* docker in docker: the innermost container */
	{ .path = "/docker/" ID64 "/docker/" PODMAN_CTR, CTR, RUNTIME_DOCKER,
	  .id = PODMAN_CTR },
	{ .path = "/docker/" ID64 "/" PODMAN_CTR, CTR, RUNTIME_DOCKER, ID64 },

	/* ---- Kubernetes, cgroupfs driver ---- */
	{ .path = "/kubepods/burstable/pod" UID "/" ID64, CTR, RUNTIME_CONTAINERD, ID64,
	  .pod_uid = UID, .qos = "burstable" },
	{ .path = "/kubepods/besteffort/pod" UID "/" ID64, CTR, RUNTIME_CONTAINERD, ID64,
	  .pod_uid = UID, .qos = "besteffort" },
	{ .path = "/kubepods/pod" UID "/" ID64, CTR, RUNTIME_CONTAINERD, ID64,
	  .pod_uid = UID, .qos = "guaranteed" },
	{ .path = "/kubepods/burstable/pod" STATIC_UID "/" ID64, CTR, RUNTIME_CONTAINERD,
	  .id = ID64, .pod_uid = STATIC_UID, .qos = "burstable" },
	{ .path = "/kubepods/burstable/pod" UID "/crio-" ID64, CTR, RUNTIME_CRIO, ID64,
	  .pod_uid = UID, .qos = "burstable" },
	{ .path = "/kubepods/burstable/pod" UID "/crio-conmon-" ID64, HOST, RUNTIME_CRIO,
	  .id = ID64, .pod_uid = UID, .qos = "burstable", .conmon = true },
	{ .path = "/kubepods/burstable/pod" UID "/" ID64 "/init", CTR, RUNTIME_CONTAINERD,
	  .id = ID64, .pod_uid = UID, .qos = "burstable" },
	{ .path = "/kubepods/pod" UID "/" ID12, CTR, RUNTIME_CONTAINERD, ID12,
	  .truncated = true, .pod_uid = UID, .qos = "guaranteed" },
	/* kubelet with --cgroup-root=/kubelet (kind) */
	{ .path = "/kubelet/kubepods/besteffort/pod" UID "/" ID64, CTR, RUNTIME_CONTAINERD,
	  .id = ID64, .pod_uid = UID, .qos = "besteffort" },
	/* a kind node is itself a docker container: the pod's container wins */
	{ .path = "/docker/" PODMAN_CTR "/kubepods/burstable/pod" UID "/" ID64,
	  CTR, RUNTIME_CONTAINERD, ID64, .pod_uid = UID, .qos = "burstable" },

	/* ---- Kubernetes, systemd driver ---- */
	{ .path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID64 ".scope", CTR, RUNTIME_CONTAINERD, ID64,
	  .pod_uid = UID, .qos = "burstable",
	  .unit = "cri-containerd-" ID64 ".scope" },
	{ .path = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	  ".slice/crio-" ID64 ".scope", CTR, RUNTIME_CRIO, ID64, .pod_uid = UID,
	  .qos = "besteffort", .unit = "crio-" ID64 ".scope" },
	{ .path = "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID64
	  ".scope", CTR, RUNTIME_DOCKER, ID64, .pod_uid = UID,
	  .qos = "guaranteed", .unit = "docker-" ID64 ".scope" },
	{ .path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/crio-" ID64 ".scope/container", CTR, RUNTIME_CRIO, ID64,
	  .pod_uid = UID, .qos = "burstable", .unit = "crio-" ID64 ".scope" },
	{ .path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/crio-conmon-" ID64 ".scope", HOST, RUNTIME_CRIO, ID64,
	  .pod_uid = UID, .qos = "burstable", .conmon = true,
	  .unit = "crio-conmon-" ID64 ".scope" },
	{ .path = "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID64
	  ".scope", CTR, RUNTIME_CONTAINERD, ID64, .pod_uid = UID,
	  .qos = "besteffort", .unit = "cri-containerd-" ID64 ".scope" },
	/* a pod with no container named: neither host nor a container */
	{ .path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice", UNKNOWN, RUNTIME_NONE, .pod_uid = UID, .qos = "burstable" },
	{ .path = "/kubepods/burstable/pod" UID, UNKNOWN, RUNTIME_NONE, .pod_uid = UID,
	  .qos = "burstable" },
	{ .path = "/kubepods/burstable/podnot-a-uid/" ID64, UNKNOWN, RUNTIME_NONE,
	  .qos = "burstable" },
	{ .path = "/kubepods.slice", UNKNOWN, RUNTIME_NONE },
	{ .path = "/kubepods.slice/kubepods-burstablex.slice", UNKNOWN,
	  RUNTIME_NONE },
	{ .path = "/kubepods/burstablex/pod" UID "/" ID64, UNKNOWN, RUNTIME_NONE },

	/* ---- containerd outside Kubernetes, runc ---- */
	{ .path = "/system.slice/nerdctl-" ID64 ".scope", CTR, RUNTIME_CONTAINERD, ID64,
	  .unit = "nerdctl-" ID64 ".scope" },
	{ .path = "/" ID64, CTR, RUNTIME_RUNC, ID64 },
	{ .path = "/" ID12 "/sub", CTR, RUNTIME_RUNC, ID12, .truncated = true },
	{ .path = "/system.slice/runc-" ID64 ".scope", CTR, RUNTIME_RUNC, ID64,
	  .unit = "runc-" ID64 ".scope" },

	/* ---- Podman ---- */
	{ .path = "/libpod_parent/libpod-" PODMAN_CTR, CTR, RUNTIME_PODMAN,
	  .id = PODMAN_CTR },
	{ .path = "/libpod_parent/" PODMAN_POD "/libpod-" PODMAN_CTR, CTR, RUNTIME_PODMAN,
	  .id = PODMAN_CTR, .pod_id = PODMAN_POD },
	{ .path = "/libpod_parent/conmon", HOST, RUNTIME_PODMAN, .conmon = true },
	{ .path = "/libpod_parent/" PODMAN_POD "/conmon", HOST, RUNTIME_PODMAN,
	  .pod_id = PODMAN_POD, .conmon = true },
	{ .path = "/machine.slice/libpod-" PODMAN_CTR ".scope", CTR, RUNTIME_PODMAN,
	  .id = PODMAN_CTR, .unit = "libpod-" PODMAN_CTR ".scope" },
	{ .path = "/machine.slice/libpod-" PODMAN_CTR ".scope/container", CTR,
	  RUNTIME_PODMAN, PODMAN_CTR, .unit = "libpod-" PODMAN_CTR ".scope" },
	{ .path = "/machine.slice/libpod-conmon-" PODMAN_CTR ".scope", HOST,
	  RUNTIME_PODMAN, PODMAN_CTR, .conmon = true,
	  .unit = "libpod-conmon-" PODMAN_CTR ".scope" },
	{ .path = "/machine.slice/machine-libpod_pod_" PODMAN_POD ".slice/libpod-"
	  PODMAN_CTR ".scope", CTR, RUNTIME_PODMAN, PODMAN_CTR,
	  .pod_id = PODMAN_POD, .unit = "libpod-" PODMAN_CTR ".scope" },
	{ .path = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-"
	  PODMAN_CTR ".scope", CTR, RUNTIME_PODMAN, PODMAN_CTR,
	  .unit = "libpod-" PODMAN_CTR ".scope" },
	{ .path = "/user.slice/user-1000.slice/user@1000.service/user.slice/"
	  "user-libpod_pod_" PODMAN_POD ".slice/libpod-" PODMAN_CTR ".scope",
	  CTR, RUNTIME_PODMAN, PODMAN_CTR, .pod_id = PODMAN_POD,
	  .unit = "libpod-" PODMAN_CTR ".scope" },
	{ .path = "/libpod_parent/" PODMAN_POD, UNKNOWN, RUNTIME_NONE,
	  .pod_id = PODMAN_POD },
	{ .path = "/libpod_parent/libpod-" ID12, CTR, RUNTIME_PODMAN, ID12,
	  .truncated = true },

	/* ---- garbage inside a runtime's tree ---- */
	{ .path = "/docker", UNKNOWN, RUNTIME_NONE },
	{ .path = "/docker/not-an-id", UNKNOWN, RUNTIME_NONE },
	{ .path = "/docker/" ID64 "0", UNKNOWN, RUNTIME_NONE },		/* 65 hex */
	{ .path = "/docker/3f4b5c6d7e8", UNKNOWN, RUNTIME_NONE },	/* 11 hex */
	{ .path = "/docker/3F4B5C6D7E8F", UNKNOWN, RUNTIME_NONE },	/* uppercase */
	{ .path = "/system.slice/docker-" ID64 "x.scope", HOST, RUNTIME_NONE,
	  .unit = "docker-" ID64 "x.scope" },
	{ .path = "/libpod_parent/libpod-zz", UNKNOWN, RUNTIME_NONE },
};

static void check_layout(const struct layout_case *c)
{
	struct cgroup_workload w;
	size_t len = strlen(c->path);
	/* an exact-size, unterminated copy: ASan catches reads past len */
	char *buf = malloc(len);

	CHECK(buf != NULL);
	if (!buf)
		return;
	memcpy(buf, c->path, len);
	CHECK_INT(cgroup_path_parse(buf, len, &w), 0);
	free(buf);
	CHECK_STR(workload_kind_name(w.kind), workload_kind_name(c->kind));
	CHECK_STR(container_runtime_name(w.runtime), container_runtime_name(c->runtime));
	CHECK_STR(w.container_id, c->id ? c->id : "");
	CHECK_INT(w.id_truncated, c->truncated);
	CHECK_STR(w.pod_uid, c->pod_uid ? c->pod_uid : "");
	CHECK_STR(w.qos, c->qos ? c->qos : "");
	CHECK_STR(w.pod_id, c->pod_id ? c->pod_id : "");
	CHECK_STR(w.unit, c->unit ? c->unit : "");
	CHECK_INT(w.conmon, c->conmon);
}

/* Say which path a failed check belongs to. */
static void check_layout_named(const struct layout_case *c)
{
	int failed_before = test_failed_now;

	test_failed_now = 0;
	check_layout(c);
	if (test_failed_now)
		fprintf(stderr, "  ^ for path \"%s\"\n", c->path);
	test_failed_now |= failed_before;
}

TEST(layouts)
{
	CHECK(sizeof(layouts) / sizeof(layouts[0]) >= 30);
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		check_layout_named(&layouts[i]);
}

static enum workload_kind kind_of(const char *path, size_t len)
{
	struct cgroup_workload w;

	memset(&w, 0xa5, sizeof(w));	/* prove every field is reset */
	if (cgroup_path_parse(path, len, &w) != 0)
		return (enum workload_kind)-1;
	CHECK_STR(w.container_id, "");
	CHECK_INT(w.runtime, RUNTIME_NONE);
	CHECK_STR(w.unit, "");
	return w.kind;
}

TEST(malformed_paths_are_unknown)
{
	static const char *const bad[] = {
		"",
		"docker/" ID64,				/* no leading slash */
		"0::/system.slice/ssh.service",		/* a /proc line, not a path */
		"//docker/" ID64,
		"/docker//" ID64,
		"/docker/../" ID64,
		"/./system.slice",
		"/system.slice/..",
		"/..",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(kind_of(bad[i], strlen(bad[i])), WORKLOAD_UNKNOWN);
	}
}

TEST(embedded_nul_is_unknown)
{
	static const char path[] = "/docker/" ID12 "\0/x";
	struct cgroup_workload w;

	CHECK_INT(kind_of(path, sizeof(path) - 1), WORKLOAD_UNKNOWN);
	/* the same bytes cut before the NUL are a fine docker path */
	CHECK_INT(cgroup_path_parse(path, strlen(path), &w), 0);
	CHECK_INT(w.kind, WORKLOAD_CONTAINER);
	CHECK_STR(w.container_id, ID12);
}

TEST(length_limits)
{
	static char path[CGROUP_PATH_MAX + 2];
	struct cgroup_workload w;

	/* 4096 bytes of "/aaaa...": components of 255 are fine */
	for (size_t i = 0; i < sizeof(path); i++)
		path[i] = i % (CGROUP_NAME_MAX + 1) == 0 ? '/' : 'a';
	CHECK_INT(kind_of(path, CGROUP_PATH_MAX), WORKLOAD_HOST);
	CHECK_INT(kind_of(path, CGROUP_PATH_MAX + 1), WORKLOAD_UNKNOWN);
	/* one component of 256 */
	memset(path + 1, 'b', CGROUP_NAME_MAX + 1);
	CHECK_INT(kind_of(path, CGROUP_NAME_MAX + 2), WORKLOAD_UNKNOWN);
	CHECK_INT(kind_of(path, CGROUP_NAME_MAX + 1), WORKLOAD_HOST);
	/* the longest unit fills unit[] exactly */
	memset(path + 1, 'u', CGROUP_NAME_MAX);
	memcpy(path + 1 + CGROUP_NAME_MAX - strlen(".service"), ".service",
	       strlen(".service"));
	CHECK_INT(cgroup_path_parse(path, CGROUP_NAME_MAX + 1, &w), 0);
	CHECK_INT(w.kind, WORKLOAD_HOST);
	CHECK_INT(strlen(w.unit), CGROUP_NAME_MAX);
}

TEST(len_bounds_the_read)
{
	static const char path[] = "/docker/" ID64;
	struct cgroup_workload w;

	/* the caller's length cuts the id: a truncated id, nothing past it */
	CHECK_INT(cgroup_path_parse(path, strlen("/docker/") + 12, &w), 0);
	CHECK_INT(w.kind, WORKLOAD_CONTAINER);
	CHECK_STR(w.container_id, ID12);
	CHECK(w.id_truncated);
	CHECK_INT(cgroup_path_parse(path, strlen("/docker/") + 11, &w), 0);
	CHECK_INT(w.kind, WORKLOAD_UNKNOWN);
}

TEST(bad_arguments)
{
	struct cgroup_workload w;

	CHECK_INT(cgroup_path_parse("/", 1, NULL), -1);
	CHECK_INT(cgroup_path_parse(NULL, 5, &w), -1);
	CHECK_INT(cgroup_path_parse(NULL, 0, &w), 0);
	CHECK_INT(w.kind, WORKLOAD_UNKNOWN);
}

TEST(names)
{
	CHECK_STR(workload_kind_name(WORKLOAD_HOST), "host");
	CHECK_STR(workload_kind_name(WORKLOAD_CONTAINER), "container");
	CHECK_STR(workload_kind_name(WORKLOAD_UNKNOWN), "unknown");
	CHECK_STR(workload_kind_name((enum workload_kind)42), "unknown");
	CHECK_STR(container_runtime_name(RUNTIME_DOCKER), "docker");
	CHECK_STR(container_runtime_name(RUNTIME_CONTAINERD), "containerd");
	CHECK_STR(container_runtime_name(RUNTIME_CRIO), "cri-o");
	CHECK_STR(container_runtime_name(RUNTIME_PODMAN), "podman");
	CHECK_STR(container_runtime_name(RUNTIME_RUNC), "runc");
	CHECK_STR(container_runtime_name(RUNTIME_NONE), "");
	CHECK_STR(container_runtime_name((enum container_runtime)42), "");
}

/* Random bytes over a few interesting alphabets: no crash, every string
 * terminated, kinds and runtimes in range. */
TEST(random_paths)
{
	static const char alphabet[] = "/ab0f9-_.\\xkubepodsdockerlibpod:scope";
	char buf[300];
	struct cgroup_workload w;
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t len = (seed = seed * 1103515245u + 12345u) % sizeof(buf);

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		if (len)
			buf[0] = '/';
		CHECK_INT(cgroup_path_parse(buf, len, &w), 0);
		CHECK(w.kind <= WORKLOAD_CONTAINER);
		CHECK(w.runtime <= RUNTIME_UNKNOWN);
		CHECK(strnlen(w.unit, sizeof(w.unit)) < sizeof(w.unit));
		CHECK(strnlen(w.container_id, sizeof(w.container_id)) < sizeof(w.container_id));
	}
}

int main(void)
{
	RUN(layouts);
	RUN(malformed_paths_are_unknown);
	RUN(embedded_nul_is_unknown);
	RUN(length_limits);
	RUN(len_bounds_the_read);
	RUN(bad_arguments);
	RUN(names);
	RUN(random_paths);
	return TEST_SUMMARY();
}

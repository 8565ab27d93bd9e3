/* test_container_meta.c - container metadata: parsers on fixtures taken from
 * podman 4.3.1 + runc, hostile input, the unix-socket client against a
 * fake server, and (as root, with podman) real containers and a real pod. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "workload/container_meta.h"

#define FIXTURES "tests/unit/fixtures/"
#define PROBE_ID "05d495f816b1a532469f9af85323a063626a2c9b9ed27057fad392dca23b85cf"
#define KUBE_ID "4e727fa3f7693c5b3489f41e1e69d5cb8457c2ec045afa28254b07aa6d950541"

static char *read_fixture(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "  cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	data = malloc((size_t)n + 1);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data) {
		data[n] = '\0';
		*len = (size_t)n;
	}
	return data;
}

typedef int (*parser_fn)(const char *, size_t, struct container_meta *);

/* Parse a fixture into a fresh struct; returns the parser's result. */
static int parse_fixture(const char *name, parser_fn parse, struct container_meta *m)
{
	size_t len = 0;
	char *data = read_fixture(name, &len);
	int rc;

	container_meta_init(m);
	if (!data)
		return -2;
	rc = parse(data, len, m);
	free(data);
	return rc;
}

static const char *pod_label(const struct container_meta *m, const char *key)
{
	for (size_t i = 0; i < m->npod_labels; i++)
		if (strcmp(m->pod_labels[i].key, key) == 0)
			return m->pod_labels[i].value;
	return NULL;
}

/* ---- OCI bundle ------------------------------------------------------- */

TEST(oci_config_podman)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("oci_config_podman.json", meta_from_oci_config, &m), 0);
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.source, "oci-bundle");
	CHECK(!m.privileged);
	/* podman writes neither the name nor the image into the bundle */
	CHECK_STR(m.name, "");
	CHECK_STR(m.image, "");
	CHECK_STR(m.pod_name, "");
	CHECK_INT(m.nlabels, 0);
	container_meta_free(&m);
}

TEST(oci_config_podman_kube_has_no_pod_identity)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("oci_config_podman_kube.json", meta_from_oci_config, &m), 0);
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.pod_name, "");
	CHECK_STR(m.pod_namespace, "");
	container_meta_free(&m);
}

TEST(oci_config_all_caps_is_privileged)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("oci_config_allcaps.json", meta_from_oci_config, &m), 0);
	CHECK(m.privileged);
	container_meta_free(&m);
}

TEST(oci_config_podman_privileged_annotation)
{
	const char *json = "{\"annotations\":{\"io.container.manager\":\"libpod\","
			   "\"io.podman.annotations.privileged\":\"TRUE\"}}";
	struct container_meta m;

	container_meta_init(&m);
	CHECK_INT(meta_from_oci_config(json, strlen(json), &m), 0);
	CHECK(m.privileged);
	container_meta_free(&m);
}

TEST(oci_config_crio_kubernetes)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("oci_config_crio.json", meta_from_oci_config, &m), 0);
	CHECK_STR(m.runtime, "cri-o");
	CHECK_STR(m.pod_name, "web-7d4b9c");
	CHECK_STR(m.pod_namespace, "shop");
	CHECK_STR(m.pod_uid, "3f1c2a9e-5b7d-4e21-9c0a-8d6e5f4a3b21");
	CHECK_STR(m.k8s_container_name, "nginx");
	CHECK_STR(m.image, "docker.io/library/nginx:1.25");
	CHECK_STR(container_meta_label(&m, "io.kubernetes.pod.namespace"), "shop");
	CHECK(!m.privileged);
	container_meta_free(&m);
}

TEST(oci_config_containerd_kubernetes)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("oci_config_containerd.json", meta_from_oci_config, &m), 0);
	CHECK_STR(m.runtime, "containerd");
	CHECK_STR(m.pod_name, "api-0");
	CHECK_STR(m.pod_namespace, "prod");
	CHECK_STR(m.pod_uid, "a6b0a3f2-1111-2222-3333-444455556666");
	CHECK_STR(m.k8s_container_name, "api");
	CHECK_STR(m.image, "registry.example/api:2.1");
	container_meta_free(&m);
}

TEST(oci_config_rejects_non_objects)
{
	const char *bad[] = {"", "[]", "null", "\"x\"", "{", "{\"annotations\":", "42"};
	struct container_meta m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		container_meta_init(&m);
		CHECK_INT(meta_from_oci_config(bad[i], strlen(bad[i]), &m), -1);
		container_meta_free(&m);
	}
	container_meta_init(&m);
	CHECK_INT(meta_from_oci_config(NULL, 0, &m), -1);
	container_meta_free(&m);
}

TEST(oci_config_wrong_types_are_ignored)
{
	const char *json = "{\"annotations\":{\"io.kubernetes.pod.name\":7,"
			   "\"io.kubernetes.cri-o.Labels\":\"{not json\","
			   "\"io.podman.annotations.privileged\":true},"
			   "\"process\":{\"capabilities\":{\"effective\":\"CAP_SYS_ADMIN\"}}}";
	struct container_meta m;

	container_meta_init(&m);
	CHECK_INT(meta_from_oci_config(json, strlen(json), &m), 0);
	CHECK_STR(m.pod_name, "");
	CHECK_INT(m.nlabels, 0);
	CHECK(!m.privileged);
	container_meta_free(&m);
}

/* ---- runtime state ---------------------------------------------------- */

TEST(runc_state_bundle_and_start)
{
	const char *json = "{\"id\":\"" PROBE_ID "\",\"created\":\"2026-11-28T02:58:06.516305947Z\","
			   "\"config\":{\"labels\":[\"io.container.manager=libpod\","
			   "\"bundle=/var/lib/containers/storage/overlay-containers/x/userdata\"]}}";
	struct container_meta m;
	char bundle[256];

	container_meta_init(&m);
	CHECK_INT(meta_from_runc_state(json, strlen(json), &m, bundle, sizeof(bundle)), 0);
	CHECK_STR(bundle, "/var/lib/containers/storage/overlay-containers/x/userdata");
	CHECK_STR(m.oci_runtime, "runc");
	CHECK(m.source == NULL); /* the bundle, not the state, is the source */
	CHECK(m.started_unix_ns == 1795834686516305947ull);
	container_meta_free(&m);
}

TEST(runc_state_relative_bundle_refused)
{
	const char *json = "{\"config\":{\"labels\":[\"bundle=../../etc\"]}}";
	struct container_meta m;
	char bundle[64];

	container_meta_init(&m);
	CHECK_INT(meta_from_runc_state(json, strlen(json), &m, bundle, sizeof(bundle)), 0);
	CHECK_STR(bundle, "");
	container_meta_free(&m);
}

TEST(storage_name_image_digest)
{
	size_t clen = 0, ilen = 0;
	char *containers = read_fixture("podman_containers.json", &clen);
	char *images = read_fixture("podman_images.json", &ilen);
	struct container_meta m;

	container_meta_init(&m);
	strcpy(m.id, KUBE_ID);
	CHECK_INT(meta_from_storage(containers, clen, images, ilen, &m), 0);
	CHECK_STR(m.name, "vigil-test-kube-worker");
	CHECK_STR(m.image, "localhost/vigil-busybox:latest");
	CHECK_STR(m.image_digest,
		  "sha256:27dd5576603053a19bcc9f6f30d138ca33c9451c40d2700cbcffdef71c3b625c");
	CHECK_STR(m.source, "runtime-state");
	container_meta_free(&m);

	container_meta_init(&m);
	strcpy(m.id, "0000000000000000000000000000000000000000000000000000000000000000");
	CHECK_INT(meta_from_storage(containers, clen, images, ilen, &m), -1);
	container_meta_free(&m);
	free(containers);
	free(images);
}

/* ---- API responses ---------------------------------------------------- */

TEST(api_chunked_podman_compat)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("api_container_chunked.http", meta_from_api_response, &m), 0);
	CHECK_STR(m.id, PROBE_ID);
	CHECK_STR(m.name, "vigil-test-probe");
	CHECK_STR(m.image, "localhost/vigil-busybox:latest");
	CHECK_STR(container_meta_label(&m, "team"), "blue");
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.oci_runtime, ""); /* the compat API says "oci" */
	CHECK_STR(m.source, "api");
	CHECK(!m.privileged);
	CHECK(m.started_unix_ns == 1795834686548036338ull);
	container_meta_free(&m);
}

TEST(api_content_length_docker)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("api_container_length.http", meta_from_api_response, &m), 0);
	CHECK_STR(m.name, "vigil-test-probe");
	CHECK_STR(m.runtime, "docker");
	container_meta_free(&m);
}

TEST(api_libpod_container_and_pod)
{
	struct container_meta m;
	size_t len = 0;
	char *pod = read_fixture("api_libpod_pod.http", &len);

	CHECK_INT(parse_fixture("api_libpod_container.http", meta_from_api_response, &m), 0);
	CHECK_STR(m.name, "vigil-test-kube-worker");
	CHECK_STR(m.oci_runtime, "runc");
	CHECK_STR(m.pod_uid, "68f6609eae4edfd7fc7f2f8a4ff0e3614834eef1af774a643ddfccd5788ddbae");
	CHECK_STR(m.image_digest,
		  "sha256:27dd5576603053a19bcc9f6f30d138ca33c9451c40d2700cbcffdef71c3b625c");
	CHECK_STR(container_meta_label(&m, "app"), "vigil");
	CHECK(pod != NULL);
	if (pod) {
		CHECK_INT(meta_from_api_pod_response(pod, len, &m), 0);
		CHECK_STR(m.pod_name, "vigil-test-kube");
		CHECK_STR(pod_label(&m, "tier"), "web");
	}
	free(pod);
	container_meta_free(&m);
}

TEST(api_not_found)
{
	struct container_meta m;

	CHECK_INT(parse_fixture("api_not_found.http", meta_from_api_response, &m), -1);
	container_meta_free(&m);
}

TEST(api_merges_after_bundle)
{
	struct container_meta m;
	size_t len = 0;
	char *api = read_fixture("api_container_length.http", &len);

	/* bundle says podman; the API (here a Docker one) cannot override it */
	CHECK_INT(parse_fixture("oci_config_podman.json", meta_from_oci_config, &m), 0);
	CHECK(api != NULL);
	if (api)
		CHECK_INT(meta_from_api_response(api, len, &m), 0);
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.name, "vigil-test-probe");
	CHECK_STR(m.source, "oci-bundle");
	free(api);
	container_meta_free(&m);
}

/* Every strict prefix of a well-formed response is a truncation: an error,
 * never a crash and never a half-filled success. */
TEST(api_every_truncation_fails)
{
	const char *names[] = {"api_container_chunked.http", "api_container_length.http"};

	for (size_t f = 0; f < 2; f++) {
		size_t len = 0;
		char *data = read_fixture(names[f], &len);

		CHECK(data != NULL);
		for (size_t cut = 0; data && cut < len; cut++) {
			struct container_meta m;
			char *copy = malloc(cut ? cut : 1);

			if (!copy)
				break;
			memcpy(copy, data, cut);
			container_meta_init(&m);
			if (meta_from_api_response(copy, cut, &m) != -1) {
				fprintf(stderr, "  %s cut at %zu parsed\n", names[f], cut);
				test_failed_now = 1;
			}
			container_meta_free(&m);
			free(copy);
		}
		free(data);
	}
}

static int parse_http_string(const char *http)
{
	struct container_meta m;
	int rc;

	container_meta_init(&m);
	rc = meta_from_api_response(http, strlen(http), &m);
	container_meta_free(&m);
	return rc;
}

TEST(api_malformed)
{
	const char *bad[] = {
		"garbage\r\n\r\n{}",
		"HTTP/1.1 200\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n{}",
		"HTTP/2 200 OK\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n{}\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnull",
		"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_http_string(bad[i]) != -1) {
			fprintf(stderr, "  bad[%zu] parsed\n", i);
			test_failed_now = 1;
		}
	}
}

TEST(api_framing_variants)
{
	/* chunk extensions, hex in upper case, trailers, read-to-close body */
	CHECK_INT(parse_http_string("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
				    "A;x=y\r\n{\"Name\":1}\r\n0\r\nX-Trailer: 1\r\n\r\n"), 0);
	CHECK_INT(parse_http_string("HTTP/1.0 200 OK\r\n\r\n{\"Name\":\"/a\"}"), 0);
	CHECK_INT(parse_http_string("HTTP/1.1 200 OK\r\ncontent-length:  2 \r\n\r\n{}trailing"), 0);
}

TEST(long_strings_are_cut_on_utf8_boundaries)
{
	size_t n = 3000;
	char *json = malloc(n + 200), *p;
	struct container_meta m;

	if (!json) {
		CHECK(json != NULL);
		return;
	}
	p = json + sprintf(json, "HTTP/1.1 200 OK\r\n\r\n{\"Name\":\"/");
	for (size_t i = 0; i < n / 2; i++) { /* "é" is two bytes */
		*p++ = (char)0xc3;
		*p++ = (char)0xa9;
	}
	strcpy(p, "\"}");
	container_meta_init(&m);
	CHECK_INT(meta_from_api_response(json, strlen(json), &m), 0);
	CHECK(strlen(m.name) < META_MAX_STRING);
	CHECK(strlen(m.name) % 2 == 0);
	container_meta_free(&m);
	free(json);
}

TEST(label_count_is_bounded)
{
	char *json = malloc(16384), *p;
	struct container_meta m;

	if (!json) {
		CHECK(json != NULL);
		return;
	}
	p = json + sprintf(json, "HTTP/1.1 200 OK\r\n\r\n{\"Config\":{\"Labels\":{");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "%s\"k%d\":\"v%d\"", i ? "," : "", i, i);
	strcpy(p, ",\"k0\":\"dup\"}}}");
	container_meta_init(&m);
	CHECK_INT(meta_from_api_response(json, strlen(json), &m), 0);
	CHECK_INT(m.nlabels, META_MAX_LABELS);
	CHECK_STR(container_meta_label(&m, "k0"), "v0");
	container_meta_free(&m);
	free(json);
}

/* ---- fetch from a fixture tree ------------------------------------------ */

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int copy_fixture(const char *name, const char *dest)
{
	size_t len = 0;
	char *data = read_fixture(name, &len);
	int rc = data ? write_file(dest, data, len) : -1;

	free(data);
	return rc;
}

static int make_dirs(const char *root, const char *const *dirs, size_t n)
{
	char path[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

TEST(fetch_from_fixture_tree)
{
	char root[] = "/tmp/vigil-meta-tree.XXXXXX", path[512], state[1024], err[256];
	const char *const dirs[] = {
		"runc", "runc/" PROBE_ID, "storage", "storage/overlay-containers",
		"storage/overlay-containers/" PROBE_ID,
		"storage/overlay-containers/" PROBE_ID "/userdata", "storage/overlay-images",
	};
	struct meta_sources s = {0};
	struct container_meta m;
	int n;

	CHECK(mkdtemp(root) != NULL);
	CHECK_INT(make_dirs(root, dirs, sizeof(dirs) / sizeof(dirs[0])), 0);
	snprintf(path, sizeof(path), "%s/storage/overlay-containers/" PROBE_ID "/userdata/config.json", root);
	CHECK_INT(copy_fixture("oci_config_podman.json", path), 0);
	snprintf(path, sizeof(path), "%s/storage/overlay-containers/containers.json", root);
	CHECK_INT(copy_fixture("podman_containers.json", path), 0);
	snprintf(path, sizeof(path), "%s/storage/overlay-images/images.json", root);
	CHECK_INT(copy_fixture("podman_images.json", path), 0);
	n = snprintf(state, sizeof(state),
		     "{\"id\":\"" PROBE_ID "\",\"created\":\"2026-11-28T02:58:06.516305947Z\","
		     "\"config\":{\"labels\":[\"bundle=%s/storage/overlay-containers/" PROBE_ID
		     "/userdata\"]}}", root);
	snprintf(path, sizeof(path), "%s/runc/" PROBE_ID "/state.json", root);
	CHECK_INT(write_file(path, state, (size_t)n), 0);

	snprintf(path, sizeof(path), "%s/runc", root);
	s.runc_state_dir = path;
	char storage[512];
	snprintf(storage, sizeof(storage), "%s/storage", root);
	s.containers_storage = storage;

	CHECK_INT(container_meta_fetch(&s, PROBE_ID, &m, err, sizeof(err)), 0);
	CHECK_STR(m.source, "oci-bundle");
	CHECK_STR(m.name, "vigil-test-probe");
	CHECK_STR(m.image, "localhost/vigil-busybox:latest");
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.oci_runtime, "runc");
	CHECK(m.started_unix_ns == 1795834686516305947ull);
	container_meta_free(&m);

	CHECK_INT(container_meta_fetch(&s, "1111111111111111111111111111111111111111111111111111111111111111",
				       &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "no bundle") != NULL);
	container_meta_free(&m);
	CHECK_INT(container_meta_fetch(&s, "../../etc", &m, err, sizeof(err)), -1);
	CHECK_STR(err, "invalid container id");
	container_meta_free(&m);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_INT(system(cmd), 0);
}

/* ---- the unix-socket client against a fake server ------------------------ */

/* Serve one connection: read the request, then send response in pieces
 * (or nothing at all when response is NULL, to test the deadline). */
static pid_t fake_server(const char *sock_path, const char *response, size_t len)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	if (lfd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	unlink(sock_path);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 4) != 0) {
		close(lfd);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		for (;;) { /* the client may connect more than once (libpod extras) */
			char req[2048];
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				_exit(0);
			if (read(fd, req, sizeof(req)) <= 0 || !response) {
				sleep(5);
				_exit(0);
			}
			for (size_t off = 0; off < len;) {
				size_t piece = len - off < 100 ? len - off : 100;

				if (write(fd, response + off, piece) < 0)
					_exit(1);
				off += piece;
				nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
			}
			close(fd);
		}
	}
	close(lfd);
	return pid;
}

static void stop_child(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

TEST(fetch_over_fake_api_socket)
{
	char sock[108], err[256];
	size_t len = 0;
	char *resp = read_fixture("api_container_length.http", &len); /* a Docker answer */
	struct meta_sources s = {0};
	struct container_meta m;
	pid_t pid;

	snprintf(sock, sizeof(sock), "/tmp/vigil-meta-fake-%d.sock", (int)getpid());
	CHECK(resp != NULL);
	pid = fake_server(sock, resp, len);
	CHECK(pid > 0);
	s.api_sockets[0] = "/nonexistent/vigil.sock";
	s.api_sockets[1] = sock;
	s.api_timeout_ms = 2000;
	CHECK_INT(container_meta_fetch(&s, "vigil-test-probe", &m, err, sizeof(err)), 0);
	CHECK_STR(m.source, "api");
	CHECK_STR(m.id, PROBE_ID); /* resolved from the name */
	CHECK_STR(m.runtime, "docker");
	CHECK_STR(container_meta_label(&m, "team"), "blue");
	container_meta_free(&m);
	stop_child(pid);
	free(resp);

	/* a server that never answers: the deadline ends the wait */
	pid = fake_server(sock, NULL, 0);
	s.api_timeout_ms = 300;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(container_meta_fetch(&s, PROBE_ID, &m, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 3);
	CHECK(strstr(err, "deadline") != NULL);
	container_meta_free(&m);
	stop_child(pid);
	unlink(sock);
}

/* ---- real podman ------------------------------------------------------- */

static int run_quiet(const char *cmd)
{
	char full[1024];

	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	return system(full);
}

/* First line of a command's stdout, or "" */
static void run_capture(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (!p)
		return;
	if (fgets(out, (int)size, p))
		out[strcspn(out, "\r\n")] = '\0';
	pclose(p);
}

static bool podman_usable(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "  skip: podman tests need root\n");
		return false;
	}
	if (run_quiet("podman --version") != 0) {
		fprintf(stderr, "  skip: podman not installed\n");
		return false;
	}
	if (run_quiet("sh tests/containers/make-image.sh") != 0) {
		fprintf(stderr, "  skip: cannot build localhost/vigil-busybox\n");
		return false;
	}
	return true;
}

/* `podman system service` on a private socket, so the test neither needs nor
 * disturbs a service at /run/podman/podman.sock. */
static pid_t start_podman_service(const char *sock)
{
	char uri[160];
	pid_t pid;

	snprintf(uri, sizeof(uri), "unix://%s", sock);
	unlink(sock);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("podman", "podman", "system", "service", "--time=0", uri, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 200; i++) { /* up to 10 s */
		struct stat st;

		if (stat(sock, &st) == 0)
			return pid;
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	}
	stop_child(pid);
	return -1;
}

static void stop_podman_service(pid_t pid, const char *sock)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	unlink(sock);
}

TEST(real_podman_container)
{
	char name[64], cmd[512], id[128], sock[108], err[256];
	struct meta_sources s;
	struct container_meta m;
	pid_t service;

	if (!podman_usable())
		return;
	snprintf(name, sizeof(name), "vigil-test-meta-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "podman run -d --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "
		 "--network none --name %s --label team=blue localhost/vigil-busybox sleep 30 2>/dev/null",
		 name);
	run_capture(cmd, id, sizeof(id));
	CHECK_INT(strlen(id), 64);
	if (strlen(id) != 64)
		return;

	/* files only: the bundle and containers/storage */
	meta_sources_default(&s);
	s.api_sockets[0] = NULL;
	CHECK_INT(container_meta_fetch(&s, id, &m, err, sizeof(err)), 0);
	CHECK_STR(m.source, "oci-bundle");
	CHECK_STR(m.name, name);
	CHECK_STR(m.image, "localhost/vigil-busybox:latest");
	CHECK(strncmp(m.image_digest, "sha256:", 7) == 0);
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.oci_runtime, "runc");
	CHECK_INT(m.nlabels, 0); /* labels live only in libpod's database and API */
	CHECK(m.started_unix_ns > (uint64_t)(time(NULL) - 300) * 1000000000ull);
	CHECK(!m.privileged);
	container_meta_free(&m);

	/* defaults plus a private API socket: labels arrive */
	snprintf(sock, sizeof(sock), "/tmp/vigil-test-podman-%d.sock", (int)getpid());
	service = start_podman_service(sock);
	CHECK(service > 0);
	meta_sources_default(&s);
	s.api_sockets[0] = sock;
	s.api_timeout_ms = 5000;
	CHECK_INT(container_meta_fetch(&s, id, &m, err, sizeof(err)), 0);
	CHECK_STR(m.name, name);
	CHECK_STR(m.image, "localhost/vigil-busybox:latest");
	CHECK_STR(container_meta_label(&m, "team"), "blue");
	CHECK_STR(m.runtime, "podman");
	CHECK_STR(m.oci_runtime, "runc");
	CHECK_STR(m.pod_name, "");
	container_meta_free(&m);

	stop_podman_service(service, sock);
	snprintf(cmd, sizeof(cmd), "podman rm -f -t 0 %s", name);
	CHECK_INT(run_quiet(cmd), 0);
}

/* podman pods need an infra container whose default ulimits exceed this
 * machine's hard limits, so pods get their own containers.conf. */
static int write_pod_config(const char *conf, const char *yaml, const char *pod)
{
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text),
		     "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
		     "[engine]\nruntime = \"runc\"\n");
	if (write_file(conf, text, (size_t)n) != 0)
		return -1;
	n = snprintf(text, sizeof(text),
		     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: vigil-ns\n"
		     "  labels:\n    app: vigil\n    tier: web\nspec:\n  restartPolicy: Never\n"
		     "  containers:\n  - name: worker\n    image: localhost/vigil-busybox:latest\n"
		     "    command: [\"sleep\", \"30\"]\n", pod);
	return write_file(yaml, text, (size_t)n);
}

TEST(real_podman_kube_pod)
{
	char pod[64], conf[96], yaml[96], cmd[512], id[128], sock[108], err[256], pause[128];
	struct meta_sources s;
	struct container_meta m;
	pid_t service;

	if (!podman_usable())
		return;
	snprintf(pod, sizeof(pod), "vigil-test-kube-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "/tmp/vigil-test-containers-%d.conf", (int)getpid());
	snprintf(yaml, sizeof(yaml), "/tmp/vigil-test-kube-%d.yaml", (int)getpid());
	CHECK_INT(write_pod_config(conf, yaml, pod), 0);
	/* podman builds its pause image on first use; remove it after if we made it */
	run_capture("podman images -q --filter reference=localhost/podman-pause", pause, sizeof(pause));
	setenv("CONTAINERS_CONF", conf, 1);
	snprintf(cmd, sizeof(cmd), "podman kube play %s", yaml);
	CHECK_INT(run_quiet(cmd), 0);
	snprintf(cmd, sizeof(cmd), "podman ps -q --no-trunc --filter name=^%s-worker$", pod);
	run_capture(cmd, id, sizeof(id));
	CHECK_INT(strlen(id), 64);

	snprintf(sock, sizeof(sock), "/tmp/vigil-test-podman-%d.sock", (int)getpid());
	service = strlen(id) == 64 ? start_podman_service(sock) : -1;
	if (service > 0) {
		meta_sources_default(&s);
		s.api_sockets[0] = sock;
		s.api_timeout_ms = 5000;
		CHECK_INT(container_meta_fetch(&s, id, &m, err, sizeof(err)), 0);
		/* what podman 4.3.1 provides: the pod's name, ID and labels through
		 * its own API; no Kubernetes container name, and metadata.namespace
		 * is dropped by kube play */
		CHECK_STR(m.pod_name, pod);
		CHECK_INT(strlen(m.pod_uid), 64);
		CHECK_STR(pod_label(&m, "app"), "vigil");
		CHECK_STR(container_meta_label(&m, "tier"), "web");
		CHECK(strncmp(m.name, pod, strlen(pod)) == 0); /* "<pod>-worker" */
		CHECK_STR(m.k8s_container_name, "");
		fprintf(stderr, "  kube play pod: name=%s pod_name=%s pod_namespace=\"%s\" "
			"pod_uid=%.12s… labels=%zu pod_labels=%zu\n", m.name, m.pod_name,
			m.pod_namespace, m.pod_uid, m.nlabels, m.npod_labels);
		container_meta_free(&m);
	}
	stop_podman_service(service, sock);
	snprintf(cmd, sizeof(cmd), "podman pod rm -f -t 0 %s", pod);
	CHECK_INT(run_quiet(cmd), 0);
	if (!pause[0])
		run_quiet("podman rmi localhost/podman-pause:$(podman --version | awk '{print $3}')-0");
	unsetenv("CONTAINERS_CONF");
	unlink(conf);
	unlink(yaml);
}

int main(void)
{
	RUN(oci_config_podman);
	RUN(oci_config_podman_kube_has_no_pod_identity);
	RUN(oci_config_all_caps_is_privileged);
	RUN(oci_config_podman_privileged_annotation);
	RUN(oci_config_crio_kubernetes);
	RUN(oci_config_containerd_kubernetes);
	RUN(oci_config_rejects_non_objects);
	RUN(oci_config_wrong_types_are_ignored);
	RUN(runc_state_bundle_and_start);
	RUN(runc_state_relative_bundle_refused);
	RUN(storage_name_image_digest);
	RUN(api_chunked_podman_compat);
	RUN(api_content_length_docker);
	RUN(api_libpod_container_and_pod);
	RUN(api_not_found);
	RUN(api_merges_after_bundle);
	RUN(api_every_truncation_fails);
	RUN(api_malformed);
	RUN(api_framing_variants);
	RUN(long_strings_are_cut_on_utf8_boundaries);
	RUN(label_count_is_bounded);
	RUN(fetch_from_fixture_tree);
	RUN(fetch_over_fake_api_socket);
	RUN(real_podman_container);
	RUN(real_podman_kube_pod);
	return TEST_SUMMARY();
}

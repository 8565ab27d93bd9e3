/* container_meta.h - who a container is: name, image, labels, pod.
 *
 * Fetched once per container, off the event hot path, from up to three
 * sources in order: the OCI bundle config.json (annotations, capabilities),
 * the runtime's own state files (runc state.json, containers/storage
 * containers.json + images.json), and the Docker-compatible API over a unix
 * socket (Docker, `podman system service`).  Each source fills only the
 * fields still empty, so the most local, cheapest source wins.
 */
#ifndef VIGIL_CONTAINER_META_H
#define VIGIL_CONTAINER_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define META_MAX_LABELS 64
#define META_MAX_STRING 1024    /* longer strings are cut (at a UTF-8 boundary) */
#define META_MAX_JSON (4u << 20) /* a parser refuses larger documents */

struct meta_label {
	char *key, *value;
};

struct container_meta {
	char id[65];            /* full container id */
	/* Owned strings, "" when unknown (never NULL after a successful call). */
	char *name;             /* without Docker's leading '/' */
	char *image;            /* as the user named it, e.g. localhost/vigil-busybox:latest */
	char *image_digest;     /* manifest digest "sha256:…" when known */
	char *runtime;          /* engine: "podman", "docker", "cri-o", "containerd" */
	char *oci_runtime;      /* low-level runtime: "runc", "crun" */
	char *pod_name, *pod_namespace;
	char *pod_uid;          /* Kubernetes metadata.uid; for a podman pod its pod ID */
	char *k8s_container_name;
	struct meta_label labels[META_MAX_LABELS];     /* container labels */
	size_t nlabels;
	struct meta_label pod_labels[META_MAX_LABELS];
	size_t npod_labels;
	uint64_t started_unix_ns; /* 0 when unknown */
	bool privileged;
	const char *source;     /* "oci-bundle", "runtime-state", "api": the first that answered */
};

struct meta_sources {           /* roots, so tests can point them at fixture trees */
	const char *runc_state_dir;      /* "/run/runc" */
	const char *containers_storage;  /* "/var/lib/containers/storage" (podman bundles, state) */
	const char *containers_runroot;  /* "/run/containers/storage" (CRI-O bundles) */
	const char *api_sockets[4];      /* tried in order up to the first NULL */
	int api_timeout_ms;              /* per socket, for the whole exchange */
};

void meta_sources_default(struct meta_sources *s);

/* Zero every field: a zeroed struct is a valid, empty input to the parsers. */
void container_meta_init(struct container_meta *m);

/* Fill *out (initialised here) for the container with this id.  Returns 0
 * when at least one source knew the container, -1 otherwise with err
 * saying why.  Free with container_meta_free either way. */
int container_meta_fetch(const struct meta_sources *s, const char *container_id,
			 struct container_meta *out, char *err, size_t errlen);

void container_meta_free(struct container_meta *m);

/* Value of a container label, or NULL. */
const char *container_meta_label(const struct container_meta *m, const char *key);

/* Parsers, pure and from memory (exposed for unit tests and fuzzing).  Each
 * merges into *out, which must be initialised; fields already set are kept.
 * Return 0 on success, -1 on malformed or oversized input. */
int meta_from_oci_config(const char *json, size_t len, struct container_meta *out);
/* runc's state.json: start time; the bundle directory goes to bundle. */
int meta_from_runc_state(const char *json, size_t len, struct container_meta *out,
			 char *bundle, size_t bundle_len);
/* containers/storage containers.json (+ images.json, may be NULL): name,
 * image name and digest for out->id.  -1 also when the id is not listed. */
int meta_from_storage(const char *containers_json, size_t clen,
		      const char *images_json, size_t ilen, struct container_meta *out);
/* A whole HTTP/1.1 response (status line, headers, chunked or
 * Content-Length or read-to-close body) to GET /containers/ID/json, Docker
 * or libpod flavour.  -1 unless the status is 200 and the body an object. */
int meta_from_api_response(const char *http_response, size_t len, struct container_meta *out);
/* Response to libpod's GET /libpod/pods/ID/json: pod name, ID, labels. */
int meta_from_api_pod_response(const char *http_response, size_t len, struct container_meta *out);

#endif

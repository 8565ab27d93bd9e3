/* container_meta.c - container metadata from bundle, runtime state and API.
 *
 * Where podman 4.3.1 + runc (as root, Debian 12) keeps what, as observed on
 * real containers:
 *
 * runc state   /run/runc/<id>/state.json.  "created" (RFC 3339, when runc
 *              created the init process, i.e. the start), "init_process_pid",
 *              and config.labels ["bundle=<dir>", …].  The same label array
 *              repeats the bundle annotations as "key=value" strings.
 * OCI bundle   <bundle>/config.json, for podman
 *              /var/lib/containers/storage/overlay-containers/<id>/userdata/
 *              (the runroot /run/containers/storage/…/userdata holds only
 *              hostname, hosts, pidfile; CRI-O keeps its bundles there).
 *              Annotations podman writes: io.container.manager=libpod,
 *              io.kubernetes.cri-o.Created, io.kubernetes.cri-o.TTY,
 *              io.podman.annotations.{autoremove,init,privileged,publish-all}
 *              ("TRUE"/"FALSE"), org.opencontainers.image.stopSignal.  Not
 *              the container name, image or --label labels.
 *              In a pod (pod create or kube play) also
 *              io.kubernetes.cri-o.ContainerType=container and
 *              io.kubernetes.cri-o.SandboxID=<infra container id>; kube play
 *              copies the pod's metadata.annotations in as they are.  No
 *              io.kubernetes.pod.* keys, no pod name or namespace, ever.
 *              --privileged: the annotation is TRUE and process.capabilities
 *              lists all 40 capabilities (default: 11, no CAP_SYS_ADMIN).
 * storage      /var/lib/containers/storage/overlay-containers/containers.json:
 *              [{"id","names":[name],"image":<image id>,"metadata":
 *              "{\"image-name\":…,\"image-id\":…,\"name\":…}"}];
 *              overlay-images/images.json: [{"id","digest":"sha256:…",
 *              "names":["localhost/vigil-busybox:latest"]}].
 *              Labels, the OCI runtime name and pods live only in libpod's
 *              BoltDB (storage/libpod/bolt_state.db), which we do not read.
 * API          `podman system service unix:///run/podman/podman.sock`:
 *              GET /v1.41/containers/<id>/json answers chunked, headers
 *              Libpod-Api-Version and Server: Libpod/4.3.1; body has Name
 *              "/<name>", Config.Image, Config.Labels, HostConfig.Privileged,
 *              State.StartedAt, Image "sha256:<image id>" (not a digest),
 *              HostConfig.Runtime "oci" (useless).  404 for unknown ids.
 *              The libpod flavour GET /v4.0.0/libpod/containers/<id>/json adds
 *              Pod (pod ID), OCIRuntime "runc", ImageName, ImageDigest,
 *              Config.Annotations; GET /v4.0.0/libpod/pods/<pod>/json has the
 *              pod's Name, Id and Labels.
 * kube play    metadata.namespace is dropped (stored nowhere); metadata.labels
 *              become the labels of every container and of the pod;
 *              containers are named <pod>-<container>.  pod create --label
 *              labels the pod (and its infra container), not its members.
 * Kubernetes   (not on this machine) CRI-O writes io.kubernetes.pod.name,
 *              .pod.namespace, .pod.uid, io.kubernetes.container.name,
 *              io.kubernetes.cri-o.ImageName, io.kubernetes.cri-o.Labels (a
 *              JSON object in a string); containerd writes
 *              io.kubernetes.cri.sandbox-name/-namespace/-uid,
 *              io.kubernetes.cri.container-name, io.kubernetes.cri.image-name.
 *              cri-dockerd puts the io.kubernetes.* keys in Docker labels.
 */
#include "workload/container_meta.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE_MAX (32u << 20)  /* containers.json grows with containers */
#define HTTP_RESPONSE_MAX (4u << 20)
#define HTTP_HEADER_MAX (64u << 10)
#define ALL_CAPS_MIN 38             /* CAP_CHOWN … CAP_AUDIT_READ: "all" on any kernel since 4.x */

/* ---- strings and fields ---------------------------------------------- */

/* A copy of at most META_MAX_STRING-1 bytes, never ending inside a UTF-8
 * sequence, so a cut string stays valid for the JSON writer. */
static char *bounded_copy(const char *s)
{
	size_t n = strnlen(s, META_MAX_STRING);

	if (n == META_MAX_STRING) {
		n = META_MAX_STRING - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return strndup(s, n);
}

static bool is_empty(const char *s)
{
	return !s || !*s;
}

/* Later sources fill only what earlier ones left empty. */
static int fill_string(char **field, const char *value)
{
	char *copy;

	if (is_empty(value) || !is_empty(*field))
		return 0;
	copy = bounded_copy(value);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

static const char *json_string(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int fill_from_json(char **field, const cJSON *obj, const char *key)
{
	return fill_string(field, json_string(obj, key));
}

/* ---- labels ----------------------------------------------------------- */

static bool label_present(const struct meta_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(labels[i].key, key) == 0)
			return true;
	return false;
}

/* Copy a JSON object of strings into an empty label set; non-string values
 * and keys past META_MAX_LABELS are skipped. */
static int fill_labels(struct meta_label *labels, size_t *n, const cJSON *obj)
{
	const cJSON *item;

	if (*n > 0 || !cJSON_IsObject(obj))
		return 0;
	cJSON_ArrayForEach(item, obj) {
		char *key, *value;

		if (*n >= META_MAX_LABELS)
			break;
		if (!cJSON_IsString(item) || is_empty(item->string) ||
		    label_present(labels, *n, item->string))
			continue;
		key = bounded_copy(item->string);
		value = bounded_copy(item->valuestring);
		if (!key || !value) {
			free(key);
			free(value);
			return -1;
		}
		labels[*n].key = key;
		labels[*n].value = value;
		(*n)++;
	}
	return 0;
}

static void free_labels(struct meta_label *labels, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	*n = 0;
}

/* ---- the struct ------------------------------------------------------- */

void container_meta_init(struct container_meta *m)
{
	memset(m, 0, sizeof(*m));
}

#define STRING_FIELD_COUNT 9

/* Every owned string of the struct, so freeing and defaulting miss none. */
static void string_fields(struct container_meta *m, char **fields[STRING_FIELD_COUNT])
{
	char **all[STRING_FIELD_COUNT] = {
		&m->name, &m->image, &m->image_digest, &m->runtime, &m->oci_runtime,
		&m->pod_name, &m->pod_namespace, &m->pod_uid, &m->k8s_container_name,
	};

	memcpy(fields, all, sizeof(all));
}

void container_meta_free(struct container_meta *m)
{
	if (!m)
		return;
	char **fields[STRING_FIELD_COUNT];

	string_fields(m, fields);
	for (size_t i = 0; i < STRING_FIELD_COUNT; i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	free_labels(m->labels, &m->nlabels);
	free_labels(m->pod_labels, &m->npod_labels);
}

/* Promise of the API: every string is non-NULL after a successful call.
 * source (may be NULL) names the source that answered, unless one did before. */
static int finish(struct container_meta *m, const char *source)
{
	char **fields[STRING_FIELD_COUNT];

	string_fields(m, fields);
	for (size_t i = 0; i < STRING_FIELD_COUNT; i++) {
		if (!*fields[i]) {
			*fields[i] = strdup("");
			if (!*fields[i])
				return -1;
		}
	}
	if (!m->source)
		m->source = source;
	return 0;
}

const char *container_meta_label(const struct container_meta *m, const char *key)
{
	for (size_t i = 0; i < m->nlabels; i++)
		if (strcmp(m->labels[i].key, key) == 0)
			return m->labels[i].value;
	return NULL;
}

/* ---- time ------------------------------------------------------------- */

static bool parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool expect_one_of(const char **p, const char *set)
{
	if (**p == '\0' || !strchr(set, **p))
		return false;
	(*p)++;
	return true;
}

/* RFC 3339 ("2026-11-28T02:58:06.548036338Z", or "+02:00") to Unix ns.
 * 0 for anything before 1970 (Go's zero time "0001-01-01T00:00:00Z" means
 * "never") or malformed. */
static uint64_t parse_rfc3339_ns(const char *s)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, off_h = 0, off_m = 0;
	uint64_t frac = 0, scale = 1000000000ull;
	long long offset = 0;
	time_t t;

	if (!s || !parse_digits(&s, 4, &year) || !expect(&s, '-') ||
	    !parse_digits(&s, 2, &mon) || !expect(&s, '-') || !parse_digits(&s, 2, &day) ||
	    !expect_one_of(&s, "Tt ") ||
	    !parse_digits(&s, 2, &hour) || !expect(&s, ':') || !parse_digits(&s, 2, &min) ||
	    !expect(&s, ':') || !parse_digits(&s, 2, &sec))
		return 0;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*s - '0') * scale;
			}
		}
	}
	if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;

		if (!parse_digits(&s, 2, &off_h) || !expect(&s, ':') || !parse_digits(&s, 2, &off_m))
			return 0;
		offset = sign * (off_h * 3600LL + off_m * 60LL);
	} else if (!expect_one_of(&s, "Zz")) {
		return 0;
	}
	if (*s || year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 ||
	    hour > 23 || min > 59 || sec > 60)
		return 0;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || (long long)t - offset <= 0)
		return 0;
	return (uint64_t)((long long)t - offset) * 1000000000ull + frac;
}

static void fill_started(struct container_meta *m, const char *rfc3339)
{
	if (m->started_unix_ns == 0)
		m->started_unix_ns = parse_rfc3339_ns(rfc3339);
}

/* ---- JSON documents --------------------------------------------------- */

static cJSON *parse_object(const char *json, size_t len)
{
	cJSON *root;

	if (!json || len == 0 || len > META_MAX_JSON)
		return NULL;
	root = cJSON_ParseWithLength(json, len);
	if (root && !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Kubernetes identity keys, as annotations (CRI-O, containerd) or as labels
 * (cri-dockerd, CRI-O's Labels annotation). */
static const struct k8s_key {
	const char *key;
	size_t field;
} k8s_keys[] = {
	{"io.kubernetes.pod.name", offsetof(struct container_meta, pod_name)},
	{"io.kubernetes.cri.sandbox-name", offsetof(struct container_meta, pod_name)},
	{"io.kubernetes.pod.namespace", offsetof(struct container_meta, pod_namespace)},
	{"io.kubernetes.cri.sandbox-namespace", offsetof(struct container_meta, pod_namespace)},
	{"io.kubernetes.pod.uid", offsetof(struct container_meta, pod_uid)},
	{"io.kubernetes.cri.sandbox-uid", offsetof(struct container_meta, pod_uid)},
	{"io.kubernetes.container.name", offsetof(struct container_meta, k8s_container_name)},
	{"io.kubernetes.cri.container-name", offsetof(struct container_meta, k8s_container_name)},
	{"io.kubernetes.cri.image-name", offsetof(struct container_meta, image)},
	{"io.kubernetes.cri-o.ImageName", offsetof(struct container_meta, image)},
};

static int fill_k8s_keys(struct container_meta *m, const cJSON *obj)
{
	for (size_t i = 0; i < sizeof(k8s_keys) / sizeof(k8s_keys[0]); i++) {
		char **field = (char **)((char *)m + k8s_keys[i].field);

		if (fill_from_json(field, obj, k8s_keys[i].key) != 0)
			return -1;
	}
	return 0;
}

/* The engine that wrote the bundle, told by the annotations it always adds. */
static const char *engine_from_annotations(const cJSON *ann)
{
	const char *manager = json_string(ann, "io.container.manager");

	if (manager && strcmp(manager, "libpod") == 0)
		return "podman";
	if (manager)
		return manager;
	if (cJSON_GetObjectItemCaseSensitive(ann, "io.kubernetes.cri-o.ContainerType"))
		return "cri-o";
	if (cJSON_GetObjectItemCaseSensitive(ann, "io.kubernetes.cri.container-type"))
		return "containerd";
	return NULL;
}

/* CRI-O stores the container's labels as a JSON object inside a string. */
static int fill_labels_from_string(struct container_meta *m, const char *json)
{
	cJSON *obj;
	int rc;

	if (is_empty(json) || m->nlabels > 0)
		return 0;
	obj = parse_object(json, strlen(json));
	if (!obj)
		return 0; /* a bad label annotation is not a bad bundle */
	rc = fill_labels(m->labels, &m->nlabels, obj);
	if (rc == 0)
		rc = fill_k8s_keys(m, obj);
	cJSON_Delete(obj);
	return rc;
}

static int apply_annotations(struct container_meta *m, const cJSON *ann)
{
	const char *privileged;

	if (!cJSON_IsObject(ann))
		return 0;
	privileged = json_string(ann, "io.podman.annotations.privileged");
	if (privileged && strcasecmp(privileged, "true") == 0)
		m->privileged = true;
	if (fill_string(&m->runtime, engine_from_annotations(ann)) != 0 ||
	    fill_k8s_keys(m, ann) != 0)
		return -1;
	return fill_labels_from_string(m, json_string(ann, "io.kubernetes.cri-o.Labels"));
}

static bool caps_are_all(const cJSON *caps)
{
	const cJSON *cap;
	bool sys_admin = false;
	int n = 0;

	cJSON_ArrayForEach(cap, caps) {
		if (!cJSON_IsString(cap))
			continue;
		n++;
		if (strcmp(cap->valuestring, "CAP_SYS_ADMIN") == 0)
			sys_admin = true;
	}
	return sys_admin && n >= ALL_CAPS_MIN;
}

/* A runtime that does not say "privileged" still shows it: every capability. */
static bool privileged_by_caps(const cJSON *root)
{
	const cJSON *process = cJSON_GetObjectItemCaseSensitive(root, "process");
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(process, "capabilities");
	const cJSON *effective = cJSON_GetObjectItemCaseSensitive(caps, "effective");

	if (!cJSON_IsArray(effective))
		effective = cJSON_GetObjectItemCaseSensitive(caps, "bounding");
	return cJSON_IsArray(effective) && caps_are_all(effective);
}

int meta_from_oci_config(const char *json, size_t len, struct container_meta *out)
{
	cJSON *root = parse_object(json, len);
	int rc;

	if (!root)
		return -1;
	if (privileged_by_caps(root))
		out->privileged = true;
	rc = apply_annotations(out, cJSON_GetObjectItemCaseSensitive(root, "annotations"));
	cJSON_Delete(root);
	if (rc != 0)
		return -1;
	return finish(out, "oci-bundle");
}

/* ---- runc state ------------------------------------------------------- */

/* runc keeps the bundle directory as the label "bundle=<dir>". */
static void bundle_from_labels(const cJSON *labels, char *bundle, size_t bundle_len)
{
	const cJSON *label;

	cJSON_ArrayForEach(label, labels) {
		const char *s = cJSON_IsString(label) ? label->valuestring : NULL;

		if (s && strncmp(s, "bundle=", 7) == 0 && s[7] == '/' &&
		    strlen(s + 7) < bundle_len) {
			strcpy(bundle, s + 7);
			return;
		}
	}
}

int meta_from_runc_state(const char *json, size_t len, struct container_meta *out,
			 char *bundle, size_t bundle_len)
{
	cJSON *root = parse_object(json, len);
	const cJSON *config;

	if (bundle_len > 0)
		bundle[0] = '\0';
	if (!root)
		return -1;
	fill_started(out, json_string(root, "created"));
	config = cJSON_GetObjectItemCaseSensitive(root, "config");
	if (bundle_len > 0)
		bundle_from_labels(cJSON_GetObjectItemCaseSensitive(config, "labels"),
				   bundle, bundle_len);
	cJSON_Delete(root);
	if (fill_string(&out->oci_runtime, "runc") != 0)
		return -1;
	/* Not a source of its own yet: the bundle it points at may answer. */
	return finish(out, NULL);
}

/* ---- containers/storage ------------------------------------------------- */

static const cJSON *find_by_id(const cJSON *array, const char *id)
{
	const cJSON *entry;

	cJSON_ArrayForEach(entry, array) {
		const char *entry_id = json_string(entry, "id");

		if (entry_id && strcmp(entry_id, id) == 0)
			return entry;
	}
	return NULL;
}

static const char *first_name(const cJSON *entry)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(entry, "names");
	const cJSON *first = cJSON_IsArray(names) ? cJSON_GetArrayItem(names, 0) : NULL;

	return cJSON_IsString(first) ? first->valuestring : NULL;
}

/* "metadata" is JSON in a string; podman puts the image as asked there. */
static int fill_image_from_metadata(struct container_meta *m, const cJSON *entry)
{
	const char *meta = json_string(entry, "metadata");
	cJSON *obj;
	int rc;

	if (is_empty(meta))
		return 0;
	obj = parse_object(meta, strlen(meta));
	if (!obj)
		return 0;
	rc = fill_from_json(&m->image, obj, "image-name");
	cJSON_Delete(obj);
	return rc;
}

static int fill_from_image(struct container_meta *m, const char *images_json,
			   size_t ilen, const char *image_id)
{
	cJSON *images;
	const cJSON *image;
	int rc = 0;

	if (!images_json || is_empty(image_id))
		return 0;
	images = cJSON_ParseWithLength(images_json, ilen);
	image = cJSON_IsArray(images) ? find_by_id(images, image_id) : NULL;
	if (image && (fill_string(&m->image, first_name(image)) != 0 ||
		      fill_from_json(&m->image_digest, image, "digest") != 0))
		rc = -1;
	cJSON_Delete(images);
	return rc;
}

int meta_from_storage(const char *containers_json, size_t clen,
		      const char *images_json, size_t ilen, struct container_meta *out)
{
	cJSON *containers;
	const cJSON *entry;
	int rc = -1;

	if (!containers_json || clen > STATE_FILE_MAX || ilen > STATE_FILE_MAX || !out->id[0])
		return -1;
	containers = cJSON_ParseWithLength(containers_json, clen);
	entry = cJSON_IsArray(containers) ? find_by_id(containers, out->id) : NULL;
	if (entry && fill_string(&out->name, first_name(entry)) == 0 &&
	    fill_image_from_metadata(out, entry) == 0 &&
	    fill_from_image(out, images_json, ilen, json_string(entry, "image")) == 0)
		rc = finish(out, "runtime-state");
	cJSON_Delete(containers);
	return rc;
}

/* ---- HTTP/1.1 responses ------------------------------------------------ */

struct http_reply {
	int status;
	bool libpod, docker;   /* who answered, from the headers */
	char *body;            /* owned, NUL-terminated */
	size_t body_len;
};

enum http_state { HTTP_COMPLETE = 0, HTTP_INCOMPLETE = 1, HTTP_MALFORMED = -1 };

static bool header_is(const char *line, size_t len, const char *name, const char **value,
		      size_t *value_len)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	*value = line;
	*value_len = len;
	return true;
}

/* Decimal or hex (base) number of at most 15 digits from exactly len bytes. */
static bool parse_size(const char *s, size_t len, int base, size_t *out)
{
	size_t v = 0;

	if (len == 0 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return false;
		v = v * (size_t)base + (size_t)d;
	}
	*out = v;
	return true;
}

static bool parse_status_line(const char *line, size_t len, int *status)
{
	int code = 0;

	if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
	    line[8] != ' ')
		return false;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		code = code * 10 + (line[i] - '0');
	}
	if (len > 12 && line[12] != ' ')
		return false;
	*status = code;
	return true;
}

struct http_framing {
	bool chunked, has_length;
	size_t content_length;
};

static int parse_header_line(const char *line, size_t len, struct http_reply *r,
			     struct http_framing *f)
{
	const char *v;
	size_t vlen;

	if (header_is(line, len, "Transfer-Encoding", &v, &vlen)) {
		f->chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0;
	} else if (header_is(line, len, "Content-Length", &v, &vlen)) {
		if (!parse_size(v, vlen, 10, &f->content_length) ||
		    f->content_length > HTTP_RESPONSE_MAX)
			return -1;
		f->has_length = true;
	} else if (header_is(line, len, "Libpod-Api-Version", &v, &vlen)) {
		r->libpod = true;
	} else if (header_is(line, len, "Server", &v, &vlen)) {
		if (vlen >= 6 && strncmp(v, "Libpod", 6) == 0)
			r->libpod = true;
		else if (vlen >= 6 && strncmp(v, "Docker", 6) == 0)
			r->docker = true;
	}
	return 0;
}

/* Status line and headers in [buf, buf+len), which ends before "\r\n\r\n". */
static int parse_head(const char *buf, size_t len, struct http_reply *r, struct http_framing *f)
{
	const char *end = buf + len, *line = buf;
	bool first = true;

	while (line < end) {
		const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);

		if (memchr(line, '\0', n))
			return -1;
		if (first ? !parse_status_line(line, n, &r->status)
			  : parse_header_line(line, n, r, f) != 0)
			return -1;
		first = false;
		line += n + (eol ? 2 : 0);
	}
	return first ? -1 : 0;
}

static int take_body(struct http_reply *r, const char *data, size_t len)
{
	r->body = malloc(len + 1);
	if (!r->body)
		return HTTP_MALFORMED;
	memcpy(r->body, data, len);
	r->body[len] = '\0';
	r->body_len = len;
	return HTTP_COMPLETE;
}

/* One chunk at *pos: "<hex>[;ext]\r\n<data>\r\n".  Appends to out. */
static int next_chunk(const char *buf, size_t len, size_t *pos, char *out, size_t *out_len,
		      bool *last)
{
	const char *start = buf + *pos, *eol, *ext;
	size_t avail = len - *pos, size, line_len;

	eol = memmem(start, avail, "\r\n", 2);
	if (!eol)
		return avail > 64 ? HTTP_MALFORMED : HTTP_INCOMPLETE;
	line_len = (size_t)(eol - start);
	ext = memchr(start, ';', line_len);
	if (!parse_size(start, ext ? (size_t)(ext - start) : line_len, 16, &size) ||
	    size > HTTP_RESPONSE_MAX - *out_len)
		return HTTP_MALFORMED;
	*pos += line_len + 2;
	if (size == 0) {
		*last = true; /* trailers, if any, carry nothing we want */
		return HTTP_COMPLETE;
	}
	if (len - *pos < size + 2)
		return HTTP_INCOMPLETE;
	if (buf[*pos + size] != '\r' || buf[*pos + size + 1] != '\n')
		return HTTP_MALFORMED;
	memcpy(out + *out_len, buf + *pos, size);
	*out_len += size;
	*pos += size + 2;
	return HTTP_COMPLETE;
}

static int dechunk(struct http_reply *r, const char *buf, size_t len)
{
	size_t pos = 0, out_len = 0;
	bool last = false;
	int rc = HTTP_COMPLETE;
	char *out = malloc(len + 1); /* decoded data is never longer */

	if (!out)
		return HTTP_MALFORMED;
	while (!last && rc == HTTP_COMPLETE)
		rc = pos < len ? next_chunk(buf, len, &pos, out, &out_len, &last) : HTTP_INCOMPLETE;
	/* The last chunk is followed by trailer lines and an empty line. */
	if (rc == HTTP_COMPLETE && !(len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n') &&
	    !memmem(buf + pos, len - pos, "\r\n\r\n", 4))
		rc = HTTP_INCOMPLETE;
	if (rc != HTTP_COMPLETE) {
		free(out);
		return rc;
	}
	out[out_len] = '\0';
	r->body = out;
	r->body_len = out_len;
	return HTTP_COMPLETE;
}

/* Parse what has arrived so far.  at_eof: the peer has closed, so a body
 * without framing ends here and anything still missing is a truncation. */
static int http_parse(const char *buf, size_t len, bool at_eof, struct http_reply *r)
{
	struct http_framing f = {0};
	const char *head_end = memmem(buf, len, "\r\n\r\n", 4);
	size_t head_len, body_len;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!head_end) {
		if (len > HTTP_HEADER_MAX || at_eof)
			return HTTP_MALFORMED;
		return HTTP_INCOMPLETE;
	}
	head_len = (size_t)(head_end - buf);
	if (head_len > HTTP_HEADER_MAX || parse_head(buf, head_len, r, &f) != 0)
		return HTTP_MALFORMED;
	buf += head_len + 4;
	body_len = len - head_len - 4;
	if (f.chunked)
		rc = dechunk(r, buf, body_len);
	else if (f.has_length)
		rc = body_len >= f.content_length ? take_body(r, buf, f.content_length)
						  : HTTP_INCOMPLETE;
	else
		rc = at_eof ? take_body(r, buf, body_len) : HTTP_INCOMPLETE;
	if (rc == HTTP_INCOMPLETE && at_eof)
		rc = HTTP_MALFORMED;
	return rc;
}

static void http_reply_free(struct http_reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- API responses ---------------------------------------------------- */

static void fill_id(struct container_meta *m, const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n != 64 || strlen(m->id) == 64 || strspn(id, "0123456789abcdef") != 64)
		return;
	memcpy(m->id, id, 65);
}

static int fill_oci_runtime(struct container_meta *m, const cJSON *body, const cJSON *host)
{
	const char *runtime = json_string(host, "Runtime");

	if (fill_from_json(&m->oci_runtime, body, "OCIRuntime") != 0)
		return -1;
	/* podman's Docker-compatible answer says "oci", which names nothing. */
	if (runtime && strcmp(runtime, "oci") == 0)
		runtime = NULL;
	return fill_string(&m->oci_runtime, runtime);
}

static int fill_from_container_json(struct container_meta *m, const cJSON *body)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(body, "Config");
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(body, "HostConfig");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(body, "State");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(config, "Labels");
	const char *name = json_string(body, "Name");

	fill_id(m, json_string(body, "Id"));
	if (name && name[0] == '/')
		name++;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(host, "Privileged")))
		m->privileged = true;
	fill_started(m, json_string(state, "StartedAt"));
	if (fill_string(&m->name, name) != 0 ||
	    fill_from_json(&m->image, body, "ImageName") != 0 ||
	    fill_from_json(&m->image, config, "Image") != 0 ||
	    fill_from_json(&m->image_digest, body, "ImageDigest") != 0 ||
	    fill_from_json(&m->pod_uid, body, "Pod") != 0 ||
	    fill_oci_runtime(m, body, host) != 0 ||
	    fill_labels(m->labels, &m->nlabels, labels) != 0 ||
	    fill_k8s_keys(m, labels) != 0)
		return -1;
	return apply_annotations(m, cJSON_GetObjectItemCaseSensitive(config, "Annotations"));
}

static int fill_from_pod_json(struct container_meta *m, const cJSON *body)
{
	if (fill_from_json(&m->pod_name, body, "Name") != 0 ||
	    fill_from_json(&m->pod_uid, body, "Id") != 0)
		return -1;
	return fill_labels(m->pod_labels, &m->npod_labels,
			   cJSON_GetObjectItemCaseSensitive(body, "Labels"));
}

/* Parse a whole response and hand its JSON object body to fill.  Returns
 * the HTTP status (200 filled), or -1 when the response is malformed. */
static int apply_api_response(const char *http, size_t len, struct container_meta *out,
			      int (*fill)(struct container_meta *, const cJSON *))
{
	struct http_reply r;
	cJSON *body = NULL;
	int status = -1;

	if (!http || len == 0 || len > HTTP_RESPONSE_MAX)
		return -1;
	if (http_parse(http, len, true, &r) != HTTP_COMPLETE)
		goto out;
	status = r.status;
	if (status != 200)
		goto out;
	body = parse_object(r.body, r.body_len);
	if (!body || fill(out, body) != 0 ||
	    fill_string(&out->runtime, r.libpod ? "podman" : r.docker ? "docker" : NULL) != 0 ||
	    finish(out, "api") != 0)
		status = -1;
out:
	cJSON_Delete(body);
	http_reply_free(&r);
	return status;
}

int meta_from_api_response(const char *http_response, size_t len, struct container_meta *out)
{
	return apply_api_response(http_response, len, out, fill_from_container_json) == 200 ? 0 : -1;
}

int meta_from_api_pod_response(const char *http_response, size_t len, struct container_meta *out)
{
	return apply_api_response(http_response, len, out, fill_from_pod_json) == 200 ? 0 : -1;
}

/* ---- unix-socket HTTP client -------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int remaining_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)(left > INT_MAX ? INT_MAX : left) : 0;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int left = remaining_ms(deadline), rc;

		if (left == 0)
			return 0;
		rc = poll(&p, 1, left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int connect_unix(const char *path, long long deadline, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A unix connect either completes at once or, with a full backlog,
	 * fails with EAGAIN and must be retried; it never goes on in the
	 * background the way TCP does. */
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		if ((errno != EAGAIN && errno != EINTR) || remaining_ms(deadline) == 0) {
			snprintf(err, errlen, "%s: %s", path,
				 errno == EAGAIN ? "connect timed out" : strerror(errno));
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

struct buffer {
	char *data;
	size_t len, cap;
};

static int buffer_reserve(struct buffer *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *data;

	if (b->len + extra <= b->cap)
		return 0;
	while (cap < b->len + extra)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data)
		return -1;
	b->data = data;
	b->cap = cap;
	return 0;
}

/* Read until the response is complete, the peer closes, or the deadline. */
static int recv_response(int fd, struct buffer *b, long long deadline, char *err, size_t errlen)
{
	for (;;) {
		struct http_reply r;
		ssize_t n;
		int state;

		if (b->len >= HTTP_RESPONSE_MAX || buffer_reserve(b, 16384) != 0) {
			snprintf(err, errlen, "response larger than %u bytes", HTTP_RESPONSE_MAX);
			return -1;
		}
		n = recv(fd, b->data + b->len, b->cap - b->len, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN, deadline) != 1) {
				snprintf(err, errlen, "no complete response before the deadline");
				return -1;
			}
			continue;
		}
		if (n < 0) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			return -1;
		}
		b->len += (size_t)n;
		state = http_parse(b->data, b->len, false, &r);
		http_reply_free(&r);
		if (state != HTTP_INCOMPLETE)
			return 0; /* complete, or malformed: the parser will say */
	}
}

/* GET path on the socket; the raw response goes to *b.  0 or -1 with err. */
static int http_get_unix(const char *socket_path, const char *path, int timeout_ms,
			 struct buffer *b, char *err, size_t errlen)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
	char request[512];
	int fd, n, rc;

	n = snprintf(request, sizeof(request),
		     "GET %s HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof(request)) {
		snprintf(err, errlen, "request path too long");
		return -1;
	}
	fd = connect_unix(socket_path, deadline, err, errlen);
	if (fd < 0)
		return -1;
	if (send_all(fd, request, (size_t)n, deadline) != 0) {
		snprintf(err, errlen, "%s: sending the request failed", socket_path);
		close(fd);
		return -1;
	}
	b->len = 0;
	rc = recv_response(fd, b, deadline, err, errlen);
	close(fd);
	return rc;
}

/* ---- sources ----------------------------------------------------------- */

void meta_sources_default(struct meta_sources *s)
{
	memset(s, 0, sizeof(*s));
	s->runc_state_dir = "/run/runc";
	s->containers_storage = "/var/lib/containers/storage";
	s->containers_runroot = "/run/containers/storage";
	s->api_sockets[0] = "/run/podman/podman.sock";
	s->api_sockets[1] = "/var/run/docker.sock";
	s->api_timeout_ms = 2000;
}

/* Ids become path components and URL parts: allow only what ids and names
 * of Docker and podman can hold, so "../" or "?" can never get through. */
static bool valid_container_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n > 0 && n <= 64 && id[0] != '.' && id[0] != '-' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Read a whole regular file of at most max bytes; *data is NUL-terminated. */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct buffer b = {0};
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*data = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		goto fail;
	for (;;) {
		ssize_t n;

		if (b.len >= max || buffer_reserve(&b, 65536) != 0)
			goto fail;
		n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	b.data[b.len] = '\0';
	*data = b.data;
	*len = b.len;
	return 0;
fail:
	close(fd);
	free(b.data);
	return -1;
}

typedef int (*doc_parser)(const char *json, size_t len, struct container_meta *out);

static int parse_file(const char *path, size_t max, doc_parser parse, struct container_meta *m)
{
	char *data;
	size_t len;
	int rc;

	if (read_file(path, max, &data, &len) != 0)
		return -1;
	rc = parse(data, len, m);
	free(data);
	return rc;
}

static bool format_path(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* false when the path does not fit: never open a cut path. */
static bool format_path(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < size;
}

/* runc's state points at the bundle; otherwise try where podman and CRI-O
 * put theirs. */
static int from_bundle(const struct meta_sources *s, struct container_meta *m, bool *state_seen)
{
	char path[PATH_MAX], bundle[PATH_MAX] = "", *data;
	const char *roots[] = {s->containers_storage, s->containers_runroot};
	size_t len;

	if (s->runc_state_dir &&
	    format_path(path, sizeof(path), "%s/%s/state.json", s->runc_state_dir, m->id) &&
	    read_file(path, META_MAX_JSON, &data, &len) == 0) {
		*state_seen = meta_from_runc_state(data, len, m, bundle, sizeof(bundle)) == 0;
		free(data);
	}
	if (bundle[0] && format_path(path, sizeof(path), "%s/config.json", bundle) &&
	    parse_file(path, META_MAX_JSON, meta_from_oci_config, m) == 0)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		if (roots[i] &&
		    format_path(path, sizeof(path), "%s/overlay-containers/%s/userdata/config.json",
				roots[i], m->id) &&
		    parse_file(path, META_MAX_JSON, meta_from_oci_config, m) == 0)
			return 0;
	}
	return -1;
}

static int from_storage(const struct meta_sources *s, struct container_meta *m)
{
	char path[PATH_MAX], *containers = NULL, *images = NULL;
	size_t clen = 0, ilen = 0;
	int rc = -1;

	if (!s->containers_storage)
		return -1;
	if (format_path(path, sizeof(path), "%s/overlay-containers/containers.json",
			s->containers_storage) &&
	    read_file(path, STATE_FILE_MAX, &containers, &clen) == 0) {
		if (!format_path(path, sizeof(path), "%s/overlay-images/images.json",
				 s->containers_storage) ||
		    read_file(path, STATE_FILE_MAX, &images, &ilen) != 0)
			images = NULL;
		rc = meta_from_storage(containers, clen, images, ilen, m);
	}
	free(containers);
	free(images);
	return rc;
}

/* One GET on one socket, applied with fill: returns the HTTP status or -1. */
static int api_get(const char *sock, const char *path, int timeout_ms, struct container_meta *m,
		   int (*fill)(struct container_meta *, const cJSON *), char *err, size_t errlen)
{
	struct buffer b = {0};
	int status = -1;

	if (http_get_unix(sock, path, timeout_ms, &b, err, errlen) == 0) {
		status = apply_api_response(b.data, b.len, m, fill);
		if (status < 0)
			snprintf(err, errlen, "%s: malformed response to %s", sock, path);
		else if (status != 200)
			snprintf(err, errlen, "%s: HTTP %d for %s", sock, status, path);
	}
	free(b.data);
	return status;
}

/* Docker-compatible first (Docker and podman both answer it); when podman
 * answered, its own endpoints add the OCI runtime, the digest and the pod. */
static int from_api_socket(const struct meta_sources *s, const char *sock, const char *id,
			   struct container_meta *m, char *err, size_t errlen)
{
	char path[256];

	snprintf(path, sizeof(path), "/v1.41/containers/%s/json", id);
	if (api_get(sock, path, s->api_timeout_ms, m, fill_from_container_json, err, errlen) != 200)
		return -1;
	if (is_empty(m->runtime) || strcmp(m->runtime, "podman") != 0)
		return 0;
	/* Extras: failures here leave those fields empty, nothing more. */
	snprintf(path, sizeof(path), "/v4.0.0/libpod/containers/%s/json", m->id);
	api_get(sock, path, s->api_timeout_ms, m, fill_from_container_json, err, errlen);
	if (is_empty(m->pod_name) && valid_container_id(m->pod_uid)) {
		snprintf(path, sizeof(path), "/v4.0.0/libpod/pods/%s/json", m->pod_uid);
		api_get(sock, path, s->api_timeout_ms, m, fill_from_pod_json, err, errlen);
	}
	return 0;
}

static int from_api(const struct meta_sources *s, const char *id, struct container_meta *m,
		    char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(s->api_sockets) / sizeof(s->api_sockets[0]); i++) {
		if (!s->api_sockets[i])
			break;
		if (from_api_socket(s, s->api_sockets[i], id, m, err, errlen) == 0)
			return 0;
	}
	return -1;
}

int container_meta_fetch(const struct meta_sources *s, const char *container_id,
			 struct container_meta *out, char *err, size_t errlen)
{
	char api_err[256] = "no API socket configured";
	bool state_seen = false, found;

	container_meta_init(out);
	if (!valid_container_id(container_id)) {
		snprintf(err, errlen, "invalid container id");
		return -1;
	}
	strcpy(out->id, container_id);
	found = from_bundle(s, out, &state_seen) == 0;
	found |= from_storage(s, out) == 0;
	found |= from_api(s, container_id, out, api_err, sizeof(api_err)) == 0;
	found |= state_seen;
	if (!found || finish(out, "runtime-state") != 0) {
		snprintf(err, errlen, "container %s: no bundle, no runtime state; API: %s",
			 container_id, api_err);
		container_meta_free(out);
		return -1;
	}
	if (errlen > 0)
		err[0] = '\0';
	return 0;
}

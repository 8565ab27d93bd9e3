/* cgroup_path.c - which workload a cgroup v2 path belongs to.
 *
 * The path is checked once for shape, then walked component by component.
 * Each component is either a self-describing container cgroup
 * ("docker-<id>.scope"), a directory that says what the next component
 * will be ("docker", "kubepods", "pod<uid>", "libpod_parent"), a systemd
 * unit worth remembering, or nothing we know.  The layouts and the choices
 * made for ambiguous paths are listed in cgroup_path.h.
 */
#include "util/hex.h"
#include "workload/cgroup_path.h"

#include <string.h>

/* A slice of the caller's buffer: never NUL-terminated. */
struct name {
	const char *s;
	size_t len;
};

/* What the previous component announced the next one may be. */
enum expect {
	EXPECT_NOTHING,
	EXPECT_DOCKER_ID,		/* after "docker" */
	EXPECT_KUBE_QOS_OR_POD,		/* after "kubepods" */
	EXPECT_KUBE_POD,		/* after "burstable" / "besteffort" */
	EXPECT_KUBE_CONTAINER,		/* after "pod<uid>" */
	EXPECT_LIBPOD_POD_OR_CONMON,	/* after "libpod_parent" */
	EXPECT_LIBPOD_CONMON,		/* after "libpod_parent/<podid>" */
};

struct scan {
	struct cgroup_workload *out;
	enum expect expect;
	bool in_runtime_tree;	/* saw a directory only runtimes create */
	bool matched;		/* out describes a container (or its monitor) */
	struct name unit;	/* innermost unit so far */
	struct name match_unit;	/* innermost unit at the matched container */
};

/* ---- small string helpers ------------------------------------------------ */

static bool name_is(struct name n, const char *word)
{
	size_t wlen = strlen(word);

	return n.len == wlen && memcmp(n.s, word, wlen) == 0;
}

static bool starts_with(struct name n, const char *prefix)
{
	size_t plen = strlen(prefix);

	return n.len >= plen && memcmp(n.s, prefix, plen) == 0;
}

static bool ends_with(struct name n, const char *suffix)
{
	size_t slen = strlen(suffix);

	return n.len >= slen && memcmp(n.s + n.len - slen, suffix, slen) == 0;
}

static struct name drop_front(struct name n, size_t count)
{
	struct name rest = { n.s + count, n.len - count };

	return rest;
}

static struct name drop_back(struct name n, size_t count)
{
	struct name rest = { n.s, n.len - count };

	return rest;
}

/* Runtimes write ids in lowercase; refusing uppercase keeps the top-level
 * runc guess from taking host cgroups with shouting names. */
static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_container_id(struct name n)
{
	if (n.len < CONTAINER_ID_MIN_LEN || n.len > CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n.len; i++)
		if (!is_lower_hex(n.s[i]))
			return false;
	return true;
}

/* Copy n into dst[cap], cutting it to fit; dst is always terminated. */
static void copy_name(char *dst, size_t cap, struct name n)
{
	size_t count = n.len < cap - 1 ? n.len : cap - 1;

	memcpy(dst, n.s, count);
	dst[count] = '\0';
}

static void copy_word(char *dst, size_t cap, const char *word)
{
	struct name n = { word, strlen(word) };

	copy_name(dst, cap, n);
}

/* ---- systemd unit names -------------------------------------------------- */

/* Only units that can hold processes: slices never do. */
static bool is_unit_name(struct name n)
{
	static const char *const suffixes[] = {
		".service", ".scope", ".socket", ".mount", ".swap",
	};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends_with(n, suffixes[i]) && n.len > strlen(suffixes[i]))
			return true;
	return false;
}

/* The byte a systemd "\xHH" escape at n.s[at] stands for, or -1 when there
 * is none there (or it would be a NUL, which must not end the string). */
static int escaped_byte(struct name n, size_t at)
{
	int high, low;

	if (n.len - at < 4 || n.s[at] != '\\' || n.s[at + 1] != 'x')
		return -1;
	high = hex_digit_value(n.s[at + 2]);
	low = hex_digit_value(n.s[at + 3]);
	if (high < 0 || low < 0 || (high == 0 && low == 0))
		return -1;
	return high * 16 + low;
}

/* Unescaping only shrinks, so a name within CGROUP_NAME_MAX fits unit[]. */
static void copy_unescaped(char *dst, size_t cap, struct name n)
{
	size_t out = 0, at = 0;

	while (at < n.len && out + 1 < cap) {
		int byte = escaped_byte(n, at);

		if (byte > 0) {
			dst[out++] = (char)byte;
			at += 4;
		} else {
			dst[out++] = n.s[at++];
		}
	}
	dst[out] = '\0';
}

/* ---- recording what was found -------------------------------------------- */

/* id.len == 0 for a monitor cgroup shared by several containers. */
static void record_container(struct scan *s, enum container_runtime runtime,
			     struct name id, bool conmon)
{
	struct cgroup_workload *out = s->out;

	out->kind = conmon ? WORKLOAD_HOST : WORKLOAD_CONTAINER;
	out->runtime = runtime;
	copy_name(out->container_id, sizeof(out->container_id), id);
	out->id_truncated = id.len > 0 && id.len < CONTAINER_ID_LEN;
	out->conmon = conmon;
	s->matched = true;
	s->match_unit = s->unit;
}

/* Pod UIDs are UUIDs ("8-4-4-4-12" hex; systemd slice names carry '_' for
 * '-') or, for static pods, a 32-hex config hash. */
static bool parse_pod_uid(struct name n, char uid[POD_UID_LEN + 1])
{
	bool dashed = n.len == POD_UID_LEN;

	if (!dashed && n.len != 32)
		return false;
	for (size_t i = 0; i < n.len; i++) {
		bool dash_here = dashed && (i == 8 || i == 13 || i == 18 || i == 23);
		char c = n.s[i];

		if (dash_here ? (c != '-' && c != '_') : !is_lower_hex(c))
			return false;
		uid[i] = dash_here ? '-' : c;
	}
	uid[n.len] = '\0';
	return true;
}

static bool take_pod_uid(struct scan *s, struct name uid)
{
	struct cgroup_workload *out = s->out;

	if (!parse_pod_uid(uid, out->pod_uid)) {
		out->pod_uid[0] = '\0';
		return false;
	}
	if (out->qos[0] == '\0')	/* pods right under kubepods */
		copy_word(out->qos, sizeof(out->qos), "guaranteed");
	return true;
}

/* The root of a (possibly nested) Kubernetes tree: forget any outer pod. */
static void start_kubepods(struct scan *s)
{
	s->out->qos[0] = '\0';
	s->out->pod_uid[0] = '\0';
}

/* "burstable" or "besteffort" at the front of n: its length, else 0. */
static size_t take_qos(struct scan *s, struct name n)
{
	static const char *const classes[] = { "burstable", "besteffort" };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (starts_with(n, classes[i])) {
			copy_word(s->out->qos, sizeof(s->out->qos), classes[i]);
			return strlen(classes[i]);
		}
	}
	return 0;
}

/* ---- component matchers -------------------------------------------------- */

static const struct scoped_prefix {
	const char *prefix;
	enum container_runtime runtime;
	bool conmon;
} scoped_prefixes[] = {
	{ "docker-", RUNTIME_DOCKER, false },
	{ "cri-containerd-", RUNTIME_CONTAINERD, false },
	{ "nerdctl-", RUNTIME_CONTAINERD, false },
	{ "crio-conmon-", RUNTIME_CRIO, true },
	{ "crio-", RUNTIME_CRIO, false },
	{ "libpod-conmon-", RUNTIME_PODMAN, true },
	{ "libpod-", RUNTIME_PODMAN, false },
	{ "runc-", RUNTIME_RUNC, false },
};

/* "<prefix><id>" or "<prefix><id>.scope": these name their runtime, so
 * they count wherever they appear (custom cgroup parents, rootless). */
static bool match_scoped_container(struct scan *s, struct name n)
{
	struct name bare = n;

	if (ends_with(bare, ".scope"))
		bare = drop_back(bare, strlen(".scope"));
	for (size_t i = 0; i < sizeof(scoped_prefixes) / sizeof(scoped_prefixes[0]); i++) {
		const struct scoped_prefix *p = &scoped_prefixes[i];
		struct name id;

		if (!starts_with(bare, p->prefix))
			continue;
		id = drop_front(bare, strlen(p->prefix));
		if (is_container_id(id)) {
			record_container(s, p->runtime, id, p->conmon);
			return true;
		}
	}
	return false;
}

static bool match_kube_pod_dir(struct scan *s, struct name n)
{
	if (!starts_with(n, "pod") || !take_pod_uid(s, drop_front(n, 3)))
		return false;
	s->expect = EXPECT_KUBE_CONTAINER;
	return true;
}

/* A component the previous one announced (cgroupfs layouts). */
static bool match_expected(struct scan *s, struct name n, enum expect expected)
{
	static const struct name none = { "", 0 };

	switch (expected) {
	case EXPECT_DOCKER_ID:
		if (!is_container_id(n))
			return false;
		record_container(s, RUNTIME_DOCKER, n, false);
		return true;
	case EXPECT_KUBE_QOS_OR_POD:
		if (take_qos(s, n) == n.len) {
			s->expect = EXPECT_KUBE_POD;
			return true;
		}
		s->out->qos[0] = '\0';
		return match_kube_pod_dir(s, n);
	case EXPECT_KUBE_POD:
		return match_kube_pod_dir(s, n);
	case EXPECT_KUBE_CONTAINER:
		if (!is_container_id(n))
			return false;
		record_container(s, RUNTIME_CONTAINERD, n, false);
		return true;
	case EXPECT_LIBPOD_POD_OR_CONMON:
		if (is_container_id(n)) {
			copy_name(s->out->pod_id, sizeof(s->out->pod_id), n);
			s->expect = EXPECT_LIBPOD_CONMON;
			return true;
		}
		/* fall through */
	case EXPECT_LIBPOD_CONMON:
		if (!name_is(n, "conmon"))
			return false;
		record_container(s, RUNTIME_PODMAN, none, true);
		return true;
	case EXPECT_NOTHING:
		break;
	}
	return false;
}

/* "[prefix-]kubepods[-<qos>][-pod<uid>].slice" (systemd cgroup driver; a
 * kubelet --cgroup-root adds the prefix, e.g. kind's "kubelet-"). */
static bool match_kubepods_slice(struct scan *s, struct name n)
{
	struct name stem, rest;
	const char *at;
	size_t qos_len;

	if (!ends_with(n, ".slice"))
		return false;
	stem = drop_back(n, strlen(".slice"));
	at = memmem(stem.s, stem.len, "kubepods", strlen("kubepods"));
	if (!at || (at != stem.s && at[-1] != '-'))
		return false;
	s->in_runtime_tree = true;
	rest = drop_front(stem, (size_t)(at - stem.s) + strlen("kubepods"));
	if (rest.len == 0)
		start_kubepods(s);
	if (rest.len == 0 || rest.s[0] != '-')
		return true;
	rest = drop_front(rest, 1);
	qos_len = take_qos(s, rest);
	rest = drop_front(rest, qos_len);
	if (qos_len > 0 && rest.len > 0) {
		if (rest.s[0] != '-') {		/* "burstablefoo" is no class */
			s->out->qos[0] = '\0';
			return true;
		}
		rest = drop_front(rest, 1);
	}
	if (starts_with(rest, "pod") && take_pod_uid(s, drop_front(rest, 3)))
		s->expect = EXPECT_KUBE_CONTAINER;
	return true;
}

/* "machine-libpod_pod_<podid>.slice", or rootless "user-libpod_pod_...". */
static bool match_libpod_pod_slice(struct scan *s, struct name n)
{
	static const char marker[] = "libpod_pod_";
	struct name stem, id;
	const char *at;

	if (!ends_with(n, ".slice"))
		return false;
	stem = drop_back(n, strlen(".slice"));
	at = memmem(stem.s, stem.len, marker, strlen(marker));
	if (!at)
		return false;
	id = drop_front(stem, (size_t)(at - stem.s) + strlen(marker));
	if (!is_container_id(id))
		return false;
	s->in_runtime_tree = true;
	copy_name(s->out->pod_id, sizeof(s->out->pod_id), id);
	return true;
}

/* Directories that only runtimes create, announcing the next component. */
static void match_runtime_parent(struct scan *s, struct name n)
{
	if (name_is(n, "docker")) {
		s->expect = EXPECT_DOCKER_ID;
	} else if (name_is(n, "kubepods")) {
		start_kubepods(s);
		s->expect = EXPECT_KUBE_QOS_OR_POD;
	} else if (name_is(n, "libpod_parent")) {
		s->expect = EXPECT_LIBPOD_POD_OR_CONMON;
	} else {
		if (!match_kubepods_slice(s, n))
			match_libpod_pod_slice(s, n);
		return;
	}
	s->in_runtime_tree = true;
}

static void scan_component(struct scan *s, struct name n, size_t depth)
{
	enum expect expected = s->expect;

	s->expect = EXPECT_NOTHING;
	if (is_unit_name(n))
		s->unit = n;
	if (match_scoped_container(s, n) || match_expected(s, n, expected))
		return;
	/* runc's own cgroupfs layout is "/<container name>" (see the header) */
	if (depth == 0 && is_container_id(n)) {
		record_container(s, RUNTIME_RUNC, n, false);
		return;
	}
	match_runtime_parent(s, n);
}

/* ---- the whole path -------------------------------------------------------- */

/* The component starting at *at (just past a '/'); moves *at past it and
 * the slash that ends it. */
static struct name next_component(const char *path, size_t len, size_t *at)
{
	struct name n = { path + *at, 0 };

	while (*at + n.len < len && path[*at + n.len] != '/')
		n.len++;
	*at += n.len + 1;
	return n;
}

/* No NUL, no empty component (a trailing '/' ends the path rather than
 * starting an empty one), no "." or "..", none over CGROUP_NAME_MAX. */
static bool path_is_well_formed(const char *path, size_t len)
{
	if (len == 0 || len > CGROUP_PATH_MAX || path[0] != '/')
		return false;
	if (memchr(path, '\0', len))
		return false;
	for (size_t at = 1; at < len;) {
		struct name n = next_component(path, len, &at);

		if (n.len == 0 || n.len > CGROUP_NAME_MAX || name_is(n, ".") ||
		    name_is(n, ".."))
			return false;
	}
	return true;
}

static void finish(struct scan *s)
{
	struct cgroup_workload *out = s->out;
	struct name unit = s->matched ? s->match_unit : s->unit;

	if (!s->matched)
		out->kind = s->in_runtime_tree ? WORKLOAD_UNKNOWN : WORKLOAD_HOST;
	if (out->kind != WORKLOAD_UNKNOWN && unit.len > 0)
		copy_unescaped(out->unit, sizeof(out->unit), unit);
}

int cgroup_path_parse(const char *path, size_t len, struct cgroup_workload *out)
{
	struct scan s = { .out = out };
	size_t depth = 0;

	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if (!path)
		return len == 0 ? 0 : -1;
	if (!path_is_well_formed(path, len))
		return 0;
	for (size_t at = 1; at < len;)
		scan_component(&s, next_component(path, len, &at), depth++);
	finish(&s);
	return 0;
}

const char *workload_kind_name(enum workload_kind kind)
{
	switch (kind) {
	case WORKLOAD_HOST:
		return "host";
	case WORKLOAD_CONTAINER:
		return "container";
	case WORKLOAD_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *container_runtime_name(enum container_runtime runtime)
{
	switch (runtime) {
	case RUNTIME_DOCKER:
		return "docker";
	case RUNTIME_CONTAINERD:
		return "containerd";
	case RUNTIME_CRIO:
		return "cri-o";
	case RUNTIME_PODMAN:
		return "podman";
	case RUNTIME_RUNC:
		return "runc";
	case RUNTIME_UNKNOWN:
		return "unknown";
	case RUNTIME_NONE:
		break;
	}
	return "";
}

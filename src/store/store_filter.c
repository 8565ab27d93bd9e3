/* store_filter.c - the hot-path decision of which events to keep. */
#include "store/store_filter.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>

/* Names with their lengths, so the hot path never calls strlen. */
struct name {
	const char *s;
	size_t len;
};
#define NAME(text) { text, sizeof(text) - 1 }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Events kept by type alone (besides exec, exit and open). */
static const struct name kept_types[] = {
	NAME("unlink"), NAME("rename"), NAME("chmod"), NAME("chown"), NAME("mkdir"),
	NAME("link"), NAME("symlink"), NAME("mount"), NAME("memfd"), NAME("connect"),
	NAME("accept"), NAME("bind"), NAME("listen"), NAME("setuid"), NAME("capset"),
	NAME("ptrace"), NAME("module"), NAME("unshare"), NAME("setns"), NAME("bpf"),
	NAME("container_start"), NAME("container_stop"), NAME("model_mode"),
};

/* Reads of these reveal credentials or keys; prefixes ending in '/'
 * cover a directory. */
static const struct name sensitive_prefixes[] = {
	NAME("/etc/shadow"), NAME("/etc/gshadow"), NAME("/etc/sudoers"), NAME("/etc/ssh/"),
	NAME("/etc/pam.d/"), NAME("/etc/security/"), NAME("/etc/kubernetes/"),
	NAME("/etc/ssl/private/"), NAME("/root/"), NAME("/var/run/secrets/"),
	NAME("/run/secrets/"), NAME("/var/lib/kubelet/"), NAME("/proc/kcore"), NAME("/dev/mem"),
	NAME("/dev/kmem"), NAME("/boot/"),
};

/* Files of a home directory worth a record when read ("/home/NAME/" + these). */
static const struct name sensitive_home[] = {
	NAME(".ssh/"), NAME(".aws/"), NAME(".kube/"), NAME(".gnupg/"), NAME(".docker/config.json"),
	NAME(".bash_history"),
};

static bool starts_with(const char *s, size_t len, const struct name *prefix)
{
	return len >= prefix->len && s[1] == prefix->s[1] && memcmp(s, prefix->s, prefix->len) == 0;
}

bool store_filter_sensitive_path(const char *path, size_t len)
{
	static const struct name home = NAME("/home/");

	for (size_t i = 0; i < COUNT(sensitive_prefixes); i++)
		if (starts_with(path, len, &sensitive_prefixes[i]))
			return true;
	if (starts_with(path, len, &home)) {
		const char *user = path + 6;
		const char *slash = memchr(user, '/', len - 6);

		if (!slash)
			return false;
		slash++;
		for (size_t i = 0; i < COUNT(sensitive_home); i++)
			if (starts_with(slash, len - (size_t)(slash - path), &sensitive_home[i]))
				return true;
	}
	return false;
}

/* The first `key` (which starts with '"') in s: memchr on its second
 * byte, a letter, skips the many quotes of JSON text; glibc's memmem
 * costs more in setting up than in searching these short spans. */
static const char *find_key(const char *s, size_t len, const char *key, size_t klen)
{
	const char *p = s + 1, *end = s + len;

	while (p < end && (p = memchr(p, key[1], (size_t)(end - p)))) {
		if (p[-1] == '"' && (size_t)(end - p) >= klen - 1 &&
		    memcmp(p, key + 1, klen - 1) == 0)
			return p - 1;
		p++;
	}
	return NULL;
}

/* Bytes of the string value at v, up to its closing quote (escapes
 * are skipped over, not decoded). */
static size_t string_length(const char *v, const char *limit)
{
	const char *end;

	for (end = v; end < limit && *end != '"'; end++)
		if (*end == '\\' && end + 1 < limit)
			end++;
	return (size_t)(end - v);
}

/* The string value after `key` (a pattern ending in the opening quote):
 * points into json, *n up to the closing quote (escapes left as they are). */
static const char *string_after(const char *json, size_t len, const char *key, size_t *n)
{
	size_t klen = strlen(key);
	const char *v = len > klen ? find_key(json, len, key, klen) : NULL;

	if (!v)
		return NULL;
	v += klen;
	*n = string_length(v, json + len);
	return v;
}

static long long number_after(const char *from, const char *end, const char *key, bool *found)
{
	size_t klen = strlen(key);
	const char *v = end - from > (long)klen ? find_key(from, (size_t)(end - from), key, klen) :
			NULL;
	long long x = 0;
	int sign = 1;

	*found = false;
	if (!v)
		return 0;
	v += klen;
	if (v < end && *v == '-') {
		sign = -1;
		v++;
	}
	for (; v < end && *v >= '0' && *v <= '9' && x < (1LL << 40); v++) {
		x = x * 10 + (*v - '0');
		*found = true;
	}
	return sign * x;
}

/* Like string_after, searching from the end: "file" follows the long
 * "proc" object and precedes only "workload", so this reads a few
 * hundred bytes instead of the whole record. */
static const char *string_after_backward(const char *json, size_t len, const char *key,
					 size_t *n)
{
	size_t klen = strlen(key);
	const char *p;

	if (len < klen)
		return NULL;
	for (p = json + len - klen; p >= json; p--)
		if (*p == key[0] && p[1] == key[1] && memcmp(p, key, klen) == 0)
			break;
	if (p < json)
		return NULL;
	p += klen;
	*n = string_length(p, json + len);
	return p;
}

static bool keep_open(const char *json, size_t len)
{
	const char *end = json + len, *file;
	size_t plen;
	const char *path = string_after_backward(json, len, "\"file\":{\"path\":\"", &plen);
	bool found;
	long long flags, ret;

	if (path && store_filter_sensitive_path(path, plen))
		return true;
	ret = number_after(json, end, "\"ret\":", &found);
	if (found && (ret == -1 || ret == -13))	/* EPERM, EACCES: someone probing */
		return true;
	file = path ? path + plen : json;
	flags = number_after(file, end, "\"flags\":", &found);
	if (!found)
		return false;
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

bool store_filter_keep_event(const char *json, size_t len, enum store_events_mode mode,
			     bool keep_exit)
{
	size_t n;
	const char *type;

	if (mode == STORE_EVENTS_ALL)
		return true;
	if (mode == STORE_EVENTS_NONE)
		return false;
	type = string_after(json, len, "\"event\":\"", &n);
	if (!type)
		return false;
	if (n == 4 && memcmp(type, "exec", 4) == 0)
		return true;
	if (n == 4 && memcmp(type, "exit", 4) == 0)
		return keep_exit;
	if (n == 4 && memcmp(type, "open", 4) == 0)
		return keep_open(json, len);
	for (size_t i = 0; i < COUNT(kept_types); i++)
		if (kept_types[i].len == n && memcmp(type, kept_types[i].s, n) == 0)
			return true;
	return false;
}

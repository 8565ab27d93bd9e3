/* store_filter.c - the hot-path decision of which events to keep. */
#include "store/store_filter.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>

/* Events kept by type alone (besides exec, exit and open). */
static const char *const kept_types[] = {
	"unlink", "rename", "chmod", "chown", "mkdir", "link", "symlink", "mount", "memfd",
	"connect", "accept", "bind", "listen", "setuid", "capset", "ptrace", "module",
	"unshare", "setns", "bpf", "container_start", "container_stop", "model_mode",
};

/* Reads of these reveal credentials or keys; prefixes ending in '/'
 * cover a directory. */
static const char *const sensitive_prefixes[] = {
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/", "/etc/pam.d/",
	"/etc/security/", "/etc/kubernetes/", "/etc/ssl/private/", "/root/",
	"/var/run/secrets/", "/run/secrets/", "/var/lib/kubelet/", "/proc/kcore",
	"/dev/mem", "/dev/kmem", "/boot/",
};

/* Files of a home directory worth a record when read ("/home/NAME/" + these). */
static const char *const sensitive_home[] = {
	".ssh/", ".aws/", ".kube/", ".gnupg/", ".docker/config.json", ".bash_history",
};

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

bool store_filter_sensitive_path(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof(sensitive_prefixes) / sizeof(sensitive_prefixes[0]); i++)
		if (starts_with(path, len, sensitive_prefixes[i]))
			return true;
	if (starts_with(path, len, "/home/")) {
		const char *user = path + 6;
		const char *slash = memchr(user, '/', len - 6);

		if (!slash)
			return false;
		slash++;
		for (size_t i = 0; i < sizeof(sensitive_home) / sizeof(sensitive_home[0]); i++)
			if (starts_with(slash, len - (size_t)(slash - path), sensitive_home[i]))
				return true;
	}
	return false;
}

/* The string value after `key` (a pattern ending in the opening quote):
 * points into json, *n up to the closing quote (escapes left as they are). */
static const char *string_after(const char *json, size_t len, const char *key, size_t *n)
{
	size_t klen = strlen(key);
	const char *v = memmem(json, len, key, klen), *end;

	if (!v)
		return NULL;
	v += klen;
	for (end = v; end < json + len && *end != '"'; end++)
		if (*end == '\\' && end + 1 < json + len)
			end++;
	*n = (size_t)(end - v);
	return v;
}

static long long number_after(const char *from, const char *end, const char *key, bool *found)
{
	size_t klen = strlen(key);
	const char *v = memmem(from, (size_t)(end - from), key, klen);
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

static bool keep_open(const char *json, size_t len)
{
	const char *end = json + len, *file;
	size_t plen;
	const char *path = string_after(json, len, "\"file\":{\"path\":\"", &plen);
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
	for (size_t i = 0; i < sizeof(kept_types) / sizeof(kept_types[0]); i++)
		if (strlen(kept_types[i]) == n && memcmp(type, kept_types[i], n) == 0)
			return true;
	return false;
}

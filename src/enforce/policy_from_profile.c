/* policy_from_profile.c - a learned behaviour model written as a policy.
 *
 * What is allowed: every executable the model saw (and, for busybox
 * applets, the applet's usual paths, so that checks on the exe and checks
 * on the path exec'd both pass), every outgoing peer and listening port.
 * Defaults: process block, network audit, file allow.  Executables are
 * learned exactly and are few, so blocking the rest is safe; peers and
 * files are generalised ("10.1.2.*", "DIR/\*") and learning may not have
 * seen every one (a backup job once a week), so they are only audited or
 * allowed: a generated policy must not take a service down.
 *
 * The model's keys come from monitored processes and may hold anything:
 * every string is written double-quoted with escapes, glob characters in
 * paths are escaped with '\' so they stay literal, and keys that cannot
 * be written faithfully (invalid UTF-8, not normalised) are left out and
 * counted in the header.
 */
#include "enforce/policy_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "model/profile.h"

#define APPLET_MAX 64

struct collected {
	char **items;
	size_t count;
	size_t skipped;		/* keys that could not be written */
	bool failed;		/* out of memory */
	uint64_t first, last;	/* learning period seen in the keys */
};

static void add_item(struct collected *c, const char *s, size_t len)
{
	char **grown, *copy;

	if (c->failed)
		return;
	copy = strndup(s, len);
	grown = copy ? realloc(c->items, (c->count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(copy);
		c->failed = true;
		return;
	}
	grown[c->count++] = copy;
	c->items = grown;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, duplicates dropped. */
static void settle(struct collected *c)
{
	size_t out = 0;

	if (!c->count)
		return;
	qsort(c->items, c->count, sizeof(*c->items), compare_strings);
	for (size_t i = 0; i < c->count; i++) {
		if (out && !strcmp(c->items[out - 1], c->items[i]))
			free(c->items[i]);
		else
			c->items[out++] = c->items[i];
	}
	c->count = out;
}

static void release(struct collected *c)
{
	for (size_t i = 0; i < c->count; i++)
		free(c->items[i]);
	free(c->items);
}

static void note_period(struct collected *c, const struct profile_entry_info *e)
{
	if (!c->first || e->first_seen_ns < c->first)
		c->first = e->first_seen_ns;
	if (e->last_seen_ns > c->last)
		c->last = e->last_seen_ns;
}

/* ---- writing YAML ------------------------------------------------------------ */

static bool valid_utf8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		size_t n = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2 : (*u & 0xf0) == 0xe0 ? 3 :
			(*u & 0xf8) == 0xf0 ? 4 : 0;

		if (!n || (n == 2 && *u < 0xc2) || (n == 4 && *u > 0xf4))
			return false;
		for (size_t i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return false;
		if ((n == 3 && *u == 0xe0 && u[1] < 0xa0) || (n == 3 && *u == 0xed && u[1] >= 0xa0) ||
		    (n == 4 && *u == 0xf0 && u[1] < 0x90) || (n == 4 && *u == 0xf4 && u[1] >= 0x90))
			return false;	/* overlong, surrogate, beyond U+10FFFF */
		u += n;
	}
	return true;
}

/* s as a YAML double-quoted scalar; glob characters escaped for fnmatch
 * when literal is set. */
static void quoted(FILE *f, const char *s, bool literal)
{
	fputc('"', f);
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		if (literal && strchr("*?[\\", *u))
			fputs("\\\\", f);
		if (*u == '"' || *u == '\\')
			fprintf(f, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(f, "\\x%02x", *u);
		else
			fputc(*u, f);
	}
	fputc('"', f);
}

/* Can a path be written so that it parses back as itself? */
static bool writable_path(const char *s)
{
	return s[0] == '/' && strlen(s) < POLICY_PATH_MAX / 2 && valid_utf8(s) &&
	       policy_path_normalised(s);
}

/* ---- executables --------------------------------------------------------------- */

static bool applet_name_ok(const char *s, size_t len)
{
	if (!len || len > APPLET_MAX || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void add_path(struct collected *c, const char *s, size_t len)
{
	char buf[POLICY_PATH_MAX + 1];

	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	if (len > POLICY_PATH_MAX || !writable_path(buf))
		c->skipped++;
	else
		add_item(c, s, len);
}

/* "EXE[applet] <- PARENT as USER".  Both sides come from the monitored
 * processes, so " <- " may occur inside an exe; the first one is taken. */
static void exec_key(void *ctx, const struct profile_entry_info *e)
{
	static const char *const applet_dirs[] = {"/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"};
	struct collected *c = ctx;
	const char *arrow = strstr(e->key, " <- "), *open;
	size_t len = arrow ? (size_t)(arrow - e->key) : strlen(e->key);
	char path[APPLET_MAX + 16];

	note_period(c, e);
	if (e->key[0] != '/') {
		c->skipped += e->key[0] != '?';	/* "?": the exe was not known */
		return;
	}
	open = len > 2 && e->key[len - 1] == ']' ? memrchr(e->key, '[', len) : NULL;
	if (!open) {
		add_path(c, e->key, len);
		return;
	}
	add_path(c, e->key, (size_t)(open - e->key));
	if (!applet_name_ok(open + 1, (size_t)(e->key + len - 1 - open - 1)))
		return;
	for (size_t i = 0; i < sizeof(applet_dirs) / sizeof(applet_dirs[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s%.*s", applet_dirs[i],
				 (int)(e->key + len - 1 - open - 1), open + 1);

		add_path(c, path, (size_t)n);
	}
}

/* ---- peers ------------------------------------------------------------------------ */

/* "tcp 10.0.0.5:5432", "udp [fd00::1]:53", "tcp 10.1.2.*:443",
 * "tcp [fd00:1:2:3::*]:443", "tcp *:443" into one YAML flow rule
 * (without action and direction); false for anything else. */
static bool peer_rule(const char *key, char *out, size_t cap)
{
	const char *sp = strchr(key, ' '), *colon = strrchr(key, ':'), *proto = "any";
	char addr[INET6_ADDRSTRLEN + 8], cidr[sizeof(addr) + 8] = "";
	unsigned char bin[16];
	size_t alen;
	char *end;
	unsigned long port;

	if (!sp || !colon || colon < sp)
		return false;
	if (!strncmp(key, "tcp ", 4) || !strncmp(key, "udp ", 4))
		proto = key[0] == 't' ? "tcp" : "udp";
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return false;
	alen = (size_t)(colon - sp - 1);
	if (!alen || alen >= sizeof(addr))
		return false;
	memcpy(addr, sp + 1, alen);
	addr[alen] = '\0';
	if (!strcmp(addr, "*")) {
		snprintf(out, cap, "protocol: %s, ports: [%lu]", proto, port);
		return true;
	}
	if (alen > 2 && addr[0] == '[' && addr[alen - 1] == ']') {
		bool range = alen > 5 && !strcmp(addr + alen - 4, "::*]");

		addr[alen - (range ? 2 : 1)] = '\0';	/* "[fd00:1:2:3::*]" -> "fd00:1:2:3::" */
		if (inet_pton(AF_INET6, addr + 1, bin) != 1)
			return false;
		snprintf(cidr, sizeof(cidr), "%s/%d", addr + 1, range ? 64 : 128);
	} else {
		bool range = alen > 2 && !strcmp(addr + alen - 2, ".*");

		if (range)
			strcpy(addr + alen - 1, "0");	/* "10.1.2.*" -> "10.1.2.0" */
		if (inet_pton(AF_INET, addr, bin) != 1)
			return false;
		snprintf(cidr, sizeof(cidr), "%s/%d", addr, range ? 24 : 32);
	}
	snprintf(out, cap, "cidr: \"%s\", protocol: %s, ports: [%lu]", cidr, proto, port);
	return true;
}

/* "tcp :8080" */
static bool listen_rule(const char *key, char *out, size_t cap)
{
	const char *proto = !strncmp(key, "tcp :", 5) ? "tcp" : !strncmp(key, "udp :", 5) ? "udp" :
		NULL;
	char *end;
	unsigned long port;

	if (!proto)
		return false;
	port = strtoul(key + 5, &end, 10);
	if (*end || end == key + 5 || port > 65535)
		return false;
	snprintf(out, cap, "protocol: %s, ports: [%lu]", proto, port);
	return true;
}

static void net_key(struct collected *c, const struct profile_entry_info *e,
		    bool (*convert)(const char *, char *, size_t))
{
	char rule[160];

	note_period(c, e);
	if (convert(e->key, rule, sizeof(rule)))
		add_item(c, rule, strlen(rule));
	else if (strncmp(e->key, "unix ", 5))
		c->skipped++;	/* unix sockets are not network rules */
}

static void net_out_key(void *ctx, const struct profile_entry_info *e)
{
	net_key(ctx, e, peer_rule);
}

static void listen_key(void *ctx, const struct profile_entry_info *e)
{
	net_key(ctx, e, listen_rule);
}

/* ---- the document ------------------------------------------------------------------ */

static void selector_term(FILE *f, const char *key, const char *value)
{
	fprintf(f, ", %s: ", key);
	quoted(f, value, true);
}

static bool known(const char *s)
{
	return s && s[0] && valid_utf8(s);
}

static void write_selector(FILE *f, const struct policy_subject *s)
{
	if (!s) {
		fputs("selector: {any: true}\n", f);
		return;
	}
	fprintf(f, "selector: {workload.kind: %s",
		s->kind == POLICY_WORKLOAD_CONTAINER ? "container" : "host");
	if (s->kind == POLICY_WORKLOAD_CONTAINER) {
		if (known(s->container_image))
			selector_term(f, "container.image", s->container_image);
		else if (known(s->container_name))
			selector_term(f, "container.name", s->container_name);
		else if (known(s->container_id))
			selector_term(f, "container.id", s->container_id);
	} else if (known(s->host_unit)) {
		selector_term(f, "host.unit", s->host_unit);
	} else if (known(s->host_exe)) {
		selector_term(f, "host.exe", s->host_exe);
	}
	fputs("}\n", f);
}

static const char *subject_text(const struct policy_subject *s)
{
	if (!s)
		return "any workload";
	if (s->kind == POLICY_WORKLOAD_CONTAINER)
		return known(s->container_image) ? s->container_image :
			known(s->container_name) ? s->container_name :
			known(s->container_id) ? s->container_id : "a container";
	return known(s->host_unit) ? s->host_unit : known(s->host_exe) ? s->host_exe : "the host";
}

static void utc(char *buf, size_t cap, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!ns || !gmtime_r(&secs, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "?");
}

static void write_header(FILE *f, const struct policy_subject *s, const struct collected *all)
{
	char what[160], first[32], last[32], now[32];

	utc(first, sizeof(first), all->first);
	utc(last, sizeof(last), all->last);
	utc(now, sizeof(now), (uint64_t)time(NULL) * 1000000000ULL);
	fprintf(f, "# Generated by vigil %s from the behaviour model of %s,\n", now,
		policy_shown(subject_text(s), what, sizeof(what)));
	fprintf(f, "# learned from %s to %s.  Allows what the model saw; blocks other\n"
		"# executables, audits other network peers (learned peers are generalised\n"
		"# and may be incomplete) and allows files.  Review before enforcing.\n",
		first, last);
	if (all->skipped)
		fprintf(f, "# %zu learned keys could not be written as rules and were left out.\n",
			all->skipped);
}

static void write_process(FILE *f, const struct collected *exes)
{
	if (!exes->count) {
		fputs("process: []  # no executable learned: every exec is blocked\n", f);
		return;
	}
	fputs("process:\n  - action: allow\n    paths:\n", f);
	for (size_t i = 0; i < exes->count; i++) {
		fputs("      - ", f);
		quoted(f, exes->items[i], true);
		fputc('\n', f);
	}
}

static void write_network(FILE *f, const struct collected *out, const struct collected *in)
{
	if (!out->count && !in->count) {
		fputs("network: []\n", f);
		return;
	}
	fputs("network:\n", f);
	for (size_t i = 0; i < out->count; i++)
		fprintf(f, "  - {action: allow, direction: out, %s}\n", out->items[i]);
	for (size_t i = 0; i < in->count; i++)
		fprintf(f, "  - {action: allow, direction: in, %s}\n", in->items[i]);
}

char *policy_from_profile(const struct profile *prof, const char *policy_name,
			  const struct policy_subject *subject)
{
	struct collected exes = {0}, out = {0}, in = {0}, all;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!prof || !policy_name || !policy_name_valid(policy_name))
		return NULL;
	profile_each(prof, PROF_EXEC, exec_key, &exes);
	profile_each(prof, PROF_NET_OUT, net_out_key, &out);
	profile_each(prof, PROF_LISTEN, listen_key, &in);
	settle(&exes);
	settle(&out);
	settle(&in);
	all = exes;
	all.skipped += out.skipped + in.skipped;
	all.first = exes.first;
	for (const struct collected *c = &out; c; c = c == &out ? &in : NULL) {
		if (c->first && (!all.first || c->first < all.first))
			all.first = c->first;
		if (c->last > all.last)
			all.last = c->last;
	}
	f = !exes.failed && !out.failed && !in.failed ? open_memstream(&text, &len) : NULL;
	if (f) {
		write_header(f, subject, &all);
		fprintf(f, "policy: %s\n", policy_name);
		write_selector(f, subject);
		write_process(f, &exes);
		write_network(f, &out, &in);
		fputs("file: []\ndefault: {process: block, network: audit, file: allow}\n", f);
		if (ferror(f)) {
			fclose(f);
			free(text);
			text = NULL;
		} else if (fclose(f)) {
			free(text);
			text = NULL;
		}
	}
	release(&exes);
	release(&out);
	release(&in);
	return text;
}

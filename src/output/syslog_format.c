/* syslog_format.c - RFC 5424 messages with a JSON or CEF body. */
#include "output/syslog_format.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int syslog_parse_address(const char *text, struct syslog_address *a, char *err, size_t errlen)
{
	const char *rest, *colon;
	char *end;
	long port;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!strncmp(text, "unix:", 5)) {
		a->transport = SYSLOG_UNIX;
		if (text[5] != '/' || strlen(text + 5) >= sizeof(a->path)) {
			snprintf(err, errlen, "'%s': want unix:/absolute/socket/path", text);
			return -1;
		}
		strcpy(a->path, text + 5);
		return 0;
	}
	if (!strncmp(text, "udp:", 4))
		a->transport = SYSLOG_UDP;
	else if (!strncmp(text, "tcp:", 4))
		a->transport = SYSLOG_TCP;
	else {
		snprintf(err, errlen, "'%s': unknown scheme (unix:PATH, udp:HOST:PORT, tcp:HOST:PORT)",
			 text);
		return -1;
	}
	rest = text + 4;
	colon = strrchr(rest, ':');
	if (!colon || colon == rest) {
		snprintf(err, errlen, "'%s': want %.3s:HOST:PORT", text, text);
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == 0 || *end || port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s': port must be 1-65535", text);
		return -1;
	}
	n = colon - rest;
	if (n >= 2 && rest[0] == '[' && rest[n - 1] == ']') {
		rest++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(a->host)) {
		snprintf(err, errlen, "'%s': bad host", text);
		return -1;
	}
	memcpy(a->host, rest, n);
	a->host[n] = 0;
	a->port = (int)port;
	return 0;
}

int syslog_facility_from_name(const char *name)
{
	static const struct { const char *name; int code; } names[] = {
		{"user", 1}, {"daemon", 3}, {"auth", 4}, {"security", 4}, {"authpriv", 10},
		{"local0", 16}, {"local1", 17}, {"local2", 18}, {"local3", 19},
		{"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(names[i].name, name))
			return names[i].code;
	return -1;
}

/* Escape the characters in `special` with a backslash; line breaks as \n. */
static size_t escape(char *out, size_t cap, const char *in, const char *special, bool breaks)
{
	size_t o = 0;

	if (!cap)
		return 0;
	for (; in && *in && o + 3 < cap; in++) {
		if (breaks && (*in == '\n' || *in == '\r')) {
			out[o++] = '\\';
			out[o++] = *in == '\n' ? 'n' : 'r';
		} else if (strchr(special, *in)) {
			out[o++] = '\\';
			out[o++] = *in;
		} else if ((unsigned char)*in < 0x20) {
			out[o++] = ' ';	/* no control bytes in a syslog line */
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
	return o;
}

size_t syslog_escape_sd(char *out, size_t cap, const char *in)
{
	return escape(out, cap, in, "\"\\]", true);
}

size_t cef_escape_header(char *out, size_t cap, const char *in)
{
	return escape(out, cap, in, "|\\", true);
}

size_t cef_escape_value(char *out, size_t cap, const char *in)
{
	return escape(out, cap, in, "=\\", true);
}

static const char *str_at(const cJSON *root, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double num_at(const cJSON *root, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static const char *msgid_of(const struct out_record *r, const cJSON *j)
{
	static const char *const names[OUT_KIND_MAX] = {"event", "alert", "incident", "action",
							 "model"};
	const char *kind = str_at(j, "kind", NULL);

	if (r->kind == OUT_ALERT && kind && (!strcmp(kind, "anomaly") || !strcmp(kind, "block")))
		return kind;
	return r->kind < OUT_KIND_MAX ? names[r->kind] : "record";
}

/* What the record is about, in a few words. */
static const char *name_of(const cJSON *j)
{
	const char *s;

	if ((s = str_at(j, "rule", NULL)) || (s = str_at(j, "title", NULL)) ||
	    (s = str_at(j, "action", NULL)) || (s = str_at(j, "event", NULL)))
		return s;
	return "vigil";
}

static int cef_severity(int priority)
{
	static const int map[9] = {10, 9, 8, 7, 5, 4, 3, 1, 3};

	return map[priority >= 0 && priority <= 8 ? priority : 8];
}

struct buf {
	char *p;
	size_t len, cap;
};

static void add(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!b->p)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			free(b->p);
			b->p = NULL;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* key=value with the value escaped, when the value is known. */
static void cef_ext(struct buf *b, const char *key, const char *value)
{
	char esc[8192];

	if (!value || !*value)
		return;
	cef_escape_value(esc, sizeof(esc), value);
	add(b, " ");
	add(b, key);
	add(b, "=");
	add(b, esc);
}

static void cef_body(struct buf *b, const struct out_record *r, const cJSON *j, const char *host,
		     const char *version)
{
	char name[1024], sig[1024], num[64];
	const char *rule = name_of(j);

	cef_escape_header(name, sizeof(name), rule);
	cef_escape_header(sig, sizeof(sig), rule);
	snprintf(num, sizeof(num), "|%d|", cef_severity(r->priority));
	add(b, "CEF:0|vigil|vigil|");
	add(b, version);
	add(b, "|");
	add(b, sig);
	add(b, "|");
	add(b, name);
	add(b, num);
	snprintf(num, sizeof(num), "rt=%llu", (unsigned long long)(r->time_ns / 1000000));
	add(b, num);
	cef_ext(b, "dvchost", host);
	cef_ext(b, "msg", str_at(j, "output", NULL));
	if (num_at(j, "proc", "pid") >= 0) {
		snprintf(num, sizeof(num), "%.0f", num_at(j, "proc", "pid"));
		cef_ext(b, "spid", num);
	}
	cef_ext(b, "sproc", str_at(j, "proc", "exe"));
	cef_ext(b, "suser", str_at(j, "proc", "user"));
	cef_ext(b, "fname", str_at(j, "output_fields", "fd.name"));
	cef_ext(b, "act", str_at(j, "outcome", NULL));
	if (str_at(j, "workload", "name")) {
		cef_ext(b, "cs1Label", "container");
		cef_ext(b, "cs1", str_at(j, "workload", "name"));
	}
	if (str_at(j, "workload", "image")) {
		cef_ext(b, "cs2Label", "image");
		cef_ext(b, "cs2", str_at(j, "workload", "image"));
	}
	if (num_at(j, "anomaly", "score") >= 0) {
		snprintf(num, sizeof(num), "%.0f", num_at(j, "anomaly", "score"));
		cef_ext(b, "cn1Label", "score");
		cef_ext(b, "cn1", num);
	}
}

static void sd_param(struct buf *b, const char *key, const char *value)
{
	char esc[2048];

	if (!value)
		return;
	syslog_escape_sd(esc, sizeof(esc), value);
	add(b, " ");
	add(b, key);
	add(b, "=\"");
	add(b, esc);
	add(b, "\"");
}

char *syslog_format(const struct out_record *r, int facility, int cef, const char *host,
		    const char *version, size_t *len)
{
	struct buf b = {.p = malloc(512), .cap = 512};
	cJSON *j = cJSON_ParseWithLength(r->json, r->len);
	int severity = r->priority >= 0 && r->priority <= 7 ? r->priority : 6;
	char head[512], stamp[40], hostname[256];
	time_t secs = (time_t)(r->time_ns / 1000000000ULL);
	struct tm tm;

	if (!b.p) {
		cJSON_Delete(j);
		return NULL;
	}
	b.p[0] = 0;
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* HOSTNAME is PRINTUSASCII without spaces */
	snprintf(hostname, sizeof(hostname), "%s", host && *host ? host : "-");
	for (char *c = hostname; *c; c++)
		if (*c <= ' ' || *c > '~')
			*c = '_';
	snprintf(head, sizeof(head), "<%d>1 %s.%06lluZ %s vigil ", facility * 8 + severity, stamp,
		 (unsigned long long)(r->time_ns % 1000000000ULL / 1000), hostname);
	add(&b, head);
	if (num_at(j, "proc", "pid") >= 0) {
		snprintf(head, sizeof(head), "%.0f ", num_at(j, "proc", "pid"));
		add(&b, head);
	} else {
		add(&b, "- ");
	}
	add(&b, msgid_of(r, j));
	add(&b, " [vigil@32473");
	sd_param(&b, "name", name_of(j));
	sd_param(&b, "priority", str_at(j, "priority", NULL));
	sd_param(&b, "container", str_at(j, "workload", "name"));
	add(&b, "] ");
	if (cef) {
		cef_body(&b, r, j, host, version);
	} else if (b.p) {	/* the JSON as it is: one line already */
		char *copy = strndup(r->json, r->len);

		if (copy)
			add(&b, copy);
		free(copy);
	}
	cJSON_Delete(j);
	if (b.p)
		*len = b.len;
	return b.p;
}

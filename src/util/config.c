/* config.c - vigil's YAML configuration; see config.h.
 *
 * Everything about a key lives in one row of config_keys[]: its dotted
 * name, type, place in struct vigil_config, default (as the text a user
 * would write, parsed by the same code as the file so the two cannot
 * disagree) and documentation.  Loading walks libyaml's event stream,
 * turning nested mappings into dotted names and looking each one up.
 */
#include "util/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "sensor/event_names.h"

enum config_type {
	CONFIG_STRING,		/* char *, owned */
	CONFIG_BOOL,		/* bool */
	CONFIG_INT,		/* int, within [min, max] */
	CONFIG_SIZE,		/* uint64_t bytes */
	CONFIG_DURATION,	/* uint64_t nanoseconds */
	CONFIG_EVENTS,		/* uint64_t event mask */
	CONFIG_ENUM,		/* int index into choices */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *default_text;
	const char *doc;		/* lines separated by \n */
	long long min, max;		/* CONFIG_INT */
	const char *const *choices;	/* CONFIG_ENUM, NULL-terminated */
	/* Extra rule for sizes and durations: a problem, or NULL when fine. */
	const char *(*check)(uint64_t value);
};

static const char *const log_level_names[] = { "debug", "info", "warn", "error", NULL };

static const char *const matching_names[] = { "all", "first", NULL };
static const char *const fail_mode_names[] = { "closed", "open", NULL };
static const char *const dedup_by_names[] = { "exec_id", "exe", NULL };
static const char *const syslog_format_names[] = { "json", "cef", NULL };
static const char *const store_events_names[] = { "none", "security", "all", NULL };
/* Falco's priorities, most severe first (enum rules_priority order). */
static const char *const priority_names[] = {
	"emergency", "alert", "critical", "error", "warning", "notice", "informational",
	"debug", NULL,
};

static const char *check_ring_buffer_size(uint64_t bytes)
{
	/* The kernel's BPF ring buffer needs a power-of-two number of pages. */
	if (bytes < 4096 || (bytes & (bytes - 1)) != 0)
		return "must be a power of two of at least 4096 (such as 64K or 16M)";
	if (bytes > (UINT64_C(1) << 31))
		return "must be at most 2G";
	return NULL;
}

static const char *check_positive(uint64_t value)
{
	return value == 0 ? "must be greater than 0" : NULL;
}

#define FIELD(member) offsetof(struct vigil_config, member)

/* KEY(name, type, member, default, doc) plus optional designated extras. */
#define KEY(key, kind, member, def, text) \
	.name = (key), .type = (kind), .offset = FIELD(member), .default_text = (def), .doc = (text)

static const struct config_key config_keys[] = {
	{ KEY("state_dir", CONFIG_STRING, state_dir, "/var/lib/vigil",
	      "Directory for vigil's own state (audit store, learned profiles).") },
	{ KEY("log_level", CONFIG_ENUM, log_level, "info",
	      "Least severe message vigil logs about itself."),
	  .choices = log_level_names },
	{ KEY("sensor.events", CONFIG_EVENTS, sensor.events, "all",
	      "Events to report: \"all\", or a list such as [exec, open, connect].") },
	{ KEY("sensor.ring_buffer_size", CONFIG_SIZE, sensor.ring_buffer_size, "16M",
	      "Size of the kernel-to-vigil ring buffer; a power of two, at least 4K.\n"
	      "Events are dropped (and counted) when it fills up."),
	  .check = check_ring_buffer_size },
	{ KEY("sensor.wakeup_bytes", CONFIG_SIZE, sensor.wakeup_bytes, "256K",
	      "The reader is woken once this much is pending in the ring buffer;\n"
	      "below that it drains every poll_interval. Waking per event costs more.\n"
	      "Must be smaller than ring_buffer_size.") },
	{ KEY("sensor.poll_interval", CONFIG_DURATION, sensor.poll_interval_ns, "10ms",
	      "How often the reader drains the ring buffer when not woken."),
	  .check = check_positive },
	{ KEY("sensor.open_dedup_window", CONFIG_DURATION, sensor.open_dedup_window_ns, "10s",
	      "A process image that opens the same file the same way again within\n"
	      "this window is reported once (counted in stats as deduplicated).\n"
	      "The check runs in the kernel, before the costly part. 0 turns it off.") },
	{ KEY("sensor.max_processes", CONFIG_INT, sensor.max_processes, "65536",
	      "Most processes tracked at once (kernel maps and process table)."),
	  .min = 1024, .max = 4194304 },
	{ KEY("sensor.exclude_self", CONFIG_BOOL, sensor.exclude_self, "true",
	      "Do not report events caused by vigil itself.") },
	{ KEY("workload.attribution", CONFIG_BOOL, workload.attribution, "true",
	      "Attribute every event to its workload (host unit or container, with\n"
	      "container metadata) and report container_start/container_stop.") },
	{ KEY("workload.metadata_wait", CONFIG_DURATION, workload.metadata_wait_ns, "2s",
	      "How long events of a new container wait for its metadata before they\n"
	      "are written marked \"unresolved\" (they are never dropped).") },
	{ KEY("model.enabled", CONFIG_BOOL, model.enabled, "true",
	      "Learn a behaviour model per workload and alert on what is new once\n"
	      "the model is stable (kind \"anomaly\" alerts).") },
	{ KEY("model.learning_min", CONFIG_DURATION, model.learning_min_ns, "24h",
	      "A model learns at least this long before it may start monitoring\n"
	      "(also vigil run --learning-min).") },
	{ KEY("model.learning_quiet", CONFIG_DURATION, model.learning_quiet_ns, "2h",
	      "... and only once nothing new appeared for this long\n"
	      "(also vigil run --learning-quiet).") },
	{ KEY("model.alert_window", CONFIG_DURATION, model.alert_window_ns, "1s",
	      "Novelties of one process within this window make one anomaly alert."),
	  .check = check_positive },
	{ KEY("model.save_interval", CONFIG_DURATION, model.save_interval_ns, "10s",
	      "How often changed models are written to state_dir/models (and at exit).") },
	{ KEY("model.max_entries", CONFIG_INT, model.max_entries, "4096",
	      "Most behaviours per category of one model; beyond, paths and peers\n"
	      "generalise (a directory, an address range) instead of growing."),
	  .min = 64, .max = 1000000 },
	{ KEY("model.min_score", CONFIG_INT, model.min_score, "30",
	      "Novelties scoring below this (0-100) are learned without an alert\n"
	      "(what other containers of the same image already do scores low)."),
	  .min = 0, .max = 100 },
	{ KEY("model.hosts", CONFIG_BOOL, model.hosts, "true",
	      "Model host services too (by systemd unit, else by executable).") },
	{ KEY("rules.files", CONFIG_STRING, rules.files, "",
	      "Threat rules files (Falco's rule language), comma-separated, loaded in\n"
	      "order so later files can append to or override earlier ones.\n"
	      "\"\" loads vigil's built-in rules; \"none\" loads no rules.") },
	{ KEY("rules.matching", CONFIG_ENUM, rules.matching, "all",
	      "\"all\": every rule an event matches alerts; \"first\": only the first\n"
	      "in file order (Falco's default)."),
	  .choices = matching_names },
	{ KEY("rules.min_priority", CONFIG_ENUM, rules.min_priority, "debug",
	      "Rules less severe than this are not evaluated (emergency, alert,\n"
	      "critical, error, warning, notice, informational, debug)."),
	  .choices = priority_names },
	{ KEY("alerts.enabled", CONFIG_BOOL, alerts.enabled, "true",
	      "Pass alerts through the alert pipeline: identical alerts within\n"
	      "alerts.dedup_window become one line plus a summary with a count; alerts of\n"
	      "one workload and process tree form an incident (records with\n"
	      "\"incident_id\", a severity 0-100 and a title); exceptions silence known-good\n"
	      "cases; rate limits bound what one workload can send.") },
	{ KEY("alerts.dedup_window", CONFIG_DURATION, alerts.dedup_window_ns, "60s",
	      "Identical alerts (rule, workload, process, key fields) within this window\n"
	      "are one alert and one summary with their count."), .check = check_positive },
	{ KEY("alerts.incident_window", CONFIG_DURATION, alerts.incident_window_ns, "10m",
	      "An incident closes after this long without a new alert."),
	  .check = check_positive },
	{ KEY("alerts.rate_limit", CONFIG_INT, alerts.rate_limit, "20",
	      "Alerts forwarded per workload and minute; the rest are counted into\n"
	      "the incident and one note says how many."), .min = 1, .max = 1000000 },
	{ KEY("alerts.global_rate_limit", CONFIG_INT, alerts.global_rate_limit, "300",
	      "Alerts forwarded per minute over all workloads."), .min = 1, .max = 10000000 },
	{ KEY("alerts.dedup_by", CONFIG_ENUM, alerts.dedup_by, "exec_id",
	      "Process identity of identical alerts: \"exec_id\" (one process image) or\n"
	      "\"exe\" (every process of the same executable)."), .choices = dedup_by_names },
	{ KEY("alerts.exceptions", CONFIG_STRING, alerts.exceptions, "",
	      "Exception files (YAML, see config/exceptions.yaml), comma-separated:\n"
	      "rule/kind, workload selector, field values, expiry and conditions on the\n"
	      "workload's mode, time of day and recent deployment; reloaded on SIGHUP.") },
	{ KEY("enforce.enabled", CONFIG_BOOL, enforce.enabled, "true",
	      "Load the kernel enforcement programs (exec, connect, isolation) and the\n"
	      "fanotify file guard, so that policies and response actions can act.") },
	{ KEY("enforce.policies", CONFIG_STRING, enforce.policies, "",
	      "Policy files (YAML, see policies/), comma-separated; \"\" for none\n"
	      "(also vigil run --policy FILE).  Reloaded on SIGHUP and `vigil reload`;\n"
	      "a file with an error is refused and the policies in force stay.") },
	{ KEY("enforce.dry_run", CONFIG_BOOL, enforce.dry_run, "false",
	      "Report what policies would block (action \"audit\") without blocking.") },
	{ KEY("enforce.files", CONFIG_BOOL, enforce.files, "true",
	      "Refuse opens of files that policies protect (fanotify permission events).") },
	{ KEY("enforce.fail_mode", CONFIG_ENUM, enforce.fail_mode, "closed",
	      "When vigil is not running (it died, or stopped): \"closed\" keeps the\n"
	      "kernel's exec and network enforcement in force (pinned in enforce.pin_dir)\n"
	      "until vigil starts again or `vigil enforce clear`; \"open\" removes it.\n"
	      "File protection (fanotify) always ends with the process."),
	  .choices = fail_mode_names },
	{ KEY("enforce.pin_dir", CONFIG_STRING, enforce.pin_dir, "/sys/fs/bpf/vigil",
	      "Where fail-closed enforcement is pinned (a bpffs directory).") },
	{ KEY("store.enabled", CONFIG_BOOL, store.enabled, "true",
	      "Keep an audit store (SQLite, WAL) of security-relevant events, alerts,\n"
	      "incidents and response actions, with workload metadata, answerable after\n"
	      "the container is gone (vigil events, incidents, incident show, export).") },
	{ KEY("store.path", CONFIG_STRING, store.path, "",
	      "The database file; \"\" is state_dir/audit.db.") },
	{ KEY("store.events", CONFIG_ENUM, store.events, "security",
	      "Which sensor events are kept: \"security\" (execs, exits, file changes,\n"
	      "sensitive or refused opens, network, privilege and namespace changes,\n"
	      "container lifecycle), \"all\", or \"none\" (alerts, incidents and actions\n"
	      "only)."), .choices = store_events_names },
	{ KEY("store.batch_window", CONFIG_DURATION, store.batch_window_ns, "200ms",
	      "Records are written in one transaction this often, off the event path;\n"
	      "a crash loses at most about this much."), .check = check_positive },
	{ KEY("store.retention_age", CONFIG_DURATION, store.retention_age_ns, "30d",
	      "Rows older than this are deleted; 0 keeps them.") },
	{ KEY("store.retention_size", CONFIG_SIZE, store.retention_size, "1G",
	      "Above this size the oldest rows are deleted; 0 for no limit.") },
	{ KEY("response.file", CONFIG_STRING, response.file, "",
	      "Response actions (YAML, see config/response.yaml): which alerts, anomalies\n"
	      "or blocks kill the process or its tree, stop, freeze or isolate the\n"
	      "container; rate limits and the protected set (pid 1, vigil, system\n"
	      "units are always protected).  \"\" for none; reloaded on SIGHUP.") },
	{ KEY("response.dry_run", CONFIG_BOOL, response.dry_run, "false",
	      "Decide and report every response action (outcome \"dry-run\") without\n"
	      "doing it, whatever response.file says.") },
	{ KEY("output.stdout", CONFIG_BOOL, output.to_stdout, "true",
	      "Write events and alerts as JSON lines to standard output.") },
	{ KEY("output.events", CONFIG_BOOL, output.events, "true",
	      "Write every event; false writes only alerts.") },
	{ KEY("output.file", CONFIG_STRING, output.file, "",
	      "Also append events as JSON lines to this file; \"\" for none.") },
	{ KEY("output.min_priority", CONFIG_ENUM, output.min_priority, "debug",
	      "Alerts less severe than this are not written to stdout and output.file\n"
	      "(incidents and response actions always are)."), .choices = priority_names },
	{ KEY("output.file_max_size", CONFIG_SIZE, output.file_max_size, "100M",
	      "Rotate output.file beyond this size (FILE.1 ... FILE.N); 0 never.") },
	{ KEY("output.file_keep", CONFIG_INT, output.file_keep, "5",
	      "Rotated files kept."), .min = 0, .max = 1000 },
	{ KEY("output.syslog.address", CONFIG_STRING, output.syslog_address, "",
	      "Send alerts, incidents and actions to syslog (RFC 5424): unix:/dev/log,\n"
	      "udp:HOST:PORT or tcp:HOST:PORT (octet-counted frames); \"\" off.") },
	{ KEY("output.syslog.format", CONFIG_ENUM, output.syslog_format, "json",
	      "Message body: the alert's JSON, or \"cef\" (ArcSight Common Event Format)."),
	  .choices = syslog_format_names },
	{ KEY("output.syslog.facility", CONFIG_STRING, output.syslog_facility, "local0",
	      "Syslog facility: local0-local7, auth, authpriv, daemon, user.") },
	{ KEY("output.syslog.min_priority", CONFIG_ENUM, output.syslog_min_priority, "warning",
	      "Alerts less severe than this are not sent to syslog."), .choices = priority_names },
	{ KEY("output.webhook.url", CONFIG_STRING, output.webhook_url, "",
	      "POST alerts, incidents and actions as JSON to this http(s) URL; \"\" off.\n"
	      "Undelivered records wait on disk (state_dir/webhook-queue) and are\n"
	      "retried with backoff: an endpoint that is down loses nothing that fits.") },
	{ KEY("output.webhook.headers", CONFIG_STRING, output.webhook_headers, "",
	      "Extra request headers, \"Name: value\" separated by \";\".") },
	{ KEY("output.webhook.min_priority", CONFIG_ENUM, output.webhook_min_priority, "notice",
	      "Alerts less severe than this are not sent to the webhook."),
	  .choices = priority_names },
	{ KEY("output.webhook.queue_max", CONFIG_SIZE, output.webhook_queue_max, "64M",
	      "Most bytes waiting on disk for the webhook; beyond, the oldest are dropped\n"
	      "(and counted).") },
	{ KEY("output.webhook.timeout", CONFIG_DURATION, output.webhook_timeout_ns, "5s",
	      "Per request."), .check = check_positive },
	{ KEY("output.metrics.listen", CONFIG_STRING, output.metrics_listen, "",
	      "Serve Prometheus metrics (GET /metrics) on HOST:PORT, e.g.\n"
	      "127.0.0.1:9376; \"\" off.") },
};

#define KEY_COUNT (sizeof(config_keys) / sizeof(config_keys[0]))
#define KEY_NAME_MAX 128	/* longest dotted path looked up */
/* Distinct sections seen in one file: each is a proper prefix of some
 * key, so with keys at most five levels deep this is enough. */
#define SECTION_MAX (KEY_COUNT * 4)

union config_value {
	char *str;
	bool b;
	int i;
	uint64_t u;
};

static void *field_of(struct vigil_config *c, const struct config_key *k)
{
	return (char *)c + k->offset;
}

static const void *const_field_of(const struct vigil_config *c, const struct config_key *k)
{
	return (const char *)c + k->offset;
}

static const struct config_key *find_key(const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* A section is a proper dotted prefix of some key ("sensor"). */
static bool is_section(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strncmp(config_keys[i].name, name, n) == 0 && config_keys[i].name[n] == '.')
			return true;
	return false;
}

/* Copy user text into buf for an error message: at most ~60 bytes,
 * control characters and quotes replaced so the message stays one line. */
static const char *printable(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t limit = buflen - 4, o = 0;

	for (size_t i = 0; i < len && o < limit; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[o++] = (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\'') ? '?' : (char)ch;
	}
	if (len > limit)
		memcpy(buf + o, "...", 3), o += 3;
	buf[o] = '\0';
	return buf;
}

/* ---- scalar parsers ---- */

/* Unsigned decimal digits at the start of s; *end after them. */
static int parse_digits(const char *s, uint64_t *value, const char **end)
{
	uint64_t n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*value = n;
	*end = p;
	return 0;
}

int config_parse_size(const char *s, uint64_t *bytes)
{
	static const struct { const char *suffix; unsigned shift; } units[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MB", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GB", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TB", 40 }, { "TiB", 40 },
	};
	uint64_t n;
	const char *unit;

	if (parse_digits(s, &n, &unit) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(unit, units[i].suffix) != 0)
			continue;
		if (n > (UINT64_MAX >> units[i].shift))
			return -1;
		*bytes = n << units[i].shift;
		return 0;
	}
	return -1;
}

int config_parse_duration(const char *s, uint64_t *ns)
{
	/* Case matters: "m" is minutes and "ms" milliseconds. */
	static const struct { const char *suffix; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "", 1000000000 }, { "s", 1000000000 },
		{ "m", UINT64_C(60) * 1000000000 }, { "h", UINT64_C(3600) * 1000000000 },
		{ "d", UINT64_C(86400) * 1000000000 },
	};
	uint64_t n;
	const char *unit;

	if (parse_digits(s, &n, &unit) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX / units[i].ns)
			return -1;
		*ns = n * units[i].ns;
		return 0;
	}
	return -1;
}

static int parse_bool(const char *s, bool *value)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *value = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *value = false, 0;
	}
	return -1;
}

static int parse_int(const char *s, long long *value)
{
	const char *digits = *s == '-' ? s + 1 : s;
	char *end;

	if (*digits < '0' || *digits > '9')
		return -1;	/* strtoll would skip spaces and accept '+' */
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = n;
	return 0;
}

static int parse_choice(const char *s, const char *const *choices, int *index)
{
	for (int i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*index = i;
			return 0;
		}
	}
	return -1;
}

/* "expected ..." for a key's type, without the value. */
static void describe_expected(const struct config_key *k, char *buf, size_t len)
{
	int n;

	switch (k->type) {
	case CONFIG_STRING:
		snprintf(buf, len, "expected a string");
		break;
	case CONFIG_BOOL:
		snprintf(buf, len, "expected true or false");
		break;
	case CONFIG_INT:
		snprintf(buf, len, "expected an integer from %lld to %lld", k->min, k->max);
		break;
	case CONFIG_SIZE:
		snprintf(buf, len, "expected a size such as 16M");
		break;
	case CONFIG_DURATION:
		snprintf(buf, len, "expected a duration such as 10ms, 30s or 5m");
		break;
	case CONFIG_EVENTS:
		snprintf(buf, len, "expected a list of event names");
		break;
	case CONFIG_ENUM:
		n = snprintf(buf, len, "expected one of");
		for (int i = 0; k->choices[i] && n >= 0 && (size_t)n < len; i++)
			n += snprintf(buf + n, len - n, "%s %s", i ? "," : "", k->choices[i]);
		break;
	}
}

/* Parse text as k's type into *v.  On failure writes the problem
 * (without the key) into why. */
static int parse_text(const struct config_key *k, const char *text, union config_value *v,
		      char *why, size_t whylen)
{
	char expected[128], shown[80];
	const char *problem = NULL;
	long long n;
	int ok = 0;

	switch (k->type) {
	case CONFIG_STRING:
		v->str = strdup(text);
		if (!v->str) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		return 0;
	case CONFIG_EVENTS:
		return event_mask_parse(text, &v->u, why, whylen);
	case CONFIG_BOOL:
		ok = parse_bool(text, &v->b);
		break;
	case CONFIG_ENUM:
		ok = parse_choice(text, k->choices, &v->i);
		break;
	case CONFIG_INT:
		ok = parse_int(text, &n);
		if (ok == 0 && (n < k->min || n > k->max))
			ok = -1;
		v->i = ok == 0 ? (int)n : 0;
		break;
	case CONFIG_SIZE:
		ok = config_parse_size(text, &v->u);
		break;
	case CONFIG_DURATION:
		ok = config_parse_duration(text, &v->u);
		break;
	}
	if (ok == 0 && k->check)
		problem = k->check(v->u);
	if (ok == 0 && !problem)
		return 0;
	if (!problem) {
		describe_expected(k, expected, sizeof(expected));
		problem = expected;
	}
	snprintf(why, whylen, "%s, got \"%s\"", problem,
		 printable(text, strlen(text), shown, sizeof(shown)));
	return -1;
}

/* Put v into c, taking ownership of a string. */
static void store(struct vigil_config *c, const struct config_key *k, union config_value v)
{
	void *f = field_of(c, k);

	switch (k->type) {
	case CONFIG_STRING:
		free(*(char **)f);
		*(char **)f = v.str;
		break;
	case CONFIG_BOOL:
		*(bool *)f = v.b;
		break;
	case CONFIG_INT:
	case CONFIG_ENUM:
		*(int *)f = v.i;
		break;
	case CONFIG_SIZE:
	case CONFIG_DURATION:
	case CONFIG_EVENTS:
		*(uint64_t *)f = v.u;
		break;
	}
}

/* ---- whole-config operations ---- */

void config_defaults(struct vigil_config *c)
{
	char why[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct config_key *k = &config_keys[i];
		union config_value v;
		/* A default that does not parse is a bug in the table, and
		 * out of memory this early leaves nothing sensible to do. */
		if (parse_text(k, k->default_text, &v, why, sizeof(why)) < 0) {
			fprintf(stderr, "vigil: default for %s: %s\n", k->name, why);
			abort();
		}
		store(c, k, v);
	}
}

void config_free(struct vigil_config *c)
{
	for (size_t i = 0; i < KEY_COUNT; i++) {
		if (config_keys[i].type != CONFIG_STRING)
			continue;
		char **s = field_of(c, &config_keys[i]);
		free(*s);
		*s = NULL;
	}
}

/* Deep copy, so a load can work on a copy and leave c alone on error. */
static int config_copy(struct vigil_config *dst, const struct vigil_config *src)
{
	*dst = *src;
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (config_keys[i].type == CONFIG_STRING)
			*(char **)field_of(dst, &config_keys[i]) = NULL;
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->type != CONFIG_STRING)
			continue;
		const char *s = *(char *const *)const_field_of(src, k);
		if (!s)
			continue;
		char *copy = strdup(s);
		if (!copy) {
			config_free(dst);
			return -1;
		}
		*(char **)field_of(dst, k) = copy;
	}
	return 0;
}

static bool field_equal(const struct config_key *k, const struct vigil_config *a,
			const struct vigil_config *b)
{
	const void *fa = const_field_of(a, k), *fb = const_field_of(b, k);

	switch (k->type) {
	case CONFIG_STRING: {
		const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;
		return (sa && sb) ? strcmp(sa, sb) == 0 : sa == sb;
	}
	case CONFIG_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case CONFIG_INT:
	case CONFIG_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case CONFIG_SIZE:
	case CONFIG_DURATION:
	case CONFIG_EVENTS:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	}
	return false;
}

bool config_equal(const struct vigil_config *a, const struct vigil_config *b)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (!field_equal(&config_keys[i], a, b))
			return false;
	return true;
}

/* Cross-key rules.  Returns the key at fault (for its file position)
 * with the message in err, or NULL when all is well. */
static const struct config_key *find_inconsistency(const struct vigil_config *c,
						   char *err, size_t errlen)
{
	if (c->sensor.wakeup_bytes >= c->sensor.ring_buffer_size) {
		snprintf(err, errlen,
			 "sensor.wakeup_bytes: must be smaller than sensor.ring_buffer_size "
			 "(%llu), got %llu",
			 (unsigned long long)c->sensor.ring_buffer_size,
			 (unsigned long long)c->sensor.wakeup_bytes);
		return find_key("sensor.wakeup_bytes");
	}
	return NULL;
}

int config_validate(const struct vigil_config *c, char *err, size_t errlen)
{
	return find_inconsistency(c, err, errlen) ? -1 : 0;
}

int config_set(struct vigil_config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	char shown[80], why[512];
	const struct config_key *k = find_key(key);
	union config_value v;

	if (!k) {
		snprintf(err, errlen, "unknown key '%s'", printable(key, strlen(key), shown, sizeof(shown)));
		return -1;
	}
	if (parse_text(k, value, &v, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", k->name, why);
		return -1;
	}
	store(c, k, v);
	return 0;
}

/* ---- loading YAML ---- */

struct seen_section {
	char name[KEY_NAME_MAX];
	yaml_mark_t mark;
};

struct loader {
	yaml_parser_t parser;
	const char *name;		/* file name for messages */
	const char *data;		/* the input, to place reader errors */
	size_t len;
	char *err;
	size_t errlen;
	struct vigil_config *c;		/* the working copy */
	bool key_seen[KEY_COUNT];
	yaml_mark_t key_mark[KEY_COUNT];
	struct seen_section sections[SECTION_MAX];
	size_t nsections;
};

static size_t key_index(const struct config_key *k)
{
	return (size_t)(k - config_keys);
}

/* "name:line:col: message", line and column 1-based. */
static int fail_at(struct loader *l, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *l, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(l->err, l->errlen, "%s:%zu:%zu: ", l->name, mark.line + 1, mark.column + 1);

	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Place a reader error (bad encoding), which libyaml gives as an offset. */
static yaml_mark_t mark_at_offset(const struct loader *l, size_t offset)
{
	yaml_mark_t m = { .index = offset };

	for (size_t i = 0; i < offset && i < l->len; i++) {
		if (l->data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	return m;
}

static int fail_syntax(struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		snprintf(l->err, l->errlen, "%s: out of memory", l->name);
		return -1;
	case YAML_READER_ERROR:
		return fail_at(l, mark_at_offset(l, p->problem_offset), "invalid YAML: %s", problem);
	default:
		/* "while parsing a flow sequence" is more use with where it began. */
		if (p->context && p->context_mark.line != p->problem_mark.line)
			return fail_at(l, p->problem_mark, "invalid YAML: %s started at line %zu: %s",
				       p->context, p->context_mark.line + 1, problem);
		if (p->context)
			return fail_at(l, p->problem_mark, "invalid YAML: %s: %s", p->context, problem);
		return fail_at(l, p->problem_mark, "invalid YAML: %s", problem);
	}
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return fail_syntax(l);
	return 0;
}

static const char *node_kind(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SEQUENCE_START_EVENT: return "a sequence";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_ALIAS_EVENT: return "an alias (aliases are not supported)";
	default: return "a scalar";
	}
}

/* A plain (unquoted) empty, ~ or null scalar: YAML's null. */
static bool is_null_scalar(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

static bool scalar_has_nul(const yaml_event_t *ev)
{
	return strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length;
}

/* Consume the items of an event-name sequence after its start event. */
static int load_event_sequence(struct loader *l, const struct config_key *k,
			       yaml_mark_t key_mark, uint64_t *mask)
{
	char why[512];
	int items = 0;

	*mask = 0;
	for (;;) {
		yaml_event_t ev;
		uint64_t m;
		int rc = 0;

		if (next_event(l, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT)
			rc = fail_at(l, ev.start_mark, "%s: expected an event name, got %s",
				     k->name, node_kind(&ev));
		else if (scalar_has_nul(&ev))
			rc = fail_at(l, ev.start_mark, "%s: event name contains a NUL byte", k->name);
		else if (event_mask_parse((const char *)ev.data.scalar.value, &m, why, sizeof(why)) < 0)
			rc = fail_at(l, ev.start_mark, "%s: %s", k->name, why);
		else
			*mask |= m;
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
		items++;
	}
	if (items == 0)
		return fail_at(l, key_mark, "%s: empty event list (use 'all' or names such as exec, open)",
			       k->name);
	return 0;
}

/* Read the value of key k, which was at key_mark. */
static int load_value(struct loader *l, const struct config_key *k, yaml_mark_t key_mark)
{
	char why[512], expected[128];
	union config_value v;
	yaml_event_t ev;
	int rc = 0;

	if (next_event(l, &ev) < 0)
		return -1;
	if (ev.type == YAML_SEQUENCE_START_EVENT && k->type == CONFIG_EVENTS) {
		rc = load_event_sequence(l, k, key_mark, &v.u);
	} else if (ev.type != YAML_SCALAR_EVENT) {
		describe_expected(k, expected, sizeof(expected));
		rc = fail_at(l, key_mark, "%s: %s, got %s", k->name, expected, node_kind(&ev));
	} else if (scalar_has_nul(&ev)) {
		rc = fail_at(l, key_mark, "%s: value contains a NUL byte", k->name);
	} else {
		const char *text = (const char *)ev.data.scalar.value;
		if (k->type == CONFIG_STRING && is_null_scalar(&ev))
			text = "";
		if (parse_text(k, text, &v, why, sizeof(why)) < 0)
			rc = fail_at(l, key_mark, "%s: %s", k->name, why);
	}
	yaml_event_delete(&ev);
	if (rc < 0)
		return -1;
	store(l->c, k, v);
	return 0;
}

static int load_mapping(struct loader *l, const char *prefix);

/* The value of a section key: a mapping of its keys, or null (a section
 * whose keys are all commented out). */
static int load_section(struct loader *l, const char *name, yaml_mark_t key_mark)
{
	yaml_event_t ev;
	int rc = 0;

	for (size_t i = 0; i < l->nsections; i++)
		if (strcmp(l->sections[i].name, name) == 0)
			return fail_at(l, key_mark, "duplicate key '%s' (first at line %zu)",
				       name, l->sections[i].mark.line + 1);
	if (l->nsections == SECTION_MAX)
		return fail_at(l, key_mark, "too many sections");
	snprintf(l->sections[l->nsections].name, KEY_NAME_MAX, "%s", name);
	l->sections[l->nsections++].mark = key_mark;

	if (next_event(l, &ev) < 0)
		return -1;
	if (ev.type == YAML_MAPPING_START_EVENT)
		rc = load_mapping(l, name);
	else if (!is_null_scalar(&ev))
		rc = fail_at(l, key_mark, "%s: expected a mapping of %s.* keys, got %s",
			     name, name, node_kind(&ev));
	yaml_event_delete(&ev);
	return rc;
}

/* One key of a mapping: a leaf key with its value, or a section. */
static int load_entry(struct loader *l, const char *prefix, const yaml_event_t *key)
{
	char name[KEY_NAME_MAX], shown[80];
	const char *text = (const char *)key->data.scalar.value;
	size_t len = key->data.scalar.length;
	int n = *prefix ? snprintf(name, sizeof(name), "%s.%s", prefix, text)
			: snprintf(name, sizeof(name), "%s", text);

	if (n < 0 || (size_t)n >= sizeof(name) || scalar_has_nul(key))
		return fail_at(l, key->start_mark, "unknown key '%s%s%s'", prefix, *prefix ? "." : "",
			       printable(text, len, shown, sizeof(shown)));

	const struct config_key *k = find_key(name);
	if (k) {
		size_t i = key_index(k);
		if (l->key_seen[i])
			return fail_at(l, key->start_mark, "duplicate key '%s' (first at line %zu)",
				       name, l->key_mark[i].line + 1);
		l->key_seen[i] = true;
		l->key_mark[i] = key->start_mark;
		return load_value(l, k, key->start_mark);
	}
	if (is_section(name))
		return load_section(l, name, key->start_mark);
	return fail_at(l, key->start_mark, "unknown key '%s'",
		       printable(name, strlen(name), shown, sizeof(shown)));
}

/* Consume a mapping's entries after its start event. */
static int load_mapping(struct loader *l, const char *prefix)
{
	for (;;) {
		yaml_event_t key;
		int rc;

		if (next_event(l, &key) < 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type != YAML_SCALAR_EVENT)
			rc = fail_at(l, key.start_mark, "keys must be plain names, got %s",
				     node_kind(&key));
		else
			rc = load_entry(l, prefix, &key);
		yaml_event_delete(&key);
		if (rc < 0)
			return -1;
	}
}

/* Expect an event of the given type and drop it. */
static int expect_event(struct loader *l, yaml_event_type_t type, const char *what)
{
	yaml_event_t ev;
	int rc = 0;

	if (next_event(l, &ev) < 0)
		return -1;
	if (ev.type != type)
		rc = fail_at(l, ev.start_mark, "%s", what);
	yaml_event_delete(&ev);
	return rc;
}

/* The document's root node: a mapping, or null for an empty document. */
static int load_root(struct loader *l)
{
	yaml_event_t ev;
	int rc = 0;

	if (next_event(l, &ev) < 0)
		return -1;
	if (ev.type == YAML_MAPPING_START_EVENT)
		rc = load_mapping(l, "");
	else if (!is_null_scalar(&ev))
		rc = fail_at(l, ev.start_mark, "the top level must be a mapping of keys, got %s",
			     node_kind(&ev));
	yaml_event_delete(&ev);
	return rc;
}

static int load_stream(struct loader *l)
{
	yaml_event_t ev;
	int rc = 0;

	if (expect_event(l, YAML_STREAM_START_EVENT, "expected the start of a YAML stream") < 0)
		return -1;
	if (next_event(l, &ev) < 0)
		return -1;
	if (ev.type == YAML_STREAM_END_EVENT) {	/* nothing but comments */
		yaml_event_delete(&ev);
		return 0;
	}
	if (ev.type != YAML_DOCUMENT_START_EVENT)
		rc = fail_at(l, ev.start_mark, "expected a YAML document");
	yaml_event_delete(&ev);
	if (rc < 0 || load_root(l) < 0)
		return -1;
	if (expect_event(l, YAML_DOCUMENT_END_EVENT, "expected the end of the document") < 0)
		return -1;
	return expect_event(l, YAML_STREAM_END_EVENT, "only one YAML document is allowed");
}

/* Cross-key checks, placed at the offending key when the file set it. */
static int validate_loaded(struct loader *l)
{
	char why[512];
	const struct config_key *k = find_inconsistency(l->c, why, sizeof(why));

	if (!k)
		return 0;
	size_t i = key_index(k);
	if (l->key_seen[i])
		return fail_at(l, l->key_mark[i], "%s", why);
	snprintf(l->err, l->errlen, "%s: %s", l->name, why);
	return -1;
}

int config_load_string(struct vigil_config *c, const char *data, size_t len,
		       const char *name, char *err, size_t errlen)
{
	struct vigil_config work;
	struct loader *l;
	int rc;

	name = name ? name : "config";
	/* The loader is a few KiB (section table); keep it off the stack. */
	l = calloc(1, sizeof(*l));
	if (!l || config_copy(&work, c) < 0) {
		free(l);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (!yaml_parser_initialize(&l->parser)) {
		free(l);
		config_free(&work);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	/* libyaml asserts on a NULL buffer, even an empty one. */
	yaml_parser_set_input_string(&l->parser, (const unsigned char *)(data ? data : ""),
				     data ? len : 0);
	l->name = name;
	l->data = data;
	l->len = data ? len : 0;
	l->err = err;
	l->errlen = errlen;
	l->c = &work;

	rc = load_stream(l);
	if (rc == 0)
		rc = validate_loaded(l);
	yaml_parser_delete(&l->parser);
	free(l);

	if (rc < 0) {
		config_free(&work);
		return -1;
	}
	config_free(c);
	*c = work;
	return 0;
}

#define CONFIG_FILE_MAX (1 << 20)	/* far beyond any real configuration */

/* Read a whole file; NULL with errno set on failure (EFBIG when huge). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (buf) {
		n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
		if (ferror(f)) {
			int saved = errno ? errno : EIO;
			free(buf);
			buf = NULL;
			errno = saved;
		} else if (n > CONFIG_FILE_MAX) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
		}
	}
	int saved = errno;
	fclose(f);
	errno = saved;
	*len = n;
	return buf;
}

int config_load_file(struct vigil_config *c, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *data = read_file(path, &len);

	if (!data) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = config_load_string(c, data, len, path, err, errlen);
	free(data);
	return rc;
}

/* ---- the documented file ---- */

static void write_comment(FILE *f, int indent, const char *text)
{
	while (*text) {
		const char *eol = strchr(text, '\n');
		size_t n = eol ? (size_t)(eol - text) : strlen(text);
		fprintf(f, "%*s# %.*s\n", indent, "", (int)n, text);
		text += n + (eol ? 1 : 0);
	}
}

/* "# Known: exec fork ...", wrapped, from the event name table. */
static void write_event_names_comment(FILE *f, int indent)
{
	int col = fprintf(f, "%*s# Known:", indent, "");

	for (int t = 1; t < EVENT_TYPE_MAX; t++) {
		const char *name = event_type_name((enum event_type)t);
		if (col + 1 + (int)strlen(name) > 74)
			col = fprintf(f, "\n%*s#", indent, "") - 1;
		col += fprintf(f, " %s", name);
	}
	fprintf(f, ".\n");
}

/* The allowed values, derived from the tables so they cannot go stale. */
static void write_range_comment(FILE *f, int indent, const struct config_key *k)
{
	if (k->type == CONFIG_INT) {
		fprintf(f, "%*s# From %lld to %lld.\n", indent, "", k->min, k->max);
	} else if (k->type == CONFIG_ENUM) {
		fprintf(f, "%*s# One of:", indent, "");
		for (int i = 0; k->choices[i]; i++)
			fprintf(f, "%s %s", i ? "," : "", k->choices[i]);
		fprintf(f, ".\n");
	} else if (k->type == CONFIG_EVENTS) {
		write_event_names_comment(f, indent);
	}
}

static void write_default(FILE *f, const struct config_key *k)
{
	if (k->type != CONFIG_STRING) {
		fprintf(f, " %s\n", k->default_text);
		return;
	}
	fputs(" \"", f);
	for (const char *p = k->default_text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
}

/* Length of the section part of a dotted name ("sensor" in
 * "sensor.events"), 0 for a top-level key. */
static size_t section_length(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot ? (size_t)(dot - name) : 0;
}

static size_t component_end(const char *s, size_t from, size_t len)
{
	while (from < len && s[from] != '.')
		from++;
	return from;
}

/* How many leading dotted components a[0..alen) and b[0..blen) share. */
static int shared_components(const char *a, size_t alen, const char *b, size_t blen)
{
	int shared = 0;

	for (size_t i = 0; i < alen && i < blen; shared++) {
		size_t ea = component_end(a, i, alen), eb = component_end(b, i, blen);
		if (ea != eb || memcmp(a + i, b + i, ea - i) != 0)
			break;
		i = ea + 1;
	}
	return shared;
}

/* Write the "section:" lines that name needs and prev (the key written
 * before it) has not already opened. */
static void open_sections(FILE *f, const char *prev, const char *name)
{
	size_t sec = section_length(name);
	int shared = prev ? shared_components(prev, section_length(prev), name, sec) : 0;
	int level = 0;

	for (size_t start = 0; start < sec; level++) {
		size_t end = component_end(name, start, sec);
		if (level >= shared)
			fprintf(f, "%*s%.*s:\n", level * 2, "", (int)(end - start), name + start);
		start = end + 1;
	}
}

void config_write_documented(FILE *f)
{
	const char *prev = NULL;

	fputs("# vigil.yaml - vigil's configuration.\n"
	      "#\n"
	      "# Every key is shown with its default value, so removing a line, or the\n"
	      "# whole file, changes nothing.  Sizes take K, M, G or T (1K = 1024\n"
	      "# bytes); durations take ns, us, ms, s, m, h or d (a plain number is\n"
	      "# seconds).  Unknown keys and wrong values are errors.\n", f);
	for (size_t i = 0; i < KEY_COUNT; i++) {
		const struct config_key *k = &config_keys[i];
		size_t sec = section_length(k->name);
		int indent = 0;

		for (const char *p = k->name; *p; p++)
			indent += *p == '.' ? 2 : 0;
		fputc('\n', f);
		open_sections(f, prev, k->name);
		write_comment(f, indent, k->doc);
		write_range_comment(f, indent, k);
		fprintf(f, "%*s%s:", indent, "", k->name + (sec ? sec + 1 : 0));
		write_default(f, k);
		prev = k->name;
	}
}

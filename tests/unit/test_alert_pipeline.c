/* test_alert_pipeline.c - dedup, incidents, severity, rate limits and
 * exceptions, on alerts shaped like the agent's, with fixed times. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_pipeline.h"
#include "alert/alert_replay.h"
#include "alert/exceptions.h"
#include "test.h"

#define SEC 1000000000ULL
/* Wednesday 2026-03-04 10:00:00 UTC */
#define T0 (1772618400ULL * SEC)

/* ---- capturing what comes out ----------------------------------------- */

struct captured {
	size_t n;
	struct { enum out_kind kind; char *json; } rec[512];
	uint64_t dropped;
	int warnings;
};

static void capture(void *ctx, const struct out_record *r)
{
	struct captured *c = ctx;

	if (c->n == sizeof(c->rec) / sizeof(c->rec[0])) {
		c->dropped++;
		return;
	}
	c->rec[c->n].kind = r->kind;
	c->rec[c->n].json = strndup(r->json, r->len);
	c->n++;
}

static void count_warning(void *ctx, const char *msg)
{
	(void)msg;
	((struct captured *)ctx)->warnings++;
}

static void captured_free(struct captured *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->rec[i].json);
	c->n = 0;
}

static size_t count_kind(const struct captured *c, enum out_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->rec[i].kind == kind;
	return n;
}

/* The last record of a kind whose JSON holds needle ("" any). */
static const char *last_with(const struct captured *c, enum out_kind kind, const char *needle)
{
	for (size_t i = c->n; i-- > 0;)
		if (c->rec[i].kind == kind && strstr(c->rec[i].json, needle))
			return c->rec[i].json;
	return NULL;
}

static struct alert_pipeline *pipeline(struct captured *c, struct alert_exceptions *ex)
{
	struct alert_pipeline_options o = {
		.emit = capture, .warn = count_warning, .ctx = c, .exceptions = ex,
	};

	memset(c, 0, sizeof(*c));
	return alert_pipeline_new(&o);
}

/* ---- alerts like the agent's ------------------------------------------ */

struct alert_spec {
	const char *rule, *priority, *container, *name, *exec_id, *root_exec_id, *tags;
	const char *proc_name, *fd_name, *namespace;
	int pid;
	const char *unit;	/* host workload when set */
};

static char alert_buf[8192];

static struct out_record make_alert(const struct alert_spec *s, uint64_t t)
{
	char workload[512];
	int n;

	if (s->unit)
		snprintf(workload, sizeof(workload), "{\"kind\":\"host\",\"unit\":\"%s\"}", s->unit);
	else
		snprintf(workload, sizeof(workload),
			 "{\"kind\":\"container\",\"id\":\"%s\",\"runtime\":\"podman\","
			 "\"name\":\"%s\",\"image\":\"docker.io/library/nginx:1.25\"%s%s%s}",
			 s->container ? s->container : "c0ffee0000000000000000000000000000000000000000000000000000000001",
			 s->name ? s->name : "web-1", s->namespace ? ",\"namespace\":\"" : "",
			 s->namespace ? s->namespace : "", s->namespace ? "\"" : "");
	n = snprintf(alert_buf, sizeof(alert_buf),
		     "{\"time\":\"2026-03-04T10:00:00.000000000Z\",\"rule\":\"%s\","
		     "\"priority\":\"%s\",\"output\":\"10:00:00.000000000: %s %s\","
		     "\"output_fields\":{\"evt.time\":%llu,\"proc.name\":\"%s\",\"proc.pid\":%d,"
		     "\"fd.name\":\"%s\",\"user.name\":\"root\"},\"tags\":[%s],"
		     "\"source\":\"syscall\",\"hostname\":\"h\",\"kind\":\"rule\","
		     "\"source_event\":\"open\",\"proc\":{\"pid\":%d,\"exe\":\"/usr/bin/%s\","
		     "\"exec_id\":\"%s\",\"parent_exec_id\":\"%s\",\"ancestors\":["
		     "{\"pid\":7,\"exe\":\"/bin/sh\",\"exec_id\":\"%s\"}]},\"workload\":%s}",
		     s->rule, s->priority ? s->priority : "Warning",
		     s->priority ? s->priority : "Warning", s->rule, (unsigned long long)t,
		     s->proc_name ? s->proc_name : "cat", s->pid ? s->pid : 100,
		     s->fd_name ? s->fd_name : "/etc/shadow", s->tags ? s->tags : "",
		     s->pid ? s->pid : 100, s->proc_name ? s->proc_name : "cat",
		     s->exec_id ? s->exec_id : "e1", s->root_exec_id ? s->root_exec_id : "root1",
		     s->root_exec_id ? s->root_exec_id : "root1", workload);
	return (struct out_record){ OUT_ALERT, 4, t, alert_buf, (size_t)n };
}

static void feed(struct alert_pipeline *p, const struct alert_spec *s, uint64_t t,
		 const struct alert_context *ctx)
{
	struct out_record r = make_alert(s, t);

	alert_pipeline_alert(p, &r, ctx);
}

static char anomaly_buf[4096];

static struct out_record make_anomaly(const char *container, int score, const char *mode,
				      uint64_t t)
{
	int n = snprintf(anomaly_buf, sizeof(anomaly_buf),
		"{\"time\":\"x\",\"rule\":\"Behaviour anomaly\",\"priority\":\"Notice\","
		"\"output\":\"new\",\"output_fields\":{\"evt.time\":%llu,\"vigil.model\":\"m1\"},"
		"\"tags\":[\"anomaly\",\"exec\"],\"kind\":\"anomaly\",\"anomaly\":{\"model\":\"m1\","
		"\"mode\":\"%s\",\"score\":%d,\"novelties\":[{\"category\":\"exec\",\"value\":"
		"\"/usr/bin/nc <- /bin/sh\",\"score\":%d,\"group_known\":false}]},"
		"\"proc\":{\"pid\":9,\"exe\":\"/usr/bin/nc\",\"exec_id\":\"n1\",\"ancestors\":[]},"
		"\"workload\":{\"kind\":\"container\",\"id\":\"%s\",\"name\":\"%s\"}}",
		(unsigned long long)t, mode, score, score, container, container);
	return (struct out_record){ OUT_ALERT, 5, t, anomaly_buf, (size_t)n };
}

/* The severity of the closed incident of a container, from the records. */
static int severity_of(const struct captured *c, const char *container_name)
{
	char needle[128];
	const char *j;
	cJSON *o, *sev;
	int v = -1;

	snprintf(needle, sizeof(needle), "\"name\":\"%s\"", container_name);
	for (size_t i = c->n; i-- > 0;) {
		if (c->rec[i].kind != OUT_INCIDENT || !strstr(c->rec[i].json, needle))
			continue;
		j = c->rec[i].json;
		o = cJSON_Parse(j);
		sev = cJSON_GetObjectItem(o, "severity");
		v = cJSON_IsNumber(sev) ? sev->valueint : -1;
		cJSON_Delete(o);
		return v;
	}
	return v;
}

/* ---- dedup ------------------------------------------------------------ */

TEST(storm_of_identical_alerts_is_two_lines)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file" };
	const char *summary;
	cJSON *o;

	for (int i = 0; i < 10000; i++)
		feed(p, &s, T0 + (uint64_t)i * 1000000ULL, NULL);	/* 10 s of them */
	CHECK_INT(count_kind(&c, OUT_ALERT), 1);
	CHECK(strstr(c.rec[0].json, "\"incident_id\":1") != NULL);
	alert_pipeline_tick(p, T0 + 30 * SEC);
	CHECK_INT(count_kind(&c, OUT_ALERT), 1);	/* window still open */
	alert_pipeline_tick(p, T0 + 61 * SEC);
	CHECK_INT(count_kind(&c, OUT_ALERT), 2);
	summary = last_with(&c, OUT_ALERT, "\"summary\":true");
	CHECK(summary != NULL);
	o = cJSON_Parse(summary);	/* still one valid object */
	CHECK(o != NULL);
	CHECK_INT(cJSON_GetObjectItem(o, "count")->valueint, 10000);
	CHECK_STR(cJSON_GetObjectItem(o, "first_time")->valuestring,
		  "2026-03-04T10:00:00.000000000Z");
	CHECK_STR(cJSON_GetObjectItem(o, "last_time")->valuestring,
		  "2026-03-04T10:00:09.999000000Z");
	CHECK_STR(cJSON_GetObjectItem(o, "rule")->valuestring, "Read sensitive file");
	cJSON_Delete(o);
	alert_pipeline_tick(p, T0 + 200 * SEC);		/* quiet window: entry ends */
	CHECK_INT(count_kind(&c, OUT_ALERT), 2);
	feed(p, &s, T0 + 300 * SEC, NULL);		/* a new occurrence passes again */
	CHECK_INT(count_kind(&c, OUT_ALERT), 3);
	alert_pipeline_free(p);
	captured_free(&c);
}

TEST(a_lasting_storm_gives_one_summary_per_window)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file" };

	for (uint64_t sec = 0; sec < 180; sec++) {
		for (int i = 0; i < 10; i++)
			feed(p, &s, T0 + sec * SEC + (uint64_t)i, NULL);
		alert_pipeline_tick(p, T0 + (sec + 1) * SEC);
	}
	alert_pipeline_flush(p, T0 + 181 * SEC);
	/* 1800 alerts over 3 minutes: the first, then a summary per minute */
	CHECK_INT(count_kind(&c, OUT_ALERT), 4);
	alert_pipeline_free(p);
	captured_free(&c);
}

TEST(pids_of_one_exec_id_dedup_but_containers_do_not)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file", .exec_id = "e7" };

	for (int pid = 100; pid < 110; pid++) {	/* threads of one process image */
		s.pid = pid;
		feed(p, &s, T0 + (uint64_t)pid, NULL);
	}
	CHECK_INT(count_kind(&c, OUT_ALERT), 1);
	s.container = "c0ffee0000000000000000000000000000000000000000000000000000000002";
	s.name = "web-2";
	feed(p, &s, T0 + 200, NULL);
	CHECK_INT(count_kind(&c, OUT_ALERT), 2);
	s.exec_id = "e8";				/* another process: another alert */
	feed(p, &s, T0 + 300, NULL);
	CHECK_INT(count_kind(&c, OUT_ALERT), 3);
	s.fd_name = "/etc/sudoers";			/* another file: another alert */
	feed(p, &s, T0 + 400, NULL);
	CHECK_INT(count_kind(&c, OUT_ALERT), 4);
	alert_pipeline_flush(p, T0 + SEC);
	CHECK(last_with(&c, OUT_ALERT, "\"count\":10") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
}

TEST(flush_emits_pending_summaries_and_closes_incidents)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file" };

	for (int i = 0; i < 5; i++)
		feed(p, &s, T0 + (uint64_t)i, NULL);
	CHECK(last_with(&c, OUT_ALERT, "\"summary\"") == NULL);
	alert_pipeline_flush(p, T0 + 2 * SEC);
	CHECK(last_with(&c, OUT_ALERT, "\"count\":5") != NULL);
	CHECK(last_with(&c, OUT_INCIDENT, "\"closed\":true") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
}

/* ---- incidents -------------------------------------------------------- */

TEST(attack_sequence_is_one_incident_and_outranks_a_low_alert)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	const struct alert_spec steps[] = {
		{ .rule = "Shell spawned by web server", .priority = "Notice", .exec_id = "a1",
		  .root_exec_id = "nginx1", .tags = "\"mitre_execution\",\"T1059\"" },
		{ .rule = "Reverse shell", .priority = "Critical", .exec_id = "a2",
		  .root_exec_id = "nginx1", .tags = "\"mitre_command_and_control\"" },
		{ .rule = "Read sensitive file", .priority = "Warning", .exec_id = "a3",
		  .root_exec_id = "nginx1", .tags = "\"mitre_credential_access\",\"TA0006\"" },
		{ .rule = "Drop and execute new binary", .priority = "Critical", .exec_id = "a4",
		  .root_exec_id = "nginx1", .tags = "\"TA0003\"" },
	};
	struct alert_spec low = { .rule = "Package manager run", .priority = "Notice",
				  .name = "db-1", .root_exec_id = "pg1",
				  .container = "d0000000000000000000000000000000000000000000000000000000000000001" };
	const char *final;
	cJSON *o;

	for (size_t i = 0; i < 4; i++)
		feed(p, &steps[i], T0 + i * 20 * SEC, NULL);
	feed(p, &low, T0 + 30 * SEC, NULL);
	alert_pipeline_tick(p, T0 + 90 * SEC);
	alert_pipeline_tick(p, T0 + 60 * 60 * SEC);	/* idle 10 min: both close */
	final = last_with(&c, OUT_INCIDENT, "\"name\":\"web-1\"");
	CHECK(final != NULL);
	o = cJSON_Parse(final);
	CHECK(o != NULL);
	CHECK_INT(cJSON_GetObjectItem(o, "incident_id")->valueint, 1);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "closed")));
	CHECK_INT(cJSON_GetObjectItem(o, "alert_count")->valueint, 4);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "rules")), 4);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "tactics")), 4);
	CHECK(cJSON_GetObjectItem(o, "version")->valueint >= 2);
	CHECK_STR(cJSON_GetObjectItem(o, "title")->valuestring,
		  "Reverse shell and Drop and execute new binary in container web-1 "
		  "(4 rules, 4 alerts)");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "root_process"), "exe")->valuestring,
		  "/bin/sh");
	cJSON_Delete(o);
	CHECK(last_with(&c, OUT_INCIDENT, "\"incident_id\":2") != NULL);	/* db-1 */
	CHECK(last_with(&c, OUT_INCIDENT, "\"incident_id\":3") == NULL);
	CHECK(severity_of(&c, "web-1") > severity_of(&c, "db-1"));
	printf("  attack incident severity %d, single notice %d\n", severity_of(&c, "web-1"),
	       severity_of(&c, "db-1"));
	alert_pipeline_free(p);
	captured_free(&c);
}

TEST(another_process_tree_in_the_workload_is_another_incident)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec a = { .rule = "Reverse shell", .root_exec_id = "init1" };
	struct alert_spec b = { .rule = "Reverse shell", .root_exec_id = "exec-shell",
				.exec_id = "e2" };

	feed(p, &a, T0, NULL);
	feed(p, &b, T0 + 1, NULL);
	CHECK(last_with(&c, OUT_ALERT, "\"incident_id\":2") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
}

/* Severity of one container's incident after these alerts. */
static int severity_after(const struct alert_spec *specs, size_t n)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	int v;

	for (size_t i = 0; i < n; i++)
		feed(p, &specs[i], T0 + i, NULL);
	alert_pipeline_flush(p, T0 + SEC);
	v = severity_of(&c, "web-1");
	alert_pipeline_free(p);
	captured_free(&c);
	return v;
}

static int anomaly_severity(int score)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct out_record r = make_anomaly("web-1", score, "monitoring", T0);
	int v;

	alert_pipeline_alert(p, &r, NULL);
	alert_pipeline_flush(p, T0 + SEC);
	v = severity_of(&c, "web-1");
	alert_pipeline_free(p);
	captured_free(&c);
	return v;
}

TEST(severity_orders_priority_scores_and_tactics)
{
	struct alert_spec critical = { .rule = "R", .priority = "Critical" };
	struct alert_spec notice = { .rule = "R", .priority = "Notice" };
	struct alert_spec one_tactic[] = {
		{ .rule = "A", .priority = "Warning", .tags = "\"mitre_execution\"" },
		{ .rule = "B", .priority = "Warning", .tags = "\"mitre_execution\"", .exec_id = "x" },
	};
	struct alert_spec three_tactics[] = {
		{ .rule = "A", .priority = "Warning", .tags = "\"mitre_execution\"" },
		{ .rule = "B", .priority = "Warning", .tags = "\"TA0006\",\"mitre_persistence\"",
		  .exec_id = "x" },
	};

	CHECK(severity_after(&critical, 1) > severity_after(&notice, 1));
	CHECK(anomaly_severity(90) > anomaly_severity(40));
	CHECK(severity_after(three_tactics, 2) > severity_after(one_tactic, 2));
	CHECK(severity_after(one_tactic, 2) > severity_after(one_tactic, 1));
	CHECK(severity_after(&critical, 1) <= 100 && severity_after(&notice, 1) >= 0);
}

TEST(an_action_joins_the_workload_incident_and_raises_severity)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Reverse shell", .priority = "Warning" };
	const char *action = "{\"time\":\"x\",\"kind\":\"action\",\"action\":\"kill\","
			     "\"pid\":42,\"workload\":{\"kind\":\"container\",\"id\":"
			     "\"c0ffee0000000000000000000000000000000000000000000000000000000001\","
			     "\"name\":\"web-1\"}}";
	struct out_record r = { OUT_ACTION, 4, T0 + SEC, action, strlen(action) };
	int before;

	feed(p, &s, T0, NULL);
	before = severity_of(&c, "web-1");
	alert_pipeline_action(p, &r, NULL);
	CHECK(last_with(&c, OUT_ACTION, "\"incident_id\":1") != NULL);
	alert_pipeline_tick(p, T0 + 2 * SEC);
	CHECK(severity_of(&c, "web-1") > before);
	CHECK(last_with(&c, OUT_INCIDENT, "\"action\":\"kill\"") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
}

/* ---- rate limits ------------------------------------------------------ */

TEST(rate_limit_holds_back_and_says_so_once)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file" };
	char path[64];
	cJSON *o;

	for (int i = 0; i < 50; i++) {	/* 50 different files in one second */
		snprintf(path, sizeof(path), "/etc/secret-%d", i);
		s.fd_name = path;
		feed(p, &s, T0 + (uint64_t)i, NULL);
	}
	CHECK_INT(count_kind(&c, OUT_ALERT), 20);
	alert_pipeline_tick(p, T0 + 61 * SEC);
	CHECK(last_with(&c, OUT_ALERT, "\"kind\":\"rate_limit\"") != NULL);
	o = cJSON_Parse(last_with(&c, OUT_ALERT, "\"kind\":\"rate_limit\""));
	CHECK(o && cJSON_GetObjectItem(o, "suppressed")->valueint == 30);
	cJSON_Delete(o);
	CHECK(last_with(&c, OUT_INCIDENT, "\"rate_limited\":30") != NULL);
	s.fd_name = "/etc/after-a-minute";	/* the bucket has refilled */
	feed(p, &s, T0 + 62 * SEC, NULL);
	CHECK(last_with(&c, OUT_ALERT, "after-a-minute") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
}

TEST(global_rate_limit_spans_workloads)
{
	struct captured c;
	struct alert_pipeline_options o = { .emit = capture, .ctx = &c, .global_rate_per_min = 5 };
	struct alert_pipeline *p;
	char id[80], name[16];

	memset(&c, 0, sizeof(c));
	p = alert_pipeline_new(&o);
	for (int i = 0; i < 8; i++) {
		struct alert_spec s = { .rule = "R", .container = id, .name = name };

		snprintf(id, sizeof(id), "%064d", i);
		snprintf(name, sizeof(name), "w%d", i);
		feed(p, &s, T0 + (uint64_t)i, NULL);
	}
	CHECK_INT(count_kind(&c, OUT_ALERT), 5);
	alert_pipeline_free(p);
	captured_free(&c);
}

/* ---- exceptions ------------------------------------------------------- */

static struct alert_exceptions *exceptions(const char *yaml)
{
	struct alert_exceptions *ex = alert_exceptions_new();
	char err[512];

	if (alert_exceptions_parse(ex, "x.yaml", yaml, strlen(yaml), err, sizeof(err)) < 0) {
		fprintf(stderr, "  %s\n", err);
		alert_exceptions_free(ex);
		return NULL;
	}
	return ex;
}

/* Forwarded (1) or silenced (0) under these exceptions. */
static int passes(const char *yaml, const struct alert_spec *s, uint64_t t,
		  const struct alert_context *ctx)
{
	struct alert_exceptions *ex = exceptions(yaml);
	struct captured c;
	struct alert_pipeline *p;
	int n;

	if (!ex)
		return -1;
	p = pipeline(&c, ex);
	feed(p, s, t, ctx);
	n = (int)count_kind(&c, OUT_ALERT);
	alert_pipeline_free(p);
	captured_free(&c);
	alert_exceptions_free(ex);
	return n;
}

TEST(exception_on_rule_glob_and_kind)
{
	const char *y = "exceptions:\n  - name: writes\n    match: {rule: \"Write below *\", kind: rule}\n";
	struct alert_spec w = { .rule = "Write below etc" }, r = { .rule = "Read sensitive file" };

	CHECK_INT(passes(y, &w, T0, NULL), 0);
	CHECK_INT(passes(y, &r, T0, NULL), 1);
	CHECK_INT(passes("exceptions:\n  - name: a\n    match: {kind: anomaly}\n", &w, T0, NULL), 1);
}

TEST(exception_on_field_lists_and_globs)
{
	const char *y = "exceptions:\n  - name: pkg\n    fields:\n      proc.name: [apt, dpkg]\n"
			"      fd.name: \"/var/lib/*\"\n";
	struct alert_spec apt = { .rule = "W", .proc_name = "apt", .fd_name = "/var/lib/dpkg/status" };
	struct alert_spec dpkg = { .rule = "W", .proc_name = "dpkg", .fd_name = "/var/lib/x" };
	struct alert_spec curl = { .rule = "W", .proc_name = "curl", .fd_name = "/var/lib/x" };
	struct alert_spec etc = { .rule = "W", .proc_name = "apt", .fd_name = "/etc/passwd" };

	CHECK_INT(passes(y, &apt, T0, NULL), 0);
	CHECK_INT(passes(y, &dpkg, T0, NULL), 0);
	CHECK_INT(passes(y, &curl, T0, NULL), 1);
	CHECK_INT(passes(y, &etc, T0, NULL), 1);
}

TEST(exception_on_workload_selectors)
{
	const char *y = "exceptions:\n  - name: dev\n    workload:\n      container.name: \"web-*\"\n"
			"      k8s.ns.name: [dev, test]\n";
	struct alert_spec dev = { .rule = "R", .name = "web-3", .namespace = "dev" };
	struct alert_spec prod = { .rule = "R", .name = "web-3", .namespace = "prod" };
	struct alert_spec db = { .rule = "R", .name = "db-1", .namespace = "dev" };
	struct alert_spec host = { .rule = "R", .unit = "cron.service" };

	CHECK_INT(passes(y, &dev, T0, NULL), 0);
	CHECK_INT(passes(y, &prod, T0, NULL), 1);
	CHECK_INT(passes(y, &db, T0, NULL), 1);
	CHECK_INT(passes("exceptions:\n  - name: cron\n    workload: {host.unit: cron.service}\n",
			 &host, T0, NULL), 0);
	CHECK_INT(passes("exceptions:\n  - name: cron\n    workload: {host.unit: cron.service}\n",
			 &dev, T0, NULL), 1);
}

TEST(exception_expires)
{
	const char *y = "exceptions:\n  - name: temp\n    match: {rule: R}\n"
			"    expires: 2026-03-05T00:00:00Z\n";
	struct alert_exceptions *ex = exceptions(y);
	struct alert_spec s = { .rule = "R" };
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, ex);

	feed(p, &s, T0, NULL);					/* the day before */
	CHECK_INT(count_kind(&c, OUT_ALERT), 0);
	feed(p, &s, T0 + 14 * 3600 * SEC, NULL);		/* after midnight */
	CHECK_INT(count_kind(&c, OUT_ALERT), 1);
	feed(p, &s, T0 + 15 * 3600 * SEC, NULL);
	CHECK_INT(c.warnings, 1);				/* said once */
	CHECK(alert_exceptions_stat(ex, 0).expired);
	CHECK_INT(alert_exceptions_stat(ex, 0).hits, 1);
	alert_pipeline_free(p);
	captured_free(&c);
	alert_exceptions_free(ex);
}

TEST(exception_when_mode)
{
	const char *y = "exceptions:\n  - name: learning\n    when: {mode: learning}\n";
	struct alert_spec s = { .rule = "R" };
	struct alert_context learning = { .mode = "learning" }, monitoring = { .mode = "monitoring" };
	struct out_record r = make_anomaly("web-1", 50, "learning", T0);
	struct alert_exceptions *ex = exceptions(y);
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, ex);

	CHECK_INT(passes(y, &s, T0, &learning), 0);
	CHECK_INT(passes(y, &s, T0, &monitoring), 1);
	CHECK_INT(passes(y, &s, T0, NULL), 1);
	alert_pipeline_alert(p, &r, NULL);		/* mode from the anomaly itself */
	CHECK_INT(count_kind(&c, OUT_ALERT), 0);
	alert_pipeline_free(p);
	captured_free(&c);
	alert_exceptions_free(ex);
}

TEST(exception_when_hours_and_days)
{
	const char *inside = "exceptions:\n  - name: office\n    when: {hours: \"09:00-17:00\", "
			     "days: [mon, tue, wed, thu, fri], tz: UTC}\n";
	const char *outside = "exceptions:\n  - name: night\n    when: {outside_hours: "
			      "\"09:00-17:00\", tz: \"+02:00\"}\n";
	struct alert_spec s = { .rule = "R" };

	/* the same alert matters in the evening and at weekends, not at 10:00 */
	CHECK_INT(passes(inside, &s, T0, NULL), 0);			/* wed 10:00 */
	CHECK_INT(passes(inside, &s, T0 + 10 * 3600 * SEC, NULL), 1);	/* wed 20:00 */
	CHECK_INT(passes(inside, &s, T0 + 3 * 86400 * SEC, NULL), 1);	/* sat 10:00 */
	CHECK_INT(passes(inside, &s, T0 + 7 * 3600 * SEC - SEC, NULL), 0);	/* 16:59:59 */
	/* +02:00: 10:00 UTC is 12:00 there, inside; 16:00 UTC is 18:00, outside */
	CHECK_INT(passes(outside, &s, T0, NULL), 1);
	CHECK_INT(passes(outside, &s, T0 + 6 * 3600 * SEC, NULL), 0);
}

TEST(exception_when_deployed_within)
{
	const char *y = "exceptions:\n  - name: rollout\n    when: {deployed_within: 15m}\n";
	struct alert_spec s = { .rule = "R" };
	struct alert_context ctx = { .workload_start_ns = T0 };

	CHECK_INT(passes(y, &s, T0 + 5 * 60 * SEC, &ctx), 0);
	CHECK_INT(passes(y, &s, T0 + 30 * 60 * SEC, &ctx), 1);
	CHECK_INT(passes(y, &s, T0 + 5 * 60 * SEC, NULL), 1);	/* start unknown */
}

TEST(exception_lowers_and_escalation_raises)
{
	const char *y = "exceptions:\n  - name: soft\n    match: {rule: R}\n    effect: lower\n"
			"escalate:\n  - name: guard\n    match: {kind: anomaly}\n"
			"    when: {mode: protecting}\n    priority: critical\n";
	struct alert_exceptions *ex = exceptions(y);
	struct alert_spec s = { .rule = "R", .priority = "Error" };
	struct out_record a1 = make_anomaly("web-1", 50, "protecting", T0);
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, ex);
	cJSON *o;

	feed(p, &s, T0, NULL);
	o = cJSON_Parse(last_with(&c, OUT_ALERT, "\"rule\":\"R\""));
	CHECK(o != NULL);
	CHECK_STR(cJSON_GetObjectItem(o, "priority")->valuestring, "Informational");
	CHECK_STR(cJSON_GetObjectItem(o, "original_priority")->valuestring, "Error");
	CHECK_STR(cJSON_GetObjectItem(o, "exception")->valuestring, "soft");
	cJSON_Delete(o);
	alert_pipeline_alert(p, &a1, NULL);
	o = cJSON_Parse(last_with(&c, OUT_ALERT, "anomaly"));
	CHECK(o != NULL);
	CHECK_STR(cJSON_GetObjectItem(o, "priority")->valuestring, "Critical");
	cJSON_Delete(o);
	captured_free(&c);
	a1 = make_anomaly("web-2", 50, "monitoring", T0 + SEC);
	alert_pipeline_alert(p, &a1, NULL);
	CHECK(last_with(&c, OUT_ALERT, "\"priority\":\"Notice\"") != NULL);
	alert_pipeline_free(p);
	captured_free(&c);
	alert_exceptions_free(ex);
}

TEST(bad_exception_files_name_line_and_column)
{
	static const struct { const char *yaml, *want; } cases[] = {
		{ "exceptions:\n  - name: a\n    colour: red\n", "x.yaml:3:5: unknown key 'colour'" },
		{ "exceptions:\n  - name: a\n    match: {rule: \"[abc\"}\n",
		  "x.yaml:3:19: bad glob \"[abc\": unclosed '['" },
		{ "exceptions:\n  - name: a\n    when: {deployed_within: soon}\n",
		  "x.yaml:3:29: bad duration \"soon\"" },
		{ "exceptions:\n  - name: a\n    expires: 2026-02-30\n",
		  "x.yaml:3:14: bad date \"2026-02-30\"" },
		{ "exceptions:\n  - name: a\n    when: {hours: \"9-17\"}\n",
		  "x.yaml:3:19: bad hours \"9-17\"" },
		{ "exceptions:\n  - name: a\n    when: {days: [mon, funday]}\n",
		  "x.yaml:3:24: unknown day \"funday\"" },
		{ "exceptions:\n  - name: a\n    when: {mode: sleeping}\n",
		  "x.yaml:3:18: unknown mode \"sleeping\"" },
		{ "exceptions:\n  - name: a\n    workload: {pod: x}\n",
		  "x.yaml:3:16: unknown workload selector 'pod'" },
		{ "exceptions:\n  - match: {rule: x}\n", "x.yaml:2:5: entry without a name" },
		{ "exceptions:\n  - name: a\n  - name: a\n", "x.yaml:3:5: name 'a' used twice" },
		{ "exceptions:\n  - name: a\n    when: {tz: Mars/Olympus}\n",
		  "x.yaml:3:16: unknown tz \"Mars/Olympus\"" },
		{ "exceptions:\n  - name: a\n    effect: vanish\n", "x.yaml:3:13: unknown effect" },
		{ "escalate:\n  - name: a\n    match: {kind: rule}\n",
		  "x.yaml:2:5: escalation 'a' needs a priority" },
		{ "rules:\n  - name: a\n", "x.yaml:1:1: unknown key 'rules'" },
		{ "exceptions:\n  - name: [a\n", "x.yaml:3:1: " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_exceptions *ex = alert_exceptions_new();
		char err[512] = "";
		int rc = alert_exceptions_parse(ex, "x.yaml", cases[i].yaml,
						strlen(cases[i].yaml), err, sizeof(err));

		CHECK_INT(rc, -1);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fprintf(stderr, "  case %zu: got \"%s\"\n  want \"%s...\"\n", i, err,
				cases[i].want), test_failed_now = 1;
		CHECK_INT(alert_exceptions_count(ex), 0);
		alert_exceptions_free(ex);
	}
}

TEST(a_file_with_an_error_is_refused_whole)
{
	const char *y = "exceptions:\n  - name: good\n    match: {rule: R}\n"
			"  - name: bad\n    expires: tomorrow\n";
	struct alert_exceptions *ex = alert_exceptions_new();
	char err[512];

	CHECK_INT(alert_exceptions_parse(ex, "x.yaml", y, strlen(y), err, sizeof(err)), -1);
	CHECK_INT(alert_exceptions_count(ex), 0);
	alert_exceptions_free(ex);
}

TEST(example_exceptions_file_loads)
{
	struct alert_exceptions *ex = alert_exceptions_new();
	char err[512] = "";

	CHECK_INT(alert_exceptions_load_file(ex, "config/exceptions.yaml", err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	CHECK(alert_exceptions_count(ex) >= 5);
	alert_exceptions_free(ex);
}

/* ---- the noise helper and the cost of a duplicate ---------------------- */

TEST(replay_counts_lines_and_incidents)
{
	FILE *in = tmpfile();
	struct alert_pipeline_options o = { 0 };
	struct alert_replay_result res;

	CHECK(in != NULL);
	if (!in)
		return;
	for (int i = 0; i < 600; i++) {	/* a benign job, 10 minutes of it */
		struct alert_spec s = { .rule = i % 3 ? "Read sensitive file" : "Write below etc",
					.name = i % 2 ? "cron-a" : "cron-b",
					.container = i % 2 ? "a000" : "b000" };
		struct out_record r = make_alert(&s, T0 + (uint64_t)i * SEC);

		fprintf(in, "%.*s\n", (int)r.len, r.json);
	}
	fprintf(in, "{\"time\":\"x\",\"event\":\"exec\"}\nnot json\n");
	rewind(in);
	CHECK_INT(alert_replay(in, NULL, &o, &res), 0);
	printf("  noise: %llu alerts in -> %llu lines out (%llu alerts, %llu incident records), "
	       "%llu incidents\n", (unsigned long long)res.alerts_in,
	       (unsigned long long)res.lines_out, (unsigned long long)res.alerts_out,
	       (unsigned long long)res.incident_records, (unsigned long long)res.incidents);
	CHECK_INT(res.alerts_in, 600);
	CHECK_INT(res.skipped, 2);
	CHECK_INT(res.incidents, 2);
	CHECK(res.alerts_out <= 2 * 2 * 11);	/* 4 keys: first + one summary a minute */
	fclose(in);
}

TEST(duplicate_cost)
{
	struct captured c;
	struct alert_pipeline *p = pipeline(&c, NULL);
	struct alert_spec s = { .rule = "Read sensitive file" };
	struct out_record r = make_alert(&s, T0);
	struct timespec a, b;
	const int n = 200000;
	double ns;

	alert_pipeline_alert(p, &r, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		r.time_ns = T0 + (uint64_t)i;
		alert_pipeline_alert(p, &r, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
	printf("  %.0f ns per duplicate alert (%zu-byte alert)\n", ns, r.len);
	CHECK_INT(count_kind(&c, OUT_ALERT), 1);
	CHECK(ns < 50000);
	alert_pipeline_free(p);
	captured_free(&c);
}

int main(void)
{
	RUN(storm_of_identical_alerts_is_two_lines);
	RUN(a_lasting_storm_gives_one_summary_per_window);
	RUN(pids_of_one_exec_id_dedup_but_containers_do_not);
	RUN(flush_emits_pending_summaries_and_closes_incidents);
	RUN(attack_sequence_is_one_incident_and_outranks_a_low_alert);
	RUN(another_process_tree_in_the_workload_is_another_incident);
	RUN(severity_orders_priority_scores_and_tactics);
	RUN(an_action_joins_the_workload_incident_and_raises_severity);
	RUN(rate_limit_holds_back_and_says_so_once);
	RUN(global_rate_limit_spans_workloads);
	RUN(exception_on_rule_glob_and_kind);
	RUN(exception_on_field_lists_and_globs);
	RUN(exception_on_workload_selectors);
	RUN(exception_expires);
	RUN(exception_when_mode);
	RUN(exception_when_hours_and_days);
	RUN(exception_when_deployed_within);
	RUN(exception_lowers_and_escalation_raises);
	RUN(bad_exception_files_name_line_and_column);
	RUN(a_file_with_an_error_is_refused_whole);
	RUN(example_exceptions_file_loads);
	RUN(replay_counts_lines_and_incidents);
	RUN(duplicate_cost);
	return TEST_SUMMARY();
}

/* downstream.c - the alert pipeline and the outputs behind the agent. */
#include "agent/downstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alert/exceptions.h"
#include "output/metrics.h"
#include "output/outputs.h"
#include "output/sink_webhook.h"
#include "output/syslog_format.h"
#include "rules/ruleset.h"
#include "store/store.h"

#define MAX_EXCEPTION_FILES 64

struct downstream {
	const struct vigil_config *cfg;
	bool replay;
	struct alert_exceptions *exceptions;
	struct alert_pipeline *pipeline;	/* NULL: alerts go out as they come */
	struct outputs *outputs;
	struct store *store;			/* NULL: no audit store */
	uint64_t written;
	char incident_path[4200];		/* where the next incident id is kept */
};

/* Every record that leaves vigil passes here. */
static void publish(void *ctx, const struct out_record *r)
{
	struct downstream *d = ctx;

	d->written++;
	outputs_emit(d->outputs, r);
	if (d->store)
		store_append(d->store, r);
}

static struct alert_exceptions *load_exceptions(const struct vigil_config *cfg)
{
	struct alert_exceptions *ex = alert_exceptions_new();
	const char *paths[MAX_EXCEPTION_FILES];
	char *list = strdup(cfg->alerts.exceptions), err[1024];
	size_t n;

	if (!ex || !list) {
		fprintf(stderr, "vigil: out of memory\n");
		goto fail;
	}
	n = rules_split_paths(list, paths, MAX_EXCEPTION_FILES);
	for (size_t i = 0; i < n; i++) {
		if (alert_exceptions_load_file(ex, paths[i], err, sizeof(err))) {
			fprintf(stderr, "vigil: exceptions: %s\n", err);
			goto fail;
		}
	}
	if (n)
		fprintf(stderr, "vigil: %zu exceptions loaded\n", alert_exceptions_count(ex));
	free(list);
	return ex;
fail:
	free(list);
	alert_exceptions_free(ex);
	return NULL;
}

static uint64_t read_next_incident(const char *path)
{
	uint64_t id = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%" SCNu64, &id) != 1)
			id = 0;
		fclose(f);
	}
	return id;
}

static void save_next_incident(struct downstream *d)
{
	char tmp[4300];
	FILE *f;

	if (!d->incident_path[0] || !d->pipeline)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->incident_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%" PRIu64 "\n", alert_pipeline_next_incident_id(d->pipeline));
	if (fclose(f) == 0)
		rename(tmp, d->incident_path);
}

static int open_pipeline(struct downstream *d)
{
	const struct vigil_config *cfg = d->cfg;
	struct alert_pipeline_options o = {
		.dedup_window_ns = cfg->alerts.dedup_window_ns,
		.incident_window_ns = cfg->alerts.incident_window_ns,
		.rate_per_min = cfg->alerts.rate_limit,
		.global_rate_per_min = cfg->alerts.global_rate_limit,
		.dedup_by_exe = cfg->alerts.dedup_by == 1,
		.emit = publish,
		.ctx = d,
	};

	d->exceptions = load_exceptions(cfg);
	if (!d->exceptions)
		return -1;
	o.exceptions = d->exceptions;
	if (!d->replay) {
		snprintf(d->incident_path, sizeof(d->incident_path), "%s/incident.next",
			 cfg->state_dir);
		o.first_incident_id = read_next_incident(d->incident_path);
		/* the store knows the last id even when incident.next was lost */
		if (d->store && store_last_incident_id(d->store) >= o.first_incident_id)
			o.first_incident_id = store_last_incident_id(d->store) + 1;
	}
	d->pipeline = alert_pipeline_new(&o);
	if (!d->pipeline) {
		fprintf(stderr, "vigil: out of memory\n");
		return -1;
	}
	return 0;
}

int downstream_check_config(const struct vigil_config *cfg, char *err, size_t errlen)
{
	struct syslog_address a;
	char host[256], why[300];
	int port;

	if (cfg->output.syslog_address[0] &&
	    syslog_parse_address(cfg->output.syslog_address, &a, why, sizeof(why))) {
		snprintf(err, errlen, "output.syslog.address: %s", why);
		return -1;
	}
	if (syslog_facility_from_name(cfg->output.syslog_facility) < 0) {
		snprintf(err, errlen, "output.syslog.facility: unknown facility '%.64s' (local0-local7, "
			 "auth, authpriv, daemon, user)", cfg->output.syslog_facility);
		return -1;
	}
	if (cfg->output.webhook_url[0] &&
	    sink_webhook_check_url(cfg->output.webhook_url, why, sizeof(why))) {
		snprintf(err, errlen, "output.webhook.url: %s", why);
		return -1;
	}
	if (cfg->output.metrics_listen[0] &&
	    metrics_parse_listen(cfg->output.metrics_listen, host, sizeof(host), &port, why,
				 sizeof(why))) {
		snprintf(err, errlen, "output.metrics.listen: %s", why);
		return -1;
	}
	return 0;
}

static int open_outputs(struct downstream *d)
{
	const struct vigil_config *cfg = d->cfg;
	char err[600], queue_dir[4200], host[256] = "";
	struct outputs_options o = {
		.to_stdout = cfg->output.to_stdout, .events = cfg->output.events,
		.min_priority = cfg->output.min_priority, .file = cfg->output.file,
		.file_max_bytes = cfg->output.file_max_size, .file_keep = cfg->output.file_keep,
		.syslog_address = d->replay ? "" : cfg->output.syslog_address,
		.syslog_cef = cfg->output.syslog_format == 1,
		.syslog_facility = syslog_facility_from_name(cfg->output.syslog_facility),
		.syslog_min_priority = cfg->output.syslog_min_priority,
		.webhook_url = d->replay ? "" : cfg->output.webhook_url,
		.webhook_headers = cfg->output.webhook_headers, .webhook_queue_dir = queue_dir,
		.webhook_queue_max = cfg->output.webhook_queue_max,
		.webhook_timeout_ms = (long)(cfg->output.webhook_timeout_ns / 1000000),
		.webhook_min_priority = cfg->output.webhook_min_priority,
		.metrics_listen = d->replay ? "" : cfg->output.metrics_listen,
		.host = host, .version = VIGIL_VERSION,
	};

	if (downstream_check_config(cfg, err, sizeof(err))) {
		fprintf(stderr, "vigil: %s\n", err);
		return -1;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(queue_dir, sizeof(queue_dir), "%s/webhook-queue", cfg->state_dir);
	d->outputs = outputs_open(&o, err, sizeof(err));
	if (!d->outputs) {
		fprintf(stderr, "vigil: %s\n", err);
		return -1;
	}
	return 0;
}

static int open_store(struct downstream *d)
{
	const struct vigil_config *cfg = d->cfg;
	struct store_options o;
	char path[4200], err[512];

	store_options_default(&o);
	if (cfg->store.path[0])
		snprintf(path, sizeof(path), "%s", cfg->store.path);
	else
		snprintf(path, sizeof(path), "%s/audit.db", cfg->state_dir);
	o.path = path;
	o.events = (enum store_events_mode)cfg->store.events;
	o.batch_window_ns = cfg->store.batch_window_ns;
	o.retention_age_ns = cfg->store.retention_age_ns;
	o.retention_bytes = cfg->store.retention_size;
	d->store = store_open(&o, err, sizeof(err));
	if (!d->store) {
		fprintf(stderr, "vigil: audit store: %s\n", err);
		return -1;
	}
	return 0;
}

struct metrics *downstream_metrics(struct downstream *d)
{
	struct metrics *m = outputs_metrics(d->outputs);

	if (m && d->store) {
		struct store_stats st;

		store_get_stats(d->store, &st);
		metrics_set(m, "vigil_store_rows_written_total", NULL, NULL, st.written);
		metrics_set(m, "vigil_store_dropped_total", NULL, NULL, st.dropped + st.failed);
	}
	outputs_update_metrics(d->outputs);
	return outputs_metrics(d->outputs);
}

struct downstream *downstream_open(const struct vigil_config *cfg, bool replay, bool store)
{
	struct downstream *d = calloc(1, sizeof(*d));

	if (!d) {
		fprintf(stderr, "vigil: out of memory\n");
		return NULL;
	}
	d->cfg = cfg;
	d->replay = replay;
	if (open_outputs(d)) {
		free(d);
		return NULL;
	}
	if (store && cfg->store.enabled && open_store(d)) {
		outputs_close(d->outputs, 0);
		free(d);
		return NULL;
	}
	if (cfg->alerts.enabled && open_pipeline(d)) {
		downstream_close(d, 0);
		return NULL;
	}
	return d;
}

void downstream_close(struct downstream *d, uint64_t now_ns)
{
	if (!d)
		return;
	if (d->pipeline) {
		alert_pipeline_flush(d->pipeline, now_ns);
		save_next_incident(d);
		alert_pipeline_free(d->pipeline);
	}
	alert_exceptions_free(d->exceptions);
	store_close(d->store);
	outputs_close(d->outputs, 3000);
	free(d);
}

/* Alerts by rule and actions by outcome, counted before dedup. */
static void count_record(struct downstream *d, const struct out_record *rec)
{
	struct metrics *m = outputs_metrics(d->outputs);
	cJSON *j;

	if (!m || (rec->kind != OUT_ALERT && rec->kind != OUT_ACTION))
		return;
	j = cJSON_ParseWithLength(rec->json, rec->len);
	if (rec->kind == OUT_ALERT) {
		const cJSON *rule = cJSON_GetObjectItemCaseSensitive(j, "rule");

		if (cJSON_IsString(rule))
			metrics_add(m, "vigil_alerts_total", "rule", rule->valuestring, 1);
	} else {
		const cJSON *action = cJSON_GetObjectItemCaseSensitive(j, "action");
		const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(j, "outcome");
		char label[256];

		if (cJSON_IsString(action) && cJSON_IsString(outcome)) {
			snprintf(label, sizeof(label), "%s:%.*s", action->valuestring,
				 (int)strcspn(outcome->valuestring, ":"), outcome->valuestring);
			metrics_add(m, "vigil_actions_total", "action", label, 1);
		}
	}
	cJSON_Delete(j);
}

void downstream_emit(struct downstream *d, const struct out_record *rec,
		     const struct alert_context *ctx)
{
	count_record(d, rec);
	if (d->pipeline && rec->kind == OUT_ALERT)
		alert_pipeline_alert(d->pipeline, rec, ctx);
	else if (d->pipeline && rec->kind == OUT_ACTION)
		alert_pipeline_action(d->pipeline, rec, ctx);
	else
		publish(d, rec);
}

void downstream_tick(struct downstream *d, uint64_t now_ns)
{
	if (d->pipeline) {
		alert_pipeline_tick(d->pipeline, now_ns);
		save_next_incident(d);
	}
	downstream_flush(d);
}

void downstream_flush(struct downstream *d)
{
	outputs_flush(d->outputs);
}

int downstream_reload(struct downstream *d)
{
	struct alert_exceptions *ex;

	if (!d->pipeline)
		return 0;
	ex = load_exceptions(d->cfg);
	if (!ex) {
		fprintf(stderr, "vigil: exceptions refused, the ones in force stay\n");
		return -1;
	}
	alert_pipeline_set_exceptions(d->pipeline, ex);
	alert_exceptions_free(d->exceptions);
	d->exceptions = ex;
	return 0;
}

bool downstream_broken(const struct downstream *d)
{
	return outputs_broken(d->outputs);
}

void downstream_stats(const struct downstream *d, struct downstream_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->written = d->written;
	outputs_stats(d->outputs, &out->outputs);
	if (d->pipeline)
		alert_pipeline_get_stats(d->pipeline, &out->pipeline);
}

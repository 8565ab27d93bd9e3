/* outputs.c - the sinks behind the pipeline; see outputs.h. */
#include "output/outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/sink_syslog.h"
#include "output/sink_webhook.h"
#include "output/syslog_format.h"

struct outputs {
	struct outputs_options o;
	char host[256];			/* o.host points here: the caller's may not live on */
	FILE *out, *file;
	char *file_path;
	uint64_t file_size;
	bool broken;
	struct sink_syslog *syslog;
	struct sink_webhook *webhook;
	struct metrics *metrics;
	struct metrics_server *server;
	struct outputs_stats st;
};

/* stream: stdout or the file, where model changes always go (they are
 * rare and say how to read the anomalies that follow). */
static bool wants(const struct out_record *r, int min_priority, bool events, bool stream)
{
	switch (r->kind) {
	case OUT_ALERT: return r->priority <= min_priority;
	case OUT_INCIDENT:
	case OUT_ACTION: return true;
	case OUT_MODEL: return stream;
	default: return events;
	}
}

/* FILE -> FILE.1 -> … -> FILE.keep (the oldest goes). */
static void rotate(struct outputs *o)
{
	char from[4200], to[4200];

	fclose(o->file);
	o->file = NULL;
	for (int i = o->o.file_keep; i >= 1; i--) {
		snprintf(to, sizeof(to), "%s.%d", o->file_path, i);
		if (i == 1)
			snprintf(from, sizeof(from), "%s", o->file_path);
		else
			snprintf(from, sizeof(from), "%s.%d", o->file_path, i - 1);
		rename(from, to);
	}
	if (o->o.file_keep <= 0)
		unlink(o->file_path);
	o->file = fopen(o->file_path, "a");
	o->file_size = 0;
	o->st.rotations++;
	if (!o->file)
		o->st.write_errors++;
}

static void write_file(struct outputs *o, const char *text, size_t len)
{
	if (!o->file)
		return;
	if (fwrite(text, 1, len, o->file) != len || fputc('\n', o->file) == EOF) {
		o->st.write_errors++;
		return;
	}
	o->file_size += len + 1;
	if (o->o.file_max_bytes && o->file_size >= o->o.file_max_bytes)
		rotate(o);
}

static void write_stdout(struct outputs *o, const char *text, size_t len)
{
	if (fwrite(text, 1, len, o->out) == len && fputc('\n', o->out) != EOF)
		return;
	o->st.write_errors++;
	if (errno == EPIPE)
		o->broken = true;
}

static void count_metrics(struct outputs *o, const struct out_record *r)
{
	static const char *const kinds[OUT_KIND_MAX] = {"event", "alert", "incident", "action",
							"model"};
	static const char *const prios[9] = {"emergency", "alert", "critical", "error", "warning",
					     "notice", "informational", "debug", "none"};

	if (!o->metrics)
		return;
	metrics_add(o->metrics, "vigil_records_total", "kind",
		    r->kind < OUT_KIND_MAX ? kinds[r->kind] : "other", 1);
	if (r->kind == OUT_ALERT)
		metrics_add(o->metrics, "vigil_alerts_by_priority_total", "priority",
			    prios[r->priority >= 0 && r->priority <= 8 ? r->priority : 8], 1);
}

void outputs_emit(struct outputs *o, const struct out_record *r)
{
	o->st.written++;
	count_metrics(o, r);
	if (wants(r, o->o.min_priority, o->o.events, true)) {
		if (o->out)
			write_stdout(o, r->json, r->len);
		write_file(o, r->json, r->len);
	}
	if (o->syslog && wants(r, o->o.syslog_min_priority, false, false)) {
		size_t len;
		char *msg = syslog_format(r, o->o.syslog_facility, o->o.syslog_cef, o->o.host,
					  o->o.version, &len);

		if (msg)
			sink_syslog_send(o->syslog, msg, len);
		free(msg);
	}
	if (o->webhook && wants(r, o->o.webhook_min_priority, false, false))
		sink_webhook_send(o->webhook, r->json, r->len);
}

static void describe_metrics(struct metrics *m)
{
	metrics_describe(m, "vigil_events_total", "Sensor events, by type.", true);
	metrics_describe(m, "vigil_events_dropped_total",
			 "Events lost in the kernel (ring buffer full).", true);
	metrics_describe(m, "vigil_alerts_total", "Alerts raised (before dedup), by rule.", true);
	metrics_describe(m, "vigil_actions_total", "Response actions, by action:outcome.", true);
	metrics_describe(m, "vigil_models", "Behaviour models, by mode.", false);
	metrics_describe(m, "vigil_policy_blocks_total", "What policies blocked.", true);
	metrics_describe(m, "vigil_store_rows_written_total", "Rows the audit store committed.",
			 true);
	metrics_describe(m, "vigil_store_dropped_total",
			 "Records the audit store lost (queue full, disk errors).", true);
	metrics_describe(m, "vigil_records_total", "Records written, by kind.", true);
	metrics_describe(m, "vigil_alerts_by_priority_total", "Alerts written, by priority.", true);
	metrics_describe(m, "vigil_output_sent_total", "Records a sink delivered.", true);
	metrics_describe(m, "vigil_output_dropped_total",
			 "Records a sink lost (queue full, refused by the receiver).", true);
}

static int open_file(struct outputs *o, char *err, size_t errlen)
{
	struct stat st;

	o->file_path = strdup(o->o.file);
	o->file = o->file_path ? fopen(o->file_path, "a") : NULL;
	if (!o->file) {
		snprintf(err, errlen, "cannot open output.file %s: %s", o->o.file, strerror(errno));
		return -1;
	}
	o->file_size = fstat(fileno(o->file), &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

struct outputs *outputs_open(const struct outputs_options *opts, char *err, size_t errlen)
{
	struct outputs *o = calloc(1, sizeof(*o));
	char why[512];

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->o = *opts;
	snprintf(o->host, sizeof(o->host), "%s", opts->host ? opts->host : "");
	o->o.host = o->host;
	o->o.version = "" VIGIL_VERSION;
	o->out = opts->to_stdout ? stdout : NULL;
	if (opts->file && opts->file[0] && open_file(o, err, errlen))
		goto fail;
	if (opts->syslog_address && opts->syslog_address[0]) {
		o->syslog = sink_syslog_open(opts->syslog_address, 100000, why, sizeof(why));
		if (!o->syslog) {
			snprintf(err, errlen, "output.syslog.address: %s", why);
			goto fail;
		}
	}
	if (opts->webhook_url && opts->webhook_url[0]) {
		struct sink_webhook_options w = {
			.url = opts->webhook_url, .headers = opts->webhook_headers,
			.queue_dir = opts->webhook_queue_dir, .queue_max_bytes = opts->webhook_queue_max,
			.timeout_ms = opts->webhook_timeout_ms,
		};

		o->webhook = sink_webhook_open(&w, why, sizeof(why));
		if (!o->webhook) {
			snprintf(err, errlen, "output.webhook: %s", why);
			goto fail;
		}
	}
	if (opts->metrics_listen && opts->metrics_listen[0]) {
		o->metrics = metrics_new();
		if (o->metrics)
			describe_metrics(o->metrics);
		o->server = o->metrics ? metrics_serve(o->metrics, opts->metrics_listen, why,
						       sizeof(why)) : NULL;
		if (!o->server) {
			snprintf(err, errlen, "output.metrics.listen: %s", o->metrics ? why : "no memory");
			goto fail;
		}
	}
	return o;
fail:
	outputs_close(o, 0);
	return NULL;
}

void outputs_close(struct outputs *o, int deadline_ms)
{
	if (!o)
		return;
	outputs_flush(o);
	sink_syslog_close(o->syslog, deadline_ms);
	sink_webhook_close(o->webhook, deadline_ms);
	metrics_server_stop(o->server);
	metrics_free(o->metrics);
	if (o->file)
		fclose(o->file);
	free(o->file_path);
	free(o);
}

void outputs_flush(struct outputs *o)
{
	if (o->out && fflush(o->out) == EOF && errno == EPIPE)
		o->broken = true;
	if (o->file)
		fflush(o->file);
}

bool outputs_broken(const struct outputs *o)
{
	return o->broken;
}

struct metrics *outputs_metrics(struct outputs *o)
{
	return o->metrics;
}

void outputs_stats(struct outputs *o, struct outputs_stats *s)
{
	*s = o->st;
	if (o->syslog)
		sink_syslog_stats(o->syslog, &s->syslog_sent, &s->syslog_dropped, &s->syslog_errors);
	if (o->webhook) {
		struct sink_webhook_stats w;

		sink_webhook_stats(o->webhook, &w);
		s->webhook_sent = w.sent;
		s->webhook_rejected = w.rejected;
		s->webhook_errors = w.errors;
		s->webhook_dropped = w.dropped;
	}
}

void outputs_update_metrics(struct outputs *o)
{
	struct outputs_stats s;

	if (!o->metrics)
		return;
	outputs_stats(o, &s);
	if (o->syslog) {
		metrics_set(o->metrics, "vigil_output_sent_total", "sink", "syslog", s.syslog_sent);
		metrics_set(o->metrics, "vigil_output_dropped_total", "sink", "syslog",
			    s.syslog_dropped);
	}
	if (o->webhook) {
		metrics_set(o->metrics, "vigil_output_sent_total", "sink", "webhook", s.webhook_sent);
		metrics_set(o->metrics, "vigil_output_dropped_total", "sink", "webhook",
			    s.webhook_dropped + s.webhook_rejected);
	}
	metrics_set(o->metrics, "vigil_output_sent_total", "sink", "stdout_file", s.written);
}

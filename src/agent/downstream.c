/* downstream.c - the alert pipeline and the outputs behind the agent. */
#include "agent/downstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/exceptions.h"
#include "rules/ruleset.h"

#define MAX_EXCEPTION_FILES 64

struct downstream {
	const struct vigil_config *cfg;
	bool replay;
	struct alert_exceptions *exceptions;
	struct alert_pipeline *pipeline;	/* NULL: alerts go out as they come */
	FILE *out, *file_out;
	bool broken;
	uint64_t written, write_errors;
	char incident_path[4200];		/* where the next incident id is kept */
};

static void write_line(FILE *f, const char *text, size_t len, struct downstream *d, bool is_stdout)
{
	if (fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF)
		return;
	d->write_errors++;
	if (is_stdout && errno == EPIPE)
		d->broken = true;	/* the reader went away */
}

/* Every record that leaves vigil passes here. */
static void publish(void *ctx, const struct out_record *r)
{
	struct downstream *d = ctx;

	d->written++;
	if (d->out)
		write_line(d->out, r->json, r->len, d, true);
	if (d->file_out)
		write_line(d->file_out, r->json, r->len, d, false);
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
	}
	d->pipeline = alert_pipeline_new(&o);
	if (!d->pipeline) {
		fprintf(stderr, "vigil: out of memory\n");
		return -1;
	}
	return 0;
}

struct downstream *downstream_open(const struct vigil_config *cfg, bool replay)
{
	struct downstream *d = calloc(1, sizeof(*d));

	if (!d) {
		fprintf(stderr, "vigil: out of memory\n");
		return NULL;
	}
	d->cfg = cfg;
	d->replay = replay;
	d->out = cfg->output.to_stdout ? stdout : NULL;
	if (cfg->output.file && cfg->output.file[0]) {
		d->file_out = fopen(cfg->output.file, "a");
		if (!d->file_out) {
			fprintf(stderr, "vigil: cannot open output.file %s: %s\n", cfg->output.file,
				strerror(errno));
			free(d);
			return NULL;
		}
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
	if (d->out)
		fflush(d->out);
	if (d->file_out)
		fclose(d->file_out);
	free(d);
}

void downstream_emit(struct downstream *d, const struct out_record *rec,
		     const struct alert_context *ctx)
{
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
	if (d->out)
		fflush(d->out);
	if (d->file_out)
		fflush(d->file_out);
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
	return d->broken;
}

void downstream_stats(const struct downstream *d, struct downstream_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->written = d->written;
	out->write_errors = d->write_errors;
	if (d->pipeline)
		alert_pipeline_get_stats(d->pipeline, &out->pipeline);
}

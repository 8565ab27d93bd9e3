/* fuzz_exceptions.c - the exceptions parser, then the parsed exceptions
 * on sample alerts at several times and modes; and the same bytes fed to
 * the pipeline as an alert (hostile JSON from a recorded stream).
 *
 * A refusal must say where ("x.yaml:line:col: ..."); an accepted file
 * must evaluate without crashing; every record forwarded must be one
 * object the pipeline itself can read again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_pipeline.h"
#include "alert/json_view.h"

#define SEC 1000000000ULL

static const char *const samples[] = {
	"{\"rule\":\"Write below etc\",\"priority\":\"Error\",\"output_fields\":{\"evt.time\":1,"
	"\"proc.name\":\"apt\",\"fd.name\":\"/var/lib/dpkg/x\",\"proc.pid\":3},\"tags\":"
	"[\"mitre_persistence\",\"TA0003\"],\"kind\":\"rule\",\"proc\":{\"pid\":3,\"exe\":"
	"\"/usr/bin/apt\",\"exec_id\":\"e1\",\"ancestors\":[{\"pid\":1,\"exe\":\"/init\","
	"\"exec_id\":\"r1\"}]},\"workload\":{\"kind\":\"container\",\"id\":\"abc\",\"name\":"
	"\"web-1\",\"image\":\"debian:12\",\"namespace\":\"dev\",\"pod\":\"web-1-x\"}}",
	"{\"rule\":\"Behaviour anomaly\",\"priority\":\"Notice\",\"kind\":\"anomaly\",\"anomaly\":"
	"{\"model\":\"m\",\"mode\":\"protecting\",\"score\":77,\"novelties\":[{\"category\":"
	"\"exec\",\"value\":\"/bin/nc\"}]},\"proc\":{\"exec_id\":\"e2\"},\"workload\":{\"kind\":"
	"\"host\",\"unit\":\"cron.service\"}}",
	"{\"kind\":\"block\",\"priority\":\"Warning\",\"workload\":{\"kind\":\"host\"}}",
};

/* ctx: the input, which the pipeline passes on as it is when it cannot
 * read it; everything it composed itself must be an object. */
static void check_record(void *ctx, const struct out_record *r)
{
	struct jspan root = jspan_of(r->json, r->len);

	if (r->kind != OUT_INCIDENT && r->kind != OUT_ALERT && r->kind != OUT_ACTION)
		abort();
	if (r->json == ctx)
		return;
	if (!root.p || root.p[0] != '{' || root.p[root.n - 1] != '}')
		abort();
}

static void evaluate(struct alert_exceptions *ex)
{
	static const char *const modes[] = { "learning", "monitoring", "protecting", "" };
	struct alert_pipeline_options o = { .emit = check_record, .exceptions = ex,
					    .warn = NULL };
	struct alert_pipeline *p = alert_pipeline_new(&o);
	uint64_t t = 1772618400ULL * SEC;

	if (!p)
		abort();
	for (int i = 0; i < 8; i++) {
		for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
			struct alert_context ctx = { .mode = modes[i % 4],
						     .workload_start_ns = t - 600 * SEC };
			struct out_record r = { s == 2 ? OUT_ACTION : OUT_ALERT, 4,
						t + (uint64_t)i * 7 * 3600 * SEC, samples[s],
						strlen(samples[s]) };

			if (s == 2)
				alert_pipeline_action(p, &r, &ctx);
			else
				alert_pipeline_alert(p, &r, &ctx);
		}
	}
	alert_pipeline_flush(p, t + 100 * 3600 * SEC);
	alert_pipeline_free(p);
}

static void feed_as_alert(const uint8_t *data, size_t size)
{
	struct alert_pipeline_options o = { .emit = check_record, .ctx = (void *)data };
	struct alert_pipeline *p = alert_pipeline_new(&o);
	struct out_record r = { OUT_ALERT, 4, 1000 * SEC, (const char *)data, size };

	if (!p)
		abort();
	alert_pipeline_alert(p, &r, NULL);
	alert_pipeline_alert(p, &r, NULL);
	r.kind = OUT_ACTION;
	alert_pipeline_action(p, &r, NULL);
	alert_pipeline_flush(p, 2000 * SEC);
	alert_pipeline_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_exceptions *ex = alert_exceptions_new();
	char err[512] = "";

	if (!ex)
		return 0;
	if (alert_exceptions_parse(ex, "x.yaml", (const char *)data, size, err, sizeof(err)) < 0) {
		if (strncmp(err, "x.yaml:", 7) != 0)
			abort();
	} else {
		evaluate(ex);
	}
	alert_exceptions_free(ex);
	feed_as_alert(data, size);
	return 0;
}

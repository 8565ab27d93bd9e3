/* alert_replay.c - the noise measurement behind alert_replay.h. */
#include "alert_replay.h"

#include <stdlib.h>
#include <string.h>

#include "alert/exception_time.h"
#include "alert/json_view.h"

#define NS_PER_SEC 1000000000ULL

struct replay {
	FILE *out;
	struct alert_replay_result *res;
};

static void count(void *ctx, const struct out_record *r)
{
	struct replay *rp = ctx;

	rp->res->lines_out++;
	if (r->kind == OUT_ALERT)
		rp->res->alerts_out++;
	if (r->kind == OUT_INCIDENT)
		rp->res->incident_records++;
	if (rp->out) {
		fwrite(r->json, 1, r->len, rp->out);
		fputc('\n', rp->out);
	}
}

/* output_fields.evt.time (ns), else "time" to the second. */
static uint64_t record_time(struct jspan root)
{
	struct jspan t = jspan_path(root, "output_fields");
	char text[40];
	uint64_t ns;

	t = jspan_get(t, "evt.time");
	if (jspan_ok(t) && jspan_int(t) > 0)
		return (uint64_t)jspan_int(t);
	if (jspan_text(jspan_get(root, "time"), text, sizeof(text)) >= 19) {
		strcpy(text + 19, "Z");
		if (when_parse_date(text, &ns) == 0)
			return ns;
	}
	return 0;
}

static void feed_line(struct alert_pipeline *p, struct alert_replay_result *res,
		      const char *line, size_t len, uint64_t *clock)
{
	struct jspan root = jspan_of(line, len), kind;
	struct out_record r = { OUT_ALERT, OUT_PRIORITY_NONE, 0, line, len };

	if (!root.p || root.p[0] != '{') {
		res->skipped++;
		return;
	}
	kind = jspan_get(root, "kind");
	r.time_ns = record_time(root);
	if (r.time_ns < *clock)
		r.time_ns = *clock;	/* never backwards */
	while (*clock && r.time_ns >= *clock + NS_PER_SEC) {
		*clock += NS_PER_SEC;
		alert_pipeline_tick(p, *clock);
	}
	if (!*clock)
		*clock = r.time_ns;
	if (jspan_equals(kind, "action") || jspan_equals(kind, "block")) {
		r.kind = OUT_ACTION;
		res->actions_in++;
		alert_pipeline_action(p, &r, NULL);
	} else if (jspan_equals(kind, "rule") || jspan_equals(kind, "anomaly")) {
		res->alerts_in++;
		alert_pipeline_alert(p, &r, NULL);
	} else {
		res->skipped++;
	}
}

int alert_replay(FILE *in, FILE *out, const struct alert_pipeline_options *o,
		 struct alert_replay_result *res)
{
	struct alert_pipeline_options opts = *o;
	struct replay rp = { out, res };
	uint64_t first_id;
	struct alert_pipeline *p;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t clock = 0;

	memset(res, 0, sizeof(*res));
	opts.emit = count;
	opts.ctx = &rp;
	p = alert_pipeline_new(&opts);
	if (!p)
		return -1;
	first_id = alert_pipeline_next_incident_id(p);
	while ((n = getline(&line, &cap, in)) > 0) {
		res->lines_in++;
		feed_line(p, res, line, (size_t)n, &clock);
	}
	free(line);
	alert_pipeline_flush(p, clock);
	res->incidents = alert_pipeline_next_incident_id(p) - first_id;
	alert_pipeline_free(p);
	return 0;
}

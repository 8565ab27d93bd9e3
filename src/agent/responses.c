/* responses.c - the responder behind the agent. */
#include "agent/responses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 64	/* triggers per batch of events; more are counted */

struct queued {
	struct respond_trigger t;
	char rule[256], container_id[72], container_name[256], container_image[256];
	char pod[256], unit[256];
};

struct responses {
	const struct vigil_config *cfg;
	struct responder *responder;
	bool active;
	struct queued queue[QUEUE_MAX];
	size_t queued;
	uint64_t overflow;
};

/* The response file, with response.dry_run on top. NULL after a message. */
static struct response_config *load_config(const struct vigil_config *cfg)
{
	struct response_config *c = calloc(1, sizeof(*c));
	char err[1024];
	int rc;

	if (!c)
		return NULL;
	if (cfg->response.file[0])
		rc = response_config_load_file(c, cfg->response.file, err, sizeof(err));
	else
		rc = response_config_defaults(c) ? (snprintf(err, sizeof(err), "out of memory"), -1)
						 : 0;
	if (rc) {
		fprintf(stderr, "vigil: response actions: %s\n", err);
		response_config_free(c);
		free(c);
		return NULL;
	}
	if (cfg->response.dry_run)
		c->dry_run = true;
	if (cfg->response.file[0])
		fprintf(stderr, "vigil: %zu response rules loaded%s\n", c->nrules,
			c->dry_run ? " (dry run)" : "");
	return c;
}

struct responses *responses_open(const struct vigil_config *cfg,
				 int (*isolate)(void *ctx, uint64_t cgroup_id, bool on), void *ctx)
{
	struct respond_options o = {.isolate = isolate, .isolate_ctx = ctx};
	struct responses *r = calloc(1, sizeof(*r));
	struct response_config *c;

	if (!r)
		return NULL;
	r->cfg = cfg;
	c = load_config(cfg);
	if (!c) {
		free(r);
		return NULL;
	}
	r->active = c->nrules > 0;
	r->responder = responder_new(&o, c);
	if (!r->responder) {
		fprintf(stderr, "vigil: out of memory\n");
		free(r);
		return NULL;
	}
	return r;
}

void responses_close(struct responses *r)
{
	if (!r)
		return;
	responder_free(r->responder);
	free(r);
}

int responses_reload(struct responses *r)
{
	struct response_config *c = load_config(r->cfg);

	if (!c) {
		fprintf(stderr, "vigil: response actions refused, the ones in force stay\n");
		return -1;
	}
	r->active = c->nrules > 0;
	responder_set_config(r->responder, c);
	return 0;
}

bool responses_active(const struct responses *r)
{
	return r && r->active;
}

static const char *keep(char *dst, size_t cap, const char *src)
{
	if (!src)
		return NULL;
	snprintf(dst, cap, "%s", src);
	return dst;
}

void responses_queue(struct responses *r, const struct respond_trigger *t)
{
	struct queued *q;

	if (r->queued == QUEUE_MAX) {
		r->overflow++;
		return;
	}
	q = &r->queue[r->queued++];
	q->t = *t;
	q->t.rule = keep(q->rule, sizeof(q->rule), t->rule);
	q->t.container_id = keep(q->container_id, sizeof(q->container_id), t->container_id);
	q->t.container_name = keep(q->container_name, sizeof(q->container_name), t->container_name);
	q->t.container_image = keep(q->container_image, sizeof(q->container_image),
				    t->container_image);
	q->t.pod = keep(q->pod, sizeof(q->pod), t->pod);
	q->t.unit = keep(q->unit, sizeof(q->unit), t->unit);
	q->t.cgroup_path = NULL;	/* looked up when run */
}

struct emit_ctx {
	responses_emit_fn emit;
	void *ctx;
	uint64_t cgroup_id;
	char *copy;
	size_t cap;
};

static void on_result(void *ctx, const char *json, size_t len)
{
	struct emit_ctx *e = ctx;

	if (e->emit)
		e->emit(e->ctx, json, len, e->cgroup_id);
	if (e->copy && e->cap)
		snprintf(e->copy, e->cap, "%.*s", (int)len, json);
}

void responses_run(struct responses *r, responses_path_fn path_of, responses_emit_fn emit,
		   void *ctx)
{
	for (size_t i = 0; i < r->queued; i++) {
		struct respond_trigger *t = &r->queue[i].t;
		struct emit_ctx e = {.emit = emit, .ctx = ctx, .cgroup_id = t->cgroup_id};

		if (t->cgroup_id && path_of)
			t->cgroup_path = path_of(ctx, t->cgroup_id);
		respond_handle(r->responder, t, on_result, &e, NULL);
	}
	r->queued = 0;
}

int responses_manual(struct responses *r, const char *action, const struct respond_trigger *t,
		     responses_emit_fn emit, void *ctx, char *json_out, size_t json_cap)
{
	struct emit_ctx e = {.emit = emit, .ctx = ctx, .cgroup_id = t->cgroup_id,
			     .copy = json_out, .cap = json_cap};
	struct respond_result res;
	int a = respond_action_from_name(action);

	if (a < 0) {
		snprintf(json_out, json_cap, "{\"outcome\":\"failed: unknown action '%.64s' (kill, "
			 "kill_tree, stop, freeze, thaw, isolate, release)\"}", action);
		return -1;
	}
	return respond_do(r->responder, (enum respond_action)a, t, on_result, &e, &res);
}

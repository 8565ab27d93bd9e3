/* fuzz_response_config.c - response_config_load_string on arbitrary bytes.
 *
 * A refusal must name the place ("fuzz.yaml:line:col: ..." or, for an
 * allocation failure, "fuzz.yaml: ...").  An accepted file must hold only
 * valid values, and its rules must answer a dry-run responder for a few
 * triggers without acting (dry run is forced, pids are not ours).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "respond/respond.h"

static void check_loaded(const struct response_config *c)
{
	for (size_t i = 0; i < c->nrules; i++) {
		const struct respond_rule *r = &c->rules[i];

		if ((unsigned)r->action >= ACT_COUNT || r->action == ACT_THAW ||
		    r->action == ACT_RELEASE || r->line < 1)
			abort();
		if (r->match.kind < -1 || r->match.kind >= RESPOND_MANUAL ||
		    r->match.priority < -1 || r->match.priority > 7 ||
		    r->match.min_score < -1 || r->match.min_score > 100 ||
		    r->dry_run < -1 || r->dry_run > 1)
			abort();
	}
	if ((c->per_workload.count && !c->per_workload.period_ns) ||
	    (c->global.count && !c->global.period_ns))
		abort();
	for (size_t i = 0; i < c->nunits; i++)
		if (!c->units[i])
			abort();
}

static void noop(void *ctx, const char *json, size_t len)
{
	(void)ctx;
	if (!json || !len || json[0] != '{' || json[len - 1] != '}')
		abort();
}

static void match_triggers(struct response_config *c)
{
	struct respond_trigger t = {
		.kind = RESPOND_KIND_RULE, .rule = "Reverse shell", .priority = 2, .score = 90,
		.container_id = "abc", .container_name = "web-1", .container_image = "acme/web",
		.pod = "p", .unit = "x.service", .pid = 0, .cgroup_path = "/nonexistent-fuzz",
	};
	struct response_config *owned = malloc(sizeof(*owned));
	struct responder *r;

	if (!owned)
		return;
	*owned = *c;		/* the responder takes it over */
	owned->dry_run = true;
	for (size_t i = 0; i < owned->nrules; i++)
		owned->rules[i].dry_run = 1;
	memset(c, 0, sizeof(*c));
	r = responder_new(NULL, owned);
	if (!r)
		return;
	for (int k = RESPOND_KIND_RULE; k < RESPOND_MANUAL; k++) {
		t.kind = k;
		respond_handle(r, &t, noop, NULL, NULL);
	}
	responder_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response_config c;
	char err[512];

	err[0] = '\0';
	if (response_config_load_string(&c, "fuzz.yaml", (const char *)data, size, err,
					sizeof(err)) == 0) {
		check_loaded(&c);
		match_triggers(&c);
	} else if (strncmp(err, "fuzz.yaml:", 10) != 0) {
		abort();
	}
	response_config_free(&c);
	return 0;
}

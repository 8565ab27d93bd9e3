/* ruleset.c - load, compile and report on a set of rules files. */
#include "ruleset.h"

#include <string.h>

int rules_load(struct loaded_rules *r, const char *const *paths, size_t npaths,
	       char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	ruleset_text_init(&r->text);
	if (npaths == 0) {
		if (ruleset_text_load_string(&r->text, DEFAULT_RULES_NAME, default_rules_yaml,
					     default_rules_yaml_len, err, errlen))
			goto fail;
	}
	for (size_t i = 0; i < npaths; i++)
		if (ruleset_text_load_file(&r->text, paths[i], err, errlen))
			goto fail;
	r->engine = rule_engine_compile(&r->text, err, errlen);
	if (!r->engine)
		goto fail;
	return 0;
fail:
	ruleset_text_free(&r->text);
	return -1;
}

void rules_unload(struct loaded_rules *r)
{
	rule_engine_free(r->engine);
	r->engine = NULL;
	ruleset_text_free(&r->text);
}

void rules_report(const struct loaded_rules *r, FILE *f, bool verbose)
{
	const struct rule_engine *e = r->engine;
	size_t n = rule_engine_rule_count(e), usable = 0, enabled = 0;

	for (size_t i = 0; i < n; i++) {
		const struct engine_rule *rule = rule_engine_rule(e, i);

		usable += rule->usable;
		enabled += rule->usable && rule->enabled;
	}
	fprintf(f, "%zu lists, %zu macros, %zu rules: %zu usable (%zu enabled), "
		"%zu unavailable\n", r->text.nlists, r->text.nmacros, n, usable, enabled,
		n - usable);
	for (size_t i = 0; i < n; i++) {
		const struct engine_rule *rule = rule_engine_rule(e, i);

		if (!rule->usable)
			fprintf(f, "unavailable: %s: %s\n", rule->name, rule->unavailable);
	}
	for (size_t i = 0; i < r->text.nwarnings; i++)
		if (verbose)
			fprintf(f, "warning: %s\n", r->text.warnings[i]);
	for (size_t i = 0; i < rule_engine_warning_count(e); i++)
		if (verbose)
			fprintf(f, "warning: %s\n", rule_engine_warning(e, i));
	if (!verbose && r->text.nwarnings + rule_engine_warning_count(e))
		fprintf(f, "%zu warnings (--verbose shows them)\n",
			r->text.nwarnings + rule_engine_warning_count(e));
}

size_t rules_split_paths(char *buf, const char **paths, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		for (char *end = tok + strlen(tok); end > tok && end[-1] == ' ';)
			*--end = '\0';
		if (*tok)
			paths[n++] = tok;
	}
	return n;
}

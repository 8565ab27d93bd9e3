/* fuzz_rules_file.c - ruleset_text_load_string on arbitrary bytes.
 *
 * Whatever the input: no crash, hang or leak; on failure an error message
 * and an untouched ruleset; on success every loaded item has its name and
 * required text.  Each input is loaded twice into one ruleset so that
 * append, override and redefinition across files are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_file.h"

static void check_loaded(const struct ruleset_text *rs)
{
	for (size_t i = 0; i < rs->nlists; i++)
		if (!rs->lists[i].name)
			abort();
	for (size_t i = 0; i < rs->nmacros; i++)
		if (!rs->macros[i].name || !rs->macros[i].condition)
			abort();
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rules_rule *r = &rs->rules[i];

		if (!r->name || !r->condition || !r->output || !r->source ||
		    r->priority < PRIORITY_EMERGENCY || r->priority > PRIORITY_DEBUG)
			abort();
		for (size_t j = 0; j < r->nexceptions; j++)
			if (r->exceptions[j].ncomps != r->exceptions[j].nfields ||
			    !r->exceptions[j].fields)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset_text rs;
	char err[256];

	ruleset_text_init(&rs);
	for (int round = 0; round < 2; round++) {
		size_t before = rs.nrules + rs.nlists + rs.nmacros;

		err[0] = '\0';
		if (ruleset_text_load_string(&rs, "fuzz.yaml", (const char *)data,
					     size, err, sizeof(err)) < 0) {
			if (err[0] == '\0' ||
			    rs.nrules + rs.nlists + rs.nmacros != before)
				abort();
		}
		check_loaded(&rs);
	}
	ruleset_text_free(&rs);
	return 0;
}

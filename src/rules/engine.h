/* engine.h - threat rules compiled for fast evaluation.
 *
 * rule_engine_compile() turns a loaded ruleset (rules_file.h) into
 * condition trees whose fields are resolved, whose lists are hash sets and
 * whose macros are expanded, and indexes the rules by the event types
 * they can match.  Evaluating an event then touches only the candidate
 * rules of its type and allocates nothing.
 *
 * A rule whose condition needs a field vigil cannot provide, or event
 * types the sensor does not trace, is unavailable: it is reported with
 * the reason and skipped; the other rules run.  Real errors (syntax,
 * undefined macro or list, macro cycle, a value of the wrong type) fail
 * the compilation with "file:line:col: problem".
 */
#ifndef VIGIL_RULES_ENGINE_H
#define VIGIL_RULES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/fields.h"
#include "rules/rules_file.h"
#include "util/json.h"

struct rule_engine;

/* What a caller needs to know of one rule. */
struct engine_rule {
	const char *name, *desc, *source;
	int priority;		/* enum rules_priority */
	char **tags;
	size_t ntags;
	bool enabled;
	bool usable;		/* compiled; false: see unavailable */
	char *unavailable;	/* why not usable, NULL when usable */
	uint64_t matches;	/* alerts so far */
};

enum rule_matching {
	RULE_MATCH_ALL,		/* every matching rule alerts */
	RULE_MATCH_FIRST,	/* only the first in file order (Falco's default) */
};

/* NULL with err ("file:line:col: problem") on error. */
struct rule_engine *rule_engine_compile(const struct ruleset_text *text, char *err,
					size_t errlen);
void rule_engine_free(struct rule_engine *e);

void rule_engine_set_matching(struct rule_engine *e, enum rule_matching m);
/* Rules less severe than this (a higher enum value) are not evaluated. */
void rule_engine_set_min_priority(struct rule_engine *e, int priority);

size_t rule_engine_rule_count(const struct rule_engine *e);
const struct engine_rule *rule_engine_rule(const struct rule_engine *e, size_t i);
/* Usable, enabled rules at or above the minimum priority. */
size_t rule_engine_active_count(const struct rule_engine *e);
/* Warnings raised while compiling (unknown fields in outputs, rules
 * matching every event type...), "file:line:col: problem". */
size_t rule_engine_warning_count(const struct rule_engine *e);
const char *rule_engine_warning(const struct rule_engine *e, size_t i);

/* Call match() for each rule the event matches (see rule_matching).
 * Returns the number of matches. */
typedef void (*rule_match_fn)(void *ctx, size_t rule_index, const struct rule_input *in);
size_t rule_engine_evaluate(struct rule_engine *e, const struct rule_input *in,
			    rule_match_fn match, void *ctx);

/* The rule's output with its %fields filled in, valid until the next
 * evaluate or output call. */
const char *rule_engine_output(struct rule_engine *e, size_t rule_index,
			       const struct rule_input *in);
/* The fields the output names, as "field": value pairs of an open JSON object. */
void rule_engine_output_fields(struct rule_engine *e, size_t rule_index,
			       const struct rule_input *in, struct json_writer *w);

#endif

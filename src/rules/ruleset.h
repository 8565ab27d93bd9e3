/* ruleset.h - rules files (or vigil's built-in rules) loaded and compiled
 * into one engine, with the report `vigil rules check` prints. */
#ifndef VIGIL_RULES_RULESET_H
#define VIGIL_RULES_RULESET_H

#include <stdio.h>

#include "rules/engine.h"
#include "rules/rules_file.h"

/* The built-in default ruleset (rules/vigil_rules.yaml, embedded at build). */
extern const char default_rules_yaml[];
extern const size_t default_rules_yaml_len;
#define DEFAULT_RULES_NAME "<built-in>/vigil_rules.yaml"

struct loaded_rules {
	struct ruleset_text text;	/* the engine points into it */
	struct rule_engine *engine;
};

/* Load paths in order (none: the built-in rules) and compile them.
 * 0, or -1 with err ("file:line:col: problem") and nothing loaded. */
int rules_load(struct loaded_rules *r, const char *const *paths, size_t npaths,
	       char *err, size_t errlen);
void rules_unload(struct loaded_rules *r);

/* Counts, then every unavailable rule with its reason, then warnings
 * when verbose. */
void rules_report(const struct loaded_rules *r, FILE *f, bool verbose);

/* "a.yaml,b.yaml" into at most max paths pointing into buf (modified).
 * Returns how many; empty items are skipped. */
size_t rules_split_paths(char *buf, const char **paths, size_t max);

#endif

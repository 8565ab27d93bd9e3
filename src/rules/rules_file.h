/* rules_file.h - load Falco-compatible rules files into a ruleset's text.
 *
 * A rules file is a YAML sequence of mappings, each one of:
 *   - required_engine_version: 8 | "0.57.0"
 *   - required_plugin_versions: [...]            (accepted, ignored)
 *   - list: NAME    items: [...]
 *   - macro: NAME   condition: STRING
 *   - rule: NAME    desc, condition, output, priority, tags, enabled, source,
 *                   exceptions, warn_evttypes, skip-if-unknown-filter
 * Lists, macros and rules also take `append: true` (add to an earlier
 * definition of the same name) or `override: {KEY: append|replace, ...}`.
 * A later plain definition with the same name replaces the earlier one in
 * place.  Several files may be loaded into one ruleset, in order.
 *
 * Conditions stay strings here: compiling them is the condition parser's job.
 * Unknown keys produce warnings (Falco compatibility); wrong types, missing
 * required keys and appends without a base are errors written to err as
 * "file:line:col: problem" (1-based).  A failed load leaves the ruleset
 * exactly as it was.
 */
#ifndef VIGIL_RULES_FILE_H
#define VIGIL_RULES_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Syslog severities, as Falco numbers them: lower is more severe. */
enum rules_priority {
	PRIORITY_EMERGENCY,
	PRIORITY_ALERT,
	PRIORITY_CRITICAL,
	PRIORITY_ERROR,
	PRIORITY_WARNING,
	PRIORITY_NOTICE,
	PRIORITY_INFORMATIONAL,
	PRIORITY_DEBUG,
};

struct rules_list {
	char *name;
	char **items;
	size_t nitems;
	char *file;		/* where it was (last) defined */
	int line, col;
};

struct rules_macro {
	char *name;
	char *condition;
	char *file;
	int line, col;
};

/* One exception: rows of values matched against fields with comps.
 * A value that was a YAML list (for "in"/"pmatch" comps) is kept as the
 * text "(a, b, c)" so that it reads as a condition list. */
struct rules_exception {
	char *name;
	char **fields;
	size_t nfields;
	char **comps;		/* ncomps == nfields */
	size_t ncomps;
	char ***values;		/* nvalues rows, each nfields long */
	size_t nvalues;
	bool fields_is_single;	/* `fields: f` (not a list): each row is one value */
};

struct rules_rule {
	char *name, *desc, *condition, *output, *source;
	int priority;		/* enum rules_priority */
	char **tags;
	size_t ntags;
	bool enabled;
	bool warn_evttypes;
	bool skip_if_unknown_filter;
	struct rules_exception *exceptions;
	size_t nexceptions;
	char *file;
	int line, col;
};

/* Everything loaded so far, in definition order. */
struct ruleset_text {
	struct rules_list *lists;
	size_t nlists;
	struct rules_macro *macros;
	size_t nmacros;
	struct rules_rule *rules;
	size_t nrules;
	char **warnings;	/* "file:line:col: problem" */
	size_t nwarnings;
	/* Highest version required by any file, encoded major*1000000 +
	 * minor*1000 + patch; a plain integer N means Falco's 0.N.0. */
	unsigned required_engine_version;
};

void ruleset_text_init(struct ruleset_text *rs);
/* 0 on success; -1 with err set and rs unchanged. */
int ruleset_text_load_file(struct ruleset_text *rs, const char *path,
			   char *err, size_t errlen);
int ruleset_text_load_string(struct ruleset_text *rs, const char *name,
			     const char *data, size_t len,
			     char *err, size_t errlen);
void ruleset_text_free(struct ruleset_text *rs);

/* Falco's spelling ("Warning", "Informational"...); "Unknown" if out of range. */
const char *priority_name(int priority);
/* Case-insensitive; "info" is informational.  -1 if unknown. */
int priority_from_name(const char *s);

#endif

/* json_view.h - read fields of a finished JSON object in place.
 *
 * The alert pipeline looks at a handful of members of every alert (rule,
 * priority, output_fields, proc, workload) and must not allocate per
 * alert, so instead of building a tree it walks the text: a span is the
 * raw text of one value, and lookups skip over everything else.  Text
 * from monitored processes may be hostile: every function stops at the
 * end of its span and answers "absent" on malformed input.
 */
#ifndef VIGIL_ALERT_JSON_VIEW_H
#define VIGIL_ALERT_JSON_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jspan {
	const char *p;		/* NULL: absent */
	size_t n;
};

/* Iterates the members of an object or the elements of an array. */
struct jiter {
	const char *p, *end;
	bool object, done;
};

static inline bool jspan_ok(struct jspan s) { return s.p != NULL; }

/* The whole text as a span, trimmed of surrounding white space. */
struct jspan jspan_of(const char *text, size_t len);
bool jiter_begin(struct jiter *it, struct jspan container);
/* Next member: key is the raw string (quotes included) for objects, absent
 * for arrays.  False at the end or on malformed text. */
bool jiter_next(struct jiter *it, struct jspan *key, struct jspan *value);

/* The value of member key (first match, compared on the raw text). */
struct jspan jspan_get(struct jspan object, const char *key);
/* Descend a path of keys separated by '.'s: "anomaly.model". */
struct jspan jspan_path(struct jspan object, const char *path);

bool jspan_is_string(struct jspan s);
/* Unescape a string value into buf (NUL-terminated, cut at cap - 1);
 * numbers, booleans and null are copied as written.  Returns the length,
 * or 0 (buf "") when absent, an object or an array. */
size_t jspan_text(struct jspan s, char *buf, size_t cap);
/* Is the value the string lit?  (Compares the raw text: no escapes.) */
bool jspan_equals(struct jspan s, const char *lit);
/* A number value as an integer (0 when absent or not a number). */
int64_t jspan_int(struct jspan s);

#endif

/* condition.h - parser for the condition language of Falco-compatible rules.
 *
 * A condition is a boolean expression over event fields:
 *
 *   spawned_process and container and not proc.name in (shell_binaries, "my sh")
 *
 * cond_parse() turns the text into a tree; it only checks syntax.  Whether a
 * field name exists, whether a bare name is a known macro or list, and what
 * a value means are decided later by the rule compiler, which has the tables.
 */
#ifndef VIGIL_RULES_CONDITION_H
#define VIGIL_RULES_CONDITION_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting of parentheses and `not` deeper than this is refused, so hostile
 * input cannot exhaust the stack of the parser or of the tree walkers. */
#define COND_MAX_NESTING 200
/* Height of the finished tree (long and/or chains count too). */
#define COND_MAX_TREE_DEPTH 1000

enum cond_node_kind {
	COND_AND,     /* left and right */
	COND_OR,      /* left or right */
	COND_NOT,     /* not left */
	COND_COMPARE, /* field op value(s) */
	COND_EXISTS,  /* field exists */
	COND_MACRO,   /* bare name: a macro reference */
};

struct cond_value {
	char *text;    /* unescaped */
	bool quoted;   /* written as a '...' or "..." string */
	bool is_field; /* written as val(field): text is the field name */
};

struct cond_node {
	enum cond_node_kind kind;
	struct cond_node *left, *right; /* AND/OR use both, NOT uses left */

	char *field;     /* COMPARE/EXISTS: "proc.aname" */
	char *field_arg; /* "2" for proc.aname[2]; NULL without brackets */
	char *op;        /* COMPARE: "=", "in", "startswith", ... */
	struct cond_value *values;
	size_t nvalues;
	bool value_is_list; /* values came from a (a, b, ...) list */

	char *macro; /* COND_MACRO: the name */
	int line, col; /* where the node starts in the condition, 1-based */
};

struct cond_error {
	int line, col; /* 1-based position of the problem */
	char message[200];
};

/* Parse len bytes of text.  Returns the tree, or NULL with *err filled in
 * (err may be NULL).  Free the tree with cond_free(). */
struct cond_node *cond_parse(const char *text, size_t len,
			     struct cond_error *err);

void cond_free(struct cond_node *n);

/* Render a tree as a canonical condition string that cond_parse() accepts
 * and that parses to the same tree: parentheses only where the tree needs
 * them, one space around operators, quoted values in double quotes.  Returns a malloc'd string, NULL on no memory. */
char *cond_to_string(const struct cond_node *n);

#endif

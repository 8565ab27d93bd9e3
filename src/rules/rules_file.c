/* rules_file.c - load Falco-compatible rules files (see rules_file.h).
 *
 * Each load works on a deep copy of the ruleset and swaps it in only when
 * the whole file loaded, so a failed load changes nothing.  Each top-level
 * item is first parsed into a `struct entry` (what the file says), then
 * applied to the working copy (define, replace, append or override).
 *
 * libyaml's document API keeps aliases as references to one node, so a
 * small hostile file can name the same big sequence many times; every
 * string copied out of the document is charged to a per-load budget so that
 * such files fail cleanly instead of exhausting memory.  The walk below
 * never recurses on the document's shape (depth is fixed by the format),
 * so alias cycles cannot loop it either.
 */
#include "rules/rules_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define LOAD_BUDGET_BYTES ((size_t)64 << 20)
#define STRING_OVERHEAD 16	/* what an allocation costs beyond its bytes */

enum entry_kind { KIND_LIST, KIND_MACRO, KIND_RULE };

static const char *const kind_names[] = { "list", "macro", "rule" };

/* The keys an entry may hold, one bit each. */
enum field_bit {
	F_ITEMS = 1u << 0,
	F_CONDITION = 1u << 1,
	F_DESC = 1u << 2,
	F_OUTPUT = 1u << 3,
	F_PRIORITY = 1u << 4,
	F_TAGS = 1u << 5,
	F_ENABLED = 1u << 6,
	F_SOURCE = 1u << 7,
	F_EXCEPTIONS = 1u << 8,
	F_WARN_EVTTYPES = 1u << 9,
	F_SKIP_UNKNOWN = 1u << 10,
};

/* One top-level list/macro/rule item as written in the file. */
struct entry {
	enum entry_kind kind;
	yaml_node_t *node;
	char *name;
	char **items;
	size_t nitems;
	struct rules_rule rule;	/* rule fields; a macro's condition too */
	unsigned present;	/* F_* bits given */
	bool append;
	unsigned override_append, override_replace;
};

struct load_ctx {
	const char *file;
	yaml_document_t *doc;
	struct ruleset_text *rs;	/* the working copy */
	char *err;
	size_t errlen;
	size_t budget;			/* bytes of text still allowed */
};

typedef int (*key_parser)(struct load_ctx *c, yaml_node_t *value,
			  struct entry *e);

struct key_spec {
	const char *key;
	unsigned kinds;		/* 1 << enum entry_kind */
	unsigned bit;
	key_parser parse;
	bool can_append, can_replace;
};

/* ---- small helpers ------------------------------------------------- */

static const char *const priority_names[] = {
	"Emergency", "Alert", "Critical", "Error",
	"Warning", "Notice", "Informational", "Debug",
};

const char *priority_name(int priority)
{
	if (priority < 0 || priority > PRIORITY_DEBUG)
		return "Unknown";
	return priority_names[priority];
}

int priority_from_name(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i <= PRIORITY_DEBUG; i++)
		if (strcasecmp(s, priority_names[i]) == 0)
			return i;
	if (strcasecmp(s, "info") == 0)
		return PRIORITY_INFORMATIONAL;
	return -1;
}

static void free_strs(char **v, size_t n)
{
	if (!v)
		return;	/* an exception appended to has rows but no field names */
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends s (owned) to *v; on failure frees s. */
static int push_str(char ***v, size_t *n, char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown) {
		free(s);
		return -1;
	}
	grown[(*n)++] = s;
	*v = grown;
	return 0;
}

static int copy_strs(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	*dst = NULL;
	*ndst = 0;
	for (size_t i = 0; i < n; i++) {
		char *s = strdup(src[i]);

		if (!s || push_str(dst, ndst, s) < 0) {
			free_strs(*dst, *ndst);
			*dst = NULL;
			*ndst = 0;
			return -1;
		}
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* "a" + " " + "b" in a new string, or NULL. */
static char *join_space(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	if (la) {
		memcpy(s, a, la);
		s[la++] = ' ';
	}
	memcpy(s + la, b, lb + 1);
	return s;
}

/* ---- freeing and cloning the ruleset -------------------------------- */

static void free_list(struct rules_list *l)
{
	free(l->name);
	free_strs(l->items, l->nitems);
	free(l->file);
}

static void free_macro(struct rules_macro *m)
{
	free(m->name);
	free(m->condition);
	free(m->file);
}

static void free_rows(char ***rows, size_t nrows, size_t width)
{
	for (size_t i = 0; i < nrows; i++)
		free_strs(rows[i], width);
	free(rows);
}

static void free_exception(struct rules_exception *x)
{
	free(x->name);
	free_rows(x->values, x->nvalues, x->nfields);
	free_strs(x->fields, x->nfields);
	free_strs(x->comps, x->ncomps);
}

static void free_exceptions(struct rules_exception *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_exception(&x[i]);
	free(x);
}

static void free_rule(struct rules_rule *r)
{
	free(r->name);
	free(r->desc);
	free(r->condition);
	free(r->output);
	free(r->source);
	free_strs(r->tags, r->ntags);
	free_exceptions(r->exceptions, r->nexceptions);
	free(r->file);
}

void ruleset_text_init(struct ruleset_text *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void ruleset_text_free(struct ruleset_text *rs)
{
	for (size_t i = 0; i < rs->nlists; i++)
		free_list(&rs->lists[i]);
	for (size_t i = 0; i < rs->nmacros; i++)
		free_macro(&rs->macros[i]);
	for (size_t i = 0; i < rs->nrules; i++)
		free_rule(&rs->rules[i]);
	free(rs->lists);
	free(rs->macros);
	free(rs->rules);
	free_strs(rs->warnings, rs->nwarnings);
	ruleset_text_init(rs);
}

static int clone_list(struct rules_list *d, const struct rules_list *s)
{
	*d = *s;
	d->name = strdup(s->name);
	d->file = dup_or_null(s->file);
	if (copy_strs(&d->items, &d->nitems, s->items, s->nitems) < 0) {
		d->items = NULL;
		d->nitems = 0;
		free_list(d);
		return -1;
	}
	if (!d->name || (s->file && !d->file)) {
		free_list(d);
		return -1;
	}
	return 0;
}

static int clone_macro(struct rules_macro *d, const struct rules_macro *s)
{
	*d = *s;
	d->name = strdup(s->name);
	d->condition = dup_or_null(s->condition);
	d->file = dup_or_null(s->file);
	if (!d->name || (s->condition && !d->condition) ||
	    (s->file && !d->file)) {
		free_macro(d);
		return -1;
	}
	return 0;
}

static int clone_rows(struct rules_exception *d, const struct rules_exception *s)
{
	d->values = NULL;
	d->nvalues = 0;
	if (s->nvalues == 0)
		return 0;
	d->values = calloc(s->nvalues, sizeof(*d->values));
	if (!d->values)
		return -1;
	for (size_t i = 0; i < s->nvalues; i++) {
		size_t n;

		if (copy_strs(&d->values[i], &n, s->values[i], s->nfields) < 0)
			return -1;
		d->nvalues = i + 1;
	}
	return 0;
}

static int clone_exception(struct rules_exception *d,
			   const struct rules_exception *s)
{
	memset(d, 0, sizeof(*d));
	d->fields_is_single = s->fields_is_single;
	d->name = strdup(s->name);
	if (!d->name ||
	    copy_strs(&d->fields, &d->nfields, s->fields, s->nfields) < 0 ||
	    copy_strs(&d->comps, &d->ncomps, s->comps, s->ncomps) < 0 ||
	    clone_rows(d, s) < 0) {
		free_exception(d);
		return -1;
	}
	return 0;
}

static int clone_rule(struct rules_rule *d, const struct rules_rule *s)
{
	*d = *s;
	d->tags = NULL;
	d->ntags = 0;
	d->exceptions = NULL;
	d->nexceptions = 0;
	d->name = strdup(s->name);
	d->desc = dup_or_null(s->desc);
	d->condition = dup_or_null(s->condition);
	d->output = dup_or_null(s->output);
	d->source = dup_or_null(s->source);
	d->file = dup_or_null(s->file);
	int bad = !d->name || (s->desc && !d->desc) ||
		  (s->condition && !d->condition) ||
		  (s->output && !d->output) || (s->source && !d->source) ||
		  (s->file && !d->file) ||
		  copy_strs(&d->tags, &d->ntags, s->tags, s->ntags) < 0;
	if (!bad && s->nexceptions) {
		d->exceptions = calloc(s->nexceptions, sizeof(*d->exceptions));
		bad = !d->exceptions;
		for (size_t i = 0; !bad && i < s->nexceptions; i++) {
			bad = clone_exception(&d->exceptions[i],
					      &s->exceptions[i]) < 0;
			if (!bad)
				d->nexceptions = i + 1;
		}
	}
	if (bad) {
		free_rule(d);
		return -1;
	}
	return 0;
}

/* Deep copy of s into d (initialised here); -1 on out of memory. */
static int clone_ruleset(struct ruleset_text *d, const struct ruleset_text *s)
{
	ruleset_text_init(d);
	d->required_engine_version = s->required_engine_version;
	if ((s->nlists && !(d->lists = calloc(s->nlists, sizeof(*d->lists)))) ||
	    (s->nmacros &&
	     !(d->macros = calloc(s->nmacros, sizeof(*d->macros)))) ||
	    (s->nrules && !(d->rules = calloc(s->nrules, sizeof(*d->rules)))))
		goto fail;
	for (; d->nlists < s->nlists; d->nlists++)
		if (clone_list(&d->lists[d->nlists], &s->lists[d->nlists]) < 0)
			goto fail;
	for (; d->nmacros < s->nmacros; d->nmacros++)
		if (clone_macro(&d->macros[d->nmacros],
				&s->macros[d->nmacros]) < 0)
			goto fail;
	for (; d->nrules < s->nrules; d->nrules++)
		if (clone_rule(&d->rules[d->nrules], &s->rules[d->nrules]) < 0)
			goto fail;
	if (copy_strs(&d->warnings, &d->nwarnings, s->warnings,
		      s->nwarnings) < 0)
		goto fail;
	return 0;
fail:
	ruleset_text_free(d);
	return -1;
}

/* ---- errors, warnings and reading nodes ----------------------------- */

static int vfail_at(struct load_ctx *c, const yaml_node_t *n,
		    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->file,
			 n ? n->start_mark.line + 1 : 1,
			 n ? n->start_mark.column + 1 : 1, msg);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int fail_at(struct load_ctx *c, const yaml_node_t *n,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(c, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int out_of_memory(struct load_ctx *c, const yaml_node_t *n)
{
	return fail_at(c, n, "out of memory");
}

__attribute__((format(printf, 3, 4)))
static int warn_at(struct load_ctx *c, const yaml_node_t *n,
		   const char *fmt, ...)
{
	char msg[512], *line;
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = snprintf(NULL, 0, "%s:%zu:%zu: %s", c->file,
		       n->start_mark.line + 1, n->start_mark.column + 1, msg);
	if (len < 0 || !(line = malloc((size_t)len + 1)))
		return out_of_memory(c, n);
	snprintf(line, (size_t)len + 1, "%s:%zu:%zu: %s", c->file,
		 n->start_mark.line + 1, n->start_mark.column + 1, msg);
	if (push_str(&c->rs->warnings, &c->rs->nwarnings, line) < 0)
		return out_of_memory(c, n);
	return 0;
}

static yaml_node_t *node_at(struct load_ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "string";
	case YAML_SEQUENCE_NODE: return "list";
	case YAML_MAPPING_NODE: return "mapping";
	default: return "nothing";
	}
}

static const char *scalar_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Copies len bytes of s, charged to the load's budget. */
static char *budget_dup(struct load_ctx *c, const yaml_node_t *n,
			const char *s, size_t len)
{
	char *d;

	if (len + STRING_OVERHEAD > c->budget) {
		fail_at(c, n, "too much text (aliases expand beyond %zu bytes)",
			LOAD_BUDGET_BYTES);
		return NULL;
	}
	c->budget -= len + STRING_OVERHEAD;
	d = strndup(s, len);
	if (!d)
		out_of_memory(c, n);
	return d;
}

/* A scalar as an owned string; `what` names it in errors. */
static int read_string(struct load_ctx *c, yaml_node_t *n, const char *what,
		       char **out)
{
	char *s;

	if (n->type != YAML_SCALAR_NODE)
		return fail_at(c, n, "'%s' must be a string, not a %s", what,
			       type_name(n));
	s = budget_dup(c, n, scalar_text(n), strlen(scalar_text(n)));
	if (!s)
		return -1;
	free(*out);
	*out = s;
	return 0;
}

/* A sequence of scalars as owned strings, replacing *out. */
static int read_string_list(struct load_ctx *c, yaml_node_t *n,
			    const char *what, char ***out, size_t *nout)
{
	char **v = NULL;
	size_t nv = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "'%s' must be a list, not a %s", what,
			       type_name(n));
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);
		char *s = NULL;

		if (!item || read_string(c, item ? item : n, what, &s) < 0 ||
		    push_str(&v, &nv, s) < 0) {
			if (!item || s)
				fail_at(c, item ? item : n,
					item ? "out of memory" : "bad node");
			free_strs(v, nv);
			return -1;
		}
	}
	free_strs(*out, *nout);
	*out = v;
	*nout = nv;
	return 0;
}

static int read_bool(struct load_ctx *c, yaml_node_t *n, const char *what,
		     bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "y" };
	static const char *const no[] = { "false", "no", "off", "n" };

	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcasecmp(scalar_text(n), yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(scalar_text(n), no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return fail_at(c, n, "'%s' must be true or false", what);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       strcmp(scalar_text(n), s) == 0;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *mapping_get(struct load_ctx *c, yaml_node_t *m,
				const char *key)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++)
		if (scalar_is(node_at(c, p->key), key))
			return node_at(c, p->value);
	return NULL;
}

/* ---- exceptions ----------------------------------------------------- */

/* One exception value: a scalar, or a list of scalars kept as "(a, b)". */
static int read_exception_value(struct load_ctx *c, yaml_node_t *n, char **out)
{
	size_t len = 2, at = 1;
	char *s;

	if (n->type == YAML_SCALAR_NODE)
		return read_string(c, n, "values", out);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "exception value must be a string or a list, not a %s",
			       type_name(n));
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);

		if (!item || item->type != YAML_SCALAR_NODE)
			return fail_at(c, item ? item : n,
				       "exception value list must hold strings");
		len += strlen(scalar_text(item)) + 2;
		if (len + STRING_OVERHEAD > c->budget)
			return fail_at(c, n, "too much text (aliases expand beyond %zu bytes)",
				       LOAD_BUDGET_BYTES);
	}
	s = malloc(len + 1);
	if (!s)
		return out_of_memory(c, n);
	s[0] = '(';
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		const char *t = scalar_text(node_at(c, *i));
		size_t tl = strlen(t);

		if (at > 1) {
			memcpy(s + at, ", ", 2);
			at += 2;
		}
		memcpy(s + at, t, tl);
		at += tl;
	}
	s[at++] = ')';
	s[at] = '\0';
	c->budget -= len + STRING_OVERHEAD;
	free(*out);
	*out = s;
	return 0;
}

/* One row of values; width 0 means "not known yet" (appending). */
static int read_exception_row(struct load_ctx *c, yaml_node_t *n,
			      const struct rules_exception *x, char ***row,
			      size_t *nrow)
{
	*row = NULL;
	*nrow = 0;
	if (x->fields_is_single || n->type != YAML_SEQUENCE_NODE) {
		char *v = NULL;

		if (read_exception_value(c, n, &v) < 0)
			return -1;
		if (push_str(row, nrow, v) < 0)
			return out_of_memory(c, n);
		return 0;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);
		char *v = NULL;

		if (!item || read_exception_value(c, item, &v) < 0 ||
		    push_str(row, nrow, v) < 0) {
			if (!item || v)
				fail_at(c, n, "bad exception row");
			free_strs(*row, *nrow);
			*row = NULL;
			return -1;
		}
	}
	if (x->nfields && *nrow != x->nfields) {
		fail_at(c, n, "exception '%s': a row has %zu values but there are %zu fields",
			x->name, *nrow, x->nfields);
		free_strs(*row, *nrow);
		*row = NULL;
		return -1;
	}
	return 0;
}

/* Every row must be nfields wide; *width reports the width used. */
static int read_exception_values(struct load_ctx *c, yaml_node_t *n,
				 struct rules_exception *x, size_t *width)
{
	*width = x->nfields;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "'values' must be a list, not a %s",
			       type_name(n));
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);
		char **row, ***grown;
		size_t nrow;

		if (!item)
			return fail_at(c, n, "bad node");
		if (read_exception_row(c, item, x, &row, &nrow) < 0)
			return -1;
		if (*width == 0 && x->nvalues == 0) {
			/* Appending values to an exception defined earlier:
			 * the first row gives the width, kept in nfields with
			 * no field names so that freeing stays exact. */
			*width = nrow;
			x->nfields = nrow;
		}
		if (nrow != *width) {
			free_strs(row, nrow);
			return fail_at(c, item, "exception '%s': rows have different lengths",
				       x->name);
		}
		grown = realloc(x->values, (x->nvalues + 1) * sizeof(*grown));
		if (!grown) {
			free_strs(row, nrow);
			return out_of_memory(c, item);
		}
		x->values = grown;
		x->values[x->nvalues++] = row;
	}
	return 0;
}

/* fields/comps: a string or a list of strings. */
static int read_string_or_list(struct load_ctx *c, yaml_node_t *n,
			       const char *what, char ***out, size_t *nout,
			       bool *single)
{
	*single = n->type == YAML_SCALAR_NODE;
	if (*single) {
		char *s = NULL;

		if (read_string(c, n, what, &s) < 0)
			return -1;
		if (push_str(out, nout, s) < 0)
			return out_of_memory(c, n);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "'%s' must be a string or a list, not a %s",
			       what, type_name(n));
	return read_string_list(c, n, what, out, nout);
}

static int default_comps(struct load_ctx *c, yaml_node_t *n,
			 struct rules_exception *x)
{
	for (size_t i = 0; i < x->nfields; i++) {
		char *s = strdup(x->fields_is_single ? "in" : "=");

		if (!s || push_str(&x->comps, &x->ncomps, s) < 0)
			return out_of_memory(c, n);
	}
	return 0;
}

static int read_fields_and_comps(struct load_ctx *c, yaml_node_t *n,
				 struct rules_exception *x)
{
	yaml_node_t *fields = mapping_get(c, n, "fields");
	yaml_node_t *comps = mapping_get(c, n, "comps");
	bool comps_single;

	if (!fields)
		return 0;	/* only allowed when appending; checked later */
	if (read_string_or_list(c, fields, "fields", &x->fields, &x->nfields,
				&x->fields_is_single) < 0)
		return -1;
	if (!comps)
		return default_comps(c, n, x);
	if (read_string_or_list(c, comps, "comps", &x->comps, &x->ncomps,
				&comps_single) < 0)
		return -1;
	if (comps_single != x->fields_is_single || x->ncomps != x->nfields)
		return fail_at(c, comps, "exception '%s' has %zu fields but %zu comps",
			       x->name, x->nfields, x->ncomps);
	return 0;
}

static int warn_unknown_exception_keys(struct load_ctx *c, yaml_node_t *n,
				       const char *name)
{
	static const char *const known[] = { "name", "fields", "comps", "values" };

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key);
		bool found = false;

		if (!k || k->type != YAML_SCALAR_NODE)
			return fail_at(c, k ? k : n, "exception keys must be strings");
		for (size_t i = 0; i < 4; i++)
			found = found || strcmp(scalar_text(k), known[i]) == 0;
		if (!found && warn_at(c, k, "unknown key '%s' in exception '%s'",
				      scalar_text(k), name) < 0)
			return -1;
	}
	return 0;
}

static int read_exception(struct load_ctx *c, yaml_node_t *n,
			  struct rules_exception *x)
{
	yaml_node_t *name, *values;
	size_t width;

	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "an exception must be a mapping, not a %s",
			       type_name(n));
	name = mapping_get(c, n, "name");
	if (!name)
		return fail_at(c, n, "exception has no 'name'");
	if (read_string(c, name, "name", &x->name) < 0 ||
	    warn_unknown_exception_keys(c, n, x->name) < 0 ||
	    read_fields_and_comps(c, n, x) < 0)
		return -1;
	values = mapping_get(c, n, "values");
	if (!values)
		return 0;
	return read_exception_values(c, values, x, &width);
}

static int parse_exceptions(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	struct rules_rule *r = &e->rule;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "'exceptions' must be a list, not a %s",
			       type_name(n));
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);
		struct rules_exception *grown;

		if (!item)
			return fail_at(c, n, "bad node");
		grown = realloc(r->exceptions,
				(r->nexceptions + 1) * sizeof(*grown));
		if (!grown)
			return out_of_memory(c, item);
		r->exceptions = grown;
		memset(&grown[r->nexceptions], 0, sizeof(*grown));
		r->nexceptions++;
		if (read_exception(c, item, &grown[r->nexceptions - 1]) < 0)
			return -1;
	}
	return 0;
}

/* ---- the keys of lists, macros and rules ----------------------------- */

static int parse_items(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string_list(c, n, "items", &e->items, &e->nitems);
}

static int parse_condition(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string(c, n, "condition", &e->rule.condition);
}

static int parse_desc(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string(c, n, "desc", &e->rule.desc);
}

static int parse_output(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string(c, n, "output", &e->rule.output);
}

static int parse_source(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string(c, n, "source", &e->rule.source);
}

static int parse_priority(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(c, n, "'priority' must be a string, not a %s",
			       type_name(n));
	e->rule.priority = priority_from_name(scalar_text(n));
	if (e->rule.priority < 0)
		return fail_at(c, n, "unknown priority '%s'", scalar_text(n));
	return 0;
}

static int parse_tags(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_string_list(c, n, "tags", &e->rule.tags, &e->rule.ntags);
}

static int parse_enabled(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	return read_bool(c, n, "enabled", &e->rule.enabled);
}

static int parse_warn_evttypes(struct load_ctx *c, yaml_node_t *n,
			       struct entry *e)
{
	return read_bool(c, n, "warn_evttypes", &e->rule.warn_evttypes);
}

static int parse_skip_unknown(struct load_ctx *c, yaml_node_t *n,
			      struct entry *e)
{
	return read_bool(c, n, "skip-if-unknown-filter",
			 &e->rule.skip_if_unknown_filter);
}

#define K_LIST (1u << KIND_LIST)
#define K_MACRO (1u << KIND_MACRO)
#define K_RULE (1u << KIND_RULE)

static const struct key_spec key_specs[] = {
	{ "items", K_LIST, F_ITEMS, parse_items, true, true },
	{ "condition", K_MACRO | K_RULE, F_CONDITION, parse_condition, true, true },
	{ "desc", K_RULE, F_DESC, parse_desc, true, true },
	{ "output", K_RULE, F_OUTPUT, parse_output, true, true },
	{ "priority", K_RULE, F_PRIORITY, parse_priority, false, true },
	{ "tags", K_RULE, F_TAGS, parse_tags, true, true },
	{ "enabled", K_RULE, F_ENABLED, parse_enabled, false, true },
	{ "source", K_RULE, F_SOURCE, parse_source, false, false },
	{ "exceptions", K_RULE, F_EXCEPTIONS, parse_exceptions, true, true },
	{ "warn_evttypes", K_RULE, F_WARN_EVTTYPES, parse_warn_evttypes, false, true },
	{ "skip-if-unknown-filter", K_RULE, F_SKIP_UNKNOWN, parse_skip_unknown,
	  false, true },
};

#define NKEY_SPECS (sizeof(key_specs) / sizeof(key_specs[0]))

static const struct key_spec *find_key(enum entry_kind kind, const char *key)
{
	for (size_t i = 0; i < NKEY_SPECS; i++)
		if ((key_specs[i].kinds & (1u << kind)) &&
		    strcmp(key_specs[i].key, key) == 0)
			return &key_specs[i];
	return NULL;
}

static const char *key_of_bit(unsigned bit)
{
	for (size_t i = 0; i < NKEY_SPECS; i++)
		if (key_specs[i].bit == bit)
			return key_specs[i].key;
	return "?";
}

static int parse_override(struct load_ctx *c, yaml_node_t *n, struct entry *e)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "'override' must be a mapping, not a %s",
			       type_name(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
		const struct key_spec *spec;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail_at(c, k ? k : n, "override keys must be strings");
		spec = find_key(e->kind, scalar_text(k));
		if (scalar_is(v, "append") && spec && spec->can_append)
			e->override_append |= spec->bit;
		else if (scalar_is(v, "replace") && spec && spec->can_replace)
			e->override_replace |= spec->bit;
		else if (!scalar_is(v, "append") && !scalar_is(v, "replace"))
			return fail_at(c, v, "override of '%s' must be append or replace",
				       scalar_text(k));
		else
			return fail_at(c, k, "a %s's '%s' cannot be overridden with %s",
				       kind_names[e->kind], scalar_text(k),
				       scalar_text(v));
	}
	return 0;
}

static int parse_entry_key(struct load_ctx *c, yaml_node_t *k, yaml_node_t *v,
			   struct entry *e)
{
	const char *key = scalar_text(k);
	const struct key_spec *spec;

	if (strcmp(key, kind_names[e->kind]) == 0)
		return 0;	/* the name, read already */
	if (strcmp(key, "append") == 0)
		return read_bool(c, v, "append", &e->append);
	if (strcmp(key, "override") == 0)
		return parse_override(c, v, e);
	spec = find_key(e->kind, key);
	if (!spec)
		return warn_at(c, k, "unknown key '%s' in %s '%s'", key,
			       kind_names[e->kind], e->name);
	e->present |= spec->bit;
	return spec->parse(c, v, e);
}

static void entry_init(struct entry *e, enum entry_kind kind, yaml_node_t *n)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->node = n;
	e->rule.enabled = true;
	e->rule.warn_evttypes = true;
	e->rule.priority = PRIORITY_DEBUG;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free_strs(e->items, e->nitems);
	free_rule(&e->rule);
}

static int parse_entry(struct load_ctx *c, yaml_node_t *n, yaml_node_t *name,
		       struct entry *e)
{
	unsigned overridden;

	if (read_string(c, name, kind_names[e->kind], &e->name) < 0)
		return -1;
	if (e->name[0] == '\0')
		return fail_at(c, name, "a %s needs a name", kind_names[e->kind]);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail_at(c, k ? k : n, "keys must be strings");
		if (parse_entry_key(c, k, v, e) < 0)
			return -1;
	}
	overridden = e->override_append | e->override_replace;
	if (e->append && overridden)
		return fail_at(c, n, "%s '%s' uses both 'append' and 'override'",
			       kind_names[e->kind], e->name);
	for (unsigned bit = 1; bit && bit <= F_SKIP_UNKNOWN; bit <<= 1)
		if ((overridden & bit) && !(e->present & bit))
			return fail_at(c, n, "%s '%s' overrides '%s' but gives no '%s'",
				       kind_names[e->kind], e->name,
				       key_of_bit(bit), key_of_bit(bit));
	return 0;
}

/* ---- applying entries to the ruleset --------------------------------- */

static void set_position(struct load_ctx *c, const yaml_node_t *n,
			 char **file, int *line, int *col)
{
	char *f = strdup(c->file);

	/* The position is informational: keep the old one if strdup fails. */
	if (f) {
		free(*file);
		*file = f;
	}
	*line = (int)(n->start_mark.line + 1);
	*col = (int)(n->start_mark.column + 1);
}

static struct rules_list *find_list(struct ruleset_text *rs, const char *name)
{
	for (size_t i = 0; i < rs->nlists; i++)
		if (strcmp(rs->lists[i].name, name) == 0)
			return &rs->lists[i];
	return NULL;
}

static struct rules_macro *find_macro(struct ruleset_text *rs, const char *name)
{
	for (size_t i = 0; i < rs->nmacros; i++)
		if (strcmp(rs->macros[i].name, name) == 0)
			return &rs->macros[i];
	return NULL;
}

static struct rules_rule *find_rule(struct ruleset_text *rs, const char *name)
{
	for (size_t i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

/* Moves src's strings to the end of *dst; src is emptied. */
static int move_strs(char ***dst, size_t *ndst, char ***src, size_t *nsrc)
{
	char **grown;

	if (*nsrc == 0)
		return 0;
	grown = realloc(*dst, (*ndst + *nsrc) * sizeof(*grown));
	if (!grown)
		return -1;
	memcpy(grown + *ndst, *src, *nsrc * sizeof(*grown));
	*dst = grown;
	*ndst += *nsrc;
	free(*src);
	*src = NULL;
	*nsrc = 0;
	return 0;
}

static void replace_strs(char ***dst, size_t *ndst, char ***src, size_t *nsrc)
{
	free_strs(*dst, *ndst);
	*dst = *src;
	*ndst = *nsrc;
	*src = NULL;
	*nsrc = 0;
}

static void replace_str(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* *dst = *dst + " " + add */
static int append_str(char **dst, const char *add)
{
	char *s = join_space(*dst, add);

	if (!s)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static int require_base(struct load_ctx *c, struct entry *e, const void *base)
{
	if (base)
		return 0;
	return fail_at(c, e->node, "%s '%s' has no earlier definition to %s",
		       kind_names[e->kind], e->name,
		       e->append ? "append to" : "override");
}

static int warn_ignored_keys(struct load_ctx *c, struct entry *e,
			     unsigned used, const char *why)
{
	for (unsigned bit = 1; bit && bit <= F_SKIP_UNKNOWN; bit <<= 1)
		if ((e->present & bit) && !(used & bit) &&
		    warn_at(c, e->node, "%s '%s': '%s' ignored %s",
			    kind_names[e->kind], e->name, key_of_bit(bit),
			    why) < 0)
			return -1;
	return 0;
}

static int apply_list(struct load_ctx *c, struct entry *e)
{
	struct ruleset_text *rs = c->rs;
	struct rules_list *l = find_list(rs, e->name), *grown;

	if (e->append || e->override_append || e->override_replace) {
		if (require_base(c, e, l) < 0)
			return -1;
		if (e->override_replace & F_ITEMS)
			replace_strs(&l->items, &l->nitems, &e->items, &e->nitems);
		else if (move_strs(&l->items, &l->nitems, &e->items,
				   &e->nitems) < 0)
			return out_of_memory(c, e->node);
		return 0;
	}
	if (!(e->present & F_ITEMS))
		return fail_at(c, e->node, "list '%s' has no 'items'", e->name);
	if (!l) {
		grown = realloc(rs->lists, (rs->nlists + 1) * sizeof(*grown));
		if (!grown)
			return out_of_memory(c, e->node);
		rs->lists = grown;
		l = &grown[rs->nlists++];
		memset(l, 0, sizeof(*l));
		l->name = e->name;
		e->name = NULL;
	}
	replace_strs(&l->items, &l->nitems, &e->items, &e->nitems);
	set_position(c, e->node, &l->file, &l->line, &l->col);
	return 0;
}

static int apply_macro(struct load_ctx *c, struct entry *e)
{
	struct ruleset_text *rs = c->rs;
	struct rules_macro *m = find_macro(rs, e->name), *grown;

	if (!(e->present & F_CONDITION))
		return fail_at(c, e->node, "macro '%s' has no 'condition'",
			       e->name);
	if (e->append || e->override_append || e->override_replace) {
		if (require_base(c, e, m) < 0)
			return -1;
		if (e->override_replace & F_CONDITION)
			replace_str(&m->condition, &e->rule.condition);
		else if (append_str(&m->condition, e->rule.condition) < 0)
			return out_of_memory(c, e->node);
		return 0;
	}
	if (!m) {
		grown = realloc(rs->macros, (rs->nmacros + 1) * sizeof(*grown));
		if (!grown)
			return out_of_memory(c, e->node);
		rs->macros = grown;
		m = &grown[rs->nmacros++];
		memset(m, 0, sizeof(*m));
		m->name = e->name;
		e->name = NULL;
	}
	replace_str(&m->condition, &e->rule.condition);
	set_position(c, e->node, &m->file, &m->line, &m->col);
	return 0;
}

static struct rules_exception *find_exception(struct rules_rule *r,
					      const char *name)
{
	for (size_t i = 0; i < r->nexceptions; i++)
		if (strcmp(r->exceptions[i].name, name) == 0)
			return &r->exceptions[i];
	return NULL;
}

/* Adds x's rows to base (same name); x is left without rows. */
static int merge_exception_rows(struct load_ctx *c, struct entry *e,
				struct rules_exception *base,
				struct rules_exception *x)
{
	char ***grown;

	if (x->nvalues == 0)
		return 0;
	if (x->nfields != base->nfields)
		return fail_at(c, e->node, "rule '%s': exception '%s' rows have %zu values but it has %zu fields",
			       e->name, x->name, x->nfields, base->nfields);
	grown = realloc(base->values,
			(base->nvalues + x->nvalues) * sizeof(*grown));
	if (!grown)
		return out_of_memory(c, e->node);
	memcpy(grown + base->nvalues, x->values, x->nvalues * sizeof(*grown));
	base->values = grown;
	base->nvalues += x->nvalues;
	free(x->values);
	x->values = NULL;
	x->nvalues = 0;
	return 0;
}

static int check_new_exception(struct load_ctx *c, struct entry *e,
			       const struct rules_exception *x)
{
	if (x->ncomps == 0 || x->ncomps != x->nfields)
		return fail_at(c, e->node, "rule '%s': exception '%s' has no 'fields'",
			       e->name, x->name);
	return 0;
}

static int append_exceptions(struct load_ctx *c, struct entry *e,
			     struct rules_rule *r)
{
	for (size_t i = 0; i < e->rule.nexceptions; i++) {
		struct rules_exception *x = &e->rule.exceptions[i], *grown;
		struct rules_exception *base = find_exception(r, x->name);

		if (base) {
			if (merge_exception_rows(c, e, base, x) < 0)
				return -1;
			continue;
		}
		if (check_new_exception(c, e, x) < 0)
			return -1;
		grown = realloc(r->exceptions,
				(r->nexceptions + 1) * sizeof(*grown));
		if (!grown)
			return out_of_memory(c, e->node);
		r->exceptions = grown;
		grown[r->nexceptions++] = *x;
		memset(x, 0, sizeof(*x));
	}
	return 0;
}

static int replace_exceptions(struct load_ctx *c, struct entry *e,
			      struct rules_rule *r)
{
	for (size_t i = 0; i < e->rule.nexceptions; i++)
		if (check_new_exception(c, e, &e->rule.exceptions[i]) < 0)
			return -1;
	free_exceptions(r->exceptions, r->nexceptions);
	r->exceptions = e->rule.exceptions;
	r->nexceptions = e->rule.nexceptions;
	e->rule.exceptions = NULL;
	e->rule.nexceptions = 0;
	return 0;
}

static int append_tags(struct rules_rule *r, struct entry *e)
{
	for (size_t i = 0; i < e->rule.ntags; i++) {
		bool have = false;

		for (size_t j = 0; j < r->ntags && !have; j++)
			have = strcmp(r->tags[j], e->rule.tags[i]) == 0;
		if (have)
			continue;
		if (push_str(&r->tags, &r->ntags, e->rule.tags[i]) < 0) {
			e->rule.tags[i] = NULL;
			return -1;
		}
		e->rule.tags[i] = NULL;
	}
	return 0;
}

/* override: KEY: append */
static int override_append(struct load_ctx *c, struct entry *e,
			   struct rules_rule *r, unsigned bits)
{
	int rc = 0;

	if (bits & F_CONDITION)
		rc |= append_str(&r->condition, e->rule.condition);
	if (bits & F_OUTPUT)
		rc |= append_str(&r->output, e->rule.output);
	if (bits & F_DESC)
		rc |= append_str(&r->desc, e->rule.desc);
	if (bits & F_TAGS)
		rc |= append_tags(r, e);
	if (rc)
		return out_of_memory(c, e->node);
	if (bits & F_EXCEPTIONS)
		return append_exceptions(c, e, r);
	return 0;
}

/* override: KEY: replace */
static int override_replace(struct load_ctx *c, struct entry *e,
			    struct rules_rule *r, unsigned bits)
{
	if (bits & F_CONDITION)
		replace_str(&r->condition, &e->rule.condition);
	if (bits & F_OUTPUT)
		replace_str(&r->output, &e->rule.output);
	if (bits & F_DESC)
		replace_str(&r->desc, &e->rule.desc);
	if (bits & F_TAGS)
		replace_strs(&r->tags, &r->ntags, &e->rule.tags, &e->rule.ntags);
	if (bits & F_PRIORITY)
		r->priority = e->rule.priority;
	if (bits & F_ENABLED)
		r->enabled = e->rule.enabled;
	if (bits & F_WARN_EVTTYPES)
		r->warn_evttypes = e->rule.warn_evttypes;
	if (bits & F_SKIP_UNKNOWN)
		r->skip_if_unknown_filter = e->rule.skip_if_unknown_filter;
	if (bits & F_EXCEPTIONS)
		return replace_exceptions(c, e, r);
	return 0;
}

static int modify_rule(struct load_ctx *c, struct entry *e, struct rules_rule *r)
{
	if (require_base(c, e, r) < 0)
		return -1;
	if (e->append) {
		if ((e->present & F_CONDITION) &&
		    append_str(&r->condition, e->rule.condition) < 0)
			return out_of_memory(c, e->node);
		if (append_exceptions(c, e, r) < 0)
			return -1;
		return warn_ignored_keys(c, e, F_CONDITION | F_EXCEPTIONS,
					 "when appending");
	}
	if (override_append(c, e, r, e->override_append) < 0 ||
	    override_replace(c, e, r, e->override_replace) < 0)
		return -1;
	return warn_ignored_keys(c, e, e->override_append | e->override_replace,
				 "(not in 'override')");
}

static int check_rule_definition(struct load_ctx *c, struct entry *e)
{
	static const unsigned required[] = { F_CONDITION, F_DESC, F_OUTPUT,
					     F_PRIORITY };

	for (size_t i = 0; i < 4; i++)
		if (!(e->present & required[i]))
			return fail_at(c, e->node, "rule '%s' has no '%s'",
				       e->name, key_of_bit(required[i]));
	for (size_t i = 0; i < e->rule.nexceptions; i++)
		if (check_new_exception(c, e, &e->rule.exceptions[i]) < 0)
			return -1;
	if (!e->rule.source && !(e->rule.source = strdup("syscall")))
		return out_of_memory(c, e->node);
	return 0;
}

static int define_rule(struct load_ctx *c, struct entry *e, struct rules_rule *r)
{
	struct ruleset_text *rs = c->rs;
	struct rules_rule *grown;

	if (check_rule_definition(c, e) < 0)
		return -1;
	if (!r) {
		grown = realloc(rs->rules, (rs->nrules + 1) * sizeof(*grown));
		if (!grown)
			return out_of_memory(c, e->node);
		rs->rules = grown;
		r = &grown[rs->nrules++];
	} else {
		free_rule(r);
	}
	*r = e->rule;
	memset(&e->rule, 0, sizeof(e->rule));
	r->name = e->name;
	e->name = NULL;
	r->file = NULL;
	set_position(c, e->node, &r->file, &r->line, &r->col);
	return 0;
}

static int apply_rule(struct load_ctx *c, struct entry *e)
{
	struct rules_rule *r = find_rule(c->rs, e->name);

	if (e->append || e->override_append || e->override_replace)
		return modify_rule(c, e, r);
	/* Falco's older form: `- rule: X  enabled: false` toggles X. */
	if (r && e->present == F_ENABLED) {
		r->enabled = e->rule.enabled;
		return 0;
	}
	return define_rule(c, e, r);
}

/* ---- top level ------------------------------------------------------ */

static int parse_engine_version(struct load_ctx *c, yaml_node_t *n)
{
	unsigned part[3] = { 0, 0, 0 }, v;
	const char *s;
	int nparts = 0;

	if (n->type != YAML_SCALAR_NODE)
		goto bad;
	s = scalar_text(n);
	while (nparts < 3) {
		char *end;
		unsigned long x;

		if (*s < '0' || *s > '9')
			goto bad;
		errno = 0;
		x = strtoul(s, &end, 10);
		if (errno || x > 999)
			goto bad;
		part[nparts++] = (unsigned)x;
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	if (*s != '\0')
		goto bad;
	/* An integer N is Falco's old numbering, which became 0.N.0. */
	v = nparts == 1 ? part[0] * 1000
			: part[0] * 1000000 + part[1] * 1000 + part[2];
	if (v > c->rs->required_engine_version)
		c->rs->required_engine_version = v;
	return 0;
bad:
	return fail_at(c, n, "'required_engine_version' must be an integer or a version like 0.57.0");
}

static int apply_entry(struct load_ctx *c, struct entry *e)
{
	switch (e->kind) {
	case KIND_LIST: return apply_list(c, e);
	case KIND_MACRO: return apply_macro(c, e);
	default: return apply_rule(c, e);
	}
}

static int load_item(struct load_ctx *c, yaml_node_t *n)
{
	yaml_node_t *v;

	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "each item must be a mapping, not a %s",
			       type_name(n));
	if ((v = mapping_get(c, n, "required_engine_version")))
		return parse_engine_version(c, v);
	if (mapping_get(c, n, "required_plugin_versions"))
		return 0;	/* plugins are not vigil's business */
	for (int kind = KIND_LIST; kind <= KIND_RULE; kind++) {
		struct entry e;
		int rc;

		v = mapping_get(c, n, kind_names[kind]);
		if (!v)
			continue;
		entry_init(&e, (enum entry_kind)kind, n);
		rc = parse_entry(c, n, v, &e);
		if (rc == 0)
			rc = apply_entry(c, &e);
		entry_free(&e);
		return rc;
	}
	return warn_at(c, n, "unknown top-level item ignored");
}

static bool is_null_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (n->data.scalar.length == 0 || scalar_is(n, "~") ||
		scalar_is(n, "null"));
}

static int load_document(struct load_ctx *c, yaml_node_t *root)
{
	if (is_null_scalar(root))
		return 0;	/* an empty file */
	if (root->type != YAML_SEQUENCE_NODE)
		return fail_at(c, root, "a rules file must be a list, not a %s",
			       type_name(root));
	for (yaml_node_item_t *i = root->data.sequence.items.start;
	     i < root->data.sequence.items.top; i++) {
		yaml_node_t *item = node_at(c, *i);

		if (!item)
			return fail_at(c, root, "bad node");
		if (load_item(c, item) < 0)
			return -1;
	}
	return 0;
}

static int yaml_error(struct load_ctx *c, const yaml_parser_t *p)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%zu:%zu: YAML error: %s%s%s",
			 c->file, p->problem_mark.line + 1,
			 p->problem_mark.column + 1,
			 p->problem ? p->problem : "unknown problem",
			 p->context ? " " : "", p->context ? p->context : "");
	return -1;
}

static int load_documents(struct load_ctx *c, yaml_parser_t *p)
{
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		int rc;

		if (!yaml_parser_load(p, &doc))
			return yaml_error(c, p);
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			return 0;
		}
		c->doc = &doc;
		rc = load_document(c, root);
		c->doc = NULL;
		yaml_document_delete(&doc);
		if (rc < 0)
			return -1;
	}
}

static int load_with_parser(struct ruleset_text *rs, const char *name,
			    yaml_parser_t *p, char *err, size_t errlen)
{
	struct ruleset_text work;
	struct load_ctx c = {
		.file = name, .rs = &work, .err = err, .errlen = errlen,
		.budget = LOAD_BUDGET_BYTES,
	};

	if (clone_ruleset(&work, rs) < 0)
		return fail_at(&c, NULL, "out of memory");
	if (load_documents(&c, p) < 0) {
		ruleset_text_free(&work);
		return -1;
	}
	ruleset_text_free(rs);
	*rs = work;
	return 0;
}

int ruleset_text_load_string(struct ruleset_text *rs, const char *name,
			     const char *data, size_t len,
			     char *err, size_t errlen)
{
	yaml_parser_t parser;
	int rc;

	if (!name)
		name = "<string>";
	if (!yaml_parser_initialize(&parser)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	rc = load_with_parser(rs, name, &parser, err, errlen);
	yaml_parser_delete(&parser);
	return rc;
}

int ruleset_text_load_file(struct ruleset_text *rs, const char *path,
			   char *err, size_t errlen)
{
	yaml_parser_t parser;
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	rc = load_with_parser(rs, path, &parser, err, errlen);
	yaml_parser_delete(&parser);
	(void)fclose(f);	/* read-only: nothing to flush or lose */
	return rc;
}

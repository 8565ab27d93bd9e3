/* compile.c - from rule text to evaluable trees.
 *
 * Each rule's condition is parsed, its macro references replaced by the
 * macros' trees (cycles refused), its list names expanded into hash sets,
 * every field resolved once into a shared slot, and every value converted
 * to its field's kind.  Exceptions become `and not (...)`.  The rules are
 * then indexed by the event keys their condition allows.
 */
#include "engine_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/condition.h"

#define MAX_MACRO_DEPTH	64
#define MAX_LIST_DEPTH	16

/* Compilation of one rule: hard errors stop everything, soft ones
 * (a field vigil lacks) only make the rule unavailable. */
/* Identical tests across rules (every Falco open rule asks
 * evt.is_open_read = true) share one id, so an event answers each once. */
struct leaf_map {
	char **keys;
	int *ids;
	size_t cap, count;
};

struct compile_ctx {
	struct leaf_map leaves;
	const struct ruleset_text *text;
	struct rule_engine *e;
	struct cond_node **macro_trees;	/* parsed macros, by index in text->macros */
	bool *macro_active;		/* expansion in progress: a cycle if met again */
	const char *macro_chain[MAX_MACRO_DEPTH];
	int depth;
	const struct rules_rule *rule;	/* being compiled */
	const char *where_file;		/* position of the condition being read */
	int where_line, where_col;
	char soft[256];			/* why the last field lookup failed softly */
	struct evkey_set traced;	/* event keys the sensor produces */
	char *err;
	size_t errlen;
	bool failed;
};

static void hard_error(struct compile_ctx *c, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void hard_error(struct compile_ctx *c, int line, int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The condition's own line:col are relative to its text. */
	snprintf(c->err, c->errlen, "%s:%d:%d: %s: condition %d:%d: %s",
		 c->where_file ? c->where_file : "<rules>", c->where_line, c->where_col,
		 c->rule ? c->rule->name : "macro", line, col, msg);
	c->failed = true;
}

static void soft_error(struct compile_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void soft_error(struct compile_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->soft[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->soft, sizeof(c->soft), fmt, ap);
	va_end(ap);
}

static void add_warning(struct rule_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(struct rule_engine *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	char **w;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w = realloc(e->warnings, (e->nwarnings + 1) * sizeof(*w));
	if (!w)
		return;
	e->warnings = w;
	if ((w[e->nwarnings] = strdup(msg)))
		e->nwarnings++;
}

/* ---- lookups --------------------------------------------------------- */

static const struct rules_list *find_list(const struct ruleset_text *t, const char *name)
{
	for (size_t i = t->nlists; i-- > 0;)
		if (!strcmp(t->lists[i].name, name))
			return &t->lists[i];
	return NULL;
}

static long find_macro(const struct ruleset_text *t, const char *name)
{
	for (size_t i = t->nmacros; i-- > 0;)
		if (!strcmp(t->macros[i].name, name))
			return (long)i;
	return -1;
}

/* The slot of a field reference, shared by every rule that names it. */
static int slot_for(struct rule_engine *e, const char *field, const char *arg,
		    struct compile_ctx *c, int line, int col)
{
	char text[512], why[300];
	struct field_ref ref;
	enum field_lookup_result r;

	snprintf(text, sizeof(text), arg ? "%s[%s]" : "%s", field, arg);
	for (size_t i = 0; i < e->nslots; i++)
		if (!strcmp(e->slots[i].text, text))
			return (int)i;
	r = field_lookup(field, arg, &ref, why, sizeof(why));
	if (r == FIELD_BAD_ARGUMENT) {
		if (c)
			hard_error(c, line, col, "%s", why);
		return -1;
	}
	if (r != FIELD_OK) {
		if (c)
			soft_error(c, "%s", why);
		return -1;
	}
	if (e->nslots == e->slots_cap) {
		size_t cap = e->slots_cap ? e->slots_cap * 2 : 64;
		struct field_slot *s = realloc(e->slots, cap * sizeof(*s));

		if (!s) {
			field_ref_release(&ref);
			return -1;
		}
		e->slots = s;
		e->slots_cap = cap;
	}
	memset(&e->slots[e->nslots], 0, sizeof(e->slots[0]));
	e->slots[e->nslots].ref = ref;
	e->slots[e->nslots].text = strdup(text);
	if (!e->slots[e->nslots].text) {
		field_ref_release(&ref);
		return -1;
	}
	return (int)e->nslots++;
}

/* ---- values ---------------------------------------------------------- */

static const struct { const char *name; enum cmp_op op; } op_names[] = {
	{"=", OP_EQ}, {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE},
	{">", OP_GT}, {">=", OP_GE}, {"in", OP_IN}, {"intersects", OP_INTERSECTS},
	{"contains", OP_CONTAINS}, {"icontains", OP_ICONTAINS}, {"bcontains", OP_BCONTAINS},
	{"startswith", OP_STARTSWITH}, {"bstartswith", OP_BSTARTSWITH},
	{"endswith", OP_ENDSWITH}, {"glob", OP_GLOB}, {"iglob", OP_IGLOB},
	{"pmatch", OP_PMATCH}, {"regex", OP_REGEX},
};

static int op_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i].name, s))
			return op_names[i].op;
	return -1;
}

/* Values as written, list names expanded (recursively, lists may name lists). */
struct raw_values {
	const char **items;
	size_t n, cap;
};

static int raw_push(struct raw_values *rv, const char *s)
{
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 16;
		const char **p = realloc(rv->items, cap * sizeof(*p));

		if (!p)
			return -1;
		rv->items = p;
		rv->cap = cap;
	}
	rv->items[rv->n++] = s;
	return 0;
}

static int expand_item(const struct ruleset_text *t, const char *item, bool quoted,
		       struct raw_values *rv, int depth)
{
	const struct rules_list *l = quoted ? NULL : find_list(t, item);

	if (!l || depth > MAX_LIST_DEPTH)
		return raw_push(rv, item);
	for (size_t i = 0; i < l->nitems; i++)
		if (expand_item(t, l->items[i], false, rv, depth + 1))
			return -1;
	return 0;
}

/* Strip one pair of matching quotes (list items keep theirs from YAML flow). */
static const char *unquote(const char *s, size_t *len)
{
	size_t n = strlen(s);

	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		*len = n - 2;
		return s + 1;
	}
	*len = n;
	return s;
}

static bool parse_number(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_net(const char *s, struct cvalue *v)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	long bits = -1;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		bits = strtol(slash + 1, &end, 10);
		if (*end || slash[1] == '\0')
			return false;
	}
	memset(v->addr, 0, sizeof(v->addr));
	if (inet_pton(AF_INET, buf, v->addr) == 1) {
		v->family = AF_INET;
		if (bits < 0)
			bits = 32;
		if (bits > 32)
			return false;
	} else if (inet_pton(AF_INET6, buf, v->addr) == 1) {
		v->family = AF_INET6;
		if (bits < 0)
			bits = 128;
		if (bits > 128)
			return false;
	} else {
		return false;
	}
	v->prefix_bits = (uint8_t)bits;
	return true;
}

/* Convert one value to the field's kind; a hard error when it cannot be. */
static bool convert_value(struct compile_ctx *c, const struct field_ref *ref, enum cmp_op op,
			  const char *raw, struct cvalue *v, int line, int col)
{
	size_t len;
	const char *s = unquote(raw, &len);

	memset(v, 0, sizeof(*v));
	v->s = strndup(s, len);
	if (!v->s)
		return false;
	v->len = len;
	if (op >= OP_CONTAINS || ref->kind == FK_STRING || ref->kind == FK_EVTTYPE)
		return true;
	if (ref->kind == FK_BOOL) {
		if (!strcmp(v->s, "true"))
			v->n = 1;
		else if (strcmp(v->s, "false"))
			goto bad;
		return true;
	}
	if (ref->kind == FK_NUMBER) {
		if (!parse_number(v->s, &v->n))
			goto bad;
		return true;
	}
	if (parse_net(v->s, v))
		return true;
bad:
	hard_error(c, line, col, "'%s' is not a valid %s for %s", v->s,
		   ref->kind == FK_BOOL ? "boolean" : ref->kind == FK_NUMBER ? "number" :
		   "address", ref->name);
	return false;
}

/* Operators a field kind accepts. */
static bool op_fits(enum field_kind k, enum cmp_op op)
{
	switch (k) {
	case FK_STRING: return true;
	case FK_NUMBER: return op <= OP_INTERSECTS;
	case FK_BOOL: return op == OP_EQ || op == OP_NE || op == OP_IN;
	case FK_NET: return op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_INTERSECTS;
	case FK_EVTTYPE: return op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_INTERSECTS;
	}
	return false;
}

static void free_values(struct cvalue *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(vals[i].s);
	free(vals);
}

/* pmatch prefixes are compared without a trailing slash. */
static size_t trim_slash(const char *s, size_t len)
{
	while (len > 1 && s[len - 1] == '/')
		len--;
	return len;
}

static bool build_sets(struct compile_ctx *c, struct cnode *n, const struct field_ref *ref)
{
	bool list_op = n->op == OP_IN || n->op == OP_INTERSECTS || n->op == OP_PMATCH;

	if (ref->kind == FK_EVTTYPE) {
		n->keys = calloc(1, sizeof(*n->keys));
		if (!n->keys)
			return false;
		for (size_t i = 0; i < n->nvals; i++) {
			struct evkey_set one;

			if (evkey_from_name(n->vals[i].s, &one) == 0)
				for (int w = 0; w < EVKEY_WORDS; w++)
					n->keys->bits[w] |= one.bits[w];
		}
		return true;
	}
	if (!list_op || ref->kind != FK_STRING)
		return true;
	n->set = string_set_new(false);
	if (!n->set)
		return false;
	for (size_t i = 0; i < n->nvals; i++) {
		size_t len = n->op == OP_PMATCH ? trim_slash(n->vals[i].s, n->vals[i].len) :
			n->vals[i].len;

		if (string_set_add(n->set, n->vals[i].s, len))
			return false;
	}
	(void)c;
	return true;
}

/* A comparison on a field vigil lacks: false, remembered with the reason.
 * Whether that sinks the rule is decided after pruning (prune_untraced). */
static void mark_unavailable(struct compile_ctx *c, struct cnode *n)
{
	n->kind = CN_FALSE;
	n->unavailable = strdup(c->soft[0] ? c->soft : "unavailable field");
	c->soft[0] = '\0';
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int leaf_map_grow(struct leaf_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	char **keys = calloc(cap, sizeof(*keys));
	int *ids = calloc(cap, sizeof(*ids));

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = hash_text(m->keys[i]) & (cap - 1); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		ids[j] = m->ids[i];
	}
	free(m->keys);
	free(m->ids);
	m->keys = keys;
	m->ids = ids;
	m->cap = cap;
	return 0;
}

static void leaf_map_free(struct leaf_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->ids);
}

static int leaves_reserve(struct rule_engine *e, size_t n)
{
	const struct cnode **p;
	size_t cap = n * 2 + 64;

	if (n <= e->leaves_cap)
		return 0;
	p = realloc(e->leaves, cap * sizeof(*p));
	if (!p)
		return -1;
	e->leaves = p;
	e->leaves_cap = cap;
	return 0;
}

/* The id of this test: same field, operator and values, same id. */
static void assign_leaf(struct compile_ctx *c, struct cnode *n)
{
	struct leaf_map *m = &c->leaves;
	size_t len = 64, i;
	char *key;

	for (size_t v = 0; v < n->nvals; v++)
		len += n->vals[v].len + 1;
	key = malloc(len);
	if (!key) {
		c->failed = true;
		snprintf(c->err, c->errlen, "out of memory compiling rules");
		return;
	}
	int off = snprintf(key, len, "%d|%d|%d|%d|", (int)n->kind, (int)n->op, n->slot, n->rhs_slot);

	for (size_t v = 0; v < n->nvals; v++) {
		memcpy(key + off, n->vals[v].s, n->vals[v].len);
		off += (int)n->vals[v].len;
		key[off++] = '\x1f';
	}
	key[off] = '\0';
	if (((m->count + 1) * 2 > m->cap && leaf_map_grow(m)) ||
	    leaves_reserve(c->e, c->e->nleaves + 1)) {
		free(key);
		c->failed = true;
		snprintf(c->err, c->errlen, "out of memory compiling rules");
		return;
	}
	for (i = hash_text(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key)) {
			n->leaf = m->ids[i];
			free(key);
			return;
		}
	m->keys[i] = key;
	c->e->leaves[c->e->nleaves] = n;
	m->ids[i] = n->leaf = (int)c->e->nleaves++;
	m->count++;
}

static struct cnode *compile_compare(struct compile_ctx *c, const struct cond_node *src)
{
	int op = op_from_name(src->op);
	struct raw_values rv = {0};
	struct cnode *n;
	const struct field_ref *ref;

	if (op < 0) {
		hard_error(c, src->line, src->col, "unknown operator '%s'", src->op);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = CN_CMP;
	n->op = (enum cmp_op)op;
	n->rhs_slot = -1;
	n->leaf = -1;
	n->slot = slot_for(c->e, src->field, src->field_arg, c, src->line, src->col);
	if (n->slot < 0)
		goto unavailable;
	ref = &c->e->slots[n->slot].ref;
	if (!op_fits(ref->kind, n->op)) {
		hard_error(c, src->line, src->col, "operator '%s' does not apply to %s",
			   src->op, ref->name);
		goto fail;
	}
	if (src->nvalues == 1 && src->values[0].is_field) {
		const char *v = src->values[0].text;
		const char *br = strchr(v, '[');
		char name[256], arg[256];

		snprintf(name, sizeof(name), "%.*s", (int)(br ? br - v : (long)strlen(v)), v);
		snprintf(arg, sizeof(arg), "%s", br ? br + 1 : "");
		if (br && arg[0])
			arg[strlen(arg) - 1] = '\0';
		n->rhs_slot = slot_for(c->e, name, br ? arg : NULL, c, src->line, src->col);
		if (n->rhs_slot < 0)
			goto unavailable;
		assign_leaf(c, n);
		return n;
	}
	for (size_t i = 0; i < src->nvalues; i++)
		if (expand_item(c->text, src->values[i].text, src->values[i].quoted, &rv, 0))
			goto fail;
	n->vals = calloc(rv.n ? rv.n : 1, sizeof(*n->vals));
	if (!n->vals)
		goto fail;
	for (size_t i = 0; i < rv.n; i++) {
		if (!convert_value(c, ref, n->op, rv.items[i], &n->vals[i], src->line, src->col)) {
			n->nvals = i + 1;
			goto fail;
		}
		n->nvals = i + 1;
	}
	if (n->op == OP_REGEX && n->nvals == 1) {
		n->re = malloc(sizeof(*n->re));
		if (!n->re || regcomp(n->re, n->vals[0].s, REG_EXTENDED | REG_NOSUB)) {
			free(n->re);
			n->re = NULL;
			hard_error(c, src->line, src->col, "invalid regular expression '%s'",
				   n->vals[0].s);
			goto fail;
		}
	}
	if (!build_sets(c, n, ref))
		goto fail;
	assign_leaf(c, n);
	free(rv.items);
	return n;
unavailable:
	mark_unavailable(c, n);
	free(rv.items);
	return n;
fail:
	free(rv.items);
	cnode_free(n);
	return NULL;
}

static struct cnode *compile_tree(struct compile_ctx *c, const struct cond_node *src);

static struct cnode *compile_macro_ref(struct compile_ctx *c, const struct cond_node *src)
{
	long m = find_macro(c->text, src->macro);
	struct cnode *n;

	if (m < 0) {
		hard_error(c, src->line, src->col, "undefined macro '%s'", src->macro);
		return NULL;
	}
	if (c->macro_active[m] || c->depth >= MAX_MACRO_DEPTH) {
		char chain[400] = "";
		size_t len = 0;

		for (int i = 0; i < c->depth && len < sizeof(chain); i++)
			len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s -> ",
						c->macro_chain[i]);
		hard_error(c, src->line, src->col, "macro cycle: %s%s", chain, src->macro);
		return NULL;
	}
	c->macro_active[m] = true;
	c->macro_chain[c->depth++] = src->macro;
	n = compile_tree(c, c->macro_trees[m]);
	c->depth--;
	c->macro_active[m] = false;
	return n;
}

static struct cnode *compile_tree(struct compile_ctx *c, const struct cond_node *src)
{
	struct cnode *n;

	if (c->failed || !src)
		return NULL;
	switch (src->kind) {
	case COND_MACRO:
		return compile_macro_ref(c, src);
	case COND_COMPARE:
		return compile_compare(c, src);
	case COND_EXISTS:
		n = calloc(1, sizeof(*n));
		if (!n)
			return NULL;
		n->kind = CN_EXISTS;
		n->rhs_slot = -1;
		n->leaf = -1;
		n->slot = slot_for(c->e, src->field, src->field_arg, c, src->line, src->col);
		if (n->slot < 0)
			mark_unavailable(c, n);
		else
			assign_leaf(c, n);
		if (c->failed) {
			free(n);
			return NULL;
		}
		return n;
	default:
		break;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = src->kind == COND_AND ? CN_AND : src->kind == COND_OR ? CN_OR : CN_NOT;
	n->rhs_slot = -1;
	n->leaf = -1;
	n->left = compile_tree(c, src->left);
	if (n->left && src->kind != COND_NOT)
		n->right = compile_tree(c, src->right);
	if (!n->left || (src->kind != COND_NOT && !n->right)) {
		cnode_free(n);
		return NULL;
	}
	return n;
}

void cnode_free(struct cnode *n)
{
	if (!n)
		return;
	cnode_free(n->left);
	cnode_free(n->right);
	free_values(n->vals, n->nvals);
	string_set_free(n->set);
	free(n->keys);
	free(n->unavailable);
	if (n->re) {
		regfree(n->re);
		free(n->re);
	}
	free(n);
}

/* ---- exceptions ------------------------------------------------------ */

/* A cond_node built by hand: field COMP value(s).  An exception value
 * written as a YAML list arrives as the text "(a, b)". */
static struct cond_node *exception_compare(const char *field_text, const char *comp,
					   const char *value)
{
	struct cond_node *n = calloc(1, sizeof(*n));
	const char *br = strchr(field_text, '[');
	size_t vlen = strlen(value);
	bool list = vlen >= 2 && value[0] == '(' && value[vlen - 1] == ')';

	if (!n)
		return NULL;
	n->kind = COND_COMPARE;
	n->field = br ? strndup(field_text, (size_t)(br - field_text)) : strdup(field_text);
	if (br)
		n->field_arg = strndup(br + 1, strcspn(br + 1, "]"));
	n->op = strdup(comp);
	n->line = n->col = 1;
	if (!list) {
		n->values = calloc(1, sizeof(*n->values));
		if (n->values) {
			n->nvalues = 1;
			n->values[0].text = strdup(value);
			/* `in` with one bare name: a list reference, as Falco reads it */
			n->values[0].quoted = strcmp(comp, "in") && strcmp(comp, "pmatch") &&
					      strcmp(comp, "intersects");
		}
		return n;
	}
	/* "(a, b, c)": split on commas; items are list names or values */
	n->value_is_list = true;
	n->values = calloc(vlen, sizeof(*n->values));
	for (const char *p = value + 1; n->values && p < value + vlen - 1;) {
		size_t len = strcspn(p, ",)");
		const char *s = p, *e = p + len;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s) {
			n->values[n->nvalues].text = strndup(s, (size_t)(e - s));
			n->values[n->nvalues].quoted = false;
			n->nvalues++;
		}
		p += len + 1;
	}
	return n;
}

static struct cond_node *join(enum cond_node_kind kind, struct cond_node *l, struct cond_node *r)
{
	struct cond_node *n;

	if (!l)
		return r;
	if (!r)
		return l;
	n = calloc(1, sizeof(*n));
	if (!n) {
		cond_free(l);
		cond_free(r);
		return NULL;
	}
	n->kind = kind;
	n->left = l;
	n->right = r;
	return n;
}

/* OR over every row of every exception, each row an AND over its fields. */
static struct cond_node *exceptions_tree(const struct rules_rule *r)
{
	struct cond_node *any = NULL;

	for (size_t i = 0; i < r->nexceptions; i++) {
		const struct rules_exception *x = &r->exceptions[i];

		for (size_t row = 0; row < x->nvalues; row++) {
			struct cond_node *all = NULL;

			for (size_t f = 0; f < x->nfields; f++) {
				const char *comp = f < x->ncomps && x->comps[f] ? x->comps[f] : "=";

				all = join(COND_AND, all,
					   exception_compare(x->fields[f], comp, x->values[row][f]));
			}
			any = join(COND_OR, any, all);
		}
	}
	return any;
}

/* ---- rules ----------------------------------------------------------- */

/* Keys a condition can be true for (De Morgan through `not`). */
static void keys_of(const struct rule_engine *e, const struct cnode *n, bool neg,
		    struct evkey_set *out)
{
	struct evkey_set a, b;

	switch (n->kind) {
	case CN_AND:
	case CN_OR:
		keys_of(e, n->left, neg, &a);
		keys_of(e, n->right, neg, &b);
		for (int w = 0; w < EVKEY_WORDS; w++)
			out->bits[w] = (n->kind == CN_AND) != neg ? a.bits[w] & b.bits[w] :
				a.bits[w] | b.bits[w];
		return;
	case CN_NOT:
		keys_of(e, n->left, !neg, out);
		return;
	case CN_FALSE:
	case CN_TRUE:	/* never true (false) / always true, and the negations */
		if (n->unavailable)
			break;	/* a field vigil lacks: could be anything */
		memset(out->bits, (n->kind == CN_TRUE) != neg ? 0xff : 0, sizeof(out->bits));
		return;
	case CN_CMP:
		if (n->keys && (n->op == OP_EQ || n->op == OP_IN || n->op == OP_INTERSECTS ||
				n->op == OP_NE)) {
			bool complement = (n->op == OP_NE) != neg;

			for (int w = 0; w < EVKEY_WORDS; w++)
				out->bits[w] = complement ? ~n->keys->bits[w] : n->keys->bits[w];
			return;
		}
		break;
	default:
		break;
	}
	memset(out->bits, 0xff, sizeof(out->bits));
	(void)e;
}

static int parse_output(struct rule_engine *e, struct crule *cr, const char *output);

static bool keys_disjoint(const struct evkey_set *a, const struct evkey_set *b)
{
	for (int w = 0; w < EVKEY_WORDS; w++)
		if (a->bits[w] & b->bits[w])
			return false;
	return true;
}

/* A subtree that can be true only for event types vigil never traces is
 * false for every event vigil sees: make it so, dropping whatever fields
 * it needed (Falco's `outbound` needs fd.name_changed only for sendto). */
/* Set a tree aside until the engine is freed (see graveyard). */
static void bury(struct rule_engine *e, struct cnode *n)
{
	struct cnode **g;

	if (!n)
		return;
	g = realloc(e->graveyard, (e->ngraves + 1) * sizeof(*g));
	if (!g)
		return;	/* out of memory: leaking it is safe, freeing it is not */
	e->graveyard = g;
	g[e->ngraves++] = n;
}

static void prune_untraced(struct rule_engine *e, struct cnode *n,
			   const struct evkey_set *traced)
{
	struct evkey_set keys;

	if (n->kind != CN_AND && n->kind != CN_OR && n->kind != CN_NOT)
		return;
	keys_of(e, n, false, &keys);
	if (keys_disjoint(&keys, traced)) {
		bury(e, n->left);
		bury(e, n->right);
		n->left = n->right = NULL;
		n->kind = CN_FALSE;
		return;
	}
	prune_untraced(e, n->left, traced);
	if (n->right)
		prune_untraced(e, n->right, traced);
}

static const char *first_unavailable(const struct cnode *n)
{
	const char *why;

	if (!n)
		return NULL;
	if (n->unavailable)
		return n->unavailable;
	why = first_unavailable(n->left);
	return why ? why : first_unavailable(n->right);
}

static int compile_rule(struct compile_ctx *c, const struct rules_rule *r, struct crule *cr)
{
	struct cond_error perr;
	struct cond_node *tree = cond_parse(r->condition, strlen(r->condition), &perr);
	struct cond_node *exc;

	c->rule = r;
	c->where_file = r->file;
	c->where_line = r->line;
	c->where_col = r->col;
	c->soft[0] = '\0';
	if (!tree) {
		hard_error(c, perr.line, perr.col, "%s", perr.message);
		return -1;
	}
	exc = exceptions_tree(r);
	if (exc) {
		struct cond_node *not = calloc(1, sizeof(*not));

		if (!not) {
			cond_free(exc);
			cond_free(tree);
			return -1;
		}
		not->kind = COND_NOT;
		not->left = exc;
		tree = join(COND_AND, tree, not);
	}
	cr->cond = compile_tree(c, tree);
	cond_free(tree);
	if (c->failed || !cr->cond)
		return -1;
	prune_untraced(c->e, cr->cond, &c->traced);
	const char *why = first_unavailable(cr->cond);

	if (why) {
		cr->pub.unavailable = strdup(why);
		bury(c->e, cr->cond);
		cr->cond = NULL;
	}
	return parse_output(c->e, cr, r->output ? r->output : "");
}

static int copy_public(struct crule *cr, const struct rules_rule *r)
{
	struct engine_rule *p = &cr->pub;

	p->name = r->name;
	p->desc = r->desc;
	p->source = r->source ? r->source : "syscall";
	p->priority = r->priority;
	p->tags = r->tags;
	p->ntags = r->ntags;
	p->enabled = r->enabled;
	cr->file = r->file;
	cr->line = r->line;
	cr->col = r->col;
	return 0;
}

static int index_rule(struct rule_engine *e, size_t ri, const struct evkey_set *traced)
{
	struct crule *cr = &e->rules[ri];
	struct evkey_set keys;
	bool any = false, all = true;

	keys_of(e, cr->cond, false, &keys);
	for (int k = 0; k < EVKEY_COUNT; k++) {
		if (!evkey_set_has(&keys, k) || !evkey_set_has(traced, k))
			continue;
		struct prog *prog = rule_specialize(e, cr->cond, k);

		if (!prog)
			return -1;
		if (prog->kind == PROG_FALSE)
			continue;	/* cannot match this type after all */
		long code = prog_emit(e, prog);
		struct candidate *p = realloc(e->index[k], (e->index_len[k] + 1) * sizeof(*p));

		if (!p || code < 0)
			return -1;
		e->index[k] = p;
		const struct pnode *root = &e->code[code];
		int32_t gate = root->kind == PROG_AND && root[1].kind == PROG_LEAF ?
			(int32_t)root[1].leaf : root->kind == PROG_LEAF ? (int32_t)root->leaf : -1;

		p[e->index_len[k]++] = (struct candidate){(uint32_t)ri, (uint32_t)code,
							  cr->pub.enabled, gate};
		any = true;
	}
	for (int w = 0; w < EVKEY_WORDS; w++)
		all = all && (keys.bits[w] | ~traced->bits[w]) == ~UINT64_C(0);
	if (!any) {
		cr->pub.usable = false;
		cr->pub.unavailable = strdup("its event types are not traced by vigil");
	} else if (all) {
		add_warning(e, "%s:%d:%d: rule '%s' does not restrict evt.type: it is "
			    "evaluated for every event", cr->file, cr->line, cr->col,
			    cr->pub.name);
	}
	return 0;
}

static int parse_macros(struct compile_ctx *c)
{
	const struct ruleset_text *t = c->text;

	c->macro_trees = calloc(t->nmacros + 1, sizeof(*c->macro_trees));
	c->macro_active = calloc(t->nmacros + 1, sizeof(*c->macro_active));
	if (!c->macro_trees || !c->macro_active)
		return -1;
	for (size_t i = 0; i < t->nmacros; i++) {
		struct cond_error perr;
		const struct rules_macro *m = &t->macros[i];

		c->macro_trees[i] = cond_parse(m->condition, strlen(m->condition), &perr);
		if (!c->macro_trees[i]) {
			c->rule = NULL;
			c->where_file = m->file;
			c->where_line = m->line;
			c->where_col = m->col;
			hard_error(c, perr.line, perr.col, "macro '%s': %s", m->name, perr.message);
			return -1;
		}
	}
	return 0;
}

static void free_macros(struct compile_ctx *c)
{
	for (size_t i = 0; c->macro_trees && i < c->text->nmacros; i++)
		cond_free(c->macro_trees[i]);
	free(c->macro_trees);
	free(c->macro_active);
}

struct rule_engine *rule_engine_compile(const struct ruleset_text *text, char *err,
					size_t errlen)
{
	struct compile_ctx c = {.text = text, .err = err, .errlen = errlen};
	struct rule_engine *e = calloc(1, sizeof(*e));
	if (err && errlen)
		err[0] = '\0';
	if (!e || !(c.e = e) || !(e->rules = calloc(text->nrules + 1, sizeof(*e->rules))))
		goto nomem;
	e->min_priority = PRIORITY_DEBUG;
	e->matching = RULE_MATCH_ALL;
	field_scratch_init(&e->scratch);
	if (!e->scratch.buf || parse_macros(&c))
		goto fail;
	evkey_traced(&c.traced);
	for (size_t i = 0; i < text->nrules; i++) {
		struct crule *cr = &e->rules[i];

		copy_public(cr, &text->rules[i]);
		e->nrules = i + 1;
		if (compile_rule(&c, &text->rules[i], cr))
			goto fail;
		cr->pub.usable = cr->cond != NULL;
		if (cr->pub.usable && index_rule(e, i, &c.traced))
			goto nomem;
	}
	free_macros(&c);
	leaf_map_free(&c.leaves);
	prog_free_all(e);	/* flattened into e->code */
	e->leaf_memo = calloc(e->nleaves + 1, sizeof(*e->leaf_memo));
	if (!e->leaf_memo) {
		snprintf(err, errlen, "out of memory compiling rules");
		rule_engine_free(e);
		return NULL;
	}
	return e;
nomem:
	if (!c.failed)
		snprintf(err, errlen, "out of memory compiling rules");
fail:
	if (!c.failed && err && !err[0])
		snprintf(err, errlen, "out of memory compiling rules");
	free_macros(&c);
	leaf_map_free(&c.leaves);
	rule_engine_free(e);
	return NULL;
}

/* ---- output templates ------------------------------------------------ */

static bool field_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

static int push_part(struct crule *cr, char *text, int slot, char *field)
{
	struct output_part *p = realloc(cr->output, (cr->noutput + 1) * sizeof(*p));

	if (!p) {
		free(text);
		free(field);
		return -1;
	}
	cr->output = p;
	p[cr->noutput++] = (struct output_part){.text = text, .slot = slot, .field_name = field};
	return 0;
}

/* %container.info is Falco's shorthand for the container's identity. */
static int push_field(struct rule_engine *e, struct crule *cr, const char *name, size_t len)
{
	char field[256], arg[256];
	const char *br = memchr(name, '[', len);
	int slot;

	if (len == 14 && !memcmp(name, "container.info", 14)) {
		return push_part(cr, strdup("container_id="), -2, NULL) ||
		       push_field(e, cr, "container.id", 12) ||
		       push_part(cr, strdup(" container_name="), -2, NULL) ||
		       push_field(e, cr, "container.name", 14);
	}
	snprintf(field, sizeof(field), "%.*s", (int)(br ? br - name : (long)len), name);
	if (br)
		snprintf(arg, sizeof(arg), "%.*s", (int)(len - (size_t)(br - name) - 2), br + 1);
	slot = slot_for(e, field, br ? arg : NULL, NULL, 0, 0);
	if (slot < 0)
		add_warning(e, "%s:%d:%d: rule '%s': output field %.*s is not provided "
			    "(printed as <NA>)", cr->file, cr->line, cr->col, cr->pub.name,
			    (int)len, name);
	return push_part(cr, NULL, slot, strndup(name, len));
}

static int parse_output(struct rule_engine *e, struct crule *cr, const char *out)
{
	const char *lit = out;

	for (const char *p = out; *p;) {
		size_t n = 0;

		if (*p != '%' || !field_char(p[1])) {
			p++;
			continue;
		}
		while (field_char(p[1 + n]))
			n++;
		if (p[1 + n] == '[') {
			const char *close = strchr(p + 1 + n, ']');
			size_t arg = close ? strcspn(p + 2 + n, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\r") : 0;

			/* the name becomes a JSON key: plain arguments only */
			if (close && p + 2 + n + arg >= close)
				n = (size_t)(close - (p + 1)) + 1;
		}
		while (n && p[n] == '.')	/* a sentence's full stop is not the field's */
			n--;
		if (p > lit && push_part(cr, strndup(lit, (size_t)(p - lit)), -2, NULL))
			return -1;
		if (push_field(e, cr, p + 1, n))
			return -1;
		p += 1 + n;
		lit = p;
	}
	if (*lit && push_part(cr, strdup(lit), -2, NULL))
		return -1;
	return 0;
}

/* ---- the rest of the public API -------------------------------------- */

void rule_engine_free(struct rule_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrules; i++) {
		struct crule *cr = &e->rules[i];

		cnode_free(cr->cond);
		free(cr->pub.unavailable);
		for (size_t j = 0; j < cr->noutput; j++) {
			free(cr->output[j].text);
			free(cr->output[j].field_name);
		}
		free(cr->output);
	}
	free(e->rules);
	for (size_t i = 0; i < e->nslots; i++) {
		field_ref_release(&e->slots[i].ref);
		free(e->slots[i].text);
	}
	free(e->slots);
	for (int k = 0; k < EVKEY_COUNT; k++)
		free(e->index[k]);
	prog_free_all(e);
	free(e->code);
	for (size_t i = 0; i < e->ngraves; i++)
		cnode_free(e->graveyard[i]);
	free(e->graveyard);
	free(e->leaf_memo);
	free(e->leaves);
	for (size_t i = 0; i < e->nwarnings; i++)
		free(e->warnings[i]);
	free(e->warnings);
	field_scratch_free(&e->scratch);
	free(e->output_buf);
	free(e);
}

void rule_engine_set_matching(struct rule_engine *e, enum rule_matching m)
{
	e->matching = m;
}

void rule_engine_set_min_priority(struct rule_engine *e, int priority)
{
	e->min_priority = priority;
	for (int k = 0; k < EVKEY_COUNT; k++)
		for (uint32_t i = 0; i < e->index_len[k]; i++) {
			const struct engine_rule *r = &e->rules[e->index[k][i].rule].pub;

			e->index[k][i].active = r->enabled && r->priority <= priority;
		}
}

size_t rule_engine_rule_count(const struct rule_engine *e)
{
	return e->nrules;
}

const struct engine_rule *rule_engine_rule(const struct rule_engine *e, size_t i)
{
	return i < e->nrules ? &e->rules[i].pub : NULL;
}

size_t rule_engine_active_count(const struct rule_engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nrules; i++)
		n += e->rules[i].pub.usable && e->rules[i].pub.enabled &&
		     e->rules[i].pub.priority <= e->min_priority;
	return n;
}

size_t rule_engine_warning_count(const struct rule_engine *e)
{
	return e->nwarnings;
}

const char *rule_engine_warning(const struct rule_engine *e, size_t i)
{
	return i < e->nwarnings ? e->warnings[i] : NULL;
}

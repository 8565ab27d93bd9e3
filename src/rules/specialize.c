/* specialize.c - one program per rule and event type.
 *
 * A compiled condition still tests evt.type in many places (Falco's
 * macros do: `open_write or rename or remove`).  For a given event key
 * those tests are constants, so each rule is specialized per key of the
 * index: type tests fold to true/false, and/or chains are flattened into
 * lists that stop at the first deciding child, constant branches vanish,
 * and plain comparisons run before nested subtrees.  A rule that folds to
 * false for a key is not a candidate for it at all.
 */
#include "engine_impl.h"

#include <stdlib.h>
#include <string.h>

static struct prog *prog_new(struct rule_engine *e, enum prog_kind kind)
{
	struct prog *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->kind = kind;
	p->next_alloc = e->progs;	/* freed with the engine */
	e->progs = p;
	return p;
}

static struct prog *constant(struct rule_engine *e, bool value)
{
	return prog_new(e, value ? PROG_TRUE : PROG_FALSE);
}

/* A type test on this key is a constant: true, false; -1 when not a type test. */
static int type_test(const struct rule_engine *e, const struct cnode *n, int key)
{
	if (n->kind != CN_CMP || n->rhs_slot >= 0 || !n->keys ||
	    e->slots[n->slot].ref.kind != FK_EVTTYPE)
		return -1;
	bool has = evkey_set_has(n->keys, key);

	return n->op == OP_NE ? !has : has;
}

static int push_kid(struct prog *p, struct prog *kid)
{
	struct prog **k = realloc(p->kids, (p->nkids + 1) * sizeof(*k));

	if (!k)
		return -1;
	p->kids = k;
	p->kids[p->nkids++] = kid;
	return 0;
}

/* Collect the operands of a chain of the same operator (a and b and c). */
static int flatten(struct rule_engine *e, const struct cnode *n, enum cnode_kind kind,
		   int key, struct prog *into, bool *decided);

static struct prog *specialize_node(struct rule_engine *e, const struct cnode *n, int key)
{
	struct prog *p, *kid;
	bool decided = false;
	int t;

	switch (n->kind) {
	case CN_TRUE: return constant(e, true);
	case CN_FALSE: return constant(e, false);
	case CN_NOT:
		kid = specialize_node(e, n->left, key);
		if (!kid)
			return NULL;
		if (kid->kind == PROG_TRUE || kid->kind == PROG_FALSE)
			return constant(e, kid->kind == PROG_FALSE);
		p = prog_new(e, PROG_NOT);
		if (p && push_kid(p, kid))
			return NULL;
		return p;
	case CN_CMP:
	case CN_EXISTS:
		t = n->kind == CN_CMP ? type_test(e, n, key) : -1;
		if (t >= 0)
			return constant(e, t);
		p = prog_new(e, PROG_LEAF);
		if (p)
			p->leaf = n;
		return p;
	case CN_AND:
	case CN_OR:
		p = prog_new(e, n->kind == CN_AND ? PROG_AND : PROG_OR);
		if (!p || flatten(e, n, n->kind, key, p, &decided))
			return NULL;
		if (decided)	/* a false operand of and, a true one of or */
			return constant(e, n->kind == CN_OR);
		if (p->nkids == 0)
			return constant(e, n->kind == CN_AND);
		if (p->nkids == 1)
			return p->kids[0];
		return p;
	}
	return NULL;
}

static int flatten(struct rule_engine *e, const struct cnode *n, enum cnode_kind kind,
		   int key, struct prog *into, bool *decided)
{
	struct prog *kid;

	if (n->kind == kind)
		return flatten(e, n->left, kind, key, into, decided) ||
		       flatten(e, n->right, kind, key, into, decided);
	kid = specialize_node(e, n, key);
	if (!kid)
		return -1;
	if (kid->kind == PROG_TRUE || kid->kind == PROG_FALSE) {
		if ((kid->kind == PROG_TRUE) == (kind == CN_OR))
			*decided = true;
		return 0;	/* the neutral constant just drops out */
	}
	return push_kid(into, kid);
}

/* Likely-deciding, cheap tests first: an equality or set lookup on a
 * string rarely holds and costs one hash probe; a substring search costs
 * more; `!=`, ranges and `exists` usually hold, so they decide little;
 * glob and regex cost most; nested subtrees go last. */
static int cost(const struct rule_engine *e, const struct prog *p)
{
	const struct cnode *n = p->leaf;

	int best = 100, worst = 0;

	if (p->kind == PROG_NOT)	/* not <rare thing> is usually true */
		return 7;
	if (p->kind == PROG_AND || p->kind == PROG_OR) {
		/* an or decides (is false) only when all its operands are rare;
		 * an and is false as soon as its rarest operand is */
		for (size_t i = 0; i < p->nkids; i++) {
			int c = cost(e, p->kids[i]);

			best = c < best ? c : best;
			worst = c > worst ? c : worst;
		}
		return (p->kind == PROG_OR ? worst : best) + 1;
	}
	if (p->kind != PROG_LEAF)
		return 0;
	if (n->kind == CN_EXISTS || n->op == OP_NE)
		return 4;
	switch (n->op) {
	case OP_EQ: case OP_IN: case OP_INTERSECTS:
		return e->slots[n->slot].ref.kind == FK_STRING ? 0 : 1;
	case OP_STARTSWITH: case OP_BSTARTSWITH: case OP_ENDSWITH:
		return 0;
	case OP_PMATCH:		/* a probe per directory level */
	case OP_CONTAINS: case OP_ICONTAINS: case OP_BCONTAINS:
		return 2;
	case OP_GLOB: case OP_IGLOB: case OP_REGEX:
		return 5;
	default:
		return 3;	/* <, <=, >, >= */
	}
}

static void order_kids(const struct rule_engine *e, struct prog *p)
{
	for (size_t i = 0; i < p->nkids; i++) {
		order_kids(e, p->kids[i]);
		/* insertion sort by cost keeps the written order among equals */
		for (size_t j = i; j > 0 && cost(e, p->kids[j]) < cost(e, p->kids[j - 1]); j--) {
			struct prog *t = p->kids[j];

			p->kids[j] = p->kids[j - 1];
			p->kids[j - 1] = t;
		}
	}
}

struct prog *rule_specialize(struct rule_engine *e, const struct cnode *cond, int key)
{
	struct prog *p = specialize_node(e, cond, key);

	if (p)
		order_kids(e, p);
	return p;
}

void prog_free_all(struct rule_engine *e)
{
	while (e->progs) {
		struct prog *next = e->progs->next_alloc;

		free(e->progs->kids);
		free(e->progs);
		e->progs = next;
	}
}

static size_t prog_size(const struct prog *p)
{
	size_t n = 1;

	for (size_t i = 0; i < p->nkids; i++)
		n += prog_size(p->kids[i]);
	return n;
}

static void emit_node(struct pnode *out, size_t *at, const struct prog *p)
{
	struct pnode *n = &out[(*at)++];

	n->kind = (uint32_t)p->kind;
	n->size = (uint32_t)prog_size(p);
	n->leaf = p->leaf ? (uint32_t)p->leaf->leaf : 0;
	for (size_t i = 0; i < p->nkids; i++)
		emit_node(out, at, p->kids[i]);
}

long prog_emit(struct rule_engine *e, const struct prog *p)
{
	size_t need = prog_size(p), at = e->ncode;

	if (e->ncode + need > e->code_cap) {
		size_t cap = e->code_cap ? e->code_cap : 4096;
		struct pnode *code;

		while (cap < e->ncode + need)
			cap *= 2;
		code = realloc(e->code, cap * sizeof(*code));
		if (!code)
			return -1;
		e->code = code;
		e->code_cap = cap;
	}
	emit_node(e->code, &at, p);
	e->ncode = at;
	return (long)(at - need);
}

/* evaluate.c - run compiled rules over one event.
 *
 * Field values are read at most once per event: each slot caches its
 * value under the event's generation number, so twenty rules asking for
 * proc.name cost one read.  Strings built for an event live in the
 * engine's scratch arena, emptied before the next event.
 */
#include "engine_impl.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Values of multi-valued fields tried at most (ancestors, both ends). */
#define MAX_MULTI 32

static bool slot_read(struct rule_engine *e, int slot, int which, const struct rule_input *in,
		      struct field_value *out)
{
	struct field_slot *s = &e->slots[slot];

	if (s->ref.multi)	/* not cached: which varies */
		return field_read(&s->ref, which, in, &e->scratch, out);
	if (s->gen != e->gen) {
		s->gen = e->gen;
		memset(&s->value, 0, sizeof(s->value));
		s->present = field_read(&s->ref, 0, in, &e->scratch, &s->value);
	}
	*out = s->value;
	return s->present;
}

static bool icontains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t j = 0;

		while (j < nlen && tolower((unsigned char)hay[i + j]) ==
				   tolower((unsigned char)needle[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

/* A NUL-terminated copy for fnmatch/regexec, in scratch when long. */
static const char *terminated(struct rule_engine *e, const struct field_value *v,
			      char *small, size_t small_cap)
{
	char *p = small;

	if (v->len >= small_cap) {
		if (e->scratch.cap - e->scratch.used < v->len + 1)
			return NULL;
		p = e->scratch.buf + e->scratch.used;
		e->scratch.used += v->len + 1;
	}
	memcpy(p, v->s, v->len);
	p[v->len] = '\0';
	return p;
}

static bool string_op(struct rule_engine *e, const struct cnode *n, struct field_value *v)
{
	char small[1024];
	const char *z;

	if (n->set && n->op != OP_PMATCH) {	/* in, intersects */
		if (!v->hashed) {	/* one hash per value, however many sets ask */
			v->hash = string_set_hash(v->s, v->len);
			v->hashed = true;
		}
		return string_set_contains_hashed(n->set, v->s, v->len, v->hash);
	}
	if (n->set)	/* pmatch */
		return string_set_contains_path_prefix(n->set, v->s, v->len);
	for (size_t i = 0; i < n->nvals; i++) {
		const struct cvalue *c = &n->vals[i];
		bool hit = false;

		switch (n->op) {
		case OP_EQ: case OP_IN: case OP_INTERSECTS:
			hit = v->len == c->len && !memcmp(v->s, c->s, c->len);
			break;
		case OP_NE:
			return !(v->len == c->len && !memcmp(v->s, c->s, c->len));
		case OP_CONTAINS: case OP_BCONTAINS:
			hit = memmem(v->s, v->len, c->s, c->len) != NULL;
			break;
		case OP_ICONTAINS:
			hit = icontains(v->s, v->len, c->s, c->len);
			break;
		case OP_STARTSWITH: case OP_BSTARTSWITH:
			hit = v->len >= c->len && !memcmp(v->s, c->s, c->len);
			break;
		case OP_ENDSWITH:
			hit = v->len >= c->len && !memcmp(v->s + v->len - c->len, c->s, c->len);
			break;
		case OP_GLOB: case OP_IGLOB:
			z = terminated(e, v, small, sizeof(small));
			hit = z && fnmatch(c->s, z, n->op == OP_IGLOB ? FNM_CASEFOLD : 0) == 0;
			break;
		case OP_REGEX:
			z = terminated(e, v, small, sizeof(small));
			hit = z && n->re && regexec(n->re, z, 0, NULL, 0) == 0;
			break;
		case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
			size_t m = v->len < c->len ? v->len : c->len;
			int r = memcmp(v->s, c->s, m);

			if (r == 0)
				r = v->len < c->len ? -1 : v->len > c->len;
			hit = n->op == OP_LT ? r < 0 : n->op == OP_LE ? r <= 0 :
			      n->op == OP_GT ? r > 0 : r >= 0;
			break;
		}
		default:
			break;
		}
		if (hit)
			return true;
	}
	return false;
}

static bool number_op(const struct cnode *n, int64_t x)
{
	for (size_t i = 0; i < n->nvals; i++) {
		int64_t y = n->vals[i].n;

		switch (n->op) {
		case OP_EQ: case OP_IN: case OP_INTERSECTS:
			if (x == y)
				return true;
			break;
		case OP_NE: return x != y;
		case OP_LT: return x < y;
		case OP_LE: return x <= y;
		case OP_GT: return x > y;
		case OP_GE: return x >= y;
		default: return false;
		}
	}
	return false;
}

static bool in_prefix(const struct field_value *v, const struct cvalue *c)
{
	unsigned bits = c->prefix_bits;
	size_t bytes = bits / 8;

	if (v->family != c->family)
		return false;
	if (memcmp(v->addr, c->addr, bytes))
		return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

	return (v->addr[bytes] & mask) == (c->addr[bytes] & mask);
}

static bool net_op(const struct cnode *n, const struct field_value *v)
{
	bool any = false;

	for (size_t i = 0; i < n->nvals && !any; i++)
		any = in_prefix(v, &n->vals[i]);
	return n->op == OP_NE ? !any : any;
}

/* The comparison for one value of the field. */
static bool compare_value(struct rule_engine *e, const struct cnode *n,
			  struct field_value *v, const struct rule_input *in)
{
	const struct field_ref *ref = &e->slots[n->slot].ref;
	struct field_value rhs;

	if (n->rhs_slot >= 0) {
		if (!slot_read(e, n->rhs_slot, 0, in, &rhs))
			return false;
		if (ref->kind == FK_STRING) {
			struct cvalue c = {.s = (char *)rhs.s, .len = rhs.len};
			struct cnode tmp = {.op = n->op, .vals = &c, .nvals = 1};

			return string_op(e, &tmp, v);
		}
		struct cvalue c = {.n = rhs.n};
		struct cnode tmp = {.op = n->op, .vals = &c, .nvals = 1};

		return number_op(&tmp, v->n);
	}
	switch (ref->kind) {
	case FK_STRING: return string_op(e, n, v);
	case FK_NUMBER: case FK_BOOL: return number_op(n, v->n);
	case FK_NET: return net_op(n, v);
	case FK_EVTTYPE: {
		bool has = n->keys && evkey_set_has(n->keys, (int)v->n);

		return n->op == OP_NE ? !has : has;
	}
	}
	return false;
}

static bool eval_compare(struct rule_engine *e, const struct cnode *n,
			 const struct rule_input *in)
{
	struct field_value v;

	if (!e->slots[n->slot].ref.multi) {
		/* Falco: a comparison with an absent field is false, whatever the op */
		struct field_slot *s = &e->slots[n->slot];

		if (s->gen != e->gen) {
			s->gen = e->gen;
			memset(&s->value, 0, sizeof(s->value));
			s->present = field_read(&s->ref, 0, in, &e->scratch, &s->value);
		}
		return s->present && compare_value(e, n, &s->value, in);
	}
	/* Several values: any one matching is a match; != means none equal. */
	for (int i = 0; i < MAX_MULTI; i++) {
		memset(&v, 0, sizeof(v));	/* no hash carried over from the last value */
		if (!slot_read(e, n->slot, i, in, &v))
			break;
		bool hit = compare_value(e, n, &v, in);

		if (n->op == OP_NE && !hit)
			return false;
		if (n->op != OP_NE && hit)
			return true;
	}
	return n->op == OP_NE;
}

bool cnode_eval(struct rule_engine *e, const struct cnode *n, const struct rule_input *in)
{
	struct field_value v;

	switch (n->kind) {
	case CN_AND: return cnode_eval(e, n->left, in) && cnode_eval(e, n->right, in);
	case CN_OR: return cnode_eval(e, n->left, in) || cnode_eval(e, n->right, in);
	case CN_NOT: return !cnode_eval(e, n->left, in);
	case CN_CMP: return eval_compare(e, n, in);
	case CN_EXISTS: return slot_read(e, n->slot, 0, in, &v);
	case CN_TRUE: return true;
	case CN_FALSE: return false;
	}
	return false;
}

bool pnode_eval(struct rule_engine *e, const struct pnode *n, const struct rule_input *in)
{
	const struct pnode *end = n + n->size, *k = n + 1;
	uint64_t *memo;

	switch (n->kind) {
	case PROG_AND:
		for (; k < end; k += k->size)
			if (!pnode_eval(e, k, in))
				return false;
		return true;
	case PROG_OR:
		for (; k < end; k += k->size)
			if (pnode_eval(e, k, in))
				return true;
		return false;
	case PROG_NOT:
		return !pnode_eval(e, k, in);
	case PROG_LEAF:
		memo = &e->leaf_memo[n->leaf];
		if (*memo >> 1 != e->gen)
			*memo = e->gen << 1 | cnode_eval(e, e->leaves[n->leaf], in);
		return *memo & 1;
	case PROG_TRUE:
		return true;
	default:
		return false;
	}
}

size_t rule_engine_evaluate(struct rule_engine *e, const struct rule_input *in,
			    rule_match_fn match, void *ctx)
{
	int key = evkey_of_event(in->ev);
	size_t matches = 0;

	if (key < 0 || !e->index_len[key])
		return 0;
	e->gen++;
	field_scratch_reset(&e->scratch);
	for (uint32_t i = 0; i < e->index_len[key]; i++) {
		const struct candidate *c = &e->index[key][i];

		if (!c->active)
			continue;
		/* a gate already answered false for this event: many rules share one */
		if (c->gate >= 0 && e->leaf_memo[c->gate] == e->gen << 1)
			continue;
		if (!pnode_eval(e, &e->code[c->code], in))
			continue;
		e->rules[c->rule].pub.matches++;
		matches++;
		if (match)
			match(ctx, c->rule, in);
		if (e->matching == RULE_MATCH_FIRST)
			break;
	}
	return matches;
}

/* ---- output ---------------------------------------------------------- */

static int grow_output(struct rule_engine *e, size_t need)
{
	size_t cap = e->output_cap ? e->output_cap : 1024;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap == e->output_cap)
		return 0;
	p = realloc(e->output_buf, cap);
	if (!p)
		return -1;
	e->output_buf = p;
	e->output_cap = cap;
	return 0;
}

const char *rule_engine_output(struct rule_engine *e, size_t rule_index,
			       const struct rule_input *in)
{
	const struct crule *cr = &e->rules[rule_index];
	size_t len = 0;

	if (grow_output(e, 1))
		return "";
	e->output_buf[0] = '\0';
	for (size_t i = 0; i < cr->noutput; i++) {
		const struct output_part *p = &cr->output[i];
		const char *s = p->text ? p->text : p->slot >= 0 ?
			field_format(&e->slots[p->slot].ref, in, &e->scratch) : "<NA>";
		size_t n = strlen(s);

		if (grow_output(e, len + n + 1))
			break;
		memcpy(e->output_buf + len, s, n + 1);
		len += n;
	}
	return e->output_buf;
}

void rule_engine_output_fields(struct rule_engine *e, size_t rule_index,
			       const struct rule_input *in, struct json_writer *w)
{
	const struct crule *cr = &e->rules[rule_index];

	for (size_t i = 0; i < cr->noutput; i++) {
		const struct output_part *p = &cr->output[i];
		struct field_value v;

		bool seen = false;

		if (p->text || !p->field_name)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = cr->output[j].field_name &&
			       !strcmp(cr->output[j].field_name, p->field_name);
		if (seen)
			continue;
		json_key(w, p->field_name);
		if (p->slot < 0) {
			json_null(w);
			continue;
		}
		const struct field_ref *ref = &e->slots[p->slot].ref;

		if (ref->multi || !field_read(ref, 0, in, &e->scratch, &v)) {
			const char *s = field_format(ref, in, &e->scratch);

			if (strcmp(s, "<NA>"))
				json_string(w, s);
			else
				json_null(w);
			continue;
		}
		if (ref->kind == FK_NUMBER)
			json_int(w, v.n);
		else if (ref->kind == FK_BOOL)
			json_bool(w, v.n != 0);
		else
			json_string(w, field_format(ref, in, &e->scratch));
	}
}

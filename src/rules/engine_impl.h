/* engine_impl.h - the compiled form of rules, shared by the compiler
 * (compile.c) and the evaluator (evaluate.c, output.c).  Private to
 * src/rules. */
#ifndef VIGIL_RULES_ENGINE_IMPL_H
#define VIGIL_RULES_ENGINE_IMPL_H

#include <regex.h>

#include "rules/engine.h"
#include "util/string_set.h"

enum cnode_kind { CN_AND, CN_OR, CN_NOT, CN_CMP, CN_EXISTS, CN_TRUE, CN_FALSE };

enum cmp_op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_INTERSECTS,
	OP_CONTAINS, OP_ICONTAINS, OP_BCONTAINS, OP_STARTSWITH, OP_BSTARTSWITH,
	OP_ENDSWITH, OP_GLOB, OP_IGLOB, OP_PMATCH, OP_REGEX,
};

/* One right-hand value, already converted to the field's kind. */
struct cvalue {
	char *s;		/* strings (owned, NUL-terminated) */
	size_t len;
	int64_t n;		/* numbers, bools */
	uint16_t family;	/* FK_NET: address or CIDR */
	uint8_t addr[16];
	uint8_t prefix_bits;	/* CIDR length; full length for an address */
};

struct cnode {
	enum cnode_kind kind;
	enum cmp_op op;
	struct cnode *left, *right;
	int slot;			/* field (CMP/EXISTS) */
	int rhs_slot;			/* val(field) on the right; -1 */
	struct cvalue *vals;
	size_t nvals;
	struct string_set *set;		/* in/intersects/pmatch over strings */
	struct evkey_set *keys;		/* evt.type =/in/!= */
	regex_t *re;
	char *unavailable;		/* CN_FALSE standing for a field vigil lacks */
	int leaf;			/* CMP/EXISTS: id shared by identical tests; -1 */
};

/* A rule specialized for one event key (specialize.c). */
enum prog_kind { PROG_AND, PROG_OR, PROG_NOT, PROG_LEAF, PROG_TRUE, PROG_FALSE };

struct prog {
	enum prog_kind kind;
	struct prog **kids;		/* AND/OR: operands; NOT: one */
	size_t nkids;
	const struct cnode *leaf;	/* PROG_LEAF: a CMP or EXISTS node */
	struct prog *next_alloc;	/* every prog of the engine, for freeing */
};

/* The same program laid out flat, in preorder, so that evaluating a rule
 * walks adjacent memory: a node's operands follow it, and size (nodes in
 * its subtree, itself included) skips over one. */
struct pnode {
	uint32_t kind;			/* enum prog_kind */
	uint32_t size;
	uint32_t leaf;			/* PROG_LEAF: index into engine->leaves */
};

struct candidate {
	uint32_t rule;
	uint32_t code;			/* offset of the program in engine->code */
	bool active;			/* enabled and at or above the minimum priority */
	int32_t gate;			/* leaf that must hold for the rule to match (the
					 * first operand of its top-level and), -1 none */
};

/* Field slots: each distinct field reference once, with a per-event cache. */
struct field_slot {
	struct field_ref ref;
	char *text;			/* "proc.aname[2]", for dedup and output */
	uint64_t gen;			/* event generation the cache is for */
	bool present;
	struct field_value value;
};

/* An output template: literal text and fields, alternating. */
struct output_part {
	char *text;			/* literal, or NULL for a field */
	int slot;			/* field slot, -1 for a field vigil lacks */
	char *field_name;		/* as written, for output_fields keys */
};

struct crule {
	struct engine_rule pub;
	struct cnode *cond;
	struct output_part *output;
	size_t noutput;
	const char *file;
	int line, col;
};

struct rule_engine {
	struct crule *rules;
	size_t nrules;
	struct field_slot *slots;
	size_t nslots, slots_cap;
	struct candidate *index[EVKEY_COUNT];	/* candidate rules per event key */
	uint32_t index_len[EVKEY_COUNT];
	char **warnings;
	size_t nwarnings;
	enum rule_matching matching;
	int min_priority;
	struct prog *progs;
	struct cnode **graveyard;	/* trees no rule uses, kept: their leaves may be
					 * the shared representatives of leaves in use */
	size_t ngraves;
	struct pnode *code;		/* every candidate's program */
	size_t ncode, code_cap;
	size_t nleaves;			/* distinct tests, each evaluated once per event */
	const struct cnode **leaves;	/* a representative node of each */
	size_t leaves_cap;
	uint64_t *leaf_memo;		/* generation << 1 | result, per leaf */
	uint64_t gen;
	struct field_scratch scratch;
	char *output_buf;
	size_t output_cap;
};

struct prog *rule_specialize(struct rule_engine *e, const struct cnode *cond, int key);
void prog_free_all(struct rule_engine *e);
/* Append p flat to e->code; its offset, or -1 on no memory. */
long prog_emit(struct rule_engine *e, const struct prog *p);
bool pnode_eval(struct rule_engine *e, const struct pnode *n, const struct rule_input *in);
bool cnode_eval(struct rule_engine *e, const struct cnode *n, const struct rule_input *in);
void cnode_free(struct cnode *n);

#endif

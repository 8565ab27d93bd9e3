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
	uint32_t *index[EVKEY_COUNT];	/* candidate rules per event key */
	uint32_t index_len[EVKEY_COUNT];
	char **warnings;
	size_t nwarnings;
	enum rule_matching matching;
	int min_priority;
	uint64_t gen;
	struct field_scratch scratch;
	char *output_buf;
	size_t output_cap;
};

bool cnode_eval(struct rule_engine *e, const struct cnode *n, const struct rule_input *in);
void cnode_free(struct cnode *n);

#endif

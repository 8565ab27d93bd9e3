/* fields.h - the event fields a rule condition can name, and how each is
 * read from an enriched event.
 *
 * Names follow Falco's (proc.name, fd.name, container.id, ...) so that
 * Falco rules keep their meaning.  A field is looked up once, when a rule
 * is compiled, into a field_ref; reading it for an event is then a switch
 * on a small integer, with no allocation: strings point into the event,
 * the process table, the workload, or a scratch arena reset per event.
 */
#ifndef VIGIL_RULES_FIELDS_H
#define VIGIL_RULES_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/proc_table.h"
#include "sensor/event.h"
#include "workload/workload.h"

struct user_names;

/* What a rule sees of one event. */
struct rule_input {
	const struct event *ev;
	const struct proc_entry *proc;	/* NULL when unknown */
	const struct workload *wl;	/* NULL: attribution off, the host */
	bool entered;			/* process entered its container from outside */
	const char *host;
	struct user_names *users;	/* NULL: no names */
	uint64_t evt_num;		/* events seen so far, this one included */
};

enum field_kind {
	FK_STRING,
	FK_NUMBER,	/* int64 */
	FK_BOOL,
	FK_NET,		/* an IP address compared with addresses or CIDR ranges */
	FK_EVTTYPE,	/* evt.type: compared as an event key, printed as a name */
};

enum field_arg_kind {
	FARG_NONE,
	FARG_INDEX,	/* [N], N >= 0; optional for fields that then mean "any" */
	FARG_KEY,	/* [name] or .name */
};

/* Event keys: one per syscall number, then one per non-syscall event
 * type.  evt.type comparisons and the rule index work on these. */
#define EVKEY_SYSCALLS	512
#define EVKEY_COUNT	(EVKEY_SYSCALLS + EVENT_TYPE_MAX)
#define EVKEY_WORDS	((EVKEY_COUNT + 63) / 64)

struct evkey_set {
	uint64_t bits[EVKEY_WORDS];
};

/* A compiled reference to one field. */
struct field_ref {
	int id;			/* private to fields.c */
	enum field_kind kind;
	int index;		/* FARG_INDEX value; -1 when absent */
	char *key;		/* FARG_KEY value (owned); NULL when absent */
	bool multi;		/* several values per event (proc.aname, fd.ip): any matches */
	const char *name;	/* canonical name, static */
};

/* A value read from an event. */
struct field_value {
	const char *s;		/* FK_STRING; not always NUL-terminated */
	size_t len;
	int64_t n;		/* FK_NUMBER, FK_BOOL (0/1), FK_EVTTYPE (key) */
	uint16_t family;	/* FK_NET: AF_INET or AF_INET6 */
	uint8_t addr[16];
	bool hashed;		/* hash holds string_set_hash(s, len) (set by the evaluator) */
	uint64_t hash;
};

/* Bump allocator for strings built per event (proc.cmdline, fd.directory);
 * field_scratch_reset() empties it. */
struct field_scratch {
	char *buf;
	size_t used, cap;
};

void field_scratch_init(struct field_scratch *s);
void field_scratch_reset(struct field_scratch *s);
void field_scratch_free(struct field_scratch *s);

enum field_lookup_result {
	FIELD_OK,
	FIELD_UNPROVIDED,	/* a Falco field vigil cannot provide (yet) */
	FIELD_UNKNOWN,		/* no such field */
	FIELD_BAD_ARGUMENT,	/* missing, unexpected or malformed [argument] */
};

/* Resolve a field name (with its bracket argument, may be NULL) into ref.
 * On anything but FIELD_OK, why says what is wrong (for the rule warning). */
enum field_lookup_result field_lookup(const char *name, const char *arg,
				      struct field_ref *ref, char *why, size_t whylen);
void field_ref_release(struct field_ref *ref);

/* Read value number `which` (0 for single-valued fields, 0.. for multi
 * ones) of ref from in.  false when the event has no such value. */
bool field_read(const struct field_ref *ref, int which, const struct rule_input *in,
		struct field_scratch *scratch, struct field_value *out);

/* The value as text for alert output ("<NA>" when absent), into scratch;
 * a multi-valued field prints its values joined by commas. */
const char *field_format(const struct field_ref *ref, const struct rule_input *in,
			 struct field_scratch *scratch);

/* Event keys */
int evkey_of_event(const struct event *ev);
/* Keys an evt.type value names: 0 and *set filled, or -1 when the name
 * is neither a syscall nor a vigil event. */
int evkey_from_name(const char *name, struct evkey_set *set);
const char *evkey_name(int key);
/* Keys vigil's sensor can produce at all. */
void evkey_traced(struct evkey_set *set);

static inline bool evkey_set_has(const struct evkey_set *s, int key)
{
	return key >= 0 && key < EVKEY_COUNT && (s->bits[key / 64] >> (key % 64)) & 1;
}

static inline void evkey_set_add(struct evkey_set *s, int key)
{
	if (key >= 0 && key < EVKEY_COUNT)
		s->bits[key / 64] |= UINT64_C(1) << (key % 64);
}


#endif

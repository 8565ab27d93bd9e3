/* string_set.c - open addressing with linear probing; the table stays at
 * most half full so probes stay short. */
#include "string_set.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
	char *s;	/* NULL: empty slot */
	size_t len;
	uint64_t hash;
};

struct string_set {
	struct entry *slots;
	size_t cap, count;	/* cap is a power of two */
	bool fold;
};

#define FNV_BASIS 1469598103934665603ULL

static uint64_t fnv_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 1099511628211ULL;
}

static uint64_t fnv_finish(uint64_t h)
{
	return h ^ (h >> 29);
}

static uint64_t hash_bytes(const char *s, size_t len, bool fold)
{
	uint64_t h = FNV_BASIS;	/* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		h = fnv_step(h, fold ? (unsigned char)tolower(c) : c);
	}
	return fnv_finish(h);
}

static bool same(const struct entry *e, const char *s, size_t len, bool fold)
{
	if (e->len != len)
		return false;
	return fold ? strncasecmp(e->s, s, len) == 0 : memcmp(e->s, s, len) == 0;
}

struct string_set *string_set_new(bool fold_case)
{
	struct string_set *set = calloc(1, sizeof(*set));

	if (!set)
		return NULL;
	set->cap = 16;
	set->fold = fold_case;
	set->slots = calloc(set->cap, sizeof(*set->slots));
	if (!set->slots) {
		free(set);
		return NULL;
	}
	return set;
}

void string_set_free(struct string_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].s);
	free(set->slots);
	free(set);
}

static struct entry *find_slot(struct entry *slots, size_t cap, const char *s, size_t len,
			       uint64_t h, bool fold)
{
	size_t i = h & (cap - 1);

	while (slots[i].s && !(slots[i].hash == h && same(&slots[i], s, len, fold)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct string_set *set)
{
	size_t cap = set->cap * 2;
	struct entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		struct entry *e = &set->slots[i];

		if (e->s)
			*find_slot(slots, cap, e->s, e->len, e->hash, set->fold) = *e;
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

int string_set_add(struct string_set *set, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len, set->fold);
	struct entry *e;

	if ((set->count + 1) * 2 > set->cap && grow(set))
		return -1;
	e = find_slot(set->slots, set->cap, s, len, h, set->fold);
	if (e->s)
		return 0;
	e->s = malloc(len + 1);
	if (!e->s)
		return -1;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	e->len = len;
	e->hash = h;
	set->count++;
	return 0;
}

bool string_set_contains(const struct string_set *set, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len, set->fold);

	return find_slot(set->slots, set->cap, s, len, h, set->fold)->s != NULL;
}

size_t string_set_count(const struct string_set *set)
{
	return set->count;
}

uint64_t string_set_hash(const char *s, size_t len)
{
	return hash_bytes(s, len, false);
}

bool string_set_contains_hashed(const struct string_set *set, const char *s, size_t len,
				uint64_t hash)
{
	if (set->fold)
		return string_set_contains(set, s, len);
	return find_slot(set->slots, set->cap, s, len, hash, false)->s != NULL;
}

bool string_set_contains_path_prefix(const struct string_set *set, const char *s, size_t len)
{
	uint64_t h = FNV_BASIS;

	if (set->fold) {	/* not a path set: the plain way */
		for (size_t i = len; i-- > 0;)
			if (s[i] == '/' && string_set_contains(set, s, i ? i : 1))
				return true;
		return string_set_contains(set, s, len);
	}
	/* the running hash of s[0..i) is the hash of each prefix in turn */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/') {
			size_t plen = i ? i : 1;
			uint64_t ph = i ? fnv_finish(h) : fnv_finish(fnv_step(h, '/'));

			if (find_slot(set->slots, set->cap, s, plen, ph, false)->s)
				return true;
		}
		h = fnv_step(h, (unsigned char)s[i]);
	}
	return find_slot(set->slots, set->cap, s, len, fnv_finish(h), false)->s != NULL;
}

/* string_set.h - a set of byte strings for constant-time membership tests
 * (rule lists: `proc.name in (shell_binaries)`).  Built once, read often;
 * lookups do not allocate. */
#ifndef VIGIL_STRING_SET_H
#define VIGIL_STRING_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct string_set;

/* fold_case: members and lookups compare ASCII case-insensitively. */
struct string_set *string_set_new(bool fold_case);
void string_set_free(struct string_set *set);

/* 0 (added or already there), -1 on no memory. */
int string_set_add(struct string_set *set, const char *s, size_t len);
bool string_set_contains(const struct string_set *set, const char *s, size_t len);
size_t string_set_count(const struct string_set *set);

/* The hash a case-sensitive set uses, so a caller testing one string
 * against many sets hashes it once. */
uint64_t string_set_hash(const char *s, size_t len);

/* Path-prefix match (rules' pmatch): is the path, or one of its parent
 * directories ("/" included), a member?  One pass over the path. */
bool string_set_contains_path_prefix(const struct string_set *set, const char *s, size_t len);
bool string_set_contains_hashed(const struct string_set *set, const char *s, size_t len,
				uint64_t hash);

#endif

/* policy_internal.h - what the policy_*.c files share and nobody else needs. */
#ifndef VIGIL_POLICY_INTERNAL_H
#define VIGIL_POLICY_INTERNAL_H

#include "enforce/policy.h"

#define POLICY_NAME_MAX 128
#define POLICY_PATH_MAX 4095

/* Parse one YAML text into policies appended to *out (n of them); 0, or
 * -1 with err set and nothing appended. */
int policy_parse_text(const char *name, const char *data, size_t len,
		      struct policy ***out, size_t *n, char *err, size_t errlen);
void policy_free(struct policy *p);

/* Is name fit to be a policy name? */
bool policy_name_valid(const char *name);

/* No "//", "/./", "/../" and no trailing '/' (but "/"): as the kernel
 * reports paths. */
bool policy_path_normalised(const char *path);

/* Does path (a real, absolute path) fall under pattern? */
bool policy_path_matches(const struct policy_path *pattern, const char *path);

/* The warnings of one parsed policy (see policy.h). */
void policy_warnings(const struct policy *p, const struct policy_checks *checks);

/* Each file under root (a directory, "/" for the host) matching pattern
 * (a policy glob), as an absolute path inside root; fn may be NULL.
 * Returns the count, -1 when root is not a directory. */
long policy_glob(const char *root, const char *pattern,
		 void (*fn)(void *ctx, const char *path), void *ctx);

/* "where: what" made printable: control bytes and non-ASCII as '?', long
 * values cut with "...". */
const char *policy_shown(const char *s, char *buf, size_t len);

#endif

/* user_names.h - uid → user name, from a passwd file, without NSS.
 *
 * getpwuid() may call into NSS modules (LDAP, sssd) that block or are
 * not safe to call from our threads, so vigil parses the file itself.
 * The cache reloads when the file changes (checked at most once a
 * second).  Users known only to NSS get no name.  Not thread-safe.
 */
#ifndef VIGIL_USER_NAMES_H
#define VIGIL_USER_NAMES_H

#include <stdint.h>

struct user_names;

/* NULL only when out of memory; a missing or unreadable file gives an
 * empty cache that fills in once the file appears. */
struct user_names *user_names_new(const char *passwd_path);
void user_names_free(struct user_names *names);

/* The name of uid, or NULL when unknown.  The string stays valid until
 * the next user_name_lookup() or user_names_free() on names. */
const char *user_name_lookup(struct user_names *names, uint32_t uid);

#endif

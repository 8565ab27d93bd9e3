/* glob.h - shell-style patterns for exceptions: * ? [abc] [!a-z] and \x.
 * '*' also crosses '/', as Falco's glob does for fd.name. */
#ifndef VIGIL_ALERT_GLOB_H
#define VIGIL_ALERT_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* NULL when the pattern is well formed, else what is wrong with it. */
const char *glob_problem(const char *pattern);
bool glob_match(const char *pattern, const char *s, size_t len);

#endif

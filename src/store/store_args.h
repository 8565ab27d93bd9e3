/* store_args.h - the arguments of the store's commands and options:
 * durations ("10m", "2h30m", "7d"), times (RFC 3339 or a duration ago),
 * sizes ("1GiB", "500MB") and counts.  Every refusal says what was wrong
 * with which text; nothing here reads beyond the NUL. */
#ifndef VIGIL_STORE_ARGS_H
#define VIGIL_STORE_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* "1500ms", "30s", "10m", "2h", "7d", "1w", or several ("1h30m").
 * A bare number is refused (the unit is never guessed). */
int store_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen);

/* "2026-11-28T08:37:21Z", "...21.5+02:00", "2026-11-28" (midnight UTC),
 * "now", or a duration meaning that long before now_ns ("10m"). */
int store_parse_time(const char *s, uint64_t now_ns, uint64_t *ns, char *err, size_t errlen);

/* "1073741824", "512KiB", "1GiB", "500MB", "2G" (K/M/G/T alone are
 * binary, as in most tools' size options). */
int store_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen);

/* A decimal count in [0, max]. */
int store_parse_count(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen);

#endif

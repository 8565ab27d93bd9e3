/* time_format.h - RFC 3339 timestamps, as every JSON output writes them. */
#ifndef VIGIL_TIME_FORMAT_H
#define VIGIL_TIME_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-28T02:30:01.123456789Z" from ns since the epoch (buf ≥ 36). */
void format_rfc3339_ns(char *buf, size_t len, uint64_t unix_ns);

#endif

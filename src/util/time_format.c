/* time_format.c - RFC 3339 timestamps in UTC with nanoseconds. */
#include "util/time_format.h"

#include <stdio.h>
#include <time.h>

void format_rfc3339_ns(char *buf, size_t len, uint64_t unix_ns)
{
	time_t secs = unix_ns / 1000000000ULL;
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned long long)(unix_ns % 1000000000ULL));
}

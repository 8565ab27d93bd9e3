/* exception_time.h - the dynamic conditions of an exception (`when:`):
 * the workload's model mode, a time-of-day/week window (or its
 * negation), and "deployed less than D ago"; plus the date and clock
 * parsers the exception files need. */
#ifndef VIGIL_ALERT_EXCEPTION_TIME_H
#define VIGIL_ALERT_EXCEPTION_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/alert_facts.h"

struct when_cond {
	unsigned modes;			/* bit per enum alert_mode; 0 any */
	bool has_hours, outside;	/* outside: the window must NOT hold */
	int from_min, to_min;		/* minutes of the day, [from, to), may wrap */
	unsigned days;			/* bit per tm_wday (0 = sunday); 0 any */
	int tz_offset_min;		/* east of UTC */
	bool tz_local;			/* the agent's local time instead */
	uint64_t deployed_within_ns;	/* 0 no condition */
};

bool when_holds(const struct when_cond *w, const struct alert_facts *f);

int when_day_from_name(const char *s);		/* "mon" -> 1, -1 unknown */
/* "09:00-17:00" (24:00 allowed as an end); 0 or -1. */
int when_parse_hours(const char *s, int *from_min, int *to_min);
/* "UTC", "Z", "local", "+02:00", "-0530"; 0 or -1. */
int when_parse_tz(const char *s, int *offset_min, bool *local);
/* "2026-12-31", "2026-12-31T00:00:00Z", "...T00:00:00+02:00"; 0 or -1. */
int when_parse_date(const char *s, uint64_t *unix_ns);

#endif

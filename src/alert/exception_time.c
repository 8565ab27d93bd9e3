/* exception_time.c - mode, clock and deployment-age conditions. */
#include "exception_time.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#define NS_PER_SEC 1000000000ULL

/* Exactly n digits at s, as a number; -1 otherwise. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int when_day_from_name(const char *s)
{
	static const char *const days[] = { "sunday", "monday", "tuesday", "wednesday",
					     "thursday", "friday", "saturday" };

	for (int i = 0; i < 7; i++)
		if (strcasecmp(s, days[i]) == 0 || (strlen(s) == 3 && strncasecmp(s, days[i], 3) == 0))
			return i;
	return -1;
}

/* "HH:MM" at s as minutes; max_hour 24 allows the end "24:00". */
static int clock_minutes(const char *s, int max_hour)
{
	int h = digits(s, 2), m = digits(s + 3, 2);

	if (h < 0 || m < 0 || s[2] != ':' || m > 59 || h > max_hour || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

int when_parse_hours(const char *s, int *from_min, int *to_min)
{
	if (strlen(s) != 11 || s[5] != '-')
		return -1;
	*from_min = clock_minutes(s, 23);
	*to_min = clock_minutes(s + 6, 24);
	return *from_min < 0 || *to_min < 0 || *from_min == *to_min ? -1 : 0;
}

/* "+HH:MM" or "+HHMM" at s (s[0] is the sign); -1 unknown. */
static int parse_offset(const char *s, int *offset_min)
{
	int sign = s[0] == '-' ? -1 : 1, h, m;

	if (strlen(s) < 5 || (s[0] != '+' && s[0] != '-'))
		return -1;
	h = digits(s + 1, 2);
	if (h < 0 || h > 14)
		return -1;
	if (s[3] == ':' && strlen(s) == 6)
		m = digits(s + 4, 2);
	else if (strlen(s) == 5)
		m = digits(s + 3, 2);
	else
		return -1;
	if (m < 0 || m > 59)
		return -1;
	*offset_min = sign * (h * 60 + m);
	return 0;
}

int when_parse_tz(const char *s, int *offset_min, bool *local)
{
	*offset_min = 0;
	*local = false;
	if (strcasecmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcasecmp(s, "GMT") == 0)
		return 0;
	if (strcasecmp(s, "local") == 0) {
		*local = true;
		return 0;
	}
	return parse_offset(s, offset_min);
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int when_parse_date(const char *s, uint64_t *unix_ns)
{
	static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	size_t len = strlen(s);
	int y, mo, d, hh = 0, mm = 0, ss = 0, off = 0;
	time_t t;

	if (len != 10 && len < 20)
		return -1;	/* a date, or a date and a time with its zone */
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	if (y < 1970 || s[4] != '-' || mo < 1 || mo > 12 || s[7] != '-')
		return -1;
	d = digits(s + 8, 2);
	if (d < 1 || d > month_days[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	if (s[10]) {
		if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
		    s[16] != ':')
			return -1;
		hh = digits(s + 11, 2);
		mm = digits(s + 14, 2);
		ss = digits(s + 17, 2);
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
			return -1;
		if (strcmp(s + 19, "Z") && strcmp(s + 19, "z") && parse_offset(s + 19, &off))
			return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm) - (time_t)off * 60;
	if (t < 0)
		return -1;
	*unix_ns = (uint64_t)t * NS_PER_SEC;
	return 0;
}

static bool in_window(const struct when_cond *w, uint64_t now_ns)
{
	time_t secs = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;
	int minute;

	if (w->tz_local) {
		localtime_r(&secs, &tm);
	} else {
		secs += (time_t)w->tz_offset_min * 60;
		gmtime_r(&secs, &tm);
	}
	if (w->days && !(w->days & (1u << tm.tm_wday)))
		return false;
	if (!w->has_hours)
		return true;
	minute = tm.tm_hour * 60 + tm.tm_min;
	if (w->from_min < w->to_min)
		return minute >= w->from_min && minute < w->to_min;
	return minute >= w->from_min || minute < w->to_min;	/* over midnight */
}

bool when_holds(const struct when_cond *w, const struct alert_facts *f)
{
	if (w->modes && !(w->modes & (1u << f->mode)))
		return false;
	if ((w->has_hours || w->days) && in_window(w, f->now_ns) == w->outside)
		return false;
	if (w->deployed_within_ns) {
		/* unknown start: not a recent deployment, keep the alert */
		if (!f->workload_start_ns || f->now_ns < f->workload_start_ns ||
		    f->now_ns - f->workload_start_ns >= w->deployed_within_ns)
			return false;
	}
	return true;
}

enum alert_mode alert_mode_from_name(const char *s)
{
	if (!s)
		return ALERT_MODE_NONE;
	if (strcmp(s, "learning") == 0)
		return ALERT_MODE_LEARNING;
	if (strcmp(s, "monitoring") == 0)
		return ALERT_MODE_MONITORING;
	if (strcmp(s, "protecting") == 0)
		return ALERT_MODE_PROTECTING;
	return ALERT_MODE_NONE;
}

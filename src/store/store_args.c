/* store_args.c - durations, times, sizes and counts for the store. */
#include "store/store_args.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000ULL

static void fail(char *err, size_t errlen, const char *what, const char *s)
{
	if (err && errlen)
		snprintf(err, errlen, "'%.64s'%s: %s", s, strlen(s) > 64 ? "..." : "", what);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at *p into *v; false on none or overflow. */
static bool read_number(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = n;
	return true;
}

/* The unit at *p (longest name first, so "ms" is not "m" then "s"). */
static uint64_t read_unit(const char **p)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{"ms", 1000000ULL}, {"us", 1000ULL}, {"ns", 1ULL},
		{"s", NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC},
		{"d", 86400 * NS_PER_SEC}, {"w", 7 * 86400 * NS_PER_SEC},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (strncmp(*p, units[i].name, n) == 0) {
			*p += n;
			return units[i].ns;
		}
	}
	return 0;
}

int store_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	const char *p = s;
	uint64_t total = 0;

	if (!*p) {
		fail(err, errlen, "empty duration (use e.g. 10m, 2h, 7d)", s);
		return -1;
	}
	while (*p) {
		uint64_t n, unit;

		if (!read_number(&p, &n)) {
			fail(err, errlen, "not a duration (use e.g. 10m, 2h, 7d)", s);
			return -1;
		}
		unit = read_unit(&p);
		if (!unit) {
			fail(err, errlen, "a duration needs a unit: ms, s, m, h, d or w", s);
			return -1;
		}
		if (n > (UINT64_MAX - total) / unit) {
			fail(err, errlen, "duration too long", s);
			return -1;
		}
		total += n * unit;
	}
	*ns = total;
	return 0;
}

/* Exactly n digits at *p. */
static bool read_fixed(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Fraction digits after '.', as ns (extra digits beyond 9 ignored). */
static bool read_fraction(const char **p, uint64_t *ns)
{
	uint64_t scale = 100000000ULL, v = 0;

	if (!is_digit(**p))
		return false;
	for (; is_digit(**p); (*p)++) {
		v += (uint64_t)(**p - '0') * scale;
		scale /= 10;
	}
	*ns = v;
	return true;
}

/* "Z", "+HH:MM" or "-HH:MM" as seconds east of UTC. */
static bool read_offset(const char **p, int64_t *secs)
{
	int sign, hh, mm;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*secs = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!read_fixed(p, 2, &hh) || !expect(p, ':') || !read_fixed(p, 2, &mm) ||
	    hh > 23 || mm > 59)
		return false;
	*secs = sign * (hh * 3600 + mm * 60);
	return true;
}

/* "HH:MM[:SS][.frac](Z|+HH:MM)" after the date's 'T'. */
static bool read_clock(const char **p, int *h, int *mi, int *sec, uint64_t *frac,
		       int64_t *offset)
{
	if (!read_fixed(p, 2, h) || !expect(p, ':') || !read_fixed(p, 2, mi))
		return false;
	if (expect(p, ':') && !read_fixed(p, 2, sec))
		return false;
	if (expect(p, '.') && !read_fraction(p, frac))
		return false;
	return read_offset(p, offset) && **p == '\0';
}

static int parse_rfc3339(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	uint64_t frac = 0;
	int64_t offset = 0, t;

	if (!read_fixed(&p, 4, &y) || !expect(&p, '-') || !read_fixed(&p, 2, &mo) ||
	    !expect(&p, '-') || !read_fixed(&p, 2, &d)) {
		fail(err, errlen, "not a time (use RFC 3339 like 2026-11-28T08:00:00Z, "
		     "or a duration ago like 10m, 2h, 7d)", s);
		return -1;
	}
	if (*p) {
		bool sep = *p == 'T' || *p == 't' || *p == ' ';

		p++;
		if (!sep || !read_clock(&p, &h, &mi, &sec, &frac, &offset)) {
			fail(err, errlen, "not an RFC 3339 time (want YYYY-MM-DDTHH:MM:SS[.frac]"
			     "(Z|+HH:MM))", s);
			return -1;
		}
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60) {
		fail(err, errlen, "date or time out of range", s);
		return -1;
	}
	if (sec == 60)
		sec = 59;	/* a leap second: the last ordinary one will do */
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	if (t < 0 || (uint64_t)t > UINT64_MAX / NS_PER_SEC - 1) {
		fail(err, errlen, "time out of range", s);
		return -1;
	}
	*ns = (uint64_t)t * NS_PER_SEC + frac;
	return 0;
}

int store_parse_time(const char *s, uint64_t now_ns, uint64_t *ns, char *err, size_t errlen)
{
	uint64_t ago;

	if (strcmp(s, "now") == 0) {
		*ns = now_ns;
		return 0;
	}
	/* "2026-..." has a '-' in place 5; a duration never does */
	if (strlen(s) >= 5 && s[4] == '-')
		return parse_rfc3339(s, ns, err, errlen);
	if (store_parse_duration(s, &ago, NULL, 0) == 0) {
		*ns = ago > now_ns ? 0 : now_ns - ago;
		return 0;
	}
	fail(err, errlen, "not a time (use RFC 3339 like 2026-11-28T08:00:00Z, or a duration "
	     "ago like 10m, 2h, 7d)", s);
	return -1;
}

int store_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
	static const struct { const char *name; uint64_t mul; } units[] = {
		{"", 1}, {"B", 1},
		{"K", 1ULL << 10}, {"KiB", 1ULL << 10}, {"KB", 1000ULL},
		{"M", 1ULL << 20}, {"MiB", 1ULL << 20}, {"MB", 1000000ULL},
		{"G", 1ULL << 30}, {"GiB", 1ULL << 30}, {"GB", 1000000000ULL},
		{"T", 1ULL << 40}, {"TiB", 1ULL << 40}, {"TB", 1000000000000ULL},
	};
	const char *p = s;
	uint64_t n;

	if (!read_number(&p, &n)) {
		fail(err, errlen, "not a size (use e.g. 1GiB, 500MB, 65536)", s);
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) != 0)
			continue;
		if (n > UINT64_MAX / units[i].mul) {
			fail(err, errlen, "size too large", s);
			return -1;
		}
		*bytes = n * units[i].mul;
		return 0;
	}
	fail(err, errlen, "unknown size unit (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", s);
	return -1;
}

int store_parse_count(const char *s, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const char *p = s;
	uint64_t n;

	if (!read_number(&p, &n) || *p) {
		fail(err, errlen, "not a whole number", s);
		return -1;
	}
	if (n > max) {
		char what[64];
		snprintf(what, sizeof(what), "more than %llu", (unsigned long long)max);
		fail(err, errlen, what, s);
		return -1;
	}
	*out = n;
	return 0;
}

/* glob.c - matching with one backtrack point per '*', linear in practice. */
#include "glob.h"

#include <string.h>

/* Length of the bracket expression at p ('[' included), 0 if unclosed. */
static size_t class_len(const char *p)
{
	size_t i = 1;

	if (p[i] == '!' || p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;	/* a leading ']' is a member */
	for (; p[i]; i++) {
		if (p[i] == '\\' && p[i + 1])
			i++;
		else if (p[i] == ']')
			return i + 1;
	}
	return 0;
}

const char *glob_problem(const char *pattern)
{
	for (const char *p = pattern; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return "pattern ends with a lone backslash";
			p++;
		} else if (*p == '[') {
			size_t n = class_len(p);

			if (!n)
				return "unclosed '[' in pattern";
			p += n - 1;
		}
	}
	return NULL;
}

static bool class_has(const char *p, size_t n, unsigned char c)
{
	bool negate = p[1] == '!' || p[1] == '^', found = false;
	size_t i = negate ? 2 : 1;

	for (bool first = true; i < n - 1; i++, first = false) {
		unsigned char lo = (unsigned char)p[i], hi;

		if (lo == ']' && !first)
			break;
		if (lo == '\\' && i + 1 < n - 1)
			lo = (unsigned char)p[++i];
		hi = lo;
		if (p[i + 1] == '-' && i + 2 < n - 1 && p[i + 2] != ']') {
			hi = (unsigned char)p[i + 2];
			i += 2;
		}
		if (c >= lo && c <= hi)
			found = true;
	}
	return found != negate;
}

bool glob_match(const char *pat, const char *s, size_t len)
{
	const char *star = NULL;
	size_t i = 0, star_i = 0;

	for (;;) {
		if (*pat == '*') {
			while (*pat == '*')
				pat++;
			star = pat;
			star_i = i;
			continue;
		}
		if (i == len && !*pat)
			return true;
		if (i < len && *pat) {
			unsigned char c = (unsigned char)s[i];
			size_t adv = 1;
			bool ok;

			if (*pat == '?') {
				ok = true;
			} else if (*pat == '[' && (adv = class_len(pat))) {
				ok = class_has(pat, adv, c);
			} else if (*pat == '\\' && pat[1]) {
				ok = (unsigned char)pat[1] == c;
				adv = 2;
			} else {
				adv = 1;
				ok = (unsigned char)*pat == c;
			}
			if (ok) {
				pat += adv;
				i++;
				continue;
			}
		}
		if (!star || star_i >= len)
			return false;
		pat = star;	/* let the last '*' swallow one more byte */
		i = ++star_i;
	}
}

/* json_view.c - in-place lookups over JSON text (no tree, no allocation). */
#include "json_view.h"

#include "util/hex.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the closing quote of the string starting at p, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	const char *q = p + 1;

	/* memchr to the next quote; it closes the string unless an odd run
	 * of backslashes escapes it */
	while (q < end && (q = memchr(q, '"', (size_t)(end - q)))) {
		size_t slashes = 0;

		while (q - slashes > p + 1 && q[-1 - (ptrdiff_t)slashes] == '\\')
			slashes++;
		if (slashes % 2 == 0)
			return q + 1;
		q++;
	}
	return NULL;
}

/* Past the value starting at p, or NULL when malformed.  Nesting is only
 * counted, not checked pair by pair: a lookup needs the extent, and the
 * JSON comes from our own writer or from a file the user recorded. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	if (p >= end)
		return NULL;
	do {
		if (p >= end)
			return NULL;
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			break;
		case '{': case '[':
			depth++;
			p++;
			break;
		case '}': case ']':
			if (depth == 0)
				return NULL;
			depth--;
			p++;
			break;
		default:
			if (depth == 0) {
				const char *start = p;

				while (p < end && !strchr(",}] \t\r\n", *p))
					p++;
				return p > start ? p : NULL;
			}
			p++;
		}
	} while (depth > 0);
	return p;
}

struct jspan jspan_of(const char *text, size_t len)
{
	const char *end = text + len, *p = skip_space(text, end);

	while (end > p && strchr(" \t\r\n", end[-1]))
		end--;
	return (struct jspan){ p < end ? p : NULL, (size_t)(end - p) };
}

bool jiter_begin(struct jiter *it, struct jspan c)
{
	it->done = true;
	if (!c.p || c.n < 2 || (c.p[0] != '{' && c.p[0] != '['))
		return false;
	it->object = c.p[0] == '{';
	it->p = c.p + 1;
	it->end = c.p + c.n;
	it->done = false;
	return true;
}

static bool jiter_fail(struct jiter *it)
{
	it->done = true;
	return false;
}

bool jiter_next(struct jiter *it, struct jspan *key, struct jspan *value)
{
	const char *p, *q;

	if (it->done)
		return false;
	p = skip_space(it->p, it->end);
	if (p < it->end && *p == ',')
		p = skip_space(p + 1, it->end);
	if (p >= it->end || *p == '}' || *p == ']')
		return jiter_fail(it);
	*key = (struct jspan){ NULL, 0 };
	if (it->object) {
		if (*p != '"' || !(q = skip_string(p, it->end)))
			return jiter_fail(it);
		*key = (struct jspan){ p, (size_t)(q - p) };
		p = skip_space(q, it->end);
		if (p >= it->end || *p != ':')
			return jiter_fail(it);
		p = skip_space(p + 1, it->end);
	}
	q = skip_value(p, it->end);
	if (!q)
		return jiter_fail(it);
	*value = (struct jspan){ p, (size_t)(q - p) };
	it->p = q;
	return true;
}

struct jspan jspan_get(struct jspan object, const char *key)
{
	size_t klen = strlen(key);
	struct jiter it;
	struct jspan k, v;

	if (!object.p || object.p[0] != '{')
		return (struct jspan){ NULL, 0 };
	jiter_begin(&it, object);
	while (jiter_next(&it, &k, &v))
		if (k.n == klen + 2 && memcmp(k.p + 1, key, klen) == 0)
			return v;
	return (struct jspan){ NULL, 0 };
}

struct jspan jspan_path(struct jspan object, const char *path)
{
	char part[64];

	while (object.p && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return (struct jspan){ NULL, 0 };
		memcpy(part, path, n);
		part[n] = '\0';
		object = jspan_get(object, part);
		path += n + (path[n] == '.');
	}
	return object;
}

bool jspan_is_string(struct jspan s)
{
	return s.p && s.n >= 2 && s.p[0] == '"';
}

/* One \uXXXX as UTF-8 (surrogates become U+FFFD: the writer never emits
 * them, and a matcher needs no more).  Returns bytes written. */
static size_t put_code_point(const char *p, const char *end, char out[4])
{
	unsigned cp = 0;

	for (int i = 0; i < 4; i++) {
		int d = p + i < end ? hex_digit_value(p[i]) : -1;

		if (d < 0)
			return 0;
		cp = cp << 4 | (unsigned)d;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static char simple_escape(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'b': return '\b';
	case 'f': return '\f';
	default: return c;	/* \" \\ \/ */
	}
}

size_t jspan_text(struct jspan s, char *buf, size_t cap)
{
	size_t len = 0;

	if (!cap)
		return 0;
	buf[0] = '\0';
	if (!s.p || !s.n || s.p[0] == '{' || s.p[0] == '[')
		return 0;
	if (s.p[0] != '"') {
		len = s.n < cap - 1 ? s.n : cap - 1;
		memcpy(buf, s.p, len);
		buf[len] = '\0';
		return len;
	}
	for (const char *p = s.p + 1, *end = s.p + s.n - 1; p < end && len < cap - 1; p++) {
		char enc[4];
		size_t n = 1;

		enc[0] = *p;
		if (*p == '\\' && p + 1 < end) {
			p++;
			if (*p == 'u') {
				n = put_code_point(p + 1, end, enc);
				if (!n)
					break;	/* cut escape at the end */
				p += 4;
			} else {
				enc[0] = simple_escape(*p);
			}
		}
		if (len + n > cap - 1)
			break;
		memcpy(buf + len, enc, n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}

bool jspan_equals(struct jspan s, const char *lit)
{
	size_t n = strlen(lit);

	return jspan_is_string(s) && s.n == n + 2 && memcmp(s.p + 1, lit, n) == 0;
}

int64_t jspan_int(struct jspan s)
{
	char buf[32];

	if (!s.p || s.p[0] == '"' || s.n >= sizeof(buf))
		return 0;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return strtoll(buf, NULL, 10);
}

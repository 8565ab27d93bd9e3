/* json.c - streaming JSON writer; see json.h.
 *
 * The buffer is kept NUL-terminated after every call so the document can
 * be used as a C string once complete (JSON text never contains a raw NUL:
 * embedded NULs are written as \u0000).
 */
#include "util/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MIN_CAP 256

void json_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void json_reset(struct json_writer *w)
{
	char *buf = w->buf;
	size_t cap = w->cap;

	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (buf)
		buf[0] = '\0';
}

void json_free(struct json_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static bool reserve_slow(struct json_writer *w, size_t extra);

/* Make room for `extra` more bytes plus the terminating NUL.  The common
 * case (room already there) stays inline: this runs for every token. */
static inline bool reserve(struct json_writer *w, size_t extra)
{
	if (!w->failed && extra < w->cap - w->len)
		return true;
	return reserve_slow(w, extra);
}

static bool reserve_slow(struct json_writer *w, size_t extra)
{
	if (w->failed)
		return false;
	if (extra > SIZE_MAX - w->len - 1) {
		w->failed = true;
		return false;
	}
	size_t need = w->len + extra + 1;
	if (need <= w->cap)
		return true;

	size_t cap = w->cap ? w->cap : JSON_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *buf = realloc(w->buf, cap);
	if (!buf) {
		w->failed = true;
		return false;
	}
	w->buf = buf;
	w->cap = cap;
	return true;
}

static inline void append(struct json_writer *w, const char *p, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void append_char(struct json_writer *w, char c)
{
	append(w, &c, 1);
}

/* Write the separator a new value (or key) needs: nothing right after a
 * key, a comma when the enclosing container already holds something. */
static bool begin_value(struct json_writer *w)
{
	if (w->failed)
		return false;
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth > 0) {
		if (w->need_comma[w->depth - 1])
			append_char(w, ',');
		w->need_comma[w->depth - 1] = true;
	}
	return !w->failed;
}

static void open_container(struct json_writer *w, char bracket)
{
	if (!begin_value(w))
		return;
	/* Nesting deeper than the writer tracks is a caller bug; refuse
	 * rather than emit commas in the wrong places. */
	if (w->depth >= JSON_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	append_char(w, bracket);
	w->need_comma[w->depth++] = false;
}

static void close_container(struct json_writer *w, char bracket)
{
	if (w->failed)
		return;
	if (w->depth <= 0) {
		w->failed = true;
		return;
	}
	w->depth--;
	w->after_key = false;
	append_char(w, bracket);
}

void json_object_begin(struct json_writer *w) { open_container(w, '{'); }
void json_object_end(struct json_writer *w) { close_container(w, '}'); }
void json_array_begin(struct json_writer *w) { open_container(w, '['); }
void json_array_end(struct json_writer *w) { close_container(w, ']'); }

/* Length of the well-formed UTF-8 sequence starting at s (2..4), or 0
 * when it is not one.  Follows Unicode table 3-7, which rules out
 * overlong forms, surrogates and code points above U+10FFFF by
 * narrowing the allowed range of the second byte. */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;		/* 0x80..0xc1, 0xf5..0xff */
	}
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Bytes that can be copied into a JSON string unchanged. */
static bool is_plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void append_escaped_ascii(struct json_writer *w, unsigned char c)
{
	char esc[8];

	switch (c) {
	case '"': append(w, "\\\"", 2); return;
	case '\\': append(w, "\\\\", 2); return;
	case '\n': append(w, "\\n", 2); return;
	case '\t': append(w, "\\t", 2); return;
	case '\r': append(w, "\\r", 2); return;
	case '\b': append(w, "\\b", 2); return;
	case '\f': append(w, "\\f", 2); return;
	}
	snprintf(esc, sizeof(esc), "\\u%04x", c);
	append(w, esc, 6);
}

static void append_string_body(struct json_writer *w, const char *s, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len && !w->failed) {
		size_t run = 0;
		while (i + run < len && is_plain_ascii(p[i + run]))
			run++;
		if (run) {
			append(w, s + i, run);
			i += run;
			continue;
		}
		if (p[i] < 0x80) {
			append_escaped_ascii(w, p[i]);
			i++;
			continue;
		}
		size_t n = utf8_sequence_length(p + i, len - i);
		if (n) {
			append(w, s + i, n);
			i += n;
		} else {
			append(w, replacement, 3);
			i++;
		}
	}
}

static void append_quoted(struct json_writer *w, const char *s, size_t len)
{
	append_char(w, '"');
	append_string_body(w, s, len);
	append_char(w, '"');
}

void json_key(struct json_writer *w, const char *key)
{
	if (!begin_value(w))
		return;
	/* Keys are ours (string literals); escape only if one ever is not
	 * plain, which the scan below makes cheap to check. */
	size_t len = strlen(key), i = 0;

	while (i < len && is_plain_ascii((unsigned char)key[i]))
		i++;
	if (i < len) {
		append_quoted(w, key, len);
		append_char(w, ':');
	} else if (reserve(w, len + 3)) {
		char *at = w->buf + w->len;

		at[0] = '"';
		memcpy(at + 1, key, len);
		at[len + 1] = '"';
		at[len + 2] = ':';
		at[len + 3] = '\0';
		w->len += len + 3;
	}
	w->after_key = true;
}

/* An absent string (NULL, as decoded events have for missing fields)
 * is written as null rather than crashing the writer. */
void json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!s) {
		json_null(w);
		return;
	}
	if (begin_value(w))
		append_quoted(w, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_len(w, s, s ? strlen(s) : 0);
}

static void append_number_text(struct json_writer *w, const char *text)
{
	if (begin_value(w))
		append(w, text, strlen(text));
}

/* Decimal digits of v, right-aligned in buf[24]; returns the first. */
static char *format_u64(char buf[24], uint64_t v)
{
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void json_int(struct json_writer *w, int64_t v)
{
	char num[24];
	char *p = format_u64(num, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	append_number_text(w, p);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	char num[24];

	append_number_text(w, format_u64(num, v));
}

/* Shortest of %.15g..%.17g that reads back as the same double, so 0.1
 * is written as 0.1 and not 0.10000000000000001. */
void json_double(struct json_writer *w, double v)
{
	char num[32];

	if (!isfinite(v)) {
		json_null(w);	/* JSON has no NaN or infinity */
		return;
	}
	for (int precision = 15; precision <= 17; precision++) {
		snprintf(num, sizeof(num), "%.*g", precision, v);
		if (strtod(num, NULL) == v)
			break;
	}
	append_number_text(w, num);
}

void json_bool(struct json_writer *w, bool v)
{
	append_number_text(w, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
	append_number_text(w, "null");
}

void json_raw(struct json_writer *w, const char *text, size_t len)
{
	if (begin_value(w))
		append(w, text, len);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_string_len(struct json_writer *w, const char *key, const char *s, size_t len)
{
	json_key(w, key);
	json_string_len(w, s, len);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_reset_nesting(struct json_writer *w)
{
	w->depth = 0;
	w->after_key = false;
}

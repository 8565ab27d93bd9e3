/* fuzz_json.c - any bytes written as a JSON string must give valid JSON.
 *
 * Builds a small document around the input, checks it with a strict
 * validator written here (RFC 8259 syntax, strict UTF-8, no raw control
 * characters or DEL), and checks that input which was valid UTF-8 reads
 * back unchanged.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *         tests/fuzz/fuzz_json.c src/util/json.c -o fuzz_json
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

/* Length of the strict UTF-8 sequence at s, 0 if invalid. Written
 * independently of json.c, from code point arithmetic. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_for_len[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool all_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

struct cursor {
	const unsigned char *p, *end;
	unsigned char *decoded;		/* when not NULL, string bytes go here */
	size_t decoded_len;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool accept(struct cursor *c, char ch)
{
	if (c->p < c->end && *c->p == (unsigned char)ch) {
		c->p++;
		return true;
	}
	return false;
}

static int hexval(unsigned char h)
{
	if (h >= '0' && h <= '9') return h - '0';
	if (h >= 'a' && h <= 'f') return h - 'a' + 10;
	if (h >= 'A' && h <= 'F') return h - 'A' + 10;
	return -1;
}

static void emit(struct cursor *c, const unsigned char *b, size_t n)
{
	if (c->decoded) {
		memcpy(c->decoded + c->decoded_len, b, n);
		c->decoded_len += n;
	}
}

static bool parse_string(struct cursor *c)
{
	if (!accept(c, '"'))
		return false;
	while (c->p < c->end) {
		unsigned char ch = *c->p;
		if (ch == '"') {
			c->p++;
			return true;
		}
		if (ch < 0x20 || ch == 0x7f)
			return false;	/* raw control character (DEL: our own rule) */
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return false;
			unsigned char e = c->p[1], out;
			c->p += 2;
			switch (e) {
			case '"': out = '"'; break;
			case '\\': out = '\\'; break;
			case '/': out = '/'; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'u': {
				if (c->end - c->p < 4)
					return false;
				int v = 0;
				for (int i = 0; i < 4; i++) {
					int h = hexval(c->p[i]);
					if (h < 0)
						return false;
					v = v << 4 | h;
				}
				c->p += 4;
				if (v >= 0x80)
					return false;	/* the writer only escapes ASCII */
				out = (unsigned char)v;
				break;
			}
			default:
				return false;
			}
			emit(c, &out, 1);
			continue;
		}
		size_t n = utf8_len(c->p, (size_t)(c->end - c->p));
		if (!n)
			return false;
		emit(c, c->p, n);
		c->p += n;
	}
	return false;
}

static bool parse_digits(struct cursor *c)
{
	const unsigned char *start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static bool parse_number(struct cursor *c)
{
	accept(c, '-');
	if (accept(c, '0')) {
		/* no leading zeros */
	} else if (!parse_digits(c)) {
		return false;
	}
	if (accept(c, '.') && !parse_digits(c))
		return false;
	if (accept(c, 'e') || accept(c, 'E')) {
		if (!accept(c, '+'))
			accept(c, '-');
		if (!parse_digits(c))
			return false;
	}
	return true;
}

static bool parse_literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool parse_value(struct cursor *c, int depth);

static bool parse_members(struct cursor *c, int depth, char close, bool keyed)
{
	skip_ws(c);
	if (accept(c, close))
		return true;
	do {
		skip_ws(c);
		if (keyed) {
			unsigned char *saved = c->decoded;
			c->decoded = NULL;	/* only the fuzzed string is decoded */
			bool ok = parse_string(c);
			c->decoded = saved;
			if (!ok)
				return false;
			skip_ws(c);
			if (!accept(c, ':'))
				return false;
		}
		if (!parse_value(c, depth + 1))
			return false;
		skip_ws(c);
	} while (accept(c, ','));
	return accept(c, close);
}

static bool parse_value(struct cursor *c, int depth)
{
	if (depth > 64)
		return false;
	skip_ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{': c->p++; return parse_members(c, depth, '}', true);
	case '[': c->p++; return parse_members(c, depth, ']', false);
	case '"': return parse_string(c);
	case 't': return parse_literal(c, "true");
	case 'f': return parse_literal(c, "false");
	case 'n': return parse_literal(c, "null");
	default: return parse_number(c);
	}
}

static bool valid_document(const char *text, size_t len)
{
	struct cursor c = { (const unsigned char *)text, (const unsigned char *)text + len, NULL, 0 };
	if (!parse_value(&c, 0))
		return false;
	skip_ws(&c);
	return c.p == c.end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_writer w;
	const char *s = (const char *)data;

	/* The bare string. */
	json_init(&w);
	json_string_len(&w, s, size);
	if (w.failed)
		abort();
	if (!valid_document(w.buf, w.len) || strlen(w.buf) != w.len)
		abort();

	/* Decoded, valid UTF-8 input comes back byte for byte. */
	unsigned char *decoded = malloc(w.len + 1);
	if (!decoded)
		abort();
	struct cursor c = { (const unsigned char *)w.buf,
			    (const unsigned char *)w.buf + w.len, decoded, 0 };
	if (!parse_string(&c))
		abort();
	if (all_utf8(data, size) && (c.decoded_len != size || memcmp(decoded, data, size) != 0))
		abort();
	if (!all_utf8(decoded, c.decoded_len))
		abort();
	free(decoded);

	/* Inside a document, with commas, nesting and a double. */
	json_reset(&w);
	json_object_begin(&w);
	json_kv_string_len(&w, "s", s, size);
	json_key(&w, "a");
	json_array_begin(&w);
	json_string_len(&w, s, size / 2);
	if (size >= sizeof(double)) {
		double d;
		memcpy(&d, data, sizeof(d));
		json_double(&w, d);
	}
	json_int(&w, (int64_t)size - 1000);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	if (w.failed || w.depth != 0 || !valid_document(w.buf, w.len))
		abort();
	json_free(&w);
	return 0;
}

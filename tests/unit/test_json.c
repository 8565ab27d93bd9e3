/* test_json.c - the JSON writer: escaping, UTF-8 repair, structure. */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "util/json.h"

#define FFFD "\xef\xbf\xbd"

/* The JSON text json_string_len makes of len bytes at s; caller frees. */
static char *render(const char *s, size_t len)
{
	struct json_writer w;
	json_init(&w);
	json_string_len(&w, s, len);
	char *out = w.failed ? NULL : strdup(w.buf);
	json_free(&w);
	return out;
}

#define CHECK_RENDER(bytes, want)                                        \
	do {                                                             \
		char *got_ = render(bytes, sizeof(bytes) - 1);           \
		CHECK_STR(got_, want);                                   \
		free(got_);                                              \
	} while (0)

TEST(plain_ascii_unchanged)
{
	CHECK_RENDER("hello /usr/bin/ls -la", "\"hello /usr/bin/ls -la\"");
	CHECK_RENDER("", "\"\"");
}

TEST(quotes_and_backslashes_escaped)
{
	CHECK_RENDER("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK_RENDER("/", "\"/\"");	/* solidus needs no escape */
}

TEST(control_characters_escaped)
{
	CHECK_RENDER("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	CHECK_RENDER("\x01\x1f\x1b[31m", "\"\\u0001\\u001f\\u001b[31m\"");
	CHECK_RENDER("\x7f", "\"\\u007f\"");
}

TEST(embedded_nul_bytes)
{
	CHECK_RENDER("a\0b", "\"a\\u0000b\"");
	CHECK_RENDER("\0\0", "\"\\u0000\\u0000\"");
}

TEST(valid_multibyte_kept)
{
	CHECK_RENDER("caf\xc3\xa9", "\"caf\xc3\xa9\"");		/* U+00E9 */
	CHECK_RENDER("\xc2\x80", "\"\xc2\x80\"");			/* U+0080, lowest 2-byte */
	CHECK_RENDER("\xdf\xbf", "\"\xdf\xbf\"");			/* U+07FF */
	CHECK_RENDER("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");		/* U+0800 */
	CHECK_RENDER("\xe2\x82\xac", "\"\xe2\x82\xac\"");		/* euro sign */
	CHECK_RENDER("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF, below surrogates */
	CHECK_RENDER("\xee\x80\x80", "\"\xee\x80\x80\"");		/* U+E000, above surrogates */
	CHECK_RENDER("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");		/* U+FFFF */
	CHECK_RENDER("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"");	/* U+10000 */
	CHECK_RENDER("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");	/* emoji */
	CHECK_RENDER("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	CHECK_RENDER("\xe2\x80\xa8", "\"\xe2\x80\xa8\"");		/* U+2028 is valid JSON */
}

TEST(stray_and_impossible_bytes_replaced)
{
	CHECK_RENDER("\x80", "\"" FFFD "\"");			/* lone continuation */
	CHECK_RENDER("a\xbf" "b", "\"a" FFFD "b\"");
	CHECK_RENDER("\xc0", "\"" FFFD "\"");
	CHECK_RENDER("\xc1", "\"" FFFD "\"");
	CHECK_RENDER("\xf5\xff\xfe", "\"" FFFD FFFD FFFD "\"");
}

TEST(overlong_forms_replaced)
{
	/* "/" as 2, 3 and 4 bytes; NUL as 2 bytes (modified UTF-8). */
	CHECK_RENDER("\xc0\xaf", "\"" FFFD FFFD "\"");
	CHECK_RENDER("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	CHECK_RENDER("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_RENDER("\xc0\x80", "\"" FFFD FFFD "\"");
	CHECK_RENDER("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"");		/* U+07FF as 3 */
	CHECK_RENDER("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");	/* U+FFFF as 4 */
}

TEST(surrogates_replaced)
{
	CHECK_RENDER("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");		/* U+D800 */
	CHECK_RENDER("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");		/* U+DFFF */
	/* A CESU-8 surrogate pair is still two surrogates. */
	CHECK_RENDER("\xed\xa0\xbd\xed\xb8\x80", "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\"");
}

TEST(above_max_code_point_replaced)
{
	CHECK_RENDER("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");	/* U+110000 */
	CHECK_RENDER("\xf7\xbf\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_RENDER("\xf8\x88\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD FFFD "\"");
}

TEST(truncated_sequences_replaced)
{
	CHECK_RENDER("\xc3", "\"" FFFD "\"");
	CHECK_RENDER("\xe2\x82", "\"" FFFD FFFD "\"");
	CHECK_RENDER("\xf0\x9f\x98", "\"" FFFD FFFD FFFD "\"");
	/* Cut short by ASCII: the ASCII survives. */
	CHECK_RENDER("\xe2\x82z", "\"" FFFD FFFD "z\"");
	CHECK_RENDER("\xc3\"", "\"" FFFD "\\\"\"");
	/* Cut short by a new valid sequence: that sequence survives. */
	CHECK_RENDER("\xe2\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
}

TEST(one_mebibyte_string)
{
	size_t len = 1 << 20;
	char *big = malloc(len);
	CHECK(big != NULL);
	if (!big)
		return;
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	big[len / 2] = '"';	/* one escape in the middle */

	char *out = render(big, len);
	CHECK(out != NULL);
	if (out) {
		CHECK_INT(strlen(out), len + 3);
		CHECK(out[0] == '"' && out[len + 2] == '"');
		CHECK(memcmp(out + 1, big, len / 2) == 0);
		CHECK(out[len / 2 + 1] == '\\' && out[len / 2 + 2] == '"');
		CHECK(memcmp(out + len / 2 + 3, big + len / 2 + 1, len - len / 2 - 1) == 0);
	}
	free(out);

	/* Worst case growth: every byte becomes \u0001. */
	memset(big, 1, len);
	out = render(big, len);
	CHECK(out != NULL);
	if (out) {
		CHECK_INT(strlen(out), 6 * len + 2);
		CHECK(memcmp(out, "\"\\u0001\\u0001", 13) == 0);
	}
	free(out);
	free(big);
}

TEST(nesting_and_commas)
{
	struct json_writer w;
	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "a", "x");
	json_kv_int(&w, "b", -5);
	json_key(&w, "list");
	json_array_begin(&w);
	json_uint(&w, 1);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_null(&w);
	json_bool(&w, false);
	json_array_end(&w);
	json_key(&w, "o");
	json_object_begin(&w);
	json_kv_bool(&w, "t", true);
	json_kv_uint(&w, "u", UINT64_MAX);
	json_object_end(&w);
	json_kv_string_len(&w, "n", "a\0b", 3);
	json_object_end(&w);
	CHECK(!w.failed);
	CHECK_INT(w.depth, 0);
	CHECK_STR(w.buf, "{\"a\":\"x\",\"b\":-5,\"list\":[1,{},[],null,false],"
			 "\"o\":{\"t\":true,\"u\":18446744073709551615},\"n\":\"a\\u0000b\"}");
	json_free(&w);
}

TEST(integers_at_limits)
{
	struct json_writer w;
	json_init(&w);
	json_array_begin(&w);
	json_int(&w, INT64_MIN);
	json_int(&w, INT64_MAX);
	json_uint(&w, 0);
	json_array_end(&w);
	CHECK_STR(w.buf, "[-9223372036854775808,9223372036854775807,0]");
	json_free(&w);
}

TEST(doubles)
{
	struct json_writer w;
	json_init(&w);
	json_array_begin(&w);
	json_double(&w, 0.1);
	json_double(&w, 1.5);
	json_double(&w, -2.0);
	json_double(&w, 1e300);
	json_double(&w, NAN);
	json_double(&w, INFINITY);
	json_double(&w, -INFINITY);
	json_double(&w, 1.0 / 3.0);
	json_array_end(&w);
	CHECK_STR(w.buf, "[0.1,1.5,-2,1e+300,null,null,null,0.3333333333333333]");
	json_free(&w);
}

TEST(reset_keeps_buffer)
{
	struct json_writer w;
	json_init(&w);
	json_object_begin(&w);
	json_kv_int(&w, "a", 1);
	char *buf = w.buf;
	json_reset(&w);
	CHECK(w.buf == buf);
	CHECK_INT(w.len, 0);
	CHECK_INT(w.depth, 0);
	CHECK_STR(w.buf, "");
	json_array_begin(&w);
	json_int(&w, 2);
	json_array_end(&w);
	CHECK_STR(w.buf, "[2]");
	json_free(&w);
	CHECK(w.buf == NULL);
}

TEST(raw_and_null_strings)
{
	struct json_writer w;
	json_init(&w);
	json_array_begin(&w);
	json_raw(&w, "{\"k\":1}", 7);
	json_string(&w, NULL);
	json_string_len(&w, NULL, 5);
	json_string(&w, "s");
	json_array_end(&w);
	CHECK_STR(w.buf, "[{\"k\":1},null,null,\"s\"]");
	json_free(&w);
}

TEST(misuse_marks_failed)
{
	struct json_writer w;
	json_init(&w);
	json_object_end(&w);		/* nothing open */
	CHECK(w.failed);
	json_int(&w, 1);		/* no-op once failed */
	CHECK_INT(w.len, 0);
	json_free(&w);

	json_init(&w);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	CHECK(!w.failed);
	json_array_begin(&w);		/* one deeper than tracked */
	CHECK(w.failed);
	json_free(&w);
}

int main(void)
{
	RUN(plain_ascii_unchanged);
	RUN(quotes_and_backslashes_escaped);
	RUN(control_characters_escaped);
	RUN(embedded_nul_bytes);
	RUN(valid_multibyte_kept);
	RUN(stray_and_impossible_bytes_replaced);
	RUN(overlong_forms_replaced);
	RUN(surrogates_replaced);
	RUN(above_max_code_point_replaced);
	RUN(truncated_sequences_replaced);
	RUN(one_mebibyte_string);
	RUN(nesting_and_commas);
	RUN(integers_at_limits);
	RUN(doubles);
	RUN(reset_keeps_buffer);
	RUN(raw_and_null_strings);
	RUN(misuse_marks_failed);
	return TEST_SUMMARY();
}

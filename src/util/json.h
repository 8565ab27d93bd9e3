/* json.h - a small streaming JSON writer into a growable buffer.
 *
 * Strings come from monitored processes and may hold any bytes: control
 * characters are escaped, invalid UTF-8 sequences become U+FFFD, so
 * every document is valid JSON whatever the input.  Commas and nesting
 * are tracked by the writer; the caller only says what comes next.
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	char *buf;
	size_t len, cap;
	bool failed;			/* allocation failed; output unusable */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w);
void json_reset(struct json_writer *w);		/* keep the buffer, empty it */
void json_free(struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);

void json_key(struct json_writer *w, const char *key);	/* key is trusted ASCII */
void json_string(struct json_writer *w, const char *s);	/* NUL-terminated */
/* json_string and json_string_len write null when s is NULL. */
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Shorthands: key followed by a value. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_string_len(struct json_writer *w, const char *key, const char *s, size_t len);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Forget nesting state so the next value starts a fresh document, for
 * composing raw text with values (the buffer is kept). */
void json_reset_nesting(struct json_writer *w);

/* Append raw, already valid JSON text (e.g. a pre-rendered object). */
void json_raw(struct json_writer *w, const char *text, size_t len);

#endif

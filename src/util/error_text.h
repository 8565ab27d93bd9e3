/* error_text.h - write a message into a caller's error buffer (which may
 * be NULL or empty: then nothing is written). */
#ifndef VIGIL_ERROR_TEXT_H
#define VIGIL_ERROR_TEXT_H

#include <stddef.h>

void set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

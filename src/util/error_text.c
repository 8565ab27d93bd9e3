/* error_text.c - see error_text.h. */
#include "util/error_text.h"

#include <stdarg.h>
#include <stdio.h>

void set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* fuzz_output_format.c - sink addresses, syslog/CEF formatting and the
 * escapers on arbitrary bytes: no crash, and what goes on the wire never
 * carries a raw line break (one record, one line). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/metrics.h"
#include "output/syslog_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[4096], err[256], host[256];
	struct syslog_address a;
	struct out_record r;
	size_t len;
	int port;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	syslog_parse_address(text, &a, err, sizeof(err));
	metrics_parse_listen(text, host, sizeof(host), &port, err, sizeof(err));
	syslog_escape_sd(out, sizeof(out), text);
	for (char *c = out; *c; c++)
		if (*c == '\n' || (*c == ']' && (c == out || c[-1] != '\\')))
			abort();
	cef_escape_value(out, sizeof(out), text);
	if (strchr(out, '\n'))
		abort();
	cef_escape_header(out, sizeof(out), text);
	for (int kind = 0; kind < OUT_KIND_MAX; kind++) {
		r = (struct out_record){.kind = kind, .priority = size ? data[0] % 10 : 8,
					.json = text, .len = size, .time_ns = size * 977};
		for (int cef = 0; cef < 2; cef++) {
			char *m = syslog_format(&r, 16, cef, "h", "1", &len);

			/* the JSON body is passed as it is; the CEF one must be one line */
			if (m && cef && memchr(m, '\n', len))
				abort();
			free(m);
		}
	}
	free(text);
	return 0;
}

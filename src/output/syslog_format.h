/* syslog_format.h - a record as an RFC 5424 syslog message, its body the
 * JSON or an ArcSight CEF line, and the sink address syntax.
 *
 *   <PRI>1 TIMESTAMP HOST vigil PROCID MSGID [vigil@32473 rule="…" priority="…"
 *     container="…"] BODY
 *
 * PRI is facility * 8 + severity; Falco's priorities are syslog's
 * severities (0 emergency … 7 debug), plain events are informational.
 * MSGID is the kind: event, alert, anomaly, block, incident, action, model.
 * SD-PARAM values escape ", \ and ]; CEF escapes | and \ in the header,
 * =, \ and line breaks in extension values. */
#ifndef VIGIL_SYSLOG_FORMAT_H
#define VIGIL_SYSLOG_FORMAT_H

#include <stddef.h>

#include "output/out_record.h"

enum syslog_transport { SYSLOG_UNIX, SYSLOG_UDP, SYSLOG_TCP };

struct syslog_address {
	enum syslog_transport transport;
	char path[108];		/* unix */
	char host[256];		/* udp/tcp */
	int port;
};

/* "unix:/dev/log", "udp:HOST:PORT", "tcp:HOST:PORT" ([v6]:PORT too).
 * 0, or -1 with err naming the problem. */
int syslog_parse_address(const char *text, struct syslog_address *a, char *err, size_t errlen);

/* "local0".."local7", "auth", "authpriv", "daemon", "user", "security"; -1 unknown. */
int syslog_facility_from_name(const char *name);

/* The message (no framing), malloc'd; NULL when out of memory. */
char *syslog_format(const struct out_record *r, int facility, int cef, const char *host,
		    const char *version, size_t *len);

/* Escapers (exposed for tests and the fuzz target): write into out
 * (cap bytes, always terminated), return the length written. */
size_t syslog_escape_sd(char *out, size_t cap, const char *in);
size_t cef_escape_header(char *out, size_t cap, const char *in);
size_t cef_escape_value(char *out, size_t cap, const char *in);

#endif

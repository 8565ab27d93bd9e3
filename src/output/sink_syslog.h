/* sink_syslog.h - syslog over a unix socket, UDP or TCP, from a thread. */
#ifndef VIGIL_SINK_SYSLOG_H
#define VIGIL_SINK_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "output/syslog_format.h"

struct sink_syslog;

/* address as syslog_parse_address; queue_max messages wait at most. */
struct sink_syslog *sink_syslog_open(const char *address, size_t queue_max, char *err,
				     size_t errlen);
/* A formatted message (syslog_format); copied.  Never blocks. */
void sink_syslog_send(struct sink_syslog *s, const char *msg, size_t len);
void sink_syslog_close(struct sink_syslog *s, int deadline_ms);
void sink_syslog_stats(struct sink_syslog *s, uint64_t *sent, uint64_t *dropped,
		       uint64_t *errors);

#endif

/* decode.h - ring-buffer record → struct event. */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include "event.h"

void event_init(struct event *ev);
void event_release(struct event *ev);

/* Decode one record.  real_offset_ns is added to kernel boot-clock times
 * to get wall-clock times.  Returns 0, or -1 with err set when the
 * record is malformed (never reads past size). */
int event_decode(struct event *ev, const void *data, size_t size,
		 int64_t real_offset_ns, char *err, size_t errlen);

/* Falco's fd.type spelling of an enum fd_kind ("file", "pipe", "ipv4",
 * ...), NULL for FD_KIND_NONE and values outside the enum. */
const char *fd_kind_name(unsigned kind);

/* Join a relative path onto a base directory and normalise ".", ".."
 * and repeated slashes lexically.  Writes at most cap bytes (NUL
 * included); returns the length written. */
size_t path_join_normalize(char *out, size_t cap, const char *base, size_t base_len,
			   const char *rel, size_t rel_len);

#endif

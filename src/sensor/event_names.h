/* event_names.h - names for event types and x86_64 syscalls.
 *
 * The event names are the ones vigil writes in its JSON output and
 * accepts in its configuration ("exec", "open", ...).  An event mask has
 * bit i set for enum event_type value i.
 */
#ifndef VIGIL_EVENT_NAMES_H
#define VIGIL_EVENT_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../../bpf/events.h"

/* Every real event type (EVENT_NONE excluded). */
#define EVENT_MASK_ALL (((UINT64_C(1) << EVENT_TYPE_MAX) - 1) & ~UINT64_C(1))

/* "exec", "fork", ...; "unknown" for EVENT_NONE and out-of-range values. */
const char *event_type_name(enum event_type t);

/* The enum value for a name, -1 when it is not one. Case-sensitive. */
int event_type_from_name(const char *name);

/* Parse a comma-separated list such as "exec, open,connect" or "all"
 * into a mask.  Spaces and tabs around items are ignored.  Returns 0, or
 * -1 with a message naming the bad item in err (when err is not NULL);
 * *mask is only written on success. */
int event_mask_parse(const char *csv, uint64_t *mask, char *err, size_t errlen);

/* x86_64 syscall name for a number, NULL when no syscall has it. */
const char *syscall_name_x86_64(int nr);

/* x86_64 syscall number for a name, -1 when unknown. */
int syscall_number_x86_64(const char *name);

#endif

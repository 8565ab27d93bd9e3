/* block_json.h - a policy block (or audit) as an alert: Falco's envelope
 * with rule "Policy block", kind "block", a "block" object naming the
 * policy and rule, and "proc"; the caller appends "workload". */
#ifndef VIGIL_BLOCK_JSON_H
#define VIGIL_BLOCK_JSON_H

#include <stdint.h>

#include "enforce/enforcement.h"
#include "proc/proc_table.h"
#include "util/json.h"

/* p may be NULL (the process is unknown to the table). */
void block_json_write(struct json_writer *w, const struct enforcement_report *r,
		      const struct proc_entry *p, const char *host, uint64_t real_ns);

#endif

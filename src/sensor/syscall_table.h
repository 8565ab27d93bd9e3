/* syscall_table.h - which syscalls the sensor traces, their family
 * (kernel exit program) and the event type they produce. x86_64. */
#ifndef VIGIL_SYSCALL_TABLE_H
#define VIGIL_SYSCALL_TABLE_H

#include <stdint.h>
#include <linux/types.h>
#include "../../bpf/events.h"
#include "../../bpf/families.h"

struct traced_syscall {
	int nr;
	enum syscall_family family;
	enum event_type type;
};

extern const struct traced_syscall traced_syscalls[];
extern const int traced_syscalls_count;

/* family per syscall number for the events in mask (bit = event type) */
void syscall_table_families(uint64_t event_mask, uint8_t *family_by_nr, int slots);

#endif

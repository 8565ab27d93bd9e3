/* doctor.h - `vigil doctor`: check what this machine's kernel offers.
 *
 * Every hook family is probed for real: a two-instruction program is
 * loaded and attached with the raw bpf() commands, then detached and
 * closed at once.  Each probe runs in a short-lived child process with a
 * deadline, so a probe that hangs or crashes becomes a row in the report
 * instead of taking vigil down with it.
 */
#ifndef VIGIL_DOCTOR_H
#define VIGIL_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

/* Write the report to out: readable text, or one JSON object and a
 * newline when json is true.  Returns 0 when the sensor can run here
 * (privileges, BTF, raw tracepoints and a ring buffer all work), 1 when
 * it cannot. */
int doctor_run(FILE *out, bool json);

#endif

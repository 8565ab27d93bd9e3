/* workloads_cmd.h - `vigil workloads`: read the agent's workload state. */
#ifndef VIGIL_WORKLOADS_CMD_H
#define VIGIL_WORKLOADS_CMD_H

#include <stdbool.h>
#include <stdio.h>

/* Print the workloads in state_dir/workloads.json as a table, or with
 * json one object per line.  Returns the exit status. */
int workloads_list(const char *state_dir, bool json, FILE *out, FILE *err);

#endif

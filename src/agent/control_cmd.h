/* control_cmd.h - commands that act on a running agent or on what it
 * left in the kernel: vigil reload, vigil enforce clear. */
#ifndef VIGIL_CONTROL_CMD_H
#define VIGIL_CONTROL_CMD_H

#include <stdio.h>

/* The pid of the agent using state_dir (STATE_DIR/vigil.pid), 0 when none runs. */
long running_agent(const char *state_dir);

/* SIGHUP to the agent of state_dir: it reloads policies (and response
 * actions); an invalid file is refused there and the old ones stay. */
int control_reload(const char *state_dir, FILE *out, FILE *err);

/* Remove fail-closed enforcement pinned in pin_dir (refused while an agent runs). */
int control_enforce_clear(const char *state_dir, const char *pin_dir, FILE *out, FILE *err);

#endif

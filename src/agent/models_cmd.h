/* models_cmd.h - `vigil models` and `vigil model show|relearn|export|import`:
 * read (and, through requests, change) the models in STATE_DIR/models,
 * whether or not an agent is running. */
#ifndef VIGIL_MODELS_CMD_H
#define VIGIL_MODELS_CMD_H

#include <stdbool.h>
#include <stdio.h>

int models_list(const char *state_dir, bool json, FILE *out, FILE *err);
/* verb: show, relearn, export, import; arg: a model id, name or id prefix
 * (import: a file).  Returns the exit status. */
int model_command(const char *state_dir, const char *verb, const char *arg, FILE *out,
		  FILE *err);

#endif

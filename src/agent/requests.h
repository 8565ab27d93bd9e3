/* requests.h - commands for a running agent, as files in
 * STATE_DIR/requests: `vigil respond ACTION TARGET` writes
 * respond-<id>.req ("ACTION TARGET"), the agent carries it out and writes
 * respond-<id>.done (the action's JSON record), which the command prints. */
#ifndef VIGIL_REQUESTS_H
#define VIGIL_REQUESTS_H

#include <stdio.h>

/* The command's side: 0 when the agent reports the action done (or the
 * target already in that state), 1 otherwise, 2 on usage errors. */
int respond_request(const char *state_dir, const char *action, const char *target,
		    FILE *out, FILE *err);

/* The agent's side: fn gets each pending request (and must answer it
 * with respond_request_done, or it is asked again). */
void respond_requests_each(const char *state_dir,
			   void (*fn)(void *ctx, const char *id, const char *action,
				      const char *target),
			   void *ctx);
void respond_request_done(const char *state_dir, const char *id, const char *json, size_t len);

#endif

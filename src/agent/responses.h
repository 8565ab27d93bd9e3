/* responses.h - response actions in the agent: triggers collected while
 * events are evaluated, carried out between batches (an action may wait
 * for its target to be gone), manual requests from `vigil respond`. */
#ifndef VIGIL_RESPONSES_H
#define VIGIL_RESPONSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "respond/respond.h"
#include "util/config.h"

struct responses;

/* isolate may be NULL (no enforcement: isolate/release fail). NULL with a
 * message on stderr when response.file cannot be loaded. */
struct responses *responses_open(const struct vigil_config *cfg,
				 int (*isolate)(void *ctx, uint64_t cgroup_id, bool on), void *ctx);
void responses_close(struct responses *r);
/* response.file again; on error the rules in force stay (-1). */
int responses_reload(struct responses *r);
/* Whether any rule could match (so triggers are worth collecting). */
bool responses_active(const struct responses *r);

/* Keep a trigger (strings copied) for responses_run. */
void responses_queue(struct responses *r, const struct respond_trigger *t);

/* Carry out the queued triggers.  path_of gives a cgroup's v2 path;
 * emit gets each action's JSON record and the cgroup it was about. */
typedef const char *(*responses_path_fn)(void *ctx, uint64_t cgroup_id);
typedef void (*responses_emit_fn)(void *ctx, const char *json, size_t len, uint64_t cgroup_id);
void responses_run(struct responses *r, responses_path_fn path_of, responses_emit_fn emit,
		   void *ctx);

/* An operator's action now (vigil respond); 0 done. */
int responses_manual(struct responses *r, const char *action, const struct respond_trigger *t,
		     responses_emit_fn emit, void *ctx, char *json_out, size_t json_cap);

#endif

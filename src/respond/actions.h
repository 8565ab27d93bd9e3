/* actions.h - the actions themselves, after the responder has decided
 * (protected set, repeats, rate limits and dry run are checked before).
 * Each fills res: outcome, text, processes, settled. */
#ifndef VIGIL_RESPOND_ACTIONS_H
#define VIGIL_RESPOND_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "respond/respond.h"

struct act_env {
	const struct response_config *cfg;
	const struct respond_options *opts;
	const char *container_name;	/* for the protected containers */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC: stop waiting then */
};

/* result text: "done", "failed: <what>", ... */
void result_set(struct respond_result *res, enum respond_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void result_errno(struct respond_result *res, int neg_errno);

/* SIGKILL one process, if it still started at start_ns (0 = unchecked). */
void act_kill_process(const struct act_env *e, pid_t pid, uint64_t start_ns,
		      struct respond_result *res);
/* Stop the process and every descendant (SIGSTOP, so none forks or is
 * reparented away), then SIGKILL them all. */
void act_kill_tree(const struct act_env *e, pid_t pid, uint64_t start_ns,
		   struct respond_result *res);

/* Every process of the cgroup and its sub-cgroups. */
void act_stop_cgroup(const struct act_env *e, const char *path, struct respond_result *res);
/* cgroup v2 cgroup.freeze, else the v1 freezer. */
void act_freeze_cgroup(const struct act_env *e, const char *path, bool freeze,
		       struct respond_result *res);

/* Is the cgroup frozen now (v2, else v1)?  1, 0, or -errno. */
int cgroup_frozen(const struct respond_options *o, const char *path);

#endif

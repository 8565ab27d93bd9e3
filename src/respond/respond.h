/* respond.h - response actions: what vigil does to a process or a
 * container after an alert, an anomaly or a policy block.
 *
 * The pipeline hands each alert to respond_handle() as a small plain
 * struct (struct respond_trigger).  The response configuration
 * (response_config.h) says which action, if any, applies: the rules are
 * tried in file order and the FIRST match wins, so put narrow rules above
 * broad ones.  Before anything is done the target goes through, in order:
 *   1. the protected set (pid 1, vigil, its ancestors and process group,
 *      kernel threads, protected units, executables and containers; for a
 *      cgroup: the root, slices, protected units, a cgroup holding vigil
 *      or pid 1)                                → "refused: protected (why)"
 *   2. the repeat check (the same action on the same target within
 *      repeat_window, or a container already in the wanted state)
 *                                               → "already frozen", ...
 *   3. the rate limits (per workload, then global) → "rate-limited"
 *   4. dry run (global or per rule)             → "dry-run"
 * and only then the action ("done" or "failed: <errno text>").
 *
 * Every decision, whatever its outcome, is reported as one JSON object
 * (see respond_handle).  Processes are signalled through pidfds, after the
 * caller's start time is checked, so a recycled pid is never hit.
 *
 * Not thread-safe: one responder is used by one thread at a time.  Calls
 * are synchronous and wait (at most options.wait_ns) for the target to be
 * gone or frozen, so that the outcome is true when it is reported.
 */
#ifndef VIGIL_RESPOND_H
#define VIGIL_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "respond/response_config.h"

/* What happened upstream.  Falco priorities: 0 emergency ... 7 debug. */
struct respond_trigger {
	enum respond_kind kind;
	const char *rule;		/* rule, anomaly or policy name; may be NULL */
	int priority;			/* 0..7, -1 unknown */
	int score;			/* anomaly score 0..100, -1 none */
	uint64_t time_ns;		/* the alert's wall-clock time, 0 unknown */
	/* the workload (NULL when unknown or a host process) */
	const char *container_id;
	const char *container_name;
	const char *container_image;
	const char *pod;
	const char *unit;		/* host systemd unit, e.g. "sshd.service" */
	/* the process: thread-group id and its start time in boot-clock ns
	 * (proc table start_ns, or /proc/PID/stat field 22 × tick); 0 =
	 * skip the start-time check */
	pid_t pid;
	uint64_t start_ns;
	/* the v2 cgroup: id (0 = look it up from the path) and path relative
	 * to the unified mount ("/libpod_parent/libpod-<64 hex>") */
	uint64_t cgroup_id;
	const char *cgroup_path;
};

struct respond_options {
	const char *cgroup2_root;	/* default "/sys/fs/cgroup/unified" */
	const char *freezer_root;	/* v1 freezer; default "/sys/fs/cgroup/freezer" */
	uint64_t wait_ns;		/* wait for gone/frozen; default 1 s */
	bool dry_run;			/* every rule dry run, whatever the file says */
	/* Network isolation lives in the enforcement maps: called with on =
	 * true to cut a cgroup off, false to release it.  0 ok, else a
	 * negative errno.  NULL: isolate/release fail with "not available". */
	int (*isolate)(void *ctx, uint64_t cgroup_id, bool on);
	void *isolate_ctx;
	bool no_cgroup_kill;		/* tests: stop by sweeping, not cgroup.kill */
};

/* The outcome of one decision (the JSON says the same). */
enum respond_outcome {
	RESPOND_DONE,
	RESPOND_DRY_RUN,
	RESPOND_REFUSED,		/* protected, pid reused, not a container */
	RESPOND_RATE_LIMITED,
	RESPOND_ALREADY,		/* already frozen / thawed / isolated / killed */
	RESPOND_FAILED,
};

struct respond_result {
	enum respond_action action;
	enum respond_outcome outcome;
	char text[192];			/* "done", "refused: protected (pid 1)", ... */
	unsigned processes;		/* killed, or frozen/thawed */
	bool settled;			/* gone / frozen / thawed before the wait ran out */
	uint64_t duration_us;
};

typedef void (*respond_result_fn)(void *ctx, const char *json, size_t len);

struct responder;

/* cfg is taken over (freed with the responder); NULL = no action rules.
 * Options are copied; strings in them must outlive the responder. */
struct responder *responder_new(const struct respond_options *o, struct response_config *cfg);
void responder_free(struct responder *r);

/* Reload: cfg (already loaded without errors) replaces the current one,
 * which is freed.  Rate-limit state and the repeat memory are kept. */
void responder_set_config(struct responder *r, struct response_config *cfg);

/* Decide and carry out the response to one trigger.  Returns 0 when no
 * rule matched (nothing reported), 1 when a rule matched: on_result got
 * the JSON record (may be NULL) and *res (may be NULL) the outcome.
 *
 * JSON: {"time","kind":"action","action","trigger":{"kind","rule",
 * "priority","score","alert_time"},"target":{"pid","container_id",
 * "container_name","cgroup","cgroup_id"},"outcome","dry_run","config":
 * "file:line","duration_us","processes"} — absent keys are unknown. */
int respond_handle(struct responder *r, const struct respond_trigger *t,
		   respond_result_fn on_result, void *ctx, struct respond_result *res);

/* A manual command (`vigil respond freeze|thaw|stop|isolate|release
 * CONTAINER`, `kill`): the action is done now, whatever the rules, the
 * dry-run setting and the rate limits say; the protected set and the
 * repeat check still apply.  Fill t->cgroup_path (and the container name
 * for the protected containers) or t->pid; t->kind is RESPOND_MANUAL.
 * Returns 0 when done, -1 otherwise (res says why). */
int respond_do(struct responder *r, enum respond_action a, const struct respond_trigger *t,
	       respond_result_fn on_result, void *ctx, struct respond_result *res);

#endif

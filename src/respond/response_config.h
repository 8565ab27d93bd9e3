/* response_config.h - the response file: which action follows which
 * alert, dry run, rate limits, the protected set.
 *
 *   actions:                      # tried in order; the first match wins
 *     - {match: {rule: "Reverse shell*"}, action: kill_tree}
 *     - {match: {kind: anomaly, min_score: 80}, action: freeze}
 *     - {match: {priority: critical}, action: stop, dry_run: true}
 *   dry_run: false                # true: decide and report, never act
 *   rate_limit: {per_workload: 5/min, global: 50/min}   # or "off"
 *   repeat_window: 30s            # same action, same target: "already ..."
 *   protected: {units: [sshd.service], exes: ["/usr/sbin/sshd"], containers: ["infra-*"]}
 *
 * match keys (all given must hold; strings are fnmatch(3) globs):
 *   kind (rule|anomaly|block), rule, priority (this or more severe),
 *   min_score (0..100), container.name, container.image, container.id,
 *   pod, unit.  An empty match ({}) matches everything.
 * actions: kill_process, kill_tree, stop (stop_container), freeze
 *   (freeze_container), isolate (isolate_container).
 * protected lists are added to the built-in ones, never replace them.
 *
 * A file with any error is refused whole; errors read "file:line:col: what".
 */
#ifndef VIGIL_RESPONSE_CONFIG_H
#define VIGIL_RESPONSE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum respond_kind {
	RESPOND_KIND_RULE,
	RESPOND_KIND_ANOMALY,
	RESPOND_KIND_BLOCK,
	RESPOND_MANUAL,			/* an operator's command, never matched */
};

enum respond_action {
	ACT_KILL_PROCESS,
	ACT_KILL_TREE,
	ACT_STOP,
	ACT_FREEZE,
	ACT_THAW,
	ACT_ISOLATE,
	ACT_RELEASE,
	ACT_COUNT,
};

/* "kill_process", "freeze", ... */
const char *respond_action_name(enum respond_action a);
/* Accepts the short and the long names ("stop", "stop_container"); -1 unknown. */
int respond_action_from_name(const char *s);
const char *respond_kind_name(enum respond_kind k);

struct respond_match {
	int kind;			/* enum respond_kind, -1 any */
	char *rule;			/* globs, NULL = any */
	int priority;			/* -1 any; else trigger priority <= this */
	int min_score;			/* -1 any */
	char *container_name;
	char *container_image;
	char *container_id;
	char *pod;
	char *unit;
};

struct respond_rule {
	struct respond_match match;
	enum respond_action action;
	int dry_run;			/* -1 as the file says, 0 no, 1 yes */
	int line;			/* where the rule is, for the report */
};

struct respond_rate {
	uint32_t count;			/* 0 = unlimited */
	uint64_t period_ns;
};

struct response_config {
	char *name;			/* file name, for reports */
	struct respond_rule *rules;
	size_t nrules;
	bool dry_run;
	struct respond_rate per_workload, global;
	uint64_t repeat_window_ns;
	char **units, **exes, **containers;	/* protected, globs */
	size_t nunits, nexes, ncontainers;
};

/* Built-in values: no rules, not dry run, 5/min per workload, 50/min in
 * total, 30 s repeat window, the default protected units.  0 or -1 (no
 * memory). */
int response_config_defaults(struct response_config *c);
void response_config_free(struct response_config *c);

/* Load over the defaults (c is filled by the call; free it in both
 * cases).  0, or -1 with "name:line:col: what" in err. */
int response_config_load_string(struct response_config *c, const char *name,
				const char *data, size_t len, char *err, size_t errlen);
int response_config_load_file(struct response_config *c, const char *path,
			      char *err, size_t errlen);

/* "5/min", "50/m", "10/s", "100/hour", "3/30s"; "off" = unlimited.  0 ok, -1 bad. */
int respond_rate_parse(const char *s, struct respond_rate *rate);

#endif

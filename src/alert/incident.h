/* incident.h - alerts of one workload and one process tree, grouped
 * until incident_window passes without any; scored and titled. */
#ifndef VIGIL_ALERT_INCIDENT_H
#define VIGIL_ALERT_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/alert_facts.h"
#include "util/json.h"
#include "util/u64_map.h"

#define INCIDENT_RULES_MAX 32
#define INCIDENT_CATEGORIES_MAX 16
#define INCIDENT_ACTIONS_MAX 8
#define INCIDENT_RULE_NAME_MAX 128

struct incident_rule {
	char name[INCIDENT_RULE_NAME_MAX];
	int priority;
	uint64_t count, first_ns, last_ns;
};

struct incident {
	uint64_t key, id, workload_hash;
	unsigned version;		/* of the last record emitted */
	uint64_t opened_ns, last_alert_ns, last_emit_ns;
	bool dirty;			/* changed since the last record */
	bool grew;			/* a new behaviour: report at the next tick */
	int max_priority, max_score, severity;
	struct incident_rule rules[INCIDENT_RULES_MAX];
	size_t nrules;
	uint64_t other_rules;		/* alerts of rules past the bound */
	char categories[INCIDENT_CATEGORIES_MAX][32];	/* anomaly novelty kinds */
	size_t ncategories;
	uint32_t tactics;		/* bit per entry of the tactic table */
	char *actions[INCIDENT_ACTIONS_MAX];	/* action JSON copies */
	size_t nactions;
	uint64_t more_actions;
	uint64_t alert_count, rate_limited;
	char *workload_json, *root_json;	/* copied at open */
	char where[200];		/* "container web-1" for the title */
};

struct incident_table {
	struct u64_map by_key;
	struct incident **all;
	size_t n, max;
	uint64_t next_id;
	void (*report)(void *ctx, struct incident *inc, bool closed);
	void *ctx;
};

int incident_table_init(struct incident_table *t, size_t max, uint64_t first_id,
			void (*report)(void *ctx, struct incident *inc, bool closed), void *ctx);
void incident_table_destroy(struct incident_table *t);

struct incident *incident_find(struct incident_table *t, uint64_t key);
/* The most recently active incident of a workload, or NULL. */
struct incident *incident_find_workload(struct incident_table *t, uint64_t workload_hash);
/* A new incident for the alert; when the table is full the one idle the
 * longest is closed first.  NULL when out of memory. */
struct incident *incident_open(struct incident_table *t, uint64_t key,
			       const struct alert_facts *f);
void incident_add_alert(struct incident *inc, const struct alert_facts *f);
void incident_add_action(struct incident *inc, const struct alert_facts *f);

/* Report what is due: closed incidents (idle for window_ns), grown ones,
 * and changed ones every update_ns.  all: close every incident (flush). */
void incident_table_tick(struct incident_table *t, uint64_t now_ns, uint64_t window_ns,
			 uint64_t update_ns, bool all);

int incident_severity(const struct incident *inc);
void incident_title(const struct incident *inc, char *buf, size_t cap);
void incident_write_json(const struct incident *inc, struct json_writer *w, uint64_t now_ns,
			 bool closed);

#endif

/* alert_facts.h - what the alert pipeline reads from one alert, once:
 * spans into its JSON plus the caller's context (see alert_pipeline.h).
 * Exceptions, dedup and incidents all work on these. */
#ifndef VIGIL_ALERT_FACTS_H
#define VIGIL_ALERT_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/json_view.h"

enum alert_kind { ALERT_KIND_RULE, ALERT_KIND_ANOMALY, ALERT_KIND_BLOCK, ALERT_KIND_OTHER };

/* A workload's model mode, as exceptions' `when: {mode: ...}` names it. */
enum alert_mode { ALERT_MODE_NONE, ALERT_MODE_LEARNING, ALERT_MODE_MONITORING,
		  ALERT_MODE_PROTECTING };

#define ALERT_ID_MAX 72		/* exec ids are 32 hex; room for odd producers */
#define ALERT_NAME_MAX 256

struct alert_facts {
	struct jspan root;			/* the whole object */
	enum alert_kind kind;
	int priority;				/* 0 emergency .. 7 debug, as judged */
	int json_priority;			/* as the JSON says */
	char rule[ALERT_NAME_MAX];		/* rule name, or "" */
	char model[ALERT_NAME_MAX];		/* anomaly model id, or "" */
	int anomaly_score;			/* 0..100, 0 for rules */
	struct jspan priority_value;		/* to rewrite when lowered/raised */
	struct jspan kind_value;
	struct jspan output_fields, tags, proc, workload, anomaly;
	char exec_id[ALERT_ID_MAX];
	char root_exec_id[ALERT_ID_MAX];	/* the process tree's root */
	char workload_key[ALERT_NAME_MAX];
	enum alert_mode mode;
	uint64_t workload_start_ns;		/* 0 when unknown */
	uint64_t now_ns;
};

enum alert_mode alert_mode_from_name(const char *s);	/* "" or unknown: NONE */

#endif

struct out_record;
struct alert_context;

/* Read the facts of one alert (or action) record.  -1 when the JSON is
 * not an object. */
int alert_facts_read(struct alert_facts *f, const struct out_record *r,
		     const struct alert_context *ctx);

/* The dedup identity (see alert_pipeline.h); ignored: NULL-terminated
 * globs over output_fields names. */
uint64_t alert_facts_dedup_key(const struct alert_facts *f, const char *const *ignored,
			       bool by_exe);
/* The incident identity: workload and process-tree root. */
uint64_t alert_facts_incident_key(const struct alert_facts *f);
uint64_t alert_facts_workload_hash(const struct alert_facts *f);

/* config.h - vigil's configuration: one YAML file, every key defaulted.
 *
 * Keys are dotted paths ("sensor.ring_buffer_size"); in the file they are
 * written as nested mappings (sensor: {ring_buffer_size: 16M}) or, if
 * preferred, as dotted keys.  Every key is one row of the table in
 * config.c, which holds its type, default and documentation; a new
 * section is a new member here plus its rows there.
 *
 * Errors are written to err as "file:line:col: key: what is wrong".
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum vigil_log_level {
	VIGIL_LOG_DEBUG,
	VIGIL_LOG_INFO,
	VIGIL_LOG_WARN,
	VIGIL_LOG_ERROR,
};

struct vigil_config {
	char *state_dir;		/* owned */
	int log_level;			/* enum vigil_log_level */
	struct {
		uint64_t events;		/* bit i = enum event_type i */
		uint64_t ring_buffer_size;	/* bytes, power of two >= 4096 */
		uint64_t wakeup_bytes;		/* wake the reader at this much pending */
		uint64_t poll_interval_ns;
		uint64_t open_dedup_window_ns;	/* 0 = report every open */
		int max_processes;
		bool exclude_self;
	} sensor;
	struct {
		bool attribution;
		uint64_t metadata_wait_ns;
	} workload;
	struct {
		bool enabled;
		uint64_t learning_min_ns;	/* observed at least this long ... */
		uint64_t learning_quiet_ns;	/* ... and nothing new this long: monitoring */
		uint64_t alert_window_ns;
		uint64_t save_interval_ns;
		int max_entries;
		int min_score;
		bool hosts;
	} model;
	struct {
		char *files;			/* owned; comma-separated, "" built-in, "none" */
		int matching;			/* enum rule_matching order: 0 all, 1 first */
		int min_priority;		/* enum rules_priority */
	} rules;
	struct {
		bool enabled;			/* dedup, incidents, exceptions, rate limits */
		uint64_t dedup_window_ns;
		uint64_t incident_window_ns;
		int rate_limit;			/* per workload and minute */
		int global_rate_limit;		/* per minute */
		int dedup_by;			/* 0 exec_id, 1 exe */
		char *exceptions;		/* owned; comma-separated files */
	} alerts;
	struct {
		bool enabled;			/* load the enforcement programs */
		char *policies;			/* owned; comma-separated files, "" none */
		bool dry_run;			/* blocks reported as audits */
		bool files;			/* fanotify file protection */
		int fail_mode;			/* 0 closed (pinned), 1 open */
		char *pin_dir;			/* owned */
	} enforce;
	struct {
		bool enabled;			/* the SQLite audit store */
		char *path;			/* owned; "" = state_dir/audit.db */
		int events;			/* 0 none, 1 security, 2 all */
		uint64_t batch_window_ns;
		uint64_t retention_age_ns;	/* 0 keep */
		uint64_t retention_size;	/* 0 no limit */
	} store;
	struct {
		char *file;			/* owned; response actions (YAML), "" none */
		bool dry_run;			/* decide and report, never act */
	} response;
	struct {
		bool to_stdout;			/* key output.stdout */
		bool events;			/* write events, not only alerts */
		char *file;			/* owned; "" = no file output */
		int min_priority;		/* stdout/file alerts */
		uint64_t file_max_size;		/* rotate beyond; 0 never */
		int file_keep;
		char *syslog_address;		/* owned; "" none */
		int syslog_format;		/* 0 json, 1 cef */
		char *syslog_facility;		/* owned */
		int syslog_min_priority;
		char *webhook_url;		/* owned; "" none */
		char *webhook_headers;		/* owned */
		int webhook_min_priority;
		uint64_t webhook_queue_max;
		uint64_t webhook_timeout_ns;
		char *metrics_listen;		/* owned; "" none */
	} output;
};

/* Fill c with the documented defaults.  c must not hold owned strings
 * (call config_free first when reusing one). */
void config_defaults(struct vigil_config *c);

/* Free the strings c owns; c can be filled again with config_defaults. */
void config_free(struct vigil_config *c);

/* Read a YAML file over the values already in c (normally the defaults).
 * Returns 0, or -1 with a message in err; c is unchanged on error.
 * Cross-key checks (config_validate) run after a successful read. */
int config_load_file(struct vigil_config *c, const char *path, char *err, size_t errlen);

/* The same from memory; name is used in messages ("config" when NULL). */
int config_load_string(struct vigil_config *c, const char *data, size_t len,
		       const char *name, char *err, size_t errlen);

/* Set one key from text, as for a command-line "--set key=value".  Event
 * lists are comma-separated.  Returns 0, or -1 with "key: problem" in err;
 * c is unchanged on error.  Run config_validate after the last override. */
int config_set(struct vigil_config *c, const char *key, const char *value,
	       char *err, size_t errlen);

/* Checks that involve more than one key. 0 ok, -1 with a message. */
int config_validate(const struct vigil_config *c, char *err, size_t errlen);

/* True when every key has the same value in a and b. */
bool config_equal(const struct vigil_config *a, const struct vigil_config *b);

/* Write every key with its default and documentation as a commented YAML
 * file (the content of config/vigil.yaml). */
void config_write_documented(FILE *f);

/* "16M", "256K", "4096": binary multiples (K = 1024). 0 ok, -1 bad. */
int config_parse_size(const char *s, uint64_t *bytes);

/* "10ms", "30s", "5m", "24h", "7d", "500us", "100ns"; a plain number is
 * seconds.  0 ok, -1 bad or too large. */
int config_parse_duration(const char *s, uint64_t *ns);

#endif

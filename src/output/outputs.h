/* outputs.h - every sink a record can go to, several at once, each with
 * its own threshold: stdout and a rotated file (JSON lines), syslog
 * (RFC 5424, JSON or CEF body), an HTTP webhook with an on-disk queue,
 * and the Prometheus endpoint's counters.
 *
 * What each sink takes: alerts at or above its minimum priority;
 * incidents and response actions always; model changes stdout and the
 * file always; plain events only stdout and the file, when output.events
 * is on.  outputs_emit never
 * blocks on a slow receiver (syslog and webhook have their own threads). */
#ifndef VIGIL_OUTPUTS_H
#define VIGIL_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/metrics.h"
#include "output/out_record.h"

struct outputs_options {
	bool to_stdout;
	bool events;			/* events and model changes to stdout/file */
	int min_priority;		/* stdout/file alerts (0 emergency … 7 debug) */
	const char *file;		/* "" none */
	uint64_t file_max_bytes;	/* rotate beyond (0: never) */
	int file_keep;			/* FILE.1 … FILE.N kept */
	const char *syslog_address;	/* "" none */
	bool syslog_cef;
	int syslog_facility;
	int syslog_min_priority;
	const char *webhook_url;	/* "" none */
	const char *webhook_headers;
	const char *webhook_queue_dir;
	uint64_t webhook_queue_max;
	long webhook_timeout_ms;
	int webhook_min_priority;
	const char *metrics_listen;	/* "" none */
	const char *host;		/* copied */
	const char *version;		/* ignored: vigil's own */
};

struct outputs;

/* NULL with err naming the bad key's value or the failing resource. */
struct outputs *outputs_open(const struct outputs_options *o, char *err, size_t errlen);
/* Gives syslog and the webhook up to deadline_ms to deliver. */
void outputs_close(struct outputs *o, int deadline_ms);

void outputs_emit(struct outputs *o, const struct out_record *r);
void outputs_flush(struct outputs *o);
/* stdout's reader went away (EPIPE). */
bool outputs_broken(const struct outputs *o);

/* The counters behind /metrics (NULL when no endpoint is configured);
 * outputs_update_metrics refreshes the sinks' own. */
struct metrics *outputs_metrics(struct outputs *o);
void outputs_update_metrics(struct outputs *o);

struct outputs_stats {
	uint64_t written, write_errors, rotations;
	uint64_t syslog_sent, syslog_dropped, syslog_errors;
	uint64_t webhook_sent, webhook_rejected, webhook_errors, webhook_dropped;
};
void outputs_stats(struct outputs *o, struct outputs_stats *s);

#endif

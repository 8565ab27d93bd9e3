/* sink_webhook.h - alerts POSTed to an HTTP endpoint, queued on disk so
 * that an endpoint that is down (or vigil restarting) loses nothing that
 * fits the queue, each record delivered once, in order. */
#ifndef VIGIL_SINK_WEBHOOK_H
#define VIGIL_SINK_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

struct sink_webhook_options {
	const char *url;		/* http:// or https:// */
	const char *headers;		/* "Authorization: Bearer x; X-Team: sec", may be NULL */
	const char *queue_dir;		/* the on-disk queue (created) */
	uint64_t queue_max_bytes;	/* beyond: the oldest records are dropped, counted */
	long timeout_ms;		/* per request */
};

struct sink_webhook_stats {
	uint64_t sent, rejected, errors, dropped, pending_bytes;
	char last_error[256];
};

struct sink_webhook;

int sink_webhook_check_url(const char *url, char *err, size_t errlen);
struct sink_webhook *sink_webhook_open(const struct sink_webhook_options *o, char *err,
				       size_t errlen);
void sink_webhook_send(struct sink_webhook *w, const char *json, size_t len);
/* Waits up to deadline_ms for the queue to drain; the rest stays queued on disk. */
void sink_webhook_close(struct sink_webhook *w, int deadline_ms);
void sink_webhook_stats(struct sink_webhook *w, struct sink_webhook_stats *s);

#endif

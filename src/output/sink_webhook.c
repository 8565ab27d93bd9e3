/* sink_webhook.c - each record POSTed as JSON by a thread reading the
 * on-disk queue in order.  2xx: delivered.  408, 429, 5xx, no connection:
 * retried with exponential backoff, the record stays first in line.
 * Other 4xx: the receiver will never take it; dropped and counted. */
#include "output/sink_webhook.h"

#include <curl/curl.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/disk_queue.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000

struct sink_webhook {
	char url[2048];
	long timeout_ms;
	struct curl_slist *headers;
	struct disk_queue q;
	pthread_t thread;
	pthread_mutex_t stats_lock;
	uint64_t sent, rejected, errors;
	char last_error[256];
};

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* HTTP status, or 0 when no answer came. */
static long post(struct sink_webhook *w, CURL *c, const char *body, size_t len, char *err)
{
	long status = 0;
	CURLcode rc;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, w->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (!err[0])
		snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
	return status;
}

static void count(struct sink_webhook *w, uint64_t *what, const char *err)
{
	pthread_mutex_lock(&w->stats_lock);
	(*what)++;
	if (err && err[0])
		snprintf(w->last_error, sizeof(w->last_error), "%s", err);
	pthread_mutex_unlock(&w->stats_lock);
}

static void *sender(void *arg)
{
	struct sink_webhook *w = arg;
	CURL *c = curl_easy_init();
	int backoff = BACKOFF_MIN_MS;
	char err[CURL_ERROR_SIZE];

	if (!c)
		return NULL;
	for (;;) {
		size_t len;
		char *body = disk_queue_peek(&w->q, &len, 1000);
		long status;

		if (!body) {
			if (w->q.stopping)
				break;
			continue;
		}
		err[0] = 0;
		status = post(w, c, body, len, err);
		free(body);
		if (status >= 200 && status < 300) {
			disk_queue_ack(&w->q, len);
			count(w, &w->sent, NULL);
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		if (status >= 400 && status < 500 && status != 408 && status != 429) {
			snprintf(err, sizeof(err), "HTTP %ld: record refused, dropped", status);
			disk_queue_ack(&w->q, len);
			count(w, &w->rejected, err);
			continue;
		}
		if (status)
			snprintf(err, sizeof(err), "HTTP %ld", status);
		count(w, &w->errors, err);
		if (disk_queue_sleep(&w->q, backoff))
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* "Name: value; Other: value" */
static int add_headers(struct sink_webhook *w, const char *text, char *err, size_t errlen)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");

	for (char *h = strtok_r(copy, ";", &save); copy && h; h = strtok_r(NULL, ";", &save)) {
		while (*h == ' ')
			h++;
		if (!*h)
			continue;
		if (!strchr(h, ':') || strpbrk(h, "\r\n")) {
			snprintf(err, errlen, "header '%.80s': want 'Name: value'", h);
			free(copy);
			curl_slist_free_all(l);
			return -1;
		}
		l = curl_slist_append(l, h);
	}
	free(copy);
	w->headers = l;
	return l ? 0 : -1;
}

int sink_webhook_check_url(const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "'%.200s': want an http:// or https:// URL", url);
		return -1;
	}
	if (strlen(url) >= 2048 || strpbrk(url, " \r\n")) {
		snprintf(err, errlen, "'%.200s': not a valid URL", url);
		return -1;
	}
	return 0;
}

struct sink_webhook *sink_webhook_open(const struct sink_webhook_options *o, char *err,
				       size_t errlen)
{
	struct sink_webhook *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sink_webhook_check_url(o->url, err, errlen) ||
	    add_headers(w, o->headers, err, errlen)) {
		free(w);
		return NULL;
	}
	snprintf(w->url, sizeof(w->url), "%s", o->url);
	w->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	if (disk_queue_open(&w->q, o->queue_dir, o->queue_max_bytes, err, errlen)) {
		curl_slist_free_all(w->headers);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->stats_lock, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (pthread_create(&w->thread, NULL, sender, w)) {
		snprintf(err, errlen, "cannot start the webhook thread");
		disk_queue_close(&w->q);
		curl_slist_free_all(w->headers);
		free(w);
		return NULL;
	}
	return w;
}

void sink_webhook_send(struct sink_webhook *w, const char *json, size_t len)
{
	disk_queue_push(&w->q, json, len);
}

void sink_webhook_close(struct sink_webhook *w, int deadline_ms)
{
	if (!w)
		return;
	/* what is not delivered by then stays on disk for the next start */
	for (int waited = 0; waited < deadline_ms && disk_queue_pending(&w->q); waited += 20) {
		struct timespec ts = {0, 20000000};

		nanosleep(&ts, NULL);
	}
	disk_queue_stop(&w->q);
	pthread_join(w->thread, NULL);
	disk_queue_close(&w->q);
	curl_slist_free_all(w->headers);
	pthread_mutex_destroy(&w->stats_lock);
	free(w);
}

void sink_webhook_stats(struct sink_webhook *w, struct sink_webhook_stats *s)
{
	pthread_mutex_lock(&w->stats_lock);
	s->sent = w->sent;
	s->rejected = w->rejected;
	s->errors = w->errors;
	snprintf(s->last_error, sizeof(s->last_error), "%s", w->last_error);
	pthread_mutex_unlock(&w->stats_lock);
	pthread_mutex_lock(&w->q.lock);
	s->dropped = w->q.dropped;
	s->pending_bytes = w->q.size - w->q.offset;
	pthread_mutex_unlock(&w->q.lock);
}

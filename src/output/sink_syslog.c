/* sink_syslog.c - RFC 5424 messages to a unix socket, UDP or TCP (octet
 * counting, RFC 6587), from a sender thread that reconnects with backoff;
 * what does not fit the queue is dropped and counted. */
#include "output/sink_syslog.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "output/msg_queue.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

struct sink_syslog {
	struct syslog_address addr;
	struct msg_queue q;
	pthread_t thread;
	int fd;
	uint64_t sent, errors;
	pthread_mutex_t stats_lock;
};

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int types[2] = {SOCK_DGRAM, SOCK_STREAM};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 2; i++) {	/* /dev/log is a datagram socket; some are streams */
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

static int connect_inet(const struct syslog_address *a)
{
	struct addrinfo hints = {.ai_socktype = a->transport == SYSLOG_TCP ? SOCK_STREAM
									     : SOCK_DGRAM};
	struct addrinfo *res, *r;
	char port[16];
	int fd = -1;

	snprintf(port, sizeof(port), "%d", a->port);
	if (getaddrinfo(a->host, port, &hints, &res))
		return -1;
	for (r = res; r && fd < 0; r = r->ai_next) {
		fd = socket(r->ai_family, r->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, r->ai_addr, r->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int send_message(struct sink_syslog *s, const struct msg *m)
{
	char frame[32];
	ssize_t n;

	if (s->fd < 0)
		s->fd = s->addr.transport == SYSLOG_UNIX ? connect_unix(s->addr.path)
							   : connect_inet(&s->addr);
	if (s->fd < 0)
		return -1;
	if (s->addr.transport == SYSLOG_TCP) {
		int flen = snprintf(frame, sizeof(frame), "%zu ", m->len);
		size_t off = 0;

		if (send(s->fd, frame, flen, MSG_NOSIGNAL | MSG_MORE) != flen)
			goto broken;
		while (off < m->len) {
			n = send(s->fd, m->data + off, m->len - off, MSG_NOSIGNAL);
			if (n <= 0)
				goto broken;	/* the peer sees a cut frame and drops it */
			off += n;
		}
		return 0;
	}
	n = send(s->fd, m->data, m->len, MSG_NOSIGNAL);
	if (n == (ssize_t)m->len)
		return 0;
broken:
	close(s->fd);
	s->fd = -1;
	return -1;
}

static void *sender(void *arg)
{
	struct sink_syslog *s = arg;
	int backoff = BACKOFF_MIN_MS;
	struct msg *m;

	for (;;) {
		m = msg_queue_take(&s->q, 1000);
		if (!m) {
			if (s->q.stopping)
				break;
			continue;
		}
		if (send_message(s, m) == 0) {
			free(m);
			pthread_mutex_lock(&s->stats_lock);
			s->sent++;
			pthread_mutex_unlock(&s->stats_lock);
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		pthread_mutex_lock(&s->stats_lock);
		s->errors++;
		pthread_mutex_unlock(&s->stats_lock);
		msg_queue_give_back(&s->q, m);	/* order kept; retried after the pause */
		if (msg_queue_sleep(&s->q, backoff))
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

struct sink_syslog *sink_syslog_open(const char *address, size_t queue_max, char *err,
				     size_t errlen)
{
	struct sink_syslog *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (syslog_parse_address(address, &s->addr, err, errlen)) {
		free(s);
		return NULL;
	}
	s->fd = -1;
	msg_queue_init(&s->q, queue_max, queue_max * 8192);
	pthread_mutex_init(&s->stats_lock, NULL);
	if (pthread_create(&s->thread, NULL, sender, s)) {
		snprintf(err, errlen, "cannot start the syslog thread");
		msg_queue_destroy(&s->q);
		free(s);
		return NULL;
	}
	return s;
}

void sink_syslog_send(struct sink_syslog *s, const char *msg, size_t len)
{
	msg_queue_push(&s->q, msg, len);
}

/* Gives the sender until deadline_ms to drain, then stops it. */
void sink_syslog_close(struct sink_syslog *s, int deadline_ms)
{
	if (!s)
		return;
	for (int waited = 0; waited < deadline_ms; waited += 20) {
		pthread_mutex_lock(&s->q.lock);
		size_t left = s->q.count;

		pthread_mutex_unlock(&s->q.lock);
		if (!left)
			break;
		struct timespec ts = {0, 20000000};

		nanosleep(&ts, NULL);
	}
	msg_queue_stop(&s->q);
	pthread_join(s->thread, NULL);
	if (s->fd >= 0)
		close(s->fd);
	msg_queue_destroy(&s->q);
	pthread_mutex_destroy(&s->stats_lock);
	free(s);
}

void sink_syslog_stats(struct sink_syslog *s, uint64_t *sent, uint64_t *dropped,
		       uint64_t *errors)
{
	pthread_mutex_lock(&s->stats_lock);
	*sent = s->sent;
	*errors = s->errors;
	pthread_mutex_unlock(&s->stats_lock);
	pthread_mutex_lock(&s->q.lock);
	*dropped = s->q.dropped;
	pthread_mutex_unlock(&s->q.lock);
}

/* metrics_http.c - GET /metrics over HTTP/1.1, one short thread per
 * client (at most MAX_CLIENTS at once), each with a deadline, so a client
 * that connects and says nothing holds only its own thread. */
#include "output/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 8
#define REQUEST_MAX 8192
#define CLIENT_TIMEOUT_MS 2000

struct metrics_server {
	struct metrics *m;
	int fd;
	int stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int clients;
};

struct client {
	struct metrics_server *s;
	int fd;
};

int metrics_parse_listen(const char *addr, char *host, size_t hostlen, int *port, char *err,
			 size_t errlen)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long p;
	size_t n;

	if (!colon) {
		snprintf(err, errlen, "'%s': want HOST:PORT (e.g. 127.0.0.1:9376)", addr);
		return -1;
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || p < 1 || p > 65535) {
		snprintf(err, errlen, "'%s': port must be 1-65535", addr);
		return -1;
	}
	n = colon - addr;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= hostlen) {
		snprintf(err, errlen, "'%s': host too long", addr);
		return -1;
	}
	memcpy(host, addr, n);
	host[n] = 0;
	*port = (int)p;
	return 0;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= n;
	}
}

/* Read up to the end of the request head, within the deadline. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, CLIENT_TIMEOUT_MS) <= 0)
			return -1;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += n;
		buf[len] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -1;	/* too long */
}

static void answer(struct metrics_server *s, int fd)
{
	char req[REQUEST_MAX], head[256];
	const char *status = "404 Not Found", *type = "text/plain";
	char *body = NULL;
	size_t len = 0;

	if (read_request(fd, req, sizeof(req)) < 0) {
		status = "400 Bad Request";
	} else if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13)) {
		body = metrics_render(s->m, &len);
		status = body ? "200 OK" : "500 Internal Server Error";
		type = "text/plain; version=0.0.4; charset=utf-8";
	}
	if (!body) {
		body = strdup(status);
		len = body ? strlen(body) : 0;
	}
	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status, type, len);
	send_all(fd, head, strlen(head));
	if (body)
		send_all(fd, body, len);
	free(body);
}

static void *client_thread(void *arg)
{
	struct client *c = arg;
	struct metrics_server *s = c->s;

	answer(s, c->fd);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&s->lock);
	if (--s->clients == 0)
		pthread_cond_signal(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void start_client(struct metrics_server *s, int fd)
{
	struct client *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	bool started = false;

	pthread_mutex_lock(&s->lock);
	if (c && s->clients < MAX_CLIENTS) {
		c->s = s;
		c->fd = fd;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, client_thread, c) == 0;
		pthread_attr_destroy(&attr);
		if (started)
			s->clients++;
	}
	pthread_mutex_unlock(&s->lock);
	if (!started) {
		free(c);
		close(fd);	/* too many at once: the client retries */
	}
}

static void *accept_thread(void *arg)
{
	struct metrics_server *s = arg;
	struct pollfd fds[2] = {
		{.fd = s->fd, .events = POLLIN},
		{.fd = s->stop_pipe[0], .events = POLLIN},
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (fds[0].revents) {
			int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				start_client(s, fd);
		}
	}
	return NULL;
}

static int listen_on(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	char host[256], port_text[16];
	int port, fd, one = 1, rc;

	if (metrics_parse_listen(addr, host, sizeof(host), &port, err, errlen))
		return -1;
	snprintf(port_text, sizeof(port_text), "%d", port);
	rc = getaddrinfo(host[0] ? host : NULL, port_text, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "'%s': %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 16)) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct metrics_server *metrics_serve(struct metrics *m, const char *addr, char *err,
				     size_t errlen)
{
	struct metrics_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->m = m;
	s->fd = listen_on(addr, err, errlen);
	if (s->fd < 0 || pipe2(s->stop_pipe, O_CLOEXEC)) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (pthread_create(&s->thread, NULL, accept_thread, s)) {
		snprintf(err, errlen, "cannot start the metrics thread");
		close(s->fd);
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
		free(s);
		return NULL;
	}
	return s;
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	if (write(s->stop_pipe[1], "x", 1) != 1)
		pthread_cancel(s->thread);
	pthread_join(s->thread, NULL);
	pthread_mutex_lock(&s->lock);	/* clients end within their deadline */
	while (s->clients)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	close(s->fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
}

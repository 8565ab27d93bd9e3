/* metrics.h - counters and gauges for the Prometheus text endpoint.
 *
 * A series is a metric name plus its label text ("type=\"exec\""); the
 * agent thread sets or adds, the HTTP thread renders, under one lock.
 * Label values are escaped here (\\, \", \n), so callers pass raw text. */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Declare a family once: its HELP text and whether it is a counter. */
void metrics_describe(struct metrics *m, const char *name, const char *help, bool counter);

/* label_key may be NULL (no label); label_value is raw text. */
void metrics_add(struct metrics *m, const char *name, const char *label_key,
		 const char *label_value, double delta);
void metrics_set(struct metrics *m, const char *name, const char *label_key,
		 const char *label_value, double value);

/* The whole exposition (text format 0.0.4), malloc'd, *len set. */
char *metrics_render(struct metrics *m, size_t *len);

/* Serve GET /metrics on addr ("127.0.0.1:9376", "[::1]:9376", ":9376")
 * from a thread; slow or silent clients time out without holding up
 * others.  NULL with err on failure (bad address, port in use). */
struct metrics_server;
struct metrics_server *metrics_serve(struct metrics *m, const char *addr, char *err,
				     size_t errlen);
void metrics_server_stop(struct metrics_server *s);

/* Parse "host:port" as above; 0 ok, -1 with err. */
int metrics_parse_listen(const char *addr, char *host, size_t hostlen, int *port, char *err,
			 size_t errlen);

#endif

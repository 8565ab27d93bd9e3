/* sensor.h - the kernel side, loaded and read: attach the programs,
 * drain the ring buffer, count what was lost. */
#ifndef VIGIL_SENSOR_H
#define VIGIL_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sensor_options {
	uint64_t event_mask;		/* bit = enum event_type */
	uint64_t ring_buffer_size;	/* power of two, bytes */
	uint64_t wakeup_bytes;
	uint64_t open_dedup_window_ns;
	bool exclude_self;
};

struct sensor_stats {
	uint64_t events;		/* records written by the kernel */
	uint64_t drops;			/* ring buffer full */
	uint64_t too_big;		/* records cut at RECORD_MAX */
	uint64_t max_pending;		/* fill high-water mark, bytes */
	uint64_t deduplicated;		/* repeated opens not reported */
	uint64_t ring_size;
	uint64_t prog_misses;		/* program runs the kernel skipped (recursion) */
	int ncpus;
	uint64_t drops_per_cpu[64];	/* first 64 CPUs */
};

/* Called for every record; return non-zero to stop the current drain. */
typedef int (*sensor_record_fn)(void *ctx, const void *data, size_t size);

struct sensor;

struct sensor *sensor_open(const struct sensor_options *opts,
			   sensor_record_fn on_record, void *ctx,
			   char *err, size_t errlen);
/* Wait up to timeout_ms for data, then drain. Records handled, or -errno. */
int sensor_poll(struct sensor *s, int timeout_ms);
/* Change the traced event set while running. */
void sensor_set_events(struct sensor *s, uint64_t event_mask);
int sensor_stats(struct sensor *s, struct sensor_stats *out);
void sensor_close(struct sensor *s);

#endif

/* modeler.h - every workload learns its own normal, and deviations
 * become anomaly alerts.
 *
 * Each container instance has its own model (keyed by container id);
 * host services are modelled by systemd unit or, without one, by
 * executable.  Containers of one image also feed a group model, so a new
 * replica of an image whose model is stable starts in monitoring.
 *
 * A model starts learning; it moves to monitoring by itself once it has
 * been observed for learning_min and nothing new appeared for
 * learning_quiet.  In monitoring, behaviour outside the model is a
 * novelty with a score; novelties of one process image within
 * alert_window form one anomaly, handed to the caller's emit function.
 * Novelties are then learned, so each one alerts once.
 *
 * Models are saved atomically under dir every save_interval and at exit,
 * and loaded at start: a restart keeps models and modes.
 */
#ifndef VIGIL_MODELER_H
#define VIGIL_MODELER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model_file.h"
#include "rules/fields.h"

struct modeler_options {
	uint64_t learning_min_ns, learning_quiet_ns;
	uint64_t alert_window_ns;	/* novelties of one process gathered this long */
	uint64_t save_interval_ns;
	size_t max_entries;		/* per profile category */
	int min_score;			/* novelties scoring less are learned silently */
	bool hosts;			/* model host services too */
	const char *dir;		/* NULL: nothing persisted */
};

#define MODEL_NOVELTIES_MAX 16	/* kept per anomaly; more are counted */

struct model_novelty {
	char category[16];		/* "exec", "read", ..., "rate" */
	char value[600];
	int score;			/* 0..100 */
	bool group_known;		/* the image's group model knew it */
};

struct model_anomaly {
	const struct model_meta *model;
	uint64_t time_ns;		/* first novelty, wall clock */
	uint64_t model_age_ns, stable_for_ns;
	const struct model_novelty *novelties;
	size_t count, more;		/* more: novelties beyond the kept ones */
	int score;			/* the highest */
	void *captured;			/* what capture() returned for the process */
};

struct model_hooks {
	/* The process context of an anomaly, taken at its first novelty (the
	 * process may be gone when the anomaly is written). */
	void *(*capture)(void *ctx, const struct rule_input *in);
	void (*emit)(void *ctx, const struct model_anomaly *a);	/* frees captured */
	void (*discard)(void *ctx, void *captured);
	/* A model changed mode.  wl is the workload last seen with the model
	 * (NULL if none): it may have been reaped since, so callers look it
	 * up again by m->id before reading it. */
	void (*mode_change)(void *ctx, const struct model_meta *m, int previous,
			    const struct workload *wl);
	void *ctx;
};

struct modeler;

/* Loads every model under o->dir (corrupted ones are reported on stderr,
 * renamed *.corrupt and relearned).  NULL with err on failure. */
struct modeler *modeler_new(const struct modeler_options *o, const struct model_hooks *hooks,
			    char *err, size_t errlen);
/* Emits pending anomalies and saves every model first. */
void modeler_free(struct modeler *m);

void modeler_observe(struct modeler *m, const struct rule_input *in, uint64_t now_ns);
/* Once a second: mode changes, anomalies whose window closed, saving,
 * relearn/import requests. */
void modeler_tick(struct modeler *m, uint64_t now_ns);

/* The model with this id ("container:<id>", ...), loaded from its file if
 * it was evicted; NULL when there is none.  *mode gets its mode. */
const struct profile *modeler_profile(struct modeler *m, const char *model_id, int *mode);

/* The mode of a model in memory, -1 when it is not loaded (no file is
 * read: safe on the event path and inside the modeler's own callbacks). */
int modeler_mode(const struct modeler *m, const char *model_id);

struct modeler_counts {
	size_t models[3];		/* per mode */
	uint64_t anomalies, novelties, learned_silently;
};
void modeler_counts(const struct modeler *m, struct modeler_counts *c);

/* Requests to a running agent (vigil model relearn|monitor|protect|import):
 * files under DIR/requests that modeler_tick applies.  MODE_LEARNING means
 * relearn from scratch; monitoring and protecting keep what was learned
 * (protecting behaves as monitoring until enforcement exists). */
int modeler_request_mode(const char *dir, const char *model_id, int mode, char *err,
			 size_t errlen);
int modeler_request_import(const char *dir, const char *json, size_t len, char *err,
			   size_t errlen);

#endif

/* model_file.h - one workload's model on disk: who it is, its mode, its
 * profile.  Files are written atomically (temporary file, fsync, rename,
 * fsync of the directory), so a crash leaves the old model or the new one,
 * never a torn one; a file that does not parse is reported and set aside
 * (renamed *.corrupt) and the workload learns again. */
#ifndef VIGIL_MODEL_FILE_H
#define VIGIL_MODEL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

enum model_mode { MODE_LEARNING, MODE_MONITORING, MODE_PROTECTING };

#define MODEL_ID_MAX 512

struct model_meta {
	char id[MODEL_ID_MAX];		/* "container:<id>", "unit:<unit>", "exe:<path>", "group:<image>" */
	char name[MODEL_ID_MAX];	/* container name, unit, executable, image */
	char group[MODEL_ID_MAX];	/* id of the group model fed by this one, "" none */
	int mode;			/* enum model_mode */
	uint64_t created_ns;		/* wall clock ns */
	uint64_t last_new_ns;		/* last time learning met something new */
	uint64_t mode_since_ns;
	uint64_t last_seen_ns;
	uint64_t anomalies;		/* alerts raised so far */
};

const char *model_mode_name(int mode);		/* "learning", ... */
int model_mode_from_name(const char *name);	/* -1 unknown */

/* The file name (no directory) that holds model id: readable and unique. */
void model_file_name(const char *id, char *out, size_t outlen);

/* 0, or -1 with err. */
int model_file_save(const char *dir, const struct model_meta *meta, const struct profile *p,
		    char *err, size_t errlen);
/* The model in path; NULL with err when it cannot be read or does not parse. */
struct profile *model_file_load(const char *path, struct model_meta *meta, size_t max_entries,
				char *err, size_t errlen);
/* The same from memory (import, tests, fuzzing). */
struct profile *model_parse(const char *json, size_t len, struct model_meta *meta,
			    size_t max_entries, char *err, size_t errlen);
/* The file's JSON text (export). malloc'd. */
char *model_to_json(const struct model_meta *meta, const struct profile *p);

/* Every *.json model file in dir, sorted by name; fn gets each path. */
int model_dir_each(const char *dir, void (*fn)(void *ctx, const char *path), void *ctx);

#endif

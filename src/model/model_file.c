/* model_file.c - models on disk, one JSON document per workload. */
#include "model_file.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MODEL_FILE_MAX (64u << 20)

static const char *const mode_names[] = {"learning", "monitoring", "protecting"};

const char *model_mode_name(int mode)
{
	return mode >= 0 && mode <= MODE_PROTECTING ? mode_names[mode] : "unknown";
}

int model_mode_from_name(const char *name)
{
	for (int i = 0; i <= MODE_PROTECTING; i++)
		if (!strcmp(mode_names[i], name))
			return i;
	return -1;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

void model_file_name(const char *id, char *out, size_t outlen)
{
	char safe[80];
	size_t n = 0;

	/* readable part: the id with anything unusual made '_', cut */
	for (const char *p = id; *p && n < sizeof(safe) - 1; p++)
		safe[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ? *p : '_';
	safe[n] = '\0';
	snprintf(out, outlen, "%s-%08x.json", safe, (unsigned)(fnv(id) & 0xffffffffu));
}

static void add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	cJSON_AddStringToObject(o, key, buf);
}

char *model_to_json(const struct model_meta *m, const struct profile *p)
{
	char *profile_text = profile_to_json(p), *text = NULL;
	cJSON *o = cJSON_CreateObject(), *prof = profile_text ? cJSON_Parse(profile_text) : NULL;

	free(profile_text);
	if (!o || !prof) {
		cJSON_Delete(o);
		cJSON_Delete(prof);
		return NULL;
	}
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddStringToObject(o, "id", m->id);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "group", m->group);
	cJSON_AddStringToObject(o, "mode", model_mode_name(m->mode));
	add_u64(o, "created", m->created_ns);
	add_u64(o, "last_new", m->last_new_ns);
	add_u64(o, "mode_since", m->mode_since_ns);
	add_u64(o, "last_seen", m->last_seen_ns);
	add_u64(o, "anomalies", m->anomalies);
	cJSON_AddItemToObject(o, "profile", prof);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int model_file_save(const char *dir, const struct model_meta *meta, const struct profile *p,
		    char *err, size_t errlen)
{
	char name[128], path[4096], tmp[4200];
	char *text = model_to_json(meta, p);
	int fd, dfd;

	if (!text) {
		snprintf(err, errlen, "out of memory writing model %s", meta->id);
		return -1;
	}
	model_file_name(meta->id, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write_all(fd, text, strlen(text)) || fsync(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(text);
		return -1;
	}
	free(text);
	close(fd);
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);	/* the rename itself is durable */
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int get_string(const cJSON *o, const char *key, char *out, size_t cap, bool required,
		      char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v && !required) {
		out[0] = '\0';
		return 0;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
		snprintf(err, errlen, "%s: %s", key, v ? "not a string (or too long)" : "missing");
		return -1;
	}
	strcpy(out, v->valuestring);
	return 0;
}

static int get_u64(const cJSON *o, const char *key, uint64_t *out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *end;

	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		snprintf(err, errlen, "%s: missing or not a number string", key);
		return -1;
	}
	errno = 0;
	*out = strtoull(v->valuestring, &end, 10);
	if (*end || errno || v->valuestring[0] == '-') {
		snprintf(err, errlen, "%s: '%.40s' is not a number", key, v->valuestring);
		return -1;
	}
	return 0;
}

struct profile *model_parse(const char *json, size_t len, struct model_meta *m,
			    size_t max_entries, char *err, size_t errlen)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *version, *prof;
	struct profile *p = NULL;
	char mode[32], perr[256], *ptext;

	memset(m, 0, sizeof(*m));
	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "not a JSON object (truncated or corrupted?)");
		goto out;
	}
	version = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (!cJSON_IsNumber(version) || version->valueint != 1) {
		snprintf(err, errlen, "version: missing or not 1");
		goto out;
	}
	if (get_string(o, "id", m->id, sizeof(m->id), true, err, errlen) ||
	    get_string(o, "name", m->name, sizeof(m->name), false, err, errlen) ||
	    get_string(o, "group", m->group, sizeof(m->group), false, err, errlen) ||
	    get_string(o, "mode", mode, sizeof(mode), true, err, errlen) ||
	    get_u64(o, "created", &m->created_ns, err, errlen) ||
	    get_u64(o, "last_new", &m->last_new_ns, err, errlen) ||
	    get_u64(o, "mode_since", &m->mode_since_ns, err, errlen) ||
	    get_u64(o, "last_seen", &m->last_seen_ns, err, errlen) ||
	    get_u64(o, "anomalies", &m->anomalies, err, errlen))
		goto out;
	if (!m->id[0] || (m->mode = model_mode_from_name(mode)) < 0) {
		snprintf(err, errlen, m->id[0] ? "mode: unknown mode '%s'" : "id: empty%s",
			 m->id[0] ? mode : "");
		goto out;
	}
	prof = cJSON_GetObjectItemCaseSensitive(o, "profile");
	ptext = cJSON_IsObject(prof) ? cJSON_PrintUnformatted(prof) : NULL;
	if (!ptext) {
		snprintf(err, errlen, "profile: missing or not an object");
		goto out;
	}
	p = profile_parse(ptext, strlen(ptext), max_entries, perr, sizeof(perr));
	free(ptext);
	if (!p)
		snprintf(err, errlen, "profile: %s", perr);
out:
	cJSON_Delete(o);
	return p;
}

struct profile *model_file_load(const char *path, struct model_meta *meta, size_t max_entries,
				char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct profile *p;
	char *buf, perr[300];
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MODEL_FILE_MAX + 1);
	n = buf ? fread(buf, 1, MODEL_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > MODEL_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, buf ? "larger than 64 MiB" : "out of memory");
		free(buf);
		return NULL;
	}
	p = model_parse(buf, n, meta, max_entries, perr, sizeof(perr));
	free(buf);
	if (!p)
		snprintf(err, errlen, "%s: %s", path, perr);
	return p;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int model_dir_each(const char *dir, void (*fn)(void *ctx, const char *path), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p)
				break;
			names = p;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fn(ctx, path);
		free(names[i]);
	}
	free(names);
	return 0;
}

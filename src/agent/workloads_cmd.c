/* workloads_cmd.c - `vigil workloads`. */
#include "agent/workloads_cmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAX (64 * 1024 * 1024)

static char *read_file(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(err, "vigil workloads: %s: %s (is an agent running with this --state-dir?)\n",
			path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *grown = cap + 65536 > STATE_MAX ? NULL : realloc(buf, cap + 65536);
			if (!grown) {
				fprintf(err, "vigil workloads: %s: too large or out of memory\n", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		size_t n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static const char *str_field(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : "";
}

static double num_field(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static void print_row(const cJSON *entry, FILE *out)
{
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(entry, "workload");
	const char *kind = str_field(wl, "kind");
	const char *id = str_field(wl, "id");
	const char *name = !strcmp(kind, "host") ? str_field(wl, "unit") : str_field(wl, "name");
	const cJSON *stopped = cJSON_GetObjectItemCaseSensitive(entry, "stopped");

	fprintf(out, "%-10s %-12.12s %-32.32s %-28.28s %-8s %10.0f\n", kind, id,
		name[0] ? name : "-", str_field(wl, "image")[0] ? str_field(wl, "image") : "-",
		cJSON_IsTrue(stopped) ? "stopped" : "running", num_field(entry, "events"));
}

int workloads_list(const char *state_dir, bool json, FILE *out, FILE *err)
{
	char path[4096];
	char *text;
	cJSON *doc;
	const cJSON *list, *entry;

	if (snprintf(path, sizeof(path), "%s/workloads.json", state_dir) >= (int)sizeof(path)) {
		fprintf(err, "vigil workloads: state directory name too long\n");
		return 2;
	}
	text = read_file(path, err);
	if (!text)
		return 1;
	doc = cJSON_Parse(text);
	free(text);
	list = doc ? cJSON_GetObjectItemCaseSensitive(doc, "workloads") : NULL;
	if (!cJSON_IsArray(list)) {
		fprintf(err, "vigil workloads: %s: not a workload state file\n", path);
		cJSON_Delete(doc);
		return 1;
	}
	int pid = (int)num_field(doc, "pid");
	bool running = pid > 0 && kill(pid, 0) == 0;
	if (!json) {
		fprintf(out, "# agent %s (pid %d)\n", running ? "running" : "not running, last state",
			pid);
		fprintf(out, "%-10s %-12s %-32s %-28s %-8s %10s\n", "KIND", "ID", "NAME/UNIT",
			"IMAGE", "STATE", "EVENTS");
	}
	cJSON_ArrayForEach(entry, list) {
		if (json) {
			char *line = cJSON_PrintUnformatted(entry);
			if (line) {
				fprintf(out, "%s\n", line);
				cJSON_free(line);
			}
		} else {
			print_row(entry, out);
		}
	}
	cJSON_Delete(doc);
	return 0;
}

/* policy_set.c - the policies of several files, loaded all or nothing. */
#include "enforce/policy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_FILE_MAX ((size_t)4 << 20)

struct policy_set *policy_set_new(void)
{
	return calloc(1, sizeof(struct policy_set));
}

void policy_set_free(struct policy_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++)
		policy_free(set->items[i]);
	free(set->items);
	free(set);
}

static const struct policy *find(const struct policy_set *set, const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (!strcmp(set->items[i]->name, name))
			return set->items[i];
	return NULL;
}

int policy_set_add_string(struct policy_set *set, const char *name, const char *data,
			  size_t len, const struct policy_checks *checks, char *err,
			  size_t errlen)
{
	struct policy **found = NULL, **grown;
	size_t n = 0;

	if (!name)
		name = "<string>";
	if (policy_parse_text(name, data, len, &found, &n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct policy *old = find(set, found[i]->name);

		if (old) {
			snprintf(err, errlen, "%s:%d:%d: policy '%s' is already defined at %s:%d:%d",
				 name, found[i]->line, found[i]->col, found[i]->name, old->file,
				 old->line, old->col);
			goto fail;
		}
	}
	grown = realloc(set->items, (set->count + n) * sizeof(*grown));
	if (!grown) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	memcpy(grown + set->count, found, n * sizeof(*grown));
	set->items = grown;
	set->count += n;
	free(found);
	for (size_t i = set->count - n; i < set->count; i++)
		policy_warnings(set->items[i], checks);
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		policy_free(found[i]);
	free(found);
	return -1;
}

/* The whole file, NUL-terminated; NULL with err set. */
static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t got;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(POLICY_FILE_MAX + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
	} else if ((got = fread(buf, 1, POLICY_FILE_MAX + 1, f)) > POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %zu MiB", path, POLICY_FILE_MAX >> 20);
	} else if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
	} else {
		buf[got] = '\0';
		*len = got;
		fclose(f);
		return buf;
	}
	free(buf);
	fclose(f);
	return NULL;
}

int policy_set_add_file(struct policy_set *set, const char *path,
			const struct policy_checks *checks, char *err, size_t errlen)
{
	size_t len;
	char *data = read_all(path, &len, err, errlen);
	int rc;

	if (!data)
		return -1;
	rc = policy_set_add_string(set, path, data, len, checks, err, errlen);
	free(data);
	return rc;
}

int policy_set_load(const char *const *files, size_t n, struct policy_set **out,
		    const struct policy_checks *checks, char *err, size_t errlen)
{
	struct policy_set *set = policy_set_new();
	size_t used = 0;
	int rc = 0;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!set) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char one[1024];

		if (!policy_set_add_file(set, files[i], checks, one, sizeof(one)))
			continue;
		rc = -1;
		if (err && used + 1 < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "",
						 one);
		if (used >= errlen)
			used = errlen - 1;
	}
	if (rc < 0) {
		policy_set_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

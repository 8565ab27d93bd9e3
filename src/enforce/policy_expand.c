/* policy_expand.c - policy globs against the files of a root directory:
 * what the kernel's exact-path maps should hold now (policy_expand_globs)
 * and globs that match nothing (a warning). */
#include "enforce/policy_internal.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* root with glob characters escaped and no trailing '/' ("" for "/"). */
static char *escaped_root(const char *root)
{
	size_t len = strlen(root);
	char *out, *o;

	while (len && root[len - 1] == '/')
		len--;
	out = malloc(2 * len + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i++) {
		if (strchr("*?[\\", root[i]))
			*o++ = '\\';
		*o++ = root[i];
	}
	*o = '\0';
	return out;
}

static size_t root_length(const char *root)
{
	size_t len = strlen(root);

	while (len && root[len - 1] == '/')
		len--;
	return len;
}

long policy_glob(const char *root, const char *pattern,
		 void (*fn)(void *ctx, const char *path), void *ctx)
{
	struct stat st;
	size_t skip = root_length(root);
	char *prefix, *full;
	glob_t g;
	long n = 0;
	int rc;

	if (stat(root, &st) || !S_ISDIR(st.st_mode))
		return -1;
	if (!(prefix = escaped_root(root)))
		return -1;
	full = malloc(strlen(prefix) + strlen(pattern) + 1);
	if (!full) {
		free(prefix);
		return -1;
	}
	strcpy(full, prefix);
	strcat(full, pattern);
	free(prefix);
	rc = glob(full, 0, NULL, &g);
	free(full);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *inside = g.gl_pathv[i] + skip;

		if (strlen(g.gl_pathv[i]) < skip || inside[0] != '/')
			continue;
		if (fn)
			fn(ctx, inside);
		n++;
	}
	globfree(&g);
	return n;
}

struct expand {
	void (*fn)(void *ctx, const struct policy_path_entry *e, const char *abs_path);
	void *ctx;
	const char *root;
	long count;
	bool failed;
	const struct policy_path_entry *entry;
};

static void one_match(void *ctx, const char *path)
{
	struct expand *x = ctx;

	if (x->fn)
		x->fn(x->ctx, x->entry, path);
}

static void expand_entry(void *ctx, const struct policy_path_entry *e)
{
	struct expand *x = ctx;
	const struct policy_path *pt = e->path;
	long n;

	if (pt->type == POLICY_PATH_EXACT || (pt->type == POLICY_PATH_SUBTREE && !pt->dir_is_glob))
		return;
	x->entry = e;
	n = policy_glob(x->root, pt->text, one_match, x);
	if (n < 0)
		x->failed = true;
	else
		x->count += n;
}

long policy_expand_globs(const struct policy *p, const char *root_dir,
			 void (*fn)(void *ctx, const struct policy_path_entry *e,
				    const char *abs_path),
			 void *ctx)
{
	struct expand x = {.fn = fn, .ctx = ctx, .root = root_dir};
	struct stat st;

	if (!root_dir || stat(root_dir, &st) || !S_ISDIR(st.st_mode))
		return -1;
	policy_each_path(p, expand_entry, &x);
	return x.failed && !x.count ? -1 : x.count;
}

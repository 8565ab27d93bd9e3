/* policy_cmd.c - `vigil policy check [--root DIR] FILE...`: load the files
 * as one set, as the agent would, and say what is wrong with them. */
#include "enforce/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_ERR_MAX 8192

static void print_warning(void *ctx, const char *msg)
{
	size_t *count = ctx;

	fprintf(stderr, "warning: %s\n", msg);
	(*count)++;
}

static int usage(void)
{
	fprintf(stderr, "usage: vigil policy check [--root DIR] FILE...\n"
		"  Parse and validate policy files as one set.  --root: check that globs\n"
		"  match files under DIR (default /).\n");
	return 2;
}

int policy_check_main(int argc, char **argv)
{
	size_t warnings = 0, policies = 0;
	struct policy_checks checks = {.warn = print_warning, .warn_ctx = &warnings,
				       .root_dir = "/"};
	struct policy_set *set = NULL;
	char *err;
	int first = 1;

	if (first < argc && !strcmp(argv[first], "check"))
		first++;
	if (first + 1 < argc && !strcmp(argv[first], "--root")) {
		checks.root_dir = argv[first + 1];
		first += 2;
	}
	if (first >= argc || argv[first][0] == '-')
		return usage();
	if (!(err = malloc(CHECK_ERR_MAX))) {
		fprintf(stderr, "vigil policy check: out of memory\n");
		return 1;
	}
	if (policy_set_load((const char *const *)argv + first, (size_t)(argc - first), &set,
			    &checks, err, CHECK_ERR_MAX) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return 1;
	}
	policies = set->count;
	printf("ok: %zu polic%s", policies, policies == 1 ? "y" : "ies");
	if (warnings)
		printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
	printf("\n");
	policy_set_free(set);
	free(err);
	return 0;
}

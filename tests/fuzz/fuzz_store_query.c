/* fuzz_store_query.c - the store commands' argument parsers on arbitrary
 * bytes: durations, times, sizes, counts, the event filter on hostile
 * JSON text, and a command's whole option parsing (the input split at
 * NULs into argv; the database path does not exist, so a command ends
 * in help, "no such store" or a named bad argument, never a crash).
 *
 * A refusal must say why; an accepted time must come back the same when
 * formatted and parsed again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "store/store_args.h"
#include "store/store_cmd.h"
#include "store/store_filter.h"
#include "util/time_format.h"

static void check_time(const char *s)
{
	char err[256] = "", text[64];
	uint64_t ns, again;

	if (store_parse_time(s, 1795855041ULL * 1000000000ULL, &ns, err, sizeof(err)) != 0) {
		if (!err[0])
			abort();
		return;
	}
	if (ns >= 253402300800ULL * 1000000000ULL)	/* after 9999: not formattable */
		return;
	format_rfc3339_ns(text, sizeof(text), ns);
	if (store_parse_time(text, 0, &again, err, sizeof(err)) != 0 || again != ns) {
		fprintf(stderr, "'%s' -> %llu -> '%s' -> %llu\n", s, (unsigned long long)ns, text,
			(unsigned long long)again);
		abort();
	}
}

static void check_refusal_says_why(int rc, const char *err)
{
	if (rc != 0 && !err[0])
		abort();
}

/* Split at NULs into at most 16 arguments after the command's name. */
static int split(char *s, size_t n, char **argv)
{
	int argc = 1;

	argv[0] = "events";
	for (size_t i = 0; i < n && argc < 16;) {
		argv[argc++] = s + i;
		i += strlen(s + i) + 1;
	}
	argv[argc] = NULL;
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *argv[18], err[256];
	uint64_t v;
	int devnull, saved_out, saved_err;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	check_refusal_says_why(store_parse_duration(s, &v, err, sizeof(err)), err);
	err[0] = '\0';
	check_refusal_says_why(store_parse_size(s, &v, err, sizeof(err)), err);
	err[0] = '\0';
	check_refusal_says_why(store_parse_count(s, 1000, &v, err, sizeof(err)), err);
	check_time(s);
	store_filter_keep_event((const char *)data, size, STORE_EVENTS_SECURITY, true);
	store_filter_sensitive_path((const char *)data, size);

	/* the commands' option parsing, quietly */
	fflush(stdout);
	fflush(stderr);
	devnull = open("/dev/null", O_WRONLY);
	saved_out = dup(1);
	saved_err = dup(2);
	if (devnull >= 0) {
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	int argc = split(s, size, argv);
	int rc = store_cmd_events("/nonexistent/vigil-fuzz/audit.db", argc, argv);
	argv[0] = "show";
	int rc2 = store_cmd_incident_show("/nonexistent/vigil-fuzz/audit.db", argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	if (devnull >= 0)
		close(devnull);
	/* 0 (help shown), 1 (the store is missing) or 2 (a bad argument) */
	if (rc < 0 || rc > 2 || rc2 < 0 || rc2 > 2)
		abort();
	free(s);
	return 0;
}

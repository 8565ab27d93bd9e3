/* fuzz_profile.c - profile_parse on arbitrary bytes.
 *
 * A refusal must say why.  A profile that parses must write text that
 * parses to the same text, answer lookups, and stay loadable after more
 * learning and after being merged into a small profile (so learning and
 * merging on whatever state a document can describe keep the bound and
 * write only what the parser accepts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"

static const struct {
	enum profile_category c;
	const char *key;
} probes[] = {
	{PROF_READ, "/etc/passwd"},
	{PROF_READ, "/data/out-1/deeper"},
	{PROF_WRITE, "/tmp/*"},
	{PROF_EXEC, "/bin/sh <- /usr/bin/bash as root"},
	{PROF_NET_OUT, "tcp 10.0.0.1:443"},
	{PROF_NET_OUT, "tcp [fd00:1:2:3::9]:53"},
	{PROF_NET_OUT, "unix /run/user/1/bus"},
	{PROF_NET_IN, "tcp 10.1.2.3"},
	{PROF_LISTEN, "tcp :8080"},
};

/* text -> profile -> text must be a fixed point; returns the text. */
static char *reload(const char *text, size_t max)
{
	char err[256];
	struct profile *p = profile_parse(text, strlen(text), max, err, sizeof(err));
	char *again;

	if (!p) {
		fprintf(stderr, "written text refused: %s\n%s\n", err, text);
		abort();
	}
	again = profile_to_json(p);
	if (!again || strcmp(again, text)) {
		fprintf(stderr, "not a fixed point:\n%s\n%s\n", text, again ? again : "(null)");
		abort();
	}
	profile_free(p);
	return again;
}

static void check_bound(const struct profile *p, size_t max)
{
	for (int c = 0; c < PROF_CATEGORIES; c++)
		if (profile_size(p, c) > max)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", *text, key[64];
	struct profile *p = profile_parse((const char *)data, size, 0, err, sizeof(err));
	struct profile *small;

	if (!p) {
		if (!err[0])
			abort();
		return 0;
	}
	text = profile_to_json(p);
	if (!text)
		abort();
	free(reload(text, 0));
	free(text);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct profile_entry_info info;

		if (profile_covers(p, probes[i].c, probes[i].key, strlen(probes[i].key), &info) &&
		    (!info.key || !info.count))
			abort();
		profile_learn(p, probes[i].c, probes[i].key, strlen(probes[i].key), 7);
		if (!profile_covers(p, probes[i].c, probes[i].key, strlen(probes[i].key), NULL) &&
		    profile_size(p, probes[i].c) == 0)
			abort();	/* refused although the category was empty */
	}
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "/data/out-%d", i);
		profile_learn(p, PROF_WRITE, key, strlen(key), 8);
		snprintf(key, sizeof(key), "tcp 10.0.%d.%d:443", i % 3, i);
		profile_learn(p, PROF_NET_OUT, key, strlen(key), 8);
	}
	profile_count(p, RATE_EXEC, 9);
	text = profile_to_json(p);
	if (!text)
		abort();
	free(reload(text, 0));
	free(text);

	small = profile_new(8);
	if (!small)
		abort();
	profile_merge(small, p);
	check_bound(small, 8);
	text = profile_to_json(small);
	if (!text)
		abort();
	free(reload(text, 8));
	free(text);
	profile_free(small);
	profile_free(p);
	return 0;
}

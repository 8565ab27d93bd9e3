/* test_profile.c - learned profiles: coverage, generalisation from the
 * data, bounds, hour-of-week rates, and the file format's refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "model/model_file.h"
#include "model/profile.h"
#include "test.h"

#define SEC 1000000000ULL
#define HOUR (3600ULL * SEC)
/* Monday 2026-11-30 00:00:00 UTC */
#define MONDAY (1796083200ULL * SEC)

static bool learn(struct profile *p, enum profile_category c, const char *key)
{
	return profile_learn(p, c, key, strlen(key), MONDAY);
}

static bool covers(const struct profile *p, enum profile_category c, const char *key)
{
	return profile_covers(p, c, key, strlen(key), NULL);
}

TEST(new_then_known)
{
	struct profile *p = profile_new(0);

	CHECK(learn(p, PROF_EXEC, "/usr/bin/curl <- /bin/sh as app"));
	CHECK(!learn(p, PROF_EXEC, "/usr/bin/curl <- /bin/sh as app"));
	CHECK(covers(p, PROF_EXEC, "/usr/bin/curl <- /bin/sh as app"));
	CHECK(!covers(p, PROF_EXEC, "/usr/bin/curl <- /bin/bash as app"));
	CHECK(!covers(p, PROF_READ, "/usr/bin/curl <- /bin/sh as app"));	/* per category */
	CHECK_INT(profile_size(p, PROF_EXEC), 1);
	profile_free(p);
}

TEST(directory_generalises_from_the_data)
{
	struct profile *p = profile_new(0);
	char path[64];
	struct profile_entry_info info;

	for (int i = 1; i <= 40; i++) {
		snprintf(path, sizeof(path), "/data/out-%d", i);
		learn(p, PROF_WRITE, path);
		learn(p, PROF_WRITE, "/etc/app.conf");	/* a fixed file, again and again */
	}
	CHECK_INT(profile_size(p, PROF_WRITE), 2);
	CHECK(profile_covers(p, PROF_WRITE, "/data/out-99", 12, &info));
	CHECK_STR(info.key, "/data/*");
	CHECK_INT(info.count, 40);
	CHECK(covers(p, PROF_WRITE, "/data/deeper/still"));	/* any depth below */
	CHECK(profile_covers(p, PROF_WRITE, "/etc/app.conf", 13, &info));
	CHECK_STR(info.key, "/etc/app.conf");	/* stays exact */
	CHECK(!covers(p, PROF_WRITE, "/etc/shadow"));
	CHECK(!covers(p, PROF_WRITE, "/dat"));
	/* 16 names in a directory stay exact */
	for (int i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/srv/f%d", i);
		learn(p, PROF_READ, path);
	}
	CHECK(!covers(p, PROF_READ, "/srv/other"));
	CHECK_INT(profile_size(p, PROF_READ), 16);
	profile_free(p);
}

TEST(nested_directories_fold_upwards)
{
	struct profile *p = profile_new(0);
	char path[80];

	/* per-request dirs with a file each: /tmp/req-N/body */
	for (int i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "/var/cache/app/req-%d/body", i);
		learn(p, PROF_CREATE, path);
	}
	CHECK(covers(p, PROF_CREATE, "/var/cache/app/req-777/body"));
	CHECK(!covers(p, PROF_CREATE, "/var/cache/other"));
	CHECK(profile_size(p, PROF_CREATE) <= 2);
	profile_free(p);
}

TEST(peers_generalise_to_ranges_then_any)
{
	struct profile *p = profile_new(0);
	char key[80];

	for (int i = 1; i <= 20; i++) {
		snprintf(key, sizeof(key), "tcp 10.0.1.%d:5432", i);
		learn(p, PROF_NET_OUT, key);
	}
	CHECK(covers(p, PROF_NET_OUT, "tcp 10.0.1.200:5432"));
	CHECK(!covers(p, PROF_NET_OUT, "tcp 10.0.2.1:5432"));	/* another /24 */
	CHECK(!covers(p, PROF_NET_OUT, "tcp 10.0.1.200:5433"));	/* another port */
	for (int i = 1; i <= 20; i++) {
		snprintf(key, sizeof(key), "tcp 10.%d.9.1:443", i);
		learn(p, PROF_NET_OUT, key);
		snprintf(key, sizeof(key), "tcp 10.%d.9.2:443", i);
		learn(p, PROF_NET_OUT, key);
	}
	CHECK(covers(p, PROF_NET_OUT, "tcp 192.168.7.7:443"));	/* many ranges: any */
	CHECK(!covers(p, PROF_NET_OUT, "udp 192.168.7.7:443"));
	CHECK(covers(p, PROF_NET_OUT, "tcp 10.0.1.9:5432"));
	profile_free(p);
}

TEST(bound_holds_and_knowledge_stays)
{
	struct profile *p = profile_new(64);
	char path[80];
	bool all = true;

	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/srv/d%d/f%d", i % 7, i);
		learn(p, PROF_READ, path);
		all = all && profile_size(p, PROF_READ) <= 64;
	}
	CHECK(all);
	for (int i = 0; i < 1000; i += 37) {
		snprintf(path, sizeof(path), "/srv/d%d/f%d", i % 7, i);
		CHECK(covers(p, PROF_READ, path));
	}
	/* exact-only categories refuse newcomers at the bound, keep the rest */
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/bin/tool%d <- /bin/sh as root", i);
		CHECK(learn(p, PROF_EXEC, path));
	}
	CHECK_INT(profile_size(p, PROF_EXEC), 64);
	CHECK(covers(p, PROF_EXEC, "/bin/tool0 <- /bin/sh as root"));
	profile_free(p);
}

TEST(hour_of_week_rates)
{
	struct profile *p = profile_new(0);
	double mean;
	unsigned hours;

	/* MONDAY is bucket 0: 1970-01-01 was a Thursday */
	profile_count(p, RATE_EXEC, MONDAY);
	profile_count(p, RATE_EXEC, MONDAY + HOUR);	/* closes Monday 00:00 with 1 */
	profile_rate_expected(p, RATE_EXEC, MONDAY + 7 * 24 * HOUR, &mean, &hours);
	CHECK_INT(hours, 1);
	CHECK(mean > 0.99 && mean < 1.01);
	profile_free(p);

	/* three weeks of a batch job at Monday 09:00 (50 execs), quiet otherwise,
	 * with a heartbeat every hour so every hour is seen passing */
	p = profile_new(0);
	for (uint64_t h = 0; h < 3 * 168 + 1; h++) {
		uint64_t t = MONDAY + h * HOUR;

		profile_count(p, RATE_FILE, t);
		if (h % 168 == 9)
			for (int i = 0; i < 50; i++)
				profile_count(p, RATE_EXEC, t + (uint64_t)i * SEC);
	}
	profile_rate_expected(p, RATE_EXEC, MONDAY + 3 * 168 * HOUR + 9 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean > 49.9 && mean < 50.1);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 3 * 168 * HOUR + 10 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean < 0.01);
	profile_rate_expected(p, RATE_FILE, MONDAY + 3 * 168 * HOUR + 10 * HOUR, &mean, &hours);
	CHECK(mean > 0.99 && mean < 1.01);
	CHECK_INT(profile_rate_current(p, RATE_FILE), 1);
	profile_free(p);
}

TEST(merge_unions)
{
	struct profile *a = profile_new(0), *b = profile_new(0);

	learn(a, PROF_READ, "/etc/a");
	learn(b, PROF_READ, "/etc/b");
	profile_count(b, RATE_NET, MONDAY);
	profile_count(b, RATE_NET, MONDAY + HOUR);
	profile_merge(a, b);
	CHECK(covers(a, PROF_READ, "/etc/a") && covers(a, PROF_READ, "/etc/b"));
	double mean;
	unsigned hours;

	profile_rate_expected(a, RATE_NET, MONDAY, &mean, &hours);
	CHECK_INT(hours, 1);
	profile_free(a);
	profile_free(b);
}

/* Every prefix of a valid document fails cleanly or parses equal;
 * damaged bytes never crash. */
TEST(file_format_refuses_damage)
{
	struct profile *p = profile_new(0), *q;
	char err[256], *text, *again;
	size_t len;
	int refused = 0;

	learn(p, PROF_READ, "/etc/app.conf");
	learn(p, PROF_NET_OUT, "tcp 10.0.0.1:443");
	profile_count(p, RATE_EXEC, MONDAY);
	text = profile_to_json(p);
	len = strlen(text);
	q = profile_parse(text, len, 0, err, sizeof(err));
	CHECK(q != NULL);
	again = q ? profile_to_json(q) : NULL;
	CHECK(again && !strcmp(again, text));
	free(again);
	profile_free(q);
	for (size_t cut = 0; cut < len; cut++) {
		err[0] = '\0';
		q = profile_parse(text, cut, 0, err, sizeof(err));
		refused += q == NULL && err[0];
		profile_free(q);
	}
	CHECK_INT(refused, (int)len);
	for (size_t i = 0; i < len; i += 7) {
		char saved = text[i];

		text[i] = (char)(text[i] ^ 0x5a);
		profile_free(profile_parse(text, len, 0, err, sizeof(err)));
		text[i] = saved;
	}
	q = profile_parse("{\"version\":2}", 13, 0, err, sizeof(err));
	CHECK(q == NULL && strstr(err, "version"));
	free(text);
	profile_free(p);
}

TEST(model_file_errors_name_the_problem)
{
	struct model_meta m;
	char err[512];
	struct profile *p;

	p = model_parse("{\"version\":1,\"id\":\"x\",\"mode\":\"dreaming\"}", 41, &m, 0, err,
			sizeof(err));
	CHECK(p == NULL && strstr(err, "created"));
	p = model_parse("[1,2]", 5, &m, 0, err, sizeof(err));
	CHECK(p == NULL && strstr(err, "not a JSON object"));
}

/* Keys come from monitored processes: whatever they are, the YAML parses. */
TEST(yaml_of_hostile_names_is_valid)
{
	static const char *const keys[] = {
		"/tmp/a\nb: c", "/tmp/\"quoted\"", "- dash", "/tmp/# hash", "/tmp/x: y",
		"/tmp/\xff\xfe invalid", "*alias", "/tmp/tab\there", "/tmp/back\\slash",
		"[flow]", "{map}", "/tmp/trailing:", "/tmp/ok-name_1.2",
	};
	struct profile *p = profile_new(0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	yaml_parser_t parser;
	yaml_event_t ev;
	bool ok = true;
	int scalars = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		profile_learn(p, PROF_EXEC, keys[i], strlen(keys[i]), MONDAY);
	profile_write_yaml(p, f, "");
	fclose(f);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			ok = false;
			fprintf(stderr, "  yaml: %s at line %zu\n%s", parser.problem,
				parser.problem_mark.line + 1, buf);
			break;
		}
		scalars += ev.type == YAML_SCALAR_EVENT;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	CHECK(ok);
	CHECK_INT(scalars, 14);	/* the key "exec" and 13 entries */
	free(buf);
	profile_free(p);
}

int main(void)
{
	RUN(new_then_known);
	RUN(directory_generalises_from_the_data);
	RUN(nested_directories_fold_upwards);
	RUN(peers_generalise_to_ranges_then_any);
	RUN(bound_holds_and_knowledge_stays);
	RUN(hour_of_week_rates);
	RUN(merge_unions);
	RUN(file_format_refuses_damage);
	RUN(model_file_errors_name_the_problem);
	RUN(yaml_of_hostile_names_is_valid);
	return TEST_SUMMARY();
}

/* test_profile.c - learned profiles: coverage, generalisation, the bound,
 * hour-of-week rates, merge, JSON and YAML. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "model/model_file.h"
#include "model/profile.h"
#include "test.h"

#define NS 1000000000ULL
#define HOUR (3600ULL * NS)
/* Monday 2026-11-30 00:00:00 UTC */
#define MONDAY (1795996800ULL * NS)

static bool learn(struct profile *p, enum profile_category c, const char *key, uint64_t t)
{
	return profile_learn(p, c, key, strlen(key), t);
}

static bool covers(const struct profile *p, enum profile_category c, const char *key)
{
	return profile_covers(p, c, key, strlen(key), NULL);
}

/* The key of the only entry of a category ("" when there are more). */
struct only {
	char key[256];
	size_t n;
	uint64_t first, last, count;
};

static void only_fn(void *ctx, const struct profile_entry_info *e)
{
	struct only *o = ctx;

	snprintf(o->key, sizeof(o->key), "%s", e->key);
	o->first = e->first_seen_ns;
	o->last = e->last_seen_ns;
	o->count = e->count;
	o->n++;
}

static struct only only_entry(const struct profile *p, enum profile_category c)
{
	struct only o = {{0}};

	profile_each(p, c, only_fn, &o);
	if (o.n != 1)
		o.key[0] = '\0';
	return o;
}

static char *yaml_of(const struct profile *p, const char *indent)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	profile_write_yaml(p, f, indent);
	fclose(f);
	return text;
}

TEST(category_names)
{
	for (int c = 0; c < PROF_CATEGORIES; c++)
		CHECK_INT(profile_category_from_name(profile_category_name(c)), c);
	CHECK_STR(profile_category_name(PROF_NET_OUT), "net_out");
	CHECK_INT(profile_category_from_name("nope"), -1);
	CHECK_INT(profile_category_from_name(NULL), -1);
}

TEST(learn_and_cover)
{
	struct profile *p = profile_new(0);
	struct profile_entry_info info;

	CHECK(!covers(p, PROF_EXEC, "/bin/ls <- /bin/sh as root"));
	CHECK(learn(p, PROF_EXEC, "/bin/ls <- /bin/sh as root", 100));
	CHECK(!learn(p, PROF_EXEC, "/bin/ls <- /bin/sh as root", 200));
	CHECK(!learn(p, PROF_EXEC, "/bin/ls <- /bin/sh as root", 50));
	CHECK(profile_covers(p, PROF_EXEC, "/bin/ls <- /bin/sh as root", 26, &info));
	CHECK_STR(info.key, "/bin/ls <- /bin/sh as root");
	CHECK_INT(info.first_seen_ns, 50);
	CHECK_INT(info.last_seen_ns, 200);
	CHECK_INT(info.count, 3);
	/* categories are separate; exec keys match exactly only */
	CHECK(!covers(p, PROF_READ, "/bin/ls <- /bin/sh as root"));
	CHECK(!covers(p, PROF_EXEC, "/bin/ls <- /bin/sh as roo"));
	CHECK(!covers(p, PROF_EXEC, "/bin/ls <- /bin/sh as root "));
	/* len is honoured, and a key ends at its first NUL */
	CHECK(profile_covers(p, PROF_EXEC, "/bin/ls <- /bin/sh as rootXYZ", 26, NULL));
	CHECK(!learn(p, PROF_EXEC, "/bin/ls <- /bin/sh as root\0junk", 100));
	CHECK(!profile_learn(p, PROF_EXEC, "/bin/ls <- /bin/sh as root\0junk", 31, 100));
	CHECK_INT(profile_size(p, PROF_EXEC), 1);
	CHECK_INT(profile_size(p, PROF_READ), 0);
	/* nothing to learn from an empty key: new, and not stored */
	CHECK(profile_learn(p, PROF_READ, "", 0, 1));
	CHECK_INT(profile_size(p, PROF_READ), 0);
	/* syscall and priv keys are exact too */
	CHECK(learn(p, PROF_SYSCALL, "/bin/ls openat", 1));
	CHECK(!covers(p, PROF_SYSCALL, "/bin/ls open"));
	CHECK(learn(p, PROF_PRIV, "/bin/su setuid 0", 1));
	CHECK(covers(p, PROF_PRIV, "/bin/su setuid 0"));
	profile_free(p);
}

TEST(directory_generalises)
{
	struct profile *p = profile_new(0);
	char key[64];
	struct only o;

	for (int i = 1; i <= 40; i++) {
		snprintf(key, sizeof(key), "/data/out-%d", i);
		CHECK(learn(p, PROF_WRITE, key, (uint64_t)i * NS) == (i <= 17));
		CHECK(!learn(p, PROF_WRITE, key, (uint64_t)i * NS));
		CHECK(learn(p, PROF_WRITE, "/etc/app.conf", (uint64_t)i * NS) == (i == 1));
		if (i == 16)
			CHECK_INT(profile_size(p, PROF_WRITE), 17);	/* 16 names: still exact */
	}
	CHECK_INT(profile_size(p, PROF_WRITE), 2);
	CHECK(covers(p, PROF_WRITE, "/etc/app.conf"));
	CHECK(!covers(p, PROF_WRITE, "/etc/other.conf"));
	CHECK(covers(p, PROF_WRITE, "/data/out-99"));
	CHECK(covers(p, PROF_WRITE, "/data/deeper/still/x"));	/* any depth */
	CHECK(!covers(p, PROF_WRITE, "/data"));			/* not DIR itself */
	CHECK(!covers(p, PROF_WRITE, "/database/x"));
	CHECK(!covers(p, PROF_READ, "/data/out-1"));		/* per category */
	profile_free(p);

	/* the /data entry keeps the earliest first, the latest last, the sum */
	p = profile_new(0);
	for (int i = 1; i <= 40; i++) {
		snprintf(key, sizeof(key), "/data/out-%d", i);
		learn(p, PROF_WRITE, key, (uint64_t)i * NS);
		learn(p, PROF_WRITE, key, (uint64_t)i * NS + 1);
	}
	o = only_entry(p, PROF_WRITE);
	CHECK_STR(o.key, "/data/*");
	CHECK_INT(o.first, 1 * NS);
	CHECK_INT(o.last, 40 * NS + 1);
	CHECK_INT(o.count, 80);
	profile_free(p);
}

TEST(fixed_file_read_often_stays_exact)
{
	struct profile *p = profile_new(0);

	for (int i = 0; i < 1000; i++)
		learn(p, PROF_READ, "/etc/app.conf", (uint64_t)i);
	for (int i = 0; i < 16; i++) {	/* 16 siblings: at the fanout, not past it */
		char key[64];

		snprintf(key, sizeof(key), "/etc/app.d/%02d.conf", i);
		learn(p, PROF_READ, key, 1);
	}
	CHECK_INT(profile_size(p, PROF_READ), 17);
	CHECK(!covers(p, PROF_READ, "/etc/app.d/99.conf"));
	CHECK(!covers(p, PROF_READ, "/etc/shadow"));
	CHECK(covers(p, PROF_READ, "/etc/app.conf"));
	profile_free(p);
}

TEST(nested_directories)
{
	struct profile *p = profile_new(0);
	char key[64];
	struct profile_entry_info info;
	struct only o;

	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "/srv/app/cache/c%d", i);
		learn(p, PROF_CREATE, key, 1);
	}
	learn(p, PROF_CREATE, "/srv/app/state.db", 1);
	CHECK_INT(profile_size(p, PROF_CREATE), 2);
	CHECK(profile_covers(p, PROF_CREATE, "/srv/app/cache/new/x", 20, &info));
	CHECK_STR(info.key, "/srv/app/cache/*");
	CHECK(!covers(p, PROF_CREATE, "/srv/app/other"));
	/* /srv/app gets 17 names: it folds, taking cache/\* with it */
	for (int i = 0; i < 15; i++) {
		snprintf(key, sizeof(key), "/srv/app/f%d", i);
		learn(p, PROF_CREATE, key, 2);
	}
	o = only_entry(p, PROF_CREATE);
	CHECK_STR(o.key, "/srv/app/*");
	CHECK_INT(o.count, 36);
	CHECK(covers(p, PROF_CREATE, "/srv/app/cache/c1"));
	CHECK(!covers(p, PROF_CREATE, "/srv/other"));
	profile_free(p);

	/* per-request directories with a file each fold at their parent */
	p = profile_new(0);
	for (int i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "/var/cache/app/req-%d/body", i);
		learn(p, PROF_CREATE, key, 1);
	}
	CHECK_STR(only_entry(p, PROF_CREATE).key, "/var/cache/app/*");
	CHECK(covers(p, PROF_CREATE, "/var/cache/app/req-777/body"));
	CHECK(!covers(p, PROF_CREATE, "/var/cache/other"));
	profile_free(p);

	/* /proc/<pid>/status: the pids are the names of /proc */
	p = profile_new(0);
	for (int pid = 100; pid < 120; pid++) {
		snprintf(key, sizeof(key), "/proc/%d/status", pid);
		learn(p, PROF_READ, key, 1);
	}
	CHECK_STR(only_entry(p, PROF_READ).key, "/proc/*");
	profile_free(p);
}

TEST(root_never_generalises)
{
	struct profile *p = profile_new(0);
	char key[32];

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "/top%d", i);
		CHECK(learn(p, PROF_READ, key, 1));
	}
	CHECK_INT(profile_size(p, PROF_READ), 100);
	CHECK(!covers(p, PROF_READ, "/etc/shadow"));
	profile_free(p);
}

TEST(literal_star_is_not_a_wildcard)
{
	struct profile *p = profile_new(0), *q;
	char *json, *json2, err[200];

	CHECK(learn(p, PROF_READ, "/tmp/*", 1));	/* a file named "*" */
	CHECK(covers(p, PROF_READ, "/tmp/*"));
	CHECK(!covers(p, PROF_READ, "/tmp/secret"));
	CHECK(learn(p, PROF_NET_OUT, "tcp *:443", 1));	/* odd, but only itself */
	CHECK(!covers(p, PROF_NET_OUT, "tcp 1.2.3.4:443"));
	json = profile_to_json(p);
	CHECK(json && strstr(json, "[\"/tmp/*\",\"1\",\"1\",\"1\",\"exact\"]"));
	q = profile_parse(json, strlen(json), 0, err, sizeof(err));
	CHECK(q);
	if (q) {
		CHECK(!covers(q, PROF_READ, "/tmp/secret"));
		CHECK(!covers(q, PROF_NET_OUT, "tcp 1.2.3.4:443"));
		json2 = profile_to_json(q);
		CHECK_STR(json2, json);
		free(json2);
		profile_free(q);
	}
	free(json);
	/* a real /tmp/\* absorbs the literal one */
	for (int i = 0; i < 17; i++) {
		char key[32];

		snprintf(key, sizeof(key), "/tmp/f%d", i);
		learn(p, PROF_READ, key, 2);
	}
	CHECK_INT(profile_size(p, PROF_READ), 1);
	CHECK(covers(p, PROF_READ, "/tmp/secret"));
	profile_free(p);
}

TEST(peers_generalise)
{
	struct profile *p = profile_new(0);
	struct profile_entry_info info;
	char key[64];
	struct only o;

	for (int i = 1; i <= 17; i++) {
		snprintf(key, sizeof(key), "tcp 10.0.0.%d:5432", i);
		CHECK(learn(p, PROF_NET_OUT, key, (uint64_t)i));
	}
	learn(p, PROF_NET_OUT, "udp 10.0.0.1:53", 1);
	CHECK_INT(profile_size(p, PROF_NET_OUT), 2);
	CHECK(profile_covers(p, PROF_NET_OUT, "tcp 10.0.0.200:5432", 19, &info));
	CHECK_STR(info.key, "tcp 10.0.0.*:5432");
	CHECK_INT(info.count, 17);
	CHECK(!covers(p, PROF_NET_OUT, "tcp 10.0.1.1:5432"));
	CHECK(!covers(p, PROF_NET_OUT, "tcp 10.0.0.1:5433"));
	CHECK(!covers(p, PROF_NET_OUT, "udp 10.0.0.2:53"));
	/* the port is in ranges now: a new address is learned as its /24 */
	CHECK(learn(p, PROF_NET_OUT, "tcp 192.168.7.9:5432", 1));
	CHECK(covers(p, PROF_NET_OUT, "tcp 192.168.7.10:5432"));
	/* more than 16 /24s: any address on the port */
	for (int i = 1; i <= 16; i++) {
		snprintf(key, sizeof(key), "tcp 172.16.%d.1:5432", i);
		learn(p, PROF_NET_OUT, key, 1);
	}
	CHECK(profile_covers(p, PROF_NET_OUT, "tcp 8.8.8.8:5432", 16, &info));
	CHECK_STR(info.key, "tcp *:5432");
	CHECK_INT(info.count, 34);
	CHECK(!covers(p, PROF_NET_OUT, "tcp 8.8.8.8:5433"));
	CHECK_INT(profile_size(p, PROF_NET_OUT), 2);
	profile_free(p);

	/* 17 addresses in 17 /24s: straight through ranges to any */
	p = profile_new(0);
	for (int i = 1; i <= 17; i++) {
		snprintf(key, sizeof(key), "tcp 10.%d.0.1:443", i);
		learn(p, PROF_NET_OUT, key, 1);
	}
	CHECK_STR(only_entry(p, PROF_NET_OUT).key, "tcp *:443");
	profile_free(p);

	/* IPv6: the /64 */
	p = profile_new(0);
	for (int i = 1; i <= 17; i++) {
		snprintf(key, sizeof(key), "tcp [fd00:1:2:3::%x]:443", i);
		learn(p, PROF_NET_OUT, key, 1);
	}
	o = only_entry(p, PROF_NET_OUT);
	CHECK_STR(o.key, "tcp [fd00:1:2:3::*]:443");
	CHECK_INT(o.count, 17);
	CHECK(covers(p, PROF_NET_OUT, "tcp [fd00:1:2:3:ffff::1]:443"));
	CHECK(!covers(p, PROF_NET_OUT, "tcp [fd00:1:2:4::1]:443"));
	CHECK(!covers(p, PROF_NET_OUT, "tcp 10.0.0.1:443"));
	profile_free(p);

	/* net_in: peers without a port */
	p = profile_new(0);
	for (int i = 1; i <= 17; i++) {
		snprintf(key, sizeof(key), "tcp 10.9.8.%d", i);
		learn(p, PROF_NET_IN, key, 1);
	}
	CHECK_STR(only_entry(p, PROF_NET_IN).key, "tcp 10.9.8.*");
	CHECK(covers(p, PROF_NET_IN, "tcp 10.9.8.100"));
	CHECK(!covers(p, PROF_NET_IN, "udp 10.9.8.100"));
	profile_free(p);

	/* unix sockets generalise like paths */
	p = profile_new(0);
	for (int i = 1; i <= 17; i++) {
		snprintf(key, sizeof(key), "unix /run/user/%d/bus", i);
		learn(p, PROF_NET_OUT, key, 1);
	}
	learn(p, PROF_NET_OUT, "unix /run/dbus/system_bus_socket", 1);
	CHECK(covers(p, PROF_NET_OUT, "unix /run/user/4242/bus"));
	CHECK(covers(p, PROF_NET_OUT, "unix /run/dbus/system_bus_socket"));
	CHECK(!covers(p, PROF_NET_OUT, "unix /run/other.sock"));
	CHECK_INT(profile_size(p, PROF_NET_OUT), 2);
	/* listening ports stay exact */
	CHECK(learn(p, PROF_LISTEN, "tcp :8080", 1));
	CHECK(!covers(p, PROF_LISTEN, "tcp :8081"));
	profile_free(p);
}

TEST(bound_folds_directories)
{
	struct profile *p = profile_new(64);
	char key[96];
	bool all_covered = true, bounded = true;

	/* 1000 files in 100 directories of 10: no fanout, only the bound */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "/var/lib/app/d%d/s%d/file%d", i % 10, (i / 10) % 10,
			 i / 100);
		learn(p, PROF_READ, key, (uint64_t)i);
		bounded &= profile_size(p, PROF_READ) <= 64;
	}
	CHECK(bounded);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "/var/lib/app/d%d/s%d/file%d", i % 10, (i / 10) % 10,
			 i / 100);
		all_covered &= covers(p, PROF_READ, key);
	}
	CHECK(all_covered);
	CHECK(!covers(p, PROF_READ, "/etc/shadow"));
	CHECK(!covers(p, PROF_READ, "/var/lib/other"));
	profile_free(p);

	/* the same across a few top-level directories */
	p = profile_new(64);
	all_covered = bounded = true;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "/%s/x%d/y%d", (const char *[]){"srv", "opt", "home"}[i % 3],
			 (i / 3) % 12, i);
		learn(p, PROF_WRITE, key, 1);
		bounded &= profile_size(p, PROF_WRITE) <= 64;
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "/%s/x%d/y%d", (const char *[]){"srv", "opt", "home"}[i % 3],
			 (i / 3) % 12, i);
		all_covered &= covers(p, PROF_WRITE, key);
	}
	CHECK(bounded);
	CHECK(all_covered);
	CHECK(!covers(p, PROF_WRITE, "/etc/passwd"));
	profile_free(p);
}

TEST(bound_refuses_what_cannot_fold)
{
	struct profile *p = profile_new(64);
	char key[64];

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "/bin/tool%d <- /bin/sh as root", i);
		CHECK(learn(p, PROF_EXEC, key, 1));
	}
	CHECK_INT(profile_size(p, PROF_EXEC), 64);
	/* the first 64 are kept and refreshed, the others stay new */
	CHECK(!learn(p, PROF_EXEC, "/bin/tool0 <- /bin/sh as root", 2));
	CHECK(!learn(p, PROF_EXEC, "/bin/tool63 <- /bin/sh as root", 2));
	CHECK(learn(p, PROF_EXEC, "/bin/tool64 <- /bin/sh as root", 2));
	CHECK(learn(p, PROF_EXEC, "/bin/tool64 <- /bin/sh as root", 3));
	CHECK(!covers(p, PROF_EXEC, "/bin/tool99 <- /bin/sh as root"));
	CHECK_INT(profile_size(p, PROF_EXEC), 64);
	profile_free(p);

	/* addresses fold by port when full */
	p = profile_new(8);
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "tcp 10.0.%d.1:%d", i % 2, 1000 + i / 2);
		learn(p, PROF_NET_OUT, key, 1);
	}
	CHECK_INT(profile_size(p, PROF_NET_OUT), 8);
	CHECK(learn(p, PROF_NET_OUT, "tcp 10.1.1.1:9", 1));
	CHECK(profile_size(p, PROF_NET_OUT) <= 8);
	CHECK(covers(p, PROF_NET_OUT, "tcp 10.1.1.1:9"));
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "tcp 10.0.%d.1:%d", i % 2, 1000 + i / 2);
		CHECK(covers(p, PROF_NET_OUT, key));
	}
	profile_free(p);

	/* a bound of one still works */
	p = profile_new(1);
	CHECK(learn(p, PROF_READ, "/a/b", 1));
	CHECK(learn(p, PROF_READ, "/a/c", 1));
	CHECK_STR(only_entry(p, PROF_READ).key, "/a/*");
	CHECK(learn(p, PROF_READ, "/b/c", 1));
	CHECK_INT(profile_size(p, PROF_READ), 1);
	profile_free(p);
}

TEST(long_keys)
{
	struct profile *p = profile_new(0);
	char *key = malloc(6000);

	memset(key, 'a', 5999);
	key[0] = '/';
	key[5999] = '\0';
	CHECK(profile_learn(p, PROF_READ, key, 5999, 1));	/* too long: refused */
	CHECK_INT(profile_size(p, PROF_READ), 0);
	CHECK(profile_learn(p, PROF_READ, key, 4096, 1));	/* KEY_MAX fits */
	CHECK(!profile_learn(p, PROF_READ, key, 4096, 1));
	/* a deep path: every level is a directory */
	for (int i = 0; i < 2999; i++)
		key[2 * i] = '/';
	key[5998] = 'x';
	CHECK(profile_learn(p, PROF_WRITE, key, 4001, 1));
	CHECK(profile_covers(p, PROF_WRITE, key, 4001, NULL));
	CHECK(!profile_covers(p, PROF_WRITE, key, 5999, NULL));
	free(key);
	profile_free(p);
}

TEST(hour_of_week_buckets)
{
	struct profile *p = profile_new(0);
	char *yaml;
	double mean;
	unsigned hours;

	/* 2026-11-30 is a Monday: 1795996800 s = 498888 h, (498888 + 72) % 168 = 0 */
	CHECK_INT((MONDAY / HOUR + 72) % 168, 0);
	{
		time_t t = (time_t)(MONDAY / NS);
		struct tm tm;

		gmtime_r(&t, &tm);
		CHECK_INT(tm.tm_wday, 1);
		CHECK_INT(tm.tm_hour, 0);
	}
	/* 1970-01-01 00:00 was a Thursday: bucket 72 */
	profile_count(p, RATE_FILE, 0);
	profile_count(p, RATE_FILE, 0);
	profile_count(p, RATE_FILE, HOUR);
	profile_rate_expected(p, RATE_FILE, 0, &mean, &hours);
	CHECK_INT(hours, 1);
	CHECK(mean == 2.0);
	yaml = yaml_of(p, "");
	CHECK(yaml && strstr(yaml, "  - Thu 00:00 file mean 2.0 over 1 h\n"));
	free(yaml);
	profile_free(p);

	/* Monday 09:15 */
	p = profile_new(0);
	profile_count(p, RATE_EXEC, MONDAY + 9 * HOUR + 15 * 60 * NS);
	CHECK_INT(profile_rate_current(p, RATE_EXEC), 1);
	profile_count(p, RATE_NET, MONDAY + 10 * HOUR);
	CHECK_INT(profile_rate_current(p, RATE_EXEC), 0);
	CHECK_INT(profile_rate_current(p, RATE_NET), 1);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 7 * 24 * HOUR + 9 * HOUR + 59 * 60 * NS,
			      &mean, &hours);
	CHECK_INT(hours, 1);
	CHECK(mean == 1.0);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 10 * HOUR, &mean, &hours);
	CHECK_INT(hours, 0);	/* the current hour is not complete */
	yaml = yaml_of(p, "");
	CHECK(yaml && strstr(yaml, "  - Mon 09:00 exec mean 1.0 over 1 h\n"));
	free(yaml);
	/* Sunday 23:00 is the last bucket */
	profile_count(p, RATE_NET, MONDAY + 6 * 24 * HOUR + 23 * HOUR);
	profile_count(p, RATE_NET, MONDAY + 7 * 24 * HOUR);
	yaml = yaml_of(p, "");
	CHECK(yaml && strstr(yaml, "  - Sun 23:00 network mean 1.0 over 1 h\n"));
	free(yaml);
	profile_free(p);
}

TEST(rates_of_a_weekly_batch_job)
{
	struct profile *p = profile_new(0);
	double mean;
	unsigned hours;

	/* three weeks: 50 execs each Monday 09:00, one file event a day at 00:00 */
	for (uint64_t h = 0; h < 3 * 168; h++) {
		uint64_t t = MONDAY + h * HOUR;

		if (h % 168 == 9)
			for (int i = 0; i < 50; i++)
				profile_count(p, RATE_EXEC, t + (uint64_t)i * NS);
		if (h % 24 == 0)
			profile_count(p, RATE_FILE, t);
	}
	profile_count(p, RATE_FILE, MONDAY + 3 * 168 * HOUR);	/* closes the last hour */
	profile_rate_expected(p, RATE_EXEC, MONDAY + 4 * 168 * HOUR + 9 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean > 49.99 && mean < 50.01);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 4 * 168 * HOUR + 10 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean == 0);
	profile_rate_expected(p, RATE_FILE, MONDAY + 2 * 24 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean == 1.0);
	profile_rate_expected(p, RATE_NET, MONDAY + 5 * HOUR, &mean, &hours);
	CHECK_INT(hours, 3);
	CHECK(mean == 0);
	profile_free(p);
}

TEST(rate_gaps)
{
	struct profile *p = profile_new(0);
	double mean;
	unsigned hours;

	/* hours in between (less than a week) passed with nothing */
	profile_count(p, RATE_EXEC, MONDAY + 9 * HOUR);
	profile_count(p, RATE_EXEC, MONDAY + 14 * HOUR);
	for (int h = 10; h < 14; h++) {
		profile_rate_expected(p, RATE_EXEC, MONDAY + (uint64_t)h * HOUR, &mean, &hours);
		CHECK_INT(hours, 1);
		CHECK(mean == 0);
	}
	profile_rate_expected(p, RATE_EXEC, MONDAY + 9 * HOUR, &mean, &hours);
	CHECK_INT(hours, 1);
	CHECK(mean == 1);
	/* the clock stepping back keeps counting in the current hour */
	profile_count(p, RATE_EXEC, MONDAY + 13 * HOUR);
	CHECK_INT(profile_rate_current(p, RATE_EXEC), 2);
	/* a week or more later: start afresh */
	profile_count(p, RATE_EXEC, MONDAY + 14 * HOUR + 168 * HOUR);
	CHECK_INT(profile_rate_current(p, RATE_EXEC), 1);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 14 * HOUR, &mean, &hours);
	CHECK_INT(hours, 0);
	profile_rate_expected(p, RATE_EXEC, MONDAY + 15 * HOUR, &mean, &hours);
	CHECK_INT(hours, 0);
	profile_free(p);
}

TEST(merge)
{
	struct profile *a = profile_new(0), *b = profile_new(0), *small;
	struct profile_entry_info info;
	char key[64];
	double mean;
	unsigned hours;

	learn(a, PROF_EXEC, "/bin/ls <- /bin/sh as root", 100);
	learn(b, PROF_EXEC, "/bin/ls <- /bin/sh as root", 50);
	learn(b, PROF_EXEC, "/bin/ls <- /bin/sh as root", 300);
	learn(b, PROF_EXEC, "/bin/cat <- /bin/sh as root", 10);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/d/f%d", i);
		learn(a, PROF_READ, key, 1);
		snprintf(key, sizeof(key), "/d/f%d", 10 + i);
		learn(b, PROF_READ, key, 1);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "/logs/l%d", i);
		learn(b, PROF_WRITE, key, 7);
	}
	profile_count(a, RATE_EXEC, MONDAY);
	profile_count(a, RATE_EXEC, MONDAY + HOUR);
	profile_count(b, RATE_EXEC, MONDAY);
	profile_count(b, RATE_EXEC, MONDAY);
	profile_count(b, RATE_EXEC, MONDAY + HOUR);

	profile_merge(a, b);
	CHECK(profile_covers(a, PROF_EXEC, "/bin/ls <- /bin/sh as root", 26, &info));
	CHECK_INT(info.count, 3);
	CHECK_INT(info.first_seen_ns, 50);
	CHECK_INT(info.last_seen_ns, 300);
	CHECK(covers(a, PROF_EXEC, "/bin/cat <- /bin/sh as root"));
	/* 20 names in /d between the two: generalised in dst */
	CHECK(profile_covers(a, PROF_READ, "/d/new", 6, &info));
	CHECK_STR(info.key, "/d/*");
	CHECK_INT(info.count, 20);
	CHECK_INT(profile_size(a, PROF_READ), 1);
	CHECK(profile_covers(a, PROF_WRITE, "/logs/x", 7, &info));
	CHECK_STR(info.key, "/logs/*");
	CHECK_INT(info.count, 20);
	profile_rate_expected(a, RATE_EXEC, MONDAY, &mean, &hours);
	CHECK_INT(hours, 2);
	CHECK(mean == 1.5);
	profile_merge(a, a);	/* no-op */
	CHECK_INT(profile_size(a, PROF_EXEC), 2);

	/* merging into a smaller bound folds or refuses as learning does */
	small = profile_new(4);
	profile_merge(small, a);
	for (int c = 0; c < PROF_CATEGORIES; c++)
		CHECK(profile_size(small, c) <= 4);
	CHECK(covers(small, PROF_READ, "/d/x"));
	profile_free(small);
	profile_free(a);
	profile_free(b);
}

/* A profile with something of everything. */
static struct profile *rich_profile(void)
{
	struct profile *p = profile_new(100);
	char key[64];

	learn(p, PROF_EXEC, "/usr/bin/curl <- /bin/sh as app", 1795842000 * NS);
	learn(p, PROF_EXEC, "/bin/busybox[wget] <- /bin/busybox[sh] as 1000", 1795842001 * NS);
	learn(p, PROF_EXEC, "? <- /bin/sh as root", 3);
	learn(p, PROF_READ, "/etc/app.conf", 5);
	learn(p, PROF_READ, "/etc/app.conf", UINT64_MAX);
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "/data/out-%d", i);
		learn(p, PROF_WRITE, key, (uint64_t)i);
	}
	learn(p, PROF_WRITE, "/tmp/*", 9);
	learn(p, PROF_CREATE, "/tmp/caf\xc3\xa9", 9);
	learn(p, PROF_CREATE, "/tmp/bad\xff\xfe name", 9);
	learn(p, PROF_CREATE, "/tmp/line\nbreak\"quote\\", 9);
	for (int i = 0; i < 18; i++) {
		snprintf(key, sizeof(key), "tcp 10.0.%d.%d:443", i / 9, i);
		learn(p, PROF_NET_OUT, key, 11);
	}
	learn(p, PROF_NET_OUT, "udp [fd00::1]:53", 12);
	learn(p, PROF_NET_OUT, "unix /run/x.sock", 12);
	learn(p, PROF_LISTEN, "tcp :8080", 13);
	learn(p, PROF_NET_IN, "tcp 10.1.2.3", 14);
	learn(p, PROF_SYSCALL, "/usr/bin/curl connect", 15);
	learn(p, PROF_PRIV, "/bin/su setuid 0", 16);
	for (int i = 0; i < 30; i++)
		profile_count(p, i % 3, MONDAY + (uint64_t)i * HOUR / 3);
	return p;
}

TEST(json_round_trip)
{
	struct profile *p = rich_profile(), *q;
	char *json = profile_to_json(p), *json2, *y1, *y2, err[200] = "";

	CHECK(json != NULL);
	if (!json)
		return;
	CHECK(!strncmp(json, "{\"version\":1,\"max\":100,\"categories\":{\"exec\":[", 45));
	CHECK(strstr(json, "[\"/etc/app.conf\",\"5\",\"18446744073709551615\",\"2\"]"));
	CHECK(strstr(json, "[\"/data/*\",\"0\",\"19\",\"20\"]"));
	CHECK(strstr(json, "[\"tcp 10.0.0.*:443\",\"11\",\"11\",\"9\"]"));
	CHECK(strstr(json, "{\"hex\":\"2f746d702f626164fffe206e616d65\"}"));
	CHECK(strstr(json, "\"current_hour\":\"498897\",\"current\":[\"1\",\"1\",\"1\"]"));
	q = profile_parse(json, strlen(json), 0, err, sizeof(err));
	CHECK(q);
	if (!q) {
		fprintf(stderr, "  parse: %s\n", err);
		free(json);
		profile_free(p);
		return;
	}
	json2 = profile_to_json(q);
	CHECK_STR(json2, json);
	y1 = yaml_of(p, "  ");
	y2 = yaml_of(q, "  ");
	CHECK_STR(y2, y1);
	CHECK(covers(q, PROF_WRITE, "/data/anything"));
	CHECK(covers(q, PROF_CREATE, "/tmp/bad\xff\xfe name"));
	CHECK(covers(q, PROF_NET_OUT, "tcp 10.0.1.77:443"));
	CHECK_INT(profile_rate_current(q, RATE_FILE), 1);
	/* learning goes on the same way after a reload */
	CHECK(learn(q, PROF_NET_OUT, "tcp 10.0.9.9:443", 1));
	CHECK(covers(q, PROF_NET_OUT, "tcp 10.0.9.1:443"));
	free(json2);
	free(y1);
	free(y2);
	profile_free(q);

	/* the caller's bound wins and is checked */
	q = profile_parse(json, strlen(json), 3, err, sizeof(err));
	CHECK(!q);
	CHECK_STR(err, "categories.net_out: 4 entries, more than the bound 3");
	profile_free(q);
	q = profile_parse(json, strlen(json), 1000, err, sizeof(err));
	CHECK(q && strstr(json2 = profile_to_json(q), "\"max\":1000,"));
	free(json2);
	profile_free(q);
	/* an empty profile */
	profile_free(p);
	p = profile_new(0);
	free(json);
	json = profile_to_json(p);
	CHECK_STR(json, "{\"version\":1,\"max\":4096,\"categories\":{\"exec\":[],\"read\":[],"
		  "\"write\":[],\"create\":[],\"net_out\":[],\"listen\":[],\"net_in\":[],"
		  "\"syscall\":[],\"priv\":[]},\"rates\":{\"exec\":[],\"file\":[],\"network\":[]},"
		  "\"current_hour\":null,\"current\":[\"0\",\"0\",\"0\"]}");
	q = profile_parse(json, strlen(json), 0, err, sizeof(err));
	CHECK(q);
	profile_free(q);
	free(json);
	profile_free(p);
}

static const char *const EMPTY_CATS =
	"\"categories\":{\"exec\":[],\"read\":[],\"write\":[],\"create\":[],\"net_out\":[],"
	"\"listen\":[],\"net_in\":[],\"syscall\":[],\"priv\":[]}";
static const char *const EMPTY_RATES = "\"rates\":{\"exec\":[],\"file\":[],\"network\":[]}";

/* A document with one part replaced: fmt has %s for the categories,
 * rates, current_hour+current parts. */
static char *doc(const char *head, const char *cats, const char *rates, const char *tail)
{
	char *text;

	if (asprintf(&text, "{%s,%s,%s,%s}", head, cats, rates, tail) < 0)
		return NULL;
	return text;
}

TEST(parse_rejects)
{
	static const char *const HEAD = "\"version\":1,\"max\":8";
	static const char *const TAIL = "\"current_hour\":null,\"current\":[\"0\",\"0\",\"0\"]";
	static const char *const READ1 =
		"\"categories\":{\"exec\":[],\"read\":[%s],\"write\":[],\"create\":[],\"net_out\":[],"
		"\"listen\":[],\"net_in\":[],\"syscall\":[],\"priv\":[]}";
	struct {
		const char *read_rows;	/* NULL: use the parts below */
		const char *head, *rates, *tail, *raw;
		const char *want;
	} cases[] = {
		{.raw = "", .want = "empty document"},
		{.raw = "{", .want = "not valid JSON"},
		{.raw = "[]", .want = "not a JSON object"},
		{.raw = "{\"version\":1} x", .want = "offset 14: text after the document"},
		{.head = "\"version\":2,\"max\":8", .want = "version"},
		{.head = "\"version\":\"1\",\"max\":8", .want = "version"},
		{.head = "\"max\":8", .want = "version"},
		{.head = "\"version\":1,\"max\":0", .want = "max"},
		{.head = "\"version\":1,\"max\":-5", .want = "max"},
		{.head = "\"version\":1,\"max\":1.5", .want = "max"},
		{.head = "\"version\":1,\"max\":1e300", .want = "max"},
		{.head = "\"version\":1,\"max\":8,\"extra\":1", .want = "extra: unknown member"},
		{.head = "\"version\":1,\"max\":8,\"max\":8", .want = "max: given twice"},
		{.read_rows = "[\"/a\",\"1\",\"2\"]", .want = "categories.read[0]: not [key, first, last, count]"},
		{.read_rows = "[\"/a\",\"1\",\"2\",3]", .want = "categories.read[0]: count: not a decimal string"},
		{.read_rows = "[\"/a\",\"1\",\"2\",\"-3\"]", .want = "categories.read[0]: count"},
		{.read_rows = "[\"/a\",\"1\",\"2\",\"0\"]", .want = "categories.read[0]: count is 0"},
		{.read_rows = "[\"/a\",\"01\",\"2\",\"1\"]", .want = "categories.read[0]: first"},
		{.read_rows = "[\"/a\",\"1\",\"18446744073709551616\",\"1\"]", .want = "categories.read[0]: last"},
		{.read_rows = "[\"/a\",\"3\",\"2\",\"1\"]", .want = "categories.read[0]: last is before first"},
		{.read_rows = "[\"/a\",\"1\",\"2\",\"1\"],[\"\",\"1\",\"2\",\"1\"]", .want = "categories.read[1]: key"},
		{.read_rows = "[7,\"1\",\"2\",\"1\"]", .want = "categories.read[0]: key"},
		{.read_rows = "[{\"hex\":\"2f0\"},\"1\",\"2\",\"1\"]", .want = "categories.read[0]: key"},
		{.read_rows = "[{\"hex\":\"2f00\"},\"1\",\"2\",\"1\"]", .want = "categories.read[0]: key"},
		{.read_rows = "[\"/a\",\"1\",\"2\",\"1\"],[\"/a\",\"1\",\"2\",\"1\"]", .want = "categories.read[1]: duplicate key"},
		{.read_rows = "[\"/a\",\"1\",\"2\",\"1\",\"exact\"]", .want = "categories.read[0]: a fifth item"},
		{.read_rows = "[\"/a/*\",\"1\",\"2\",\"1\",\"other\"]", .want = "categories.read[0]: a fifth item"},
		{.read_rows = "[\"/1\",\"1\",\"1\",\"1\"],[\"/2\",\"1\",\"1\",\"1\"],[\"/3\",\"1\",\"1\",\"1\"],"
			      "[\"/4\",\"1\",\"1\",\"1\"],[\"/5\",\"1\",\"1\",\"1\"],[\"/6\",\"1\",\"1\",\"1\"],"
			      "[\"/7\",\"1\",\"1\",\"1\"],[\"/8\",\"1\",\"1\",\"1\"],[\"/9\",\"1\",\"1\",\"1\"]",
		 .want = "categories.read: 9 entries, more than the bound 8"},
		{.raw = "{\"version\":1,\"max\":8,\"categories\":{\"exec\":[]}}", .want = "categories.read: missing"},
		{.raw = "{\"version\":1,\"max\":8,\"categories\":{\"exec\":[],\"exec\":[]}}", .want = "categories.exec: given twice"},
		{.raw = "{\"version\":1,\"max\":8,\"categories\":{\"files\":[]}}", .want = "categories.files: unknown category"},
		{.raw = "{\"version\":1,\"max\":8,\"categories\":{\"exec\":{}}}", .want = "categories.exec: not a list"},
		{.raw = "{\"version\":1,\"max\":8,\"categories\":[]}", .want = "categories: missing or not an object"},
		{.rates = "\"rates\":{\"exec\":[[168,1,\"1\"]],\"file\":[],\"network\":[]}", .want = "rates.exec[0]: hour of week"},
		{.rates = "\"rates\":{\"exec\":[[5,1,\"1\"],[5,1,\"1\"]],\"file\":[],\"network\":[]}", .want = "rates.exec[1]: hour of week"},
		{.rates = "\"rates\":{\"exec\":[[5,0,\"0\"]],\"file\":[],\"network\":[]}", .want = "rates.exec[0]: hours"},
		{.rates = "\"rates\":{\"exec\":[[5,4294967296,\"0\"]],\"file\":[],\"network\":[]}", .want = "rates.exec[0]: hours"},
		{.rates = "\"rates\":{\"exec\":[[5,1,5]],\"file\":[],\"network\":[]}", .want = "rates.exec[0]: sum"},
		{.rates = "\"rates\":{\"exec\":[],\"file\":[]}", .want = "rates.network: missing"},
		{.rates = "\"rates\":{\"exec\":[],\"file\":[],\"network\":[],\"disk\":[]}", .want = "rates.disk: unknown rate"},
		{.tail = "\"current_hour\":null,\"current\":[\"0\",\"0\"]", .want = "current: missing or not a list"},
		{.tail = "\"current_hour\":null,\"current\":[\"0\",\"5\",\"0\"]", .want = "current[1]: a count without a current_hour"},
		{.tail = "\"current_hour\":\"99999999999\",\"current\":[\"0\",\"0\",\"0\"]", .want = "current_hour"},
		{.tail = "\"current_hour\":7,\"current\":[\"0\",\"0\",\"0\"]", .want = "current_hour"},
		{.tail = "\"current\":[\"0\",\"0\",\"0\"]", .want = "current_hour: missing"},
	};
	char err[256], rows[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;
		struct profile *p;

		if (cases[i].raw) {
			text = strdup(cases[i].raw);
		} else {
			const char *cats = EMPTY_CATS;

			if (cases[i].read_rows) {
				snprintf(rows, sizeof(rows), READ1, cases[i].read_rows);
				cats = rows;
			}
			text = doc(cases[i].head ? cases[i].head : HEAD, cats,
				   cases[i].rates ? cases[i].rates : EMPTY_RATES,
				   cases[i].tail ? cases[i].tail : TAIL);
		}
		strcpy(err, "");
		p = profile_parse(text, strlen(text), 0, err, sizeof(err));
		if (p || !strstr(err, cases[i].want)) {
			fprintf(stderr, "  case %zu: %s\n    err \"%s\", want \"%s\"\n", i, text, err,
				cases[i].want);
			test_failed_now = 1;
		}
		profile_free(p);
		free(text);
	}
	/* and the parts used above do make a valid document */
	{
		char *text = doc(HEAD, EMPTY_CATS, EMPTY_RATES, TAIL);
		struct profile *p = profile_parse(text, strlen(text), 0, err, sizeof(err));

		CHECK(p != NULL);
		profile_free(p);
		free(text);
	}
}

/* Every prefix and many byte flips: an error or an equal profile. */
TEST(parse_damaged_documents)
{
	struct profile *p = rich_profile(), *q;
	char *json = profile_to_json(p), *copy, err[256];
	size_t len = json ? strlen(json) : 0, parsed = 0, rejected = 0;
	bool clean = true;

	for (size_t n = 0; n <= len; n++) {
		err[0] = '\0';
		q = profile_parse(json, n, 0, err, sizeof(err));
		if (q) {
			char *again = profile_to_json(q);

			clean &= n == len && again && !strcmp(again, json);
			free(again);
			profile_free(q);
		} else {
			clean &= err[0] != '\0';
		}
	}
	CHECK(clean);
	copy = malloc(len + 1);
	for (size_t i = 0; copy && i < len; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(copy, json, len + 1);
			copy[i] ^= (char)(1 << bit);
			err[0] = '\0';
			q = profile_parse(copy, len, 0, err, sizeof(err));
			if (!q) {
				clean &= err[0] != '\0';
				rejected++;
				continue;
			}
			parsed++;
			{
				char *once = profile_to_json(q), *twice;
				struct profile *r = once ? profile_parse(once, strlen(once), 0, err,
									 sizeof(err)) : NULL;

				twice = r ? profile_to_json(r) : NULL;
				clean &= once && twice && !strcmp(once, twice);
				free(once);
				free(twice);
				profile_free(r);
			}
			profile_free(q);
		}
	CHECK(clean);
	CHECK(rejected > 0);
	CHECK(parsed > 0);	/* flips inside keys and numbers still parse */
	free(copy);
	free(json);
	profile_free(p);
}

/* Parse YAML text; collect the scalars of the sequence under `key`. */
static int yaml_sequence(const char *text, const char *key, char ***items, size_t *n)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int state = 0, rc = 0;	/* 0 looking, 1 key seen, 2 in the sequence, 3 done */

	*items = NULL;
	*n = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "  yaml: %s at line %zu\n", parser.problem,
				parser.problem_mark.line + 1);
			rc = -1;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT && state == 0 &&
		    !strcmp((const char *)ev.data.scalar.value, key))
			state = 1;
		else if (ev.type == YAML_SEQUENCE_START_EVENT && state == 1)
			state = 2;
		else if (ev.type == YAML_SEQUENCE_END_EVENT && state == 2)
			state = 3;
		else if (ev.type == YAML_SCALAR_EVENT && state == 2) {
			*items = realloc(*items, (*n + 1) * sizeof(**items));
			(*items)[(*n)++] = strdup((const char *)ev.data.scalar.value);
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* Well-formed UTF-8 (Unicode table 3-7)? */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 : *s >= 0xe0 && *s <= 0xef ? 3 :
			   *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
		unsigned char lo = *s == 0xe0 ? 0xa0 : *s == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = *s == 0xed ? 0x9f : *s == 0xf4 ? 0x8f : 0xbf;

		if (!n || (n > 1 && (s[1] < lo || s[1] > hi)))
			return false;
		for (size_t i = 2; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return false;
		s += n;
	}
	return true;
}

TEST(yaml_of_hostile_keys)
{
	static const char *const keys[] = {
		"/usr/bin/curl <- /bin/sh as app", "? <- /bin/sh as root", "- item", "*alias",
		"&anchor", "!tag", "%directive", "@at", "`tick", "'single'", "\"double\"",
		"key: value", "ends with colon:", "ends with space ", "has #hash", "a # comment",
		"/tmp/a\nb: c", "/tmp/\ttab", "/tmp/\r\n", "/tmp/\\back", "/tmp/\x7f", "/tmp/\x1b[31m",
		"/tmp/\xff\xfe", "/tmp/\xc3\xa9t\xc3\xa9", "/tmp/\xc2\x85nel", "/tmp/\xef\xbb\xbf",
		"/tmp/\xed\xa0\x80surrogate", "/tmp/\xf4\x90\x80\x80", "/tmp/\xc0\xaf", "true", "No",
		"null", "~", "123", "0x1F", "[flow]", "{flow}", "/a, b", "/busybox[sh] <- x as y",
		"tcp :8080", "--- ", "...", "| block", "> folded", "/tmp/\xe2\x80\xa8ls", "/tmp/\xe2\x80\xa9ps", "/tmp/\xef\xbf\xbe",
		"/tmp/\xf0\x9f\x98\x80 emoji", "\xe2\x80\xa8 leading", "/tmp/ trailing\xc2\xa0",
	};
	size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	struct profile *p = profile_new(0);
	char *text, *doc, **items, *longkey = malloc(4001);
	size_t n;

	for (size_t i = 0; i < nkeys; i++)
		CHECK(learn(p, PROF_EXEC, keys[i], 1));
	memset(longkey, 'x', 4000);
	longkey[0] = '/';
	longkey[1000] = '\n';
	longkey[2000] = '"';
	longkey[4000] = '\0';
	CHECK(learn(p, PROF_EXEC, longkey, 1));
	text = yaml_of(p, "  ");
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(asprintf(&doc, "profile:\n%s", text) > 0);
	CHECK_INT(yaml_sequence(doc, "exec", &items, &n), 0);
	CHECK_INT(n, nkeys + 1);
	/* each UTF-8 key reads back as itself */
	for (size_t i = 0; i < nkeys; i++) {
		bool found = !utf8_valid(keys[i]);

		for (size_t j = 0; j < n && !found; j++)
			found = !strcmp(items[j], keys[i]);
		if (!found) {
			fprintf(stderr, "  key \"%s\" not read back\n", keys[i]);
			test_failed_now = 1;
		}
	}
	CHECK(!utf8_valid("/tmp/\xff") && !utf8_valid("/\xed\xa0\x80") && utf8_valid("/\xc3\xa9"));
	{
		bool found = false;	/* and so does the long one */

		for (size_t j = 0; j < n; j++)
			found |= !strcmp(items[j], longkey);
		CHECK(found);
	}
	for (size_t j = 0; j < n; j++)
		free(items[j]);
	free(items);
	free(doc);
	free(text);
	free(longkey);
	profile_free(p);
}

TEST(yaml_review_format)
{
	struct profile *p = rich_profile();
	char *text = yaml_of(p, ""), **items;
	size_t n;

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(strstr(text, "exec:\n  - /bin/busybox[wget] <- /bin/busybox[sh] as 1000  # seen"));
	CHECK(strstr(text, "  - \"? <- /bin/sh as root\"  # seen 1 time,"));
	CHECK(strstr(text, "  - /usr/bin/curl <- /bin/sh as app  # seen 1 time, first "
		      "2026-11-28T05:00:00Z, last 2026-11-28T05:00:00Z\n"));
	CHECK(strstr(text, "read:\n  - /etc/app.conf  # seen 2 times,"));
	CHECK(strstr(text, "  - /data/*  # generalised, seen 20 times,"));
	CHECK(strstr(text, "  - \"/tmp/*\"  # this very name,"));
	CHECK(strstr(text, "  - \"/tmp/bad\\xff\\xfe name\""));
	CHECK(strstr(text, "  - \"/tmp/line\\x0abreak\\\"quote\\\\\""));
	CHECK(strstr(text, "rates:"));
	CHECK(!strstr(text, "listen: []"));
	CHECK_INT(yaml_sequence(text, "read", &items, &n), 0);
	CHECK_INT(n, 1);
	for (size_t j = 0; j < n; j++)
		free(items[j]);
	free(items);
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

int main(void)
{
	RUN(category_names);
	RUN(learn_and_cover);
	RUN(directory_generalises);
	RUN(fixed_file_read_often_stays_exact);
	RUN(nested_directories);
	RUN(root_never_generalises);
	RUN(literal_star_is_not_a_wildcard);
	RUN(peers_generalise);
	RUN(bound_folds_directories);
	RUN(bound_refuses_what_cannot_fold);
	RUN(long_keys);
	RUN(hour_of_week_buckets);
	RUN(rates_of_a_weekly_batch_job);
	RUN(rate_gaps);
	RUN(merge);
	RUN(json_round_trip);
	RUN(parse_rejects);
	RUN(parse_damaged_documents);
	RUN(yaml_of_hostile_keys);
	RUN(yaml_review_format);
	RUN(model_file_errors_name_the_problem);
	return TEST_SUMMARY();
}

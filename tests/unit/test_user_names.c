/* test_user_names.c - the passwd-file uid cache. */
#include "test.h"

#include "proc/user_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char passwd_text[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"# a comment:x:5:5:::\n"
	"\n"
	"short:x:6:6\n"			/* too few fields */
	"toomany:x:7:7:a:b:c:d\n"	/* too many */
	"badid:x:12a:8:::\n"
	"neg:x:-1:8:::\n"
	"huge:x:4294967296:8:::\n"
	":x:9:9:::\n"			/* empty name */
	"+nis::::::\n"
	"has space:x:10:10:::\n"
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\n"
	"alias:x:1000:1000::/:/bin/sh\n"	/* same uid: first wins */
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	"max:x:4294967295:0:::";		/* no final newline */

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	size_t len = strlen(text);
	int rc = 0;

	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static char *temp_passwd(const char *text)
{
	char tmpl[] = "/tmp/vigil-passwd-XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return NULL;
	close(fd);
	if (write_text(tmpl, text) < 0) {
		unlink(tmpl);
		return NULL;
	}
	return strdup(tmpl);
}

static void remove_passwd(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

TEST(lookup_known_and_unknown)
{
	char *path = temp_passwd(passwd_text);
	struct user_names *names = path ? user_names_new(path) : NULL;

	CHECK(names != NULL);
	if (names) {
		CHECK_STR(user_name_lookup(names, 0), "root");
		CHECK_STR(user_name_lookup(names, 1), "daemon");
		CHECK_STR(user_name_lookup(names, 1000), "alice");
		CHECK_STR(user_name_lookup(names, 65534), "nobody");
		CHECK_STR(user_name_lookup(names, 4294967295u), "max");
		CHECK(user_name_lookup(names, 2) == NULL);
		CHECK(user_name_lookup(names, 99999) == NULL);
	}
	user_names_free(names);
	remove_passwd(path);
}

TEST(malformed_lines_skipped)
{
	char *path = temp_passwd(passwd_text);
	struct user_names *names = path ? user_names_new(path) : NULL;

	CHECK(names != NULL);
	if (names) {
		for (uint32_t uid = 5; uid <= 10; uid++)
			CHECK(user_name_lookup(names, uid) == NULL);
		CHECK(user_name_lookup(names, 12) == NULL);
	}
	user_names_free(names);
	remove_passwd(path);
}

TEST(missing_file_is_empty_then_loads)
{
	char tmpl[] = "/tmp/vigil-passwd-XXXXXX";
	char *dir = mkdtemp(tmpl), path[256];
	struct user_names *names;
	struct timespec wait = { 1, 100000000 };

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/passwd", dir);
	names = user_names_new(path);
	CHECK(names != NULL);
	if (names) {
		CHECK(user_name_lookup(names, 0) == NULL);
		CHECK_INT(write_text(path, "root:x:0:0::/:/bin/sh\n"), 0);
		nanosleep(&wait, NULL);
		CHECK_STR(user_name_lookup(names, 0), "root");
	}
	user_names_free(names);
	unlink(path);
	rmdir(dir);
}

TEST(reloads_when_changed_at_most_once_a_second)
{
	char *path = temp_passwd("root:x:0:0::/:/bin/sh\n");
	struct user_names *names = path ? user_names_new(path) : NULL;
	struct timespec wait = { 1, 100000000 };

	CHECK(names != NULL);
	if (!names)
		goto out;
	CHECK_STR(user_name_lookup(names, 0), "root");
	CHECK_INT(write_text(path, "toor:x:0:0::/:/bin/sh\n"
				   "bob:x:1001:1001::/:/bin/sh\n"), 0);
	/* Within the second: the cache is not re-checked yet. */
	CHECK_STR(user_name_lookup(names, 0), "root");
	nanosleep(&wait, NULL);
	CHECK_STR(user_name_lookup(names, 0), "toor");
	CHECK_STR(user_name_lookup(names, 1001), "bob");
	/* The file vanishing keeps the last names. */
	unlink(path);
	nanosleep(&wait, NULL);
	CHECK_STR(user_name_lookup(names, 1001), "bob");
out:
	user_names_free(names);
	remove_passwd(path);
}

TEST(embedded_nul_line_skipped)
{
	char tmpl[] = "/tmp/vigil-passwd-XXXXXX";
	int fd = mkstemp(tmpl);
	static const char text[] = "ro\0ot:x:0:0::/:/bin/sh\nok:x:1:1::/:/bin/sh\n";
	struct user_names *names = NULL;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	names = user_names_new(tmpl);
	CHECK(names != NULL);
	if (names) {
		CHECK(user_name_lookup(names, 0) == NULL);
		CHECK_STR(user_name_lookup(names, 1), "ok");
	}
	user_names_free(names);
	unlink(tmpl);
}

TEST(real_etc_passwd_has_root)
{
	struct user_names *names = user_names_new("/etc/passwd");

	CHECK(names != NULL);
	if (names)
		CHECK_STR(user_name_lookup(names, 0), "root");
	user_names_free(names);
}

int main(void)
{
	RUN(lookup_known_and_unknown);
	RUN(malformed_lines_skipped);
	RUN(missing_file_is_empty_then_loads);
	RUN(reloads_when_changed_at_most_once_a_second);
	RUN(embedded_nul_line_skipped);
	RUN(real_etc_passwd_has_root);
	return TEST_SUMMARY();
}

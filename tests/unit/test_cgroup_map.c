/* test_cgroup_map.c - cgroup id → path: add/remove/reap, growth, the
 * mountinfo parser, and a scan of the real v2 hierarchy. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "workload/cgroup_map.h"

TEST(add_lookup_remove_reap)
{
	struct cgroup_map *m = cgroup_map_new();

	CHECK(m != NULL);
	CHECK_INT(cgroup_map_add(m, 42, "/libpod_parent/libpod-abcXYZ", 21), 0);
	CHECK_STR(cgroup_map_lookup(m, 42), "/libpod_parent/libpod");
	CHECK(cgroup_map_lookup(m, 43) == NULL);
	cgroup_map_remove(m, 42, 1000);
	CHECK_STR(cgroup_map_lookup(m, 42), "/libpod_parent/libpod");	/* grace */
	CHECK_INT(cgroup_map_reap(m, 1500, 1000), 0);
	CHECK_INT(cgroup_map_reap(m, 2000, 1000), 1);
	CHECK(cgroup_map_lookup(m, 42) == NULL);
	CHECK_INT(cgroup_map_size(m), 0);
	cgroup_map_free(m);
}

TEST(many_entries_survive_growth)
{
	struct cgroup_map *m = cgroup_map_new();
	char path[32];
	int ok = 1;

	for (uint64_t id = 1; id <= 5000; id++) {
		int n = snprintf(path, sizeof(path), "/c%llu", (unsigned long long)id);
		cgroup_map_add(m, id * 7919, path, n);
	}
	for (uint64_t id = 1; id <= 5000 && ok; id++) {
		snprintf(path, sizeof(path), "/c%llu", (unsigned long long)id);
		const char *got = cgroup_map_lookup(m, id * 7919);
		ok = got && strcmp(got, path) == 0;
	}
	CHECK(ok);
	CHECK_INT(cgroup_map_size(m), 5000);
	cgroup_map_free(m);
}

TEST(mountinfo_finds_cgroup2)
{
	char tmpl[] = "/tmp/vigil-mountinfo-XXXXXX";
	int fd = mkstemp(tmpl);
	char out[256];
	FILE *f = fdopen(fd, "w");

	fprintf(f, "22 1 0:21 / /sys rw - sysfs sysfs rw\n"
		   "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		   "31 25 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n");
	fclose(f);
	CHECK_INT(cgroup2_mount_point(tmpl, out, sizeof(out)), 0);
	CHECK_STR(out, "/sys/fs/cgroup/unified");
	unlink(tmpl);
	CHECK_INT(cgroup2_mount_point("/nonexistent", out, sizeof(out)), -1);
}

/* The real hierarchy: a cgroup made now is found under its inode. */
TEST(scan_real_hierarchy)
{
	char root[256], dir[512];
	struct stat st;
	struct cgroup_map *m;

	if (cgroup2_mount_point("/proc/self/mountinfo", root, sizeof(root)) != 0) {
		fprintf(stderr, "  (no cgroup v2 mount: scan test skipped)\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/vigil-unit-%d", root, (int)getpid());
	if (mkdir(dir, 0755) != 0) {
		fprintf(stderr, "  (cannot create a cgroup, not root?: scan test skipped)\n");
		return;
	}
	CHECK_INT(stat(dir, &st), 0);
	m = cgroup_map_new();
	CHECK(cgroup_map_scan(m, root) >= 2);
	char want[64];
	snprintf(want, sizeof(want), "/vigil-unit-%d", (int)getpid());
	CHECK_STR(cgroup_map_lookup(m, st.st_ino), want);
	rmdir(dir);
	cgroup_map_free(m);
}

int main(void)
{
	RUN(add_lookup_remove_reap);
	RUN(many_entries_survive_growth);
	RUN(mountinfo_finds_cgroup2);
	RUN(scan_real_hierarchy);
	return TEST_SUMMARY();
}

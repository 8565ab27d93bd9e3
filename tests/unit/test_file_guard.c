/* test_file_guard.c - fanotify file protection on real processes in a
 * scratch cgroup (root): opens refused per workload and per access. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../bpf/enforce.h"
#include "enforce/file_guard.h"
#include "test.h"

#define CGROOT "/sys/fs/cgroup/unified"

static char cg_path[256], dir[64], secret[128], other[128];
static uint64_t cg_id;
static struct file_guard *guard;
static volatile int reports;
static struct guard_report last;

static void on_report(void *ctx, const struct guard_report *r)
{
	(void)ctx;
	last = *r;
	__atomic_add_fetch(&reports, 1, __ATOMIC_SEQ_CST);
}

/* errno of open(path, flags) from a child in the cgroup (0 = opened). */
static int open_in_cgroup(const char *path, int flags, bool join)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		char procs[300];
		FILE *f;

		if (join) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_path);
			f = fopen(procs, "w");
			if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
				_exit(99);
		}
		_exit(open(path, flags) >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static struct guard_rule rule(uint8_t action, uint8_t access)
{
	struct guard_rule r = {.cgroup_id = cg_id, .policy_id = 4, .rule_index = 2,
			       .action = action, .access = access};
	return r;
}

TEST(read_of_protected_file_refused_for_the_workload_only)
{
	struct guard_rule r = rule(ENFORCE_BLOCK, GUARD_READ | GUARD_WRITE);

	CHECK(file_guard_protect(guard, secret, "/etc/shadow", &r) == 0);
	reports = 0;
	CHECK_INT(open_in_cgroup(secret, O_RDONLY, true), EPERM);
	CHECK_INT(open_in_cgroup(secret, O_WRONLY, true), EPERM);
	CHECK_INT(open_in_cgroup(other, O_RDONLY, true), 0);
	CHECK_INT(open_in_cgroup(secret, O_RDONLY, false), 0);	/* another workload */
	usleep(20000);
	CHECK_INT(reports, 2);
	CHECK_STR(last.path, "/etc/shadow");
	CHECK(last.action == ENFORCE_BLOCK && last.access == GUARD_WRITE);
	CHECK(last.cgroup_id == cg_id && last.policy_id == 4 && last.rule_index == 2);
	file_guard_forget(guard, cg_id);
	CHECK_INT(open_in_cgroup(secret, O_RDONLY, true), 0);
}

TEST(write_rule_leaves_reads_alone)
{
	struct guard_rule r = rule(ENFORCE_BLOCK, GUARD_WRITE);

	CHECK(file_guard_protect(guard, secret, "/etc/shadow", &r) == 0);
	CHECK_INT(open_in_cgroup(secret, O_RDONLY, true), 0);
	CHECK_INT(open_in_cgroup(secret, O_RDWR, true), EPERM);
	CHECK_INT(open_in_cgroup(secret, O_RDONLY | O_TRUNC, true), EPERM);
	file_guard_forget(guard, cg_id);
}

TEST(directory_rule_covers_its_files)
{
	struct guard_rule r = rule(ENFORCE_BLOCK, GUARD_READ);

	CHECK(file_guard_protect(guard, dir, "/root/.ssh", &r) == 0);
	reports = 0;
	CHECK_INT(open_in_cgroup(other, O_RDONLY, true), EPERM);
	usleep(20000);
	CHECK_INT(reports, 1);
	CHECK_STR(last.path, "/root/.ssh/other");
	file_guard_forget(guard, cg_id);
}

TEST(dry_run_and_audit_report_but_allow)
{
	struct guard_rule r = rule(ENFORCE_BLOCK, GUARD_READ);

	r.dry_run = true;
	CHECK(file_guard_protect(guard, secret, "/etc/shadow", &r) == 0);
	reports = 0;
	CHECK_INT(open_in_cgroup(secret, O_RDONLY, true), 0);
	usleep(20000);
	CHECK_INT(reports, 1);
	CHECK(last.action == ENFORCE_AUDIT);
	file_guard_forget(guard, cg_id);
}

TEST(missing_path_is_reported)
{
	struct guard_rule r = rule(ENFORCE_BLOCK, GUARD_READ);

	CHECK(file_guard_protect(guard, "/nonexistent/vigil", "/x", &r) == -ENOENT);
}

int main(void)
{
	char err[256];
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		printf("test_file_guard: needs root, skipped\n0 passed, 0 failed\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-guard-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	fd = open(secret, O_CREAT | O_WRONLY, 0600);
	close(fd);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(cg_path, sizeof(cg_path), "%s/vigil-test-guard-%d", CGROOT, getpid());
	if (mkdir(cg_path, 0755) || stat(cg_path, &st))
		return 1;
	cg_id = st.st_ino;
	guard = file_guard_open(CGROOT, on_report, NULL, err, sizeof(err));
	if (!guard) {
		fprintf(stderr, "file_guard_open: %s\n", err);
		rmdir(cg_path);
		return 1;
	}
	RUN(read_of_protected_file_refused_for_the_workload_only);
	RUN(write_rule_leaves_reads_alone);
	RUN(directory_rule_covers_its_files);
	RUN(dry_run_and_audit_report_but_allow);
	RUN(missing_path_is_reported);
	file_guard_close(guard);
	rmdir(cg_path);
	unlink(secret);
	unlink(other);
	rmdir(dir);
	return TEST_SUMMARY();
}

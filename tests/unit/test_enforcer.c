/* test_enforcer.c - the kernel enforcement programs on real processes in
 * a scratch cgroup (root, real kernel): exec killed before it runs,
 * connect refused, isolation, dry run, reports, forgetting. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforce/enforcer.h"
#include "test.h"

#define CGROOT "/sys/fs/cgroup/unified"

static struct enforcer *enf;
static char cg_path[256];
static uint64_t cg_id;
static struct enforce_report last;
static int reports;

static void on_report(void *ctx, const struct enforce_report *r)
{
	(void)ctx;
	last = *r;
	reports++;
}

static void drain_reports(void)
{
	usleep(20000);
	enforcer_poll(enf, on_report, NULL);
}

static void join_cgroup(void)
{
	char procs[300];
	FILE *f;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_path);
	f = fopen(procs, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		_exit(99);
}

/* Exit status of a child that joins the cgroup and execs path with argv. */
static int run_path_in_cgroup(const char *path, char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		join_cgroup();
		execv(path, argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Exit status of a child that joins the cgroup and execs argv. */
static int run_in_cgroup(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		join_cgroup();
		dup2(null, 1);
		dup2(null, 2);	/* the shell's "Killed" */
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* errno of a connect to 127.0.0.1:port from inside the cgroup (0 = ok,
 * ECONNREFUSED = allowed through with nobody listening). */
static int connect_in_cgroup(const char *ip, int port)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		join_cgroup();
		inet_pton(AF_INET, ip, &sa.sin_addr);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			_exit(0);
		_exit(errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A process inside the cgroup listening on 127.0.0.1:port (its socket
 * belongs to the cgroup); returns its pid, killed by the caller. */
static pid_t listen_in_cgroup(int port)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		int one = 1, fd;

		join_cgroup();	/* first: a socket belongs to the cgroup it was made in */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return pid;
}

static void stop_child(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Whether this process (outside the cgroup) connects to 127.0.0.1:port
 * within 400 ms: a dropped SYN is retried after a second, so no. */
static bool connects_from_outside(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = -1;
	socklen_t len = sizeof(err);
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		close(fd);
		return false;
	}
	if (poll(&p, 1, 400) == 1)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	close(fd);
	return err == 0;
}

static void set_net_rule(struct enforce_workload *w, int i, uint8_t action, uint8_t direction,
			 int port)
{
	memset(&w->net[i], 0, sizeof(w->net[i]));
	w->net[i].addr[10] = w->net[i].addr[11] = 0xff;	/* 0.0.0.0/0 */
	w->net[i].prefix = 96;
	w->net[i].action = action;
	w->net[i].direction = direction;
	w->net[i].port_lo = w->net[i].port_hi = (uint16_t)port;
	w->net[i].rule_index = (uint16_t)(10 + i);
	if (w->net_rules < i + 1)
		w->net_rules = (uint16_t)(i + 1);
}

static void reset_policy(uint8_t exec_default, uint8_t net_default)
{
	struct enforce_workload w;

	enforcer_forget(enf, cg_id);
	enforcer_poll(enf, on_report, NULL);	/* earlier tests' reports */
	reports = 0;
	memset(&w, 0, sizeof(w));
	w.policy_id = 7;
	w.exec_default = exec_default;
	w.net_default = net_default;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
}

TEST(exec_blocked_by_path_is_killed_before_it_runs)
{
	char *truth[] = {"/bin/true", NULL};
	char *echo[] = {"/bin/echo", "hi", NULL};
	int st;

	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/true", ENFORCE_BLOCK, 3) == 0);
	reports = 0;
	st = run_in_cgroup(truth);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	st = run_in_cgroup(echo);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain_reports();
	CHECK(reports == 1);
	CHECK(last.kind == ENFORCE_EXEC && last.action == ENFORCE_BLOCK);
	CHECK(last.rule_index == 3 && last.policy_id == 7 && last.cgroup_id == cg_id);
	CHECK_STR(last.path, "/bin/true");
}

TEST(exec_blocked_by_inode_catches_another_name)
{
	char link[] = "/tmp/vigil-test-enforce-XXXXXX";
	char *argv[] = {link, NULL};
	struct stat st;
	int fd = mkstemp(link), status;

	CHECK(fd >= 0);
	close(fd);
	unlink(link);
	CHECK(symlink("/bin/true", link) == 0);
	CHECK(stat("/bin/true", &st) == 0);
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_add_exec_inode(enf, cg_id, st.st_dev, st.st_ino, ENFORCE_BLOCK, 0) == 0);
	status = run_in_cgroup(argv);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	unlink(link);
}

TEST(exec_rule_limited_to_a_parent)
{
	char *direct[] = {"/bin/true", NULL};
	char *via_sh[] = {"/bin/sh", "-c", "/bin/true; exit $?", NULL};
	struct stat sh;
	int st;

	CHECK(stat("/bin/sh", &sh) == 0);	/* the file the shell runs (dash) */
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_add_exec_parent(enf, cg_id, "/bin/true", sh.st_dev, sh.st_ino,
				       ENFORCE_BLOCK, 2) == 0);
	reports = 0;
	st = run_in_cgroup(via_sh);	/* /bin/true's parent is the shell: killed */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL);
	st = run_in_cgroup(direct);	/* its parent is this test: runs */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain_reports();
	CHECK(reports == 1 && last.rule_index == 2);
	CHECK_STR(last.path, "/bin/true");
}

TEST(exec_first_rule_decides_whatever_the_insert_order)
{
	char *truth[] = {"/bin/true", NULL};
	char *via_sh[] = {"/bin/sh", "-c", "/bin/true; exit $?", NULL};
	struct stat sh;
	int st;

	CHECK(stat("/bin/sh", &sh) == 0);
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	/* rule 4 allows, rule 1 blocks: rule 1 decides though added second */
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/true", ENFORCE_ALLOW, 4) == 0);
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/true", ENFORCE_BLOCK, 1) == 0);
	st = run_in_cgroup(truth);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* rule 0, limited to the shell, allows: it comes before rule 1 */
	CHECK(enforcer_add_exec_parent(enf, cg_id, "/bin/true", sh.st_dev, sh.st_ino,
				       ENFORCE_ALLOW, 0) == 0);
	st = run_in_cgroup(via_sh);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_in_cgroup(truth);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

TEST(exec_applet_of_a_multi_call_binary_by_argv0)
{
	/* what busybox's shell does for an applet: exec its own file with
	 * argv[0] the applet's name; /bin/true stands in for the binary */
	char *as_truth[] = {"truth", NULL}, *as_true[] = {"true", NULL};
	char *with_path[] = {"/usr/local/bin/truth", NULL};
	struct stat t;
	int st;

	CHECK(stat("/bin/true", &t) == 0);
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_add_exec_applet(enf, cg_id, "/usr/local/bin/truth", t.st_dev, t.st_ino,
				       ENFORCE_BLOCK, 6) == 0);
	reports = 0;
	st = run_path_in_cgroup("/bin/true", as_truth);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	st = run_path_in_cgroup("/bin/true", as_true);	/* another applet */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_path_in_cgroup("/bin/true", with_path);	/* a path: not an applet call */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain_reports();
	CHECK(reports == 1 && last.rule_index == 6);
	CHECK_STR(last.path, "/usr/local/bin/truth");	/* the name the policy gave */
}

TEST(exec_default_block_allows_only_listed)
{
	char *truth[] = {"/bin/true", NULL};
	char *echo[] = {"/bin/echo", "hi", NULL};
	int st;

	reset_policy(ENFORCE_BLOCK, ENFORCE_ALLOW);
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/echo", ENFORCE_ALLOW, 0) == 0);
	st = run_in_cgroup(echo);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_in_cgroup(truth);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

TEST(dry_run_reports_without_killing)
{
	char *truth[] = {"/bin/true", NULL};
	struct enforce_workload w;
	int st;

	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_get_workload(enf, cg_id, &w) == 0);
	w.dry_run = 1;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/true", ENFORCE_BLOCK, 1) == 0);
	reports = 0;
	st = run_in_cgroup(truth);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	drain_reports();
	CHECK_INT(reports, 1);
	CHECK_INT(last.action, ENFORCE_AUDIT);
}

TEST(connect_refused_by_rule_others_pass)
{
	struct enforce_workload w;

	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_get_workload(enf, cg_id, &w) == 0);
	w.net_rules = 1;
	memset(&w.net[0], 0, sizeof(w.net[0]));
	w.net[0].addr[10] = w.net[0].addr[11] = 0xff;	/* 0.0.0.0/0 */
	w.net[0].prefix = 96;
	w.net[0].action = ENFORCE_BLOCK;
	w.net[0].direction = ENFORCE_DIR_OUT;
	w.net[0].port_lo = w.net[0].port_hi = 4444;
	w.net[0].rule_index = 5;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
	reports = 0;
	CHECK(connect_in_cgroup("127.0.0.1", 4444) == EPERM);
	CHECK(connect_in_cgroup("127.0.0.1", 4445) == ECONNREFUSED);
	CHECK(connect_in_cgroup("127.0.0.1", 4444) == EPERM);
	drain_reports();
	CHECK(reports == 2 && last.kind == ENFORCE_CONNECT && last.port == 4444);
	CHECK(last.rule_index == 5 && last.addr[12] == 127);
	/* the test process itself is outside the cgroup: untouched */
	{
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(4444)};
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED);
		close(fd);
	}
}

TEST(isolation_allows_only_loopback_and_is_undone)
{
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_isolate(enf, cg_id, true) == 0);
	CHECK(connect_in_cgroup("127.0.0.1", 4446) == ECONNREFUSED);
	CHECK(connect_in_cgroup("10.255.255.1", 4446) == EPERM);
	CHECK(enforcer_isolate(enf, cg_id, false) == 0);
	/* no route or unreachable now, but not refused by policy */
	CHECK(connect_in_cgroup("10.255.255.1", 4446) != EPERM);
}

TEST(inbound_connection_dropped_by_rule_others_accepted)
{
	struct enforce_workload w;
	pid_t blocked = listen_in_cgroup(4450), open_port = listen_in_cgroup(4451);

	CHECK(blocked > 0 && open_port > 0);
	reset_policy(ENFORCE_ALLOW, ENFORCE_ALLOW);
	CHECK(enforcer_get_workload(enf, cg_id, &w) == 0);
	set_net_rule(&w, 0, ENFORCE_BLOCK, ENFORCE_DIR_OUT, 4451);	/* outbound only */
	set_net_rule(&w, 1, ENFORCE_BLOCK, ENFORCE_DIR_IN, 4450);
	w.inbound = 1;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
	reports = 0;
	CHECK(!connects_from_outside(4450));
	CHECK(connects_from_outside(4451));
	drain_reports();
	CHECK(reports == 1 && last.kind == ENFORCE_ACCEPT && last.action == ENFORCE_BLOCK);
	CHECK(last.port == 4450 && last.peer_port != 0 && last.rule_index == 11);
	CHECK(last.addr[12] == 127 && last.pid == 0);
	/* dry run: reported as an audit, the connection goes through */
	w.dry_run = 1;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
	reports = 0;
	CHECK(connects_from_outside(4450));
	drain_reports();
	CHECK(reports == 1 && last.action == ENFORCE_AUDIT);
	stop_child(blocked);
	stop_child(open_port);
}

TEST(inbound_default_block_lets_replies_to_own_connections_in)
{
	struct enforce_workload w;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(4452)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t listener = listen_in_cgroup(4453);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0);
	reset_policy(ENFORCE_ALLOW, ENFORCE_BLOCK);
	CHECK(enforcer_get_workload(enf, cg_id, &w) == 0);
	set_net_rule(&w, 0, ENFORCE_ALLOW, ENFORCE_DIR_OUT, 4452);
	w.inbound = 1;
	CHECK(enforcer_set_workload(enf, cg_id, &w) == 0);
	/* the workload's own connection: its SYN-ACK comes back in */
	CHECK(connect_in_cgroup("127.0.0.1", 4452) == 0);
	/* nobody may connect to it: no inbound rule, default block */
	CHECK(!connects_from_outside(4453));
	close(fd);
	stop_child(listener);
}

TEST(forget_removes_every_rule)
{
	char *truth[] = {"/bin/true", NULL};
	int st;

	reset_policy(ENFORCE_BLOCK, ENFORCE_BLOCK);
	CHECK(enforcer_add_exec_path(enf, cg_id, "/bin/echo", ENFORCE_ALLOW, 0) == 0);
	enforcer_forget(enf, cg_id);
	st = run_in_cgroup(truth);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(connect_in_cgroup("127.0.0.1", 4447) == ECONNREFUSED);
}

TEST(path_hash_matches_the_kernels)
{
	/* FNV-1a 64 reference values */
	CHECK(enforce_path_hash("", 0) == 0xcbf29ce484222325ULL);
	CHECK(enforce_path_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
}

int main(void)
{
	struct enforcer_options o = {.cgroup_root = CGROOT, .pin_dir = "/sys/fs/bpf/vigil-test"};
	char err[256];
	struct stat st;

	if (geteuid() != 0) {
		printf("test_enforcer: needs root, skipped\n0 passed, 0 failed\n");
		return 0;
	}
	snprintf(cg_path, sizeof(cg_path), "%s/vigil-test-enforce-%d", CGROOT, getpid());
	if (mkdir(cg_path, 0755) || stat(cg_path, &st)) {
		fprintf(stderr, "cannot make %s: %s\n", cg_path, strerror(errno));
		return 1;
	}
	cg_id = st.st_ino;
	enf = enforcer_open(&o, err, sizeof(err));
	if (!enf) {
		fprintf(stderr, "enforcer_open: %s\n", err);
		rmdir(cg_path);
		return 1;
	}
	RUN(path_hash_matches_the_kernels);
	RUN(exec_blocked_by_path_is_killed_before_it_runs);
	RUN(exec_blocked_by_inode_catches_another_name);
	RUN(exec_rule_limited_to_a_parent);
	RUN(exec_first_rule_decides_whatever_the_insert_order);
	RUN(exec_applet_of_a_multi_call_binary_by_argv0);
	RUN(exec_default_block_allows_only_listed);
	RUN(dry_run_reports_without_killing);
	RUN(connect_refused_by_rule_others_pass);
	RUN(isolation_allows_only_loopback_and_is_undone);
	RUN(inbound_connection_dropped_by_rule_others_accepted);
	RUN(inbound_default_block_lets_replies_to_own_connections_in);
	RUN(forget_removes_every_rule);
	enforcer_forget(enf, cg_id);
	enforcer_close(enf);
	rmdir(cg_path);
	return TEST_SUMMARY();
}

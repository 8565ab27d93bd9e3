/* test_respond.c - response actions on real processes and cgroups (root).
 *
 * Children are forked into a scratch v2 cgroup, /sys/fs/cgroup/unified/
 * vigil-test-<pid>/<test>, each in its own process group (vigil's own
 * group is protected).  The test process is a child subreaper, so every
 * descendant is reaped here and none escapes to init.  The scratch tree is
 * emptied (cgroup.kill) and removed at exit and on SIGINT/SIGTERM.
 *
 * VIGIL_RESPOND_BENCH=1 also prints the time from the call to the
 * processes being gone (kill_process, stop) or frozen (freeze), median of 20.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "respond/proc_info.h"
#include "respond/respond.h"
#include "test.h"

#define V2 "/sys/fs/cgroup/unified"
#define V1_FREEZER "/sys/fs/cgroup/freezer"

static char scratch[64];		/* "/vigil-test-<pid>", relative to V2 */
static volatile uint64_t *counters;	/* shared with the children */

/* ---- cgroups ---- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) < 0)
		rc = -1;
	close(fd);
	return rc;
}

static long events_value(const char *rel, const char *key)
{
	char path[PATH_MAX], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), V2 "%s/cgroup.events", rel);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ' ')
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* A new cgroup under the scratch one; its path relative to V2 in rel. */
static void make_cgroup(const char *name, char *rel, size_t len)
{
	char path[PATH_MAX];

	snprintf(rel, len, "%s/%s", scratch, name);
	snprintf(path, sizeof(path), V2 "%s", rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void wait_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	reap();
}

/* Kills what is left in a v2 cgroup and removes it (sub-cgroups first). */
static void remove_cgroup(const char *abs)
{
	char path[PATH_MAX + 300];
	DIR *d = opendir(abs);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", abs, de->d_name);
			remove_cgroup(path);
		}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cgroup.freeze", abs);
	write_file(path, "0");
	snprintf(path, sizeof(path), "%s/cgroup.kill", abs);
	write_file(path, "1");
	for (int i = 0; i < 200 && rmdir(abs) < 0 && errno == EBUSY; i++)
		wait_ms(5);
}

static void remove_scratch(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), V2 "%s", scratch);
	remove_cgroup(path);
	snprintf(path, sizeof(path), V1_FREEZER "%s", scratch);
	if (access(path, F_OK) == 0) {
		char state[PATH_MAX + 32], procs[PATH_MAX + 32];
		FILE *f;
		int pid;

		snprintf(state, sizeof(state), "%s/freezer.state", path);
		write_file(state, "THAWED");
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
		if ((f = fopen(procs, "r"))) {
			while (fscanf(f, "%d", &pid) == 1)
				kill(pid, SIGKILL);
			fclose(f);
		}
		for (int i = 0; i < 200 && rmdir(path) < 0 && errno == EBUSY; i++)
			wait_ms(5);
	}
	reap();
}

static void on_signal(int sig)
{
	remove_scratch();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- children ---- */

static void body_sleep(int slot)
{
	(void)slot;
	for (;;)
		pause();
}

static void body_count(int slot)
{
	for (;;) {
		counters[slot]++;
		usleep(1000);
	}
}

/* The middle of a tree: forks a child every 2 ms, each of which forks one
 * grandchild; counters[slot] counts the forks. */
static void body_forker(int slot)
{
	for (int i = 0; i < 400; i++) {
		pid_t c = fork();

		if (c == 0) {
			if (fork() == 0)
				body_sleep(0);
			body_sleep(0);
		}
		if (c > 0)
			counters[slot]++;
		usleep(2000);
	}
	body_sleep(0);
}

/* The top of a tree: one forking middle child. */
static void body_tree(int slot)
{
	if (fork() == 0)
		body_forker(slot);
	body_sleep(0);
}

/* Forks a child that joins cgroup rel (NULL: stays here), leaves our
 * process group and runs body; returns once it has joined. */
static pid_t spawn(const char *rel, void (*body)(int), int slot)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[PATH_MAX];

		close(p[0]);
		setpgid(0, 0);
		if (rel) {
			snprintf(path, sizeof(path), V2 "%s/cgroup.procs", rel);
			if (write_file(path, "0") < 0)
				_exit(99);
		}
		if (write(p[1], "x", 1) < 0)
			_exit(98);
		body(slot);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static bool alive(pid_t pid)
{
	struct proc_stat st;

	reap();
	return proc_read_stat(pid, &st) == 0 && st.state != 'Z';
}

static uint64_t start_ns_of(pid_t pid)
{
	struct proc_stat st;

	return proc_read_stat(pid, &st) == 0 ? proc_ticks_to_ns(st.start_ticks) : 0;
}

static bool wait_empty(const char *rel, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (events_value(rel, "populated") == 0)
			return true;
		wait_ms(1);
	}
	return false;
}

/* ---- responder helpers ---- */

struct captured {
	char json[4096];
	int count;
};

static void capture(void *ctx, const char *json, size_t len)
{
	struct captured *c = ctx;

	snprintf(c->json, sizeof(c->json), "%.*s", (int)len, json);
	c->count++;
}

static struct respond_trigger process_trigger(pid_t pid)
{
	return (struct respond_trigger){ .kind = RESPOND_MANUAL, .priority = -1, .score = -1,
					 .pid = pid, .start_ns = start_ns_of(pid) };
}

static struct respond_trigger cgroup_trigger(const char *rel)
{
	return (struct respond_trigger){ .kind = RESPOND_MANUAL, .priority = -1, .score = -1,
					 .cgroup_path = rel };
}

static struct response_config *config_of(const char *text)
{
	struct response_config *c = calloc(1, sizeof(*c));
	char err[512];

	if (c && response_config_load_string(c, "test.yaml", text, strlen(text), err, sizeof(err)) < 0) {
		fprintf(stderr, "  config refused: %s\n", err);
		response_config_free(c);
		free(c);
		return NULL;
	}
	return c;
}

static struct responder *responder_with(const char *config_text)
{
	struct respond_options o = { 0 };

	return responder_new(&o, config_text ? config_of(config_text) : NULL);
}

static int do_action(struct responder *r, enum respond_action a, const struct respond_trigger *t,
		     struct respond_result *res)
{
	return respond_do(r, a, t, NULL, NULL, res);
}

/* ---- kill_process ---- */

TEST(kill_process_kills_that_process_only)
{
	char rel[128];
	struct responder *r = responder_with(NULL);
	struct respond_result res;
	pid_t a, b;

	make_cgroup("kill1", rel, sizeof(rel));
	a = spawn(rel, body_sleep, 0);
	b = spawn(rel, body_sleep, 0);
	struct respond_trigger t = process_trigger(a);
	CHECK_INT(do_action(r, ACT_KILL_PROCESS, &t, &res), 0);
	CHECK_STR(res.text, "done");
	CHECK_INT(res.processes, 1);
	CHECK(res.settled);
	CHECK(!alive(a));
	CHECK(alive(b));
	/* the same kill again within the repeat window */
	CHECK_INT(do_action(r, ACT_KILL_PROCESS, &t, &res), -1);
	CHECK_STR(res.text, "already killed");
	CHECK(alive(b));
	responder_free(r);
	kill(b, SIGKILL);
}

TEST(kill_process_refuses_a_recycled_pid)
{
	struct responder *r = responder_with(NULL);
	struct respond_result res;
	pid_t a = spawn(NULL, body_sleep, 0);
	struct respond_trigger t = process_trigger(a);

	/* the caller saw a process with this pid that started 5 s earlier */
	t.start_ns -= 5000000000ULL;
	CHECK_INT(do_action(r, ACT_KILL_PROCESS, &t, &res), -1);
	CHECK_INT(res.outcome, RESPOND_REFUSED);
	CHECK(strstr(res.text, "refused: pid") && strstr(res.text, "reused"));
	CHECK(alive(a));
	t.start_ns = 0;		/* unchecked */
	CHECK_INT(do_action(r, ACT_KILL_PROCESS, &t, &res), 0);
	CHECK(!alive(a));
	/* gone now: a clear failure */
	t.pid = a;
	CHECK_INT(do_action(r, ACT_KILL_TREE, &t, &res), -1);
	CHECK_STR(res.text, "failed: No such process");
	responder_free(r);
}

/* ---- kill_tree ---- */

TEST(kill_tree_kills_a_forking_tree)
{
	char rel[128], other_rel[128];
	struct responder *r = responder_with(NULL);
	struct respond_result res;
	pid_t root, outside;

	make_cgroup("tree", rel, sizeof(rel));
	make_cgroup("tree-outside", other_rel, sizeof(other_rel));
	counters[1] = 0;
	outside = spawn(other_rel, body_sleep, 0);
	root = spawn(rel, body_tree, 1);
	for (int i = 0; i < 2000 && counters[1] < 15; i++)
		wait_ms(1);
	CHECK(counters[1] >= 15);	/* the middle is forking right now */
	struct respond_trigger t = process_trigger(root);
	CHECK_INT(do_action(r, ACT_KILL_TREE, &t, &res), 0);
	CHECK_STR(res.text, "done");
	/* root, middle, its children (their own children may be on the way) */
	CHECK(res.processes >= 2 + 15);
	CHECK(res.settled);
	CHECK(wait_empty(rel, 1000));
	CHECK(alive(outside));
	responder_free(r);
	kill(outside, SIGKILL);
}

/* ---- stop ---- */

static void check_stop(bool use_cgroup_kill)
{
	char rel[128], other_rel[128];
	struct respond_options o = { .no_cgroup_kill = !use_cgroup_kill };
	struct responder *r = responder_new(&o, NULL);
	struct respond_result res;
	pid_t outside;

	make_cgroup(use_cgroup_kill ? "stop-kill" : "stop-sweep", rel, sizeof(rel));
	make_cgroup("stop-outside", other_rel, sizeof(other_rel));
	outside = spawn(other_rel, body_sleep, 0);
	spawn(rel, body_sleep, 0);
	spawn(rel, body_count, 2);
	counters[3] = 0;
	spawn(rel, body_forker, 3);
	for (int i = 0; i < 2000 && counters[3] < 5; i++)
		wait_ms(1);
	struct respond_trigger t = cgroup_trigger(rel);
	CHECK_INT(do_action(r, ACT_STOP, &t, &res), 0);
	CHECK_STR(res.text, "done");
	CHECK(res.processes >= 3 + 5);	/* grandchildren may not all be forked yet */
	if (res.processes < 3 + 5)
		fprintf(stderr, "  %u processes\n", res.processes);
	CHECK(res.settled);
	CHECK_INT(events_value(rel, "populated"), 0);
	CHECK(alive(outside));
	CHECK_INT(do_action(r, ACT_STOP, &t, &res), -1);
	CHECK(strncmp(res.text, "already stopped", 15) == 0);
	kill(outside, SIGKILL);
	responder_free(r);
}

TEST(stop_with_cgroup_kill_empties_the_cgroup)
{
	check_stop(true);
}

TEST(stop_by_sweeping_empties_the_cgroup)
{
	check_stop(false);
}

/* ---- freeze / thaw ---- */

static bool advances(int slot, int ms)
{
	uint64_t before = counters[slot];

	wait_ms(ms);
	return counters[slot] != before;
}

TEST(freeze_stops_and_thaw_resumes)
{
	char rel[128];
	struct responder *r = responder_with(NULL);
	struct respond_result res;

	make_cgroup("freeze", rel, sizeof(rel));
	spawn(rel, body_count, 4);
	spawn(rel, body_count, 5);
	CHECK(advances(4, 30));
	struct respond_trigger t = cgroup_trigger(rel);
	CHECK_INT(do_action(r, ACT_FREEZE, &t, &res), 0);
	CHECK_STR(res.text, "done");
	CHECK_INT(res.processes, 2);
	CHECK(res.settled);
	CHECK_INT(events_value(rel, "frozen"), 1);
	CHECK(!advances(4, 50));
	CHECK(!advances(5, 1));
	CHECK_INT(do_action(r, ACT_FREEZE, &t, &res), -1);
	CHECK_STR(res.text, "already frozen");
	CHECK_INT(do_action(r, ACT_THAW, &t, &res), 0);
	CHECK_STR(res.text, "done");
	CHECK_INT(events_value(rel, "frozen"), 0);
	CHECK(advances(4, 50));
	CHECK(advances(5, 1));
	CHECK_INT(do_action(r, ACT_THAW, &t, &res), -1);
	CHECK_STR(res.text, "already thawed");
	responder_free(r);
}

/* Without v2 cgroup.freeze (options point v2 elsewhere): the v1 freezer. */
TEST(freeze_falls_back_to_the_v1_freezer)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], pidtext[32];
	struct respond_options o = { .cgroup2_root = "/nonexistent-v2" };
	struct responder *r = responder_new(&o, NULL);
	struct respond_result res;
	pid_t pid;

	snprintf(dir, sizeof(dir), V1_FREEZER "%s", scratch);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "  no v1 freezer here (%s): skipped\n", strerror(errno));
		responder_free(r);
		return;
	}
	pid = spawn(NULL, body_count, 6);
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
	CHECK_INT(write_file(file, pidtext), 0);
	CHECK(advances(6, 30));
	struct respond_trigger t = cgroup_trigger(scratch);
	CHECK_INT(do_action(r, ACT_FREEZE, &t, &res), 0);
	CHECK(res.settled);
	CHECK(!advances(6, 50));
	CHECK_INT(do_action(r, ACT_FREEZE, &t, &res), -1);
	CHECK_STR(res.text, "already frozen");
	CHECK_INT(do_action(r, ACT_THAW, &t, &res), 0);
	CHECK(advances(6, 50));
	kill(pid, SIGKILL);
	responder_free(r);
}

/* ---- protected ---- */

static void check_refused(struct responder *r, enum respond_action a,
			  const struct respond_trigger *t, const char *want)
{
	struct respond_result res;

	CHECK_INT(do_action(r, a, t, &res), -1);
	CHECK_INT(res.outcome, RESPOND_REFUSED);
	if (!strstr(res.text, want)) {
		fprintf(stderr, "  outcome \"%s\", want \"%s\"\n", res.text, want);
		test_failed_now = 1;
	}
}

TEST(protected_processes_are_refused_and_untouched)
{
	char exe[PATH_MAX], text[PATH_MAX + 128];
	struct responder *r = responder_with(NULL);
	struct respond_trigger t = process_trigger(1);
	pid_t same_group, child;

	check_refused(r, ACT_KILL_PROCESS, &t, "refused: protected (pid 1)");
	t = process_trigger(getpid());
	check_refused(r, ACT_KILL_TREE, &t, "protected (vigil itself)");
	t = process_trigger(getppid());
	check_refused(r, ACT_KILL_PROCESS, &t, "protected (an ancestor of vigil)");
	t = process_trigger(2);		/* kthreadd */
	check_refused(r, ACT_KILL_PROCESS, &t, "protected (kernel thread)");
	same_group = fork();
	if (same_group == 0)
		body_sleep(0);
	t = process_trigger(same_group);
	check_refused(r, ACT_KILL_PROCESS, &t, "protected (vigil's process group)");
	CHECK(alive(same_group));
	kill(same_group, SIGKILL);
	responder_free(r);

	/* configured executables and containers */
	CHECK(proc_exe(getpid(), exe, sizeof(exe)) == 0);
	snprintf(text, sizeof(text), "protected: {exes: [\"%s\"], containers: [\"infra-*\"]}\n", exe);
	r = responder_with(text);
	child = spawn(NULL, body_sleep, 0);
	t = process_trigger(child);
	check_refused(r, ACT_KILL_PROCESS, &t, "protected (protected executable ");
	t = cgroup_trigger("/libpod_parent/libpod-"
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	t.container_name = "infra-db";
	check_refused(r, ACT_FREEZE, &t, "protected (protected container infra-db)");
	CHECK(alive(child));
	kill(child, SIGKILL);
	responder_free(r);
}

TEST(protected_cgroups_are_refused)
{
	char rel[128], path[PATH_MAX + 64], own[PATH_MAX];
	struct responder *r = responder_with("protected: {units: [\"my-db.service\"]}\n");
	struct respond_trigger t = cgroup_trigger("/");

	check_refused(r, ACT_STOP, &t, "protected (root cgroup)");
	t.cgroup_path = "/system.slice";
	check_refused(r, ACT_FREEZE, &t, "protected (a systemd slice)");
	t.cgroup_path = "/system.slice/sshd.service";
	check_refused(r, ACT_STOP, &t, "protected (protected unit sshd.service)");
	t.cgroup_path = "/system.slice/my-db.service/sub";
	check_refused(r, ACT_STOP, &t, "protected (protected unit my-db.service)");
	t.cgroup_path = "/../../etc";
	check_refused(r, ACT_STOP, &t, "protected (not a clean cgroup path)");
	t.cgroup_path = "libpod_parent";
	check_refused(r, ACT_STOP, &t, "protected (not a clean cgroup path)");
	/* every container of the runtime or the pod would go */
	t.cgroup_path = "/libpod_parent";
	check_refused(r, ACT_STOP, &t, "protected (a runtime's cgroup that holds containers)");
	t.cgroup_path = "/kubepods/burstable/pod0b5c4d2e-1111-2222-3333-444455556666";
	check_refused(r, ACT_FREEZE, &t, "protected (a runtime's cgroup that holds containers)");
	t.cgroup_path = "/libpod_parent/conmon";
	check_refused(r, ACT_STOP, &t, "protected (a container monitor)");

	/* a cgroup that holds the test process itself */
	CHECK(proc_cgroup_path(getpid(), own, sizeof(own)) == 0);
	make_cgroup("holds-me", rel, sizeof(rel));
	snprintf(path, sizeof(path), V2 "%s/cgroup.procs", rel);
	CHECK_INT(write_file(path, "0"), 0);
	t.cgroup_path = scratch;	/* the parent of the one holding us */
	check_refused(r, ACT_STOP, &t, "protected (holds vigil)");
	t.cgroup_path = rel;
	check_refused(r, ACT_FREEZE, &t, "protected (holds vigil)");
	CHECK(events_value(rel, "frozen") == 0);
	snprintf(path, sizeof(path), V2 "%s/cgroup.procs", own);
	CHECK_INT(write_file(path, "0"), 0);
	responder_free(r);
}

/* ---- the rules: matching, dry run, rate limits ---- */

TEST(dry_run_decides_and_does_nothing)
{
	struct responder *r = responder_with(
		"actions:\n"
		"  - {match: {rule: \"Reverse shell*\"}, action: kill_process}\n"
		"  - {match: {kind: block}, action: kill_process, dry_run: false}\n"
		"dry_run: true\n");
	struct captured cap = { "", 0 };
	struct respond_result res;
	pid_t a = spawn(NULL, body_sleep, 0);
	struct respond_trigger t = process_trigger(a);

	t.kind = RESPOND_KIND_RULE;
	t.rule = "Reverse shell in container";
	t.priority = 2;
	CHECK_INT(respond_handle(r, &t, capture, &cap, &res), 1);
	CHECK_INT(res.outcome, RESPOND_DRY_RUN);
	CHECK(alive(a));
	cJSON *j = cJSON_Parse(cap.json);
	CHECK(j != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "outcome")), "dry-run");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "dry_run")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "config")), "test.yaml:2");
	cJSON_Delete(j);
	/* a rule that overrides the global dry run acts */
	t.kind = RESPOND_KIND_BLOCK;
	t.rule = "policy web";
	CHECK_INT(respond_handle(r, &t, capture, &cap, &res), 1);
	CHECK_STR(res.text, "done");
	CHECK(!alive(a));
	/* the agent's own dry run wins over the rule's */
	struct respond_options forced = { .dry_run = true };
	struct responder *cautious = responder_new(&forced, config_of(
		"actions: [{match: {kind: block}, action: kill_process, dry_run: false}]\n"));
	pid_t b = spawn(NULL, body_sleep, 0);
	struct respond_trigger tb = process_trigger(b);
	tb.kind = RESPOND_KIND_BLOCK;
	CHECK_INT(respond_handle(cautious, &tb, NULL, NULL, &res), 1);
	CHECK_STR(res.text, "dry-run");
	CHECK(alive(b));
	kill(b, SIGKILL);
	responder_free(cautious);
	/* no rule matches an anomaly: nothing done, nothing reported */
	t.kind = RESPOND_KIND_ANOMALY;
	cap.count = 0;
	CHECK_INT(respond_handle(r, &t, capture, &cap, &res), 0);
	CHECK_INT(cap.count, 0);
	responder_free(r);
}

TEST(first_matching_rule_wins)
{
	struct responder *r = responder_with(
		"dry_run: true\n"
		"actions:\n"
		"  - {match: {rule: \"Crypto miner*\", container.image: \"*web*\"}, action: isolate}\n"
		"  - {match: {kind: anomaly, min_score: 80}, action: freeze}\n"
		"  - {match: {priority: critical}, action: stop}\n"
		"  - {match: {}, action: kill_process}\n");
	struct respond_result res;
	char rel[128];

	make_cgroup("match", rel, sizeof(rel));
	struct respond_trigger t = cgroup_trigger(rel);
	t.container_id = "abc";
	t.pid = getpid() + 100000;	/* never acted on: dry run */
	t.kind = RESPOND_KIND_RULE;
	t.rule = "Crypto miner detected";
	t.container_image = "docker.io/acme/web:1";
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_INT(res.action, ACT_ISOLATE);
	t.container_image = "docker.io/acme/db:1";
	t.priority = 1;		/* alert: more severe than critical */
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_INT(res.action, ACT_STOP);
	t.priority = 4;		/* warning */
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_INT(res.action, ACT_KILL_PROCESS);
	t.kind = RESPOND_KIND_ANOMALY;
	t.score = 79;
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_INT(res.action, ACT_KILL_PROCESS);
	t.score = 80;
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_INT(res.action, ACT_FREEZE);
	CHECK_STR(res.text, "dry-run");
	/* container actions need a container */
	t.container_id = NULL;
	CHECK_INT(respond_handle(r, &t, NULL, NULL, &res), 1);
	CHECK_STR(res.text, "refused: not a container");
	responder_free(r);
}

/* A policy block by a new process of cgroup rel: the outcome's text.
 * cgroup_id 0: the responder finds the id from the path. */
static const char *block_in(struct responder *r, const char *rel, uint64_t cgroup_id, pid_t *kid)
{
	static struct respond_result res;
	struct respond_trigger t;

	*kid = spawn(rel, body_sleep, 0);
	t = process_trigger(*kid);
	t.kind = RESPOND_KIND_BLOCK;
	t.cgroup_id = cgroup_id;
	t.cgroup_path = rel;
	if (respond_handle(r, &t, NULL, NULL, &res) != 1)
		return "(no rule matched)";
	return res.text;
}

TEST(sixth_action_in_a_minute_is_rate_limited)
{
	char rel[128], rel2[128], path[PATH_MAX];
	struct responder *r = responder_with(
		"actions: [{match: {kind: block}, action: kill_process}]\n"
		"rate_limit: {per_workload: 5/min, global: 7/min}\n");
	struct stat st;
	pid_t kids[9];

	make_cgroup("rate", rel, sizeof(rel));
	make_cgroup("rate2", rel2, sizeof(rel2));
	snprintf(path, sizeof(path), V2 "%s", rel);
	CHECK(stat(path, &st) == 0);
	for (int i = 0; i < 6; i++)
		CHECK_STR(block_in(r, rel, st.st_ino, &kids[i]), i < 5 ? "done" : "rate-limited");
	CHECK(!alive(kids[4]));
	CHECK(alive(kids[5]));
	/* another workload has its own bucket, until the global cap (7) */
	for (int i = 6; i < 9; i++)
		CHECK_STR(block_in(r, rel2, 0, &kids[i]), i < 8 ? "done" : "rate-limited");
	CHECK(alive(kids[8]));
	kill(kids[5], SIGKILL);
	kill(kids[8], SIGKILL);
	responder_free(r);
}

/* ---- isolate ---- */

struct isolate_calls {
	uint64_t id;
	int on, off;
};

static int fake_isolate(void *ctx, uint64_t cgroup_id, bool on)
{
	struct isolate_calls *c = ctx;

	c->id = cgroup_id;
	if (on)
		c->on++;
	else
		c->off++;
	return 0;
}

TEST(isolate_and_release_call_the_enforcement_side)
{
	char rel[128], path[PATH_MAX];
	struct isolate_calls calls = { 0 };
	struct respond_options o = { .isolate = fake_isolate, .isolate_ctx = &calls };
	struct responder *r = responder_new(&o, NULL);
	struct respond_result res;
	struct stat st;

	make_cgroup("isolate", rel, sizeof(rel));
	snprintf(path, sizeof(path), V2 "%s", rel);
	CHECK(stat(path, &st) == 0);
	struct respond_trigger t = cgroup_trigger(rel);
	CHECK_INT(do_action(r, ACT_ISOLATE, &t, &res), 0);
	CHECK_INT(calls.on, 1);
	CHECK(calls.id == st.st_ino);
	CHECK_INT(do_action(r, ACT_ISOLATE, &t, &res), -1);
	CHECK_STR(res.text, "already isolated");
	CHECK_INT(calls.on, 1);
	CHECK_INT(do_action(r, ACT_RELEASE, &t, &res), 0);
	CHECK_INT(calls.off, 1);
	CHECK_INT(do_action(r, ACT_ISOLATE, &t, &res), 0);
	CHECK_INT(calls.on, 2);
	responder_free(r);

	r = responder_with(NULL);
	CHECK_INT(do_action(r, ACT_ISOLATE, &t, &res), -1);
	CHECK_STR(res.text, "failed: network isolation not available");
	responder_free(r);
}

/* ---- the JSON record ---- */

TEST(result_record_is_valid_json_for_hostile_names)
{
	struct responder *r = responder_with("actions: [{match: {}, action: kill_process}]\n");
	struct captured cap = { "", 0 };
	struct respond_trigger t = process_trigger(1);

	t.kind = RESPOND_KIND_RULE;
	t.rule = "evil \"rule\"\n\x01\xff";
	t.container_name = "c\\name";
	t.priority = 0;
	t.time_ns = 1795842411282310067ULL;
	CHECK_INT(respond_handle(r, &t, capture, &cap, NULL), 1);
	cJSON *j = cJSON_Parse(cap.json);
	CHECK(j != NULL);
	cJSON *trig = cJSON_GetObjectItem(j, "trigger"), *target = cJSON_GetObjectItem(j, "target");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "action");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "action")), "kill_process");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "outcome")), "refused: protected (pid 1)");
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "duration_us")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(trig, "priority")), "Emergency");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(trig, "alert_time")),
		  "2026-11-28T05:06:51.282310067Z");
	CHECK(strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(trig, "rule")), "evil \"rule\"\n", 12) == 0);
	CHECK_INT(cJSON_GetObjectItem(target, "pid")->valueint, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(target, "container_name")), "c\\name");
	cJSON_Delete(j);
	responder_free(r);
}

/* ---- the response file ---- */

TEST(example_response_file_loads)
{
	struct response_config c;
	char err[512];

	CHECK_INT(response_config_load_file(&c, "config/response.yaml", err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	CHECK_INT(c.nrules, 5);
	if (c.nrules == 5) {
		CHECK_INT(c.rules[0].action, ACT_KILL_TREE);
		CHECK_STR(c.rules[0].match.rule, "Reverse shell*");
		CHECK_INT(c.rules[1].match.kind, RESPOND_KIND_ANOMALY);
		CHECK_INT(c.rules[1].match.min_score, 80);
		CHECK_INT(c.rules[2].match.priority, 2);
		CHECK_INT(c.rules[2].dry_run, 1);
		CHECK_INT(c.rules[4].action, ACT_ISOLATE);
		CHECK_STR(c.rules[4].match.container_image, "*web*");
	}
	CHECK_INT(c.per_workload.count, 5);
	CHECK(c.per_workload.period_ns == 60000000000ULL);
	CHECK_INT(c.global.count, 50);
	CHECK_STR(c.containers[0], "infra-*");
	response_config_free(&c);
}

static void check_error(const char *text, const char *want)
{
	struct response_config c;
	char err[512];

	CHECK_INT(response_config_load_string(&c, "test.yaml", text, strlen(text), err, sizeof(err)), -1);
	if (strncmp(err, want, strlen(want)) != 0) {
		fprintf(stderr, "  error \"%s\"\n  want  \"%s...\"\n", err, want);
		test_failed_now = 1;
	}
	response_config_free(&c);
}

TEST(response_file_errors_name_line_and_column)
{
	check_error("dry_run: false\nbogus: 1\n", "test.yaml:2:1: unknown key 'bogus'");
	check_error("actions:\n  - {match: {rule: x}, action: nuke}\n",
		    "test.yaml:2:32: action: unknown action 'nuke'");
	check_error("actions:\n  - {match: {rule: x}, action: thaw}\n",
		    "test.yaml:2:32: action: 'thaw' undoes a response");
	check_error("actions:\n  - {match: {priority: severe}, action: freeze}\n",
		    "test.yaml:2:24: priority: unknown priority 'severe'");
	check_error("actions:\n  - {match: {colour: red}, action: freeze}\n",
		    "test.yaml:2:14: match: unknown key 'colour'");
	check_error("actions:\n  - {match: {kind: alert}, action: freeze}\n",
		    "test.yaml:2:20: kind: expected rule, anomaly or block");
	check_error("actions:\n  - {match: {min_score: 101}, action: freeze}\n",
		    "test.yaml:2:25: min_score: expected a number 0..100");
	check_error("actions:\n  - {match: {rule: x}}\n",
		    "test.yaml:2:5: action rule: missing 'action'");
	check_error("actions:\n  - {action: freeze}\n",
		    "test.yaml:2:5: action rule: missing 'match'");
	check_error("actions:\n  - {match: {}, action: freeze, dry_run: maybe}\n",
		    "test.yaml:2:42: dry_run: expected true or false");
	check_error("rate_limit: {per_workload: 5/fortnight}\n",
		    "test.yaml:1:28: rate_limit.per_workload: bad rate '5/fortnight'");
	check_error("rate_limit: {global: -3/min}\n",
		    "test.yaml:1:22: rate_limit.global: bad rate '-3/min'");
	check_error("rate_limit: {burst: 3}\n", "test.yaml:1:14: rate_limit: unknown key 'burst'");
	check_error("protected: {units: {a: b}}\n",
		    "test.yaml:1:20: protected.units: expected a list of strings");
	check_error("dry_run: true\ndry_run: false\n", "test.yaml:2:1: response file: 'dry_run' given twice");
	check_error("actions: [{match: {rule: \"x\"}, action: freeze}\n", "test.yaml:2:1: ");
	check_error("repeat_window: soon\n", "test.yaml:1:16: repeat_window: bad duration 'soon'");
	check_error("- a\n- b\n", "test.yaml:1:1: response file: expected a mapping");
	check_error("dry_run: true\n---\ndry_run: false\n", "test.yaml:3:1: only one YAML document");
}

TEST(rates_parse)
{
	struct respond_rate rate;

	CHECK_INT(respond_rate_parse("5/min", &rate), 0);
	CHECK(rate.count == 5 && rate.period_ns == 60000000000ULL);
	CHECK_INT(respond_rate_parse("10/s", &rate), 0);
	CHECK(rate.count == 10 && rate.period_ns == 1000000000ULL);
	CHECK_INT(respond_rate_parse("3/30s", &rate), 0);
	CHECK(rate.count == 3 && rate.period_ns == 30000000000ULL);
	CHECK_INT(respond_rate_parse("off", &rate), 0);
	CHECK_INT(rate.count, 0);
	CHECK_INT(respond_rate_parse("0/min", &rate), -1);
	CHECK_INT(respond_rate_parse("5", &rate), -1);
	CHECK_INT(respond_rate_parse("5/", &rate), -1);
	CHECK_INT(respond_rate_parse("5/0s", &rate), -1);
	CHECK_INT(respond_rate_parse(" 5/min", &rate), -1);
	CHECK_INT(respond_action_from_name("stop_container"), ACT_STOP);
	CHECK_INT(respond_action_from_name("freeze"), ACT_FREEZE);
	CHECK_INT(respond_action_from_name("kill_process_container"), -1);
	CHECK_INT(respond_action_from_name("_container"), -1);
}

/* ---- timing ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench(void)
{
	uint64_t kill_us[20], stop_us[20], freeze_us[20];
	char rel[128];
	struct responder *r = responder_with(NULL);
	struct respond_result res;

	make_cgroup("bench", rel, sizeof(rel));
	for (int i = 0; i < 20; i++) {
		pid_t p = spawn(rel, body_sleep, 0);
		struct respond_trigger t = process_trigger(p);
		uint64_t t0 = respond_monotonic_ns();

		do_action(r, ACT_KILL_PROCESS, &t, &res);
		kill_us[i] = (respond_monotonic_ns() - t0) / 1000;
		for (int k = 0; k < 10; k++)
			spawn(rel, body_sleep, 0);
		struct respond_trigger c = cgroup_trigger(rel);
		t0 = respond_monotonic_ns();
		do_action(r, ACT_FREEZE, &c, &res);
		freeze_us[i] = (respond_monotonic_ns() - t0) / 1000;
		do_action(r, ACT_THAW, &c, &res);
		struct responder *fresh = responder_with(NULL);	/* no repeat memory */
		t0 = respond_monotonic_ns();
		do_action(fresh, ACT_STOP, &c, &res);
		stop_us[i] = (respond_monotonic_ns() - t0) / 1000;
		responder_free(fresh);
		reap();
	}
	qsort(kill_us, 20, sizeof(uint64_t), cmp_u64);
	qsort(stop_us, 20, sizeof(uint64_t), cmp_u64);
	qsort(freeze_us, 20, sizeof(uint64_t), cmp_u64);
	printf("bench: median of 20, call to done: kill_process %llu us (1 process), "
	       "freeze %llu us (10 processes frozen), stop %llu us (10 processes gone)\n",
	       (unsigned long long)kill_us[10], (unsigned long long)freeze_us[10],
	       (unsigned long long)stop_us[10]);
	responder_free(r);
}

int main(void)
{
	char path[PATH_MAX];

	if (geteuid() != 0) {
		printf("test_respond needs root (real processes and cgroups)\n0 passed, 1 failed\n");
		return 1;
	}
	counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counters == MAP_FAILED)
		return 1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(scratch, sizeof(scratch), "/vigil-test-%d", (int)getpid());
	snprintf(path, sizeof(path), V2 "%s", scratch);
	if (mkdir(path, 0755) < 0) {
		printf("cannot make %s: %s\n0 passed, 1 failed\n", path, strerror(errno));
		return 1;
	}
	atexit(remove_scratch);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	RUN(kill_process_kills_that_process_only);
	RUN(kill_process_refuses_a_recycled_pid);
	RUN(kill_tree_kills_a_forking_tree);
	RUN(stop_with_cgroup_kill_empties_the_cgroup);
	RUN(stop_by_sweeping_empties_the_cgroup);
	RUN(freeze_stops_and_thaw_resumes);
	RUN(freeze_falls_back_to_the_v1_freezer);
	RUN(protected_processes_are_refused_and_untouched);
	RUN(protected_cgroups_are_refused);
	RUN(dry_run_decides_and_does_nothing);
	RUN(first_matching_rule_wins);
	RUN(sixth_action_in_a_minute_is_rate_limited);
	RUN(isolate_and_release_call_the_enforcement_side);
	RUN(result_record_is_valid_json_for_hostile_names);
	RUN(example_response_file_loads);
	RUN(response_file_errors_name_line_and_column);
	RUN(rates_parse);
	if (getenv("VIGIL_RESPOND_BENCH"))
		bench();
	remove_scratch();
	return TEST_SUMMARY();
}

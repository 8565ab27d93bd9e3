/* test_proc_table.c - the process table against a fake /proc and events. */
#include "test.h"

#include "proc/proc_table.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SALT 0x1234abcdULL
#define MS 1000000ULL

/* ---- a fake /proc in a temporary directory ----------------------------- */

struct fake_proc {
	uint32_t pid, ppid;
	const char *comm;
	uint64_t start_ticks;
	uint32_t uid, euid, gid;
	const char *cmdline;		/* NUL-separated */
	size_t cmdline_len;
	const char *exe, *cwd;		/* NULL: no link (kernel thread) */
	uint32_t tgid;			/* 0: same as pid */
};

static char *make_root(void)
{
	char tmpl[] = "/tmp/vigil-proc-XXXXXX";
	char *dir = mkdtemp(tmpl);

	return dir ? strdup(dir) : NULL;
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void remove_root(char *root)
{
	if (root)
		nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int add_proc(const char *root, const struct fake_proc *p)
{
	char dir[PATH_MAX], text[1024], link[PATH_MAX + 8];
	int n, rc = 0;

	snprintf(dir, sizeof(dir), "%s/%u", root, p->pid);
	if (mkdir(dir, 0755) < 0)
		return -1;
	n = snprintf(text, sizeof(text),
		     "%u (%s) S %u 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
		     "%llu 1000 200 18446744073709551615 1 1 0 0 0 0 0 0\n",
		     p->pid, p->comm, p->ppid, (unsigned long long)p->start_ticks);
	rc |= write_file(dir, "stat", text, (size_t)n);
	n = snprintf(text, sizeof(text),
		     "Name:\t%.15s\nUmask:\t0022\nState:\tS (sleeping)\n"
		     "Tgid:\t%u\nNgid:\t0\nPid:\t%u\nPPid:\t%u\nTracerPid:\t0\n"
		     "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t64\n",
		     p->comm, p->tgid ? p->tgid : p->pid, p->pid, p->ppid,
		     p->uid, p->euid, p->euid, p->euid, p->gid, p->gid, p->gid,
		     p->gid);
	rc |= write_file(dir, "status", text, (size_t)n);
	rc |= write_file(dir, "cmdline", p->cmdline, p->cmdline_len);
	if (p->exe) {
		snprintf(link, sizeof(link), "%s/exe", dir);
		rc |= symlink(p->exe, link);
	}
	if (p->cwd) {
		snprintf(link, sizeof(link), "%s/cwd", dir);
		rc |= symlink(p->cwd, link);
	}
	return rc;
}

static uint64_t ticks_ns(uint64_t ticks)
{
	return ticks * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
}

static bool is_exec_id(const char *id)
{
	if (strlen(id) != EXEC_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* A table whose lazy loads look in an empty directory. */
static struct proc_table *table_with_empty_root(char **root)
{
	struct proc_table *table = proc_table_new(SALT);

	*root = make_root();
	if (table && *root)
		proc_table_seed(table, *root);
	return table;
}

static struct proc_entry *exec_simple(struct proc_table *table, uint32_t pid,
				      uint32_t ppid, uint64_t ns,
				      const char *exe)
{
	size_t len = strlen(exe) + 1;	/* argv = { exe } */

	return proc_table_on_exec(table, pid, ppid, ns, exe, "/", exe, len, 1,
				  false);
}

/* ---- parsers ------------------------------------------------------------ */

TEST(parse_stat_takes_comm_to_last_paren)
{
	const char *line = "4242 (a) (b c)) R 17 1 1 0 -1 0 0 0 0 0 0 0 0 0 "
			   "20 0 1 0 987654 0 0\n";
	struct proc_stat_fields f;

	CHECK_INT(proc_parse_stat(line, strlen(line), &f), 0);
	CHECK_INT(f.pid, 4242);
	CHECK_STR(f.comm, "a) (b c)");
	CHECK_INT(f.state, 'R');
	CHECK_INT(f.ppid, 17);
	CHECK_INT(f.start_ticks, 987654);
}

TEST(parse_stat_rejects_malformed)
{
	const char *bad[] = {
		"", "12", "12 (x", "12 x) S 1", "12 (x) S", "12 (x) S -1 0",
		"12 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",	/* no starttime */
		"99999999999 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5",
		("12 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
		 "99999999999999999999999"),	/* starttime overflows */
	};
	struct proc_stat_fields f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(proc_parse_stat(bad[i], strlen(bad[i]), &f), -1);
}

TEST(parse_stat_cuts_long_comm)
{
	const char *line = "1 (0123456789abcdefXYZ) S 0 0 0 0 0 0 0 0 0 0 0 0 "
			   "0 0 0 0 0 0 5\n";
	struct proc_stat_fields f;

	CHECK_INT(proc_parse_stat(line, strlen(line), &f), 0);
	CHECK_STR(f.comm, "0123456789abcdef");
	CHECK_INT(f.start_ticks, 5);
}

TEST(parse_status_reads_ids)
{
	const char *text = "Name:\tsh\nTgid:\t77\nNStgid:\t5\nPid:\t78\n"
			   "Uid:\t1000\t0\t0\t0\nGid:\t100\t101\t101\t101\n";
	struct proc_status_fields f;

	CHECK_INT(proc_parse_status(text, strlen(text), &f), 0);
	CHECK_INT(f.tgid, 77);
	CHECK_INT(f.uid, 1000);
	CHECK_INT(f.euid, 0);
	CHECK_INT(f.gid, 100);
	CHECK_INT(f.egid, 101);
	CHECK_INT(proc_parse_status("Name:\tx\n", 8, &f), -1);
	CHECK_INT(f.uid, PROC_ID_UNKNOWN);
}

TEST(count_args)
{
	CHECK_INT(proc_count_args("", 0), 0);
	CHECK_INT(proc_count_args("a\0b c\0", 6), 2);
	CHECK_INT(proc_count_args("a\0bc", 4), 2);	/* truncated last */
}

/* ---- seeding ------------------------------------------------------------ */

TEST(seed_fake_tree)
{
	static const char long_arg_fill = 'x';
	char *root = make_root(), *long_cmdline = malloc(5000);
	struct fake_proc init = { 1, 0, "systemd", 10, 0, 0, 0, "/sbin/init\0", 11,
				  "/usr/lib/systemd/systemd", "/", 0 };
	struct fake_proc kthreadd = { 2, 0, "kthreadd", 10, 0, 0, 0, "", 0,
				      NULL, NULL, 0 };
	struct fake_proc kworker = { 9, 2, "kworker/0:1", 11, 0, 0, 0, "", 0,
				     NULL, NULL, 0 };
	struct fake_proc weird = { 100, 1, "my ) (prog", 200, 1000, 0, 100,
				   "prog\0-x\0", 8, "/opt/prog", "/home/u", 0 };
	struct fake_proc child = { 200, 100, "sh", 300, 1000, 1000, 100,
				   "sh\0-c\0echo hi\0", 14,
				   "/usr/bin/x (deleted)", "/tmp", 0 };
	struct fake_proc longp = { 300, 200, "long", 400, 0, 0, 0, NULL, 5000,
				   "/bin/long", "/", 0 };
	struct proc_table *table = proc_table_new(SALT);
	const struct proc_entry *chain[8];
	struct proc_entry *e, *p;
	char vanished[PATH_MAX], self_dir[PATH_MAX];

	CHECK(root && long_cmdline && table);
	if (!root || !long_cmdline || !table)
		goto out;
	memset(long_cmdline, long_arg_fill, 5000);
	longp.cmdline = long_cmdline;
	CHECK_INT(add_proc(root, &init), 0);
	CHECK_INT(add_proc(root, &kthreadd), 0);
	CHECK_INT(add_proc(root, &kworker), 0);
	CHECK_INT(add_proc(root, &weird), 0);
	CHECK_INT(add_proc(root, &child), 0);
	CHECK_INT(add_proc(root, &longp), 0);
	/* A process that vanished after readdir, and a non-pid dir. */
	snprintf(vanished, sizeof(vanished), "%s/555", root);
	snprintf(self_dir, sizeof(self_dir), "%s/self", root);
	CHECK_INT(mkdir(vanished, 0755), 0);
	CHECK_INT(mkdir(self_dir, 0755), 0);

	CHECK_INT(proc_table_seed(table, root), 6);
	CHECK_INT(proc_table_size(table), 6);

	e = proc_table_lookup(table, 100);
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->comm, "my ) (prog");
		CHECK_INT(e->ppid, 1);
		CHECK_INT(e->start_ns, ticks_ns(200));
		CHECK_INT(e->uid, 1000);
		CHECK_INT(e->euid, 0);
		CHECK_INT(e->gid, 100);
		CHECK_STR(e->exe, "/opt/prog");
		CHECK_STR(e->cwd, "/home/u");
		CHECK_INT(e->argc, 2);
		CHECK_INT(e->args_len, 8);
		CHECK(memcmp(e->args, "prog\0-x\0", 8) == 0);
		CHECK(e->from_proc);
		CHECK(is_exec_id(e->exec_id));
	}
	e = proc_table_lookup(table, 200);
	p = proc_table_lookup(table, 100);
	CHECK(e && p);
	if (e && p) {
		CHECK_STR(e->exe, "/usr/bin/x");	/* " (deleted)" gone */
		CHECK_INT(e->argc, 3);
		CHECK(e->parent == p);
		CHECK_STR(e->parent_exec_id, p->exec_id);
		CHECK_INT(proc_table_ancestors(e, chain, 8), 2);
		CHECK_INT(chain[0]->pid, 100);
		CHECK_INT(chain[1]->pid, 1);
	}
	e = proc_table_lookup(table, 300);
	CHECK(e != NULL);
	if (e) {
		CHECK(e->args_truncated);
		CHECK_INT(e->args_len, 4096);
		CHECK_INT(e->argc, 1);
	}
	e = proc_table_lookup(table, 9);
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->exe, "");
		CHECK_INT(e->args_len, 0);
		CHECK(e->parent && e->parent->pid == 2);
	}
	e = proc_table_lookup(table, 1);
	CHECK(e && e->parent == NULL && e->parent_exec_id[0] == '\0');
	CHECK(proc_table_lookup(table, 555) == NULL);
out:
	free(long_cmdline);
	proc_table_free(table);
	remove_root(root);
}

TEST(seed_missing_root_fails)
{
	struct proc_table *table = proc_table_new(SALT);

	CHECK(table != NULL);
	if (!table)
		return;
	errno = 0;
	CHECK_INT(proc_table_seed(table, "/nonexistent/vigil-proc"), -1);
	CHECK_INT(errno, ENOENT);
	proc_table_free(table);
}

TEST(seed_real_proc_finds_self)
{
	struct proc_table *table = proc_table_new(SALT);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct proc_entry *self;

	CHECK(table != NULL && n > 0);
	if (!table || n <= 0) {
		proc_table_free(table);
		return;
	}
	exe[n] = '\0';
	CHECK(proc_table_seed(table, "/proc") > 0);
	self = proc_table_lookup(table, (uint32_t)getpid());
	CHECK(self != NULL);
	if (self) {
		CHECK_INT(self->ppid, getppid());
		CHECK_STR(self->exe, exe);
		CHECK_INT(self->uid, getuid());
		CHECK_INT(self->euid, geteuid());
		CHECK(self->parent && self->parent->pid == (uint32_t)getppid());
		CHECK(self->argc >= 1);
	}
	proc_table_free(table);
}

/* ---- events ------------------------------------------------------------- */

TEST(fork_exec_exit_sequence)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *init, *sh, *ls;
	char init_id[EXEC_ID_LEN + 1], sh_fork_id[EXEC_ID_LEN + 1];
	const struct proc_entry *chain[4];

	CHECK(table && root);
	if (!table || !root)
		goto out;
	init = exec_simple(table, 1, 0, 1 * MS, "/sbin/init");
	CHECK(init && is_exec_id(init->exec_id));
	if (!init)
		goto out;
	memcpy(init_id, init->exec_id, sizeof(init_id));

	sh = proc_table_on_fork(table, 1, 20, 2 * MS);
	CHECK(sh != NULL);
	if (!sh)
		goto out;
	CHECK(sh->parent == init);
	CHECK_STR(sh->exe, "/sbin/init");	/* copied until it execs */
	CHECK_STR(sh->parent_exec_id, init_id);
	CHECK(strcmp(sh->exec_id, init_id) != 0);
	CHECK(!sh->from_proc);
	memcpy(sh_fork_id, sh->exec_id, sizeof(sh_fork_id));

	CHECK(exec_simple(table, 20, 1, 3 * MS, "/bin/sh") == sh);
	CHECK_STR(sh->exe, "/bin/sh");
	CHECK_INT(sh->exec_ns, 3 * MS);
	CHECK_INT(sh->start_ns, 2 * MS);
	CHECK(strcmp(sh->exec_id, sh_fork_id) != 0);
	CHECK_STR(sh->parent_exec_id, init_id);	/* kept across exec */
	CHECK(sh->parent == init);

	ls = proc_table_on_fork(table, 20, 30, 4 * MS);
	CHECK(ls != NULL);
	if (!ls)
		goto out;
	CHECK_STR(ls->parent_exec_id, sh->exec_id);	/* sh after its exec */
	exec_simple(table, 30, 20, 5 * MS, "/bin/ls");
	CHECK_STR(ls->exe, "/bin/ls");
	CHECK_STR(ls->parent_exec_id, sh->exec_id);
	CHECK_INT(proc_table_ancestors(ls, chain, 4), 2);
	CHECK(chain[0] == sh && chain[1] == init);
	CHECK_INT(proc_table_ancestors(ls, chain, 1), 1);

	/* The same exec event again yields the same id; ids differ by time. */
	CHECK(strcmp(ls->exec_id, sh->exec_id) != 0);

	proc_table_on_exit(table, 30, 6 * MS);
	CHECK(proc_table_lookup(table, 30) == ls);
	CHECK(ls->exited);
	CHECK_INT(proc_table_reap(table, 7 * MS, 10 * MS), 0);	/* in grace */
	CHECK_INT(proc_table_reap(table, 20 * MS, 10 * MS), 1);
	CHECK_INT(proc_table_size(table), 2);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(exec_ids_unique)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	enum { N = 200 };
	char ids[2 * N][EXEC_ID_LEN + 1];
	size_t count = 0;

	CHECK(table && root);
	if (!table || !root)
		goto out;
	exec_simple(table, 1, 0, 1, "/sbin/init");
	for (uint32_t i = 0; i < N; i++) {
		struct proc_entry *e = proc_table_on_fork(table, 1, 100 + i,
							  1000 + i);

		CHECK(e != NULL);
		if (!e)
			continue;
		memcpy(ids[count++], e->exec_id, EXEC_ID_LEN + 1);
		e = exec_simple(table, 100 + i, 1, 5000 + i, "/bin/true");
		CHECK(e != NULL);
		if (e)
			memcpy(ids[count++], e->exec_id, EXEC_ID_LEN + 1);
	}
	for (size_t i = 0; i < count; i++) {
		CHECK(is_exec_id(ids[i]));
		for (size_t j = i + 1; j < count; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				CHECK(!"duplicate exec id");
	}
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(exec_ids_depend_on_salt)
{
	struct proc_table *a = proc_table_new(1), *b = proc_table_new(2);
	char *root_a = make_root(), *root_b = make_root();
	struct proc_entry *ea, *eb;

	CHECK(a && b && root_a && root_b);
	if (a && b && root_a && root_b) {
		proc_table_seed(a, root_a);
		proc_table_seed(b, root_b);
		ea = exec_simple(a, 5, 0, 77, "/x");
		eb = exec_simple(b, 5, 0, 77, "/x");
		CHECK(ea && eb && strcmp(ea->exec_id, eb->exec_id) != 0);
	}
	proc_table_free(a);
	proc_table_free(b);
	remove_root(root_a);
	remove_root(root_b);
}

TEST(pid_reuse_keeps_old_parent_for_child)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *init, *old50, *child, *new50, *reexec;
	const struct proc_entry *chain[4];

	CHECK(table && root);
	if (!table || !root)
		goto out;
	init = exec_simple(table, 1, 0, 1 * MS, "/sbin/init");
	proc_table_on_fork(table, 1, 50, 2 * MS);
	old50 = exec_simple(table, 50, 1, 3 * MS, "/usr/bin/old");
	child = proc_table_on_fork(table, 50, 60, 4 * MS);
	CHECK(init && old50 && child && child->parent == old50);
	if (!init || !old50 || !child)
		goto out;
	proc_table_on_exit(table, 50, 5 * MS);

	/* pid 50 comes back as a different process. */
	new50 = proc_table_on_fork(table, 1, 50, 6 * MS);
	CHECK(new50 != NULL && new50 != old50);
	CHECK(proc_table_lookup(table, 50) == new50);
	CHECK(child->parent == old50);
	CHECK_STR(child->parent->exe, "/usr/bin/old");
	CHECK_INT(proc_table_ancestors(child, chain, 4), 2);
	CHECK(chain[0] == old50 && chain[1] == init);
	CHECK_INT(proc_table_size(table), 4);

	/* The old entry goes once its last child is reaped. */
	proc_table_on_exit(table, 60, 7 * MS);
	CHECK_INT(proc_table_reap(table, 100 * MS, 1 * MS), 2);
	CHECK_INT(proc_table_size(table), 2);

	/* Exec for an exited pid (fork missed): a new entry, not the old. */
	proc_table_on_exit(table, 50, 8 * MS);
	reexec = exec_simple(table, 50, 1, 9 * MS, "/usr/bin/newer");
	CHECK(reexec != NULL);
	if (reexec) {
		CHECK(!reexec->exited);
		CHECK(reexec->parent == init);
		CHECK_STR(reexec->parent_exec_id, init->exec_id);
		CHECK(proc_table_lookup(table, 50) == reexec);
	}
	CHECK_INT(proc_table_size(table), 2);	/* unreferenced old freed */
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(fork_over_live_pid_retires_it)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *first, *second;

	CHECK(table && root);
	if (!table || !root)
		goto out;
	exec_simple(table, 1, 0, 1 * MS, "/sbin/init");
	first = proc_table_on_fork(table, 1, 70, 2 * MS);
	CHECK(proc_table_on_fork(table, 1, 70, 2 * MS) == first); /* dup */
	second = proc_table_on_fork(table, 1, 70, 9 * MS);	  /* exit missed */
	CHECK(second != NULL && proc_table_lookup(table, 70) == second);
	CHECK_INT(proc_table_size(table), 2);
	/* A thread "fork" (same pid) is not a new process. */
	CHECK(proc_table_on_fork(table, 70, 70, 10 * MS) == second);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(fork_of_seeded_process_is_not_duplicated)
{
	char *root = make_root();
	struct fake_proc init = { 1, 0, "init", 5, 0, 0, 0, "init\0", 5,
				  "/sbin/init", "/", 0 };
	struct fake_proc daemon = { 100, 1, "d", 50, 0, 0, 0, "d\0", 2,
				    "/usr/sbin/d", "/", 0 };
	struct proc_table *table = proc_table_new(SALT);
	struct proc_entry *seeded;

	CHECK(root && table);
	if (!root || !table)
		goto out;
	CHECK_INT(add_proc(root, &init), 0);
	CHECK_INT(add_proc(root, &daemon), 0);
	CHECK_INT(proc_table_seed(table, root), 2);
	seeded = proc_table_lookup(table, 100);
	/* The fork event, seen late, has the exact start inside the tick. */
	CHECK(proc_table_on_fork(table, 1, 100, ticks_ns(50) + 3 * MS) == seeded);
	CHECK_INT(proc_table_size(table), 2);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(reap_waits_for_children_and_grace)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *parent, *child;

	CHECK(table && root);
	if (!table || !root)
		goto out;
	exec_simple(table, 1, 0, 1 * MS, "/sbin/init");
	parent = proc_table_on_fork(table, 1, 10, 2 * MS);
	child = proc_table_on_fork(table, 10, 11, 3 * MS);
	CHECK(parent && child);
	proc_table_on_exit(table, 10, 4 * MS);	/* parent first: orphan */
	CHECK_INT(proc_table_reap(table, 1000 * MS, 1 * MS), 0);
	CHECK(proc_table_lookup(table, 10) == parent);
	CHECK(child && child->parent == parent);

	proc_table_on_exit(table, 11, 500 * MS);
	CHECK_INT(proc_table_reap(table, 501 * MS, 10 * MS), 0); /* child in grace */
	/* Child reaped; its parent, long past grace, goes with it. */
	CHECK_INT(proc_table_reap(table, 600 * MS, 10 * MS), 2);
	CHECK(proc_table_lookup(table, 10) == NULL);
	CHECK(proc_table_lookup(table, 11) == NULL);
	CHECK_INT(proc_table_size(table), 1);
	/* Exit of an unknown pid is ignored. */
	proc_table_on_exit(table, 4242, 700 * MS);
	CHECK_INT(proc_table_size(table), 1);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(max_size_evicts_oldest_exited)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *e;

	CHECK(table && root);
	if (!table || !root)
		goto out;
	proc_table_set_max(table, 4);
	exec_simple(table, 1, 0, 1 * MS, "/sbin/init");
	for (uint32_t pid = 10; pid < 13; pid++)
		proc_table_on_fork(table, 1, pid, pid * MS);
	CHECK_INT(proc_table_size(table), 4);
	proc_table_on_exit(table, 11, 20 * MS);
	proc_table_on_exit(table, 10, 21 * MS);

	/* Full: the first to exit (11) makes room. */
	CHECK(proc_table_on_fork(table, 1, 13, 30 * MS) != NULL);
	CHECK_INT(proc_table_size(table), 4);
	CHECK(proc_table_lookup(table, 11) == NULL);
	CHECK(proc_table_lookup(table, 10) != NULL);

	CHECK(proc_table_on_fork(table, 1, 14, 31 * MS) != NULL);
	CHECK(proc_table_lookup(table, 10) == NULL);
	CHECK_INT(proc_table_size(table), 4);

	/* Every entry live: new processes go unrecorded, nothing breaks. */
	CHECK(proc_table_on_fork(table, 1, 15, 32 * MS) == NULL);
	CHECK(exec_simple(table, 16, 1, 33 * MS, "/x") == NULL);
	CHECK_INT(proc_table_size(table), 4);

	/* An exited parent still needed by a child is evicted last, and
	 * the child then just loses the pointer. */
	proc_table_on_exit(table, 12, 40 * MS);
	e = proc_table_lookup(table, 13);
	CHECK(e != NULL);
	proc_table_on_exit(table, 1, 41 * MS);	/* referenced by 12, 13, 14 */
	CHECK(proc_table_on_fork(table, 13, 17, 42 * MS) != NULL); /* evicts 12 */
	CHECK(proc_table_lookup(table, 12) == NULL);
	CHECK(proc_table_on_fork(table, 13, 18, 43 * MS) != NULL); /* evicts 1 */
	CHECK(proc_table_lookup(table, 1) == NULL);
	CHECK(e && e->parent == NULL);
	CHECK_INT(proc_table_size(table), 4);

	proc_table_set_max(table, 2);	/* only live entries left: stays */
	CHECK_INT(proc_table_size(table), 4);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(lazy_load_of_unknown_pid)
{
	char *root = make_root();
	struct fake_proc init = { 1, 0, "init", 5, 0, 0, 0, "init\0", 5,
				  "/sbin/init", "/", 0 };
	struct fake_proc mid = { 400, 1, "bash", 60, 0, 0, 0, "bash\0", 5,
				 "/bin/bash", "/root", 0 };
	struct fake_proc leaf = { 500, 400, "curl", 70, 0, 0, 0, "curl\0x\0", 7,
				  "/usr/bin/curl", "/root", 0 };
	struct fake_proc thread = { 501, 400, "curl", 70, 0, 0, 0, "curl\0x\0",
				    7, "/usr/bin/curl", "/root", 500 };
	struct proc_table *table = proc_table_new(SALT);
	const struct proc_entry *chain[4];
	struct proc_entry *e, *orphan;

	CHECK(root && table);
	if (!root || !table)
		goto out;
	CHECK_INT(add_proc(root, &init), 0);
	CHECK_INT(proc_table_seed(table, root), 1);
	/* Forked while events were dropped. */
	CHECK_INT(add_proc(root, &mid), 0);
	CHECK_INT(add_proc(root, &leaf), 0);
	CHECK_INT(add_proc(root, &thread), 0);

	e = proc_table_lookup(table, 500);
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->exe, "/usr/bin/curl");
		CHECK(e->from_proc);
		CHECK_INT(proc_table_ancestors(e, chain, 4), 2);
		CHECK_INT(chain[0]->pid, 400);
		CHECK_INT(chain[1]->pid, 1);
		CHECK_STR(e->parent_exec_id, chain[0]->exec_id);
	}
	CHECK(proc_table_lookup(table, 501) == e);	/* thread → process */
	CHECK(proc_table_lookup(table, 999) == NULL);
	CHECK(proc_table_lookup(table, 0) == NULL);
	CHECK_INT(proc_table_size(table), 3);

	/* Exec of a pid nowhere to be found: created under its ppid. */
	orphan = exec_simple(table, 700, 400, 80 * MS, "/bin/nc");
	CHECK(orphan != NULL);
	if (orphan) {
		CHECK_INT(orphan->start_ns, 80 * MS);
		CHECK(orphan->parent && orphan->parent->pid == 400);
		CHECK_STR(orphan->parent_exec_id, orphan->parent->exec_id);
	}
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(ancestors_stop_at_loops_and_pid0)
{
	char *root = make_root();
	/* 7 and 8 claim each other as parent: /proc races can show that. */
	struct fake_proc a = { 7, 8, "a", 1, 0, 0, 0, "", 0, NULL, NULL, 0 };
	struct fake_proc b = { 8, 7, "b", 1, 0, 0, 0, "", 0, NULL, NULL, 0 };
	struct proc_table *table = proc_table_new(SALT);
	const struct proc_entry *chain[16];
	struct proc_entry *e;

	CHECK(root && table);
	if (!root || !table)
		goto out;
	CHECK_INT(add_proc(root, &a), 0);
	CHECK_INT(add_proc(root, &b), 0);
	CHECK_INT(proc_table_seed(table, root), 2);
	e = proc_table_lookup(table, 7);
	CHECK(e != NULL);
	CHECK(proc_table_ancestors(e, chain, 16) <= 1);
	CHECK_INT(proc_table_ancestors(NULL, chain, 16), 0);
	CHECK_INT(proc_table_ancestors(e, chain, 0), 0);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(update_creds)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	struct proc_entry *e;

	CHECK(table && root);
	if (!table || !root)
		goto out;
	e = exec_simple(table, 3, 0, 1, "/bin/su");
	proc_table_update_creds(e, 1, 2, 0, "a-very-long-command-name");
	CHECK(e && e->uid == 1 && e->gid == 2 && e->euid == 0);
	CHECK(e && strcmp(e->comm, "a-very-long-comm") == 0);
	proc_table_update_creds(NULL, 0, 0, 0, NULL);
out:
	proc_table_free(table);
	remove_root(root);
}

TEST(many_entries_grow_the_hash)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);

	CHECK(table && root);
	if (!table || !root)
		goto out;
	exec_simple(table, 1, 0, 1, "/sbin/init");
	for (uint32_t pid = 2; pid < 5000; pid++)
		proc_table_on_fork(table, 1, pid, pid);
	CHECK_INT(proc_table_size(table), 4999);
	for (uint32_t pid = 2; pid < 5000; pid += 97) {
		struct proc_entry *e = proc_table_lookup(table, pid);

		CHECK(e && e->pid == pid);
	}
	for (uint32_t pid = 2; pid < 5000; pid++)
		proc_table_on_exit(table, pid, 10000);
	CHECK_INT(proc_table_reap(table, 20000, 0), 4998);
out:
	proc_table_free(table);
	remove_root(root);
}

/* Random fork/exec/exit/reap over a few pids and a tiny table: pid reuse,
 * eviction and reaping interleave; ASan catches any dangling pointer. */
TEST(random_event_storm)
{
	char *root;
	struct proc_table *table = table_with_empty_root(&root);
	uint64_t state = 0x9e3779b97f4a7c15ULL, now = 1;
	const struct proc_entry *chain[64];

	CHECK(table && root);
	if (!table || !root)
		goto out;
	proc_table_set_max(table, 24);
	for (int i = 0; i < 200000; i++) {
		uint32_t pid, other, op;
		struct proc_entry *e;

		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		op = (uint32_t)(state >> 60);
		pid = 1 + (uint32_t)((state >> 32) % 40);
		other = 1 + (uint32_t)((state >> 16) % 40);
		now += 1 + (state >> 8) % 1000;
		if (op < 5)
			e = proc_table_on_fork(table, other, pid, now);
		else if (op < 8)
			e = exec_simple(table, pid, other, now, "/bin/x");
		else if (op < 12)
			e = (proc_table_on_exit(table, pid, now), NULL);
		else if (op < 13)
			e = (proc_table_reap(table, now, 5000), NULL);
		else
			e = proc_table_lookup(table, pid);
		if (e) {
			size_t n = proc_table_ancestors(e, chain, 64);

			for (size_t k = 0; k < n; k++)
				CHECK(chain[k]->pid != 0 && chain[k]->exec_id[0]);
			CHECK(!e->parent || e->parent_exec_id[0]);
		}
		if (proc_table_size(table) > 24)
			CHECK(!"table over its bound");
	}
	proc_table_reap(table, UINT64_MAX, 0);
out:
	proc_table_free(table);
	remove_root(root);
}

int main(void)
{
	RUN(parse_stat_takes_comm_to_last_paren);
	RUN(parse_stat_rejects_malformed);
	RUN(parse_stat_cuts_long_comm);
	RUN(parse_status_reads_ids);
	RUN(count_args);
	RUN(seed_fake_tree);
	RUN(seed_missing_root_fails);
	RUN(seed_real_proc_finds_self);
	RUN(fork_exec_exit_sequence);
	RUN(exec_ids_unique);
	RUN(exec_ids_depend_on_salt);
	RUN(pid_reuse_keeps_old_parent_for_child);
	RUN(fork_over_live_pid_retires_it);
	RUN(fork_of_seeded_process_is_not_duplicated);
	RUN(reap_waits_for_children_and_grace);
	RUN(max_size_evicts_oldest_exited);
	RUN(lazy_load_of_unknown_pid);
	RUN(ancestors_stop_at_loops_and_pid0);
	RUN(update_creds);
	RUN(many_entries_grow_the_hash);
	RUN(random_event_storm);
	return TEST_SUMMARY();
}

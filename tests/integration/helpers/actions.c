/* actions.c - one small process per integration-test action, so that
 * every event the test looks for comes from a known pid and binary.
 *
 *   actions CMD ARGS...
 *
 * Each command does exactly the syscalls it names and exits 0 on
 * success (or the status it was asked for).  Pids the test needs (forked
 * children, ports) are printed on stdout as "key=value" lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self_path;

static void die(const char *what)
{
	fprintf(stderr, "actions: %s: %s\n", what, strerror(errno));
	exit(100);
}

static void join(char *out, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len) {
		fprintf(stderr, "actions: path too long\n");
		exit(100);
	}
}

/* touch PATH [ARGS...]: create PATH (the exec target of other actions). */
static int cmd_touch(int argc, char **argv)
{
	int fd;

	if (argc < 1)
		return 2;
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	close(fd);
	return 0;
}

/* forkexec MKDIR TOUCH ARG...: fork; the child mkdirs MKDIR, then execs
 * "actions touch TOUCH ARG..."; the parent waits. */
static int cmd_forkexec(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char **nargv = calloc(argc + 2, sizeof(char *));

		if (!nargv || mkdir(argv[0], 0755) < 0)
			_exit(101);
		nargv[0] = "actions";
		nargv[1] = "touch";
		for (int i = 1; i < argc; i++)
			nargv[i + 1] = argv[i];
		execv(self_path, nargv);
		_exit(102);
	}
	printf("child=%d\n", pid);
	fflush(stdout);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* files DIR: open-create, rename, chmod, chown, link, symlink, mkdir,
 * unlink, and a failing open, all inside DIR. */
static int cmd_files(int argc, char **argv)
{
	char f[4096], g[4096], h[4096], s[4096], d[4096], missing[4096];
	int fd;

	if (argc < 1)
		return 2;
	join(f, sizeof(f), argv[0], "created");
	join(g, sizeof(g), argv[0], "renamed");
	join(h, sizeof(h), argv[0], "hardlink");
	join(s, sizeof(s), argv[0], "symlink");
	join(d, sizeof(d), argv[0], "subdir");
	join(missing, sizeof(missing), argv[0], "no/such/file");
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("open");
	if (write(fd, "x\n", 2) != 2)
		die("write");
	close(fd);
	if (rename(f, g) < 0)
		die("rename");
	if (chmod(g, 0640) < 0)
		die("chmod");
	if (chown(g, 1234, 5678) < 0)
		die("chown");
	if (link(g, h) < 0)
		die("link");
	if (symlink("renamed", s) < 0)
		die("symlink");
	if (mkdir(d, 0750) < 0)
		die("mkdir");
	if (unlink(h) < 0)
		die("unlink");
	if (open(missing, O_RDONLY) >= 0 || errno != ENOENT)
		die("open missing");
	return 0;
}

/* tcp [PORT]: listener on 127.0.0.1:PORT, a connect to it and the accept. */
static int cmd_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in c = { 0 };
	socklen_t alen = sizeof(a), clen = sizeof(c);
	int ls, cs, as;

	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(ls, 7) < 0)
		die("listen");
	if (getsockname(ls, (struct sockaddr *)&a, &alen) < 0)
		die("getsockname");
	cs = socket(AF_INET, SOCK_STREAM, 0);
	if (cs < 0 || connect(cs, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	if (getsockname(cs, (struct sockaddr *)&c, &clen) < 0)
		die("getsockname");
	as = accept(ls, NULL, NULL);
	if (as < 0)
		die("accept");
	printf("listen_port=%d\nclient_port=%d\n", ntohs(a.sin_port), ntohs(c.sin_port));
	printf("listen_fd=%d\nclient_fd=%d\naccept_fd=%d\n", ls, cs, as);
	close(as);
	close(cs);
	close(ls);
	return 0;
}

static int cmd_setuid(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	if (setuid((uid_t)atoi(argv[0])) < 0)
		die("setuid");
	return 0;
}

/* capset: drop CAP_SYS_ADMIN (21) from the effective set. */
static int cmd_capset(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		die("capget");
	data[0].effective &= ~(1u << 21);
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset");
	return 0;
}

static int cmd_unshare(void)
{
	if (unshare(CLONE_NEWUTS) < 0)
		die("unshare");
	return 0;
}

static int cmd_setns(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY);

	if (fd < 0)
		die("open ns");
	if (setns(fd, CLONE_NEWUTS) < 0)
		die("setns");
	return 0;
}

static int cmd_memfd(int argc, char **argv)
{
	int fd;

	if (argc < 1)
		return 2;
	fd = memfd_create(argv[0], MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	printf("fd=%d\n", fd);
	return 0;
}

static pid_t spawn_pauser(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/* kill: a child that waits, killed with SIGTERM. */
static int cmd_kill(void)
{
	pid_t pid = spawn_pauser();
	int status;

	printf("child=%d\n", pid);
	fflush(stdout);
	usleep(20000);
	if (kill(pid, SIGTERM) < 0)
		die("kill");
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 1;
}

/* ptrace: a child that asks to be traced (PTRACE_TRACEME) and exits;
 * a second child that the parent attaches to (PTRACE_ATTACH). */
static int cmd_ptrace(void)
{
	pid_t me, victim;
	int status;

	me = fork();
	if (me < 0)
		die("fork");
	if (me == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(101);
		_exit(0);
	}
	if (waitpid(me, &status, 0) < 0)
		die("waitpid");
	victim = spawn_pauser();
	printf("traceme=%d\nvictim=%d\n", me, victim);
	fflush(stdout);
	if (ptrace(PTRACE_ATTACH, victim, NULL, NULL) < 0)
		die("ptrace attach");
	if (waitpid(victim, &status, 0) < 0)
		die("waitpid");
	if (ptrace(PTRACE_DETACH, victim, NULL, NULL) < 0)
		die("ptrace detach");
	kill(victim, SIGKILL);
	waitpid(victim, &status, 0);
	return 0;
}

static int cmd_mount(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	if (mount("vigiltest", argv[0], "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") < 0)
		die("mount");
	if (umount2(argv[0], 0) < 0)
		die("umount2");
	return 0;
}

/* badexec PATH: an exec that fails (ENOENT); then exit 0. */
static int cmd_badexec(int argc, char **argv)
{
	char *nargv[] = { "missing", "arg", NULL };

	if (argc < 1)
		return 2;
	execv(argv[0], nargv);
	return errno == ENOENT ? 0 : 1;
}

/* bigarg N PATH: exec "actions touch PATH <N bytes>"; when that exec
 * fails (E2BIG above 128 KiB), print the errno and exit 0. */
static int cmd_bigarg(int argc, char **argv)
{
	size_t n;
	char *big, *nargv[5];

	if (argc < 2)
		return 2;
	n = strtoul(argv[0], NULL, 10);
	big = malloc(n + 1);
	if (!big)
		die("malloc");
	memset(big, 'A', n);
	big[n] = '\0';
	nargv[0] = "actions";
	nargv[1] = "touch";
	nargv[2] = argv[1];
	nargv[3] = big;
	nargv[4] = NULL;
	execv(self_path, nargv);
	printf("errno=%d\n", errno);
	return 0;
}

/* module: finit_module on a bad fd (fails with EBADF, loads nothing). */
static int cmd_module(void)
{
	if (syscall(SYS_finit_module, -1, "", 0) == 0)
		return 1;
	printf("errno=%d\n", errno);
	return 0;
}

/* bpf: create a one-entry array map. */
static int cmd_bpf(void)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		die("bpf");
	printf("fd=%ld\n", fd);
	return 0;
}

/* waitopen PATH: block until a line arrives on stdin, then create PATH. */
static int cmd_waitopen(int argc, char **argv)
{
	char c;

	if (argc < 1)
		return 2;
	if (read(0, &c, 1) != 1)
		return 1;
	return cmd_touch(argc, argv);
}

/* openraw PATH: open(PATH, O_RDONLY) whatever bytes PATH holds; the
 * result does not matter. */
static int cmd_openraw(int argc, char **argv)
{
	int fd;

	if (argc < 1)
		return 2;
	fd = open(argv[0], O_RDONLY);
	printf("ret=%d\nerrno=%d\n", fd < 0 ? -errno : fd, fd < 0 ? errno : 0);
	return 0;
}

/* longpath LEN: open(2) of a relative path "a/a/a/..." of exactly LEN bytes
 * (does not exist; ENOENT or ENAMETOOLONG). */
static int cmd_longpath(int argc, char **argv)
{
	size_t len;
	char *p;

	if (argc < 1)
		return 2;
	len = strtoul(argv[0], NULL, 10);
	p = malloc(len + 1);
	if (!p)
		die("malloc");
	for (size_t i = 0; i < len; i++)
		p[i] = (i % 2) ? '/' : 'a';
	p[len - 1] = 'z';
	p[len] = '\0';
	if (open(p, O_RDONLY) >= 0)
		return 1;
	printf("errno=%d\n", errno);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	self_path = "/proc/self/exe";
	if (argc < 2) {
		fprintf(stderr, "usage: actions CMD ARGS...\n");
		return 2;
	}
	{
		static char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			self_path = exe;
		}
	}
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "touch"))
		return cmd_touch(argc, argv);
	if (!strcmp(cmd, "forkexec"))
		return cmd_forkexec(argc, argv);
	if (!strcmp(cmd, "files"))
		return cmd_files(argc, argv);
	if (!strcmp(cmd, "tcp"))
		return cmd_tcp(argc > 0 ? atoi(argv[0]) : 0);
	if (!strcmp(cmd, "setuid"))
		return cmd_setuid(argc, argv);
	if (!strcmp(cmd, "capset"))
		return cmd_capset();
	if (!strcmp(cmd, "unshare"))
		return cmd_unshare();
	if (!strcmp(cmd, "setns"))
		return cmd_setns();
	if (!strcmp(cmd, "memfd"))
		return cmd_memfd(argc, argv);
	if (!strcmp(cmd, "kill"))
		return cmd_kill();
	if (!strcmp(cmd, "ptrace"))
		return cmd_ptrace();
	if (!strcmp(cmd, "mount"))
		return cmd_mount(argc, argv);
	if (!strcmp(cmd, "badexec"))
		return cmd_badexec(argc, argv);
	if (!strcmp(cmd, "module"))
		return cmd_module();
	if (!strcmp(cmd, "bpf"))
		return cmd_bpf();
	if (!strcmp(cmd, "bigarg"))
		return cmd_bigarg(argc, argv);
	if (!strcmp(cmd, "waitopen"))
		return cmd_waitopen(argc, argv);
	if (!strcmp(cmd, "openraw"))
		return cmd_openraw(argc, argv);
	if (!strcmp(cmd, "longpath"))
		return cmd_longpath(argc, argv);
	if (!strcmp(cmd, "exit"))
		return argc > 0 ? atoi(argv[0]) : 0;
	if (!strcmp(cmd, "sigkill")) {
		kill(getpid(), SIGKILL);
		pause();
		return 1;
	}
	fprintf(stderr, "actions: unknown command %s\n", cmd);
	return 2;
}

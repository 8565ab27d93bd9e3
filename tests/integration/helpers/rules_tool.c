/* rules_tool.c - actions the default-rules tests (test_rules.py) make happen.
 *
 * One small program with subcommands, built like the other helpers and,
 * by the tests, also statically so that it runs inside the busybox
 * container.  It is often copied under another name (sleep, curl, xmrig,
 * kubectl ...) because several rules look at the process name.
 *
 *   connect IP PORT        TCP connect (IPv4), send one byte, close
 *   unix PATH              connect to a unix stream socket, close
 *   read FILE              open FILE for reading and read it
 *   ptrace attach|seize|traceme
 *                          attach to (or seize) a child of ours and detach;
 *                          traceme: the child asks to be traced instead
 *   memfd FILE [ARG...]    copy FILE into a memfd and execute that
 *   exec FILE [ARG...]     execute FILE by its path (the twin of memfd)
 *   module load|unload     finit_module(-1) (fails: no module is loaded) /
 *                          delete_module of a module that does not exist
 *   noop                   exit 0
 *
 * Prints pid=N and, where it applies, ret=N errno=N on stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int usage(void)
{
	fprintf(stderr, "usage: rules_tool connect IP PORT | unix PATH | read FILE | "
		"ptrace attach|seize|traceme | memfd FILE [ARG...] | exec FILE [ARG...] | "
		"module load|unload | noop\n");
	return 2;
}

static void report(long ret)
{
	printf("ret=%ld\nerrno=%d\n", ret, ret < 0 ? errno : 0);
	fflush(stdout);
}

static int do_connect(const char *ip, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int r;

	if (fd < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return 1;
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	report(r);
	if (r == 0 && write(fd, "x", 1) != 1)
		r = -1;
	close(fd);
	return r == 0 ? 0 : 1;
}

static int do_unix(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	int r;

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path))
		return 1;
	strcpy(a.sun_path, path);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	report(r);
	close(fd);
	return r == 0 ? 0 : 1;
}

static int do_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	report(fd);
	if (fd < 0)
		return 1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int do_ptrace(const char *how)
{
	int status;
	long r;
	pid_t child;

	if (!strcmp(how, "traceme")) {
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			_exit(r == 0 ? 0 : 1);
		}
		waitpid(child, &status, 0);
		report(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
		return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
	}
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		for (;;)
			pause();
	}
	printf("child=%d\n", (int)child);
	if (!strcmp(how, "seize")) {
		r = ptrace(PTRACE_SEIZE, child, NULL, NULL);
		report(r);
		if (r == 0) {
			ptrace(PTRACE_INTERRUPT, child, NULL, NULL);
			waitpid(child, &status, 0);
		}
	} else {
		r = ptrace(PTRACE_ATTACH, child, NULL, NULL);
		report(r);
		if (r == 0)
			waitpid(child, &status, 0);
	}
	if (r == 0)
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return r == 0 ? 0 : 1;
}

static int do_memfd(char **argv)
{
	char buf[65536];
	ssize_t n;
	int in = open(argv[0], O_RDONLY | O_CLOEXEC);
	int mfd = (int)syscall(SYS_memfd_create, "vigil-rt", 0);

	if (in < 0 || mfd < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return 1;
	close(in);
	fflush(stdout);
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	perror("execveat");
	return 1;
}

static int do_module(const char *how)
{
	long r;

	if (!strcmp(how, "load"))
		r = syscall(SYS_finit_module, -1, "", 0);
	else
		r = syscall(SYS_delete_module, "vigil_rt_no_such_module", O_NONBLOCK);
	report(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(argv[1], "connect") && argc == 4)
		return do_connect(argv[2], argv[3]);
	if (!strcmp(argv[1], "unix") && argc == 3)
		return do_unix(argv[2]);
	if (!strcmp(argv[1], "read") && argc == 3)
		return do_read(argv[2]);
	if (!strcmp(argv[1], "ptrace") && argc == 3)
		return do_ptrace(argv[2]);
	if (!strcmp(argv[1], "memfd") && argc >= 3)
		return do_memfd(argv + 2);
	if (!strcmp(argv[1], "exec") && argc >= 3) {
		execv(argv[2], argv + 2);
		perror("execv");
		return 1;
	}
	if (!strcmp(argv[1], "module") && argc == 3)
		return do_module(argv[2]);
	if (!strcmp(argv[1], "noop"))
		return 0;
	return usage();
}

/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* loops.c - the three syscall loops `make bench` times under each monitor.
 *
 *   loops MODE ITERATIONS [MAX_MS]
 *
 * MODE is one of
 *   open     open(O_RDONLY) + close of an existing temporary file
 *   exec     posix_spawn /bin/true and wait for it
 *   connect  TCP connect to a loopback listener of this process, accept,
 *            close both
 *
 * The loop first warms up (a tenth of the iterations or of the time
 * budget, whichever ends first), then runs at most ITERATIONS operations in
 * BATCHES equal batches sized from the warm-up rate to fill MAX_MS
 * (default 1000) milliseconds, stopping early once the budget is spent, so
 * a slow monitor cannot stretch one measurement much beyond a second. It
 * prints one line:
 *
 *   MODE median_ns=N mean_ns=N min_ns=N ops=N batches=N secs=N
 *
 * median_ns is the median over batches of the batch's ns per operation,
 * which is what the bench uses; the mean is over all measured operations.
 * Exit status is 0, or 1 with a message on stderr if an operation fails. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 20

extern char **environ;

struct loop {
	const char *name;
	int (*setup)(void);
	int (*op)(void);
	void (*teardown)(void);
};

static void die(const char *what)
{
	fprintf(stderr, "loops: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- open ---------------------------------------------------------- */

static char open_path[] = "/tmp/vigil-bench-open-XXXXXX";

static int open_setup(void)
{
	int fd = mkstemp(open_path);

	if (fd < 0)
		die("mkstemp");
	if (write(fd, "x\n", 2) != 2)
		die("write");
	close(fd);
	return 0;
}

static int open_op(void)
{
	int fd = open(open_path, O_RDONLY);

	if (fd < 0)
		die("open");
	close(fd);
	return 0;
}

static void open_teardown(void)
{
	unlink(open_path);
}

/* Interrupted (Ctrl-C reaches the whole process group): leave no
 * temporary file behind. */
static void on_signal(int sig)
{
	unlink(open_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- exec ---------------------------------------------------------- */

static int exec_setup(void)
{
	if (access("/bin/true", X_OK) != 0)
		die("/bin/true");
	return 0;
}

static int exec_op(void)
{
	static char *const argv[] = {"true", NULL};
	pid_t pid;
	int status;
	int err;

	err = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (err) {
		errno = err;
		die("posix_spawn /bin/true");
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		die("/bin/true did not exit 0");
	}
	return 0;
}

static void exec_teardown(void)
{
}

/* ---- connect ------------------------------------------------------- */

static int listen_fd = -1;
static struct sockaddr_in listen_addr;

static int connect_setup(void)
{
	socklen_t len = sizeof(listen_addr);
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		die("socket");
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&listen_addr, 0, sizeof(listen_addr));
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_addr.sin_port = 0;
	if (bind(listen_fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0)
		die("bind");
	if (listen(listen_fd, 128) < 0)
		die("listen");
	if (getsockname(listen_fd, (struct sockaddr *)&listen_addr, &len) < 0)
		die("getsockname");
	return 0;
}

/* The accepted side is closed first so the TIME_WAIT state lands on the
 * listener's side, not on the client's ephemeral port: otherwise a few
 * tens of thousands of connects exhaust the local port range. */
static int connect_op(void)
{
	int c, a;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		die("socket");
	if (connect(c, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0)
		die("connect");
	a = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		die("accept");
	close(a);
	close(c);
	return 0;
}

static void connect_teardown(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
}

static const struct loop loops[] = {
	{"open", open_setup, open_op, open_teardown},
	{"exec", exec_setup, exec_op, exec_teardown},
	{"connect", connect_setup, connect_op, connect_teardown},
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: loops open|exec|connect ITERATIONS [MAX_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct loop *l = NULL;
	double per_op[BATCHES], sorted[BATCHES];
	double budget_ns, t0, start, spent, median;
	long iters, batch, ops = 0, i;
	int nb = 0;

	if (argc < 3 || argc > 4)
		usage();
	for (size_t k = 0; k < sizeof(loops) / sizeof(loops[0]); k++)
		if (!strcmp(argv[1], loops[k].name))
			l = &loops[k];
	iters = atol(argv[2]);
	budget_ns = (argc == 4 ? atof(argv[3]) : 1000.0) * 1e6;
	if (!l || iters < BATCHES || budget_ns <= 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	l->setup();

	/* Warm up: caches, page tables, dentry and socket slabs, the
	 * monitor's maps. A tenth of the iterations or of the budget. */
	t0 = now_ns();
	for (i = 0; i < 3 || (i < iters / 10 && now_ns() - t0 < budget_ns / 10); i++)
		l->op();

	/* Batch size from the warm-up rate, so BATCHES batches fill about
	 * the budget; never more than ITERATIONS operations in all. */
	batch = (long)(budget_ns / BATCHES / ((now_ns() - t0) / (double)i));
	if (batch > iters / BATCHES)
		batch = iters / BATCHES;
	if (batch < 1)
		batch = 1;
	start = now_ns();
	for (nb = 0; nb < BATCHES; nb++) {
		double b0 = now_ns();

		for (i = 0; i < batch; i++)
			l->op();
		per_op[nb] = (now_ns() - b0) / (double)batch;
		ops += batch;
		/* Out of time: keep what we have, but at least 5 batches. */
		if (nb >= 4 && now_ns() - start > budget_ns) {
			nb++;
			break;
		}
	}
	spent = now_ns() - start;
	l->teardown();

	memcpy(sorted, per_op, sizeof(double) * nb);
	qsort(sorted, nb, sizeof(double), cmp_double);
	median = nb % 2 ? sorted[nb / 2] : (sorted[nb / 2 - 1] + sorted[nb / 2]) / 2;
	printf("%s median_ns=%.1f mean_ns=%.1f min_ns=%.1f ops=%ld batches=%d secs=%.3f\n",
	       l->name, median, spent / (double)ops, sorted[0], ops, nb, spent / 1e9);
	return 0;
}

/* enforce_latency.c - from the offending syscall to the enforced outcome,
 * for each enforcement mechanism, next to the same syscall allowed.
 *
 *   exec (in kernel, SIGKILL at sched_process_exec): execve() called in
 *     the child -> the parent's waitpid() sees SIGKILL; beside it, an
 *     allowed /bin/true runs and exits.
 *   connect (in kernel, cgroup connect4): connect() -> EPERM; beside it,
 *     connect() -> ECONNREFUSED (allowed, nobody listening).
 *   open (user space, fanotify permission event answered by vigil's
 *     thread): open() -> EPERM; beside it, an open of an unprotected file.
 *   inbound (in kernel, cgroup_skb ingress on the workload's listener): a
 *     connect() from outside -> the drop's report read in user space (the
 *     peer itself only sees a timeout); beside it, a connect() to another
 *     listener of the workload that the rules let in -> established.
 *
 * Runs interleaved (blocked, allowed, blocked, ...) in a scratch cgroup;
 * prints median and p99 in microseconds.  Needs root. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "enforce/enforcer.h"
#include "enforce/file_guard.h"

#define CGROOT "/sys/fs/cgroup/unified"

static char cg_path[256];

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("  %-52s median %9.1f us   p99 %9.1f us   (n=%d)\n", what, v[n / 2],
	       v[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1], n);
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

/* A child in the cgroup: time from its execve() to its end as the parent sees it. */
static double exec_latency(const char *path, volatile double *start)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		char *argv[] = {(char *)path, NULL};

		join_cgroup();
		*start = now_us();
		execv(path, argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return now_us() - *start;
}

/* A worker in the cgroup runs the network and file loops. */
static void worker(int n, const char *blocked_file, const char *open_file, double *out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};

	join_cgroup();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {	/* interleaved: blocked, allowed */
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			double t;

			sa.sin_port = htons(k == 0 ? 4444 : 4445);
			t = now_us();
			connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			out[(0 + k) * n + i] = now_us() - t;
			close(fd);
			t = now_us();
			fd = open(k == 0 ? blocked_file : open_file, O_RDONLY);
			out[(2 + k) * n + i] = now_us() - t;
			if (fd >= 0)
				close(fd);
		}
	}
}

/* A process in the cgroup accepting on 127.0.0.1:4446 and :4447 (its
 * sockets belong to the cgroup); returns its pid once it listens. */
static pid_t listeners(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct pollfd p[2];

		join_cgroup();
		for (int k = 0; k < 2; k++) {
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(4446 + k)};
			int one = 1;

			sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			p[k].fd = socket(AF_INET, SOCK_STREAM, 0);
			p[k].events = POLLIN;
			setsockopt(p[k].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(p[k].fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(p[k].fd, 64))
				_exit(1);
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			poll(p, 2, -1);
			for (int k = 0; k < 2; k++)
				if (p[k].revents & POLLIN)
					close(accept(p[k].fd, NULL, NULL));
		}
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

static void count_accept_report(void *ctx, const struct enforce_report *r)
{
	if (r->kind == ENFORCE_ACCEPT)
		(*(int *)ctx)++;
}

/* From this process (outside the cgroup): blocked = connect() until the
 * kernel's report of the dropped SYN is read; allowed = connect() until
 * established. */
static void inbound_latency(struct enforcer *enf, int n, double *blocked, double *allowed)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int seen = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), want;
		double t, limit;

		enforcer_poll(enf, count_accept_report, &seen);
		want = seen + 1;
		sa.sin_port = htons(4446);
		t = now_us();
		connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		for (limit = t + 500000; seen < want && now_us() < limit;)
			enforcer_poll(enf, count_accept_report, &seen);
		blocked[i] = now_us() - t;
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_port = htons(4447);
		t = now_us();
		connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		allowed[i] = now_us() - t;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	struct enforcer_options o = {.cgroup_root = CGROOT, .pin_dir = "/sys/fs/bpf/vigil-bench"};
	struct enforce_workload w;
	struct file_guard *guard;
	struct enforcer *enf;
	char err[256], dir[] = "/tmp/vigil-bench-XXXXXX", secret[64], plain[64];
	struct stat st;
	double *exec_block, *exec_allow, *in_block, *in_allow, *net, *start;
	pid_t pid, accepting;

	if (geteuid() || n < 10 || !mkdtemp(dir))
		return fprintf(stderr, "usage (root): enforce_latency [N >= 10]\n"), 2;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	close(open(secret, O_CREAT | O_WRONLY, 0600));
	close(open(plain, O_CREAT | O_WRONLY, 0600));
	snprintf(cg_path, sizeof(cg_path), "%s/vigil-bench-%d", CGROOT, getpid());
	if (mkdir(cg_path, 0755) || stat(cg_path, &st))
		return perror(cg_path), 1;
	enf = enforcer_open(&o, err, sizeof(err));
	guard = enf ? file_guard_open(CGROOT, NULL, NULL, err, sizeof(err)) : NULL;
	if (!guard)
		return fprintf(stderr, "%s\n", err), rmdir(cg_path), 1;
	memset(&w, 0, sizeof(w));
	w.net_rules = 1;
	w.net[0].addr[10] = w.net[0].addr[11] = 0xff;
	w.net[0].prefix = 96;
	w.net[0].action = ENFORCE_BLOCK;
	w.net[0].direction = ENFORCE_DIR_OUT;
	w.net[0].port_lo = w.net[0].port_hi = 4444;
	w.net_rules = 2;
	w.net[1] = w.net[0];
	w.net[1].direction = ENFORCE_DIR_IN;
	w.net[1].port_lo = w.net[1].port_hi = 4446;
	w.inbound = 1;
	enforcer_set_workload(enf, st.st_ino, &w);
	enforcer_add_exec_path(enf, st.st_ino, "/bin/false", ENFORCE_BLOCK, 0);
	file_guard_protect(guard, secret, secret, &(struct guard_rule){
		.cgroup_id = st.st_ino, .action = ENFORCE_BLOCK, .access = GUARD_READ | GUARD_WRITE});

	exec_block = calloc(n, sizeof(double));
	exec_allow = calloc(n, sizeof(double));
	in_block = calloc(n, sizeof(double));
	in_allow = calloc(n, sizeof(double));
	net = mmap(NULL, 4 * n * sizeof(double), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	start = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	for (int i = 0; i < n; i++) {
		exec_block[i] = exec_latency("/bin/false", start);
		exec_allow[i] = exec_latency("/bin/true", start);
	}
	pid = fork();
	if (pid == 0) {
		worker(n, secret, plain, net);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	accepting = listeners();
	if (accepting > 0) {
		inbound_latency(enf, n, in_block, in_allow);
		kill(accepting, SIGKILL);
		waitpid(accepting, NULL, 0);
	}
	printf("enforcement latency, %d runs each, interleaved (this VM, noisy):\n", n);
	report("exec blocked: execve -> SIGKILL seen", exec_block, n);
	report("exec allowed: execve -> /bin/true exited", exec_allow, n);
	report("connect blocked (cgroup hook): -> EPERM", net, n);
	report("connect allowed: -> ECONNREFUSED", net + n, n);
	report("open blocked (fanotify, vigil thread): -> EPERM", net + 2 * n, n);
	report("open allowed (unmarked file)", net + 3 * n, n);
	if (accepting > 0) {
		report("inbound blocked (cgroup_skb): SYN -> drop reported", in_block, n);
		report("inbound allowed: connect -> established", in_allow, n);
	}
	file_guard_close(guard);
	enforcer_forget(enf, st.st_ino);
	enforcer_close(enf);
	rmdir(cg_path);
	unlink(secret);
	unlink(plain);
	rmdir(dir);
	free(exec_block);
	free(exec_allow);
	free(in_block);
	free(in_allow);
	return 0;
}

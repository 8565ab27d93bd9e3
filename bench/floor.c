/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* floor.c - load floor.bpf.o, attach every program in it, print
 * "floor: ready" on stderr, wait for SIGTERM or SIGINT, detach, exit.
 *
 *   floor [PATH/TO/floor.bpf.o]     (default: floor.bpf.o next to argv[0]) */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Warnings and errors only; libbpf's debug chatter is not wanted. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct sigaction sa;
	char path[PATH_MAX], self[PATH_MAX];
	int n = 0, err = 0, i;
	sigset_t mask, old;

	if (argc > 2) {
		fprintf(stderr, "usage: floor [floor.bpf.o]\n");
		return 2;
	}
	if (argc == 2) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(path, sizeof(path), "%s/floor.bpf.o", dirname(self));
	}

	/* Block the stop signals until we are ready to wait for them, so a
	 * SIGTERM during loading is not lost (and sigsuspend cannot miss it). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);

	libbpf_set_print(print_libbpf);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "floor: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: load %s: %s\n", path, strerror(errno));
		bpf_object__close(obj);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link;

		if (n == MAX_LINKS) {
			fprintf(stderr, "floor: too many programs\n");
			err = 1;
			goto out;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			fprintf(stderr, "floor: attach %s: %s\n",
				bpf_program__name(prog), strerror(errno));
			err = 1;
			goto out;
		}
		links[n++] = link;
	}
	fprintf(stderr, "floor: ready (%d no-op programs attached)\n", n);

	while (!stop)
		sigsuspend(&old);
out:
	for (i = n - 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return err;
}

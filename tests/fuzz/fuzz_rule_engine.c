/* fuzz_rule_engine.c - rules text through the loader, the compiler and the
 * evaluator.  Whatever the input: no crash, hang or leak; a compile error
 * always has a message; compiled rules evaluate on a few fixed events and
 * render their output. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules/engine.h"
#include "rules/rules_file.h"

static void on_match(void *ctx, size_t rule, const struct rule_input *in)
{
	struct rule_engine *e = ctx;

	if (!rule_engine_output(e, rule, in))
		abort();
}

static void evaluate_samples(struct rule_engine *e, struct proc_table *procs)
{
	static const char path[] = "/etc/shadow";
	struct event ev;
	struct rule_input in = {.ev = &ev, .host = "h"};

	memset(&ev, 0, sizeof(ev));
	ev.task.pid = 42;
	strcpy(ev.task.comm, "cat");
	in.proc = proc_table_lookup(procs, 42);
	ev.type = EVENT_OPEN;
	ev.syscall = 257;
	ev.ret = 3;
	ev.file.path.ptr = path;
	ev.file.path.len = sizeof(path) - 1;
	rule_engine_evaluate(e, &in, on_match, e);
	memset(&ev.net, 0, sizeof(ev.net));
	ev.type = EVENT_CONNECT;
	ev.syscall = 42;
	ev.net.family = ev.net.remote.family = AF_INET;
	ev.net.remote.port = 4444;
	rule_engine_evaluate(e, &in, on_match, e);
	ev.type = EVENT_EXEC;
	ev.syscall = 59;
	ev.ret = 0;
	rule_engine_evaluate(e, &in, on_match, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proc_table *procs;
	static const char args[] = "cat\0/etc/shadow";
	struct ruleset_text rs;
	struct rule_engine *e;
	char err[512];

	if (!procs) {
		procs = proc_table_new(1);
		proc_table_set_root(procs, "/nonexistent");
		proc_table_on_exec(procs, 42, 1, 10, "/bin/cat", "/", args, sizeof(args), 2, false);
	}
	ruleset_text_init(&rs);
	if (ruleset_text_load_string(&rs, "fuzz.yaml", (const char *)data, size, err,
				     sizeof(err)) == 0) {
		err[0] = '\0';
		e = rule_engine_compile(&rs, err, sizeof(err));
		if (!e && !err[0])
			abort();	/* a failure must say why */
		if (e) {
			evaluate_samples(e, procs);
			rule_engine_free(e);
		}
	}
	ruleset_text_free(&rs);
	return 0;
}

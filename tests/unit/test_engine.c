/* test_engine.c - compiling and evaluating rules over hand-made events. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Usable upstream Falco rules vigil reached; raise it, never lower it. */
#define FALCO_USABLE_MIN 82

#include "rules/engine.h"
#include "rules/rules_file.h"
#include "test.h"

static char err[1024];

struct fixture {
	struct ruleset_text text;
	struct rule_engine *engine;
};

static bool compile(struct fixture *f, const char *yaml)
{
	ruleset_text_init(&f->text);
	err[0] = '\0';
	if (ruleset_text_load_string(&f->text, "t.yaml", yaml, strlen(yaml), err, sizeof(err))) {
		fprintf(stderr, "  load: %s\n", err);
		return false;
	}
	f->engine = rule_engine_compile(&f->text, err, sizeof(err));
	return f->engine != NULL;
}

static void release(struct fixture *f)
{
	rule_engine_free(f->engine);
	ruleset_text_free(&f->text);
	f->engine = NULL;
}

/* A bash (pid 200) that started cat (pid 201) with "cat /etc/shadow". */
struct world {
	struct proc_table *procs;
	struct proc_entry *bash, *cat;
	struct event ev;
	struct rule_input in;
};

static void world_init(struct world *w)
{
	static const char bash_args[] = "bash\0-i";
	static const char cat_args[] = "cat\0/etc/shadow";

	memset(w, 0, sizeof(*w));
	w->procs = proc_table_new(1);
	proc_table_on_exec(w->procs, 200, 1, 1000, "/usr/bin/bash", "/root", bash_args,
			   sizeof(bash_args), 2, false);
	w->bash = proc_table_lookup(w->procs, 200);
	strcpy(w->bash->comm, "bash");
	proc_table_on_fork(w->procs, 200, 201, 2000);
	proc_table_on_exec(w->procs, 201, 200, 2500, "/usr/bin/cat", "/root", cat_args,
			   sizeof(cat_args), 2, false);
	w->cat = proc_table_lookup(w->procs, 201);
	strcpy(w->cat->comm, "cat");
	w->ev.task.pid = w->ev.task.tid = 201;
	w->ev.task.ppid = 200;
	w->ev.task.loginuid = (uint32_t)-1;
	strcpy(w->ev.task.comm, "cat");
	w->ev.boot_ns = 3000;
	w->ev.real_ns = 1700000000000000000ULL;
	w->in.ev = &w->ev;
	w->in.proc = w->cat;
	w->in.host = "box";
}

static void world_free(struct world *w)
{
	proc_table_free(w->procs);
}

static void set_open(struct world *w, const char *path, uint32_t flags, int64_t ret)
{
	w->ev.type = EVENT_OPEN;
	w->ev.syscall = 257;	/* openat */
	w->ev.ret = ret;
	w->ev.file.path.ptr = path;
	w->ev.file.path.len = strlen(path);
	w->ev.file.flags = flags;
}

static void set_connect(struct world *w, const char *ip, uint16_t port)
{
	memset(&w->ev.net, 0, sizeof(w->ev.net));
	w->ev.type = EVENT_CONNECT;
	w->ev.syscall = 42;
	w->ev.ret = 0;
	w->ev.net.family = AF_INET;
	w->ev.net.type = SOCK_STREAM;
	w->ev.net.fd = 3;
	w->ev.net.local.family = w->ev.net.remote.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.5", w->ev.net.local.addr);
	w->ev.net.local.port = 40000;
	inet_pton(AF_INET, ip, w->ev.net.remote.addr);
	w->ev.net.remote.port = port;
}

static size_t matches(struct fixture *f, struct world *w)
{
	return rule_engine_evaluate(f->engine, &w->in, NULL, NULL);
}

/* Does `condition` (as a one-rule file) match the world's event? */
static int cond_matches(struct world *w, const char *condition)
{
	struct fixture f;
	char yaml[4096];
	int r;

	snprintf(yaml, sizeof(yaml),
		 "- list: shells\n  items: [bash, sh, zsh]\n"
		 "- list: more_shells\n  items: [shells, fish]\n"
		 "- list: secret_dirs\n  items: [/etc/ssh, /root/.aws]\n"
		 "- rule: r\n  desc: d\n  condition: %s\n  output: o\n  priority: warning\n",
		 condition);
	if (!compile(&f, yaml)) {
		fprintf(stderr, "  compile '%s': %s\n", condition, err);
		return -1;
	}
	if (!rule_engine_rule(f.engine, 0)->usable)
		fprintf(stderr, "  unavailable: %s\n", rule_engine_rule(f.engine, 0)->unavailable);
	r = (int)matches(&f, w);
	release(&f);
	return r;
}

TEST(string_operators)
{
	struct world w;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name = /etc/shadow"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name = /etc/passwd"), 0);
	CHECK_INT(cond_matches(&w, "evt.type in (open, openat) and fd.name != /etc/passwd"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = open"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name startswith /etc/"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name endswith shadow"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name contains c/sh"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name icontains ETC/SHA"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name contains ETC"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name glob '/etc/sh*'"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name glob '/etc/x*'"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name regex '^/etc/(shadow|gshadow)$'"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.directory = /etc and fd.filename = shadow"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name pmatch (/etc)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name pmatch (/et)"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.name pmatch (secret_dirs)"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and evt.is_open_read = true and evt.is_open_write = false"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and evt.arg.flags contains O_RDONLY"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.num >= 0 and evt.res = SUCCESS"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.typechar = f and fd.type = file"), 1);
	set_open(&w, "/etc/shadow", 0, -13);
	CHECK_INT(cond_matches(&w, "evt.type = openat and fd.num = -1 and evt.res = EACCES"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and evt.rawres < 0"), 1);
	world_free(&w);
}

TEST(process_fields_and_lists)
{
	struct world w;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.name = cat and proc.pname = bash"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.pname in (shells)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.pname in (more_shells)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.name in (shells)"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.name in (\"shells\", cat)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.aname = bash"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.aname[1] = bash"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.aname[0] = cat"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.aname[2] = bash"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.cmdline = \"cat /etc/shadow\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.args = /etc/shadow"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.pcmdline = \"bash -i\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.exepath = /usr/bin/cat and proc.pexepath = /usr/bin/bash"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.exe = cat and proc.cwd = /root"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.pid = 201 and proc.ppid = 200"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.cmdline = val(proc.cmdline)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.name = val(proc.pname)"), 0);
	CHECK_INT(cond_matches(&w, "evt.type = openat and container.id = host and container.name = host"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and user.uid = 0 and user.loginuid = -1"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = openat and proc.name exists and not k8s.ns.name exists"), 1);
	world_free(&w);
}

TEST(network_fields)
{
	struct world w;

	world_init(&w);
	set_connect(&w, "192.168.1.20", 4444);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.sip = 192.168.1.20 and fd.sport = 4444"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.rip = 192.168.1.20 and fd.lport = 40000"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.snet = \"192.168.0.0/16\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.snet = \"10.0.0.0/8\""), 0);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.net = \"10.0.0.0/8\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.net != \"172.16.0.0/12\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.port in (4444, 5555)"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.l4proto = tcp and fd.typechar = 4"), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.name = \"10.0.0.5:40000->192.168.1.20:4444\""), 1);
	CHECK_INT(cond_matches(&w, "evt.type = connect and fd.connected = true"), 1);
	world_free(&w);
}

TEST(macros_exceptions_and_negation)
{
	struct fixture f;
	struct world w;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	CHECK(compile(&f,
		"- macro: open_read\n  condition: evt.type in (open, openat) and evt.is_open_read = true\n"
		"- macro: sensitive\n  condition: fd.name in (/etc/shadow, /etc/gshadow)\n"
		"- rule: r\n  desc: d\n  condition: open_read and sensitive and not proc.name in (sshd)\n"
		"  output: o\n  priority: warning\n"
		"  exceptions:\n"
		"    - name: trusted\n      fields: [proc.name, fd.name]\n"
		"      values: [[unix_chkpwd, /etc/shadow]]\n"
		"    - name: by_parent\n      fields: [proc.pname]\n      comps: [in]\n"
		"      values: [[[sudo, su]]]\n"));
	CHECK_INT(matches(&f, &w), 1);
	strcpy(w.ev.task.comm, "unix_chkpwd");
	CHECK_INT(matches(&f, &w), 0);	/* excepted by the first row */
	strcpy(w.ev.task.comm, "sshd");
	CHECK_INT(matches(&f, &w), 0);
	strcpy(w.ev.task.comm, "cat");
	strcpy(w.bash->comm, "su");
	CHECK_INT(matches(&f, &w), 0);	/* excepted by parent */
	release(&f);
	world_free(&w);
}

static bool compile_fails(const char *yaml, const char *want1, const char *want2)
{
	struct fixture f;
	bool ok = !compile(&f, yaml) && strstr(err, want1) && strstr(err, want2);

	if (!ok)
		fprintf(stderr, "  error was \"%s\"\n", err);
	if (f.engine)
		release(&f);
	else
		ruleset_text_free(&f.text);
	return ok;
}

TEST(errors_name_the_place)
{
	CHECK(compile_fails("- rule: r\n  desc: d\n  condition: evt.type = open and nosuch\n"
			    "  output: o\n  priority: warning\n",
			    "t.yaml:1:3:", "undefined macro 'nosuch'"));
	CHECK(compile_fails("- macro: a\n  condition: b\n- macro: b\n  condition: a\n"
			    "- rule: r\n  desc: d\n  condition: evt.type = open and a\n"
			    "  output: o\n  priority: warning\n",
			    "t.yaml:5:3:", "macro cycle: a -> b -> a"));
	CHECK(compile_fails("- rule: r\n  desc: d\n  condition: (evt.type = open\n"
			    "  output: o\n  priority: warning\n", "t.yaml:1:3:", "condition 1:"));
	CHECK(compile_fails("- rule: r\n  desc: d\n  condition: evt.type = open and proc.pid = abc\n"
			    "  output: o\n  priority: warning\n", "t.yaml:1:3:",
			    "'abc' is not a valid number for proc.pid"));
	CHECK(compile_fails("- rule: r\n  desc: d\n  condition: evt.type = open and fd.name regex '('\n"
			    "  output: o\n  priority: warning\n", "t.yaml:1:3:",
			    "invalid regular expression"));
	CHECK(compile_fails("- rule: r\n  desc: d\n  condition: evt.type = open and proc.pid contains 1\n"
			    "  output: o\n  priority: warning\n", "t.yaml:1:3:",
			    "operator 'contains' does not apply to proc.pid"));
	CHECK(compile_fails("- macro: m\n  condition: proc.name = = x\n", "t.yaml:1:3:", "macro 'm'"));
}

TEST(unavailable_rules_do_not_stop_others)
{
	struct fixture f;
	struct world w;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	CHECK(compile(&f,
		"- rule: env\n  desc: d\n  condition: evt.type = openat and proc.env contains X\n"
		"  output: o\n  priority: warning\n"
		"- rule: typo\n  desc: d\n  condition: evt.type = openat and proc.nmae = x\n"
		"  output: o\n  priority: warning\n"
		"- rule: sendto\n  desc: d\n  condition: evt.type = sendto\n  output: o\n  priority: warning\n"
		"- rule: fine\n  desc: d\n  condition: evt.type = openat\n  output: o %proc.env\n"
		"  priority: warning\n"));
	CHECK(!rule_engine_rule(f.engine, 0)->usable);
	CHECK(strstr(rule_engine_rule(f.engine, 0)->unavailable, "proc.env") != NULL);
	CHECK(strstr(rule_engine_rule(f.engine, 1)->unavailable, "unknown field proc.nmae") != NULL);
	CHECK(strstr(rule_engine_rule(f.engine, 2)->unavailable, "not traced") != NULL);
	CHECK(rule_engine_rule(f.engine, 3)->usable);
	CHECK_INT(rule_engine_active_count(f.engine), 1);
	CHECK_INT(matches(&f, &w), 1);
	CHECK_STR(rule_engine_output(f.engine, 3, &w.in), "o <NA>");
	release(&f);
	world_free(&w);
}

TEST(output_and_fields)
{
	struct fixture f;
	struct world w;
	struct json_writer j;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0101, 3);	/* O_WRONLY|O_CREAT */
	CHECK(compile(&f,
		"- rule: r\n  desc: d\n  condition: evt.type = openat\n"
		"  output: \"%proc.name wrote %fd.name (flags=%evt.arg.flags parent=%proc.aname[1] "
		"uid=%user.uid). %container.info\"\n  priority: warning\n"));
	CHECK_STR(rule_engine_output(f.engine, 0, &w.in),
		  "cat wrote /etc/shadow (flags=O_WRONLY|O_CREAT parent=bash uid=0). "
		  "container_id=host container_name=host");
	json_init(&j);
	json_object_begin(&j);
	rule_engine_output_fields(f.engine, 0, &w.in, &j);
	json_object_end(&j);
	CHECK(!j.failed);
	j.buf[j.len] = '\0';
	CHECK_STR(j.buf, "{\"proc.name\":\"cat\",\"fd.name\":\"/etc/shadow\","
		  "\"evt.arg.flags\":\"O_WRONLY|O_CREAT\",\"proc.aname[1]\":\"bash\",\"user.uid\":0,"
		  "\"container.id\":\"host\",\"container.name\":\"host\"}");
	json_free(&j);
	release(&f);
	world_free(&w);
}

TEST(first_match_and_priority)
{
	struct fixture f;
	struct world w;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	CHECK(compile(&f,
		"- rule: a\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: notice\n"
		"- rule: b\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: critical\n"
		"- rule: c\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: debug\n"
		"  enabled: false\n"));
	CHECK_INT(matches(&f, &w), 2);
	rule_engine_set_matching(f.engine, RULE_MATCH_FIRST);
	CHECK_INT(matches(&f, &w), 1);
	rule_engine_set_matching(f.engine, RULE_MATCH_ALL);
	rule_engine_set_min_priority(f.engine, PRIORITY_WARNING);
	CHECK_INT(matches(&f, &w), 1);
	CHECK_INT(rule_engine_rule(f.engine, 1)->matches, 2);
	release(&f);
	world_free(&w);
}

/* Falco's own rules: every file loads and compiles, and the number of
 * usable rules does not fall below what vigil reached. */
TEST(falco_upstream_rules)
{
	static const char *const dirs[] = {"../shared/compat", "/work/shared/compat"};
	static const char *const files[] = {"falco_rules.yaml", "falco-incubating_rules.yaml",
					    "falco-sandbox_rules.yaml"};
	const char *dir = NULL;
	struct ruleset_text text;
	struct rule_engine *e;
	char path[512];
	size_t usable = 0;

	for (size_t i = 0; i < 2 && !dir; i++) {
		snprintf(path, sizeof(path), "%s/falco_rules.yaml", dirs[i]);
		if (!access(path, R_OK))
			dir = dirs[i];
	}
	if (!dir) {
		fprintf(stderr, "  SKIP: Falco's rules files not found\n");
		return;
	}
	ruleset_text_init(&text);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		CHECK_INT(ruleset_text_load_file(&text, path, err, sizeof(err)), 0);
	}
	e = rule_engine_compile(&text, err, sizeof(err));
	CHECK(e != NULL);
	if (!e) {
		fprintf(stderr, "  %s\n", err);
		ruleset_text_free(&text);
		return;
	}
	for (size_t i = 0; i < rule_engine_rule_count(e); i++) {
		const struct engine_rule *r = rule_engine_rule(e, i);

		usable += r->usable;
		if (!r->usable && getenv("VIGIL_TEST_VERBOSE"))
			fprintf(stderr, "  unavailable: %s: %s\n", r->name, r->unavailable);
	}
	fprintf(stderr, "  Falco upstream: %zu rules, %zu usable\n", rule_engine_rule_count(e), usable);
	/* evaluate real events: every shared test must still point at live nodes */
	struct world w;
	size_t hits;

	world_init(&w);
	set_open(&w, "/etc/shadow", 0, 3);
	hits = rule_engine_evaluate(e, &w.in, NULL, NULL);
	(void)hits;	/* which rules fire is the integration tests' job */
	set_connect(&w, "192.168.1.20", 4444);
	rule_engine_evaluate(e, &w.in, NULL, NULL);
	w.ev.type = EVENT_EXEC;
	w.ev.syscall = 59;
	w.ev.ret = 0;
	rule_engine_evaluate(e, &w.in, NULL, NULL);
	for (int k = 0; k < 512; k++) {	/* every syscall key once */
		memset(&w.ev.file, 0, sizeof(w.ev.file));
		set_open(&w, "/etc/shadow", 0, 3);
		w.ev.syscall = k;
		rule_engine_evaluate(e, &w.in, NULL, NULL);
	}
	world_free(&w);
	CHECK_INT(rule_engine_rule_count(e), 93);
	CHECK(usable >= FALCO_USABLE_MIN);
	rule_engine_free(e);
	ruleset_text_free(&text);
}

int main(void)
{
	RUN(string_operators);
	RUN(process_fields_and_lists);
	RUN(network_fields);
	RUN(macros_exceptions_and_negation);
	RUN(errors_name_the_place);
	RUN(unavailable_rules_do_not_stop_others);
	RUN(output_and_fields);
	RUN(first_match_and_priority);
	RUN(falco_upstream_rules);
	return TEST_SUMMARY();
}

/* test_policy.c - policy files: parsing, errors with positions, warnings,
 * decisions, kernel-map iteration, glob expansion and generation from a
 * learned profile. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enforce/policy.h"
#include "model/profile.h"
#include "test.h"

static const char web_lockdown[] =
	"policy: web-lockdown\n"
	"selector: {container.name: \"web-*\"}\n"
	"process:\n"
	"  - {action: block, paths: [\"/bin/nc\", \"/usr/bin/nc*\"]}\n"
	"network:\n"
	"  - {action: block, direction: out, cidr: 0.0.0.0/0, ports: [4444]}\n"
	"file:\n"
	"  - {action: block, paths: [\"/etc/shadow\"], access: [read, write]}\n"
	"default: allow\n";

static char last_err[2048];

/* Parse text as "t.yaml"; NULL (and last_err) on error. */
static struct policy_set *load_checked(const char *text, const struct policy_checks *checks)
{
	struct policy_set *set = policy_set_new();

	last_err[0] = '\0';
	if (set && policy_set_add_string(set, "t.yaml", text, strlen(text), checks, last_err,
					 sizeof(last_err)) == 0)
		return set;
	policy_set_free(set);
	return NULL;
}

static struct policy_set *load(const char *text)
{
	return load_checked(text, NULL);
}

static bool error_is(const char *text, const char *want)
{
	struct policy_set *set = load(text);

	if (set) {
		fprintf(stderr, "  accepted: %s\n", text);
		policy_set_free(set);
		return false;
	}
	if (!strstr(last_err, want)) {
		fprintf(stderr, "  error \"%s\"\n  does not hold \"%s\"\n", last_err, want);
		return false;
	}
	return true;
}

static enum policy_action connect4(const struct policy *p, const char *ip, uint16_t port,
				   enum policy_proto proto, int *rule)
{
	uint8_t a[16] = {0};

	inet_pton(AF_INET, ip, a);
	return policy_decide_connect(p, AF_INET, a, port, proto, POLICY_DIR_OUT, rule);
}

static enum policy_action connect6(const struct policy *p, const char *ip, uint16_t port)
{
	uint8_t a[16] = {0};

	inet_pton(AF_INET6, ip, a);
	return policy_decide_connect(p, AF_INET6, a, port, POLICY_PROTO_TCP, POLICY_DIR_OUT, NULL);
}

struct warnings {
	char text[4096];
	int count;
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	size_t used = strlen(w->text);

	snprintf(w->text + used, sizeof(w->text) - used, "%s\n", msg);
	w->count++;
}

/* ---- the example ---------------------------------------------------------------- */

TEST(example_parses_and_decides)
{
	struct policy_set *set = load(web_lockdown);
	const struct policy *p;
	char name[128];
	int rule = 99;

	CHECK(set != NULL);
	if (!set)
		return;
	CHECK_INT(set->count, 1);
	p = set->items[0];
	CHECK_STR(p->name, "web-lockdown");
	CHECK_INT(policy_decide_exec(p, "/bin/nc", "/bin/sh", &rule), POLICY_BLOCK);
	CHECK_INT(rule, 0);
	CHECK_STR(policy_rule_name(p, POLICY_PROCESS, rule, name, sizeof(name)),
		  "policy web-lockdown rule process[0]");
	CHECK_INT(policy_decide_exec(p, "/usr/bin/nc.openbsd", NULL, NULL), POLICY_BLOCK);
	CHECK_INT(policy_decide_exec(p, "/usr/bin/sub/nc", NULL, NULL), POLICY_ALLOW);
	CHECK_INT(policy_decide_exec(p, "/bin/sh", NULL, &rule), POLICY_ALLOW);
	CHECK_INT(rule, -1);
	CHECK_STR(policy_rule_name(p, POLICY_PROCESS, rule, name, sizeof(name)),
		  "policy web-lockdown default process");
	CHECK_INT(connect4(p, "1.2.3.4", 4444, POLICY_PROTO_TCP, &rule), POLICY_BLOCK);
	CHECK_INT(rule, 0);
	CHECK_INT(connect4(p, "1.2.3.4", 80, POLICY_PROTO_TCP, &rule), POLICY_ALLOW);
	CHECK_INT(rule, -1);
	CHECK_INT(policy_decide_file(p, "/etc/shadow", POLICY_READ, &rule), POLICY_BLOCK);
	CHECK_INT(rule, 0);
	CHECK_INT(policy_decide_file(p, "/etc/shadow", POLICY_EXEC, NULL), POLICY_ALLOW);
	CHECK_INT(policy_decide_file(p, "/etc/passwd", POLICY_READ, NULL), POLICY_ALLOW);
	policy_set_free(set);
}

TEST(selectors)
{
	struct policy_set *set = load(
		"- policy: web\n  selector: {container.name: \"web-*\", container.label.tier: front}\n"
		"- policy: by-id\n  selector: {container.id: 3f2a9c}\n"
		"- policy: k8s\n  selector: {k8s.ns.name: prod, k8s.pod.label.app: \"api*\"}\n"
		"- policy: unit\n  selector: {workload.kind: host, host.unit: \"ssh*.service\"}\n"
		"- policy: image\n  selector: {container.image: \"*/nginx:*\"}\n"
		"- policy: rest\n  selector: {any: true}\n");
	struct policy_label front = {"tier", "front"}, back = {"tier", "back"};
	struct policy_label app = {"app", "api-v2"};
	struct policy_subject s = {.kind = POLICY_WORKLOAD_CONTAINER, .container_name = "web-1",
				   .labels = &front, .nlabels = 1, .container_id = "ffff"};

	CHECK(set != NULL);
	if (!set)
		return;
	CHECK_STR(policy_set_select(set, &s)->name, "web");
	s.labels = &back;
	CHECK_STR(policy_set_select(set, &s)->name, "rest");
	s.nlabels = 0;
	CHECK(!policy_selects(set->items[0], &s));
	s.container_id = "3f2a9c0011223344";
	CHECK_STR(policy_set_select(set, &s)->name, "by-id");
	s.container_id = "ffff";
	s.k8s_ns = "prod";
	s.pod_labels = &app;
	s.npod_labels = 1;
	CHECK_STR(policy_set_select(set, &s)->name, "k8s");
	s.k8s_ns = "dev";
	s.container_image = "docker.io/library/nginx:1.27";
	CHECK_STR(policy_set_select(set, &s)->name, "image");
	/* the host has no container name, whatever the subject holds */
	s = (struct policy_subject){.kind = POLICY_WORKLOAD_HOST, .host_unit = "sshd.service",
				    .container_name = "web-1"};
	CHECK_STR(policy_set_select(set, &s)->name, "unit");
	CHECK(!policy_selects(set->items[0], &s));
	policy_set_free(set);
}

TEST(several_documents_and_lists)
{
	struct policy_set *set = load("policy: a\nselector: {any: true}\n---\n"
				      "- {policy: b, selector: {any: true}}\n"
				      "- {policy: c, selector: {any: true}}\n");

	CHECK(set && set->count == 3);
	if (set) {
		CHECK_STR(set->items[2]->name, "c");
		CHECK_INT(set->items[2]->line, 5);
		CHECK_INT(set->items[2]->col, 3);
	}
	policy_set_free(set);
}

/* ---- errors -------------------------------------------------------------------- */

TEST(errors_name_the_place)
{
	CHECK(error_is("policy: x\nselector: {any: true}\nprocess: {action: block}\n",
		       "t.yaml:3:10: process: expected a list, got a mapping"));
	CHECK(error_is("policy: x\nselector: {any: true}\nprocess:\n  - {acton: block, paths: [/a]}\n",
		       "t.yaml:4:6: process[0]: unknown key 'acton' (did you mean 'action'?)"));
	CHECK(error_is("policy: x\nselectr: {any: true}\n",
		       "t.yaml:2:1: unknown key 'selectr' (did you mean 'selector'?)"));
	CHECK(error_is("policy: x\nselector: {container.nme: a}\n",
		       "t.yaml:2:12: selector: unknown key 'container.nme' (did you mean "
		       "'container.name'?)"));
	CHECK(error_is("policy: x\nselector: {any: true}\nprocess:\n  - {action: deny, paths: [/a]}\n",
		       "t.yaml:4:14: process[0].action: unknown value 'deny'"));
	CHECK(error_is("policy: x\nselector: {any: true}\nnetwork:\n  - {action: block, cidr: 300.1.1.1/8}\n",
		       "t.yaml:4:27: network[0].cidr: '300.1.1.1' is not an IPv4 or IPv6 address"));
	CHECK(error_is("policy: x\nselector: {any: true}\nnetwork:\n"
		       "  - {action: block, cidr: [10.0.0.0/8, 10.0.0.0/33]}\n",
		       "t.yaml:4:40: network[0].cidr[1]: prefix length 33 is longer than 32 (IPv4)"));
	CHECK(error_is("policy: x\nselector: {any: true}\nnetwork:\n  - {action: block, cidr: \"fd00::/129\"}\n",
		       "t.yaml:4:27: network[0].cidr: prefix length 129 is longer than 128 (IPv6)"));
	CHECK(error_is("policy: x\nselector: {any: true}\nnetwork:\n  - {action: block, ports: [80, 70000]}\n",
		       "t.yaml:4:33: network[0].ports[1]: port 70000 is out of range (0..65535)"));
	CHECK(error_is("policy: x\nselector: {any: true}\nnetwork:\n  - {action: block, ports: [\"90-80\"]}\n",
		       "t.yaml:4:29: network[0].ports[0]: range 90-80 ends before it starts"));
	CHECK(error_is("policy: x\nselector: {any: true}\nfile:\n  - {action: block, paths: [etc/shadow]}\n",
		       "t.yaml:4:29: file[0].paths[0]: 'etc/shadow' is not an absolute path"));
	CHECK(error_is("policy: x\nselector: {any: true}\nfile:\n  - {action: block, paths: []}\n",
		       "t.yaml:4:28: file[0].paths: empty list"));
	CHECK(error_is("policy: x\nselector: {any: true}\nfile:\n  - {action: block, paths: [/a/../b]}\n",
		       "t.yaml:4:29: file[0].paths[0]: '/a/../b' has an empty, '.' or '..' component"));
	CHECK(error_is("policy: x\nselector: {any: true}\nfile:\n  - {action: block, paths: [/a], access: [append]}\n",
		       "t.yaml:4:43: file[0].access[0]: unknown value 'append'"));
	CHECK(error_is("policy: x\nselector: {}\n",
		       "t.yaml:2:11: selector: empty (write 'selector: {any: true}'"));
	CHECK(error_is("policy: x\nprocess: []\n", "t.yaml:1:1: policy x: 'selector' is missing"));
	CHECK(error_is("selector: {any: true}\n", "t.yaml:1:1: 'policy' (the policy's name) is missing"));
	CHECK(error_is("policy: x\nselector: {any: true}\nprocess:\n  - {paths: [/a]}\n",
		       "t.yaml:4:5: process[0]: 'action' is missing"));
	CHECK(error_is("policy: x\nselector: {any: true}\ndefault: {process: block, netwrk: allow}\n",
		       "t.yaml:3:27: default: unknown key 'netwrk' (did you mean 'network'?)"));
	CHECK(error_is("policy: x\nselector: {any: true}\nmode: dry\n", "t.yaml:3:7: mode: unknown value 'dry'"));
	CHECK(error_is("policy: \"a b\"\nselector: {any: true}\n", "t.yaml:1:9: policy: 'a b' is not a name"));
	CHECK(error_is("policy: x\nselector: {any: true}\nprocess: [\n", "t.yaml:4:1: YAML error"));
	CHECK(error_is("policy: x\nselector: {workload.kind: vm}\n",
		       "t.yaml:2:27: selector.workload.kind: 'vm' is neither 'host' nor 'container'"));
	CHECK(error_is("- {policy: x, selector: {any: true}}\n- {policy: x, selector: {any: true}}\n",
		       "t.yaml:2:3: policy 'x' is defined twice in this file (first at line 1)"));
	CHECK(error_is("", "t.yaml:1:1: no policy in the file"));
	CHECK(error_is("policy: x\nselector: {any: true}\nfile:\n  - {action: block, paths: [\"/a\\0b\"]}\n",
		       "file[0].paths[0]: contains a NUL character"));
}

/* Aliases may make a small file name one list many times: refused, not
 * expanded without bound. */
TEST(alias_bombs_are_refused)
{
	char *text = malloc(1 << 20), *o = text;

	o += sprintf(o, "policy: x\nselector: {any: true}\nprocess:\n  - {action: allow, paths: &p [");
	for (int i = 0; i < 4000; i++)
		o += sprintf(o, "%s\"/a/%0120d\"", i ? "," : "", i);
	o += sprintf(o, "]}\n");
	for (int i = 0; i < 2000; i++)
		o += sprintf(o, "  - {action: allow, paths: *p}\n");
	CHECK(error_is(text, "expands to more than"));
	free(text);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(sets_load_all_or_nothing)
{
	char dir[] = "/tmp/test_policy_XXXXXX", a[64], b[64], c[64], err[2048];
	struct policy_set *set = (struct policy_set *)&set;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	snprintf(c, sizeof(c), "%s/c.yaml", dir);
	write_file(a, web_lockdown);
	write_file(b, "# again\npolicy: web-lockdown\nselector: {any: true}\n");
	write_file(c, "policy: other\nselector: {any: true}\n");
	{
		const char *ok[] = {a, c}, *dup[] = {a, b, c};

		CHECK_INT(policy_set_load(ok, 2, &set, NULL, err, sizeof(err)), 0);
		CHECK(set && set->count == 2);
		policy_set_free(set);
		CHECK_INT(policy_set_load(dup, 3, &set, NULL, err, sizeof(err)), -1);
		CHECK(set == NULL);
		CHECK(strstr(err, "b.yaml:2:1: policy 'web-lockdown' is already defined at ") != NULL);
		CHECK(strstr(err, "a.yaml:1:1") != NULL);
	}
	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
}

/* ---- warnings ---------------------------------------------------------------------- */

static bool no_workload(void *ctx, const struct policy *p)
{
	(void)ctx;
	(void)p;
	return false;
}

static void make_file(const char *root, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	write_file(path, "x");
}

static void expanded(void *ctx, const struct policy_path_entry *e, const char *abs_path)
{
	char *out = ctx;

	snprintf(out + strlen(out), 512 - strlen(out), "%s:%d:%s ",
		 policy_category_name(e->category), e->rule, abs_path);
}

TEST(warnings_for_globs_selectors_shadows_and_host_bits)
{
	char root[] = "/tmp/test_policy_root_XXXXXX", path[256], listed[512] = "";
	struct warnings w = {"", 0};
	struct policy_checks checks = {.warn = collect, .warn_ctx = &w, .any_workload = no_workload};
	struct policy_set *set;

	CHECK(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/usr", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/usr/bin", root);
	mkdir(path, 0755);
	make_file(root, "/usr/bin/nc.openbsd");
	make_file(root, "/usr/bin/ncat");
	checks.root_dir = root;
	set = load_checked("policy: x\n"
			   "selector: {container.name: nothing-runs-this}\n"
			   "process:\n"
			   "  - {action: allow, paths: [/bin/sh, \"/opt/*\"]}\n"
			   "  - {action: block, paths: [/bin/sh, \"/usr/bin/nc*\", \"/usr/bin/zz*\"]}\n"
			   "network:\n"
			   "  - {action: block, cidr: 10.1.2.3/8}\n", &checks);
	CHECK(set != NULL);
	CHECK_INT(w.count, 5);
	CHECK(strstr(w.text, "t.yaml:7:27: policy x: network[0]: cidr has host bits set; it means "
			     "10.0.0.0/8") != NULL);
	CHECK(strstr(w.text, "t.yaml:4:38: policy x: process[0]: '/opt/*' matches no file under") != NULL);
	CHECK(strstr(w.text, "t.yaml:5:54: policy x: process[1]: '/usr/bin/zz*' matches no file") != NULL);
	CHECK(strstr(w.text, "/usr/bin/nc*' matches") == NULL);
	CHECK(strstr(w.text, "t.yaml:1:1: policy x: the selector matches no current workload") != NULL);
	CHECK(strstr(w.text, "t.yaml:5:29: policy x: process[1]: '/bin/sh' is never blocked: "
			     "process[0] allows it first") != NULL);
	if (set) {
		CHECK_INT(policy_expand_globs(set->items[0], root, expanded, listed), 2);
		CHECK_STR(listed, "process:1:/usr/bin/nc.openbsd process:1:/usr/bin/ncat ");
		CHECK_INT(policy_expand_globs(set->items[0], "/nonexistent-root", expanded, listed), -1);
	}
	policy_set_free(set);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	CHECK_INT(system(path), 0);
}

TEST(file_shadow_respects_access)
{
	struct warnings w = {"", 0};
	struct policy_checks checks = {.warn = collect, .warn_ctx = &w};
	struct policy_set *set = load_checked(
		"policy: x\nselector: {any: true}\nfile:\n"
		"  - {action: allow, paths: [/etc/], access: [read]}\n"
		"  - {action: block, paths: [/etc/shadow], access: [write]}\n"
		"  - {action: block, paths: [/etc/gshadow], access: [read]}\n", &checks);

	CHECK(set != NULL);
	CHECK_INT(w.count, 1);
	CHECK(strstr(w.text, "t.yaml:6:29: policy x: file[2]: '/etc/gshadow' is never blocked") != NULL);
	policy_set_free(set);
}

TEST(file_default_block_warned_not_enforced)
{
	struct warnings w = {"", 0};
	struct policy_checks checks = {.warn = collect, .warn_ctx = &w};
	struct policy_set *set = load_checked(
		"policy: x\nselector: {any: true}\nfile:\n"
		"  - {action: allow, paths: [/etc/passwd]}\n"
		"default: {file: block}\n", &checks);

	CHECK(set != NULL);
	CHECK_INT(w.count, 1);
	CHECK(strstr(w.text, "t.yaml:1:1: policy x: the file default 'block' is not enforced") != NULL);
	policy_set_free(set);
}

/* ---- decisions --------------------------------------------------------------------- */

TEST(ipv6_cidrs_and_mapped_addresses)
{
	struct policy_set *set = load(
		"policy: x\nselector: {any: true}\nnetwork:\n"
		"  - {action: allow, cidr: \"fd00:1::/32\"}\n"
		"  - {action: block, cidr: [\"fd00::/8\", 10.0.0.0/8]}\n"
		"  - {action: audit, cidr: \"::/0\"}\n");
	const struct policy *p;

	CHECK(set != NULL);
	if (!set)
		return;
	p = set->items[0];
	CHECK_INT(connect6(p, "fd00:1::5", 443), POLICY_ALLOW);
	CHECK_INT(connect6(p, "fd00:2::5", 443), POLICY_BLOCK);
	CHECK_INT(connect6(p, "2001:db8::1", 443), POLICY_AUDIT);
	CHECK_INT(connect6(p, "::ffff:10.1.2.3", 443), POLICY_BLOCK);	/* as IPv4 */
	CHECK_INT(connect4(p, "192.168.1.1", 443, POLICY_PROTO_TCP, NULL), POLICY_ALLOW);
	policy_set_free(set);
}

TEST(port_ranges_protocols_and_directions)
{
	struct policy_set *set = load(
		"policy: x\nselector: {any: true}\nnetwork:\n"
		"  - {action: block, ports: [\"8000-8100\", 22], protocol: tcp}\n"
		"  - {action: audit, direction: in, ports: [53]}\n"
		"  - {action: audit, direction: any, protocol: udp, ports: [\"0-65535\"]}\n");
	const struct policy *p;
	uint8_t a[16] = {10, 0, 0, 1};

	CHECK(set != NULL);
	if (!set)
		return;
	p = set->items[0];
	CHECK_INT(connect4(p, "10.0.0.1", 8000, POLICY_PROTO_TCP, NULL), POLICY_BLOCK);
	CHECK_INT(connect4(p, "10.0.0.1", 8100, POLICY_PROTO_TCP, NULL), POLICY_BLOCK);
	CHECK_INT(connect4(p, "10.0.0.1", 8101, POLICY_PROTO_TCP, NULL), POLICY_ALLOW);
	CHECK_INT(connect4(p, "10.0.0.1", 22, POLICY_PROTO_TCP, NULL), POLICY_BLOCK);
	CHECK_INT(connect4(p, "10.0.0.1", 8050, POLICY_PROTO_UDP, NULL), POLICY_AUDIT);
	CHECK_INT(connect4(p, "10.0.0.1", 53, POLICY_PROTO_TCP, NULL), POLICY_ALLOW);
	CHECK_INT(policy_decide_connect(p, AF_INET, a, 53, POLICY_PROTO_TCP, POLICY_DIR_IN, NULL),
		  POLICY_AUDIT);
	policy_set_free(set);
}

TEST(first_match_wins_and_default_mapping)
{
	struct policy_set *set = load(
		"policy: x\nselector: {any: true}\n"
		"process:\n"
		"  - {action: allow, paths: [/bin/sh]}\n"
		"  - {action: block, paths: [\"/bin/*\"]}\n"
		"  - {action: audit, paths: [/usr/bin/curl], parent: [\"/usr/sbin/*\"]}\n"
		"file:\n"
		"  - {action: block, paths: [/etc/ssh/], access: [write]}\n"
		"  - {action: audit, paths: [\"/home/*/.ssh/**\"]}\n"
		"default: {process: block, network: audit}\n");
	const struct policy *p;
	int rule;

	CHECK(set != NULL);
	if (!set)
		return;
	p = set->items[0];
	CHECK_INT(policy_decide_exec(p, "/bin/sh", NULL, &rule), POLICY_ALLOW);
	CHECK_INT(rule, 0);
	CHECK_INT(policy_decide_exec(p, "/bin/ls", NULL, &rule), POLICY_BLOCK);
	CHECK_INT(rule, 1);
	CHECK_INT(policy_decide_exec(p, "/usr/bin/curl", "/usr/sbin/sshd", &rule), POLICY_AUDIT);
	CHECK_INT(rule, 2);
	CHECK_INT(policy_decide_exec(p, "/usr/bin/curl", "/bin/bash", &rule), POLICY_BLOCK);
	CHECK_INT(rule, -1);
	CHECK_INT(connect4(p, "1.1.1.1", 443, POLICY_PROTO_TCP, NULL), POLICY_AUDIT);
	CHECK_INT(policy_decide_file(p, "/etc/ssh", POLICY_WRITE, NULL), POLICY_BLOCK);
	CHECK_INT(policy_decide_file(p, "/etc/ssh/sshd_config", POLICY_READ | POLICY_WRITE, NULL),
		  POLICY_BLOCK);
	CHECK_INT(policy_decide_file(p, "/etc/ssh/sshd_config", POLICY_READ, NULL), POLICY_ALLOW);
	CHECK_INT(policy_decide_file(p, "/etc/sshd", POLICY_WRITE, NULL), POLICY_ALLOW);
	CHECK_INT(policy_decide_file(p, "/home/ann/.ssh/id_ed25519", POLICY_READ, &rule),
		  POLICY_AUDIT);
	CHECK_INT(rule, 1);
	CHECK_INT(policy_decide_file(p, "/home/ann/.sshx", POLICY_READ, NULL), POLICY_ALLOW);
	policy_set_free(set);
}

TEST(audit_mode_blocks_nothing)
{
	struct policy_set *set = load("policy: x\nselector: {any: true}\nmode: audit\n"
				      "process: [{action: block, paths: [/bin/nc]}]\n"
				      "default: block\n");

	CHECK(set != NULL);
	if (!set)
		return;
	CHECK_INT(policy_decide_exec(set->items[0], "/bin/nc", NULL, NULL), POLICY_AUDIT);
	CHECK_INT(policy_decide_exec(set->items[0], "/bin/ls", NULL, NULL), POLICY_AUDIT);
	CHECK_INT(connect4(set->items[0], "1.1.1.1", 1, POLICY_PROTO_UDP, NULL), POLICY_AUDIT);
	policy_set_free(set);
}

/* ---- kernel-map iteration ---------------------------------------------------------------- */

static void count_net(void *ctx, const struct policy_net_entry *e)
{
	char *out = ctx, ip[INET6_ADDRSTRLEN];

	inet_ntop(e->family, e->addr, ip, sizeof(ip));
	snprintf(out + strlen(out), 512 - strlen(out), "%d:%s/%u:%u-%u ", e->rule, ip,
		 e->prefix_len, e->port_lo, e->port_hi);
}

static void list_path(void *ctx, const struct policy_path_entry *e)
{
	char *out = ctx;
	static const char *const types[] = {"exact", "glob", "subtree"};

	snprintf(out + strlen(out), 512 - strlen(out), "%s%s=%s ", e->is_parent ? "parent:" : "",
		 e->path->text, types[e->path->type]);
}

TEST(iteration_for_kernel_maps)
{
	struct policy_set *set = load(
		"policy: x\nselector: {any: true}\n"
		"process: [{action: block, paths: [/bin/nc, \"/usr/bin/nc*\"], parent: [/bin/sh]}]\n"
		"network:\n"
		"  - {action: block, cidr: [10.0.0.0/8, \"fd00::/8\"], ports: [53, \"80-90\"]}\n"
		"  - {action: audit}\n"
		"file: [{action: block, paths: [/etc/, \"/**\"]}]\n");
	char net[512] = "", paths[512] = "";

	CHECK(set != NULL);
	if (!set)
		return;
	policy_each_net(set->items[0], count_net, net);
	CHECK_STR(net, "0:10.0.0.0/8:53-53 0:10.0.0.0/8:80-90 0:fd00::/8:53-53 0:fd00::/8:80-90 "
		       "1:0.0.0.0/0:0-65535 1:::/0:0-65535 ");
	policy_each_path(set->items[0], list_path, paths);
	CHECK_STR(paths, "/bin/nc=exact /usr/bin/nc*=glob parent:/bin/sh=exact /etc=subtree "
			 "/=subtree ");
	policy_set_free(set);
}

/* ---- generation ------------------------------------------------------------------------ */

static void learn(struct profile *prof, enum profile_category c, const char *key)
{
	profile_learn(prof, c, key, strlen(key), 1700000000000000000ULL);
}

TEST(from_profile_round_trip)
{
	struct profile *prof = profile_new(0);
	struct policy_subject s = {.kind = POLICY_WORKLOAD_CONTAINER,
				   .container_image = "localhost/vigil-busybox:latest",
				   .container_name = "bb1"};
	struct policy_subject other = {.kind = POLICY_WORKLOAD_CONTAINER,
				       .container_image = "localhost/other:1"};
	struct policy_set *set;
	const struct policy *p;
	char *text;
	uint8_t v6[16];

	learn(prof, PROF_EXEC, "/bin/busybox[nc] <- /bin/sh as root");
	learn(prof, PROF_EXEC, "/bin/busybox <- /usr/bin/runc as root");
	learn(prof, PROF_EXEC, "/usr/bin/python3 <- /bin/busybox[sh] as app");
	learn(prof, PROF_EXEC, "/tmp/we\"ird*\nname <- /bin/sh as root");
	learn(prof, PROF_EXEC, "? <- /bin/sh as root");
	learn(prof, PROF_NET_OUT, "tcp 10.0.0.5:5432");
	learn(prof, PROF_NET_OUT, "udp [fd00::1]:53");
	learn(prof, PROF_NET_OUT, "unix /run/x.sock");
	learn(prof, PROF_LISTEN, "tcp :8080");
	CHECK(policy_from_profile(prof, "bad name", &s) == NULL);
	text = policy_from_profile(prof, "bb1-learned", &s);
	CHECK(text != NULL);
	if (!text) {
		profile_free(prof);
		return;
	}
	CHECK(strstr(text, "# Generated by vigil ") == text);
	CHECK(strstr(text, "localhost/vigil-busybox:latest") != NULL);
	set = load(text);
	if (!set)
		fprintf(stderr, "  %s\n%s", last_err, text);
	CHECK(set != NULL);
	if (set) {
		p = set->items[0];
		CHECK(policy_selects(p, &s));
		CHECK(!policy_selects(p, &other));
		CHECK_INT(policy_decide_exec(p, "/bin/busybox", NULL, NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_exec(p, "/bin/nc", NULL, NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_exec(p, "/usr/sbin/nc", NULL, NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_exec(p, "/usr/bin/python3", NULL, NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_exec(p, "/tmp/we\"ird*\nname", NULL, NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_exec(p, "/tmp/we\"irdXX\nname", NULL, NULL), POLICY_BLOCK);
		CHECK_INT(policy_decide_exec(p, "/usr/bin/perl", NULL, NULL), POLICY_BLOCK);
		CHECK_INT(policy_decide_exec(p, "/bin/sh", NULL, NULL), POLICY_BLOCK);
		CHECK_INT(connect4(p, "10.0.0.5", 5432, POLICY_PROTO_TCP, NULL), POLICY_ALLOW);
		CHECK_INT(connect4(p, "10.0.0.6", 5432, POLICY_PROTO_TCP, NULL), POLICY_AUDIT);
		CHECK_INT(connect4(p, "10.0.0.5", 5432, POLICY_PROTO_UDP, NULL), POLICY_AUDIT);
		inet_pton(AF_INET6, "fd00::1", v6);
		CHECK_INT(policy_decide_connect(p, AF_INET6, v6, 53, POLICY_PROTO_UDP, POLICY_DIR_OUT,
						NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_connect(p, AF_INET6, v6, 8080, POLICY_PROTO_TCP, POLICY_DIR_IN,
						NULL), POLICY_ALLOW);
		CHECK_INT(policy_decide_file(p, "/etc/shadow", POLICY_READ, NULL), POLICY_ALLOW);
	}
	policy_set_free(set);
	free(text);
	profile_free(prof);
}

TEST(from_profile_generalised_peers_and_hosts)
{
	struct profile *prof = profile_new(0);
	struct policy_subject s = {.kind = POLICY_WORKLOAD_HOST, .host_unit = "nginx.service"};
	struct policy_subject h = {.kind = POLICY_WORKLOAD_HOST, .host_unit = "nginx.service"};
	struct policy_set *set;
	char key[64], *text;

	for (int i = 0; i < 40; i++) {	/* more than the fan-out: ranges, then "any" */
		snprintf(key, sizeof(key), "tcp 10.1.%d.%d:443", i / 20, i);
		learn(prof, PROF_NET_OUT, key);
	}
	text = policy_from_profile(prof, "nginx", &s);
	set = text ? load(text) : NULL;
	CHECK(set != NULL);
	if (set) {
		CHECK(policy_selects(set->items[0], &h));
		CHECK_INT(connect4(set->items[0], "10.1.0.200", 443, POLICY_PROTO_TCP, NULL),
			  POLICY_ALLOW);
		CHECK_INT(connect4(set->items[0], "10.1.0.200", 444, POLICY_PROTO_TCP, NULL),
			  POLICY_AUDIT);
		/* nothing learned: every exec blocked, as the header says */
		CHECK_INT(policy_decide_exec(set->items[0], "/bin/sh", NULL, NULL), POLICY_BLOCK);
		CHECK(strstr(text, "no executable learned") != NULL);
	}
	policy_set_free(set);
	free(text);
	text = policy_from_profile(prof, "anyone", NULL);
	set = text ? load(text) : NULL;
	CHECK(set && set->items[0]->select_any);
	policy_set_free(set);
	free(text);
	profile_free(prof);
}

TEST(example_files_check)
{
	char *argv[] = {"policy", "check", "--root", "/nonexistent", "policies/web-lockdown.yaml",
			"policies/busybox-allowlist.yaml", "policies/host-sshd.yaml", NULL};

	CHECK_INT(policy_check_main(7, argv), 0);
}

int main(void)
{
	RUN(example_parses_and_decides);
	RUN(selectors);
	RUN(several_documents_and_lists);
	RUN(errors_name_the_place);
	RUN(alias_bombs_are_refused);
	RUN(sets_load_all_or_nothing);
	RUN(warnings_for_globs_selectors_shadows_and_host_bits);
	RUN(file_default_block_warned_not_enforced);
	RUN(file_shadow_respects_access);
	RUN(ipv6_cidrs_and_mapped_addresses);
	RUN(port_ranges_protocols_and_directions);
	RUN(first_match_wins_and_default_mapping);
	RUN(audit_mode_blocks_nothing);
	RUN(iteration_for_kernel_maps);
	RUN(from_profile_round_trip);
	RUN(from_profile_generalised_peers_and_hosts);
	RUN(example_files_check);
	return TEST_SUMMARY();
}

/* fuzz_policy.c - policy parsing on arbitrary bytes.
 *
 * A refusal must say where ("t.yaml:line:col: ...").  A set that loads
 * must answer every decision, iterate its rules for the kernel maps,
 * name its rules, and go through the warnings (against an empty root);
 * and a profile learned from the policy's own paths must generate a
 * policy that loads again.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "enforce/policy.h"
#include "model/profile.h"

static const char *const paths[] = {
	"/bin/nc", "/usr/bin/nc.openbsd", "/etc/shadow", "/etc/ssh/sshd_config", "/", "/tmp/a*b",
};

static void on_warning(void *ctx, const char *msg)
{
	(void)ctx;
	if (!msg || strncmp(msg, "fuzz.yaml:", 10))
		abort();
}

static bool no_workload(void *ctx, const struct policy *p)
{
	(void)ctx;
	return p->name == NULL;
}

static void on_net(void *ctx, const struct policy_net_entry *e)
{
	(void)ctx;
	if (e->port_lo > e->port_hi || (e->family == AF_INET && e->prefix_len > 32) ||
	    e->prefix_len > 128)
		abort();
}

/* Learn each path of the policy as an executable, to generate from. */
static void on_path(void *ctx, const struct policy_path_entry *e)
{
	char key[4200];
	int n = snprintf(key, sizeof(key), "%s <- /bin/sh as root", e->path->text);

	if (n > 0 && (size_t)n < sizeof(key))
		profile_learn(ctx, PROF_EXEC, key, (size_t)n, 1);
}

static void decide_all(const struct policy *p)
{
	struct policy_subject s = {.kind = POLICY_WORKLOAD_CONTAINER, .container_name = "web-1",
				   .container_id = "3f2a9c", .container_image = "nginx:1"};
	uint8_t v4[16] = {10, 1, 2, 3}, v6[16];
	char name[256];
	int rule;

	inet_pton(AF_INET6, "fd00::1", v6);
	(void)policy_selects(p, &s);
	s.kind = POLICY_WORKLOAD_HOST;
	(void)policy_selects(p, &s);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (policy_decide_exec(p, paths[i], "/bin/sh", &rule) > POLICY_BLOCK ||
		    rule >= (int)p->nprocess)
			abort();
		policy_rule_name(p, POLICY_PROCESS, rule, name, sizeof(name));
		if (policy_decide_file(p, paths[i], POLICY_READ | POLICY_WRITE, &rule) > POLICY_BLOCK ||
		    rule >= (int)p->nfile_rules)
			abort();
	}
	if (policy_decide_connect(p, AF_INET, v4, 4444, POLICY_PROTO_TCP, POLICY_DIR_OUT, &rule) >
	    POLICY_BLOCK || rule >= (int)p->nnetwork)
		abort();
	(void)policy_decide_connect(p, AF_INET6, v6, 53, POLICY_PROTO_UDP, POLICY_DIR_IN, &rule);
	policy_each_net(p, on_net, NULL);
}

static void regenerate(const struct policy *p)
{
	struct profile *prof = profile_new(64);
	struct policy_set *again;
	char *text, err[512];

	if (!prof)
		abort();
	policy_each_path(p, on_path, prof);
	text = policy_from_profile(prof, p->name, NULL);
	if (!text)
		abort();
	again = policy_set_new();
	if (!again || policy_set_add_string(again, "gen.yaml", text, strlen(text), NULL, err,
					    sizeof(err))) {
		fprintf(stderr, "generated policy refused: %s\n%s\n", err, text);
		abort();
	}
	policy_set_free(again);
	free(text);
	profile_free(prof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_checks checks = {.warn = on_warning, .root_dir = "/nonexistent-fuzz-root",
				       .any_workload = no_workload};
	struct policy_set *set = policy_set_new();
	char err[1024] = "";

	if (!set)
		abort();
	if (policy_set_add_string(set, "fuzz.yaml", (const char *)data, size, &checks, err,
				  sizeof(err))) {
		if (strncmp(err, "fuzz.yaml:", 10))
			abort();
		policy_set_free(set);
		return 0;
	}
	for (size_t i = 0; i < set->count; i++) {
		decide_all(set->items[i]);
		regenerate(set->items[i]);
	}
	policy_set_free(set);
	return 0;
}

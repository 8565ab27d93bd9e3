/* test_rules_file.c - the Falco-compatible rules-file loader. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules_file.h"
#include <unistd.h>

#include "test.h"

static char err[512];

/* Loads text as "t.yaml"; returns the loader's result. */
static int load(struct ruleset_text *rs, const char *text)
{
	err[0] = '\0';
	return ruleset_text_load_string(rs, "t.yaml", text, strlen(text), err,
					sizeof(err));
}

/* Expects text to fail with an error starting with want_prefix
 * ("t.yaml:LINE:COL:") and containing want_words. */
static bool fails_with(const char *text, const char *want_prefix,
		       const char *want_words)
{
	struct ruleset_text rs;
	bool ok;

	ruleset_text_init(&rs);
	ok = load(&rs, text) == -1 &&
	     strncmp(err, want_prefix, strlen(want_prefix)) == 0 &&
	     strstr(err, want_words) != NULL;
	if (!ok)
		fprintf(stderr, "  got error \"%s\"\n", err);
	ok = ok && rs.nrules == 0 && rs.nlists == 0 && rs.nmacros == 0;
	ruleset_text_free(&rs);
	return ok;
}

static const char base_rule[] =
	"- rule: r1\n"
	"  desc: first\n"
	"  condition: evt.type = open\n"
	"  output: opened %fd.name\n"
	"  priority: warning\n"
	"  tags: [a, b]\n"
	"  exceptions:\n"
	"    - name: known\n"
	"      fields: [proc.name, fd.name]\n"
	"      values: [[cat, /etc/x]]\n"
	"- list: l1\n"
	"  items: [x, 2]\n"
	"- macro: m1\n"
	"  condition: proc.name = a\n";

TEST(each_kind)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs,
		       "- required_engine_version: 0.57.0\n"
		       "- required_plugin_versions:\n"
		       "  - name: k8saudit\n"
		       "    version: 0.1.0\n"
		       "- list: shells\n"
		       "  items: [bash, \"sh\", 3]\n"
		       "- macro: spawned\n"
		       "  condition: evt.type = execve\n"
		       "- rule: Shell\n"
		       "  desc: a shell\n"
		       "  condition: spawned and proc.name in (shells)\n"
		       "  output: \"shell %proc.name\"\n"
		       "  priority: NOTICE\n"
		       "  tags: [t1]\n"
		       "  enabled: false\n"
		       "  warn_evttypes: false\n"
		       "  skip-if-unknown-filter: true\n"
		       "  exceptions:\n"
		       "    - name: single\n"
		       "      fields: proc.name\n"
		       "      values: [a, [b, c]]\n"
		       "    - name: multi\n"
		       "      fields: [proc.name, fd.name]\n"
		       "      comps: [=, startswith]\n"),
		  0);
	CHECK_INT(rs.required_engine_version, 57000);
	CHECK_INT(rs.nlists, 1);
	CHECK_STR(rs.lists[0].name, "shells");
	CHECK_INT(rs.lists[0].nitems, 3);
	CHECK_STR(rs.lists[0].items[2], "3");
	CHECK_INT(rs.nmacros, 1);
	CHECK_STR(rs.macros[0].condition, "evt.type = execve");
	CHECK_INT(rs.nrules, 1);
	struct rules_rule *r = &rs.rules[0];
	CHECK_STR(r->name, "Shell");
	CHECK_STR(r->output, "shell %proc.name");
	CHECK_STR(r->source, "syscall");
	CHECK_INT(r->priority, PRIORITY_NOTICE);
	CHECK(!r->enabled && !r->warn_evttypes && r->skip_if_unknown_filter);
	CHECK_STR(r->file, "t.yaml");
	CHECK_INT(r->line, 9);
	CHECK_INT(r->col, 3);
	CHECK_INT(r->nexceptions, 2);
	CHECK(r->exceptions[0].fields_is_single);
	CHECK_STR(r->exceptions[0].comps[0], "in");
	CHECK_INT(r->exceptions[0].nvalues, 2);
	CHECK_STR(r->exceptions[0].values[1][0], "(b, c)");
	CHECK_STR(r->exceptions[1].comps[1], "startswith");
	CHECK_INT(r->exceptions[1].nvalues, 0);
	CHECK_INT(rs.nwarnings, 0);
	ruleset_text_free(&rs);
}

TEST(priorities)
{
	CHECK_INT(priority_from_name("emergency"), PRIORITY_EMERGENCY);
	CHECK_INT(priority_from_name("Info"), PRIORITY_INFORMATIONAL);
	CHECK_INT(priority_from_name("INFORMATIONAL"), PRIORITY_INFORMATIONAL);
	CHECK_INT(priority_from_name("debug"), PRIORITY_DEBUG);
	CHECK_INT(priority_from_name("loud"), -1);
	CHECK_STR(priority_name(PRIORITY_WARNING), "Warning");
	CHECK_STR(priority_name(42), "Unknown");
}

TEST(append)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs, base_rule), 0);
	CHECK_INT(load(&rs,
		       "- list: l1\n  items: [y]\n  append: true\n"
		       "- macro: m1\n  condition: or proc.name = b\n  append: true\n"
		       "- rule: r1\n  condition: and fd.num = 1\n  append: true\n"
		       "  exceptions:\n"
		       "    - name: known\n      values: [[vi, /etc/y]]\n"
		       "    - name: other\n      fields: proc.pid\n      values: [1]\n"),
		  0);
	CHECK_INT(rs.lists[0].nitems, 3);
	CHECK_STR(rs.lists[0].items[2], "y");
	CHECK_STR(rs.macros[0].condition, "proc.name = a or proc.name = b");
	CHECK_STR(rs.rules[0].condition, "evt.type = open and fd.num = 1");
	CHECK_INT(rs.rules[0].nexceptions, 2);
	CHECK_INT(rs.rules[0].exceptions[0].nvalues, 2);
	CHECK_STR(rs.rules[0].exceptions[0].values[1][1], "/etc/y");
	CHECK_STR(rs.rules[0].exceptions[1].comps[0], "in");
	CHECK_INT(rs.rules[0].line, 1);	/* still where it was defined */
	ruleset_text_free(&rs);
}

TEST(override_append)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs, base_rule), 0);
	CHECK_INT(load(&rs,
		       "- list: l1\n  items: [z]\n  override: {items: append}\n"
		       "- macro: m1\n  condition: or x\n"
		       "  override: {condition: append}\n"
		       "- rule: r1\n  condition: and y\n  output: more\n"
		       "  desc: too\n  tags: [b, c]\n"
		       "  exceptions: [{name: known, values: [[a, b]]}]\n"
		       "  override: {condition: append, output: append,"
		       " desc: append, tags: append, exceptions: append}\n"),
		  0);
	CHECK_INT(rs.lists[0].nitems, 3);
	CHECK_STR(rs.macros[0].condition, "proc.name = a or x");
	CHECK_STR(rs.rules[0].condition, "evt.type = open and y");
	CHECK_STR(rs.rules[0].output, "opened %fd.name more");
	CHECK_STR(rs.rules[0].desc, "first too");
	CHECK_INT(rs.rules[0].ntags, 3);
	CHECK_STR(rs.rules[0].tags[2], "c");
	CHECK_INT(rs.rules[0].exceptions[0].nvalues, 2);
	ruleset_text_free(&rs);
}

TEST(override_replace)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs, base_rule), 0);
	CHECK_INT(load(&rs,
		       "- list: l1\n  items: [z]\n  override: {items: replace}\n"
		       "- macro: m1\n  condition: x\n"
		       "  override: {condition: replace}\n"
		       "- rule: r1\n  condition: c2\n  output: o2\n  desc: d2\n"
		       "  priority: critical\n  enabled: false\n  tags: [t]\n"
		       "  exceptions: []\n"
		       "  override: {condition: replace, output: replace,"
		       " desc: replace, priority: replace, enabled: replace,"
		       " tags: replace, exceptions: replace}\n"),
		  0);
	CHECK_INT(rs.lists[0].nitems, 1);
	CHECK_STR(rs.lists[0].items[0], "z");
	CHECK_STR(rs.macros[0].condition, "x");
	struct rules_rule *r = &rs.rules[0];
	CHECK_STR(r->condition, "c2");
	CHECK_STR(r->output, "o2");
	CHECK_STR(r->desc, "d2");
	CHECK_INT(r->priority, PRIORITY_CRITICAL);
	CHECK(!r->enabled);
	CHECK_INT(r->ntags, 1);
	CHECK_INT(r->nexceptions, 0);
	ruleset_text_free(&rs);
}

TEST(redefinition_replaces_in_place)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs, base_rule), 0);
	CHECK_INT(load(&rs,
		       "- rule: r0\n  desc: d\n  condition: c\n  output: o\n"
		       "  priority: info\n"
		       "- list: l1\n  items: [only]\n"
		       "- rule: r1\n  desc: new\n  condition: c9\n  output: o9\n"
		       "  priority: debug\n"
		       "- rule: r0\n  enabled: false\n"),
		  0);
	CHECK_INT(rs.nrules, 2);
	CHECK_STR(rs.rules[0].name, "r1");
	CHECK_STR(rs.rules[0].condition, "c9");
	CHECK_INT(rs.rules[0].nexceptions, 0);
	CHECK_INT(rs.rules[0].ntags, 0);
	CHECK_INT(rs.rules[0].line, 8);
	CHECK(!rs.rules[1].enabled);	/* the legacy enable/disable form */
	CHECK_INT(rs.nlists, 1);
	CHECK_STR(rs.lists[0].items[0], "only");
	ruleset_text_free(&rs);
}

TEST(unknown_keys_warn)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs,
		       "- list: l\n  items: []\n  colour: red\n"
		       "- rule: r\n  desc: d\n  condition: c\n  output: o\n"
		       "  priority: info\n  capture: true\n"
		       "  exceptions: [{name: e, fields: f, flavour: 1}]\n"
		       "- something_new: 1\n"),
		  0);
	CHECK_INT(rs.nwarnings, 4);
	if (rs.nwarnings == 4) {
		CHECK_STR(rs.warnings[0], "t.yaml:3:3: unknown key 'colour' in list 'l'");
		CHECK(strstr(rs.warnings[1], "t.yaml:9:3: unknown key 'capture'"));
		CHECK(strstr(rs.warnings[2], "'flavour'"));
		CHECK(strstr(rs.warnings[3], "t.yaml:11:3: unknown top-level"));
	}
	ruleset_text_free(&rs);
}

TEST(wrong_types_are_errors_with_positions)
{
	CHECK(fails_with("- list: l\n  items: \"x\"\n", "t.yaml:2:10:",
			 "'items' must be a list"));
	CHECK(fails_with("- list: l\n  items: [a, [b]]\n", "t.yaml:2:14:",
			 "must be a string"));
	CHECK(fails_with("- macro: m\n  condition: [a]\n", "t.yaml:2:14:",
			 "'condition' must be a string"));
	CHECK(fails_with("- rule: r\n  desc: d\n  output: o\n  priority: info\n",
			 "t.yaml:1:3:", "rule 'r' has no 'condition'"));
	CHECK(fails_with("- rule: r\n  desc: d\n  condition: c\n  output: o\n"
			 "  priority: loud\n",
			 "t.yaml:5:13:", "unknown priority 'loud'"));
	CHECK(fails_with("- rule: r\n  desc: d\n  condition: c\n  output: o\n"
			 "  priority: info\n  enabled: maybe\n",
			 "t.yaml:6:12:", "'enabled' must be true or false"));
	CHECK(fails_with("- rule: r\n  desc: d\n  condition: c\n  output: o\n"
			 "  priority: info\n  tags: {a: b}\n",
			 "t.yaml:6:9:", "'tags' must be a list"));
	CHECK(fails_with("- rule: r\n  desc: d\n  condition: c\n  output: o\n"
			 "  priority: info\n  exceptions:\n"
			 "    - name: e\n      fields: [a, b]\n      values: [[1]]\n",
			 "t.yaml:9:16:", "a row has 1 values but there are 2 fields"));
	CHECK(fails_with("- rule: r\n  desc: d\n  condition: c\n  output: o\n"
			 "  priority: info\n  exceptions:\n"
			 "    - name: e\n      fields: [a, b]\n      comps: [=]\n",
			 "t.yaml:9:14:", "has 2 fields but 1 comps"));
	CHECK(fails_with("rule: r\n", "t.yaml:1:1:", "must be a list"));
	CHECK(fails_with("- [a]\n", "t.yaml:1:3:", "must be a mapping"));
	CHECK(fails_with("- list: l\n  items: [a\n", "t.yaml:", "YAML error"));
	CHECK(fails_with("- list: l\n  items: [a]\n  override: {items: merge}\n",
			 "t.yaml:3:21:", "must be append or replace"));
	CHECK(fails_with("- rule: r\n  priority: info\n  override: {priority: append}\n",
			 "t.yaml:3:14:", "cannot be overridden with append"));
	CHECK(fails_with("- required_engine_version: 0.x\n", "t.yaml:1:28:",
			 "required_engine_version"));
}

TEST(append_without_base_is_an_error)
{
	CHECK(fails_with("- list: nope\n  items: [a]\n  append: true\n",
			 "t.yaml:1:3:", "list 'nope' has no earlier definition to append to"));
	CHECK(fails_with("- macro: nope\n  condition: x\n  append: true\n",
			 "t.yaml:1:3:", "macro 'nope' has no earlier"));
	CHECK(fails_with("- rule: nope\n  condition: x\n  append: true\n",
			 "t.yaml:1:3:", "rule 'nope' has no earlier"));
	CHECK(fails_with("- rule: nope\n  condition: x\n"
			 "  override: {condition: replace}\n",
			 "t.yaml:1:3:", "no earlier definition to override"));
}

TEST(failed_load_changes_nothing)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(load(&rs, base_rule), 0);
	CHECK_INT(load(&rs, "- list: l1\n  items: [q]\n  append: true\n"
			    "- list: l2\n  items: [a]\n  bogus: 1\n"
			    "- macro: m9\n  condition: [bad]\n"),
		  -1);
	CHECK_INT(rs.nlists, 1);
	CHECK_INT(rs.lists[0].nitems, 2);
	CHECK_INT(rs.nmacros, 1);
	CHECK_INT(rs.nwarnings, 0);
	ruleset_text_free(&rs);
}

TEST(alias_bomb_is_refused)
{
	struct ruleset_text rs;
	char text[16384];
	int at;

	ruleset_text_init(&rs);
	at = snprintf(text, sizeof(text), "- list: a\n  items: &a [");
	for (int i = 0; i < 100; i++)
		at += snprintf(text + at, sizeof(text) - (size_t)at, "%sxxxxxxxxxxxxxxxx", i ? "," : "");
	at += snprintf(text + at, sizeof(text) - (size_t)at,
		       "]\n- rule: r\n  desc: d\n  condition: c\n  output: o\n"
		       "  priority: info\n  exceptions:\n    - name: e\n"
		       "      fields: [a, b, c, d]\n      values: &r [");
	for (int i = 0; i < 60; i++)
		at += snprintf(text + at, sizeof(text) - (size_t)at, "%s[*a, *a, *a, *a]", i ? "," : "");
	at += snprintf(text + at, sizeof(text) - (size_t)at, "]\n");
	for (int i = 0; i < 200 && at < 16000; i++)
		at += snprintf(text + at, sizeof(text) - (size_t)at,
			       "- rule: r\n  exceptions: [{name: e, values: *r}]\n  append: true\n");
	/* ~430 KB per alias expansion, 200 times: over the 64 MiB budget */
	CHECK_INT(load(&rs, text), -1);
	CHECK(strstr(err, "too much text") != NULL);
	CHECK_INT(rs.nrules, 0);
	ruleset_text_free(&rs);
}

TEST(falco_upstream_files)
{
	/* Falco's published files sit beside the project (../shared/compat,
	 * read from there, never copied in) */
	static const char *const names[] = {
		"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml",
	};
	static const char *const dirs[] = {"../shared/compat", "/work/shared/compat"};
	const char *dir = NULL;
	char files[3][512];
	struct ruleset_text rs;

	for (size_t d = 0; d < 2 && !dir; d++) {
		snprintf(files[0], sizeof(files[0]), "%s/%s", dirs[d], names[0]);
		if (access(files[0], R_OK) == 0)
			dir = dirs[d];
	}
	if (!dir) {
		fprintf(stderr, "  SKIP: Falco's rules files not found in ../shared/compat\n");
		return;
	}
	for (size_t i = 0; i < 3; i++)
		snprintf(files[i], sizeof(files[i]), "%s/%s", dir, names[i]);
	ruleset_text_init(&rs);
	for (size_t i = 0; i < 3; i++) {
		err[0] = '\0';
		CHECK_INT(ruleset_text_load_file(&rs, files[i], err, sizeof(err)), 0);
		if (err[0])
			fprintf(stderr, "  %s\n", err);
		printf("after %s: %zu lists, %zu macros, %zu rules, %zu warnings\n",
		       files[i], rs.nlists, rs.nmacros, rs.nrules, rs.nwarnings);
		if (i == 0)
			CHECK(rs.nrules >= 20);
	}
	for (size_t i = 0; i < rs.nwarnings; i++)
		printf("  warning: %s\n", rs.warnings[i]);
	CHECK(rs.nlists > 0 && rs.nmacros > 0 && rs.nrules > 0);
	CHECK_INT(rs.required_engine_version, 57000);
	for (size_t i = 0; i < rs.nrules; i++)
		CHECK(rs.rules[i].condition && rs.rules[i].output &&
		      rs.rules[i].desc);
	ruleset_text_free(&rs);
}

TEST(missing_file)
{
	struct ruleset_text rs;

	ruleset_text_init(&rs);
	CHECK_INT(ruleset_text_load_file(&rs, "/nonexistent/x.yaml", err,
					 sizeof(err)), -1);
	CHECK(strstr(err, "/nonexistent/x.yaml: ") == err);
	ruleset_text_free(&rs);
}

int main(void)
{
	RUN(each_kind);
	RUN(priorities);
	RUN(append);
	RUN(override_append);
	RUN(override_replace);
	RUN(redefinition_replaces_in_place);
	RUN(unknown_keys_warn);
	RUN(wrong_types_are_errors_with_positions);
	RUN(append_without_base_is_an_error);
	RUN(failed_load_changes_nothing);
	RUN(alias_bomb_is_refused);
	RUN(falco_upstream_files);
	RUN(missing_file);
	return TEST_SUMMARY();
}

/* test_condition.c - tests for the rule condition parser. */
#include "rules/condition.h"
#include "test.h"

#include <stdlib.h>
#include <yaml.h>

static struct cond_node *parse(const char *text)
{
	struct cond_error err;
	struct cond_node *n = cond_parse(text, strlen(text), &err);
	if (!n)
		fprintf(stderr, "  parse of \"%s\" failed at %d:%d: %s\n", text,
			err.line, err.col, err.message);
	return n;
}

/* Checks that text parses and renders canonically as want. */
static int check_rendering(const char *text, const char *want)
{
	struct cond_node *n = parse(text);
	if (!n)
		return 0;
	char *got = cond_to_string(n);
	int ok = got && strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "  \"%s\" rendered as \"%s\", want \"%s\"\n", text,
			got ? got : "(null)", want);
	free(got);
	cond_free(n);
	return ok;
}

/* Checks that text fails at line:col with a message containing what. */
static int check_error(const char *text, int line, int col, const char *what)
{
	struct cond_error err;
	struct cond_node *n = cond_parse(text, strlen(text), &err);
	if (n) {
		fprintf(stderr, "  \"%s\" parsed, want error\n", text);
		cond_free(n);
		return 0;
	}
	int ok = err.line == line && err.col == col &&
		 strstr(err.message, what) != NULL;
	if (!ok)
		fprintf(stderr, "  \"%s\": got %d:%d \"%s\", want %d:%d \"%s\"\n",
			text, err.line, err.col, err.message, line, col, what);
	return ok;
}

TEST(precedence)
{
	CHECK(check_rendering("a and b or c", "a and b or c"));
	CHECK(check_rendering("(a and b) or c", "a and b or c"));
	CHECK(check_rendering("a or b and c", "a or b and c"));
	CHECK(check_rendering("(a or b) and c", "(a or b) and c"));
	CHECK(check_rendering("not a and b", "not a and b"));
	CHECK(check_rendering("not (a and b)", "not (a and b)"));
	CHECK(check_rendering("a and b and c", "a and b and c"));
	CHECK(check_rendering("a and (b and c)", "a and (b and c)"));
	CHECK(check_rendering("a or (b or c)", "a or (b or c)"));
	CHECK(check_rendering("not not a", "not not a"));
	CHECK(check_rendering("not(a)and(b)", "not a and b"));
	CHECK(check_rendering("((a))", "a"));
	CHECK(check_rendering("not (proc.name = x)", "not proc.name = x"));
}

TEST(tree_shape)
{
	struct cond_node *n = parse("a and b or c");
	CHECK(n != NULL);
	if (!n)
		return;
	CHECK_INT(n->kind, COND_OR);
	CHECK_INT(n->left->kind, COND_AND);
	CHECK_STR(n->left->left->macro, "a");
	CHECK_STR(n->left->right->macro, "b");
	CHECK_INT(n->right->kind, COND_MACRO);
	CHECK_STR(n->right->macro, "c");
	CHECK_INT(n->right->line, 1);
	CHECK_INT(n->right->col, 12);
	cond_free(n);

	n = parse("not a and b");
	CHECK(n != NULL);
	if (!n)
		return;
	CHECK_INT(n->kind, COND_AND);
	CHECK_INT(n->left->kind, COND_NOT);
	CHECK_STR(n->left->left->macro, "a");
	CHECK_STR(n->right->macro, "b");
	cond_free(n);
}

TEST(comparisons)
{
	static const char *ops[] = { "=", "==", "!=", "<", "<=", ">", ">=",
				     "contains", "icontains", "bcontains",
				     "startswith", "bstartswith", "endswith",
				     "glob", "iglob", "regex" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char text[64], want[64];
		snprintf(text, sizeof(text), "proc.name %s sh", ops[i]);
		snprintf(want, sizeof(want), "proc.name %s sh", ops[i]);
		CHECK(check_rendering(text, want));
	}
	CHECK(check_rendering("fd.num>=0", "fd.num >= 0"));
	CHECK(check_rendering("fd.num=-1", "fd.num = -1"));
	CHECK(check_rendering("proc.name!=sshd", "proc.name != sshd"));
	CHECK(check_rendering("fd.name=/etc/shadow", "fd.name = /etc/shadow"));
	CHECK(check_rendering("proc.pname = <NA>", "proc.pname = <NA>"));
	CHECK(check_rendering("proc.args endswith \\", "proc.args endswith \\"));
	CHECK(check_rendering("evt.rawarg.res < 0", "evt.rawarg.res < 0"));
	CHECK(check_rendering("proc.name exists", "proc.name exists"));

	struct cond_node *n = parse("container.image.repository = docker.io/x");
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->kind, COND_COMPARE);
		CHECK_STR(n->field, "container.image.repository");
		CHECK(n->field_arg == NULL);
		CHECK_STR(n->op, "=");
		CHECK_INT(n->nvalues, 1);
		CHECK_STR(n->values[0].text, "docker.io/x");
		CHECK(!n->values[0].quoted);
		CHECK(!n->value_is_list);
		cond_free(n);
	}
}

TEST(field_arguments)
{
	static const struct { const char *text, *field, *arg; } cases[] = {
		{ "proc.aname[2] = sh", "proc.aname", "2" },
		{ "evt.arg[0] = x", "evt.arg", "0" },
		{ "k8s.pod.label[app] = web", "k8s.pod.label", "app" },
		{ "proc.env[HOME] startswith /root", "proc.env", "HOME" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cond_node *n = parse(cases[i].text);
		CHECK(n != NULL);
		if (!n)
			continue;
		CHECK_STR(n->field, cases[i].field);
		CHECK_STR(n->field_arg, cases[i].arg);
		cond_free(n);
	}
	CHECK(check_rendering("proc.aname[2]=sh", "proc.aname[2] = sh"));
	CHECK(check_rendering("evt.arg.flags contains O_TMPFILE",
			      "evt.arg.flags contains O_TMPFILE"));
	CHECK(check_rendering("proc.env[HOME] exists", "proc.env[HOME] exists"));
}

TEST(lists)
{
	struct cond_node *n = parse("proc.name in (shell_binaries, bash, \"c d\", 'e')");
	CHECK(n != NULL);
	if (!n)
		return;
	CHECK_STR(n->op, "in");
	CHECK(n->value_is_list);
	CHECK_INT(n->nvalues, 4);
	if (n->nvalues == 4) {
		CHECK_STR(n->values[0].text, "shell_binaries");
		CHECK(!n->values[0].quoted);
		CHECK_STR(n->values[2].text, "c d");
		CHECK(n->values[2].quoted);
		CHECK_STR(n->values[3].text, "e");
		CHECK(n->values[3].quoted);
	}
	cond_free(n);
	CHECK(check_rendering("evt.type in (open,openat,openat2)",
			      "evt.type in (open, openat, openat2)"));
	CHECK(check_rendering("fd.sport in ()", "fd.sport in ()"));
	CHECK(check_rendering("proc.args intersects (a,b)",
			      "proc.args intersects (a, b)"));
	CHECK(check_rendering("fd.name pmatch (/etc, /usr)",
			      "fd.name pmatch (/etc, /usr)"));
	CHECK(check_rendering("proc.name in shells", "proc.name in (shells)"));
}

TEST(quoted_values)
{
	struct cond_node *n = parse("proc.cmdline contains \"sh -c \\\"x\\\" y\"");
	CHECK(n != NULL);
	if (n) {
		CHECK_STR(n->values[0].text, "sh -c \"x\" y");
		CHECK(n->values[0].quoted);
		cond_free(n);
	}
	n = parse("proc.cmdline regex '\\d+ \\'q\\''");
	CHECK(n != NULL);
	if (n) {
		CHECK_STR(n->values[0].text, "\\d+ 'q'");
		cond_free(n);
	}
	CHECK(check_rendering("fd.typechar='f'", "fd.typechar = \"f\""));
	CHECK(check_rendering("proc.name = 'a\\\\b'", "proc.name = \"a\\\\b\""));
	CHECK(check_rendering("proc.name = \"\"", "proc.name = \"\""));
}

TEST(field_values)
{
	struct cond_node *n = parse("fd.name = val(proc.exepath)");
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->nvalues, 1);
		CHECK_STR(n->values[0].text, "proc.exepath");
		CHECK(n->values[0].is_field);
		cond_free(n);
	}
	CHECK(check_rendering("fd.name startswith val( proc.aname[1] )",
			      "fd.name startswith val(proc.aname[1])"));
	CHECK(check_rendering("proc.name = val", "proc.name = val"));
	CHECK(check_error("fd.name = val(1)", 1, 15, "field name inside val()"));
	CHECK(check_error("fd.name = val(x", 1, 16, "close val("));
}

TEST(macros)
{
	CHECK(check_rendering("spawned_process and container",
			      "spawned_process and container"));
	struct cond_node *n = parse("  \n  spawned_process");
	CHECK(n != NULL);
	if (n) {
		CHECK_INT(n->kind, COND_MACRO);
		CHECK_INT(n->line, 2);
		CHECK_INT(n->col, 3);
		cond_free(n);
	}
}

TEST(errors)
{
	CHECK(check_error("proc.name ~= sh", 1, 11, "unknown operator '~='"));
	CHECK(check_error("proc.name foo sh", 1, 11, "unknown operator 'foo'"));
	CHECK(check_error("(a and b", 1, 1, "unbalanced parentheses"));
	CHECK(check_error("a and b)", 1, 8, "unbalanced parentheses"));
	CHECK(check_error("x and\n (proc.name in (a, b)", 2, 2,
			  "unbalanced parentheses"));
	CHECK(check_error("proc.name in (a, b", 1, 14, "never closed"));
	CHECK(check_error("proc.name =", 1, 12, "missing value"));
	CHECK(check_error("proc.name = and b", 1, 13, "missing value"));
	CHECK(check_error("proc.name in (a,,b)", 1, 17, "missing value"));
	CHECK(check_error("proc.name = \"abc", 1, 13, "unterminated string"));
	CHECK(check_error("proc.name = 'abc\\'", 1, 13, "unterminated string"));
	CHECK(check_error("a and b = c d", 1, 13, "unexpected 'd'"));
	CHECK(check_error("a and b c", 1, 9, "unknown operator 'c'"));
	CHECK(check_error("", 1, 1, "empty condition"));
	CHECK(check_error(" \n\t ", 2, 3, "empty condition"));
	CHECK(check_error("a and", 1, 6, "unexpected end"));
	CHECK(check_error("a or or b", 1, 6, "found 'or'"));
	CHECK(check_error("proc.name", 1, 10, "missing operator"));
	CHECK(check_error("proc.aname[2 = x", 1, 11, "unterminated '['"));
	CHECK(check_error("()", 1, 2, "found ')'"));

	struct cond_error err;
	CHECK(cond_parse("a\0b", 3, &err) == NULL);
	CHECK_INT(err.col, 2);
	CHECK(cond_parse(NULL, 0, NULL) == NULL);
}

static char *repeat(const char *unit, int times, const char *tail)
{
	size_t n = strlen(unit), t = strlen(tail);
	char *s = malloc(n * (size_t)times + t + 1);
	if (!s)
		return NULL;
	for (int i = 0; i < times; i++)
		memcpy(s + n * (size_t)i, unit, n);
	memcpy(s + n * (size_t)times, tail, t + 1);
	return s;
}

TEST(nesting_limits)
{
	char *ok = repeat("(", COND_MAX_NESTING, "a");
	char *deep = repeat("(", COND_MAX_NESTING + 1, "a");
	char *nots = repeat("not ", 100000, "a");
	char *chain = repeat("a and ", 100000, "a");
	CHECK(ok && deep && nots && chain);
	if (ok && deep && nots && chain) {
		/* the shallow one fails only for the missing ')'s */
		CHECK(check_error(ok, 1, COND_MAX_NESTING, "never closed"));
		CHECK(check_error(deep, 1, COND_MAX_NESTING + 1, "nesting too deep"));
		CHECK(check_error(nots, 1, 4 * COND_MAX_NESTING + 1,
				  "nesting too deep"));
		struct cond_error err;
		CHECK(cond_parse(chain, strlen(chain), &err) == NULL);
		CHECK(strstr(err.message, "too deep") != NULL);
	}
	free(ok);
	free(deep);
	free(nots);
	free(chain);
}

/* ---- every condition in Falco's upstream rule files ---- */

static const char *const falco_files[] = {
	"falco_rules.yaml",
	"falco-incubating_rules.yaml",
	"falco-sandbox_rules.yaml",
};

static FILE *open_compat_file(const char *name)
{
	const char *dirs[] = { getenv("VIGIL_FALCO_RULES_DIR"), "../shared/compat",
			       "/work/shared/compat" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i])
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		FILE *f = fopen(path, "rb");
		if (f)
			return f;
	}
	return NULL;
}

static int parse_and_round_trip(const char *text, size_t len, int *failures)
{
	struct cond_error err;
	struct cond_node *n = cond_parse(text, len, &err);
	if (!n) {
		fprintf(stderr, "  falco condition failed at %d:%d: %s\n%.*s\n",
			err.line, err.col, err.message, (int)len, text);
		(*failures)++;
		return 0;
	}
	char *once = cond_to_string(n);
	struct cond_node *again = once ? cond_parse(once, strlen(once), NULL) : NULL;
	char *twice = again ? cond_to_string(again) : NULL;
	if (!twice || strcmp(once, twice) != 0) {
		fprintf(stderr, "  round trip changed \"%s\"\n", once ? once : "");
		(*failures)++;
	}
	free(twice);
	cond_free(again);
	free(once);
	cond_free(n);
	return 1;
}

static bool is_scalar(yaml_node_t *node, const char *text)
{
	return node && node->type == YAML_SCALAR_NODE &&
	       (!text || strcmp((const char *)node->data.scalar.value, text) == 0);
}

/* Parses the value of every `condition:` key; returns how many it saw. */
static int check_document(yaml_document_t *doc, int *failures)
{
	int seen = 0;
	for (yaml_node_t *node = doc->nodes.start; node < doc->nodes.top; node++) {
		if (node->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
		     pair < node->data.mapping.pairs.top; pair++) {
			yaml_node_t *key = yaml_document_get_node(doc, pair->key);
			yaml_node_t *value = yaml_document_get_node(doc, pair->value);
			if (!is_scalar(key, "condition") || !is_scalar(value, NULL))
				continue;
			parse_and_round_trip((const char *)value->data.scalar.value,
					     value->data.scalar.length, failures);
			seen++;
		}
	}
	return seen;
}

static int check_falco_file(FILE *f, int *failures)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_file(&parser, f);
	int seen = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			seen = -1;
			break;
		}
		bool empty = yaml_document_get_root_node(&doc) == NULL;
		if (!empty)
			seen += check_document(&doc, failures);
		yaml_document_delete(&doc);
		if (empty)
			break;
	}
	yaml_parser_delete(&parser);
	return seen;
}

TEST(falco_upstream_conditions)
{
	int failures = 0, total = 0, files = 0;
	for (size_t i = 0; i < sizeof(falco_files) / sizeof(falco_files[0]); i++) {
		FILE *f = open_compat_file(falco_files[i]);
		if (!f)
			continue;
		files++;
		int seen = check_falco_file(f, &failures);
		fclose(f);
		CHECK(seen > 0);
		if (seen > 0)
			total += seen;
	}
	if (files == 0) {
		fprintf(stderr, "  SKIP: Falco rule files not found "
				"(set VIGIL_FALCO_RULES_DIR)\n");
		return;
	}
	printf("falco conditions: %d parsed, %d failed\n", total - failures,
	       failures);
	CHECK_INT(failures, 0);
}

int main(void)
{
	RUN(precedence);
	RUN(tree_shape);
	RUN(comparisons);
	RUN(field_arguments);
	RUN(lists);
	RUN(quoted_values);
	RUN(field_values);
	RUN(macros);
	RUN(errors);
	RUN(nesting_limits);
	RUN(falco_upstream_conditions);
	return TEST_SUMMARY();
}

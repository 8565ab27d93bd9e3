/* response_config.c - parse the response file (libyaml document API, so
 * that every node keeps its line and column for the error messages). */
#include "respond/response_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rules/rules_file.h"
#include "util/config.h"

static const char *const action_names[ACT_COUNT] = {
	[ACT_KILL_PROCESS] = "kill_process", [ACT_KILL_TREE] = "kill_tree",
	[ACT_STOP] = "stop", [ACT_FREEZE] = "freeze", [ACT_THAW] = "thaw",
	[ACT_ISOLATE] = "isolate", [ACT_RELEASE] = "release",
};

static const char *const kind_names[] = {
	[RESPOND_KIND_RULE] = "rule", [RESPOND_KIND_ANOMALY] = "anomaly",
	[RESPOND_KIND_BLOCK] = "block", [RESPOND_MANUAL] = "manual",
};

/* Host units whose loss would lock the operator out or stop the node. */
static const char *const default_units[] = {
	"sshd.service", "ssh.service", "systemd-journald.service", "systemd-logind.service",
	"dbus.service", "containerd.service", "crio.service", "docker.service",
	"kubelet.service", "vigil.service",
};

const char *respond_action_name(enum respond_action a)
{
	return (unsigned)a < ACT_COUNT ? action_names[a] : "unknown";
}

int respond_action_from_name(const char *s)
{
	size_t n;

	if (!s)
		return -1;
	n = strlen(s);
	/* the long spellings of the container actions */
	if (n > 10 && strcmp(s + n - 10, "_container") == 0) {
		for (int a = ACT_STOP; a < ACT_COUNT; a++)
			if (strlen(action_names[a]) == n - 10 && strncmp(s, action_names[a], n - 10) == 0)
				return a;
		return -1;
	}
	for (int a = 0; a < ACT_COUNT; a++)
		if (strcmp(s, action_names[a]) == 0)
			return a;
	return -1;
}

const char *respond_kind_name(enum respond_kind k)
{
	return (unsigned)k <= RESPOND_MANUAL ? kind_names[k] : "unknown";
}

static int push_string(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));
	char *copy = strdup(s);

	if (grown)
		*v = grown;
	if (!grown || !copy) {
		free(copy);
		return -1;
	}
	(*v)[(*n)++] = copy;
	return 0;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int response_config_defaults(struct response_config *c)
{
	memset(c, 0, sizeof(*c));
	c->per_workload = (struct respond_rate){ 5, 60ULL * 1000000000 };
	c->global = (struct respond_rate){ 50, 60ULL * 1000000000 };
	c->repeat_window_ns = 30ULL * 1000000000;
	for (size_t i = 0; i < sizeof(default_units) / sizeof(default_units[0]); i++)
		if (push_string(&c->units, &c->nunits, default_units[i]) < 0)
			return -1;
	return 0;
}

static void match_free(struct respond_match *m)
{
	free(m->rule);
	free(m->container_name);
	free(m->container_image);
	free(m->container_id);
	free(m->pod);
	free(m->unit);
}

void response_config_free(struct response_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nrules; i++)
		match_free(&c->rules[i].match);
	free(c->rules);
	free_strings(c->units, c->nunits);
	free_strings(c->exes, c->nexes);
	free_strings(c->containers, c->ncontainers);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* "N/unit": unit a word (s, sec, m, min, h, hour...) or a duration ("30s"). */
int respond_rate_parse(const char *s, struct respond_rate *rate)
{
	static const struct { const char *word; uint64_t ns; } words[] = {
		{ "s", 1000000000ULL }, { "sec", 1000000000ULL }, { "second", 1000000000ULL },
		{ "m", 60000000000ULL }, { "min", 60000000000ULL }, { "minute", 60000000000ULL },
		{ "h", 3600000000000ULL }, { "hour", 3600000000000ULL },
	};
	unsigned long n;
	char *end;

	if (!s)
		return -1;
	if (strcmp(s, "off") == 0) {
		*rate = (struct respond_rate){ 0, 1 };
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || n == 0 || n > 1000000 || *end != '/')
		return -1;
	end++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(end, words[i].word) == 0) {
			*rate = (struct respond_rate){ (uint32_t)n, words[i].ns };
			return 0;
		}
	uint64_t ns;
	if (*end < '0' || *end > '9' || config_parse_duration(end, &ns) < 0 || ns == 0)
		return -1;
	*rate = (struct respond_rate){ (uint32_t)n, ns };
	return 0;
}

/* ---- the loader ---- */

struct loader {
	const char *name;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int fail_at(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	int used = snprintf(l->err, l->errlen, "%s:%zu:%zu: ", l->name,
			    n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);
	va_list ap;

	if (used < 0 || (size_t)used >= l->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->err + used, l->errlen - used, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar whose text holds no NUL (libyaml accepts "\0" escapes). */
static const char *want_scalar(struct loader *l, const yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);

	if (!s) {
		fail_at(l, n, "%s: expected a string", what);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		fail_at(l, n, "%s: NUL byte in the value", what);
		return NULL;
	}
	return s;
}

static int want_bool(struct loader *l, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s = want_scalar(l, n, what);

	if (!s)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = false;
	else
		return fail_at(l, n, "%s: expected true or false, not '%s'", what, s);
	return 0;
}

static int want_string(struct loader *l, const yaml_node_t *n, const char *what, char **out)
{
	const char *s = want_scalar(l, n, what);

	if (!s)
		return -1;
	if (*out)
		return fail_at(l, n, "%s given twice", what);
	*out = strdup(s);
	return *out ? 0 : fail_at(l, n, "out of memory");
}

static int want_list(struct loader *l, const yaml_node_t *n, const char *what,
		     char ***v, size_t *count)
{
	if (n->type == YAML_SCALAR_NODE) {	/* one item without brackets */
		const char *s = want_scalar(l, n, what);
		return !s ? -1 : push_string(v, count, s) < 0 ? fail_at(l, n, "out of memory") : 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, "%s: expected a list of strings", what);
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(l->doc, *i);
		const char *s = want_scalar(l, item, what);

		if (!s)
			return -1;
		if (!*s)
			return fail_at(l, item, "%s: empty name", what);
		if (push_string(v, count, s) < 0)
			return fail_at(l, item, "out of memory");
	}
	return 0;
}

/* Calls fn for each key/value of a mapping, refusing repeated keys. */
typedef int (*pair_fn)(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		       void *out);

static int each_pair(struct loader *l, yaml_node_t *map, const char *what, pair_fn fn, void *out)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "%s: expected a mapping", what);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *key = want_scalar(l, k, "key");

		if (!key || !v)
			return -1;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *seen = scalar(yaml_document_get_node(l->doc, q->key));
			if (seen && strcmp(seen, key) == 0)
				return fail_at(l, k, "%s: '%s' given twice", what, key);
		}
		if (fn(l, key, k, v, out) < 0)
			return -1;
	}
	return 0;
}

static int parse_score(struct loader *l, yaml_node_t *v, int *out)
{
	const char *s = want_scalar(l, v, "min_score");
	char *end;
	long n;

	if (!s)
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || n > 100)
		return fail_at(l, v, "min_score: expected a number 0..100, not '%s'", s);
	*out = (int)n;
	return 0;
}

static int match_pair(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v, void *out)
{
	struct respond_match *m = out;
	const char *s;

	if (strcmp(key, "kind") == 0) {
		if (!(s = want_scalar(l, v, "kind")))
			return -1;
		for (int i = RESPOND_KIND_RULE; i < RESPOND_MANUAL; i++)
			if (strcmp(s, kind_names[i]) == 0)
				m->kind = i;
		return m->kind >= 0 ? 0 :
		       fail_at(l, v, "kind: expected rule, anomaly or block, not '%s'", s);
	}
	if (strcmp(key, "priority") == 0) {
		if (!(s = want_scalar(l, v, "priority")))
			return -1;
		m->priority = priority_from_name(s);
		return m->priority >= 0 ? 0 :
		       fail_at(l, v, "priority: unknown priority '%s' (emergency, alert, critical, "
			       "error, warning, notice, informational, debug)", s);
	}
	if (strcmp(key, "min_score") == 0)
		return parse_score(l, v, &m->min_score);
	if (strcmp(key, "rule") == 0)
		return want_string(l, v, key, &m->rule);
	if (strcmp(key, "container.name") == 0)
		return want_string(l, v, key, &m->container_name);
	if (strcmp(key, "container.image") == 0)
		return want_string(l, v, key, &m->container_image);
	if (strcmp(key, "container.id") == 0)
		return want_string(l, v, key, &m->container_id);
	if (strcmp(key, "pod") == 0)
		return want_string(l, v, key, &m->pod);
	if (strcmp(key, "unit") == 0)
		return want_string(l, v, key, &m->unit);
	return fail_at(l, k, "match: unknown key '%s' (kind, rule, priority, min_score, "
		       "container.name, container.image, container.id, pod, unit)", key);
}

struct rule_parse {
	struct respond_rule *rule;
	bool have_match, have_action;
};

static int rule_pair(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v, void *out)
{
	struct rule_parse *rp = out;
	const char *s;

	if (strcmp(key, "match") == 0) {
		rp->have_match = true;
		return each_pair(l, v, "match", match_pair, &rp->rule->match);
	}
	if (strcmp(key, "action") == 0) {
		int a;

		if (!(s = want_scalar(l, v, "action")))
			return -1;
		a = respond_action_from_name(s);
		if (a == ACT_THAW || a == ACT_RELEASE)
			return fail_at(l, v, "action: '%s' undoes a response; it is a manual "
				       "command, not a response to an alert", s);
		if (a < 0)
			return fail_at(l, v, "action: unknown action '%s' (kill_process, kill_tree, "
				       "stop, freeze, isolate)", s);
		rp->rule->action = a;
		rp->have_action = true;
		return 0;
	}
	if (strcmp(key, "dry_run") == 0) {
		bool b;

		if (want_bool(l, v, "dry_run", &b) < 0)
			return -1;
		rp->rule->dry_run = b;
		return 0;
	}
	return fail_at(l, k, "action rule: unknown key '%s' (match, action, dry_run)", key);
}

static int parse_actions(struct loader *l, struct response_config *c, yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail_at(l, seq, "actions: expected a list of action rules");
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(l->doc, *i);
		struct respond_rule *grown = realloc(c->rules, (c->nrules + 1) * sizeof(*grown));
		struct rule_parse rp;

		if (!grown)
			return fail_at(l, item, "out of memory");
		c->rules = grown;
		rp.rule = &c->rules[c->nrules++];
		memset(rp.rule, 0, sizeof(*rp.rule));
		rp.rule->match.kind = rp.rule->match.priority = rp.rule->match.min_score = -1;
		rp.rule->dry_run = -1;
		rp.rule->line = item ? (int)item->start_mark.line + 1 : 0;
		rp.have_match = rp.have_action = false;
		if (each_pair(l, item, "action rule", rule_pair, &rp) < 0)
			return -1;
		if (!rp.have_match)
			return fail_at(l, item, "action rule: missing 'match' (use match: {} for every alert)");
		if (!rp.have_action)
			return fail_at(l, item, "action rule: missing 'action'");
	}
	return 0;
}

static int rate_pair(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v, void *out)
{
	struct response_config *c = out;
	struct respond_rate *rate = strcmp(key, "per_workload") == 0 ? &c->per_workload :
				    strcmp(key, "global") == 0 ? &c->global : NULL;
	const char *s;

	if (!rate)
		return fail_at(l, k, "rate_limit: unknown key '%s' (per_workload, global)", key);
	if (!(s = want_scalar(l, v, key)))
		return -1;
	if (respond_rate_parse(s, rate) < 0)
		return fail_at(l, v, "rate_limit.%s: bad rate '%s' (want N/sec, N/min, N/hour, "
			       "N/<duration> or off)", key, s);
	return 0;
}

static int protected_pair(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v,
			  void *out)
{
	struct response_config *c = out;

	if (strcmp(key, "units") == 0)
		return want_list(l, v, "protected.units", &c->units, &c->nunits);
	if (strcmp(key, "exes") == 0)
		return want_list(l, v, "protected.exes", &c->exes, &c->nexes);
	if (strcmp(key, "containers") == 0)
		return want_list(l, v, "protected.containers", &c->containers, &c->ncontainers);
	return fail_at(l, k, "protected: unknown key '%s' (units, exes, containers)", key);
}

static int top_pair(struct loader *l, const char *key, yaml_node_t *k, yaml_node_t *v, void *out)
{
	struct response_config *c = out;

	if (strcmp(key, "actions") == 0)
		return parse_actions(l, c, v);
	if (strcmp(key, "dry_run") == 0)
		return want_bool(l, v, "dry_run", &c->dry_run);
	if (strcmp(key, "rate_limit") == 0)
		return each_pair(l, v, "rate_limit", rate_pair, c);
	if (strcmp(key, "protected") == 0)
		return each_pair(l, v, "protected", protected_pair, c);
	if (strcmp(key, "repeat_window") == 0) {
		const char *s = want_scalar(l, v, "repeat_window");

		if (!s)
			return -1;
		if (config_parse_duration(s, &c->repeat_window_ns) < 0)
			return fail_at(l, v, "repeat_window: bad duration '%s' (e.g. 30s, 2m)", s);
		return 0;
	}
	return fail_at(l, k, "unknown key '%s' (actions, dry_run, rate_limit, repeat_window, "
		       "protected)", key);
}

static int yaml_failure(struct loader *l, const yaml_parser_t *p)
{
	snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->name, p->problem_mark.line + 1,
		 p->problem_mark.column + 1, p->problem ? p->problem : "YAML syntax error");
	return -1;
}

static int load_document(struct loader *l, struct response_config *c, yaml_parser_t *p)
{
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int rc;

	if (!yaml_parser_load(p, &doc))
		return yaml_failure(l, p);
	l->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		rc = 0;		/* an empty file: the defaults */
	else if (root->type == YAML_SCALAR_NODE && !*scalar(root))
		rc = 0;
	else
		rc = each_pair(l, root, "response file", top_pair, c);
	if (rc == 0) {
		/* a second document would be ignored silently otherwise */
		if (!yaml_parser_load(p, &extra)) {
			rc = yaml_failure(l, p);
		} else {
			if (yaml_document_get_root_node(&extra))
				rc = fail_at(l, yaml_document_get_root_node(&extra),
					     "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	l->doc = NULL;
	return rc;
}

int response_config_load_string(struct response_config *c, const char *name,
				const char *data, size_t len, char *err, size_t errlen)
{
	struct loader l = { name ? name : "response", NULL, err, errlen };
	yaml_parser_t parser;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (response_config_defaults(c) < 0 || !(c->name = strdup(l.name))) {
		snprintf(err, errlen, "%s: out of memory", l.name);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", l.name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(data ? data : ""),
				     data ? len : 0);
	rc = load_document(&l, c, &parser);
	yaml_parser_delete(&parser);
	return rc;
}

int response_config_load_file(struct response_config *c, const char *path,
			      char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *data = NULL;
	size_t len = 0, cap = 0, got;
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		response_config_defaults(c);
		return -1;
	}
	do {
		if (len + 4096 > cap) {
			char *grown = realloc(data, cap = cap ? cap * 2 : 8192);
			if (!grown) {
				free(data);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				response_config_defaults(c);
				return -1;
			}
			data = grown;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", path);
		free(data);
		response_config_defaults(c);
		return -1;
	}
	rc = response_config_load_string(c, path, data, len, err, errlen);
	free(data);
	return rc;
}

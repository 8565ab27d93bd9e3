/* exceptions.c - parse exception/escalation files (libyaml documents, so
 * every node carries its line and column) and evaluate them on alerts. */
#include "exceptions.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "alert/exception_time.h"
#include "alert/glob.h"
#include "rules/rules_file.h"
#include "util/config.h"

struct patterns {
	char **v;
	size_t n;
};

/* Workload selectors: the user's (Falco) field name and where the value
 * sits in the alert's "workload" object; host_only ones need kind host. */
enum { SEL_CONTAINER_NAME, SEL_CONTAINER_IMAGE, SEL_CONTAINER_ID, SEL_K8S_NS, SEL_K8S_POD,
       SEL_HOST_UNIT, SEL_HOST_EXE, SEL_COUNT };
static const struct {
	const char *name, *path;
	bool host_only;
} selectors[SEL_COUNT] = {
	{ "container.name", "workload.name", false },
	{ "container.image", "workload.image", false },
	{ "container.id", "workload.id", false },
	{ "k8s.ns.name", "workload.namespace", false },
	{ "k8s.pod.name", "workload.pod", false },
	{ "host.unit", "workload.unit", true },
	{ "host.exe", "proc.exe", true },
};

struct field_cond {
	char *field;
	struct patterns values;
};

struct exception {
	char *name, *where;		/* where: "file:line" */
	struct patterns rules;
	unsigned kinds;			/* bit per enum alert_kind; 0 any */
	struct patterns sel[SEL_COUNT];
	struct field_cond *fields;
	size_t nfields;
	struct when_cond when;
	uint64_t expires_ns;		/* 0 never */
	bool expired_warned;
	enum exception_effect effect;
	int priority;
	uint64_t hits;
};

struct alert_exceptions {
	struct exception *v;
	size_t n;
};

/* ---- memory ----------------------------------------------------------- */

static void patterns_free(struct patterns *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static void exception_free(struct exception *e)
{
	free(e->name);
	free(e->where);
	patterns_free(&e->rules);
	for (int i = 0; i < SEL_COUNT; i++)
		patterns_free(&e->sel[i]);
	for (size_t i = 0; i < e->nfields; i++) {
		free(e->fields[i].field);
		patterns_free(&e->fields[i].values);
	}
	free(e->fields);
}

struct alert_exceptions *alert_exceptions_new(void)
{
	return calloc(1, sizeof(struct alert_exceptions));
}

void alert_exceptions_free(struct alert_exceptions *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->n; i++)
		exception_free(&ex->v[i]);
	free(ex->v);
	free(ex);
}

size_t alert_exceptions_count(const struct alert_exceptions *ex)
{
	return ex ? ex->n : 0;
}

/* ---- parsing ---------------------------------------------------------- */

struct parse {
	yaml_document_t doc;
	const char *name;
	char *err;
	size_t errlen;
	struct alert_exceptions out;	/* entries of this document */
	const struct alert_exceptions *existing;
};

static int fail_at(struct parse *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct parse *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int len = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->name,
			   (size_t)n->start_mark.line + 1, (size_t)n->start_mark.column + 1);

	if (len < 0 || (size_t)len >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + len, c->errlen - (size_t)len, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *node(struct parse *c, int index)
{
	return yaml_document_get_node(&c->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *type_name(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "mapping" :
	       n->type == YAML_SEQUENCE_NODE ? "list" : "string";
}

static int want_scalar(struct parse *c, const yaml_node_t *n, const char *what, const char **out)
{
	*out = scalar(n);
	if (!*out)
		return fail_at(c, n, "'%s' must be a string, not a %s", what, type_name(n));
	if (strlen(*out) != n->data.scalar.length)
		return fail_at(c, n, "'%s' holds a NUL byte", what);
	return 0;
}

static int want_mapping(struct parse *c, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n, "'%s' must be a mapping, not a %s", what, type_name(n));
	return 0;
}

/* Call fn(item) for a scalar or for each scalar of a list. */
static int each_scalar(struct parse *c, yaml_node_t *n, const char *what,
		       int (*fn)(struct parse *c, yaml_node_t *item, const char *text, void *arg),
		       void *arg)
{
	const char *text;

	if (n->type == YAML_SEQUENCE_NODE) {
		if (n->data.sequence.items.start == n->data.sequence.items.top)
			return fail_at(c, n, "'%s' is an empty list", what);
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			yaml_node_t *item = node(c, *i);

			if (!item || want_scalar(c, item, what, &text) || fn(c, item, text, arg))
				return -1;
		}
		return 0;
	}
	if (want_scalar(c, n, what, &text))
		return -1;
	return fn(c, n, text, arg);
}

static int add_pattern(struct parse *c, yaml_node_t *item, const char *text, void *arg)
{
	struct patterns *p = arg;
	const char *problem = glob_problem(text);
	char **grown;

	if (problem)
		return fail_at(c, item, "bad glob \"%s\": %s", text, problem);
	grown = realloc(p->v, (p->n + 1) * sizeof(*grown));
	if (!grown)
		return fail_at(c, item, "out of memory");
	p->v = grown;
	if (!(p->v[p->n] = strdup(text)))
		return fail_at(c, item, "out of memory");
	p->n++;
	return 0;
}

static int read_patterns(struct parse *c, yaml_node_t *n, const char *what, struct patterns *p)
{
	if (p->n)
		return fail_at(c, n, "'%s' given twice", what);
	return each_scalar(c, n, what, add_pattern, p);
}

static int add_kind(struct parse *c, yaml_node_t *item, const char *text, void *arg)
{
	static const char *const kinds[] = { "rule", "anomaly", "block" };

	for (unsigned i = 0; i < 3; i++)
		if (strcmp(text, kinds[i]) == 0) {
			*(unsigned *)arg |= 1u << i;
			return 0;
		}
	return fail_at(c, item, "unknown kind \"%s\": want rule, anomaly or block", text);
}

/* Iterate a mapping's pairs with both nodes resolved. */
#define FOR_PAIRS(c, map, k, v)                                                     \
	for (yaml_node_pair_t *pair_ = (map)->data.mapping.pairs.start;             \
	     pair_ < (map)->data.mapping.pairs.top &&                              \
	     ((k) = node(c, pair_->key), (v) = node(c, pair_->value), 1); pair_++) \
		if (!(k) || !(v)) continue; else

static int parse_match(struct parse *c, yaml_node_t *n, struct exception *e)
{
	yaml_node_t *k, *v;
	const char *key;

	if (want_mapping(c, n, "match"))
		return -1;
	FOR_PAIRS(c, n, k, v) {
		if (want_scalar(c, k, "match key", &key))
			return -1;
		if (strcmp(key, "rule") == 0) {
			if (read_patterns(c, v, "rule", &e->rules))
				return -1;
		} else if (strcmp(key, "kind") == 0) {
			if (each_scalar(c, v, "kind", add_kind, &e->kinds))
				return -1;
		} else {
			return fail_at(c, k, "unknown key '%s' in match: want rule or kind", key);
		}
	}
	return 0;
}

static int parse_workload(struct parse *c, yaml_node_t *n, struct exception *e)
{
	yaml_node_t *k, *v;
	const char *key;

	if (want_mapping(c, n, "workload"))
		return -1;
	FOR_PAIRS(c, n, k, v) {
		int slot = -1;

		if (want_scalar(c, k, "workload key", &key))
			return -1;
		for (int i = 0; i < SEL_COUNT; i++)
			if (strcmp(key, selectors[i].name) == 0)
				slot = i;
		if (slot < 0)
			return fail_at(c, k, "unknown workload selector '%s': want container.name, "
				       "container.image, container.id, k8s.ns.name, k8s.pod.name, "
				       "host.unit or host.exe", key);
		if (read_patterns(c, v, key, &e->sel[slot]))
			return -1;
	}
	return 0;
}

static int parse_fields(struct parse *c, yaml_node_t *n, struct exception *e)
{
	yaml_node_t *k, *v;
	const char *key;

	if (want_mapping(c, n, "fields"))
		return -1;
	FOR_PAIRS(c, n, k, v) {
		struct field_cond *grown;

		if (want_scalar(c, k, "field name", &key))
			return -1;
		for (size_t i = 0; i < e->nfields; i++)
			if (strcmp(e->fields[i].field, key) == 0)
				return fail_at(c, k, "field '%s' given twice", key);
		grown = realloc(e->fields, (e->nfields + 1) * sizeof(*grown));
		if (!grown)
			return fail_at(c, k, "out of memory");
		e->fields = grown;
		memset(&grown[e->nfields], 0, sizeof(*grown));
		if (!(grown[e->nfields].field = strdup(key)))
			return fail_at(c, k, "out of memory");
		e->nfields++;
		if (read_patterns(c, v, key, &grown[e->nfields - 1].values))
			return -1;
	}
	return 0;
}

static int add_mode(struct parse *c, yaml_node_t *item, const char *text, void *arg)
{
	static const char *const modes[] = { "none", "learning", "monitoring", "protecting" };

	for (unsigned i = 0; i < 4; i++)
		if (strcmp(text, modes[i]) == 0) {
			*(unsigned *)arg |= 1u << i;
			return 0;
		}
	return fail_at(c, item, "unknown mode \"%s\": want learning, monitoring, protecting "
		       "or none", text);
}

static int add_day(struct parse *c, yaml_node_t *item, const char *text, void *arg)
{
	int day = when_day_from_name(text);

	if (day < 0)
		return fail_at(c, item, "unknown day \"%s\": want mon, tue, wed, thu, fri, sat "
			       "or sun", text);
	*(unsigned *)arg |= 1u << day;
	return 0;
}

static int parse_when_key(struct parse *c, yaml_node_t *k, const char *key, yaml_node_t *v,
			  struct when_cond *w)
{
	const char *text;

	if (strcmp(key, "mode") == 0)
		return each_scalar(c, v, "mode", add_mode, &w->modes);
	if (strcmp(key, "days") == 0)
		return each_scalar(c, v, "days", add_day, &w->days);
	if (want_scalar(c, v, key, &text))
		return -1;
	if (strcmp(key, "hours") == 0 || strcmp(key, "outside_hours") == 0) {
		if (w->has_hours)
			return fail_at(c, k, "give one of hours and outside_hours");
		w->outside = key[0] == 'o';
		if (when_parse_hours(text, &w->from_min, &w->to_min) < 0)
			return fail_at(c, v, "bad hours \"%s\": want HH:MM-HH:MM", text);
		w->has_hours = true;
		return 0;
	}
	if (strcmp(key, "tz") == 0) {
		if (when_parse_tz(text, &w->tz_offset_min, &w->tz_local) < 0)
			return fail_at(c, v, "unknown tz \"%s\": want UTC, local or +HH:MM", text);
		return 0;
	}
	if (strcmp(key, "deployed_within") == 0) {
		if (config_parse_duration(text, &w->deployed_within_ns) < 0 ||
		    !w->deployed_within_ns)
			return fail_at(c, v, "bad duration \"%s\": want e.g. 90s, 15m or 2h", text);
		return 0;
	}
	return fail_at(c, k, "unknown key '%s' in when: want mode, hours, outside_hours, days, "
		       "tz or deployed_within", key);
}

static int parse_when(struct parse *c, yaml_node_t *n, struct exception *e)
{
	yaml_node_t *k, *v;
	const char *key;

	if (want_mapping(c, n, "when"))
		return -1;
	FOR_PAIRS(c, n, k, v) {
		if (want_scalar(c, k, "when key", &key) || parse_when_key(c, k, key, v, &e->when))
			return -1;
	}
	return 0;
}

static int parse_scalar_key(struct parse *c, yaml_node_t *k, const char *key, yaml_node_t *v,
			    struct exception *e, bool escalate)
{
	const char *text;

	if (want_scalar(c, v, key, &text))
		return -1;
	if (strcmp(key, "name") == 0) {
		if (!text[0])
			return fail_at(c, v, "empty name");
		return (e->name = strdup(text)) ? 0 : fail_at(c, v, "out of memory");
	}
	if (strcmp(key, "expires") == 0) {
		if (when_parse_date(text, &e->expires_ns) < 0)
			return fail_at(c, v, "bad date \"%s\": want YYYY-MM-DD or "
				       "YYYY-MM-DDTHH:MM:SSZ (or +HH:MM)", text);
		return 0;
	}
	if (strcmp(key, "priority") == 0) {
		e->priority = priority_from_name(text);
		if (e->priority < 0)
			return fail_at(c, v, "unknown priority \"%s\"", text);
		return 0;
	}
	if (strcmp(key, "effect") == 0 && !escalate) {
		if (strcmp(text, "silence") == 0)
			e->effect = EFFECT_SILENCE;
		else if (strcmp(text, "lower") == 0)
			e->effect = EFFECT_LOWER;
		else
			return fail_at(c, v, "unknown effect \"%s\": want silence or lower", text);
		return 0;
	}
	return fail_at(c, k, "unknown key '%s': want name, match, workload, fields, when, "
		       "expires, %s", key, escalate ? "priority" : "effect or priority");
}

static bool name_taken(const struct parse *c, const char *name)
{
	for (size_t i = 0; c->existing && i < c->existing->n; i++)
		if (strcmp(c->existing->v[i].name, name) == 0)
			return true;
	for (size_t i = 0; i + 1 < c->out.n; i++)
		if (strcmp(c->out.v[i].name, name) == 0)
			return true;
	return false;
}

static int parse_entry_keys(struct parse *c, yaml_node_t *n, struct exception *e, bool escalate)
{
	yaml_node_t *k, *v;
	const char *key;
	bool priority_given = false;

	FOR_PAIRS(c, n, k, v) {
		int rc;

		if (want_scalar(c, k, "key", &key))
			return -1;
		if (strcmp(key, "match") == 0)
			rc = parse_match(c, v, e);
		else if (strcmp(key, "workload") == 0)
			rc = parse_workload(c, v, e);
		else if (strcmp(key, "fields") == 0)
			rc = parse_fields(c, v, e);
		else if (strcmp(key, "when") == 0)
			rc = parse_when(c, v, e);
		else
			rc = parse_scalar_key(c, k, key, v, e, escalate);
		if (rc)
			return -1;
		priority_given |= strcmp(key, "priority") == 0;
	}
	if (!e->name)
		return fail_at(c, n, "entry without a name");
	if (name_taken(c, e->name))
		return fail_at(c, n, "name '%s' used twice", e->name);
	if (escalate && !priority_given)
		return fail_at(c, n, "escalation '%s' needs a priority", e->name);
	if (!escalate && priority_given && e->effect != EFFECT_LOWER)
		return fail_at(c, n, "'priority' only goes with effect: lower");
	return 0;
}

static int parse_entry(struct parse *c, yaml_node_t *n, bool escalate)
{
	struct exception *grown, *e;
	char where[512];

	if (want_mapping(c, n, escalate ? "escalate entry" : "exception"))
		return -1;
	grown = realloc(c->out.v, (c->out.n + 1) * sizeof(*grown));
	if (!grown)
		return fail_at(c, n, "out of memory");
	c->out.v = grown;
	e = &grown[c->out.n++];
	memset(e, 0, sizeof(*e));
	e->effect = escalate ? EFFECT_ESCALATE : EFFECT_SILENCE;
	e->priority = escalate ? -1 : PRIORITY_INFORMATIONAL;
	snprintf(where, sizeof(where), "%s:%zu", c->name, (size_t)n->start_mark.line + 1);
	if (!(e->where = strdup(where)))
		return fail_at(c, n, "out of memory");
	return parse_entry_keys(c, n, e, escalate);
}

static int parse_list(struct parse *c, yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SCALAR_NODE && !n->data.scalar.length)
		return 0;	/* "exceptions:" with nothing under it */
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n, "'%s' must be a list, not a %s", what, type_name(n));
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	     i < n->data.sequence.items.top; i++) {
		yaml_node_t *item = node(c, *i);

		if (item && parse_entry(c, item, what[1] == 's'))
			return -1;
	}
	return 0;
}

static int parse_root(struct parse *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc), *k, *v;
	const char *key;

	if (!root || (root->type == YAML_SCALAR_NODE && !root->data.scalar.length))
		return 0;	/* an empty file adds nothing */
	if (want_mapping(c, root, "the document"))
		return -1;
	FOR_PAIRS(c, root, k, v) {
		if (want_scalar(c, k, "key", &key))
			return -1;
		if (strcmp(key, "exceptions") != 0 && strcmp(key, "escalate") != 0)
			return fail_at(c, k, "unknown key '%s': want exceptions or escalate", key);
		if (parse_list(c, v, key))
			return -1;
	}
	return 0;
}

static void parse_discard(struct parse *c)
{
	for (size_t i = 0; i < c->out.n; i++)
		exception_free(&c->out.v[i]);
	free(c->out.v);
}

static int yaml_failed(struct parse *c, const yaml_parser_t *p)
{
	yaml_mark_t m = p->problem_mark;

	snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->name, (size_t)m.line + 1,
		 (size_t)m.column + 1, p->problem ? p->problem : "YAML error");
	return -1;
}

/* Append the document's entries to ex (all or nothing). */
static int adopt(struct alert_exceptions *ex, struct parse *c)
{
	struct exception *grown;

	if (!c->out.n)
		return 0;
	grown = realloc(ex->v, (ex->n + c->out.n) * sizeof(*grown));
	if (!grown) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
		parse_discard(c);
		return -1;
	}
	memcpy(grown + ex->n, c->out.v, c->out.n * sizeof(*grown));
	ex->v = grown;
	ex->n += c->out.n;
	free(c->out.v);
	return 0;
}

int alert_exceptions_parse(struct alert_exceptions *ex, const char *name, const char *text,
			   size_t len, char *err, size_t errlen)
{
	struct parse c = { .name = name, .err = err, .errlen = errlen, .existing = ex };
	yaml_parser_t parser;
	int rc;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		rc = yaml_failed(&c, &parser);
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = parse_root(&c);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	if (rc) {
		parse_discard(&c);
		return -1;
	}
	return adopt(ex, &c);
}

int alert_exceptions_load_file(struct alert_exceptions *ex, const char *path,
			       char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %m", path);
		return -1;
	}
	do {
		if (len + 4096 > cap) {
			char *grown = realloc(text, cap = cap * 2 + 8192);

			if (!grown) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -1;
			}
			text = grown;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	if (rc)
		snprintf(err, errlen, "%s: read error", path);
	else
		rc = alert_exceptions_parse(ex, path, text, len, err, errlen);
	free(text);
	return rc;
}

/* ---- evaluation ------------------------------------------------------- */

/* Room for a 4 KiB path plus escapes; longer values are matched on their
 * first part (a pattern meant for them should end in '*'). */
#define VALUE_MAX 4400

static bool any_matches(const struct patterns *p, struct jspan value)
{
	char text[VALUE_MAX];
	size_t len;

	if (!jspan_ok(value))
		return false;
	len = jspan_text(value, text, sizeof(text));
	for (size_t i = 0; i < p->n; i++)
		if (glob_match(p->v[i], text, len))
			return true;
	return false;
}

static bool any_matches_text(const struct patterns *p, const char *text)
{
	for (size_t i = 0; i < p->n; i++)
		if (glob_match(p->v[i], text, strlen(text)))
			return true;
	return false;
}

static bool selectors_hold(const struct exception *e, const struct alert_facts *f)
{
	bool host = jspan_equals(jspan_get(f->workload, "kind"), "host");

	for (int i = 0; i < SEL_COUNT; i++) {
		if (!e->sel[i].n)
			continue;
		if (selectors[i].host_only && !host)
			return false;
		if (!any_matches(&e->sel[i], jspan_path(f->root, selectors[i].path)))
			return false;
	}
	return true;
}

static bool fields_hold(const struct exception *e, const struct alert_facts *f)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!any_matches(&e->fields[i].values,
				 jspan_get(f->output_fields, e->fields[i].field)))
			return false;
	return true;
}

static bool applies(const struct exception *e, const struct alert_facts *f)
{
	if (e->kinds && !(e->kinds & (1u << f->kind)))
		return false;
	if (e->rules.n && !any_matches_text(&e->rules, f->rule))
		return false;
	return when_holds(&e->when, f) && selectors_hold(e, f) && fields_hold(e, f);
}

/* Expired entries stop applying; say so once. */
static bool expired(struct exception *e, uint64_t now_ns,
		    void (*warn)(void *ctx, const char *msg), void *warn_ctx)
{
	char msg[600];

	if (!e->expires_ns || now_ns < e->expires_ns)
		return false;
	if (!e->expired_warned && warn) {
		snprintf(msg, sizeof(msg), "exception '%s' (%s) has expired and no longer applies",
			 e->name, e->where);
		warn(warn_ctx, msg);
	}
	e->expired_warned = true;
	return true;
}

const char *alert_exceptions_match(struct alert_exceptions *ex, const struct alert_facts *f,
				   enum exception_effect *effect, int *priority,
				   void (*warn)(void *ctx, const char *msg), void *warn_ctx)
{
	for (size_t i = 0; ex && i < ex->n; i++) {
		struct exception *e = &ex->v[i];

		if (e->effect == EFFECT_ESCALATE || !applies(e, f) ||
		    expired(e, f->now_ns, warn, warn_ctx))
			continue;
		e->hits++;
		*effect = e->effect;
		*priority = e->priority;
		return e->name;
	}
	return NULL;
}

const char *alert_exceptions_escalate(struct alert_exceptions *ex, const struct alert_facts *f,
				      int *priority)
{
	struct exception *best = NULL;

	for (size_t i = 0; ex && i < ex->n; i++) {
		struct exception *e = &ex->v[i];

		if (e->effect != EFFECT_ESCALATE || e->priority >= f->priority ||
		    (best && best->priority <= e->priority) || !applies(e, f) ||
		    expired(e, f->now_ns, NULL, NULL))
			continue;
		best = e;
	}
	if (!best)
		return NULL;
	best->hits++;
	*priority = best->priority;
	return best->name;
}

struct exception_stat alert_exceptions_stat(const struct alert_exceptions *ex, size_t i)
{
	const struct exception *e = &ex->v[i];

	return (struct exception_stat){ e->name, e->effect, e->hits, e->expired_warned };
}

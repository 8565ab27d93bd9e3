/* policy_parse.c - policy YAML into struct policy (format in policy.h).
 *
 * The walk follows the format's fixed depth and never recurses on the
 * document's shape, so alias cycles cannot loop it; every string and
 * array element copied out of the document is charged to a per-file
 * budget, so a small file that names one big list through many aliases
 * fails cleanly instead of exhausting memory.  The first error stops the
 * file; nothing of it is kept.
 */
#include "enforce/policy_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <yaml.h>

#define PARSE_BUDGET ((size_t)16 << 20)
#define ELEMENT_OVERHEAD 16
#define WHERE_MAX 96

struct pctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	size_t budget;
};

/* ---- errors ---------------------------------------------------------------- */

const char *policy_shown(const char *s, char *buf, size_t len)
{
	size_t i = 0, max = len > 4 ? len - 4 : 0;

	for (; s && s[i] && i < max; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	snprintf(buf + i, len - i, "%s", s && s[i] ? "..." : "");
	return buf;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%zu:%zu: %s", c->file,
			 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, msg);
	return -1;
}

static int charge(struct pctx *c, const yaml_node_t *n, size_t bytes)
{
	if (bytes + ELEMENT_OVERHEAD > c->budget)
		return fail(c, n, "the file expands to more than %zu MiB (aliases?)",
			    PARSE_BUDGET >> 20);
	c->budget -= bytes + ELEMENT_OVERHEAD;
	return 0;
}

/* ---- nearest known word, for "did you mean" -------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* " (did you mean 'x'?)" or "" when nothing is close. */
static const char *suggest(const char *word, const char *const *known, size_t n, char *buf,
			   size_t len)
{
	size_t best = SIZE_MAX, limit = strlen(word) / 3 + 1;
	const char *pick = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, known[i]);

		if (d < best) {
			best = d;
			pick = known[i];
		}
	}
	if (!pick || best > (limit < 3 ? limit : 3))
		buf[0] = '\0';
	else
		snprintf(buf, len, " (did you mean '%s'?)", pick);
	return buf;
}

/* ---- reading nodes -------------------------------------------------------------- */

static yaml_node_t *node_at(struct pctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a string";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* The text of a scalar node, or an error naming where. */
static const char *scalar(struct pctx *c, const yaml_node_t *n, const char *where, const char *want)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE) {
		fail(c, n, "%s: expected %s, got %s", where, want, type_name(n));
		return NULL;
	}
	if (memchr(s, '\0', n->data.scalar.length)) {
		fail(c, n, "%s: contains a NUL character", where);
		return NULL;
	}
	return s;
}

static char *copy_scalar(struct pctx *c, const yaml_node_t *n, const char *where)
{
	const char *s = scalar(c, n, where, "a string");
	char *copy;

	if (!s || charge(c, n, n->data.scalar.length) < 0)
		return NULL;
	copy = strdup(s);
	if (!copy)
		fail(c, n, "out of memory");
	return copy;
}

/* Index of word in names, or -1 after an error with a suggestion. */
static int one_of(struct pctx *c, const yaml_node_t *n, const char *where,
		  const char *const *names, size_t count)
{
	const char *s = scalar(c, n, where, "a string");
	char shown[80], hint[64];

	if (!s)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	fail(c, n, "%s: unknown value '%s'%s", where, policy_shown(s, shown, sizeof(shown)),
	     suggest(s, names, count, hint, sizeof(hint)));
	return -1;
}

/* A new zeroed element at the end of *arr. */
static void *grow(struct pctx *c, const yaml_node_t *n, void *arr_p, size_t *count, size_t size)
{
	void **arr = arr_p;
	char *grown;

	if (charge(c, n, size) < 0)
		return NULL;
	grown = realloc(*arr, (*count + 1) * size);
	if (!grown) {
		fail(c, n, "out of memory");
		return NULL;
	}
	*arr = grown;
	memset(grown + *count * size, 0, size);
	return grown + (*count)++ * size;
}

typedef int (*item_fn)(struct pctx *c, yaml_node_t *item, const char *where, void *arg);

/* Each item of a list (or the one scalar, when single_ok), with where
 * naming it "where[i]".  An empty list is an error. */
static int each_item(struct pctx *c, yaml_node_t *n, const char *where, bool single_ok,
		     item_fn fn, void *arg)
{
	char at[WHERE_MAX];
	int i = 0;

	if (single_ok && n->type == YAML_SCALAR_NODE)
		return fn(c, n, where, arg);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list, got %s", where, type_name(n));
	if (n->data.sequence.items.top == n->data.sequence.items.start)
		return fail(c, n, "%s: empty list", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *item = node_at(c, *it);

		if (!item)
			return fail(c, n, "%s: bad node", where);
		snprintf(at, sizeof(at), "%s[%d]", where, i);
		if (fn(c, item, at, arg) < 0)
			return -1;
	}
	return 0;
}

struct key_table {
	const char *const *names;
	size_t count;
};

typedef int (*member_fn)(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
			 const char *where, void *arg);

/* Each member of a mapping whose key is in table (an unknown or repeated
 * key is an error); seen (may be NULL) gets a bit per key given. */
static int each_member(struct pctx *c, yaml_node_t *n, const char *where,
		       const struct key_table *table, member_fn fn, void *arg, unsigned *seen)
{
	unsigned given = 0;
	char at[WHERE_MAX], shown[80], hint[64];

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping, got %s", where, type_name(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
		const char *name;
		int key = -1;

		if (!k || !v)
			return fail(c, n, "%s: bad node", where);
		if (!(name = scalar(c, k, where, "a string key")))
			return -1;
		for (size_t i = 0; i < table->count; i++)
			if (!strcmp(name, table->names[i]))
				key = (int)i;
		if (key < 0)
			return fail(c, k, "%s%sunknown key '%s'%s", where, where[0] ? ": " : "",
				    policy_shown(name, shown, sizeof(shown)),
				    suggest(name, table->names, table->count, hint, sizeof(hint)));
		if (given & (1u << key))
			return fail(c, k, "%s%skey '%s' given twice", where, where[0] ? ": " : "",
				    name);
		given |= 1u << key;
		snprintf(at, sizeof(at), "%s%s%s", where, where[0] ? "." : "", name);
		if (fn(c, key, k, v, at, arg) < 0)
			return -1;
	}
	if (seen)
		*seen = given;
	return 0;
}

/* ---- values ------------------------------------------------------------------ */

static const char *const action_names[] = {"allow", "audit", "block"};

static int parse_action(struct pctx *c, yaml_node_t *v, const char *where,
			enum policy_action *out)
{
	int a = one_of(c, v, where, action_names, 3);

	if (a < 0)
		return -1;
	*out = (enum policy_action)a;
	return 0;
}

static bool is_glob_char(char ch)
{
	return ch == '*' || ch == '?' || ch == '[' || ch == '\\';
}

static bool has_glob(const char *s)
{
	for (; *s; s++)
		if (is_glob_char(*s))
			return true;
	return false;
}

/* "//", "/./" and "/../" never occur in the paths the kernel reports. */
bool policy_path_normalised(const char *s)
{
	if (s[0] && s[1] && s[strlen(s) - 1] == '/')
		return false;
	for (const char *p = s; (p = strchr(p, '/')); p++) {
		size_t dots = strspn(p + 1, ".");

		if (p[1] == '/' || ((dots == 1 || dots == 2) && (p[1 + dots] == '/' || !p[1 + dots])))
			return false;
	}
	return true;
}

static int parse_path_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct { struct policy_path **arr; size_t *count; } *list = arg;
	const char *s = scalar(c, n, where, "an absolute path");
	struct policy_path *pp;
	char shown[80];
	size_t len;

	if (!s)
		return -1;
	len = n->data.scalar.length;
	if (s[0] != '/')
		return fail(c, n, "%s: '%s' is not an absolute path (it must start with /)", where,
			    policy_shown(s, shown, sizeof(shown)));
	if (len > POLICY_PATH_MAX)
		return fail(c, n, "%s: longer than %d bytes", where, POLICY_PATH_MAX);
	if (!(pp = grow(c, n, list->arr, list->count, sizeof(*pp))) ||
	    !(pp->text = copy_scalar(c, n, where)))
		return -1;
	pp->line = (int)n->start_mark.line + 1;
	pp->col = (int)n->start_mark.column + 1;
	/* "DIR/" and "DIR/\*\*": the directory and all below; "/" alone is all */
	if (len == 1 || (len >= 3 && !strcmp(s + len - 3, "/**")) || s[len - 1] == '/') {
		size_t cut = len == 1 ? 1 : s[len - 1] == '/' ? len - 1 : len - 3;

		pp->text[cut ? cut : 1] = '\0';
		pp->type = POLICY_PATH_SUBTREE;
		pp->dir_is_glob = has_glob(pp->text);
	} else {
		pp->type = has_glob(s) ? POLICY_PATH_GLOB : POLICY_PATH_EXACT;
	}
	if (!policy_path_normalised(pp->text))
		return fail(c, n, "%s: '%s' has an empty, '.' or '..' component (the kernel "
			    "reports normalised paths)", where, policy_shown(s, shown, sizeof(shown)));
	return 0;
}

static int parse_paths(struct pctx *c, yaml_node_t *v, const char *where,
		       struct policy_path **arr, size_t *count)
{
	struct { struct policy_path **arr; size_t *count; } list = {arr, count};

	return each_item(c, v, where, true, parse_path_item, &list);
}

/* A decimal number in 0..max, digits only. */
static bool decimal(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!len || len > 6)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

static int parse_cidr_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_network_rule *r = arg;
	const char *s = scalar(c, n, where, "a CIDR string");
	const char *slash;
	char addr[INET6_ADDRSTRLEN + 1], shown[80];
	struct policy_cidr *cidr;
	unsigned long prefix;
	unsigned max;
	size_t alen;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(addr))
		return fail(c, n, "%s: '%s' is not an IPv4 or IPv6 address", where,
			    policy_shown(s, shown, sizeof(shown)));
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (!(cidr = grow(c, n, &r->cidrs, &r->ncidrs, sizeof(*cidr))))
		return -1;
	cidr->line = (int)n->start_mark.line + 1;
	cidr->col = (int)n->start_mark.column + 1;
	if (inet_pton(AF_INET, addr, cidr->addr) == 1)
		cidr->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, cidr->addr) == 1)
		cidr->family = AF_INET6;
	else
		return fail(c, n, "%s: '%s' is not an IPv4 or IPv6 address", where,
			    policy_shown(addr, shown, sizeof(shown)));
	max = cidr->family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash && !decimal(slash + 1, strlen(slash + 1), 999, &prefix))
		return fail(c, n, "%s: prefix length '%s' is not a number", where,
			    policy_shown(slash + 1, shown, sizeof(shown)));
	if (prefix > max)
		return fail(c, n, "%s: prefix length %lu is longer than %u (%s)", where, prefix, max,
			    cidr->family == AF_INET ? "IPv4" : "IPv6");
	cidr->prefix_len = (uint8_t)prefix;
	for (unsigned bit = (unsigned)prefix; bit < max; bit++) {
		uint8_t mask = (uint8_t)(0x80u >> (bit % 8));

		if (cidr->addr[bit / 8] & mask)
			cidr->host_bits = true;
		cidr->addr[bit / 8] &= (uint8_t)~mask;
	}
	return 0;
}

static int parse_port_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy_network_rule *r = arg;
	const char *s = scalar(c, n, where, "a port or \"lo-hi\"");
	struct policy_port_range *pr;
	const char *dash;
	unsigned long lo, hi;
	char shown[80];

	if (!s)
		return -1;
	dash = strchr(s, '-');
	if (!decimal(s, dash ? (size_t)(dash - s) : strlen(s), 999999, &lo) ||
	    (dash && !decimal(dash + 1, strlen(dash + 1), 999999, &hi)))
		return fail(c, n, "%s: '%s' is not a port number or a \"lo-hi\" range", where,
			    policy_shown(s, shown, sizeof(shown)));
	if (!dash)
		hi = lo;
	if (lo > 65535 || hi > 65535)
		return fail(c, n, "%s: port %lu is out of range (0..65535)", where,
			    lo > 65535 ? lo : hi);
	if (lo > hi)
		return fail(c, n, "%s: range %lu-%lu ends before it starts", where, lo, hi);
	if (!(pr = grow(c, n, &r->ports, &r->nports, sizeof(*pr))))
		return -1;
	pr->lo = (uint16_t)lo;
	pr->hi = (uint16_t)hi;
	return 0;
}

static const char *const access_names[] = {"read", "write", "exec"};

static int parse_access_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	unsigned *access = arg;
	int a = one_of(c, n, where, access_names, 3);

	if (a < 0)
		return -1;
	*access |= 1u << a;
	return 0;
}

/* ---- rules ---------------------------------------------------------------------- */

static const char *const process_keys[] = {"action", "paths", "parent"};
static const char *const network_keys[] = {"action", "direction", "cidr", "ports", "protocol"};
static const char *const file_keys[] = {"action", "paths", "access"};
static const char *const direction_names[] = {"out", "in", "any"};
static const char *const proto_names[] = {"tcp", "udp", "any"};

static int process_member(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
			  const char *where, void *arg)
{
	struct policy_process_rule *r = arg;

	(void)k;
	if (key == 0)
		return parse_action(c, v, where, &r->action);
	if (key == 1)
		return parse_paths(c, v, where, &r->paths, &r->npaths);
	return parse_paths(c, v, where, &r->parents, &r->nparents);
}

static int network_member(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
			  const char *where, void *arg)
{
	struct policy_network_rule *r = arg;
	int i;

	(void)k;
	switch (key) {
	case 0:
		return parse_action(c, v, where, &r->action);
	case 1:
		if ((i = one_of(c, v, where, direction_names, 3)) < 0)
			return -1;
		r->direction = (enum policy_direction)(i + 1);
		return 0;
	case 2:
		return each_item(c, v, where, true, parse_cidr_item, r);
	case 3:
		return each_item(c, v, where, true, parse_port_item, r);
	default:
		if ((i = one_of(c, v, where, proto_names, 3)) < 0)
			return -1;
		r->proto = (enum policy_proto)(i + 1);
		return 0;
	}
}

static int file_member(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
		       const char *where, void *arg)
{
	struct policy_file_rule *r = arg;

	(void)k;
	if (key == 0)
		return parse_action(c, v, where, &r->action);
	if (key == 1)
		return parse_paths(c, v, where, &r->paths, &r->npaths);
	r->access = 0;
	return each_item(c, v, where, true, parse_access_item, &r->access);
}

static void set_mark(const yaml_node_t *n, int *line, int *col)
{
	*line = (int)n->start_mark.line + 1;
	*col = (int)n->start_mark.column + 1;
}

static int require(struct pctx *c, yaml_node_t *n, const char *where, unsigned seen,
		   unsigned bit, const char *key)
{
	if (seen & bit)
		return 0;
	return fail(c, n, "%s: '%s' is missing", where, key);
}

static int process_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy *p = arg;
	struct key_table t = {process_keys, 3};
	struct policy_process_rule *r = grow(c, n, &p->process, &p->nprocess, sizeof(*r));
	unsigned seen;

	if (!r)
		return -1;
	set_mark(n, &r->line, &r->col);
	if (each_member(c, n, where, &t, process_member, r, &seen) < 0)
		return -1;
	return require(c, n, where, seen, 1u, "action") < 0 ? -1 :
		require(c, n, where, seen, 2u, "paths");
}

static int network_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy *p = arg;
	struct key_table t = {network_keys, 5};
	struct policy_network_rule *r = grow(c, n, &p->network, &p->nnetwork, sizeof(*r));
	unsigned seen;

	if (!r)
		return -1;
	set_mark(n, &r->line, &r->col);
	r->direction = POLICY_DIR_OUT;
	r->proto = POLICY_PROTO_ANY;
	if (each_member(c, n, where, &t, network_member, r, &seen) < 0)
		return -1;
	return require(c, n, where, seen, 1u, "action");
}

static int file_item(struct pctx *c, yaml_node_t *n, const char *where, void *arg)
{
	struct policy *p = arg;
	struct key_table t = {file_keys, 3};
	struct policy_file_rule *r = grow(c, n, &p->file_rules, &p->nfile_rules, sizeof(*r));
	unsigned seen;

	if (!r)
		return -1;
	set_mark(n, &r->line, &r->col);
	r->access = POLICY_READ | POLICY_WRITE;
	if (each_member(c, n, where, &t, file_member, r, &seen) < 0)
		return -1;
	return require(c, n, where, seen, 1u, "action") < 0 ? -1 :
		require(c, n, where, seen, 2u, "paths");
}

/* A rule list; `[]` (no rules) is fine here. */
static int rule_list(struct pctx *c, yaml_node_t *v, const char *where, item_fn fn,
		     struct policy *p)
{
	if (v->type == YAML_SEQUENCE_NODE &&
	    v->data.sequence.items.top == v->data.sequence.items.start)
		return 0;
	return each_item(c, v, where, false, fn, p);
}

/* ---- selector ---------------------------------------------------------------- */

static const char *const selector_keys[] = {
	"container.name", "container.image", "container.id", "container.label.",
	"k8s.ns.name", "k8s.pod.name", "k8s.pod.label.", "host.unit", "host.exe",
	"workload.kind", "any",
};
#define SELECTOR_ANY 10

static bool is_true(const char *s)
{
	return !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on");
}

/* Which selector field a key names; label keys set *label. */
static int selector_field(const char *key, const char **label)
{
	for (int i = 0; i <= SELECTOR_ANY; i++) {
		size_t len = strlen(selector_keys[i]);

		if (selector_keys[i][len - 1] == '.') {
			if (!strncmp(key, selector_keys[i], len) && key[len]) {
				*label = key + len;
				return i;
			}
		} else if (!strcmp(key, selector_keys[i])) {
			*label = NULL;
			return i;
		}
	}
	return -1;
}

static int selector_term(struct pctx *c, struct policy *p, yaml_node_t *k, yaml_node_t *v)
{
	const char *key = scalar(c, k, "selector", "a string key"), *label, *value;
	char shown[80], hint[64], where[WHERE_MAX];
	struct policy_selector_term *t;
	int f;

	if (!key)
		return -1;
	if ((f = selector_field(key, &label)) < 0)
		return fail(c, k, "selector: unknown key '%s'%s", policy_shown(key, shown, sizeof(shown)),
			    suggest(key, selector_keys, SELECTOR_ANY + 1, hint, sizeof(hint)));
	snprintf(where, sizeof(where), "selector.%s", policy_shown(key, shown, sizeof(shown)));
	if (!(value = scalar(c, v, where, "a string")))
		return -1;
	if (f == SELECTOR_ANY) {
		if (!is_true(value))
			return fail(c, v, "%s: only 'true' is meaningful here", where);
		p->select_any = true;
		return 0;
	}
	if (f == SEL_WORKLOAD_KIND && strcmp(value, "host") && strcmp(value, "container"))
		return fail(c, v, "%s: '%s' is neither 'host' nor 'container'", where,
			    policy_shown(value, shown, sizeof(shown)));
	if (!value[0])
		return fail(c, v, "%s: empty value", where);
	for (size_t i = 0; i < p->nselector; i++)
		if (p->selector[i].field == (enum policy_selector_field)f &&
		    (!label || !strcmp(label, p->selector[i].label)))
			return fail(c, k, "selector: key '%s' given twice", shown);
	if (!(t = grow(c, v, &p->selector, &p->nselector, sizeof(*t))))
		return -1;
	t->field = (enum policy_selector_field)f;
	if (!(t->pattern = copy_scalar(c, v, where)))
		return -1;
	if (label && !(t->label = strdup(label)))
		return fail(c, k, "out of memory");
	return 0;
}

static int parse_selector(struct pctx *c, struct policy *p, yaml_node_t *v)
{
	if (v->type != YAML_MAPPING_NODE)
		return fail(c, v, "selector: expected a mapping, got %s", type_name(v));
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key), *val = node_at(c, pr->value);

		if (!k || !val)
			return fail(c, v, "selector: bad node");
		if (selector_term(c, p, k, val) < 0)
			return -1;
	}
	if (p->select_any && p->nselector)
		return fail(c, v, "selector: 'any: true' cannot be combined with other keys");
	if (!p->select_any && !p->nselector)
		return fail(c, v, "selector: empty (write 'selector: {any: true}' to apply the "
			    "policy to every workload)");
	return 0;
}

/* ---- the policy ----------------------------------------------------------------- */

enum { P_POLICY, P_DESCRIPTION, P_SELECTOR, P_MODE, P_PROCESS, P_NETWORK, P_FILE, P_DEFAULT };
static const char *const policy_keys[] = {
	"policy", "description", "selector", "mode", "process", "network", "file", "default",
};
static const char *const category_names[] = {"process", "network", "file"};
static const char *const mode_names[] = {"enforce", "audit"};

bool policy_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > POLICY_NAME_MAX)
		return false;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._:-", *s)))
			return false;
	return true;
}

static int default_member(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
			  const char *where, void *arg)
{
	struct policy *p = arg;

	(void)k;
	return parse_action(c, v, where, &p->defaults[key]);
}

static int parse_default(struct pctx *c, struct policy *p, yaml_node_t *v)
{
	struct key_table t = {category_names, POLICY_CATEGORIES};
	enum policy_action a;

	if (v->type == YAML_MAPPING_NODE)
		return each_member(c, v, "default", &t, default_member, p, NULL);
	if (parse_action(c, v, "default", &a) < 0)
		return -1;
	for (int i = 0; i < POLICY_CATEGORIES; i++)
		p->defaults[i] = a;
	return 0;
}

static int policy_member(struct pctx *c, int key, yaml_node_t *k, yaml_node_t *v,
			 const char *where, void *arg)
{
	struct policy *p = arg;
	char shown[80];
	int mode;

	(void)k;
	switch (key) {
	case P_POLICY:
		if (!(p->name = copy_scalar(c, v, where)))
			return -1;
		if (!policy_name_valid(p->name))
			return fail(c, v, "policy: '%s' is not a name of 1..%d letters, digits and "
				    "'._:-'", policy_shown(p->name, shown, sizeof(shown)),
				    POLICY_NAME_MAX);
		return 0;
	case P_DESCRIPTION:
		return (p->description = copy_scalar(c, v, where)) ? 0 : -1;
	case P_SELECTOR:
		return parse_selector(c, p, v);
	case P_MODE:
		if ((mode = one_of(c, v, where, mode_names, 2)) < 0)
			return -1;
		p->audit_mode = mode == 1;
		return 0;
	case P_PROCESS:
		return rule_list(c, v, where, process_item, p);
	case P_NETWORK:
		return rule_list(c, v, where, network_item, p);
	case P_FILE:
		return rule_list(c, v, where, file_item, p);
	default:
		return parse_default(c, p, v);
	}
}

static void soften(enum policy_action *a)
{
	if (*a == POLICY_BLOCK)
		*a = POLICY_AUDIT;
}

/* Audit mode: the policy as written, every block reported instead. */
static void apply_audit_mode(struct policy *p)
{
	for (size_t i = 0; i < p->nprocess; i++)
		soften(&p->process[i].action);
	for (size_t i = 0; i < p->nnetwork; i++)
		soften(&p->network[i].action);
	for (size_t i = 0; i < p->nfile_rules; i++)
		soften(&p->file_rules[i].action);
	for (int i = 0; i < POLICY_CATEGORIES; i++)
		soften(&p->defaults[i]);
}

static void free_paths(struct policy_path *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->description);
	free(p->file);
	for (size_t i = 0; i < p->nselector; i++) {
		free(p->selector[i].label);
		free(p->selector[i].pattern);
	}
	free(p->selector);
	for (size_t i = 0; i < p->nprocess; i++) {
		free_paths(p->process[i].paths, p->process[i].npaths);
		free_paths(p->process[i].parents, p->process[i].nparents);
	}
	free(p->process);
	for (size_t i = 0; i < p->nnetwork; i++) {
		free(p->network[i].cidrs);
		free(p->network[i].ports);
	}
	free(p->network);
	for (size_t i = 0; i < p->nfile_rules; i++)
		free_paths(p->file_rules[i].paths, p->file_rules[i].npaths);
	free(p->file_rules);
	free(p);
}

static struct policy *parse_policy(struct pctx *c, yaml_node_t *n)
{
	struct key_table t = {policy_keys, 8};
	struct policy *p = calloc(1, sizeof(*p));
	unsigned seen = 0;

	if (!p) {
		fail(c, n, "out of memory");
		return NULL;
	}
	set_mark(n, &p->line, &p->col);
	if (!(p->file = strdup(c->file))) {
		fail(c, n, "out of memory");
		goto bad;
	}
	if (n->type != YAML_MAPPING_NODE) {
		fail(c, n, "a policy must be a mapping, got %s", type_name(n));
		goto bad;
	}
	if (each_member(c, n, "", &t, policy_member, p, &seen) < 0)
		goto bad;
	if (!(seen & (1u << P_POLICY))) {
		fail(c, n, "'policy' (the policy's name) is missing");
		goto bad;
	}
	if (!(seen & (1u << P_SELECTOR))) {
		fail(c, n, "policy %s: 'selector' is missing (write 'selector: {any: true}' to "
		     "apply it to every workload)", p->name);
		goto bad;
	}
	if (p->audit_mode)
		apply_audit_mode(p);
	return p;
bad:
	policy_free(p);
	return NULL;
}

/* ---- documents ----------------------------------------------------------------- */

struct found {
	struct policy **items;
	size_t count;
};

static int add_policy(struct pctx *c, yaml_node_t *n, struct found *f)
{
	struct policy *p = parse_policy(c, n), **grown;

	if (!p)
		return -1;
	for (size_t i = 0; i < f->count; i++)
		if (!strcmp(f->items[i]->name, p->name)) {
			fail(c, n, "policy '%s' is defined twice in this file (first at line %d)",
			     p->name, f->items[i]->line);
			policy_free(p);
			return -1;
		}
	grown = realloc(f->items, (f->count + 1) * sizeof(*grown));
	if (!grown) {
		policy_free(p);
		return fail(c, n, "out of memory");
	}
	grown[f->count++] = p;
	f->items = grown;
	return 0;
}

static int parse_root(struct pctx *c, yaml_node_t *root, struct found *f)
{
	if (root->type == YAML_MAPPING_NODE)
		return add_policy(c, root, f);
	if (root->type != YAML_SEQUENCE_NODE)
		return fail(c, root, "expected a policy (a mapping) or a list of policies, got %s",
			    type_name(root));
	for (yaml_node_item_t *it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(c, *it);

		if (!item)
			return fail(c, root, "bad node");
		if (add_policy(c, item, f) < 0)
			return -1;
	}
	return 0;
}

static int parse_documents(struct pctx *c, yaml_parser_t *parser, struct found *f)
{
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		int rc;

		if (!yaml_parser_load(parser, &doc)) {
			if (c->err && c->errlen)
				snprintf(c->err, c->errlen, "%s:%zu:%zu: YAML error: %s%s%s", c->file,
					 parser->problem_mark.line + 1, parser->problem_mark.column + 1,
					 parser->problem ? parser->problem : "unknown problem",
					 parser->context ? " " : "",
					 parser->context ? parser->context : "");
			return -1;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			return f->count ? 0 : fail(c, NULL, "no policy in the file");
		}
		c->doc = &doc;
		rc = parse_root(c, root, f);
		c->doc = NULL;
		yaml_document_delete(&doc);
		if (rc < 0)
			return -1;
	}
}

int policy_parse_text(const char *name, const char *data, size_t len,
		      struct policy ***out, size_t *n, char *err, size_t errlen)
{
	struct pctx c = {.file = name, .err = err, .errlen = errlen, .budget = PARSE_BUDGET};
	struct found f = {NULL, 0};
	struct policy **grown;
	yaml_parser_t parser;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return fail(&c, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	rc = parse_documents(&c, &parser, &f);
	yaml_parser_delete(&parser);
	if (!rc) {
		grown = realloc(*out, (*n + f.count) * sizeof(*grown));
		if (!grown) {
			rc = fail(&c, NULL, "out of memory");
		} else {
			memcpy(grown + *n, f.items, f.count * sizeof(*grown));
			*out = grown;
			*n += f.count;
			f.count = 0;
		}
	}
	for (size_t i = 0; i < f.count; i++)
		policy_free(f.items[i]);
	free(f.items);
	return rc;
}

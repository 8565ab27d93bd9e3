/* policy_match.c - which policy applies, and what it decides (see policy.h).
 *
 * Everything here reads the policy and the arguments only: no allocation,
 * no system calls, so the enforcement path can call it per event.
 */
#include "enforce/policy_internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const action_names[] = {"allow", "audit", "block"};
static const char *const category_names[] = {"process", "network", "file"};

const char *policy_action_name(enum policy_action a)
{
	return (unsigned)a < 3 ? action_names[a] : "unknown";
}

const char *policy_category_name(enum policy_category c)
{
	return (unsigned)c < POLICY_CATEGORIES ? category_names[c] : "unknown";
}

const char *policy_rule_name(const struct policy *p, enum policy_category c, int rule,
			     char *buf, size_t len)
{
	if (rule < 0)
		snprintf(buf, len, "policy %s default %s", p->name, policy_category_name(c));
	else
		snprintf(buf, len, "policy %s rule %s[%d]", p->name, policy_category_name(c), rule);
	return buf;
}

/* ---- selectors ------------------------------------------------------------ */

static bool known(const char *s)
{
	return s && s[0];
}

static bool glob_value(const char *pattern, const char *value)
{
	return known(value) && fnmatch(pattern, value, 0) == 0;
}

static bool label_matches(const struct policy_label *labels, size_t n, const char *key,
			  const char *pattern)
{
	for (size_t i = 0; labels && i < n; i++)
		if (labels[i].key && !strcmp(labels[i].key, key))
			return glob_value(pattern, labels[i].value ? labels[i].value : "");
	return false;
}

/* A short id ("3f2a9c") names the container whose id starts with it. */
static bool id_matches(const char *pattern, const char *id)
{
	if (!known(id))
		return false;
	if (!strpbrk(pattern, "*?[\\"))
		return !strncmp(id, pattern, strlen(pattern));
	return fnmatch(pattern, id, 0) == 0;
}

static bool term_matches(const struct policy_selector_term *t, const struct policy_subject *s)
{
	bool container = s->kind == POLICY_WORKLOAD_CONTAINER;

	switch (t->field) {
	case SEL_CONTAINER_NAME: return container && glob_value(t->pattern, s->container_name);
	case SEL_CONTAINER_IMAGE: return container && glob_value(t->pattern, s->container_image);
	case SEL_CONTAINER_ID: return container && id_matches(t->pattern, s->container_id);
	case SEL_CONTAINER_LABEL:
		return container && label_matches(s->labels, s->nlabels, t->label, t->pattern);
	case SEL_K8S_NS: return container && glob_value(t->pattern, s->k8s_ns);
	case SEL_K8S_POD: return container && glob_value(t->pattern, s->k8s_pod);
	case SEL_K8S_POD_LABEL:
		return container && label_matches(s->pod_labels, s->npod_labels, t->label,
						  t->pattern);
	case SEL_HOST_UNIT: return !container && glob_value(t->pattern, s->host_unit);
	case SEL_HOST_EXE: return !container && glob_value(t->pattern, s->host_exe);
	case SEL_WORKLOAD_KIND: return !strcmp(t->pattern, container ? "container" : "host");
	}
	return false;
}

bool policy_selects(const struct policy *p, const struct policy_subject *s)
{
	if (p->select_any)
		return true;
	for (size_t i = 0; i < p->nselector; i++)
		if (!term_matches(&p->selector[i], s))
			return false;
	return p->nselector > 0;
}

const struct policy *policy_set_select(const struct policy_set *set,
				       const struct policy_subject *s)
{
	for (size_t i = 0; set && i < set->count; i++)
		if (policy_selects(set->items[i], s))
			return set->items[i];
	return NULL;
}

/* ---- paths ---------------------------------------------------------------- */

bool policy_path_matches(const struct policy_path *pt, const char *path)
{
	size_t n;

	switch (pt->type) {
	case POLICY_PATH_EXACT:
		return !strcmp(pt->text, path);
	case POLICY_PATH_GLOB:
		return fnmatch(pt->text, path, FNM_PATHNAME) == 0;
	case POLICY_PATH_SUBTREE:
		if (!strcmp(pt->text, "/"))
			return path[0] == '/';
		if (pt->dir_is_glob)
			return fnmatch(pt->text, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0;
		n = strlen(pt->text);
		return !strncmp(pt->text, path, n) && (path[n] == '/' || !path[n]);
	}
	return false;
}

static bool any_path(const struct policy_path *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (policy_path_matches(&v[i], path))
			return true;
	return false;
}

enum policy_action policy_decide_exec(const struct policy *p, const char *path,
				      const char *parent_exe, int *rule)
{
	for (size_t i = 0; path && i < p->nprocess; i++) {
		const struct policy_process_rule *r = &p->process[i];

		if (!any_path(r->paths, r->npaths, path))
			continue;
		if (r->nparents && (!parent_exe || !any_path(r->parents, r->nparents, parent_exe)))
			continue;
		if (rule)
			*rule = (int)i;
		return r->action;
	}
	if (rule)
		*rule = -1;
	return p->defaults[POLICY_PROCESS];
}

enum policy_action policy_decide_file(const struct policy *p, const char *path,
				      unsigned access, int *rule)
{
	for (size_t i = 0; path && i < p->nfile_rules; i++) {
		const struct policy_file_rule *r = &p->file_rules[i];

		if ((r->access & access) && any_path(r->paths, r->npaths, path)) {
			if (rule)
				*rule = (int)i;
			return r->action;
		}
	}
	if (rule)
		*rule = -1;
	return p->defaults[POLICY_FILE];
}

/* ---- network ----------------------------------------------------------------- */

static bool cidr_contains(const struct policy_cidr *c, int family, const uint8_t *addr)
{
	unsigned full = c->prefix_len / 8, rest = c->prefix_len % 8;

	if (c->family != family || memcmp(addr, c->addr, full))
		return false;
	return !rest || !((addr[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest));
}

static bool network_rule_matches(const struct policy_network_rule *r, int family,
				 const uint8_t *addr, uint16_t port, enum policy_proto proto,
				 enum policy_direction direction)
{
	bool hit = !r->ncidrs;

	if (!(r->direction & direction) || !(r->proto & proto))
		return false;
	for (size_t i = 0; !hit && i < r->ncidrs; i++)
		hit = cidr_contains(&r->cidrs[i], family, addr);
	if (!hit || !r->nports)
		return hit;
	for (size_t i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

enum policy_action policy_decide_connect(const struct policy *p, int family,
					 const uint8_t *addr, uint16_t port,
					 enum policy_proto proto,
					 enum policy_direction direction, int *rule)
{
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == AF_INET6 && !memcmp(addr, v4_mapped, sizeof(v4_mapped))) {
		family = AF_INET;
		addr += 12;
	}
	for (size_t i = 0; (family == AF_INET || family == AF_INET6) && i < p->nnetwork; i++)
		if (network_rule_matches(&p->network[i], family, addr, port, proto, direction)) {
			if (rule)
				*rule = (int)i;
			return p->network[i].action;
		}
	if (rule)
		*rule = -1;
	return p->defaults[POLICY_NETWORK];
}

/* ---- iteration for the kernel maps ----------------------------------------------- */

static void each_port(const struct policy_network_rule *r, struct policy_net_entry *e,
		      void (*fn)(void *ctx, const struct policy_net_entry *e), void *ctx)
{
	if (!r->nports) {
		e->port_lo = 0;
		e->port_hi = 65535;
		fn(ctx, e);
	}
	for (size_t k = 0; k < r->nports; k++) {
		e->port_lo = r->ports[k].lo;
		e->port_hi = r->ports[k].hi;
		fn(ctx, e);
	}
}

void policy_each_net(const struct policy *p,
		     void (*fn)(void *ctx, const struct policy_net_entry *e), void *ctx)
{
	static const int every[2] = {AF_INET, AF_INET6};

	for (size_t i = 0; i < p->nnetwork; i++) {
		const struct policy_network_rule *r = &p->network[i];
		struct policy_net_entry e = {
			.rule = (int)i, .action = r->action, .direction = r->direction,
			.proto = r->proto,
		};

		for (size_t j = 0; j < (r->ncidrs ? r->ncidrs : 2); j++) {
			memset(e.addr, 0, sizeof(e.addr));
			if (r->ncidrs) {
				e.family = r->cidrs[j].family;
				memcpy(e.addr, r->cidrs[j].addr, sizeof(e.addr));
				e.prefix_len = r->cidrs[j].prefix_len;
			} else {
				e.family = every[j];
				e.prefix_len = 0;
			}
			each_port(r, &e, fn, ctx);
		}
	}
}

static void each_of(const struct policy_path *v, size_t n, struct policy_path_entry *e,
		    void (*fn)(void *ctx, const struct policy_path_entry *e), void *ctx)
{
	for (size_t k = 0; k < n; k++) {
		e->path = &v[k];
		fn(ctx, e);
	}
}

void policy_each_path(const struct policy *p,
		      void (*fn)(void *ctx, const struct policy_path_entry *e), void *ctx)
{
	for (size_t i = 0; i < p->nprocess; i++) {
		const struct policy_process_rule *r = &p->process[i];
		struct policy_path_entry e = {
			.category = POLICY_PROCESS, .rule = (int)i, .action = r->action,
			.access = POLICY_EXEC, .has_parents = r->nparents > 0,
		};

		each_of(r->paths, r->npaths, &e, fn, ctx);
		e.is_parent = true;
		each_of(r->parents, r->nparents, &e, fn, ctx);
	}
	for (size_t i = 0; i < p->nfile_rules; i++) {
		const struct policy_file_rule *r = &p->file_rules[i];
		struct policy_path_entry e = {
			.category = POLICY_FILE, .rule = (int)i, .action = r->action,
			.access = r->access,
		};

		each_of(r->paths, r->npaths, &e, fn, ctx);
	}
}

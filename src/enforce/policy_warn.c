/* policy_warn.c - what is legal but probably not meant: host bits in a
 * CIDR, globs that match no file, selectors that match no workload,
 * block rules that an earlier rule makes unreachable, and a file default
 * the kernel cannot apply. */
#include "enforce/policy_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct warner {
	const struct policy *p;
	const struct policy_checks *checks;
};

__attribute__((format(printf, 4, 5)))
static void warn(const struct warner *w, int line, int col, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d:%d: policy %s: %s", w->p->file, line, col,
		 w->p->name, msg);
	w->checks->warn(w->checks->warn_ctx, full);
}

static void host_bits(const struct warner *w)
{
	for (size_t i = 0; i < w->p->nnetwork; i++)
		for (size_t j = 0; j < w->p->network[i].ncidrs; j++) {
			const struct policy_cidr *c = &w->p->network[i].cidrs[j];
			char addr[INET6_ADDRSTRLEN] = "?";

			if (!c->host_bits)
				continue;
			inet_ntop(c->family, c->addr, addr, sizeof(addr));
			warn(w, c->line, c->col, "network[%zu]: cidr has host bits set; it means "
			     "%s/%u", i, addr, c->prefix_len);
		}
}

static void unmatched_globs(const struct warner *w, const char *what, size_t rule,
			    const struct policy_path *v, size_t n)
{
	char shown[96];

	for (size_t k = 0; k < n; k++) {
		const struct policy_path *pt = &v[k];

		if (pt->type == POLICY_PATH_EXACT || (pt->type == POLICY_PATH_SUBTREE &&
						      !pt->dir_is_glob))
			continue;
		if (policy_glob(w->checks->root_dir, pt->text, NULL, NULL) == 0)
			warn(w, pt->line, pt->col, "%s[%zu]: '%s' matches no file under %s", what,
			     rule, policy_shown(pt->text, shown, sizeof(shown)), w->checks->root_dir);
	}
}

static void globs(const struct warner *w)
{
	const struct policy *p = w->p;

	for (size_t i = 0; i < p->nprocess; i++) {
		unmatched_globs(w, "process", i, p->process[i].paths, p->process[i].npaths);
		unmatched_globs(w, "process", i, p->process[i].parents, p->process[i].nparents);
	}
	for (size_t i = 0; i < p->nfile_rules; i++)
		unmatched_globs(w, "file", i, p->file_rules[i].paths, p->file_rules[i].npaths);
}

/* Does every path later matches also match earlier?  Only the cases that
 * can be told from the text: the same pattern, an exact path the earlier
 * pattern matches, or a subtree inside an earlier exact subtree. */
static bool covers(const struct policy_path *earlier, const struct policy_path *later)
{
	if (earlier->type == later->type && !strcmp(earlier->text, later->text))
		return true;
	if (later->type == POLICY_PATH_EXACT)
		return policy_path_matches(earlier, later->text);
	return later->type == POLICY_PATH_SUBTREE && !later->dir_is_glob &&
	       earlier->type == POLICY_PATH_SUBTREE && policy_path_matches(earlier, later->text);
}

static int shadowing(const struct policy_path *ev, size_t en, const struct policy_path *later)
{
	for (size_t k = 0; k < en; k++)
		if (covers(&ev[k], later))
			return (int)k;
	return -1;
}

/* A process or file rule as the shadow check sees it. */
struct rule_view {
	enum policy_action action;
	const struct policy_path *paths;
	size_t npaths;
	unsigned access;	/* what it applies to */
	bool limited;		/* applies to some parents only */
};

static struct rule_view process_view(const struct policy *p, size_t i)
{
	const struct policy_process_rule *r = &p->process[i];

	return (struct rule_view){r->action, r->paths, r->npaths, POLICY_EXEC, r->nparents > 0};
}

static struct rule_view file_view(const struct policy *p, size_t i)
{
	const struct policy_file_rule *r = &p->file_rules[i];

	return (struct rule_view){r->action, r->paths, r->npaths, r->access, false};
}

/* The earlier allow rule that lets every path of later's k-th through
 * first, or -1. */
static int shadowed_by(const struct policy *p, size_t j, size_t k,
		       struct rule_view (*view)(const struct policy *, size_t))
{
	struct rule_view r = view(p, j);

	for (size_t i = 0; i < j; i++) {
		struct rule_view e = view(p, i);

		if (e.action == POLICY_ALLOW && !e.limited && !(r.access & ~e.access) &&
		    shadowing(e.paths, e.npaths, &r.paths[k]) >= 0)
			return (int)i;
	}
	return -1;
}

static void shadowed(const struct warner *w, const char *what, size_t n,
		     struct rule_view (*view)(const struct policy *, size_t))
{
	char shown[96];

	for (size_t j = 0; j < n; j++) {
		struct rule_view r = view(w->p, j);

		for (size_t k = 0; r.action != POLICY_ALLOW && k < r.npaths; k++) {
			int i = shadowed_by(w->p, j, k, view);

			if (i >= 0)
				warn(w, r.paths[k].line, r.paths[k].col, "%s[%zu]: '%s' is never %s: "
				     "%s[%d] allows it first (the first matching rule decides)", what,
				     j, policy_shown(r.paths[k].text, shown, sizeof(shown)),
				     r.action == POLICY_BLOCK ? "blocked" : "audited", what, i);
		}
	}
}

void policy_warnings(const struct policy *p, const struct policy_checks *checks)
{
	struct warner w = {p, checks};

	if (!checks || !checks->warn)
		return;
	host_bits(&w);
	if (checks->root_dir)
		globs(&w);
	if (checks->any_workload && !checks->any_workload(checks->workload_ctx, p))
		warn(&w, p->line, p->col, "the selector matches no current workload");
	shadowed(&w, "process", p->nprocess, process_view);
	shadowed(&w, "file", p->nfile_rules, file_view);
	if (p->defaults[POLICY_FILE] != POLICY_ALLOW)
		warn(&w, p->line, p->col, "the file default '%s' is not enforced: the kernel "
		     "guards only the files the rules name",
		     policy_action_name(p->defaults[POLICY_FILE]));
}

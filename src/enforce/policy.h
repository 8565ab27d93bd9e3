/* policy.h - enforcement policies: YAML files that say what a workload may
 * execute, open and connect to, checked, matched and generated here; the
 * kernel side (enforce/) turns them into map entries.
 *
 * A file holds one policy (a mapping), several (YAML documents separated
 * by `---`) or a top-level list of them:
 *
 *   policy: web-lockdown                    # name: [A-Za-z0-9._:-], unique
 *   description: "..."                      # optional
 *   selector: {container.name: "web-*"}     # which workloads it applies to
 *   mode: enforce                           # or audit: every block is audit
 *   process:                                # exec rules
 *     - {action: block, paths: ["/bin/nc", "/usr/bin/nc*"], parent: ["/bin/sh"]}
 *   network:                                # connect/accept rules
 *     - {action: block, direction: out, cidr: 0.0.0.0/0, ports: [4444, "6000-6010"],
 *        protocol: tcp}
 *   file:                                   # open rules
 *     - {action: block, paths: ["/etc/shadow", "/root/"], access: [read, write]}
 *   default: allow     # or {process: block, network: audit, file: allow}
 *
 * Selector: a mapping whose terms must all match (values are fnmatch
 * globs, where '*' also crosses '/'): container.name, container.image,
 * container.id (a value without glob characters also matches as a
 * prefix: short ids), container.label.<key>, k8s.ns.name, k8s.pod.name,
 * k8s.pod.label.<key>, host.unit, host.exe, workload.kind (host or
 * container).  A term on something the workload does not have (a label it
 * lacks, container.name of the host) does not match.  The selector is
 * required: `selector: {any: true}` is how a policy says it applies to
 * every workload, so that a forgotten selector is an error, not a policy
 * on the whole machine.
 *
 * Paths are absolute.  Without any of * ? [ \ a path is exact; with them
 * it is an fnmatch glob where '*' stays within one path component.  A
 * trailing "/" or "/\*\*" means the directory and everything below it
 * (DIR may itself be a glob).  `parent` (process rules) matches the
 * parent's executable path the same way.
 *
 * Network: `direction` out (default), in or any; `cidr` one string or a
 * list, IPv4 and IPv6, absent = every address of both families; `ports`
 * numbers or "lo-hi" strings, absent = every port; `protocol` tcp, udp or
 * any (default).  0.0.0.0/0 matches IPv4 only and ::/0 IPv6 only; an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as IPv4.
 *
 * File `access` is a list of read, write, exec (default [read, write]);
 * a rule matches an access that asks for any of them.
 *
 * Evaluation: a category's rules in file order, the first that matches
 * decides; none matches: the category's default (allow when not given).
 * In a policy set the first policy (files in the order given, policies in
 * file order) whose selector matches a workload is the one that applies
 * to it; the others are not consulted.
 *
 * Errors and warnings read "file:line:col: what" (1-based).  Errors:
 * wrong types, unknown keys (with the nearest known key), unknown values,
 * bad addresses and prefixes, ports out of range or lo > hi, relative
 * paths, empty lists, missing names or selectors, duplicate policy names.
 * Warnings: host bits set in a CIDR, globs matching no file under a root
 * directory, selectors matching no current workload, and block rules that
 * never fire because an earlier rule lets the same path through.
 *
 * Decisions (policy_selects, policy_decide_*) never allocate and touch
 * only the policy; in the C locale (vigil never calls setlocale) glibc's
 * fnmatch does not allocate either.
 */
#ifndef VIGIL_POLICY_H
#define VIGIL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct profile;

enum policy_action { POLICY_ALLOW, POLICY_AUDIT, POLICY_BLOCK };
enum policy_category { POLICY_PROCESS, POLICY_NETWORK, POLICY_FILE, POLICY_CATEGORIES };
enum policy_direction { POLICY_DIR_OUT = 1, POLICY_DIR_IN = 2, POLICY_DIR_ANY = 3 };
enum policy_proto { POLICY_PROTO_TCP = 1, POLICY_PROTO_UDP = 2, POLICY_PROTO_ANY = 3 };

/* File access bits (file rules' `access`, policy_decide_file's mask). */
#define POLICY_READ	1u
#define POLICY_WRITE	2u
#define POLICY_EXEC	4u

enum policy_path_type {
	POLICY_PATH_EXACT,	/* compare the whole path */
	POLICY_PATH_GLOB,	/* fnmatch(FNM_PATHNAME) */
	POLICY_PATH_SUBTREE,	/* text is DIR (exact or glob): DIR and all below */
};

/* One entry of a paths/parent list. */
struct policy_path {
	char *text;		/* as written, but a subtree without its "/" or "/\*\*" */
	enum policy_path_type type;
	bool dir_is_glob;	/* subtree whose DIR has glob characters */
	int line, col;
};

struct policy_cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order, host bits cleared; IPv4 in addr[0..3] */
	uint8_t prefix_len;
	bool host_bits;		/* the text had host bits set (a warning) */
	int line, col;
};

struct policy_port_range {
	uint16_t lo, hi;	/* inclusive, host order */
};

struct policy_process_rule {
	enum policy_action action;	/* effective: block is audit in audit mode */
	struct policy_path *paths;
	size_t npaths;
	struct policy_path *parents;	/* none: any parent */
	size_t nparents;
	int line, col;
};

struct policy_network_rule {
	enum policy_action action;
	enum policy_direction direction;
	enum policy_proto proto;
	struct policy_cidr *cidrs;	/* none: every address */
	size_t ncidrs;
	struct policy_port_range *ports;	/* none: every port */
	size_t nports;
	int line, col;
};

struct policy_file_rule {
	enum policy_action action;
	struct policy_path *paths;
	size_t npaths;
	unsigned access;		/* POLICY_READ | POLICY_WRITE | POLICY_EXEC */
	int line, col;
};

enum policy_selector_field {
	SEL_CONTAINER_NAME, SEL_CONTAINER_IMAGE, SEL_CONTAINER_ID, SEL_CONTAINER_LABEL,
	SEL_K8S_NS, SEL_K8S_POD, SEL_K8S_POD_LABEL, SEL_HOST_UNIT, SEL_HOST_EXE,
	SEL_WORKLOAD_KIND,
};

struct policy_selector_term {
	enum policy_selector_field field;
	char *label;		/* the <key> of label terms, else NULL */
	char *pattern;
};

/* A parsed policy.  Read-only for users of this header. */
struct policy {
	char *name;
	char *description;	/* NULL when not given */
	char *file;		/* where it was defined */
	int line, col;		/* of the mapping */
	bool select_any;
	struct policy_selector_term *selector;
	size_t nselector;
	bool audit_mode;
	struct policy_process_rule *process;
	size_t nprocess;
	struct policy_network_rule *network;
	size_t nnetwork;
	struct policy_file_rule *file_rules;
	size_t nfile_rules;
	enum policy_action defaults[POLICY_CATEGORIES];	/* effective */
};

/* ---- the workload a policy is matched against --------------------------- */

struct policy_label {
	const char *key, *value;
};

enum policy_workload_kind { POLICY_WORKLOAD_HOST, POLICY_WORKLOAD_CONTAINER };

/* Filled by the caller from its workload; NULL or "" = not known. */
struct policy_subject {
	enum policy_workload_kind kind;
	const char *container_id, *container_name, *container_image;
	const struct policy_label *labels;
	size_t nlabels;
	const char *k8s_ns, *k8s_pod;
	const struct policy_label *pod_labels;
	size_t npod_labels;
	const char *host_unit, *host_exe;
};

/* ---- loading --------------------------------------------------------------- */

typedef void (*policy_warn_fn)(void *ctx, const char *msg);	/* "file:line:col: what" */

/* Warnings and the inputs they need; any member may be NULL/0. */
struct policy_checks {
	policy_warn_fn warn;
	void *warn_ctx;
	/* Globs are checked against the files under this directory ("/" for
	 * the host, a container's root); NULL: not checked. */
	const char *root_dir;
	/* Does any current workload match p's selector?  (Typically: fill a
	 * policy_subject per workload and call policy_selects.)  NULL: not
	 * checked. */
	bool (*any_workload)(void *ctx, const struct policy *p);
	void *workload_ctx;
};

struct policy_set {
	struct policy **items;	/* files in the order given, policies in file order */
	size_t count;
};

struct policy_set *policy_set_new(void);
void policy_set_free(struct policy_set *set);

/* Parse one file (or a buffer called name) into set.  On any error:
 * -1, err holds "file:line:col: what", set is unchanged.  Warnings (checks
 * may be NULL) are reported only for a file that loaded. */
int policy_set_add_file(struct policy_set *set, const char *path,
			const struct policy_checks *checks, char *err, size_t errlen);
int policy_set_add_string(struct policy_set *set, const char *name, const char *data,
			  size_t len, const struct policy_checks *checks, char *err,
			  size_t errlen);

/* Every file or nothing: 0 with *out a new set, or -1 with the first
 * error of each failing file in err (one per line) and *out NULL, so the
 * set in force can stay. */
int policy_set_load(const char *const *files, size_t n, struct policy_set **out,
		    const struct policy_checks *checks, char *err, size_t errlen);

/* The policy that applies to s: the first whose selector matches; NULL
 * when none does. */
const struct policy *policy_set_select(const struct policy_set *set,
				       const struct policy_subject *s);

/* ---- decisions (pure, no allocation) -------------------------------------- */

bool policy_selects(const struct policy *p, const struct policy_subject *s);

/* *rule (may be NULL) gets the index of the deciding rule in its category,
 * or -1 when the category's default decided.  parent_exe may be NULL
 * (rules with `parent` then do not match). */
enum policy_action policy_decide_exec(const struct policy *p, const char *path,
				      const char *parent_exe, int *rule);
/* access: POLICY_READ | POLICY_WRITE | POLICY_EXEC asked for. */
enum policy_action policy_decide_file(const struct policy *p, const char *path,
				      unsigned access, int *rule);
/* family AF_INET (addr[0..3]) or AF_INET6 (16 bytes), network order;
 * port in host order; proto POLICY_PROTO_TCP or _UDP; direction _OUT or
 * _IN. */
enum policy_action policy_decide_connect(const struct policy *p, int family,
					 const uint8_t *addr, uint16_t port,
					 enum policy_proto proto,
					 enum policy_direction direction, int *rule);

const char *policy_action_name(enum policy_action a);		/* "allow" ... */
const char *policy_category_name(enum policy_category c);	/* "process" ... */
/* "policy web-lockdown rule process[0]" or "policy web-lockdown default
 * process"; returns buf. */
const char *policy_rule_name(const struct policy *p, enum policy_category c, int rule,
			     char *buf, size_t len);

/* ---- what the kernel maps need ---------------------------------------------- */

/* One (address range, port range) of a network rule; a rule with k CIDRs
 * (none: 0.0.0.0/0 and ::/0) and m port ranges (none: 0-65535) gives k*m
 * entries, in rule order. */
struct policy_net_entry {
	int rule;
	enum policy_action action;
	enum policy_direction direction;
	enum policy_proto proto;
	int family;
	uint8_t addr[16];
	uint8_t prefix_len;
	uint16_t port_lo, port_hi;
};
void policy_each_net(const struct policy *p,
		     void (*fn)(void *ctx, const struct policy_net_entry *e), void *ctx);

/* One path of a process (paths and parents) or file rule, in rule order. */
struct policy_path_entry {
	enum policy_category category;	/* POLICY_PROCESS or POLICY_FILE */
	int rule;
	enum policy_action action;
	unsigned access;		/* file rules; POLICY_EXEC for process rules */
	bool is_parent;			/* a process rule's parent pattern */
	bool has_parents;		/* the rule is limited to some parents */
	const struct policy_path *path;
};
void policy_each_path(const struct policy *p,
		      void (*fn)(void *ctx, const struct policy_path_entry *e), void *ctx);

/* Every glob (and glob subtree directory) of p's process and file rules,
 * expanded against the files under root_dir now: fn gets each match as
 * an absolute path inside that root ("/usr/bin/nc.openbsd" for root
 * "/var/lib/c1/rootfs").  Exact paths are not reported (use
 * policy_each_path); a subtree match is its directory (e->path->type
 * tells).  Returns the number of matches, -1 when root_dir is unusable. */
long policy_expand_globs(const struct policy *p, const char *root_dir,
			 void (*fn)(void *ctx, const struct policy_path_entry *e,
				    const char *abs_path),
			 void *ctx);

/* ---- generation -------------------------------------------------------------- */

/* A policy (YAML text, malloc'd) that allows what prof learned: every
 * executable (busybox applets also under /bin, /usr/bin, /sbin,
 * /usr/sbin), outgoing peers and listening ports; default process block,
 * network audit, file allow.  subject (may be NULL: `any: true`) gives
 * the selector.  NULL when policy_name is not a valid name or memory ran
 * out. */
char *policy_from_profile(const struct profile *prof, const char *policy_name,
			  const struct policy_subject *subject);

/* `vigil policy check [--root DIR] FILE...`: "ok: N policies" on stdout,
 * warnings and errors on stderr; exit status 1 on errors, 2 on usage. */
int policy_check_main(int argc, char **argv);

#endif

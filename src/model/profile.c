/* profile.c - a workload's learned behaviours (see profile.h).
 *
 * Each category keeps three chained hash tables:
 *
 *   entries  key -> {first, last, count}.  An entry is exact or
 *            generalised and the flag is part of its identity, so a file
 *            literally named "*" never passes for "DIR/\*".
 *   nodes    a trie of the path components of the category's paths (the
 *            whole key in read/write/create, the PATH of "unix PATH" in the
 *            network categories).  Per directory: how many entries lie at or
 *            below it, and how many distinct names directly in it hold one.
 *            A node is keyed by (parent, name), so memory grows with the
 *            total length of the keys, not with its square.
 *   groups   per protocol and port of net_out ("tcp *:443"), per protocol
 *            of net_in ("tcp *"): how many exact addresses, ranges and
 *            "any" entries it holds.
 *
 * Generalised keys are spelled:
 *   "/data/\*"                 any path below /data, at any depth (not
 *                              /data itself); "unix /run/\*" likewise
 *   "tcp 10.1.2.\*:443"        the IPv4 /24
 *   "tcp [fd00:1:2:3::\*]:443" the IPv6 /64: always the first four 16-bit
 *                              groups, lowercase hex without leading zeros,
 *                              then "::\*"
 *   "tcp \*:443"               any address on that protocol and port
 *   net_in keys have no port: "tcp 10.1.2.\*", "tcp [fd00:0:0:1::\*]",
 *   "tcp \*".  Exec, listen (but for unix paths), syscall and priv keys
 *   never generalise.
 *
 * Generalising: a directory that gets more than PROFILE_DIR_FANOUT
 * distinct names is folded into "DIR/\*" (the root never is: "/\*" would
 * cover every path).  A port with more than PROFILE_PEER_FANOUT exact
 * addresses has them folded into ranges, and later addresses on it are
 * learned as their range; more than PROFILE_PEER_FANOUT ranges fold into
 * "any".  When a category is full, the directory with the most distinct
 * names (the deepest among equals) or the port with the most entries is
 * folded; when nothing can be folded (exec keys, say) new keys are
 * refused - profile_learn() still says they were new - and counted in
 * p->refused (not exposed).  Folding keeps the earliest first, the latest
 * last and the summed count.
 *
 * Keys are byte strings cut at the first NUL; exact keys longer than
 * KEY_MAX are refused.
 */
#include "util/hex.h"
#include "profile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util/json.h"

#define KEY_MAX 4096			/* exact keys; PATH_MAX */
#define GEN_KEY_MAX (KEY_MAX + 2)	/* "DIR/\*" of a directory of an exact key */
#define PEER_KEY_MAX 64			/* "proto [ffff:ffff:ffff:ffff::\*]:65535" */
#define PROTO_MAX 15
#define BOUND_MAX (1u << 24)		/* the largest "max" a document may declare */
#define NS_PER_HOUR (3600ULL * 1000000000ULL)

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL
#define GENERAL_SALT 0x9e3779b97f4a7c15ULL

/* ---- hash tables ------------------------------------------------------- */

struct link {
	struct link *next;
	uint64_t hash;
};

struct table {
	struct link **slots;
	size_t nslots, count;	/* nslots: 0 or a power of two */
};

static struct link *table_head(const struct table *t, uint64_t hash)
{
	return t->nslots ? t->slots[hash & (t->nslots - 1)] : NULL;
}

/* Double the slots; when that fails, longer chains are still correct. */
static int table_grow(struct table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 16;
	struct link **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return t->nslots ? 0 : -1;
	for (size_t i = 0; i < t->nslots; i++)
		for (struct link *l = t->slots[i], *next; l; l = next) {
			next = l->next;
			l->next = slots[l->hash & (n - 1)];
			slots[l->hash & (n - 1)] = l;
		}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

static int table_add(struct table *t, struct link *l)
{
	struct link **head;

	if (t->count >= t->nslots && table_grow(t))
		return -1;
	head = &t->slots[l->hash & (t->nslots - 1)];
	l->next = *head;
	*head = l;
	t->count++;
	return 0;
}

static void table_del(struct table *t, struct link *l)
{
	struct link **at = &t->slots[l->hash & (t->nslots - 1)];

	while (*at != l)
		at = &(*at)->next;
	*at = l->next;
	t->count--;
}

static uint64_t fnv(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

/* The hash of a key is a finished FNV-1a, so the hashes of "PREFIX\*" for
 * every prefix of a path come out of one pass over it. */
static uint64_t hash_finish(uint64_t h, bool general)
{
	h ^= h >> 29;
	return general ? h ^ GENERAL_SALT : h;
}

static uint64_t key_hash(const char *key, size_t len, bool general)
{
	return hash_finish(fnv(FNV_OFFSET, key, len), general);
}

/* ---- the profile ---------------------------------------------------------- */

struct node {
	struct link link;	/* first: the nodes table links nodes */
	struct node *parent;	/* NULL for the root */
	uint64_t id;		/* hashes children without hashing pointers */
	size_t refs;		/* entries at or below this directory */
	size_t children;	/* names directly in it with refs > 0 */
	size_t depth;
	unsigned leafs;		/* entries ending here: exact "D", general "D/\*" */
	bool has_general;
	size_t name_len;
	const char *name;
};

enum peer_kind { PEER_EXACT, PEER_RANGE, PEER_ANY };

struct group {
	struct link link;
	size_t count[3];	/* entries per enum peer_kind */
	size_t key_len;
	char key[];		/* its "any" key: "tcp *:443" */
};

struct entry {
	struct link link;
	struct node *leaf;	/* path keys: the node the path ends at */
	struct group *group;	/* address keys */
	uint64_t first, last, count;
	bool general;
	unsigned char peer_kind;
	size_t len;
	char key[];
};

struct category {
	struct table entries, nodes, groups;
	struct node root;
	uint64_t next_id;
	bool unfoldable;	/* make_room() found nothing since the entries last changed */
};

struct profile {
	size_t max;
	struct category cats[PROF_CATEGORIES];
	uint64_t rate_sum[RATE_KINDS][HOURS_PER_WEEK];
	uint32_t rate_hours[RATE_KINDS][HOURS_PER_WEEK];
	bool counting;			/* current_hour is set */
	uint64_t current_hour;		/* hours since the epoch */
	uint64_t current[RATE_KINDS];
	uint64_t refused;		/* new keys not stored: bound reached, too long, no memory */
};

struct stats {
	uint64_t first, last, count;
};

static const char *const category_names[PROF_CATEGORIES] = {
	"exec", "read", "write", "create", "net_out", "listen", "net_in", "syscall", "priv",
};
static const char *const rate_names[RATE_KINDS] = {"exec", "file", "network"};

const char *profile_category_name(enum profile_category c)
{
	return (unsigned)c < PROF_CATEGORIES ? category_names[c] : "unknown";
}

int profile_category_from_name(const char *name)
{
	for (int i = 0; name && i < PROF_CATEGORIES; i++)
		if (!strcmp(category_names[i], name))
			return i;
	return -1;
}

struct profile *profile_new(size_t max_per_category)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max = max_per_category ? max_per_category : PROFILE_DEFAULT_MAX;
	for (int c = 0; c < PROF_CATEGORIES; c++)
		p->cats[c].root.name = "";
	return p;
}

static void free_chains(struct table *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		for (struct link *l = t->slots[i], *next; l; l = next) {
			next = l->next;
			free(l);
		}
	free(t->slots);
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (int c = 0; c < PROF_CATEGORIES; c++) {
		free_chains(&p->cats[c].entries);
		free_chains(&p->cats[c].nodes);
		free_chains(&p->cats[c].groups);
	}
	free(p);
}

size_t profile_size(const struct profile *p, enum profile_category c)
{
	return (unsigned)c < PROF_CATEGORIES ? p->cats[c].entries.count : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void absorb_stats(struct entry *e, uint64_t first, uint64_t last, uint64_t count)
{
	if (!e->count) {	/* a fresh generalised entry */
		e->first = first;
		e->last = last;
		e->count = count;
		return;
	}
	if (first < e->first)
		e->first = first;
	if (last > e->last)
		e->last = last;
	e->count = add_sat(e->count, count);
}

/* ---- what a key is ------------------------------------------------------- */

static bool is_file_category(enum profile_category c)
{
	return c == PROF_READ || c == PROF_WRITE || c == PROF_CREATE;
}

static bool is_net_category(enum profile_category c)
{
	return c == PROF_NET_OUT || c == PROF_NET_IN || c == PROF_LISTEN;
}

/* Where the path in key starts, or SIZE_MAX when it holds none. */
static size_t path_offset(enum profile_category c, const char *key, size_t len)
{
	if (is_file_category(c) && len && key[0] == '/')
		return 0;
	if (is_net_category(c) && len >= 6 && !memcmp(key, "unix /", 6))
		return 5;
	return SIZE_MAX;
}

struct peer {
	enum peer_kind kind;
	bool v6;
	size_t proto_len;
	const char *port;	/* NULL in net_in keys */
	size_t port_len;
	unsigned char addr[16];	/* a range keeps its leading bytes */
};

/* A number in canonical form: digits of base 10 or lowercase 16, no
 * leading zero, at most max.  Ranges parse only as they are written, so
 * that "looks generalised" has exactly one spelling per range. */
static bool canonical_number(const char *s, size_t n, unsigned base, unsigned long max,
			     unsigned long *out)
{
	unsigned long v = 0;

	if (!n || n > (base == 10 ? 5 : 4) || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else
			return false;
		v = v * base + d;
	}
	*out = v;
	return v <= max;
}

/* n numbers separated by sep, each into one (base 10) or two (base 16)
 * bytes of out. */
static bool parse_numbers(const char *s, size_t len, char sep, int n, unsigned base,
			  unsigned char *out)
{
	const char *end = s + len;

	for (int i = 0; i < n; i++) {
		const char *stop = i + 1 < n ? memchr(s, sep, (size_t)(end - s)) : end;
		unsigned long v;

		if (!stop || !canonical_number(s, (size_t)(stop - s), base,
					       base == 10 ? 255 : 0xffff, &v))
			return false;
		if (base == 10) {
			out[i] = (unsigned char)v;
		} else {
			out[2 * i] = (unsigned char)(v >> 8);
			out[2 * i + 1] = (unsigned char)v;
		}
		s = stop + 1;
	}
	return true;
}

static bool parse_ip(int family, const char *s, size_t len, unsigned char *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(family, buf, out) == 1;
}

static bool parse_address(const char *a, size_t len, struct peer *pr)
{
	pr->v6 = len >= 2 && a[0] == '[' && a[len - 1] == ']';
	if (len == 1 && a[0] == '*') {
		pr->kind = PEER_ANY;
		return true;
	}
	if (pr->v6) {
		a++;
		len -= 2;
		if (len > 3 && !memcmp(a + len - 3, "::*", 3)) {
			pr->kind = PEER_RANGE;
			return parse_numbers(a, len - 3, ':', 4, 16, pr->addr);
		}
		pr->kind = PEER_EXACT;
		return parse_ip(AF_INET6, a, len, pr->addr);
	}
	if (len > 2 && !memcmp(a + len - 2, ".*", 2)) {
		pr->kind = PEER_RANGE;
		return parse_numbers(a, len - 2, '.', 3, 10, pr->addr);
	}
	pr->kind = PEER_EXACT;
	return parse_ip(AF_INET, a, len, pr->addr);
}

/* "PROTO ADDR:PORT" (net_out) or "PROTO ADDR" (net_in), ADDR an IPv4
 * address, "[IPv6]", a range or "*".  Anything else is not an address key
 * and only ever matches exactly. */
static bool parse_peer(enum profile_category c, const char *key, size_t len, struct peer *pr)
{
	const char *sp, *addr, *end = key + len;
	unsigned long port;

	if (c != PROF_NET_OUT && c != PROF_NET_IN)
		return false;
	sp = memchr(key, ' ', len);
	if (!sp || sp == key || sp - key > PROTO_MAX || (sp - key == 4 && !memcmp(key, "unix", 4)))
		return false;
	for (const char *q = key; q < sp; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')))
			return false;
	pr->proto_len = (size_t)(sp - key);
	addr = sp + 1;
	pr->port = NULL;
	pr->port_len = 0;
	if (c == PROF_NET_OUT) {
		const char *colon = memrchr(addr, ':', (size_t)(end - addr));

		if (!colon || !canonical_number(colon + 1, (size_t)(end - colon - 1), 10, 65535,
						&port))
			return false;
		pr->port = colon + 1;
		pr->port_len = (size_t)(end - colon - 1);
		end = colon;
	}
	return end > addr && parse_address(addr, (size_t)(end - addr), pr);
}

/* The range (kind PEER_RANGE) or "any" key (PEER_ANY) covering a peer;
 * 0 when it does not fit. */
static size_t peer_key(const char *key, const struct peer *pr, enum peer_kind kind, char *out,
		       size_t cap)
{
	const unsigned char *a = pr->addr;
	char addr[32];
	int n;

	if (kind == PEER_ANY)
		snprintf(addr, sizeof(addr), "*");
	else if (!pr->v6)
		snprintf(addr, sizeof(addr), "%u.%u.%u.*", a[0], a[1], a[2]);
	else
		snprintf(addr, sizeof(addr), "[%x:%x:%x:%x::*]", a[0] << 8 | a[1], a[2] << 8 | a[3],
			 a[4] << 8 | a[5], a[6] << 8 | a[7]);
	n = snprintf(out, cap, "%.*s %s%s%.*s", (int)pr->proto_len, key, addr, pr->port ? ":" : "",
		     (int)pr->port_len, pr->port ? pr->port : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Would this key be read as a generalised one? */
static bool looks_general(enum profile_category c, const char *key, size_t len)
{
	size_t off = path_offset(c, key, len);
	struct peer pr;

	if (off != SIZE_MAX)
		return len - off >= 2 && key[len - 2] == '/' && key[len - 1] == '*';
	return parse_peer(c, key, len, &pr) && pr.kind != PEER_EXACT;
}

/* ---- lookups (no allocation) ------------------------------------------- */

static struct entry *lookup(const struct category *cat, const char *key, size_t len,
			    bool general)
{
	uint64_t h = key_hash(key, len, general);

	for (struct link *l = table_head(&cat->entries, h); l; l = l->next) {
		struct entry *e = (struct entry *)l;

		if (l->hash == h && e->general == general && e->len == len &&
		    !memcmp(e->key, key, len))
			return e;
	}
	return NULL;
}

/* "DIR/\*" for each directory of the path, outermost first. */
static struct entry *covering_dir(const struct category *cat, const char *key, size_t len,
				  size_t off)
{
	uint64_t h = fnv(FNV_OFFSET, key, off);

	for (size_t i = off; i < len; i++) {
		uint64_t gh;

		h = (h ^ (unsigned char)key[i]) * FNV_PRIME;
		if (key[i] != '/')
			continue;
		gh = hash_finish((h ^ '*') * FNV_PRIME, true);
		for (struct link *l = table_head(&cat->entries, gh); l; l = l->next) {
			struct entry *e = (struct entry *)l;

			if (l->hash == gh && e->general && e->len == i + 2 && e->key[i + 1] == '*' &&
			    !memcmp(e->key, key, i + 1))
				return e;
		}
	}
	return NULL;
}

static struct entry *covering_peer(const struct category *cat, enum profile_category c,
				   const char *key, size_t len)
{
	struct peer pr;
	char buf[PEER_KEY_MAX];
	struct entry *e;
	size_t n;

	if (!parse_peer(c, key, len, &pr))
		return NULL;
	if (pr.kind != PEER_ANY && (n = peer_key(key, &pr, PEER_RANGE, buf, sizeof(buf))) &&
	    (e = lookup(cat, buf, n, true)))
		return e;
	n = peer_key(key, &pr, PEER_ANY, buf, sizeof(buf));
	return n ? lookup(cat, buf, n, true) : NULL;
}

/* The entry covering key: itself (unless general: then only generalised
 * entries count), else a generalisation of it. */
static struct entry *covering(const struct category *cat, enum profile_category c,
			      const char *key, size_t len, bool general)
{
	size_t off = path_offset(c, key, len);
	struct entry *e = general ? NULL : lookup(cat, key, len, false);

	if (e)
		return e;
	if (off != SIZE_MAX)
		return covering_dir(cat, key, len, off);
	return covering_peer(cat, c, key, len);
}

bool profile_covers(const struct profile *p, enum profile_category c, const char *key,
		    size_t len, struct profile_entry_info *info)
{
	const struct entry *e;

	if ((unsigned)c >= PROF_CATEGORIES || !key)
		return false;
	len = strnlen(key, len);
	e = covering(&p->cats[c], c, key, len, false);
	if (e && info) {
		info->key = e->key;
		info->first_seen_ns = e->first;
		info->last_seen_ns = e->last;
		info->count = e->count;
	}
	return e != NULL;
}

/* ---- the directory trie -------------------------------------------------- */

static uint64_t node_hash(const struct node *parent, const char *name, size_t len)
{
	return hash_finish(fnv(FNV_OFFSET ^ (parent->id * GENERAL_SALT), name, len), false);
}

static struct node *node_child(struct category *cat, struct node *parent, const char *name,
			       size_t len)
{
	uint64_t h = node_hash(parent, name, len);
	struct node *n;
	char *copy;

	for (struct link *l = table_head(&cat->nodes, h); l; l = l->next) {
		n = (struct node *)l;
		if (l->hash == h && n->parent == parent && n->name_len == len &&
		    !memcmp(n->name, name, len))
			return n;
	}
	n = calloc(1, sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	copy = (char *)(n + 1);
	memcpy(copy, name, len);
	n->name = copy;
	n->name_len = len;
	n->parent = parent;
	n->depth = parent->depth + 1;
	n->id = ++cat->next_id;
	n->link.hash = h;
	if (table_add(&cat->nodes, &n->link)) {
		free(n);
		return NULL;
	}
	return n;
}

/* One reference less from n up to the root; directories left empty go. */
static void trie_release(struct category *cat, struct node *n)
{
	while (n) {
		struct node *up = n->parent;

		if (--n->refs == 0 && up) {
			up->children--;
			table_del(&cat->nodes, &n->link);
			free(n);
		}
		n = up;
	}
}

/* Count e in every directory of its path.  *grown: the directory that got
 * a new name (NULL: none did).  -1 on no memory, with nothing changed. */
static int trie_attach(struct category *cat, struct entry *e, size_t off, struct node **grown)
{
	const char *at = e->key + off, *end = e->key + e->len;
	struct node *n = &cat->root;

	if (e->general)
		end -= 2;	/* "D/\*" ends at D */
	*grown = NULL;
	n->refs++;
	while (at < end) {	/* at: a '/' */
		const char *name = at + 1, *slash = memchr(name, '/', (size_t)(end - name));
		size_t len = (size_t)((slash ? slash : end) - name);
		struct node *child = node_child(cat, n, name, len);

		if (!child) {
			trie_release(cat, n);
			*grown = NULL;
			return -1;
		}
		if (child->refs++ == 0) {
			n->children++;
			if (!*grown)
				*grown = n;
		}
		n = child;
		at = name + len;
	}
	n->leafs++;
	n->has_general |= e->general;
	e->leaf = n;
	return 0;
}

/* The generalised key of directory d into buf: "[unix ]PATH/\*"; 0 when
 * it does not fit. */
static size_t general_key_of(enum profile_category c, const struct node *d, char *buf,
			     size_t cap)
{
	const char *prefix = is_file_category(c) ? "" : "unix ";
	size_t plen = strlen(prefix), len = plen + 2;
	char *at;

	for (const struct node *n = d; n->parent; n = n->parent)
		len += n->name_len + 1;
	if (len >= cap)
		return 0;
	memcpy(buf, prefix, plen);
	at = buf + len;
	*--at = '*';
	*--at = '/';
	for (const struct node *n = d; n->parent; n = n->parent) {
		at -= n->name_len;
		memcpy(at, n->name, n->name_len);
		*--at = '/';
	}
	buf[len] = '\0';
	return len;
}

/* ---- address groups ------------------------------------------------------ */

static struct group *group_find(const struct category *cat, const char *key, size_t len)
{
	uint64_t h = key_hash(key, len, false);

	for (struct link *l = table_head(&cat->groups, h); l; l = l->next) {
		struct group *g = (struct group *)l;

		if (l->hash == h && g->key_len == len && !memcmp(g->key, key, len))
			return g;
	}
	return NULL;
}

static struct group *group_get(struct category *cat, const char *key, size_t len)
{
	struct group *g = group_find(cat, key, len);

	if (g || !(g = calloc(1, sizeof(*g) + len + 1)))
		return g;
	memcpy(g->key, key, len);
	g->key_len = len;
	g->link.hash = key_hash(key, len, false);
	if (table_add(&cat->groups, &g->link)) {
		free(g);
		return NULL;
	}
	return g;
}

/* Literal keys that look generalised ("tcp *:443" learned as such) stay
 * out of the groups: they cover only themselves. */
static int group_attach(struct category *cat, enum profile_category c, struct entry *e)
{
	struct peer pr;
	char any[PEER_KEY_MAX];
	size_t n;

	if (!parse_peer(c, e->key, e->len, &pr) || (pr.kind != PEER_EXACT) != e->general ||
	    !(n = peer_key(e->key, &pr, PEER_ANY, any, sizeof(any))))
		return 0;
	e->group = group_get(cat, any, n);
	if (!e->group)
		return -1;
	e->peer_kind = (unsigned char)pr.kind;
	e->group->count[pr.kind]++;
	return 0;
}

static void group_detach(struct category *cat, struct entry *e)
{
	struct group *g = e->group;

	if (!g)
		return;
	g->count[e->peer_kind]--;
	if (!g->count[PEER_EXACT] && !g->count[PEER_RANGE] && !g->count[PEER_ANY]) {
		table_del(&cat->groups, &g->link);
		free(g);
	}
	e->group = NULL;
}

/* ---- entries ----------------------------------------------------------- */

static struct entry *entry_new(const char *key, size_t len, bool general, const struct stats *st)
{
	struct entry *e = calloc(1, sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	memcpy(e->key, key, len);
	e->len = len;
	e->general = general;
	e->link.hash = key_hash(key, len, general);
	if (st) {
		e->first = st->first;
		e->last = st->last;
		e->count = st->count;
	}
	return e;
}

/* Into the table, the trie or a group.  -1 (nothing changed) on no memory. */
static int entry_link(struct category *cat, enum profile_category c, struct entry *e,
		      struct node **grown)
{
	size_t off = path_offset(c, e->key, e->len);

	*grown = NULL;
	if (table_add(&cat->entries, &e->link))
		return -1;
	if (off != SIZE_MAX ? trie_attach(cat, e, off, grown) : group_attach(cat, c, e)) {
		table_del(&cat->entries, &e->link);
		return -1;
	}
	cat->unfoldable = false;
	return 0;
}

/* Out of the trie or group (the caller took it out of the table). */
static void entry_detach(struct category *cat, struct entry *e)
{
	if (e->leaf) {
		e->leaf->leafs--;
		if (e->general)
			e->leaf->has_general = false;
		trie_release(cat, e->leaf);
		e->leaf = NULL;
	}
	group_detach(cat, e);
	cat->unfoldable = false;
}

static void entry_drop(struct category *cat, struct entry *e)
{
	table_del(&cat->entries, &e->link);
	entry_detach(cat, e);
	free(e);
}

/* Take every entry matching pred out of the table, as a list linked
 * through link.next (still in the trie and groups, so that nothing they
 * count drops to zero before the entries are re-homed). */
static struct entry *take_where(struct category *cat,
				bool (*pred)(const struct entry *e, const void *ctx), const void *ctx)
{
	struct entry *list = NULL;

	for (size_t i = 0; i < cat->entries.nslots; i++) {
		struct link **at = &cat->entries.slots[i];

		while (*at) {
			struct entry *e = (struct entry *)*at;

			if (!pred(e, ctx)) {
				at = &(*at)->next;
				continue;
			}
			*at = e->link.next;
			cat->entries.count--;
			e->link.next = (struct link *)list;
			list = e;
		}
	}
	return list;
}

/* Fold a list of taken entries into into. */
static void absorb_list(struct category *cat, struct entry *into, struct entry *list)
{
	while (list) {
		struct entry *e = list;

		list = (struct entry *)e->link.next;
		absorb_stats(into, e->first, e->last, e->count);
		entry_detach(cat, e);
		free(e);
	}
}

/* The generalised entry key, created empty when missing. */
static struct entry *get_general(struct category *cat, enum profile_category c, const char *key,
				 size_t len)
{
	struct entry *e = lookup(cat, key, len, true);
	struct node *grown;

	if (e)
		return e;
	e = entry_new(key, len, true, NULL);
	if (e && entry_link(cat, c, e, &grown)) {
		free(e);
		e = NULL;
	}
	return e;
}

struct below {
	const struct entry *general;
	enum profile_category c;
};

/* Is e covered by the generalised entry of ctx? */
static bool is_below(const struct entry *e, const void *ctx)
{
	const struct below *b = ctx;
	const struct entry *g = b->general;
	size_t plen = g->len - 1;	/* "D/" */
	char buf[PEER_KEY_MAX];
	struct peer pr;
	size_t n;

	if (e == g)
		return false;
	if (g->leaf)
		return e->len >= plen && !memcmp(e->key, g->key, plen);
	if (!g->group || e->group != g->group)
		return false;
	if (g->peer_kind == PEER_ANY)
		return true;
	/* an exact address: is g its range? */
	if (e->peer_kind != PEER_EXACT || !parse_peer(b->c, e->key, e->len, &pr))
		return false;
	n = peer_key(e->key, &pr, PEER_RANGE, buf, sizeof(buf));
	return n == g->len && !memcmp(buf, g->key, n);
}

/* Fold everything a generalised entry covers into it. */
static void absorb_below(struct category *cat, enum profile_category c, struct entry *g)
{
	struct below b = {g, c};

	absorb_list(cat, g, take_where(cat, is_below, &b));
}

static void fold_dir(struct category *cat, enum profile_category c, struct node *d)
{
	char key[GEN_KEY_MAX + 8];
	size_t len = general_key_of(c, d, key, sizeof(key));
	struct entry *g = len ? get_general(cat, c, key, len) : NULL;

	if (!g)
		return;
	absorb_below(cat, c, g);
	if (!g->count)
		entry_drop(cat, g);
}

static bool exact_in_group(const struct entry *e, const void *ctx)
{
	return e->group == ctx && e->peer_kind == PEER_EXACT;
}

/* Every exact address of g becomes its range.  An address whose range
 * cannot be made (no memory) stays as it is. */
static void fold_ranges(struct category *cat, enum profile_category c, struct group *g)
{
	struct entry *list = take_where(cat, exact_in_group, g);

	while (list) {
		struct entry *e = list, *r = NULL;
		char buf[PEER_KEY_MAX];
		struct peer pr;
		size_t n;

		list = (struct entry *)e->link.next;
		if (parse_peer(c, e->key, e->len, &pr) &&
		    (n = peer_key(e->key, &pr, PEER_RANGE, buf, sizeof(buf))))
			r = get_general(cat, c, buf, n);
		if (!r) {
			table_add(&cat->entries, &e->link);	/* slots exist: cannot fail */
			continue;
		}
		absorb_stats(r, e->first, e->last, e->count);
		entry_detach(cat, e);
		free(e);
	}
}

static void fold_any(struct category *cat, enum profile_category c, struct group *g)
{
	struct entry *any = get_general(cat, c, g->key, g->key_len);

	if (!any)
		return;
	absorb_below(cat, c, any);
	if (!any->count)
		entry_drop(cat, any);
}

/* The fanout rules, after e was added. */
static void generalise(struct category *cat, enum profile_category c, struct entry *e,
		       struct node *grown)
{
	struct group *g = e->group;

	if (grown && grown->parent && grown->children > PROFILE_DIR_FANOUT)
		fold_dir(cat, c, grown);
	if (!g || g->count[PEER_ANY])
		return;
	if (g->count[PEER_EXACT] > PROFILE_PEER_FANOUT)
		fold_ranges(cat, c, g);	/* g lives on: it holds the ranges now */
	if (g->count[PEER_RANGE] > PROFILE_PEER_FANOUT)
		fold_any(cat, c, g);
}

/* The category is full: fold the directory with the most names (the
 * deepest of equals) or the port with the most entries.  False when
 * nothing could be folded. */
static bool make_room(struct category *cat, enum profile_category c)
{
	struct node *best = NULL;
	struct group *best_group = NULL;
	size_t before = cat->entries.count, group_size = 0;

	if (cat->unfoldable)
		return false;
	for (size_t i = 0; i < cat->nodes.nslots; i++)
		for (struct link *l = cat->nodes.slots[i]; l; l = l->next) {
			struct node *n = (struct node *)l;
			size_t below = n->refs - n->leafs + n->has_general;

			if (below < 2)
				continue;	/* folding would free nothing */
			if (!best || n->children > best->children ||
			    (n->children == best->children && n->depth > best->depth))
				best = n;
		}
	for (size_t i = 0; i < cat->groups.nslots; i++)
		for (struct link *l = cat->groups.slots[i]; l; l = l->next) {
			struct group *g = (struct group *)l;
			size_t size = g->count[PEER_EXACT] + g->count[PEER_RANGE] + g->count[PEER_ANY];

			if (size >= 2 && size > group_size) {
				best_group = g;
				group_size = size;
			}
		}
	if (best_group && (!best || group_size > best->children)) {
		if (best_group->count[PEER_EXACT] && !best_group->count[PEER_ANY])
			fold_ranges(cat, c, best_group);
		if (cat->entries.count == before)
			fold_any(cat, c, best_group);
	} else if (best) {
		fold_dir(cat, c, best);
	} else {
		cat->unfoldable = true;
	}
	return cat->entries.count < before;
}

/* An exact address on a port already generalised into ranges is stored
 * as its range.  0 when it is not such an address. */
static size_t range_instead(const struct category *cat, enum profile_category c,
			    const char *key, size_t len, char *buf)
{
	struct peer pr;
	struct group *g;
	size_t n;

	if (!parse_peer(c, key, len, &pr) || pr.kind != PEER_EXACT ||
	    !(n = peer_key(key, &pr, PEER_ANY, buf, PEER_KEY_MAX)))
		return 0;
	g = group_find(cat, buf, n);
	if (!g || !g->count[PEER_RANGE])
		return 0;
	return peer_key(key, &pr, PEER_RANGE, buf, PEER_KEY_MAX);
}

/* Over the bound after adding e when nothing else could be folded: the
 * only candidates are e's directories or its port.  False when none. */
static bool make_room_near(struct category *cat, enum profile_category c, struct entry *e)
{
	struct node *best = NULL;
	struct group *g = e->group;
	size_t before = cat->entries.count;

	for (struct node *n = e->leaf; n && n->parent; n = n->parent) {
		if (n->refs - n->leafs + n->has_general < 2)
			continue;
		if (!best || n->children > best->children)
			best = n;
	}
	if (best) {
		fold_dir(cat, c, best);
	} else if (g && g->count[PEER_EXACT] + g->count[PEER_RANGE] + g->count[PEER_ANY] >= 2) {
		if (g->count[PEER_EXACT] && !g->count[PEER_ANY])
			fold_ranges(cat, c, g);
		if (cat->entries.count == before)
			fold_any(cat, c, g);
	}
	return cat->entries.count < before;
}

/* Store an observation: refresh what covers it, or add it (making room
 * when the category is full) and apply the fanout rules. */
static void insert(struct profile *p, enum profile_category c, const char *key, size_t len,
		   bool general, const struct stats *st)
{
	struct category *cat = &p->cats[c];
	struct entry *e = covering(cat, c, key, len, general);
	char range[PEER_KEY_MAX];
	bool was_unfoldable;
	struct node *grown;
	size_t n;

	if (e) {
		absorb_stats(e, st->first, st->last, st->count);
		return;
	}
	if (!general && (n = range_instead(cat, c, key, len, range))) {
		insert(p, c, range, n, true, st);
		return;
	}
	if (cat->entries.count >= p->max && make_room(cat, c) &&
	    (e = covering(cat, c, key, len, general))) {
		absorb_stats(e, st->first, st->last, st->count);
		return;
	}
	was_unfoldable = cat->unfoldable;
	e = entry_new(key, len, general, st);
	if (!e || entry_link(cat, c, e, &grown)) {
		free(e);
		p->refused++;
		return;
	}
	if (general)
		absorb_below(cat, c, e);
	generalise(cat, c, e, grown);
	if (cat->entries.count <= p->max)
		return;
	/* Still over, so nothing was folded: e is there, and only what it
	 * joins can fold now.  Else refuse it; nothing else changed. */
	e = lookup(cat, key, len, general);
	if (e && !make_room_near(cat, c, e)) {
		entry_drop(cat, e);
		cat->unfoldable = was_unfoldable;
		p->refused++;
	}
}

bool profile_learn(struct profile *p, enum profile_category c, const char *key, size_t len,
		   uint64_t now_ns)
{
	struct stats st = {now_ns, now_ns, 1};
	struct entry *e;

	if ((unsigned)c >= PROF_CATEGORIES || !key)
		return false;
	len = strnlen(key, len);
	e = covering(&p->cats[c], c, key, len, false);
	if (e) {
		absorb_stats(e, now_ns, now_ns, 1);
		return false;
	}
	if (!len || len > KEY_MAX)
		p->refused++;
	else
		insert(p, c, key, len, false, &st);
	return true;
}

/* ---- hour-of-week rates -------------------------------------------------- */

/* Bucket 0 is Monday 00:00 UTC; 1970-01-01 (hour 0) was a Thursday, 72
 * hours into its week. */
static unsigned hour_of_week(uint64_t unix_hour)
{
	return (unsigned)((unix_hour + 72) % HOURS_PER_WEEK);
}

static void add_hour(struct profile *p, int r, uint64_t hour, uint64_t count)
{
	unsigned b = hour_of_week(hour);

	p->rate_sum[r][b] = add_sat(p->rate_sum[r][b], count);
	if (p->rate_hours[r][b] < UINT32_MAX)
		p->rate_hours[r][b]++;
}

/* Moving to a later hour completes the current one; the hours between
 * (less than a week) passed with nothing counted.  After a week or more
 * the agent cannot have watched: start afresh.  An earlier hour (clock
 * stepped back) keeps counting in the current one. */
static void move_to_hour(struct profile *p, uint64_t hour)
{
	if (p->counting && hour <= p->current_hour)
		return;
	if (p->counting && hour - p->current_hour < HOURS_PER_WEEK)
		for (int r = 0; r < RATE_KINDS; r++) {
			add_hour(p, r, p->current_hour, p->current[r]);
			for (uint64_t h = p->current_hour + 1; h < hour; h++)
				add_hour(p, r, h, 0);
		}
	memset(p->current, 0, sizeof(p->current));
	p->current_hour = hour;
	p->counting = true;
}

void profile_count(struct profile *p, enum profile_rate r, uint64_t now_ns)
{
	if ((unsigned)r >= RATE_KINDS)
		return;
	move_to_hour(p, now_ns / NS_PER_HOUR);
	p->current[r] = add_sat(p->current[r], 1);
}

void profile_rate_expected(const struct profile *p, enum profile_rate r, uint64_t now_ns,
			   double *mean, unsigned *hours)
{
	unsigned b = hour_of_week(now_ns / NS_PER_HOUR);

	*mean = 0;
	*hours = 0;
	if ((unsigned)r >= RATE_KINDS || !p->rate_hours[r][b])
		return;
	*hours = p->rate_hours[r][b];
	*mean = (double)p->rate_sum[r][b] / *hours;
}

uint64_t profile_rate_current(const struct profile *p, enum profile_rate r)
{
	return (unsigned)r < RATE_KINDS ? p->current[r] : 0;
}

/* ---- listing and merging ------------------------------------------------ */

static int by_key(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	int d = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (int)x->general - (int)y->general;
}

/* The entries in key order; NULL (with *n set) when there is no memory. */
static struct entry **sorted_entries(const struct category *cat, size_t *n)
{
	struct entry **all = malloc((cat->entries.count + 1) * sizeof(*all));

	*n = cat->entries.count;
	if (!all)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < cat->entries.nslots; i++)
		for (struct link *l = cat->entries.slots[i]; l; l = l->next)
			all[(*n)++] = (struct entry *)l;
	qsort(all, *n, sizeof(*all), by_key);
	return all;
}

static void call_each(const struct entry *e,
		      void (*fn)(void *ctx, const struct profile_entry_info *e), void *ctx)
{
	struct profile_entry_info info = {e->key, e->first, e->last, e->count};

	fn(ctx, &info);
}

void profile_each(const struct profile *p, enum profile_category c,
		  void (*fn)(void *ctx, const struct profile_entry_info *e), void *ctx)
{
	const struct category *cat;
	struct entry **all;
	size_t n;

	if ((unsigned)c >= PROF_CATEGORIES)
		return;
	cat = &p->cats[c];
	all = sorted_entries(cat, &n);
	if (all) {
		for (size_t i = 0; i < n; i++)
			call_each(all[i], fn, ctx);
		free(all);
		return;
	}
	for (size_t i = 0; i < cat->entries.nslots; i++)	/* no memory: unsorted */
		for (struct link *l = cat->entries.slots[i]; l; l = l->next)
			call_each((const struct entry *)l, fn, ctx);
}

/* Merging a profile into itself changes nothing. */
void profile_merge(struct profile *dst, const struct profile *src)
{
	if (dst == src)
		return;
	for (int c = 0; c < PROF_CATEGORIES; c++) {
		const struct table *t = &src->cats[c].entries;

		for (size_t i = 0; i < t->nslots; i++)
			for (struct link *l = t->slots[i]; l; l = l->next) {
				const struct entry *e = (const struct entry *)l;
				struct stats st = {e->first, e->last, e->count};

				insert(dst, c, e->key, e->len, e->general, &st);
			}
	}
	for (int r = 0; r < RATE_KINDS; r++)
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			uint64_t hours = (uint64_t)dst->rate_hours[r][b] + src->rate_hours[r][b];

			dst->rate_sum[r][b] = add_sat(dst->rate_sum[r][b], src->rate_sum[r][b]);
			dst->rate_hours[r][b] = hours > UINT32_MAX ? UINT32_MAX : (uint32_t)hours;
		}
}

/* ---- JSON ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlongs, surrogates or code points past U+10FFFF), 0 if none. */
static size_t utf8_length(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_length((const unsigned char *)s + i, len - i)))
			return false;
	return true;
}

static void write_u64(struct json_writer *w, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	json_string(w, buf);
}

/* A key that is not UTF-8 cannot be a JSON string: {"hex": "..."}. */
static void write_key(struct json_writer *w, const struct entry *e)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 * GEN_KEY_MAX + 1];

	if (utf8_valid(e->key, e->len)) {
		json_string_len(w, e->key, e->len);
		return;
	}
	for (size_t i = 0; i < e->len; i++) {
		hex[2 * i] = digits[(unsigned char)e->key[i] >> 4];
		hex[2 * i + 1] = digits[(unsigned char)e->key[i] & 15];
	}
	json_object_begin(w);
	json_kv_string_len(w, "hex", hex, 2 * e->len);
	json_object_end(w);
}

static bool write_category(struct json_writer *w, enum profile_category c,
			   const struct category *cat)
{
	size_t n;
	struct entry **all = sorted_entries(cat, &n);

	if (!all)
		return false;
	json_key(w, category_names[c]);
	json_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = all[i];

		json_array_begin(w);
		write_key(w, e);
		write_u64(w, e->first);
		write_u64(w, e->last);
		write_u64(w, e->count);
		if (!e->general && looks_general(c, e->key, e->len))
			json_string(w, "exact");
		json_array_end(w);
	}
	json_array_end(w);
	free(all);
	return true;
}

char *profile_to_json(const struct profile *p)
{
	struct json_writer w;
	bool ok = true;

	json_init(&w);
	json_object_begin(&w);
	json_kv_int(&w, "version", 1);
	json_kv_uint(&w, "max", p->max);
	json_key(&w, "categories");
	json_object_begin(&w);
	for (int c = 0; c < PROF_CATEGORIES && ok; c++)
		ok = write_category(&w, c, &p->cats[c]);
	json_object_end(&w);
	json_key(&w, "rates");
	json_object_begin(&w);
	for (int r = 0; r < RATE_KINDS; r++) {
		json_key(&w, rate_names[r]);
		json_array_begin(&w);
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			if (!p->rate_hours[r][b])
				continue;
			json_array_begin(&w);
			json_uint(&w, (uint64_t)b);
			json_uint(&w, p->rate_hours[r][b]);
			write_u64(&w, p->rate_sum[r][b]);
			json_array_end(&w);
		}
		json_array_end(&w);
	}
	json_object_end(&w);
	json_key(&w, "current_hour");
	if (p->counting)
		write_u64(&w, p->current_hour);
	else
		json_null(&w);
	json_key(&w, "current");
	json_array_begin(&w);
	for (int r = 0; r < RATE_KINDS; r++)
		write_u64(&w, p->current[r]);
	json_array_end(&w);
	json_object_end(&w);
	if (!ok || w.failed) {
		json_free(&w);
		return NULL;
	}
	return w.buf;
}

struct perr {
	char *buf;
	size_t len;
};

static bool fail(struct perr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct perr *err, const char *fmt, ...)
{
	va_list ap;

	if (err->buf && err->len) {
		va_start(ap, fmt);
		vsnprintf(err->buf, err->len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* A member name from the document, fit for an error message. */
static const char *printable(const char *s, char out[40])
{
	size_t i = 0;

	for (; s && s[i] && i < 32; i++)
		out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	snprintf(out + i, 40 - i, "%s", s && s[i] ? "..." : "");
	return out;
}

/* "123": decimal digits, canonical, at most 2^64-1. */
static bool get_u64(const cJSON *v, uint64_t *out)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	uint64_t n = 0;
	size_t len;

	if (!s || !(len = strlen(s)) || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* A JSON number that is a whole number in 0..max (max < 2^53). */
static bool get_uint(const cJSON *v, double max, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= 0 && d <= max) || d != (double)(uint64_t)d)
		return false;
	*out = (uint64_t)d;
	return true;
}

/* A key: a string, or {"hex": "..."} for bytes that are not UTF-8. */
static bool get_key(const cJSON *v, char *out, size_t *len)
{
	const cJSON *hex = cJSON_IsObject(v) ? v->child : NULL;
	const char *s;
	size_t n;

	if (cJSON_IsString(v)) {
		n = strlen(v->valuestring);
		if (!n || n > GEN_KEY_MAX)
			return false;
		memcpy(out, v->valuestring, n);
		*len = n;
		return true;
	}
	if (!hex || hex->next || !hex->string || strcmp(hex->string, "hex") || !cJSON_IsString(hex))
		return false;
	s = hex->valuestring;
	n = strlen(s);
	if (!n || n % 2 || n / 2 > GEN_KEY_MAX)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0 || (!hi && !lo))	/* keys hold no NUL */
			return false;
		out[i] = (char)(hi << 4 | lo);
	}
	*len = n / 2;
	return true;
}

static bool parse_row(struct profile *p, enum profile_category c, const cJSON *row, int i,
		      struct perr *err)
{
	const char *name = category_names[c];
	struct category *cat = &p->cats[c];
	int size = cJSON_IsArray(row) ? cJSON_GetArraySize(row) : 0;
	const cJSON *v = size ? row->child : NULL;
	char key[GEN_KEY_MAX + 1];
	struct stats st;
	bool general, exact = false;
	struct entry *e;
	struct node *grown;
	size_t len;

	if (size != 4 && size != 5)
		return fail(err, "categories.%s[%d]: not [key, first, last, count]", name, i);
	if (!get_key(v, key, &len))
		return fail(err, "categories.%s[%d]: key: not a string or {\"hex\": ...} of 1..%d bytes",
			    name, i, GEN_KEY_MAX);
	if (!get_u64(v = v->next, &st.first))
		return fail(err, "categories.%s[%d]: first: not a decimal string", name, i);
	if (!get_u64(v = v->next, &st.last))
		return fail(err, "categories.%s[%d]: last: not a decimal string", name, i);
	if (!get_u64(v = v->next, &st.count))
		return fail(err, "categories.%s[%d]: count: not a decimal string", name, i);
	if (st.last < st.first)
		return fail(err, "categories.%s[%d]: last is before first", name, i);
	if (!st.count)
		return fail(err, "categories.%s[%d]: count is 0", name, i);
	if (size == 5) {
		v = v->next;
		if (!cJSON_IsString(v) || strcmp(v->valuestring, "exact") ||
		    !looks_general(c, key, len))
			return fail(err, "categories.%s[%d]: a fifth item must be \"exact\", and only "
				    "on a key that looks generalised", name, i);
		exact = true;
	}
	general = !exact && looks_general(c, key, len);
	if (!general && len > KEY_MAX)
		return fail(err, "categories.%s[%d]: key longer than %d bytes", name, i, KEY_MAX);
	if (lookup(cat, key, len, general))
		return fail(err, "categories.%s[%d]: duplicate key", name, i);
	e = entry_new(key, len, general, &st);
	if (!e || entry_link(cat, c, e, &grown)) {
		free(e);
		return fail(err, "categories.%s[%d]: out of memory", name, i);
	}
	return true;
}

static bool parse_categories(struct profile *p, const cJSON *o, size_t limit, struct perr *err)
{
	bool seen[PROF_CATEGORIES] = {false};
	const cJSON *m;
	char name[40];

	if (!cJSON_IsObject(o))
		return fail(err, "categories: missing or not an object");
	cJSON_ArrayForEach(m, o) {
		int c = profile_category_from_name(m->string), i = 0, n;
		const cJSON *row;

		if (c < 0)
			return fail(err, "categories.%s: unknown category", printable(m->string, name));
		if (seen[c])
			return fail(err, "categories.%s: given twice", category_names[c]);
		seen[c] = true;
		if (!cJSON_IsArray(m))
			return fail(err, "categories.%s: not a list", category_names[c]);
		n = cJSON_GetArraySize(m);
		if ((size_t)n > limit)
			return fail(err, "categories.%s: %d entries, more than the bound %zu",
				    category_names[c], n, limit);
		cJSON_ArrayForEach(row, m)
			if (!parse_row(p, c, row, i++, err))
				return false;
	}
	for (int c = 0; c < PROF_CATEGORIES; c++)
		if (!seen[c])
			return fail(err, "categories.%s: missing", category_names[c]);
	return true;
}

static bool parse_rate_rows(struct profile *p, int r, const cJSON *list, struct perr *err)
{
	const cJSON *row;
	int i = 0;
	uint64_t prev = 0;

	if (!cJSON_IsArray(list))
		return fail(err, "rates.%s: not a list", rate_names[r]);
	cJSON_ArrayForEach(row, list) {
		const cJSON *v = cJSON_IsArray(row) ? row->child : NULL;
		uint64_t b, hours, sum;

		if (!v || cJSON_GetArraySize(row) != 3)
			return fail(err, "rates.%s[%d]: not [hour_of_week, hours, sum]",
				    rate_names[r], i);
		if (!get_uint(v, HOURS_PER_WEEK - 1, &b) || (i && b <= prev))
			return fail(err, "rates.%s[%d]: hour of week: not a whole number in 0..167 "
				    "after the previous row's", rate_names[r], i);
		if (!get_uint(v->next, UINT32_MAX, &hours) || !hours)
			return fail(err, "rates.%s[%d]: hours: not a whole number in 1..%u",
				    rate_names[r], i, UINT32_MAX);
		if (!get_u64(v->next->next, &sum))
			return fail(err, "rates.%s[%d]: sum: not a decimal string", rate_names[r], i);
		p->rate_hours[r][b] = (uint32_t)hours;
		p->rate_sum[r][b] = sum;
		prev = b;
		i++;
	}
	return true;
}

static bool parse_rates(struct profile *p, const cJSON *o, struct perr *err)
{
	bool seen[RATE_KINDS] = {false};
	const cJSON *m;
	char name[40];

	if (!cJSON_IsObject(o))
		return fail(err, "rates: missing or not an object");
	cJSON_ArrayForEach(m, o) {
		int r = -1;

		for (int k = 0; k < RATE_KINDS && m->string; k++)
			if (!strcmp(m->string, rate_names[k]))
				r = k;
		if (r < 0)
			return fail(err, "rates.%s: unknown rate", printable(m->string, name));
		if (seen[r])
			return fail(err, "rates.%s: given twice", rate_names[r]);
		seen[r] = true;
		if (!parse_rate_rows(p, r, m, err))
			return false;
	}
	for (int r = 0; r < RATE_KINDS; r++)
		if (!seen[r])
			return fail(err, "rates.%s: missing", rate_names[r]);
	return true;
}

static bool parse_current(struct profile *p, const cJSON *hour, const cJSON *cur,
			  struct perr *err)
{
	const cJSON *v;
	int r = 0;

	if (!hour)
		return fail(err, "current_hour: missing");
	if (!cJSON_IsNull(hour)) {
		if (!get_u64(hour, &p->current_hour) || p->current_hour > UINT64_MAX / NS_PER_HOUR)
			return fail(err, "current_hour: not null or a decimal string of a possible hour");
		p->counting = true;
	}
	if (!cJSON_IsArray(cur) || cJSON_GetArraySize(cur) != RATE_KINDS)
		return fail(err, "current: missing or not a list of %d counts", RATE_KINDS);
	cJSON_ArrayForEach(v, cur) {
		if (!get_u64(v, &p->current[r]))
			return fail(err, "current[%d]: not a decimal string", r);
		if (p->current[r] && !p->counting)
			return fail(err, "current[%d]: a count without a current_hour", r);
		r++;
	}
	return true;
}

enum { M_VERSION, M_MAX, M_CATEGORIES, M_RATES, M_CURRENT_HOUR, M_CURRENT, MEMBERS };
static const char *const member_names[MEMBERS] = {
	"version", "max", "categories", "rates", "current_hour", "current",
};

static struct profile *parse_document(const cJSON *doc, size_t max_per_category,
				      struct perr *err)
{
	const cJSON *m[MEMBERS] = {NULL}, *it;
	struct profile *p;
	uint64_t version, max;
	size_t bound, limit;
	char name[40];

	if (!cJSON_IsObject(doc))
		return fail(err, "the document is not a JSON object"), NULL;
	cJSON_ArrayForEach(it, doc) {
		int k = 0;

		while (k < MEMBERS && (!it->string || strcmp(it->string, member_names[k])))
			k++;
		if (k == MEMBERS)
			return fail(err, "%s: unknown member", printable(it->string, name)), NULL;
		if (m[k])
			return fail(err, "%s: given twice", member_names[k]), NULL;
		m[k] = it;
	}
	if (!get_uint(m[M_VERSION], 1e9, &version) || version != 1)
		return fail(err, "version: missing, or not 1 (the version this vigil reads)"), NULL;
	if (!get_uint(m[M_MAX], BOUND_MAX, &max) || !max)
		return fail(err, "max: missing, or not a whole number in 1..%u", BOUND_MAX), NULL;
	bound = max_per_category ? max_per_category : (size_t)max;
	limit = bound < max ? bound : (size_t)max;
	p = profile_new(bound);
	if (!p)
		return fail(err, "out of memory"), NULL;
	if (!parse_categories(p, m[M_CATEGORIES], limit, err) || !parse_rates(p, m[M_RATES], err) ||
	    !parse_current(p, m[M_CURRENT_HOUR], m[M_CURRENT], err)) {
		profile_free(p);
		return NULL;
	}
	return p;
}

struct profile *profile_parse(const char *json, size_t len, size_t max_per_category,
			      char *err, size_t errlen)
{
	struct perr e = {err, errlen};
	const char *end = NULL;
	struct profile *p = NULL;
	cJSON *doc;

	if (err && errlen)
		err[0] = '\0';
	if (!json || !len)
		return fail(&e, "empty document"), NULL;
	doc = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!end || end < json || end > json + len)
		end = json + len;
	if (!doc)
		return fail(&e, "offset %zu: not valid JSON (truncated or corrupted?)",
			    (size_t)(end - json)), NULL;
	for (const char *s = end; s < json + len; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
			fail(&e, "offset %zu: text after the document", (size_t)(s - json));
			goto out;
		}
	p = parse_document(doc, max_per_category, &e);
out:
	cJSON_Delete(doc);
	return p;
}

/* ---- YAML ---------------------------------------------------------------- */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Can s be written as a plain scalar and read back as the same string?
 * Only a conservative set: starts with '/' or a letter, made of
 * [A-Za-z0-9/._:*@+=,<[] -], no ": ", not ending in ':' or ' ', and not a
 * word YAML would read as a boolean or null. */
static bool yaml_plain(const char *s, size_t len)
{
	static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null",
					    "y", "n", "~"};

	if (!len || !(s[0] == '/' || is_alpha(s[0])) || s[len - 1] == ':' || s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!(is_alpha(c) || (c >= '0' && c <= '9') || (c && strchr("/._:*@+=,<[] -", c))))
			return false;
		if (c == ':' && i + 1 < len && s[i + 1] == ' ')
			return false;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == len && !strncasecmp(words[i], s, len))
			return false;
	return true;
}

/* The code point of a well-formed sequence of n bytes. */
static unsigned code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	unsigned cp = s[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* Double-quoted with escapes: control characters, Unicode line breaks,
 * non-characters and the bytes of invalid UTF-8 as \xNN / \uNNNN, so any
 * key is valid YAML and any UTF-8 key reads back as itself (an invalid
 * byte reads back as the code point of the same number). */
static void yaml_quoted(FILE *f, const char *key, size_t len)
{
	const unsigned char *s = (const unsigned char *)key;

	fputc('"', f);
	for (size_t i = 0, n; i < len; i += n) {
		unsigned cp;

		n = utf8_length(s + i, len - i);
		if (!n) {
			fprintf(f, "\\x%02x", s[i]);
			n = 1;
			continue;
		}
		cp = code_point(s + i, n);
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fprintf(f, "\\x%02x", cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
			fprintf(f, "\\u%04x", cp);	/* line breaks to YAML even in quotes */
		else
			fwrite(s + i, 1, n, f);
	}
	fputc('"', f);
}

static void yaml_time(char *buf, size_t cap, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, cap, "?");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void yaml_entry(FILE *f, const char *indent, enum profile_category c,
		       const struct entry *e)
{
	char first[40], last[40];
	bool literal = !e->general && looks_general(c, e->key, e->len);

	yaml_time(first, sizeof(first), e->first);
	yaml_time(last, sizeof(last), e->last);
	fprintf(f, "%s  - ", indent);
	if (yaml_plain(e->key, e->len) && !literal)
		fwrite(e->key, 1, e->len, f);
	else
		yaml_quoted(f, e->key, e->len);
	fprintf(f, "  # %sseen %llu time%s, first %s, last %s\n",
		e->general ? "generalised, " : literal ? "this very name, " : "",
		(unsigned long long)e->count, e->count == 1 ? "" : "s", first, last);
}

void profile_write_yaml(const struct profile *p, FILE *f, const char *indent)
{
	static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	bool rates = false;

	if (!indent)
		indent = "";
	for (int c = 0; c < PROF_CATEGORIES; c++) {
		const struct category *cat = &p->cats[c];
		struct entry **all;
		size_t n;

		if (!cat->entries.count)
			continue;
		fprintf(f, "%s%s:\n", indent, category_names[c]);
		all = sorted_entries(cat, &n);
		if (!all) {
			fprintf(f, "%s  []  # out of memory listing %zu entries\n", indent, n);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			yaml_entry(f, indent, c, all[i]);
		free(all);
	}
	for (int r = 0; r < RATE_KINDS; r++)
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			if (!p->rate_sum[r][b])
				continue;
			if (!rates)
				fprintf(f, "%srates:  # hours of the week (UTC) with events\n", indent);
			rates = true;
			fprintf(f, "%s  - %s %02d:00 %s mean %.1f over %u h\n", indent, days[b / 24],
				b % 24, rate_names[r],
				(double)p->rate_sum[r][b] / p->rate_hours[r][b], p->rate_hours[r][b]);
		}
}

/* profile.c - a workload's learned behaviours (see profile.h).
 *
 * Each category is a chained hash map from key to entry.  Generalised
 * entries are ordinary entries whose key ends in "/\*" (any path below the
 * directory) or names an address range ("tcp 10.1.2.\*:443", "tcp \*:443";
 * IPv6 peers generalise straight to "proto \*:port").  A lookup tries the
 * exact key, then each generalisation that could cover it, building the
 * candidate keys in a stack buffer: no allocation.
 */
#include "profile.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/time_format.h"

#define KEY_MAX 2048		/* longer keys are cut when learned */
#define NS_PER_HOUR (3600ULL * 1000000000ULL)

struct entry {
	char *key;
	size_t len;
	uint64_t hash;
	uint64_t first, last, count;
	struct entry *next;
};

struct category_map {
	struct entry **buckets;
	size_t nbuckets, count;
};

struct profile {
	size_t max;
	struct category_map cats[PROF_CATEGORIES];
	uint64_t rate_sum[RATE_KINDS][HOURS_PER_WEEK];
	uint32_t rate_hours[RATE_KINDS][HOURS_PER_WEEK];
	uint64_t current_hour;		/* unix hours of the hour being counted, 0 none */
	uint64_t current[RATE_KINDS];
	uint64_t refused;		/* new keys refused at the bound */
};

static const char *const category_names[PROF_CATEGORIES] = {
	"exec", "read", "write", "create", "net_out", "listen", "net_in", "syscall", "priv",
};
static const char *const rate_names[RATE_KINDS] = {"exec", "file", "network"};

const char *profile_category_name(enum profile_category c)
{
	return c < PROF_CATEGORIES ? category_names[c] : "unknown";
}

int profile_category_from_name(const char *name)
{
	for (int i = 0; i < PROF_CATEGORIES; i++)
		if (!strcmp(category_names[i], name))
			return i;
	return -1;
}

static bool is_path_category(enum profile_category c)
{
	return c == PROF_READ || c == PROF_WRITE || c == PROF_CREATE;
}

static uint64_t hash_key(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ^ (h >> 31);
}

/* ---- the hash maps ---------------------------------------------------- */

static struct entry *map_find(const struct category_map *m, const char *key, size_t len)
{
	uint64_t h;

	if (!m->nbuckets)
		return NULL;
	h = hash_key(key, len);
	for (struct entry *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && e->len == len && !memcmp(e->key, key, len))
			return e;
	return NULL;
}

static int map_grow(struct category_map *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
	return 0;
}

static struct entry *map_add(struct category_map *m, const char *key, size_t len)
{
	struct entry *e;

	if (m->count >= m->nbuckets && map_grow(m))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = malloc(len + 1))) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->len = len;
	e->hash = hash_key(key, len);
	e->next = m->buckets[e->hash & (m->nbuckets - 1)];
	m->buckets[e->hash & (m->nbuckets - 1)] = e;
	m->count++;
	return e;
}

static void map_remove(struct category_map *m, struct entry *victim)
{
	struct entry **link = &m->buckets[victim->hash & (m->nbuckets - 1)];

	while (*link && *link != victim)
		link = &(*link)->next;
	if (*link) {
		*link = victim->next;
		m->count--;
		free(victim->key);
		free(victim);
	}
}

static void map_free(struct category_map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

/* Every entry, in an array the caller frees (NULL when empty or no memory). */
static struct entry **map_list(const struct category_map *m, size_t *n)
{
	struct entry **all = malloc((m->count + 1) * sizeof(*all));

	*n = 0;
	if (!all)
		return NULL;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i]; e; e = e->next)
			all[(*n)++] = e;
	return all;
}

struct profile *profile_new(size_t max_per_category)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (p)
		p->max = max_per_category ? max_per_category : PROFILE_DEFAULT_MAX;
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (int c = 0; c < PROF_CATEGORIES; c++)
		map_free(&p->cats[c]);
	free(p);
}

size_t profile_size(const struct profile *p, enum profile_category c)
{
	return c < PROF_CATEGORIES ? p->cats[c].count : 0;
}

/* ---- generalisations --------------------------------------------------- */

/* "unix /run/x.sock" generalises like the path it names. */
static size_t path_start(enum profile_category c, const char *key, size_t len)
{
	if (is_path_category(c))
		return len && key[0] == '/' ? 0 : len;
	if (c == PROF_NET_OUT && len > 6 && !memcmp(key, "unix /", 6))
		return 5;
	return len;
}

/* A net key "proto ADDR:port" split: proto length, address, port. */
struct peer {
	size_t proto_len;
	const char *addr;
	size_t addr_len;
	const char *port;	/* after the last ':' */
	size_t port_len;
	bool v6;
};

static bool split_peer(const char *key, size_t len, struct peer *pr)
{
	const char *sp = memchr(key, ' ', len), *colon;

	if (!sp || len < 4 || !memcmp(key, "unix ", 5))
		return false;
	colon = memrchr(sp, ':', len - (size_t)(sp - key));
	if (!colon || colon == sp + 1)
		return false;
	pr->proto_len = (size_t)(sp - key);
	pr->addr = sp + 1;
	pr->addr_len = (size_t)(colon - pr->addr);
	pr->port = colon + 1;
	pr->port_len = len - (size_t)(pr->port - key);
	pr->v6 = pr->addr_len && pr->addr[0] == '[';
	return pr->addr_len > 0;
}

/* "tcp 10.1.2.*:443" for an IPv4 peer; 0 when the address is not one. */
static size_t peer_range(const char *key, const struct peer *pr, char *out, size_t cap)
{
	const char *dot = pr->v6 ? NULL : memrchr(pr->addr, '.', pr->addr_len);
	int n;

	if (!dot || (pr->addr_len == 1 && pr->addr[0] == '*') || dot[1] == '*')
		return 0;
	n = snprintf(out, cap, "%.*s %.*s.*:%.*s", (int)pr->proto_len, key,
		     (int)(dot - pr->addr), pr->addr, (int)pr->port_len, pr->port);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t peer_any(const char *key, const struct peer *pr, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%.*s *:%.*s", (int)pr->proto_len, key, (int)pr->port_len,
			 pr->port);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The entry covering key, or NULL.  Tries exact, then "DIR/\*" for each
 * ancestor, then the address range and "any address" of a peer. */
static struct entry *covering(const struct profile *p, enum profile_category c, const char *key,
			      size_t len)
{
	const struct category_map *m = &p->cats[c];
	struct entry *e = map_find(m, key, len);
	char buf[KEY_MAX + 8];
	size_t start = path_start(c, key, len);
	struct peer pr;

	if (e || len > KEY_MAX)
		return e;
	if (start < len) {
		for (size_t i = len; i-- > start;) {
			if (key[i] != '/')
				continue;
			memcpy(buf, key, i + 1);
			buf[i + 1] = '*';
			if ((e = map_find(m, buf, i + 2)))
				return e;
		}
		return NULL;
	}
	if (c == PROF_NET_OUT && split_peer(key, len, &pr)) {
		size_t n = peer_range(key, &pr, buf, sizeof(buf));

		if (n && (e = map_find(m, buf, n)))
			return e;
		n = peer_any(key, &pr, buf, sizeof(buf));
		if (n)
			return map_find(m, buf, n);
	}
	return NULL;
}

bool profile_covers(const struct profile *p, enum profile_category c, const char *key,
		    size_t len, struct profile_entry_info *info)
{
	const struct entry *e = c < PROF_CATEGORIES ? covering(p, c, key, len) : NULL;

	if (e && info) {
		info->key = e->key;
		info->first_seen_ns = e->first;
		info->last_seen_ns = e->last;
		info->count = e->count;
	}
	return e != NULL;
}

/* Merge the stats of from into into, then drop from. */
static void absorb(struct category_map *m, struct entry *into, struct entry *from)
{
	if (from->first < into->first || !into->first)
		into->first = from->first;
	if (from->last > into->last)
		into->last = from->last;
	into->count += from->count;
	map_remove(m, from);
}

static struct entry *get_or_add(struct category_map *m, const char *key, size_t len,
				const struct entry *stats)
{
	struct entry *e = map_find(m, key, len);

	if (!e) {
		e = map_add(m, key, len);
		if (!e)
			return NULL;
		e->first = stats->first;
	}
	if (stats->first && stats->first < e->first)
		e->first = stats->first;
	if (stats->last > e->last)
		e->last = stats->last;
	return e;
}

/* Replace every entry below dir (dir_len bytes, ending with '/') by "dir*". */
static void fold_directory(struct category_map *m, const char *dir, size_t dir_len)
{
	char key[KEY_MAX + 2];
	struct entry stats = {0}, *gen, **all;
	size_t n;

	memcpy(key, dir, dir_len);
	key[dir_len] = '*';
	gen = get_or_add(m, key, dir_len + 1, &stats);
	all = map_list(m, &n);
	if (!gen || !all) {
		free(all);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (all[i] != gen && all[i]->len > dir_len && !memcmp(all[i]->key, dir, dir_len))
			absorb(m, gen, all[i]);
	free(all);
}

/* Distinct names directly below dir (an entry deeper counts its first
 * component once). */
static size_t children_of(const struct category_map *m, const char *dir, size_t dir_len)
{
	struct entry **all;
	size_t n, count = 0;

	all = map_list(m, &n);
	if (!all)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = all[i];
		const char *rest, *slash;
		bool seen = false;

		if (e->len <= dir_len || memcmp(e->key, dir, dir_len))
			continue;
		rest = e->key + dir_len;
		slash = strchr(rest, '/');
		size_t clen = slash ? (size_t)(slash - rest) : strlen(rest);

		for (size_t j = 0; j < i && !seen; j++) {	/* same child seen already? */
			const struct entry *o = all[j];

			seen = o->len > dir_len + clen && !memcmp(o->key, dir, dir_len) &&
			       !memcmp(o->key + dir_len, rest, clen) &&
			       (o->key[dir_len + clen] == '/' || o->key[dir_len + clen] == '\0');
			seen = seen || (o->len == dir_len + clen && !memcmp(o->key, e->key, dir_len + clen));
		}
		count += !seen;
	}
	free(all);
	return count;
}

static void generalise_path(struct category_map *m, const char *key, size_t len, size_t start)
{
	const char *slash = memrchr(key + start, '/', len - start);

	/* every ancestor: /var/cache/app/req-N/body has one name below
	 * req-N but many below app */
	while (slash && slash > key + start) {
		size_t dir_len = (size_t)(slash - key) + 1;

		if (children_of(m, key, dir_len) > PROFILE_DIR_FANOUT)
			fold_directory(m, key, dir_len);
		slash = memrchr(key + start, '/', dir_len - 1 - start);
	}
}

/* Peers on one port: many addresses become /24 ranges, many ranges "any". */
static void generalise_peer(struct category_map *m, const char *key, size_t len)
{
	struct peer pr, o;
	struct entry **all, stats = {0};
	size_t n, exact = 0, ranges = 0;
	char buf[KEY_MAX + 8], mine[KEY_MAX + 8];

	if (!split_peer(key, len, &pr) || !(all = map_list(m, &n)))
		return;
	for (size_t i = 0; i < n; i++) {
		if (!split_peer(all[i]->key, all[i]->len, &o) || o.proto_len != pr.proto_len ||
		    memcmp(all[i]->key, key, pr.proto_len) || o.port_len != pr.port_len ||
		    memcmp(o.port, pr.port, pr.port_len) || (o.addr_len == 1 && o.addr[0] == '*'))
			continue;
		if (o.addr[o.addr_len - 1] == '*')
			ranges++;
		else
			exact++;
	}
	if (exact > PROFILE_PEER_FANOUT || ranges > PROFILE_PEER_FANOUT) {
		size_t any_len = peer_any(key, &pr, mine, sizeof(mine));

		for (size_t i = 0; i < n; i++) {
			size_t gl;

			if (!split_peer(all[i]->key, all[i]->len, &o) || o.proto_len != pr.proto_len ||
			    memcmp(all[i]->key, key, pr.proto_len) || o.port_len != pr.port_len ||
			    memcmp(o.port, pr.port, pr.port_len) || (o.addr_len == 1 && o.addr[0] == '*'))
				continue;
			gl = ranges > PROFILE_PEER_FANOUT || o.v6 ? any_len :
			     peer_range(all[i]->key, &o, buf, sizeof(buf));
			if (!gl || (gl == all[i]->len && !memcmp(all[i]->key, gl == any_len &&
			    ranges > PROFILE_PEER_FANOUT ? mine : buf, gl)))
				continue;
			struct entry *g = get_or_add(m, gl == any_len && (ranges > PROFILE_PEER_FANOUT ||
						     o.v6) ? mine : buf, gl, &stats);

			if (g && g != all[i])
				absorb(m, g, all[i]);
		}
	}
	free(all);
	if (ranges <= PROFILE_PEER_FANOUT && exact > PROFILE_PEER_FANOUT)
		generalise_peer(m, key, len);	/* the new ranges may be many too */
}

/* Over the bound: fold the directory (or port) holding the most entries. */
static bool make_room(struct profile *p, enum profile_category c)
{
	struct category_map *m = &p->cats[c];
	struct entry **all;
	size_t n, best_count = 0, best_len = 0;
	char best[KEY_MAX + 2];

	if (!is_path_category(c) && c != PROF_NET_OUT)
		return false;
	all = map_list(m, &n);
	if (!all)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *slash = memrchr(all[i]->key, '/', all[i]->len);
		size_t dl, count = 0;

		if (!slash || slash == all[i]->key)
			continue;
		dl = (size_t)(slash - all[i]->key) + 1;
		if (all[i]->key[all[i]->len - 1] == '*' && dl == all[i]->len - 1) {
			/* "D/\*": fold one level up */
			const char *up = memrchr(all[i]->key, '/', dl - 1);

			if (!up || up == all[i]->key)
				continue;
			dl = (size_t)(up - all[i]->key) + 1;
		}
		for (size_t j = 0; j < n; j++)
			count += all[j]->len > dl && !memcmp(all[j]->key, all[i]->key, dl);
		if (count > best_count) {
			best_count = count;
			best_len = dl;
			memcpy(best, all[i]->key, dl);
		}
	}
	free(all);
	if (best_count < 2)
		return false;
	fold_directory(m, best, best_len);
	return true;
}

bool profile_learn(struct profile *p, enum profile_category c, const char *key, size_t len,
		   uint64_t now_ns)
{
	struct category_map *m;
	struct entry *e;
	size_t start;

	if (c >= PROF_CATEGORIES || !len)
		return false;
	if (len > KEY_MAX)
		len = KEY_MAX;
	m = &p->cats[c];
	e = covering(p, c, key, len);
	if (e) {
		e->count++;
		if (now_ns > e->last)
			e->last = now_ns;
		return false;
	}
	e = map_add(m, key, len);
	if (!e)
		return true;
	e->first = e->last = now_ns;
	e->count = 1;
	start = path_start(c, key, len);
	if (start < len)
		generalise_path(m, key, len, start);
	else if (c == PROF_NET_OUT)
		generalise_peer(m, key, len);
	while (m->count > p->max) {
		if (!make_room(p, c)) {
			/* nothing to fold: keep what is known, refuse the newcomer */
			struct entry *mine = map_find(m, key, len);

			if (mine)
				map_remove(m, mine);
			p->refused++;
			break;
		}
	}
	return true;
}

/* ---- hour-of-week rates ------------------------------------------------ */

static unsigned hour_of_week(uint64_t unix_hour)
{
	return (unsigned)((unix_hour + 72) % HOURS_PER_WEEK);	/* 1970-01-01 was a Thursday */
}

/* Close the hours between the one counted and now: the finished hour
 * with its counts, hours in between (seen passing) with zero. */
static void advance_hour(struct profile *p, uint64_t hour)
{
	if (!p->current_hour || hour <= p->current_hour) {
		if (!p->current_hour)
			p->current_hour = hour;
		return;
	}
	if (hour - p->current_hour < HOURS_PER_WEEK) {
		for (int r = 0; r < RATE_KINDS; r++) {
			unsigned b = hour_of_week(p->current_hour);

			p->rate_sum[r][b] += p->current[r];
			p->rate_hours[r][b]++;
			for (uint64_t h = p->current_hour + 1; h < hour; h++)
				p->rate_hours[r][hour_of_week(h)]++;
		}
	}
	memset(p->current, 0, sizeof(p->current));
	p->current_hour = hour;
}

void profile_count(struct profile *p, enum profile_rate r, uint64_t now_ns)
{
	if (r >= RATE_KINDS)
		return;
	advance_hour(p, now_ns / NS_PER_HOUR);
	p->current[r]++;
}

void profile_rate_expected(const struct profile *p, enum profile_rate r, uint64_t now_ns,
			   double *mean, unsigned *hours)
{
	unsigned b = hour_of_week(now_ns / NS_PER_HOUR);

	*mean = 0;
	*hours = 0;
	if (r >= RATE_KINDS)
		return;
	*hours = p->rate_hours[r][b];
	if (*hours)
		*mean = (double)p->rate_sum[r][b] / *hours;
}

uint64_t profile_rate_current(const struct profile *p, enum profile_rate r)
{
	return r < RATE_KINDS ? p->current[r] : 0;
}

/* ---- listing, merging -------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;

	return strcmp(x->key, y->key);
}

void profile_each(const struct profile *p, enum profile_category c,
		  void (*fn)(void *ctx, const struct profile_entry_info *e), void *ctx)
{
	size_t n;
	struct entry **all;

	if (c >= PROF_CATEGORIES || !(all = map_list(&p->cats[c], &n)))
		return;
	qsort(all, n, sizeof(*all), by_key);
	for (size_t i = 0; i < n; i++) {
		struct profile_entry_info info = {all[i]->key, all[i]->first, all[i]->last,
						  all[i]->count};

		fn(ctx, &info);
	}
	free(all);
}

struct merge_ctx {
	struct profile *dst;
	enum profile_category c;
};

static void merge_entry(void *arg, const struct profile_entry_info *info)
{
	struct merge_ctx *mc = arg;
	struct entry *e;

	profile_learn(mc->dst, mc->c, info->key, strlen(info->key), info->first_seen_ns);
	e = covering(mc->dst, mc->c, info->key, strlen(info->key));
	if (e) {
		if (info->last_seen_ns > e->last)
			e->last = info->last_seen_ns;
		e->count += info->count ? info->count - 1 : 0;
	}
}

void profile_merge(struct profile *dst, const struct profile *src)
{
	for (int c = 0; c < PROF_CATEGORIES; c++) {
		struct merge_ctx mc = {dst, c};

		profile_each(src, c, merge_entry, &mc);
	}
	for (int r = 0; r < RATE_KINDS; r++)
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			dst->rate_sum[r][b] += src->rate_sum[r][b];
			dst->rate_hours[r][b] += src->rate_hours[r][b];
		}
}

/* ---- JSON ---------------------------------------------------------------- */

static cJSON *u64_string(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cJSON_CreateString(buf);
}

static void add_entry_json(void *arg, const struct profile_entry_info *e)
{
	cJSON *row = cJSON_CreateArray();

	if (!row)
		return;
	cJSON_AddItemToArray(row, cJSON_CreateString(e->key));
	cJSON_AddItemToArray(row, u64_string(e->first_seen_ns));
	cJSON_AddItemToArray(row, u64_string(e->last_seen_ns));
	cJSON_AddItemToArray(row, u64_string(e->count));
	cJSON_AddItemToArray(arg, row);
}

char *profile_to_json(const struct profile *p)
{
	cJSON *o = cJSON_CreateObject(), *cats = cJSON_CreateObject(), *rates = cJSON_CreateObject();
	cJSON *cur = cJSON_CreateArray();
	char *text;

	if (!o || !cats || !rates || !cur) {
		cJSON_Delete(o);
		cJSON_Delete(cats);
		cJSON_Delete(rates);
		cJSON_Delete(cur);
		return NULL;
	}
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddNumberToObject(o, "max", (double)p->max);
	for (int c = 0; c < PROF_CATEGORIES; c++) {
		cJSON *list = cJSON_CreateArray();

		profile_each(p, c, add_entry_json, list);
		cJSON_AddItemToObject(cats, category_names[c], list);
	}
	cJSON_AddItemToObject(o, "categories", cats);
	for (int r = 0; r < RATE_KINDS; r++) {
		cJSON *kind = cJSON_CreateObject(), *sum = cJSON_CreateArray(),
		      *hours = cJSON_CreateArray();

		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			cJSON_AddItemToArray(sum, u64_string(p->rate_sum[r][b]));
			cJSON_AddItemToArray(hours, cJSON_CreateNumber(p->rate_hours[r][b]));
		}
		cJSON_AddItemToObject(kind, "sum", sum);
		cJSON_AddItemToObject(kind, "hours", hours);
		cJSON_AddItemToObject(rates, rate_names[r], kind);
		cJSON_AddItemToArray(cur, u64_string(p->current[r]));
	}
	cJSON_AddItemToObject(o, "rates", rates);
	cJSON_AddItemToObject(o, "current_hour", u64_string(p->current_hour));
	cJSON_AddItemToObject(o, "current", cur);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static bool parse_u64(const cJSON *v, uint64_t *out)
{
	char *end;

	if (!cJSON_IsString(v) || !v->valuestring[0] || v->valuestring[0] == '-' ||
	    v->valuestring[0] == '+' || v->valuestring[0] == ' ')
		return false;
	errno = 0;
	*out = strtoull(v->valuestring, &end, 10);
	return !*end && !errno;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, int i, const char *b)
{
	snprintf(err, errlen, fmt, a, i, b);
	return -1;
}

static int parse_category(struct profile *p, int c, const cJSON *list, char *err, size_t errlen)
{
	const char *name = category_names[c];
	int i = 0;
	const cJSON *row;

	if (!cJSON_IsArray(list))
		return fail(err, errlen, "categories.%s%.0d%s: missing or not a list", name, 0, "");
	if ((size_t)cJSON_GetArraySize(list) > p->max)
		return fail(err, errlen, "categories.%s: more entries than the bound%.0d%s", name, 0, "");
	cJSON_ArrayForEach(row, list) {
		const cJSON *key = cJSON_GetArrayItem(row, 0);
		uint64_t first, last, count;
		struct entry *e;

		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 4 || !cJSON_IsString(key) ||
		    !key->valuestring[0] || strlen(key->valuestring) > KEY_MAX)
			return fail(err, errlen, "categories.%s[%d]: %s", name, i,
				    "not [key, first, last, count]");
		if (!parse_u64(cJSON_GetArrayItem(row, 1), &first) ||
		    !parse_u64(cJSON_GetArrayItem(row, 2), &last) ||
		    !parse_u64(cJSON_GetArrayItem(row, 3), &count) || last < first)
			return fail(err, errlen, "categories.%s[%d]: %s", name, i,
				    "first, last, count must be number strings, last >= first");
		if (map_find(&p->cats[c], key->valuestring, strlen(key->valuestring)))
			return fail(err, errlen, "categories.%s[%d]: %s", name, i, "duplicate key");
		e = map_add(&p->cats[c], key->valuestring, strlen(key->valuestring));
		if (!e)
			return fail(err, errlen, "categories.%s[%d]: %s", name, i, "out of memory");
		e->first = first;
		e->last = last;
		e->count = count;
		i++;
	}
	return 0;
}

static int parse_rates(struct profile *p, const cJSON *rates, char *err, size_t errlen)
{
	for (int r = 0; r < RATE_KINDS; r++) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rates, rate_names[r]);
		const cJSON *sum = cJSON_GetObjectItemCaseSensitive(kind, "sum");
		const cJSON *hours = cJSON_GetObjectItemCaseSensitive(kind, "hours");

		if (!cJSON_IsArray(sum) || !cJSON_IsArray(hours) ||
		    cJSON_GetArraySize(sum) != HOURS_PER_WEEK ||
		    cJSON_GetArraySize(hours) != HOURS_PER_WEEK)
			return fail(err, errlen, "rates.%s%.0d%s: want sum and hours, 168 each",
				    rate_names[r], 0, "");
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			const cJSON *h = cJSON_GetArrayItem(hours, b);

			if (!parse_u64(cJSON_GetArrayItem(sum, b), &p->rate_sum[r][b]) ||
			    !cJSON_IsNumber(h) || h->valuedouble < 0 || h->valuedouble > 1e9 ||
			    h->valuedouble != (double)(uint32_t)h->valuedouble)
				return fail(err, errlen, "rates.%s[%d]: %s", rate_names[r], b,
					    "bad sum or hours");
			p->rate_hours[r][b] = (uint32_t)h->valuedouble;
		}
	}
	return 0;
}

struct profile *profile_parse(const char *json, size_t len, size_t max_per_category,
			      char *err, size_t errlen)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *v, *cats, *cur;
	struct profile *p = NULL;

	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "not a JSON object (truncated or corrupted?)");
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		snprintf(err, errlen, "version: missing or not 1");
		goto fail;
	}
	p = profile_new(max_per_category);
	cats = cJSON_GetObjectItemCaseSensitive(o, "categories");
	cur = cJSON_GetObjectItemCaseSensitive(o, "current");
	if (!p || !cJSON_IsObject(cats)) {
		snprintf(err, errlen, p ? "categories: missing or not an object" : "out of memory");
		goto fail;
	}
	for (int c = 0; c < PROF_CATEGORIES; c++)
		if (parse_category(p, c, cJSON_GetObjectItemCaseSensitive(cats, category_names[c]),
				   err, errlen))
			goto fail;
	if (parse_rates(p, cJSON_GetObjectItemCaseSensitive(o, "rates"), err, errlen))
		goto fail;
	if (!parse_u64(cJSON_GetObjectItemCaseSensitive(o, "current_hour"), &p->current_hour) ||
	    !cJSON_IsArray(cur) || cJSON_GetArraySize(cur) != RATE_KINDS) {
		snprintf(err, errlen, "current_hour/current: missing or malformed");
		goto fail;
	}
	for (int r = 0; r < RATE_KINDS; r++)
		if (!parse_u64(cJSON_GetArrayItem(cur, r), &p->current[r])) {
			snprintf(err, errlen, "current[%d]: not a number string", r);
			goto fail;
		}
	cJSON_Delete(o);
	return p;
fail:
	profile_free(p);
	cJSON_Delete(o);
	return NULL;
}

/* ---- YAML ---------------------------------------------------------------- */

/* Plain when it cannot be misread; double-quoted with escapes otherwise
 * (monitored processes choose file names). */
static void yaml_scalar(FILE *f, const char *s)
{
	size_t len = strlen(s);
	bool plain = len > 0 && (strchr("/._", s[0]) || (s[0] >= 'a' && s[0] <= 'z') ||
				 (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')) &&
		     s[len - 1] != ':' && s[len - 1] != ' ' && !strstr(s, ": ") &&
		     !strstr(s, " #");

	for (const char *c = s; plain && *c; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || strchr("/._:*@+=,<>[] -", *c);
	if (plain && !strpbrk(s, "[]")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

struct yaml_ctx {
	FILE *f;
	const char *indent;
};

static void yaml_entry(void *arg, const struct profile_entry_info *e)
{
	struct yaml_ctx *y = arg;
	char first[48];
	size_t len = strlen(e->key);

	format_rfc3339_ns(first, sizeof(first), e->first_seen_ns);
	fprintf(y->f, "%s  - ", y->indent);
	yaml_scalar(y->f, e->key);
	fprintf(y->f, "  # %s%llu times, first %.19sZ\n",
		len > 1 && e->key[len - 1] == '*' ? "generalised, " : "",
		(unsigned long long)e->count, first);
}

void profile_write_yaml(const struct profile *p, FILE *f, const char *indent)
{
	static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	struct yaml_ctx y = {f, indent ? indent : ""};
	bool any = false;

	for (int c = 0; c < PROF_CATEGORIES; c++) {
		if (!p->cats[c].count)
			continue;
		fprintf(f, "%s%s:\n", y.indent, category_names[c]);
		profile_each(p, c, yaml_entry, &y);
	}
	for (int r = 0; r < RATE_KINDS; r++)
		for (int b = 0; b < HOURS_PER_WEEK; b++) {
			if (!p->rate_hours[r][b])
				continue;
			if (!any)
				fprintf(f, "%srates:\n", y.indent);
			any = true;
			fprintf(f, "%s  - {kind: %s, when: \"%s %02d:00\", mean: %.1f, hours: %u}\n",
				y.indent, rate_names[r], days[b / 24], b % 24,
				(double)p->rate_sum[r][b] / p->rate_hours[r][b], p->rate_hours[r][b]);
		}
}

/* store_query.c - options, SQL building and safe printing for the
 * store's commands. */
#include "store/store_query.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/event_names.h"
#include "store/store_args.h"
#include "store/store_db.h"

#define QOPT_DB (1u << 31)	/* every command takes --db FILE */

static const struct {
	const char *name;
	unsigned bit;
	bool value;
	const char *help;
} options[] = {
	{"--workload", QOPT_WORKLOAD, true, "container id (or prefix), pod, or 'host'"},
	{"--container", QOPT_CONTAINER, true, "container name, id or id prefix"},
	{"--pod", QOPT_POD, true, "pod name, or NAMESPACE/NAME"},
	{"--type", QOPT_TYPE, true, "event types, e.g. exec,open,connect"},
	{"--process", QOPT_PROCESS, true, "pid, or executable (glob; a bare name matches any directory)"},
	{"--path", QOPT_PATH, true, "file path or peer (glob)"},
	{"--since", QOPT_SINCE, true, "RFC 3339 time, or a duration ago (10m, 2h, 7d)"},
	{"--until", QOPT_UNTIL, true, "RFC 3339 time, or a duration ago"},
	{"--limit", QOPT_LIMIT, true, "at most N rows, the latest (0: all)"},
	{"--json", QOPT_JSON, false, "one JSON object per line"},
	{"--db", QOPT_DB, true, "the audit database (default STATE_DIR/audit.db)"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void print_usage(const char *cmd, unsigned allowed)
{
	printf("usage: vigil %s%s [options]\n\noptions:\n", cmd,
	       allowed & QOPT_ID ? " ID" : "");
	for (size_t i = 0; i < NOPTIONS; i++)
		if (allowed & options[i].bit)
			printf("  %-12s %s %s\n", options[i].name, options[i].value ? "V" : " ",
			       options[i].help);
}

static int bad(const char *cmd, const char *opt, const char *what)
{
	fprintf(stderr, "vigil %s: %s: %s\n", cmd, opt, what);
	return 2;
}

/* "exec,open" into q->types, each name checked. */
static int parse_types(struct query *q, const char *cmd, const char *csv)
{
	char *save = NULL, *item;

	if (strlen(csv) >= sizeof(q->types_buf))
		return bad(cmd, "--type", "list too long");
	strcpy(q->types_buf, csv);
	for (item = strtok_r(q->types_buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		if (event_type_from_name(item) < 0 && strcmp(item, "model_mode") != 0) {
			char what[256];
			snprintf(what, sizeof(what), "unknown event type '%.64s' (known: exec, exit, "
				 "open, connect, ... as in `vigil run --help`, and model_mode)", item);
			return bad(cmd, "--type", what);
		}
		if (q->ntypes == QUERY_MAX_TYPES)
			return bad(cmd, "--type", "too many types");
		q->types[q->ntypes++] = item;
	}
	if (!q->ntypes)
		return bad(cmd, "--type", "no event type given");
	return 0;
}

static int set_value(struct query *q, const char *cmd, unsigned bit, const char *opt,
		     const char *v)
{
	char err[256];
	uint64_t now = query_now_ns();

	switch (bit) {
	case QOPT_WORKLOAD: q->workload = v; break;
	case QOPT_CONTAINER: q->container = v; break;
	case QOPT_POD: q->pod = v; break;
	case QOPT_PROCESS: q->process = v; break;
	case QOPT_PATH: q->path = v; break;
	case QOPT_DB: q->db_path = v; break;
	case QOPT_TYPE: return parse_types(q, cmd, v);
	case QOPT_SINCE:
		q->has_since = true;
		return store_parse_time(v, now, &q->since, err, sizeof(err)) ? bad(cmd, opt, err) : 0;
	case QOPT_UNTIL:
		q->has_until = true;
		return store_parse_time(v, now, &q->until, err, sizeof(err)) ? bad(cmd, opt, err) : 0;
	case QOPT_LIMIT:
		return store_parse_count(v, 100000000, &q->limit, err, sizeof(err)) ?
			bad(cmd, opt, err) : 0;
	}
	return 0;
}

/* One argument (and maybe the next): returns args used, or -code. */
static int parse_one(struct query *q, const char *cmd, unsigned allowed, char **argv, int left)
{
	const char *arg = argv[0], *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	char err[160];
	int rc;

	if (arg[0] != '-' && (allowed & QOPT_ID) && !q->has_id) {
		if (store_parse_count(arg, INT64_MAX, &q->id, err, sizeof(err)))
			return -bad(cmd, "incident id", err);
		q->has_id = true;
		return 1;
	}
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (!(allowed & options[i].bit) || strlen(options[i].name) != nlen ||
		    strncmp(arg, options[i].name, nlen) != 0)
			continue;
		if (!options[i].value) {
			if (eq)
				return -bad(cmd, options[i].name, "takes no value");
			q->json = true;
			return 1;
		}
		if (!eq && left < 2)
			return -bad(cmd, options[i].name, "needs a value");
		rc = set_value(q, cmd, options[i].bit, options[i].name, eq ? eq + 1 : argv[1]);
		return rc ? -rc : eq ? 1 : 2;
	}
	snprintf(err, sizeof(err), "unknown %s (see vigil %s --help)",
		 arg[0] == '-' ? "option" : "argument", cmd);
	fprintf(stderr, "vigil %s: '%.64s': %s\n", cmd, arg, err);
	return -2;
}

int query_parse(struct query *q, const char *cmd, unsigned allowed, uint64_t default_limit,
		int argc, char **argv)
{
	const char *db = q->db_path;

	memset(q, 0, sizeof(*q));
	q->db_path = db;
	q->limit = default_limit;
	allowed |= QOPT_DB;
	for (int i = 1; i < argc;) {
		int used;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_usage(cmd, allowed);
			return 1;
		}
		used = parse_one(q, cmd, allowed, argv + i, argc - i);
		if (used < 0)
			return -used;
		i += used;
	}
	if ((allowed & QOPT_ID) && !q->has_id)
		return bad(cmd, "ID", "missing (which incident? see vigil incidents)");
	if (q->has_since && q->has_until && q->since > q->until)
		return bad(cmd, "--since", "is after --until");
	return 0;
}

/* ---- SQL ------------------------------------------------------------- */

void sql_init(struct sql_builder *b, const char *head)
{
	memset(b, 0, sizeof(*b));
	sql_add(b, "%s", head);
}

void sql_add(struct sql_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->sql + b->len, sizeof(b->sql) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b->sql) - b->len)
		b->failed = true;
	else
		b->len += (size_t)n;
}

int sql_text(struct sql_builder *b, const char *s)
{
	if (b->nbinds == QUERY_MAX_BINDS) {
		b->failed = true;
		return 1;
	}
	b->binds[b->nbinds].is_text = true;
	b->binds[b->nbinds].text = s;
	return ++b->nbinds;
}

int sql_int(struct sql_builder *b, int64_t v)
{
	if (b->nbinds == QUERY_MAX_BINDS) {
		b->failed = true;
		return 1;
	}
	b->binds[b->nbinds].is_text = false;
	b->binds[b->nbinds].num = v;
	return ++b->nbinds;
}

void sql_and(struct sql_builder *b, bool *first)
{
	sql_add(b, *first ? " WHERE " : " AND ");
	*first = false;
}

void sql_container(struct sql_builder *b, bool *first, const char *id_col, const char *name_col,
		   const char *value)
{
	int v = sql_text(b, value);

	sql_and(b, first);
	sql_add(b, "(%s = ?%d OR %s = ?%d OR (length(?%d) >= 4 AND substr(%s, 1, length(?%d)) = ?%d))",
		name_col, v, id_col, v, v, id_col, v, v);
}

void sql_time(struct sql_builder *b, bool *first, const struct query *q, const char *col)
{
	if (q->has_since) {
		sql_and(b, first);
		sql_add(b, "%s >= ?%d", col, sql_int(b, (int64_t)q->since));
	}
	if (q->has_until) {
		sql_and(b, first);
		sql_add(b, "%s <= ?%d", col, sql_int(b, (int64_t)q->until));
	}
}

sqlite3_stmt *sql_prepare(sqlite3 *db, struct sql_builder *b, const char *cmd)
{
	sqlite3_stmt *st = NULL;

	if (b->failed) {
		fprintf(stderr, "vigil %s: query too long\n", cmd);
		return NULL;
	}
	if (sqlite3_prepare_v2(db, b->sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil %s: %s\n", cmd, sqlite3_errmsg(db));
		return NULL;
	}
	for (int i = 0; i < b->nbinds; i++) {
		if (b->binds[i].is_text)
			sqlite3_bind_text(st, i + 1, b->binds[i].text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, b->binds[i].num);
	}
	return st;
}

sqlite3 *query_open(const char *cmd, const char *path)
{
	char err[512];
	sqlite3 *db = store_db_open_reader(path, err, sizeof(err));

	if (!db)
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
	return db;
}

/* ---- printing ---------------------------------------------------------- */

void print_clean(FILE *f, const char *s, int width, bool pad)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int shown = 0;

	while (*p && (width <= 0 || shown < width)) {
		if (*p < 0x20 || *p == 0x7f) {
			fputc('?', f);
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fputc('?', f);	/* C1 controls: 0x9b is a CSI on some terminals */
			p += 2;
		} else {
			do
				fputc(*p++, f);
			while ((*p & 0xc0) == 0x80);	/* the rest of a UTF-8 character */
		}
		shown++;
	}
	for (; pad && shown < width; shown++)
		fputc(' ', f);
}

void format_short_time(char *buf, size_t cap, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%03u", (unsigned)(ns % 1000000000ULL / 1000000));
}

uint64_t query_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

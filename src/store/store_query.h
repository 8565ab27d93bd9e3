/* store_query.h - what the store's commands share: their options (parsed
 * from argv with errors naming the option), an SQL WHERE builder with
 * bound values, and printing of text from the monitored world that is
 * safe on a terminal. */
#ifndef VIGIL_STORE_QUERY_H
#define VIGIL_STORE_QUERY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define QUERY_MAX_TYPES 32
#define QUERY_MAX_BINDS 48

/* Options a command accepts (bits of query_parse's "allowed"). */
enum {
	QOPT_WORKLOAD = 1 << 0, QOPT_CONTAINER = 1 << 1, QOPT_POD = 1 << 2,
	QOPT_TYPE = 1 << 3, QOPT_PROCESS = 1 << 4, QOPT_PATH = 1 << 5,
	QOPT_SINCE = 1 << 6, QOPT_UNTIL = 1 << 7, QOPT_LIMIT = 1 << 8,
	QOPT_JSON = 1 << 9, QOPT_ID = 1 << 10,	/* one positional number */
};

struct query {
	const char *db_path;
	const char *workload, *container, *pod, *process, *path;
	const char *types[QUERY_MAX_TYPES];
	char types_buf[512];
	size_t ntypes;
	uint64_t since, until, limit, id;
	bool has_since, has_until, has_id, json;
};

/* argv[0] is the command's name; options follow ("--since 2h" or
 * "--since=2h").  Returns 0, or 2 after printing "vigil CMD: --opt:
 * what is wrong" on stderr, or 1 after printing help (-h). */
int query_parse(struct query *q, const char *cmd, unsigned allowed, uint64_t default_limit,
		int argc, char **argv);

/* WHERE clauses joined by AND, values bound in order. */
struct sql_builder {
	char sql[8192];
	size_t len;
	bool failed;
	int nbinds;
	struct { bool is_text; const char *text; int64_t num; } binds[QUERY_MAX_BINDS];
};

void sql_init(struct sql_builder *b, const char *head);
void sql_add(struct sql_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a bound value; returns its number for ?N in the SQL. */
int sql_text(struct sql_builder *b, const char *s);
int sql_int(struct sql_builder *b, int64_t v);
/* "WHERE " the first time, " AND " afterwards. */
void sql_and(struct sql_builder *b, bool *first);
/* the container filter: name, full id, or an id prefix (4+ characters) */
void sql_container(struct sql_builder *b, bool *first, const char *id_col, const char *name_col,
		   const char *value);
void sql_time(struct sql_builder *b, bool *first, const struct query *q, const char *col);
sqlite3_stmt *sql_prepare(sqlite3 *db, struct sql_builder *b, const char *cmd);

/* Opens the store read-only; prints the error for cmd on failure. */
sqlite3 *query_open(const char *cmd, const char *path);

/* Text from monitored processes, with control characters (C0, DEL, C1)
 * shown as '?', cut to width characters (0: no limit), padded when pad. */
void print_clean(FILE *f, const char *s, int width, bool pad);

/* "2026-11-28 08:37:21.491" (UTC) */
void format_short_time(char *buf, size_t cap, uint64_t ns);

uint64_t query_now_ns(void);

#endif

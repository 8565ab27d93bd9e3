/* condition.c - lexer and recursive-descent parser for rule conditions.
 *
 * Grammar (Falco's, slightly more permissive):
 *
 *   or_expr    := and_expr { "or" and_expr }
 *   and_expr   := not_expr { "and" not_expr }
 *   not_expr   := "not" not_expr | primary
 *   primary    := "(" or_expr ")" | name [ comparison ]
 *   comparison := "exists" | op value | list_op list
 *   list       := "(" [ item { "," item } ] ")" | item
 *   value      := quoted | "val(" field ")" | bare
 *
 * Tokens are read on demand by the parser rather than by a separate pass,
 * because what a character means depends on where it is: '<' is an operator
 * after a field but part of the bare value "<NA>", and '.' and '[' belong to
 * field names but '/' and '\' to bare values.
 */
#include "rules/condition.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	size_t pos;
	int line, col;
};

struct parser {
	const char *text;
	size_t len;
	struct cursor cur;
	struct cond_error *err;
	bool failed;
	int nesting; /* open parentheses and `not`s on the way to here */
};

/* ---- characters and positions ---- */

static int peek_at(const struct parser *p, size_t ahead)
{
	size_t at = p->cur.pos + ahead;
	return at < p->len ? (unsigned char)p->text[at] : -1;
}

static int peek(const struct parser *p)
{
	return peek_at(p, 0);
}

static bool at_end(const struct parser *p)
{
	return p->cur.pos >= p->len;
}

static void advance(struct parser *p)
{
	if (at_end(p))
		return;
	if (p->text[p->cur.pos] == '\n') {
		p->cur.line++;
		p->cur.col = 1;
	} else {
		p->cur.col++;
	}
	p->cur.pos++;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static void skip_space(struct parser *p)
{
	while (is_space(peek(p)))
		advance(p);
}

static bool is_name_start(int c)
{
	return c >= 0 && (isalpha(c) || c == '_');
}

static bool is_name_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '.');
}

/* Bare values stop only at what separates tokens; everything else, even
 * '\' and '<', is part of the value (Falco writes `endswith \)` and
 * `= <NA>`). */
static bool is_bare_char(int c)
{
	return c > 0 && !is_space(c) && c != '(' && c != ')' && c != ',' &&
	       c != '"' && c != '\'';
}

/* ---- errors ---- */

static void fail_at(struct parser *p, struct cursor at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, struct cursor at, const char *fmt, ...)
{
	if (p->failed)
		return; /* the first error is the one that explains the rest */
	p->failed = true;
	if (!p->err)
		return;
	p->err->line = at.line;
	p->err->col = at.col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
}

static void fail_oom(struct parser *p)
{
	fail_at(p, p->cur, "out of memory");
}

/* A short printable excerpt of the input at the cursor, for messages. */
static void snippet_here(const struct parser *p, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = p->cur.pos; i < p->len && n + 1 < size && n < 24; i++) {
		unsigned char c = (unsigned char)p->text[i];
		if (is_space(c) || (n > 0 && (c == '(' || c == ')' || c == ',')))
			break;
		out[n++] = isprint(c) ? (char)c : '?';
	}
	if (n == 0 && size > 1)
		out[n++] = '?';
	out[n] = '\0';
}

/* ---- allocation ---- */

static char *copy_range(struct parser *p, size_t start, size_t end)
{
	char *s = malloc(end - start + 1);
	if (!s) {
		fail_oom(p);
		return NULL;
	}
	memcpy(s, p->text + start, end - start);
	s[end - start] = '\0';
	return s;
}

static struct cond_node *new_node(struct parser *p, enum cond_node_kind kind,
				  struct cursor at)
{
	struct cond_node *n = calloc(1, sizeof(*n));
	if (!n) {
		fail_oom(p);
		return NULL;
	}
	n->kind = kind;
	n->line = at.line;
	n->col = at.col;
	return n;
}

void cond_free(struct cond_node *n)
{
	if (!n)
		return;
	cond_free(n->left);
	cond_free(n->right);
	free(n->field);
	free(n->field_arg);
	free(n->op);
	for (size_t i = 0; i < n->nvalues; i++)
		free(n->values[i].text);
	free(n->values);
	free(n->macro);
	free(n);
}

/* ---- keywords and operators ---- */

/* Is the word kw at the cursor, as a whole word? */
static bool at_keyword(const struct parser *p, const char *kw)
{
	size_t n = strlen(kw);
	if (p->len - p->cur.pos < n || memcmp(p->text + p->cur.pos, kw, n) != 0)
		return false;
	return !is_name_char(peek_at(p, n));
}

static bool take_keyword(struct parser *p, const char *kw)
{
	if (!at_keyword(p, kw))
		return false;
	for (size_t i = strlen(kw); i > 0; i--)
		advance(p);
	return true;
}

static const char *const word_ops[] = {
	"contains", "icontains", "bcontains", "startswith", "bstartswith",
	"endswith", "glob",      "iglob",     "pmatch",     "in",
	"intersects", "regex",   "exists",
};

/* Longest first, so ">=" is not read as ">" followed by a value "=". */
static const char *const symbol_ops[] = { "==", "!=", "<=", ">=", "=", "<", ">" };

static bool is_list_op(const char *op)
{
	return strcmp(op, "in") == 0 || strcmp(op, "intersects") == 0 ||
	       strcmp(op, "pmatch") == 0;
}

static const char *match_word_op(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(word_ops) / sizeof(word_ops[0]); i++)
		if (strlen(word_ops[i]) == n && memcmp(word_ops[i], s, n) == 0)
			return word_ops[i];
	return NULL;
}

static bool is_symbol_char(int c)
{
	return c > 0 && ispunct(c) && c != '(' && c != ')' && c != ',' &&
	       c != '"' && c != '\'';
}

/* Read an operator at the cursor.  Returns its canonical spelling, or NULL
 * after reporting an unknown one. */
static const char *read_operator(struct parser *p)
{
	struct cursor start = p->cur;
	const char *rest = p->text + p->cur.pos;
	size_t avail = p->len - p->cur.pos;

	for (size_t i = 0; i < sizeof(symbol_ops) / sizeof(symbol_ops[0]); i++) {
		size_t n = strlen(symbol_ops[i]);
		if (avail >= n && memcmp(rest, symbol_ops[i], n) == 0) {
			for (size_t k = 0; k < n; k++)
				advance(p);
			return symbol_ops[i];
		}
	}
	size_t n = 0;
	if (is_name_char(peek(p))) {
		while (is_name_char(peek_at(p, n)))
			n++;
	} else {
		while (is_symbol_char(peek_at(p, n)))
			n++;
	}
	const char *op = match_word_op(rest, n);
	if (op) {
		for (size_t k = 0; k < n; k++)
			advance(p);
		return op;
	}
	if (n == 0) {
		char got[32];
		snippet_here(p, got, sizeof(got));
		fail_at(p, start, "expected an operator, found '%s'", got);
		return NULL;
	}
	char shown[32];
	size_t m = n < sizeof(shown) - 1 ? n : sizeof(shown) - 1;
	for (size_t k = 0; k < m; k++)
		shown[k] = isprint((unsigned char)rest[k]) ? rest[k] : '?';
	shown[m] = '\0';
	fail_at(p, start, "unknown operator '%s'", shown);
	return NULL;
}

/* ---- fields and values ---- */

/* A field name: "proc.aname", optionally with "[arg]" right after it.
 * Stores the name and the argument (NULL without brackets). */
static bool read_field(struct parser *p, char **name, char **arg)
{
	*name = NULL;
	*arg = NULL;
	size_t start = p->cur.pos;
	while (is_name_char(peek(p)))
		advance(p);
	*name = copy_range(p, start, p->cur.pos);
	if (!*name)
		return false;
	if (peek(p) != '[')
		return true;
	struct cursor open = p->cur;
	advance(p);
	size_t arg_start = p->cur.pos;
	while (!at_end(p) && peek(p) != ']')
		advance(p);
	if (at_end(p)) {
		fail_at(p, open, "unterminated '[' in field '%.60s'", *name);
		return false;
	}
	*arg = copy_range(p, arg_start, p->cur.pos);
	advance(p); /* ']' */
	return *arg != NULL;
}

static int unescape(int c)
{
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'b': return '\b';
	case 'f': return '\f';
	case '\\': case '"': case '\'': return c;
	default: return -1;
	}
}

/* A '...' or "..." string at the cursor.  Known escapes are decoded; an
 * unknown one like "\d" stays as written, which keeps regexes readable. */
static char *read_quoted(struct parser *p)
{
	struct cursor open = p->cur;
	int quote = peek(p);
	advance(p);
	/* Decoding only shrinks the text, so the rest of the input bounds it. */
	char *out = malloc(p->len - p->cur.pos + 1);
	if (!out) {
		fail_oom(p);
		return NULL;
	}
	size_t n = 0;
	while (!at_end(p) && peek(p) != quote) {
		int c = peek(p);
		advance(p);
		if (c == '\\' && !at_end(p)) {
			int decoded = unescape(peek(p));
			if (decoded < 0)
				out[n++] = '\\';
			c = decoded < 0 ? peek(p) : decoded;
			advance(p);
		} else if (c == '\\') {
			break;
		}
		out[n++] = (char)c;
	}
	if (at_end(p)) {
		fail_at(p, open, "unterminated string");
		free(out);
		return NULL;
	}
	advance(p); /* closing quote */
	out[n] = '\0';
	return out;
}

/* Does a value start here?  The words and/or/not right after an operator
 * almost always mean the value was forgotten, so they do not count. */
static bool value_starts_here(const struct parser *p)
{
	int c = peek(p);
	if (c == '"' || c == '\'')
		return true;
	if (!is_bare_char(c))
		return false;
	return !at_keyword(p, "and") && !at_keyword(p, "or") &&
	       !at_keyword(p, "not");
}

static bool read_val_field(struct parser *p, struct cond_value *v)
{
	for (int i = 0; i < 4; i++) /* "val(" */
		advance(p);
	skip_space(p);
	if (!is_name_start(peek(p))) {
		fail_at(p, p->cur, "expected a field name inside val()");
		return false;
	}
	size_t start = p->cur.pos;
	char *name, *arg;
	bool ok = read_field(p, &name, &arg);
	free(name);
	free(arg);
	if (!ok)
		return false;
	size_t end = p->cur.pos;
	skip_space(p);
	if (peek(p) != ')') {
		fail_at(p, p->cur, "expected ')' to close val(");
		return false;
	}
	advance(p);
	v->is_field = true;
	v->text = copy_range(p, start, end);
	return v->text != NULL;
}

/* One value: quoted string, val(field) if allowed, or bare word. */
static bool read_value(struct parser *p, struct cond_value *v, bool allow_val)
{
	memset(v, 0, sizeof(*v));
	int c = peek(p);
	if (c == '"' || c == '\'') {
		v->quoted = true;
		v->text = read_quoted(p);
		return v->text != NULL;
	}
	if (allow_val && p->len - p->cur.pos >= 4 &&
	    memcmp(p->text + p->cur.pos, "val(", 4) == 0)
		return read_val_field(p, v);
	size_t start = p->cur.pos;
	while (is_bare_char(peek(p)))
		advance(p);
	v->text = copy_range(p, start, p->cur.pos);
	return v->text != NULL;
}

static bool append_value(struct parser *p, struct cond_node *n,
			 const struct cond_value *v)
{
	struct cond_value *grown =
		realloc(n->values, (n->nvalues + 1) * sizeof(*grown));
	if (!grown) {
		fail_oom(p);
		return false;
	}
	n->values = grown;
	n->values[n->nvalues++] = *v;
	return true;
}

static void fail_missing_value(struct parser *p, const char *op)
{
	fail_at(p, p->cur, "missing value after operator '%s'", op);
}

/* Reads "(a, 'b c', list_name)" into n->values; the cursor is on '('. */
static bool read_list(struct parser *p, struct cond_node *n)
{
	struct cursor open = p->cur;
	advance(p);
	skip_space(p);
	if (peek(p) == ')') {
		advance(p);
		return true;
	}
	for (;;) {
		skip_space(p);
		if (at_end(p))
			break;
		if (!value_starts_here(p)) {
			fail_at(p, p->cur, "missing value in list");
			return false;
		}
		struct cond_value v;
		if (!read_value(p, &v, false))
			return false;
		if (!append_value(p, n, &v)) {
			free(v.text);
			return false;
		}
		skip_space(p);
		if (peek(p) == ')') {
			advance(p);
			return true;
		}
		if (peek(p) != ',') {
			if (at_end(p))
				break;
			char got[32];
			snippet_here(p, got, sizeof(got));
			fail_at(p, p->cur, "expected ',' or ')' in list, found '%s'", got);
			return false;
		}
		advance(p);
	}
	fail_at(p, open, "unbalanced parentheses: list opened here is never closed");
	return false;
}

/* The right-hand side of a comparison whose operator is n->op. */
static bool read_operand(struct parser *p, struct cond_node *n)
{
	skip_space(p);
	if (is_list_op(n->op)) {
		n->value_is_list = true;
		if (peek(p) == '(')
			return read_list(p, n);
		/* `x in list_name` without parentheses: a list of one reference. */
	}
	if (!value_starts_here(p)) {
		fail_missing_value(p, n->op);
		return false;
	}
	struct cond_value v;
	if (!read_value(p, &v, !n->value_is_list))
		return false;
	if (!append_value(p, n, &v)) {
		free(v.text);
		return false;
	}
	return true;
}

/* ---- expressions ---- */

static struct cond_node *parse_or(struct parser *p, int *height);

/* Can the token at the cursor end an operand?  Then a bare name before it
 * is a macro reference rather than the start of a comparison. */
static bool operand_ends_here(const struct parser *p)
{
	return at_end(p) || peek(p) == ')' || at_keyword(p, "and") ||
	       at_keyword(p, "or");
}

static struct cond_node *parse_name(struct parser *p)
{
	struct cursor start = p->cur;
	char *name, *arg;
	if (!read_field(p, &name, &arg)) {
		free(name);
		free(arg);
		return NULL;
	}
	skip_space(p);
	bool plain = !arg && !strchr(name, '.');
	if (operand_ends_here(p) && plain) {
		struct cond_node *n = new_node(p, COND_MACRO, start);
		if (!n) {
			free(name);
			return NULL;
		}
		n->macro = name;
		return n;
	}
	struct cond_node *n = new_node(p, COND_COMPARE, start);
	if (!n) {
		free(name);
		free(arg);
		return NULL;
	}
	n->field = name;
	n->field_arg = arg;
	if (operand_ends_here(p)) {
		fail_at(p, p->cur, "missing operator after field '%.60s'", name);
		cond_free(n);
		return NULL;
	}
	const char *op = read_operator(p);
	if (!op) {
		cond_free(n);
		return NULL;
	}
	if (strcmp(op, "exists") == 0) {
		n->kind = COND_EXISTS;
		return n;
	}
	n->op = strdup(op);
	if (!n->op) {
		fail_oom(p);
		cond_free(n);
		return NULL;
	}
	if (!read_operand(p, n)) {
		cond_free(n);
		return NULL;
	}
	return n;
}

static bool enter_nesting(struct parser *p, struct cursor at)
{
	if (++p->nesting > COND_MAX_NESTING) {
		fail_at(p, at, "nesting too deep (more than %d levels)",
			COND_MAX_NESTING);
		return false;
	}
	return true;
}

static struct cond_node *parse_parenthesised(struct parser *p, int *height)
{
	struct cursor open = p->cur;
	advance(p);
	if (!enter_nesting(p, open))
		return NULL;
	struct cond_node *inner = parse_or(p, height);
	p->nesting--;
	if (!inner)
		return NULL;
	skip_space(p);
	if (peek(p) == ')') {
		advance(p);
		return inner;
	}
	if (at_end(p)) {
		fail_at(p, open, "unbalanced parentheses: '(' is never closed");
	} else {
		char got[32];
		snippet_here(p, got, sizeof(got));
		fail_at(p, p->cur, "expected 'and', 'or' or ')', found '%s'", got);
	}
	cond_free(inner);
	return NULL;
}

static struct cond_node *parse_primary(struct parser *p, int *height)
{
	skip_space(p);
	*height = 1;
	if (peek(p) == '(')
		return parse_parenthesised(p, height);
	if (is_name_start(peek(p)) && !at_keyword(p, "and") &&
	    !at_keyword(p, "or"))
		return parse_name(p);
	if (at_end(p)) {
		fail_at(p, p->cur, "unexpected end of condition, expected a "
				   "field, macro name or '('");
	} else {
		char got[32];
		snippet_here(p, got, sizeof(got));
		fail_at(p, p->cur, "expected a field, macro name or '(', found '%s'",
			got);
	}
	return NULL;
}

static bool check_height(struct parser *p, struct cursor at, int height)
{
	if (height <= COND_MAX_TREE_DEPTH)
		return true;
	fail_at(p, at, "nesting too deep (condition tree deeper than %d)",
		COND_MAX_TREE_DEPTH);
	return false;
}

static struct cond_node *parse_not(struct parser *p, int *height)
{
	skip_space(p);
	if (!at_keyword(p, "not"))
		return parse_primary(p, height);
	struct cursor at = p->cur;
	take_keyword(p, "not");
	if (!enter_nesting(p, at))
		return NULL;
	struct cond_node *operand = parse_not(p, height);
	p->nesting--;
	if (!operand)
		return NULL;
	struct cond_node *n = new_node(p, COND_NOT, at);
	if (!n) {
		cond_free(operand);
		return NULL;
	}
	n->left = operand;
	(*height)++;
	return n;
}

typedef struct cond_node *(*operand_parser)(struct parser *, int *);

/* left { kw right }, built left-associative like Falco's. */
static struct cond_node *parse_chain(struct parser *p, int *height,
				     const char *kw, enum cond_node_kind kind,
				     operand_parser operand)
{
	struct cond_node *left = operand(p, height);
	if (!left)
		return NULL;
	for (;;) {
		skip_space(p);
		if (!take_keyword(p, kw))
			return left;
		int right_height;
		struct cond_node *right = operand(p, &right_height);
		if (!right) {
			cond_free(left);
			return NULL;
		}
		struct cursor at = { 0, left->line, left->col };
		struct cond_node *n = new_node(p, kind, at);
		if (!n) {
			cond_free(left);
			cond_free(right);
			return NULL;
		}
		n->left = left;
		n->right = right;
		left = n;
		*height = 1 + (*height > right_height ? *height : right_height);
		if (!check_height(p, at, *height)) {
			cond_free(n);
			return NULL;
		}
	}
}

static struct cond_node *parse_and(struct parser *p, int *height)
{
	return parse_chain(p, height, "and", COND_AND, parse_not);
}

static struct cond_node *parse_or(struct parser *p, int *height)
{
	return parse_chain(p, height, "or", COND_OR, parse_and);
}

/* Refuse NUL bytes up front: C strings in the tree could not hold them. */
static bool check_no_nul(struct parser *p)
{
	const char *nul = memchr(p->text, '\0', p->len);
	if (!nul)
		return true;
	while (p->text + p->cur.pos < nul)
		advance(p);
	fail_at(p, p->cur, "unexpected NUL byte");
	return false;
}

struct cond_node *cond_parse(const char *text, size_t len,
			     struct cond_error *err)
{
	struct parser p = {
		.text = text ? text : "",
		.len = text ? len : 0,
		.cur = { 0, 1, 1 },
		.err = err,
	};
	if (err)
		memset(err, 0, sizeof(*err));
	if (!check_no_nul(&p))
		return NULL;
	skip_space(&p);
	if (at_end(&p)) {
		fail_at(&p, p.cur, "empty condition");
		return NULL;
	}
	int height;
	struct cond_node *root = parse_or(&p, &height);
	if (!root)
		return NULL;
	skip_space(&p);
	if (at_end(&p))
		return root;
	if (peek(&p) == ')') {
		fail_at(&p, p.cur, "unbalanced parentheses: unexpected ')'");
	} else {
		char got[32];
		snippet_here(&p, got, sizeof(got));
		fail_at(&p, p.cur, "unexpected '%s' after end of condition", got);
	}
	cond_free(root);
	return NULL;
}

/* ---- rendering ---- */

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_putn(struct strbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->s, cap);
		if (!grown) {
			b->oom = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void render_quoted(struct strbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (; *s; s++) {
		switch (*s) {
		case '"': sb_puts(b, "\\\""); break;
		case '\\': sb_puts(b, "\\\\"); break;
		case '\n': sb_puts(b, "\\n"); break;
		case '\t': sb_puts(b, "\\t"); break;
		case '\r': sb_puts(b, "\\r"); break;
		case '\b': sb_puts(b, "\\b"); break;
		case '\f': sb_puts(b, "\\f"); break;
		default: sb_putn(b, s, 1); break;
		}
	}
	sb_puts(b, "\"");
}

static void render_value(struct strbuf *b, const struct cond_value *v)
{
	if (v->is_field) {
		sb_puts(b, "val(");
		sb_puts(b, v->text);
		sb_puts(b, ")");
	} else if (v->quoted) {
		render_quoted(b, v->text);
	} else {
		sb_puts(b, v->text);
	}
}

static void render_field(struct strbuf *b, const struct cond_node *n)
{
	sb_puts(b, n->field);
	if (n->field_arg) {
		sb_puts(b, "[");
		sb_puts(b, n->field_arg);
		sb_puts(b, "]");
	}
}

static void render_compare(struct strbuf *b, const struct cond_node *n)
{
	render_field(b, n);
	sb_puts(b, " ");
	sb_puts(b, n->op);
	sb_puts(b, " ");
	if (n->value_is_list)
		sb_puts(b, "(");
	for (size_t i = 0; i < n->nvalues; i++) {
		if (i > 0)
			sb_puts(b, ", ");
		render_value(b, &n->values[i]);
	}
	if (n->value_is_list)
		sb_puts(b, ")");
}

static void render(struct strbuf *b, const struct cond_node *n);

/* Parenthesise a child only where precedence or left-associativity would
 * otherwise regroup it.  Fully parenthesising instead would turn a long
 * `a and b and ...` chain into nesting deeper than the parser accepts. */
static bool needs_parens(const struct cond_node *parent,
			 const struct cond_node *child, bool is_right)
{
	bool child_binary = child->kind == COND_AND || child->kind == COND_OR;
	switch (parent->kind) {
	case COND_NOT:
		return child_binary;
	case COND_AND:
		return child->kind == COND_OR || (is_right && child_binary);
	case COND_OR:
		return is_right && child->kind == COND_OR;
	default:
		return false;
	}
}

static void render_child(struct strbuf *b, const struct cond_node *parent,
			 const struct cond_node *child, bool is_right)
{
	bool parens = needs_parens(parent, child, is_right);
	if (parens)
		sb_puts(b, "(");
	render(b, child);
	if (parens)
		sb_puts(b, ")");
}

static void render(struct strbuf *b, const struct cond_node *n)
{
	switch (n->kind) {
	case COND_AND:
	case COND_OR:
		render_child(b, n, n->left, false);
		sb_puts(b, n->kind == COND_AND ? " and " : " or ");
		render_child(b, n, n->right, true);
		break;
	case COND_NOT:
		sb_puts(b, "not ");
		render_child(b, n, n->left, false);
		break;
	case COND_COMPARE:
		render_compare(b, n);
		break;
	case COND_EXISTS:
		render_field(b, n);
		sb_puts(b, " exists");
		break;
	case COND_MACRO:
		sb_puts(b, n->macro);
		break;
	}
}

char *cond_to_string(const struct cond_node *n)
{
	struct strbuf b = { 0 };
	if (!n)
		return NULL;
	render(&b, n);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

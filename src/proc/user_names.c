/* user_names.c - a uid → name cache parsed from a passwd file.
 *
 * The whole file is read into one buffer and each accepted line's name
 * is cut in place (its ':' becomes NUL), so the cache is one buffer and
 * one array sorted by uid.
 */
#include "proc/user_names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECHECK_NS 1000000000ULL	/* stat the file at most once a second */
#define PASSWD_MAX (64u << 20)		/* refuse absurd files */
#define PASSWD_FIELDS 7			/* name:pw:uid:gid:gecos:home:shell */

struct user_name {
	uint32_t uid;
	uint32_t line;			/* first line wins, like getpwuid */
	const char *name;		/* into text */
};

struct file_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct user_names {
	char *path;
	char *text;			/* the file, names cut in place */
	struct user_name *users;	/* sorted by uid, one per uid */
	size_t count;
	struct file_stamp stamp;
	bool have_stamp;
	uint64_t last_check_ns;
	bool checked;
};

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static void stamp_of(const struct stat *st, struct file_stamp *stamp)
{
	stamp->dev = st->st_dev;
	stamp->ino = st->st_ino;
	stamp->size = st->st_size;
	stamp->mtime = st->st_mtim;
}

static bool stamps_equal(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The whole of fd as a NUL-terminated string, or NULL. */
static char *read_all(int fd, size_t size_hint, size_t *len)
{
	size_t cap = size_hint + 1, got = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t n;

		if (got + 1 == cap) {
			char *bigger;

			if (cap > PASSWD_MAX)
				break;
			bigger = realloc(buf, cap * 2);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[got] = '\0';
			*len = got;
			return buf;
		}
		got += (size_t)n;
	}
	free(buf);
	return NULL;
}

static bool parse_uid(const char *s, const char *end, uint32_t *uid)
{
	uint64_t value = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		value = value * 10 + (uint64_t)(*s - '0');
		if (value > UINT32_MAX)
			return false;
	}
	*uid = (uint32_t)value;
	return true;
}

static bool name_is_plausible(const char *name, size_t len)
{
	/* '+'/'-' lines are NIS compat markers, not users. */
	if (len == 0 || name[0] == '+' || name[0] == '-' || name[0] == '#')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

/* Accept "name:pw:uid:gid:gecos:home:shell"; cut the name in place. */
static bool parse_line(char *line, char *end, uint32_t *uid)
{
	char *colons[PASSWD_FIELDS - 1];
	size_t found = 0;

	for (char *p = line; p < end; p++) {
		if (*p != ':')
			continue;
		if (found == PASSWD_FIELDS - 1)
			return false;	/* too many fields */
		colons[found++] = p;
	}
	if (found != PASSWD_FIELDS - 1)
		return false;
	if (!name_is_plausible(line, (size_t)(colons[0] - line)))
		return false;
	if (!parse_uid(colons[1] + 1, colons[2], uid))
		return false;
	*colons[0] = '\0';
	return true;
}

static int compare_users(const void *a, const void *b)
{
	const struct user_name *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by uid and keep the first line of each uid. */
static size_t sort_and_dedupe(struct user_name *users, size_t count)
{
	size_t kept = 0;

	qsort(users, count, sizeof(*users), compare_users);
	for (size_t i = 0; i < count; i++)
		if (kept == 0 || users[kept - 1].uid != users[i].uid)
			users[kept++] = users[i];
	return kept;
}

static size_t count_lines(const char *text, size_t len)
{
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	return lines;
}

/* Parse text (taking ownership) into a fresh array; -1 when out of
 * memory (text is then freed). */
static int parse_passwd(char *text, size_t len, struct user_name **out,
			size_t *count)
{
	struct user_name *users = calloc(count_lines(text, len), sizeof(*users));
	char *p = text, *end = text + len;
	size_t n = 0;
	uint32_t line = 0;

	if (!users)
		return -1;
	while (p < end) {
		char *newline = memchr(p, '\n', (size_t)(end - p));
		char *line_end = newline ? newline : end;
		uint32_t uid;

		/* An embedded NUL would cut the name short: treat as malformed. */
		if (!memchr(p, '\0', (size_t)(line_end - p)) &&
		    parse_line(p, line_end, &uid)) {
			users[n].uid = uid;
			users[n].line = line;
			users[n].name = p;
			n++;
		}
		line++;
		p = newline ? newline + 1 : end;
	}
	*out = users;
	*count = sort_and_dedupe(users, n);
	return 0;
}

/* Replace the cache with the file's current contents.  On any failure
 * the old cache stays: a passwd file mid-rewrite is better served by
 * the names we had. */
static void reload(struct user_names *names, const struct stat *st)
{
	struct user_name *users;
	size_t len, count;
	char *text;
	int fd = open(names->path, O_RDONLY | O_CLOEXEC);
	size_t hint = st->st_size > 0 ? (size_t)st->st_size : 4096;

	if (fd < 0)
		return;
	text = read_all(fd, hint < PASSWD_MAX ? hint : PASSWD_MAX, &len);
	close(fd);
	if (!text)
		return;
	if (parse_passwd(text, len, &users, &count) < 0) {
		free(text);
		return;
	}
	free(names->text);
	free(names->users);
	names->text = text;
	names->users = users;
	names->count = count;
	stamp_of(st, &names->stamp);
	names->have_stamp = true;
}

static void reload_if_changed(struct user_names *names)
{
	uint64_t now = monotonic_ns();
	struct file_stamp current;
	struct stat st;

	if (names->checked && now - names->last_check_ns < RECHECK_NS)
		return;
	names->checked = true;
	names->last_check_ns = now;
	if (stat(names->path, &st) < 0)
		return;		/* gone for now: keep what we had */
	stamp_of(&st, &current);
	if (!names->have_stamp || !stamps_equal(&current, &names->stamp))
		reload(names, &st);
}

struct user_names *user_names_new(const char *passwd_path)
{
	struct user_names *names = calloc(1, sizeof(*names));

	if (!names)
		return NULL;
	names->path = strdup(passwd_path);
	if (!names->path) {
		free(names);
		return NULL;
	}
	reload_if_changed(names);
	return names;
}

void user_names_free(struct user_names *names)
{
	if (!names)
		return;
	free(names->path);
	free(names->text);
	free(names->users);
	free(names);
}

const char *user_name_lookup(struct user_names *names, uint32_t uid)
{
	size_t low = 0, high;

	reload_if_changed(names);
	high = names->count;
	while (low < high) {
		size_t mid = low + (high - low) / 2;

		if (names->users[mid].uid == uid)
			return names->users[mid].name;
		if (names->users[mid].uid < uid)
			low = mid + 1;
		else
			high = mid;
	}
	return NULL;
}

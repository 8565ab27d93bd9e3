/* metrics.c - series kept in a small hash table, rendered on demand. */
#include "output/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/string_set.h"

#define MAX_LABEL 512

struct series {
	char *family;		/* metric name */
	char *key;		/* name{labels}, the exposition line's left side */
	double value;
	struct series *next;	/* bucket chain */
	struct series *all;	/* insertion order */
};

struct family {
	char *name, *help;
	bool counter;
	struct family *next;
};

struct metrics {
	pthread_mutex_t lock;
	struct series *buckets[1024];
	struct series *first, **last;
	struct family *families;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->last = &m->first;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (struct series *s = m->first, *n; s; s = n) {
		n = s->all;
		free(s->family);
		free(s->key);
		free(s);
	}
	for (struct family *f = m->families, *n; f; f = n) {
		n = f->next;
		free(f->name);
		free(f->help);
		free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_describe(struct metrics *m, const char *name, const char *help, bool counter)
{
	struct family *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	f->name = strdup(name);
	f->help = strdup(help);
	f->counter = counter;
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		free(f);
		return;
	}
	pthread_mutex_lock(&m->lock);
	f->next = m->families;
	m->families = f;
	pthread_mutex_unlock(&m->lock);
}

/* name{key="value"} with the value escaped as the format asks. */
static void series_key(char *buf, size_t cap, const char *name, const char *k, const char *v)
{
	size_t o;

	if (!k) {
		snprintf(buf, cap, "%s", name);
		return;
	}
	o = snprintf(buf, cap, "%s{%s=\"", name, k);
	for (; v && *v && o + 4 < cap; v++) {
		if (*v == '\\' || *v == '"') {
			buf[o++] = '\\';
			buf[o++] = *v;
		} else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *v;
		}
	}
	snprintf(buf + o, cap - o, "\"}");
}

static struct series *find_or_add(struct metrics *m, const char *name, const char *key)
{
	uint64_t h = string_set_hash(key, strlen(key));
	struct series **b = &m->buckets[h & 1023], *s;

	for (s = *b; s; s = s->next)
		if (!strcmp(s->key, key))
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->family = strdup(name);
	s->key = strdup(key);
	if (!s->family || !s->key) {
		free(s->family);
		free(s->key);
		free(s);
		return NULL;
	}
	s->next = *b;
	*b = s;
	*m->last = s;
	m->last = &s->all;
	return s;
}

static void update(struct metrics *m, const char *name, const char *k, const char *v,
		   double x, bool add)
{
	char key[MAX_LABEL];
	struct series *s;

	series_key(key, sizeof(key), name, k, v);
	pthread_mutex_lock(&m->lock);
	s = find_or_add(m, name, key);
	if (s)
		s->value = add ? s->value + x : x;
	pthread_mutex_unlock(&m->lock);
}

void metrics_add(struct metrics *m, const char *name, const char *label_key,
		 const char *label_value, double delta)
{
	update(m, name, label_key, label_value, delta, true);
}

void metrics_set(struct metrics *m, const char *name, const char *label_key,
		 const char *label_value, double value)
{
	update(m, name, label_key, label_value, value, false);
}

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->cap + n + 1) * 2;
		char *b = realloc(t->buf, cap);

		if (!b) {
			t->failed = true;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

char *metrics_render(struct metrics *m, size_t *len)
{
	struct text t = {0};
	char line[MAX_LABEL + 64];

	pthread_mutex_lock(&m->lock);
	for (struct family *f = m->families; f; f = f->next) {
		bool any = false;

		for (struct series *s = m->first; s; s = s->all) {
			if (strcmp(s->family, f->name))
				continue;
			if (!any) {
				snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", f->name,
					 f->help, f->name, f->counter ? "counter" : "gauge");
				put(&t, line);
				any = true;
			}
			snprintf(line, sizeof(line), "%s %.17g\n", s->key, s->value);
			put(&t, line);
		}
	}
	pthread_mutex_unlock(&m->lock);
	put(&t, "");
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}

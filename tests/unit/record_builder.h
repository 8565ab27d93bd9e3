/* record_builder.h - build ring-buffer records by hand, as the kernel
 * side would, for decoder tests and fuzz seeds. */
#ifndef VIGIL_RECORD_BUILDER_H
#define VIGIL_RECORD_BUILDER_H

#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include "../../bpf/events.h"

struct record_builder {
	uint8_t buf[RECORD_MAX];
	size_t len;
};

static inline struct event_header *rb_begin(struct record_builder *b, uint32_t type,
					    const void *payload, size_t psize)
{
	struct event_header *h = (struct event_header *)b->buf;

	memset(b->buf, 0, sizeof(b->buf));
	h->type = type;
	h->pid = 100;
	h->tid = 101;
	h->ppid = 1;
	h->syscall = 0xffff;
	h->time_ns = 5000000000ULL;
	memcpy(h->comm, "tester", 7);
	memcpy(b->buf + sizeof(*h), payload, psize);
	b->len = sizeof(*h) + psize;
	h->size = b->len;
	return h;
}

static inline void rb_str(struct record_builder *b, const char *s, size_t len, int truncated)
{
	struct event_header *h = (struct event_header *)b->buf;
	uint16_t word = (uint16_t)len | (truncated ? STR_TRUNCATED : 0);

	memcpy(b->buf + b->len, &word, 2);
	memcpy(b->buf + b->len + 2, s, len);
	b->len += 2 + len;
	h->nstr++;
	h->size = b->len;
}

static inline void rb_cstr(struct record_builder *b, const char *s)
{
	rb_str(b, s, strlen(s), 0);
}

/* A successful exec of /EXE with one argument and cwd "/": the strings
 * the kernel side sends, around whatever facts p carries. */
static inline struct event_header *rb_exec(struct record_builder *b, struct exec_payload *p,
					   const char *exe)
{
	struct event_header *h;

	p->argc = 1;
	p->exe_parts = 1;
	p->cwd_parts = 0;
	h = rb_begin(b, EVENT_EXEC, p, sizeof(*p));
	h->syscall = 59;
	rb_cstr(b, exe);
	rb_str(b, exe, strlen(exe) + 1, 0);	/* argv blob: argv[0] and its NUL */
	rb_cstr(b, exe);			/* filename */
	return h;
}

#endif

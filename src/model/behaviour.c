/* behaviour.c - events turned into profile keys. */
#include "behaviour.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proc/user_names.h"
#include "sensor/event_names.h"

static struct behaviour *add(struct behaviour_set *s, enum profile_category c,
			     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static struct behaviour *add(struct behaviour_set *s, enum profile_category c,
			     const char *fmt, ...)
{
	struct behaviour *b;
	va_list ap;
	int n;

	if (s->count == BEHAVIOUR_MAX)
		return NULL;
	b = &s->items[s->count];
	va_start(ap, fmt);
	n = vsnprintf(b->key, sizeof(b->key), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	b->len = (size_t)n < sizeof(b->key) ? (size_t)n : sizeof(b->key) - 1;
	b->category = c;
	s->count++;
	return b;
}

/* A path from the monitored world: not NUL-terminated, maybe with NULs. */
static void add_path(struct behaviour_set *s, enum profile_category c, const struct event_str *p)
{
	if (p->ptr && p->len && p->ptr[0] == '/')
		add(s, c, "%.*s", (int)strnlen(p->ptr, p->len), p->ptr);
}

/* "EXE", or "EXE[name]" when the process calls itself otherwise: busybox
 * applets are one file, told apart by argv[0] (the name under which a
 * standalone shell runs them through /proc/self/exe, comm then being
 * "exe") or else by comm. */
static int exe_label(char *buf, size_t cap, const struct proc_entry *p, const char *comm)
{
	const char *exe = p && p->exe && p->exe[0] ? p->exe : "?";
	const char *base = strrchr(exe, '/'), *name = comm;
	char argv0[64] = "";

	base = base ? base + 1 : exe;
	if (p && p->args && p->args_len) {
		const char *a0 = p->args, *slash;
		size_t len = strnlen(a0, p->args_len);

		slash = memrchr(a0, '/', len);
		if (slash) {
			len -= (size_t)(slash + 1 - a0);
			a0 = slash + 1;
		}
		snprintf(argv0, sizeof(argv0), "%.*s", (int)len, a0);
		name = argv0;
	}
	if (!name[0] || !strcmp(base, name) || !strncmp(base, name, 15))
		return snprintf(buf, cap, "%s", exe);
	return snprintf(buf, cap, "%s[%s]", exe, name);
}

static void add_exec(const struct rule_input *in, struct behaviour_set *s)
{
	const struct proc_entry *p = in->proc;
	const char *user = in->users ? user_name_lookup(in->users, in->ev->task.uid) : NULL;
	char self[600], parent[600], uid[16];

	exe_label(self, sizeof(self), p, in->ev->task.comm);
	exe_label(parent, sizeof(parent), p ? p->parent : NULL,
		  p && p->parent ? p->parent->comm : "");
	snprintf(uid, sizeof(uid), "%u", in->ev->task.uid);
	add(s, PROF_EXEC, "%s <- %s as %s", self, parent, user ? user : uid);
}

static void add_addr(struct behaviour_set *s, enum profile_category c, const struct event *ev,
		     const struct event_addr *a, bool with_addr, bool with_port)
{
	char ip[INET6_ADDRSTRLEN] = "";
	const char *proto = ev->net.type == SOCK_DGRAM ? "udp" : ev->net.type == SOCK_STREAM ?
		"tcp" : "raw";

	if (ev->net.family == AF_UNIX) {
		if (a->unix_path.ptr && a->unix_path.len)
			add(s, c, "unix %.*s", (int)strnlen(a->unix_path.ptr, a->unix_path.len),
			    a->unix_path.ptr);
		return;
	}
	if (ev->net.family != AF_INET && ev->net.family != AF_INET6)
		return;
	inet_ntop(ev->net.family, a->addr, ip, sizeof(ip));
	if (!with_addr)
		add(s, c, "%s :%u", proto, a->port);
	else if (!with_port)
		add(s, c, ev->net.family == AF_INET6 ? "%s [%s]" : "%s %s", proto, ip);
	else
		add(s, c, ev->net.family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u", proto, ip, a->port);
}

static void add_file(const struct event *ev, struct behaviour_set *s)
{
	uint32_t acc = ev->file.flags & O_ACCMODE;

	switch (ev->type) {
	case EVENT_OPEN:
		if (ev->ret < 0 && ev->ret != -13 && ev->ret != -1)
			return;	/* probing for files that are not there is not behaviour */
		add_path(s, acc == O_RDONLY ? PROF_READ : PROF_WRITE, &ev->file.path);
		return;
	case EVENT_UNLINK: case EVENT_CHMOD: case EVENT_CHOWN:
		add_path(s, PROF_WRITE, &ev->file.path);
		return;
	case EVENT_RENAME:
		add_path(s, PROF_WRITE, &ev->file.path);
		add_path(s, PROF_CREATE, &ev->file.path2);
		return;
	case EVENT_MKDIR:
		add_path(s, PROF_CREATE, &ev->file.path);
		return;
	case EVENT_LINK: case EVENT_SYMLINK:
		add_path(s, PROF_CREATE, &ev->file.path2);
		return;
	default:
		return;
	}
}

/* Privilege and namespace changes, with what they asked for. */
static void add_priv(const struct rule_input *in, const char *exe, struct behaviour_set *s)
{
	const struct event *ev = in->ev;

	switch (ev->type) {
	case EVENT_SETUID:
		add(s, PROF_PRIV, "%s %s %u", exe, syscall_name_x86_64(ev->syscall) ?
		    syscall_name_x86_64(ev->syscall) : "setuid", ev->cred.uid);
		return;
	case EVENT_SETNS:
		add(s, PROF_PRIV, "%s setns %.*s", exe,
		    (int)strcspn(ev->generic.path.ptr ? ev->generic.path.ptr : "", ":"),
		    ev->generic.path.ptr ? ev->generic.path.ptr : "");
		return;
	case EVENT_CAPSET: case EVENT_PTRACE: case EVENT_MODULE: case EVENT_UNSHARE:
	case EVENT_BPF: case EVENT_MOUNT:
		add(s, PROF_PRIV, "%s %s", exe, event_type_name(ev->type));
		return;
	default:
		return;
	}
}

void behaviour_of_event(const struct rule_input *in, struct behaviour_set *out)
{
	const struct event *ev = in->ev;
	char exe[600];
	const char *name;

	out->count = 0;
	out->rate = -1;
	if (ev->type == EVENT_EXEC) {
		if (ev->ret >= 0) {
			add_exec(in, out);
			out->rate = RATE_EXEC;
		}
		return;
	}
	exe_label(exe, sizeof(exe), in->proc, ev->task.comm);
	if (ev->type >= EVENT_OPEN && ev->type <= EVENT_SYMLINK) {
		add_file(ev, out);
		out->rate = RATE_FILE;
	} else if (ev->type == EVENT_CONNECT) {
		add_addr(out, PROF_NET_OUT, ev, &ev->net.remote, true, true);
		out->rate = RATE_NET;
	} else if (ev->type == EVENT_ACCEPT) {
		add_addr(out, PROF_NET_IN, ev, &ev->net.remote, true, false);
		out->rate = RATE_NET;
	} else if (ev->type == EVENT_BIND || ev->type == EVENT_LISTEN) {
		add_addr(out, PROF_LISTEN, ev, &ev->net.local, false, true);
	}
	add_priv(in, exe, out);
	name = ev->syscall >= 0 ? syscall_name_x86_64(ev->syscall) : NULL;
	if (name)
		add(out, PROF_SYSCALL, "%s %s", exe, name);
}

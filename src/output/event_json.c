/* event_json.c - enriched events as JSON.  Keys appear only when they
 * apply to the event; strings from the monitored world go through the
 * JSON writer's escaping; truncation is marked with "<key>_truncated". */
#include "event_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sensor/decode.h"
#include "sensor/event_names.h"
#include "util/time_format.h"

#define MAX_ANCESTORS 32

static void kv_str(struct json_writer *w, const char *key, const struct event_str *s)
{
	char tkey[64];

	if (!s->ptr)
		return;
	json_kv_string_len(w, key, s->ptr, s->len);
	if (s->truncated) {
		snprintf(tkey, sizeof(tkey), "%s_truncated", key);
		json_kv_bool(w, tkey, true);
	}
}

/* argv blob (NUL-separated) as an array of strings. */
static void write_args(struct json_writer *w, const char *blob, size_t len)
{
	size_t i = 0;

	json_array_begin(w);
	while (i < len) {
		const char *arg = blob + i;
		const char *nul = memchr(arg, '\0', len - i);
		size_t alen = nul ? (size_t)(nul - arg) : len - i;

		json_string_len(w, arg, alen);
		i += alen + 1;
	}
	json_array_end(w);
}

static void write_ancestors(struct json_writer *w, const struct proc_entry *proc)
{
	const struct proc_entry *chain[MAX_ANCESTORS];
	size_t n = proc_table_ancestors(proc, chain, MAX_ANCESTORS);

	json_key(w, "ancestors");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(w);
		json_kv_uint(w, "pid", chain[i]->pid);
		json_kv_string(w, "exe", chain[i]->exe);
		json_kv_string(w, "exec_id", chain[i]->exec_id);
		json_object_end(w);
	}
	json_array_end(w);
}

static void write_proc(struct json_writer *w, const struct event *ev,
		       const struct event_context *ctx)
{
	const struct proc_entry *p = ctx->proc;

	json_key(w, "proc");
	json_object_begin(w);
	json_kv_uint(w, "pid", ev->task.pid);
	json_kv_uint(w, "tid", ev->task.tid);
	json_kv_uint(w, "ppid", ev->task.ppid);
	json_kv_uint(w, "uid", ev->task.uid);
	json_kv_uint(w, "gid", ev->task.gid);
	json_kv_uint(w, "euid", ev->task.euid);
	if (ctx->user)
		json_kv_string(w, "user", ctx->user);
	if (ev->task.loginuid != (uint32_t)-1)
		json_kv_uint(w, "loginuid", ev->task.loginuid);
	json_kv_string_len(w, "comm", ev->task.comm, strnlen(ev->task.comm, COMM_LEN));
	if (p) {
		json_kv_string(w, "exe", p->exe);
		json_key(w, "args");
		write_args(w, p->args, p->args_len);
		if (p->args_truncated)
			json_kv_bool(w, "args_truncated", true);
		json_kv_string(w, "cwd", p->cwd);
		json_kv_string(w, "exec_id", p->exec_id);
		json_kv_string(w, "parent_exec_id", p->parent_exec_id);
		write_ancestors(w, p);
	}
	json_object_end(w);
}

static void write_file(struct json_writer *w, const struct event *ev)
{
	const char *target_key = "target";

	json_key(w, "file");
	json_object_begin(w);
	if (ev->type == EVENT_SYMLINK) {
		/* the file created is the link; its content is the target */
		kv_str(w, "path", &ev->file.path2);
		kv_str(w, target_key, &ev->file.path);
	} else {
		kv_str(w, "path", &ev->file.path);
		kv_str(w, target_key, &ev->file.path2);
	}
	if (ev->type == EVENT_MOUNT)
		kv_str(w, "fstype", &ev->file.fstype);
	if (ev->type == EVENT_OPEN || ev->type == EVENT_MOUNT || ev->file.flags)
		json_kv_uint(w, "flags", ev->file.flags);
	if (ev->type == EVENT_OPEN || ev->type == EVENT_MKDIR || ev->type == EVENT_CHMOD)
		json_kv_uint(w, "mode", ev->file.mode);
	if (ev->type == EVENT_CHOWN) {
		json_kv_int(w, "uid", (int32_t)ev->file.uid);
		json_kv_int(w, "gid", (int32_t)ev->file.gid);
	}
	if (ev->type == EVENT_OPEN && ev->ret >= 0)
		json_kv_int(w, "fd", ev->ret);
	json_object_end(w);
}

static const char *family_name(uint16_t family)
{
	switch (family) {
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_UNIX: return "unix";
	case 0: return "none";
	default: return "other";
	}
}

static const char *proto_name(uint16_t family, uint16_t type, uint16_t protocol)
{
	if (family == AF_UNIX)
		return type == SOCK_DGRAM ? "dgram" : type == SOCK_SEQPACKET ? "seqpacket" : "stream";
	switch (protocol) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_RAW: return "raw";
	default:
		return type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp" : "other";
	}
}

static void write_addr(struct json_writer *w, const char *key, const struct event_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	json_key(w, key);
	json_object_begin(w);
	if (a->family == AF_INET || a->family == AF_INET6) {
		if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
			text[0] = '\0';
		json_kv_string(w, "addr", text);
		json_kv_uint(w, "port", a->port);
	} else if (a->unix_path.ptr) {
		kv_str(w, "path", &a->unix_path);
	}
	json_object_end(w);
}

static void write_net(struct json_writer *w, const struct event *ev)
{
	json_key(w, "net");
	json_object_begin(w);
	json_kv_string(w, "family", family_name(ev->net.family));
	json_kv_string(w, "proto", proto_name(ev->net.family, ev->net.type, ev->net.protocol));
	json_kv_int(w, "fd", ev->net.fd);
	write_addr(w, "local", &ev->net.local);
	if (ev->type != EVENT_BIND && ev->type != EVENT_LISTEN)
		write_addr(w, "remote", &ev->net.remote);
	if (ev->type == EVENT_LISTEN)
		json_kv_int(w, "backlog", ev->net.backlog);
	json_object_end(w);
}

static void kv_hex(struct json_writer *w, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_kv_string(w, key, buf);
}

static void write_cred(struct json_writer *w, const struct event *ev)
{
	const struct cred_payload *c = &ev->cred;

	json_key(w, "cred");
	json_object_begin(w);
	json_kv_uint(w, "uid", c->uid);
	json_kv_uint(w, "gid", c->gid);
	json_kv_uint(w, "euid", c->euid);
	json_kv_uint(w, "egid", c->egid);
	json_kv_uint(w, "suid", c->suid);
	json_kv_uint(w, "sgid", c->sgid);
	json_kv_uint(w, "fsuid", c->fsuid);
	json_kv_uint(w, "fsgid", c->fsgid);
	kv_hex(w, "cap_effective", c->cap_effective);
	kv_hex(w, "cap_permitted", c->cap_permitted);
	kv_hex(w, "cap_inheritable", c->cap_inheritable);
	json_object_end(w);
}

static void write_generic(struct json_writer *w, const struct event *ev)
{
	const uint64_t *a = ev->generic.args;

	switch (ev->type) {
	case EVENT_MEMFD:
		json_key(w, "file");
		json_object_begin(w);
		if (ev->generic.path.ptr) {
			json_kv_string_len(w, "name", ev->generic.path.ptr, ev->generic.path.len);
			if (ev->generic.path.truncated)
				json_kv_bool(w, "name_truncated", true);
		}
		json_kv_uint(w, "flags", a[1]);
		if (ev->ret >= 0)
			json_kv_int(w, "fd", ev->ret);
		json_object_end(w);
		return;
	case EVENT_PTRACE:
		json_key(w, "ptrace");
		json_object_begin(w);
		json_kv_uint(w, "request", a[0]);
		json_kv_uint(w, "target_pid", ev->generic.target_pid);
		json_object_end(w);
		return;
	case EVENT_KILL:
		json_key(w, "signal");
		json_object_begin(w);
		json_kv_int(w, "target_pid", (int32_t)ev->generic.target_pid);
		json_kv_uint(w, "signal", ev->syscall == 234 ? a[2] : a[1]);
		json_object_end(w);
		return;
	case EVENT_MODULE:
		json_key(w, "module");
		json_object_begin(w);
		kv_str(w, "path", &ev->generic.path);
		if (ev->syscall == 175)
			json_kv_uint(w, "size", a[1]);
		json_object_end(w);
		return;
	case EVENT_UNSHARE:
	case EVENT_SETNS:
		json_key(w, "ns");
		json_object_begin(w);
		kv_hex(w, "flags", ev->type == EVENT_UNSHARE ? a[0] : a[1]);
		if (ev->type == EVENT_SETNS)
			kv_str(w, "path", &ev->generic.path);
		json_object_end(w);
		return;
	case EVENT_BPF:
		json_key(w, "bpf");
		json_object_begin(w);
		json_kv_uint(w, "cmd", a[0]);
		json_object_end(w);
		return;
	default:
		return;
	}
}

static void kv_time(struct json_writer *w, const char *key, uint64_t unix_ns)
{
	char text[48];

	if (!unix_ns)
		return;
	format_rfc3339_ns(text, sizeof(text), unix_ns);
	json_kv_string(w, key, text);
}

/* What fds 0, 1 and 2 of the new image are: a kind, or null when closed. */
static void write_stdio(struct json_writer *w, const uint8_t kinds[3])
{
	json_key(w, "stdio");
	json_array_begin(w);
	for (int i = 0; i < 3; i++)
		json_string(w, fd_kind_name(kinds[i]));	/* NULL writes null */
	json_array_end(w);
}

static void write_exe_flags(struct json_writer *w, uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{EXE_FROM_MEMFD, "memfd"},
		{EXE_DELETED, "deleted"},
		{EXE_ON_OVERLAY, "overlay"},
		{EXE_UPPER_LAYER, "upper_layer"},
	};

	json_key(w, "exe_flags");
	json_array_begin(w);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_string(w, names[i].name);
	json_array_end(w);
}

static void write_exec_details(struct json_writer *w, const struct event *ev)
{
	if (ev->ret < 0) {	/* the process did not change: say what it tried */
		json_key(w, "exec");
		json_object_begin(w);
		kv_str(w, "filename", &ev->exec.filename);
		json_object_end(w);
		return;
	}
	json_key(w, "exec");
	json_object_begin(w);
	kv_str(w, "filename", &ev->exec.filename);
	json_kv_uint(w, "argc", ev->exec.argc);
	write_stdio(w, ev->exec.stdio_type);
	json_kv_uint(w, "tty", ev->exec.tty);
	json_kv_uint(w, "exe_ino", ev->exec.exe_ino);
	json_kv_uint(w, "exe_dev", ev->exec.exe_dev);
	kv_time(w, "exe_ctime", ev->exec.exe_ctime_ns);
	kv_time(w, "exe_mtime", ev->exec.exe_mtime_ns);
	write_exe_flags(w, ev->exec.exe_flags);
	kv_hex(w, "cap_effective", ev->exec.cap_effective);
	kv_hex(w, "cap_permitted", ev->exec.cap_permitted);
	json_object_end(w);
}

static void write_type_details(struct json_writer *w, const struct event *ev,
			       const struct event_context *ctx)
{
	switch (ev->type) {
	case EVENT_EXEC:
		write_exec_details(w, ev);
		break;
	case EVENT_FORK: {
		const struct proc_entry *child = ctx->table ?
			proc_table_lookup(ctx->table, ev->fork.child_pid) : NULL;
		json_key(w, "child");
		json_object_begin(w);
		json_kv_uint(w, "pid", ev->fork.child_pid);
		if (child)
			json_kv_string(w, "exec_id", child->exec_id);
		json_object_end(w);
		break;
	}
	case EVENT_EXIT:
		json_key(w, "exit");
		json_object_begin(w);
		json_kv_uint(w, "code", ev->exit.exit_code);
		if (ev->exit.signal)
			json_kv_uint(w, "signal", ev->exit.signal);
		json_object_end(w);
		break;
	case EVENT_OPEN: case EVENT_UNLINK: case EVENT_RENAME: case EVENT_CHMOD:
	case EVENT_CHOWN: case EVENT_MKDIR: case EVENT_LINK: case EVENT_SYMLINK:
	case EVENT_MOUNT:
		write_file(w, ev);
		break;
	case EVENT_CONNECT: case EVENT_ACCEPT: case EVENT_BIND: case EVENT_LISTEN:
		write_net(w, ev);
		break;
	case EVENT_SETUID: case EVENT_CAPSET:
		write_cred(w, ev);
		break;
	default:
		write_generic(w, ev);
		break;
	}
}

void event_json_write(struct json_writer *w, const struct event *ev,
		      const struct event_context *ctx)
{
	char time[48];

	format_rfc3339_ns(time, sizeof(time), ev->real_ns);
	json_object_begin(w);
	json_kv_string(w, "time", time);
	json_kv_string(w, "host", ctx->host);
	json_kv_string(w, "event", event_type_name(ev->type));
	if (ev->syscall >= 0) {
		const char *name = syscall_name_x86_64(ev->syscall);
		json_kv_string(w, "syscall", name ? name : "unknown");
		json_kv_int(w, "ret", ev->ret);
		if (ev->ret < 0 && ev->ret > -4096) {
			const char *err = strerrorname_np((int)-ev->ret);
			if (err)
				json_kv_string(w, "error", err);
		}
	}
	json_kv_uint(w, "cgroup_id", ev->cgroup_id);
	write_proc(w, ev, ctx);
	write_type_details(w, ev, ctx);
	json_object_end(w);
}

void event_json_write_proc(struct json_writer *w, const struct event *ev,
			   const struct event_context *ctx)
{
	write_proc(w, ev, ctx);
}

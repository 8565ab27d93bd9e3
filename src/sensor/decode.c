/* decode.c - ring-buffer record → struct event.
 *
 * Records come from the kernel side but are still checked field by field:
 * a decoder that trusts lengths is one bug away from reading past the
 * ring.  All strings are copied into the event's storage, which is sized
 * once per record so pointers into it stay valid.
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const uint8_t *p, *end;
	unsigned left;		/* strings not yet read */
	bool bad;
};

struct raw_str {
	const char *ptr;
	size_t len;
	bool truncated;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void event_init(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
}

void event_release(struct event *ev)
{
	free(ev->storage);
	memset(ev, 0, sizeof(*ev));
}

static bool read_raw(struct reader *r, struct raw_str *out)
{
	uint16_t word;

	memset(out, 0, sizeof(*out));
	if (r->bad || r->left == 0 || r->end - r->p < 2) {
		r->bad = true;
		return false;
	}
	memcpy(&word, r->p, 2);
	r->p += 2;
	out->len = word & STR_LEN_MASK;
	out->truncated = word & STR_TRUNCATED;
	if ((size_t)(r->end - r->p) < out->len) {
		r->bad = true;
		return false;
	}
	out->ptr = (const char *)r->p;
	r->p += out->len;
	r->left--;
	return true;
}

/* Reserve len+1 bytes in storage (capacity was sized for the record). */
static char *store(struct event *ev, size_t len)
{
	char *at;

	if (ev->storage_len + len + 1 > ev->storage_cap)
		return NULL;
	at = ev->storage + ev->storage_len;
	ev->storage_len += len + 1;
	at[len] = '\0';
	return at;
}

static void store_str(struct event *ev, const struct raw_str *raw, struct event_str *out)
{
	char *at = store(ev, raw->len);

	if (!at)
		return;
	memcpy(at, raw->ptr, raw->len);
	out->ptr = at;
	out->len = raw->len;
	out->truncated = raw->truncated;
}

static bool read_str(struct reader *r, struct event *ev, struct event_str *out)
{
	struct raw_str raw;

	if (!read_raw(r, &raw))
		return false;
	store_str(ev, &raw, out);
	return true;
}

/* Components arrive leaf first; build "/top/.../leaf". */
static bool read_dentry_path(struct reader *r, struct event *ev, unsigned parts,
			     struct event_str *out)
{
	struct raw_str comp[DENTRY_DEPTH];
	size_t total = 1;
	bool truncated = parts >= DENTRY_DEPTH;
	char *at;

	if (parts > DENTRY_DEPTH) {
		r->bad = true;
		return false;
	}
	for (unsigned i = 0; i < parts; i++) {
		if (!read_raw(r, &comp[i]))
			return false;
		total += comp[i].len + 1;
		truncated |= comp[i].truncated;
	}
	at = store(ev, total);
	if (!at)
		return false;
	size_t n = 0;
	for (unsigned i = parts; i-- > 0;) {
		at[n++] = '/';
		memcpy(at + n, comp[i].ptr, comp[i].len);
		n += comp[i].len;
	}
	if (n == 0)
		at[n++] = '/';
	at[n] = '\0';
	out->ptr = at;
	out->len = n;
	out->truncated = truncated;
	return true;
}

size_t path_join_normalize(char *out, size_t cap, const char *base, size_t base_len,
			   const char *rel, size_t rel_len)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	/* Walk base then rel as one sequence of components. */
	const char *parts[2] = {base, rel};
	size_t lens[2] = {base_len, rel_len};

	for (int k = 0; k < 2; k++) {
		size_t i = 0;

		while (i < lens[k]) {
			while (i < lens[k] && parts[k][i] == '/')
				i++;
			size_t start = i;
			while (i < lens[k] && parts[k][i] != '/')
				i++;
			size_t clen = i - start;
			const char *c = parts[k] + start;

			if (clen == 0 || (clen == 1 && c[0] == '.'))
				continue;
			if (clen == 2 && c[0] == '.' && c[1] == '.') {
				while (n > 0 && out[n - 1] != '/')
					n--;
				if (n > 0)
					n--;	/* the slash */
				continue;
			}
			if (n + 1 + clen + 1 > cap)
				goto done;
			out[n++] = '/';
			memcpy(out + n, c, clen);
			n += clen;
		}
	}
done:
	if (n == 0)
		out[n++] = '/';
	out[n < cap ? n : cap - 1] = '\0';
	return n < cap ? n : cap - 1;
}

/* A path argument: as given, or made absolute with its base dir parts. */
static bool read_path_arg(struct reader *r, struct event *ev, unsigned path_parts,
			  unsigned base_parts, bool from_fd, struct event_str *out)
{
	struct event_str rel = {0}, base = {0};

	if (from_fd)
		return read_dentry_path(r, ev, path_parts, out);
	if (path_parts == 0)
		return true;
	if (path_parts != 1) {
		r->bad = true;
		return false;
	}
	if (!read_str(r, ev, &rel))
		return false;
	*out = rel;
	if (base_parts == 0)
		return true;
	if (!read_dentry_path(r, ev, base_parts, &base))
		return false;
	size_t cap = base.len + rel.len + 3;
	char *at = store(ev, cap);
	if (!at)
		return false;
	out->len = path_join_normalize(at, cap + 1, base.ptr, base.len, rel.ptr, rel.len);
	out->ptr = at;
	out->truncated = rel.truncated || base.truncated;
	return true;
}

const char *fd_kind_name(unsigned kind)
{
	static const char *const names[FD_KIND_MAX] = {
		[FD_KIND_FILE] = "file",
		[FD_KIND_DIRECTORY] = "directory",
		[FD_KIND_CHARDEV] = "char",
		[FD_KIND_BLOCKDEV] = "block",
		[FD_KIND_PIPE] = "pipe",
		[FD_KIND_IPV4] = "ipv4",
		[FD_KIND_IPV6] = "ipv6",
		[FD_KIND_UNIX] = "unix",
		[FD_KIND_NETLINK] = "netlink",
		[FD_KIND_SOCKET] = "socket",
		[FD_KIND_OTHER] = "other",
	};

	return kind < FD_KIND_MAX ? names[kind] : NULL;
}

/* The kernel's dev_t (major << 20 | minor) as stat(2) and /proc show it. */
static uint32_t user_dev(uint32_t kdev)
{
	uint32_t major = kdev >> 20, minor = kdev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static void decode_exec_facts(struct event *ev, const struct exec_payload *ep)
{
	for (int i = 0; i < 3; i++)	/* a kind we do not know is still open */
		ev->exec.stdio_type[i] = ep->stdio_type[i] < FD_KIND_MAX ?
			ep->stdio_type[i] : FD_KIND_OTHER;
	ev->exec.tty = ep->tty;
	ev->exec.exe_ctime_ns = ep->exe_ctime_ns;
	ev->exec.exe_mtime_ns = ep->exe_mtime_ns;
	ev->exec.exe_flags = ep->exe_flags;
	ev->exec.exe_ino = ep->exe_ino;
	ev->exec.exe_dev = user_dev(ep->exe_dev);
	ev->exec.cap_effective = ep->cap_effective;
	ev->exec.cap_permitted = ep->cap_permitted;
}

static bool decode_exec(struct reader *r, struct event *ev, const struct exec_payload *ep,
			uint32_t hdr_flags)
{
	if (ev->ret < 0)	/* failed execve: only the filename */
		return read_str(r, ev, &ev->exec.filename);
	decode_exec_facts(ev, ep);
	ev->exec.argc = ep->argc;
	ev->exec.args_truncated = hdr_flags & HDR_ARGS_TRUNCATED;
	if (!read_dentry_path(r, ev, ep->exe_parts, &ev->exec.exe) ||
	    !read_str(r, ev, &ev->exec.args) ||
	    !read_dentry_path(r, ev, ep->cwd_parts, &ev->exec.cwd))
		return false;
	ev->exec.args_truncated |= ev->exec.args.truncated;
	if (r->left)
		read_str(r, ev, &ev->exec.filename);
	return !r->bad;
}

static bool decode_file(struct reader *r, struct event *ev, const struct file_payload *fp,
			uint32_t hdr_flags)
{
	bool from_fd = hdr_flags & HDR_FROM_FD;

	ev->file.dirfd = fp->dirfd;
	ev->file.fd = fp->fd;
	ev->file.flags = fp->flags;
	ev->file.mode = fp->mode;
	ev->file.uid = fp->uid;
	ev->file.gid = fp->gid;
	ev->file.resolve = fp->resolve;
	if (!read_path_arg(r, ev, fp->path_parts, fp->base_parts, from_fd, &ev->file.path) ||
	    !read_path_arg(r, ev, fp->path2_parts, fp->base2_parts, false, &ev->file.path2))
		return false;
	if (ev->type == EVENT_MOUNT && r->left)
		read_str(r, ev, &ev->file.fstype);
	return !r->bad;
}

static void copy_addr(struct event_addr *to, const struct net_addr *from, uint16_t family)
{
	to->family = family;
	memcpy(to->addr, from->addr, sizeof(to->addr));
	to->port = from->port;
}

static bool decode_net(struct reader *r, struct event *ev, const struct net_payload *np)
{
	ev->net.family = np->family;
	ev->net.type = np->type;
	ev->net.protocol = np->protocol;
	ev->net.fd = np->fd;
	ev->net.backlog = np->backlog;
	copy_addr(&ev->net.local, &np->local, np->family);
	copy_addr(&ev->net.remote, &np->remote, np->family);
	if (r->left) {
		/* unix socket path: belongs to whichever side the call named */
		struct event_addr *a = ev->type == EVENT_BIND ? &ev->net.local : &ev->net.remote;
		bool abstract = ev->type == EVENT_BIND ? np->local.pad : np->remote.pad;

		if (!read_str(r, ev, &a->unix_path))
			return false;
		if (abstract && a->unix_path.ptr) {
			/* show abstract names as "@name" */
			char *at = store(ev, a->unix_path.len + 1);
			if (at) {
				at[0] = '@';
				memcpy(at + 1, a->unix_path.ptr, a->unix_path.len);
				a->unix_path.ptr = at;
				a->unix_path.len++;
			}
		}
	}
	return !r->bad;
}

/* "uts" and 4026531838 become "uts:[4026531838]", as /proc/PID/ns shows it. */
static bool read_ns_name(struct reader *r, struct event *ev, uint64_t inum,
			 struct event_str *out)
{
	struct raw_str type;
	char *at;
	int n;

	if (!read_raw(r, &type))
		return false;
	at = store(ev, type.len + 24);
	if (!at)
		return false;
	n = snprintf(at, type.len + 25, "%.*s:[%llu]", (int)type.len, type.ptr,
		     (unsigned long long)inum);
	out->ptr = at;
	out->len = n > 0 ? (size_t)n : 0;
	return true;
}

static bool decode_generic(struct reader *r, struct event *ev, const struct generic_payload *gp)
{
	memcpy(ev->generic.args, gp->args, sizeof(gp->args));
	ev->generic.target_pid = gp->target_pid;
	if (ev->type == EVENT_MEMFD)
		return gp->path_parts == 0 || read_str(r, ev, &ev->generic.path);
	if (ev->type == EVENT_SETNS && gp->ns_inum)
		return read_ns_name(r, ev, gp->ns_inum, &ev->generic.path);
	return read_dentry_path(r, ev, gp->path_parts, &ev->generic.path) || gp->path_parts == 0;
}

static size_t payload_size(enum event_type type)
{
	switch (type) {
	case EVENT_EXEC: return sizeof(struct exec_payload);
	case EVENT_FORK: return sizeof(struct fork_payload);
	case EVENT_EXIT: return sizeof(struct exit_payload);
	case EVENT_OPEN: case EVENT_UNLINK: case EVENT_RENAME: case EVENT_CHMOD:
	case EVENT_CHOWN: case EVENT_MKDIR: case EVENT_LINK: case EVENT_SYMLINK:
	case EVENT_MOUNT:
		return sizeof(struct file_payload);
	case EVENT_CONNECT: case EVENT_ACCEPT: case EVENT_BIND: case EVENT_LISTEN:
		return sizeof(struct net_payload);
	case EVENT_SETUID: case EVENT_CAPSET:
		return sizeof(struct cred_payload);
	case EVENT_PTRACE: case EVENT_MODULE: case EVENT_UNSHARE: case EVENT_SETNS:
	case EVENT_BPF: case EVENT_KILL: case EVENT_MEMFD:
		return sizeof(struct generic_payload);
	case EVENT_CGROUP_MKDIR: case EVENT_CGROUP_RMDIR:
		return sizeof(struct cgroup_payload);
	default:
		return 0;
	}
}

static bool decode_payload(struct reader *r, struct event *ev, const void *payload,
			   uint32_t hdr_flags)
{
	switch (ev->type) {
	case EVENT_EXEC:
		return decode_exec(r, ev, payload, hdr_flags);
	case EVENT_FORK: {
		const struct fork_payload *fp = payload;
		ev->fork.child_pid = fp->child_pid;
		ev->fork.child_tid = fp->child_tid;
		ev->fork.child_start_ns = fp->child_start_ns;
		ev->fork.clone_flags = fp->clone_flags;
		return true;
	}
	case EVENT_EXIT: {
		const struct exit_payload *xp = payload;
		ev->exit.exit_code = xp->exit_code;
		ev->exit.signal = xp->signal;
		return true;
	}
	case EVENT_CONNECT: case EVENT_ACCEPT: case EVENT_BIND: case EVENT_LISTEN:
		return decode_net(r, ev, payload);
	case EVENT_SETUID: case EVENT_CAPSET:
		memcpy(&ev->cred, payload, sizeof(ev->cred));
		return true;
	case EVENT_PTRACE: case EVENT_MODULE: case EVENT_UNSHARE: case EVENT_SETNS:
	case EVENT_BPF: case EVENT_KILL: case EVENT_MEMFD:
		return decode_generic(r, ev, payload);
	case EVENT_CGROUP_MKDIR: case EVENT_CGROUP_RMDIR: {
		const struct cgroup_payload *cp = payload;
		ev->cgroup.id = cp->id;
		ev->cgroup.level = cp->level;
		return read_str(r, ev, &ev->cgroup.path);
	}
	default:
		return decode_file(r, ev, payload, hdr_flags);
	}
}

static int reserve_storage(struct event *ev, size_t size)
{
	/* joined paths: at most every byte once plus slashes, and one join */
	size_t need = 3 * size + 256;

	if (ev->storage_cap < need) {
		char *p = realloc(ev->storage, need);
		if (!p)
			return -1;
		ev->storage = p;
		ev->storage_cap = need;
	}
	ev->storage_len = 0;
	return 0;
}

static void fill_header(struct event *ev, const struct event_header *h, int64_t real_offset_ns)
{
	ev->type = h->type;
	ev->boot_ns = h->time_ns;
	ev->real_ns = h->time_ns + real_offset_ns;
	ev->cgroup_id = h->cgroup_id;
	ev->ret = h->ret;
	ev->syscall = h->syscall == 0xffff ? -1 : h->syscall;
	ev->hdr_flags = h->flags;
	ev->task.pid = h->pid;
	ev->task.tid = h->tid;
	ev->task.ppid = h->ppid;
	ev->task.uid = h->uid;
	ev->task.gid = h->gid;
	ev->task.euid = h->euid;
	ev->task.egid = h->egid;
	ev->task.loginuid = h->loginuid;
	ev->task.ns_pid = h->ns_pid;
	ev->task.mntns = h->mntns;
	ev->task.start_ns = h->start_ns;
	memcpy(ev->task.comm, h->comm, COMM_LEN);
	ev->task.comm[COMM_LEN] = '\0';
}

int event_decode(struct event *ev, const void *data, size_t size,
		 int64_t real_offset_ns, char *err, size_t errlen)
{
	struct event_header h;
	struct reader r;
	uint8_t payload[sizeof(struct cred_payload) + sizeof(struct generic_payload)];
	size_t psize;

	if (size < sizeof(h)) {
		set_err(err, errlen, "record of %zu bytes is shorter than a header", size);
		return -1;
	}
	memcpy(&h, data, sizeof(h));
	if (payload_size(h.type) == 0) {	/* includes user-space-only types */
		set_err(err, errlen, "record has unknown type %u", h.type);
		return -1;
	}
	if (h.size > size || h.size < sizeof(h)) {
		set_err(err, errlen, "record says %u bytes, %zu available", h.size, size);
		return -1;
	}
	psize = payload_size(h.type);
	if (h.size - sizeof(h) < psize) {
		set_err(err, errlen, "record of type %u too short for its payload", h.type);
		return -1;
	}
	if (reserve_storage(ev, h.size)) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	char *storage = ev->storage;
	size_t cap = ev->storage_cap;
	memset(ev, 0, sizeof(*ev));
	ev->storage = storage;
	ev->storage_cap = cap;
	fill_header(ev, &h, real_offset_ns);
	memcpy(payload, (const uint8_t *)data + sizeof(h), psize);
	r.p = (const uint8_t *)data + sizeof(h) + psize;
	r.end = (const uint8_t *)data + h.size;
	r.left = h.nstr;
	r.bad = false;
	if (!decode_payload(&r, ev, payload, h.flags) || r.bad) {
		set_err(err, errlen, "record of type %u has malformed strings", h.type);
		return -1;
	}
	return 0;
}

/* fields.c - Falco-named fields read from vigil's enriched events.
 *
 * The catalogue below is the whole mapping: a name, a kind, whether it
 * takes an [argument], and an id that field_read() switches on.  Fields
 * Falco has and vigil cannot provide are listed too, so that a rule using
 * one is reported as unavailable (not as a typo) and the others still run.
 */
#include "fields.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc/user_names.h"
#include "rules/field_names.h"
#include "sensor/decode.h"
#include "sensor/event_names.h"
#include "sensor/syscall_table.h"

#define SCRATCH_BYTES	(256u * 1024)
#define MAX_ANCESTRY	32	/* proc.aname[N] walks at most this far */

enum field_id {
	F_EVT_TYPE, F_EVT_DIR, F_EVT_RES, F_EVT_RAWRES, F_EVT_NUM, F_EVT_TIME,
	F_EVT_HOSTNAME, F_EVT_IS_OPEN_READ, F_EVT_IS_OPEN_WRITE, F_EVT_IS_OPEN_EXEC,
	F_EVT_ARG, F_EVT_SOURCE,
	F_PROC_NAME, F_PROC_EXEPATH, F_PROC_EXE, F_PROC_ARGS, F_PROC_CMDLINE,
	F_PROC_PNAME, F_PROC_PEXEPATH, F_PROC_PEXE, F_PROC_PCMDLINE,
	F_PROC_ANAME, F_PROC_AEXEPATH, F_PROC_AEXE, F_PROC_APID,
	F_PROC_PID, F_PROC_PPID, F_PROC_VPID, F_THREAD_TID, F_PROC_CWD, F_PROC_TTY,
	F_PROC_DURATION, F_PROC_PPID_DURATION, F_PROC_EXE_INO, F_PROC_EXE_INO_CTIME,
	F_PROC_EXE_INO_MTIME, F_PROC_EXE_INO_CTIME_DURATION_PROC_START,
	F_PROC_IS_EXE_UPPER_LAYER, F_PROC_IS_EXE_FROM_MEMFD, F_PROC_STDIN_TYPE,
	F_PROC_STDOUT_TYPE, F_PROC_STDERR_TYPE, F_THREAD_CAP_EFFECTIVE,
	F_THREAD_CAP_PERMITTED,
	F_USER_UID, F_USER_NAME, F_USER_LOGINUID, F_USER_LOGINNAME, F_GROUP_GID,
	F_FD_NAME, F_FD_DIRECTORY, F_FD_FILENAME, F_FD_TYPE, F_FD_TYPECHAR, F_FD_NUM,
	F_FD_L4PROTO, F_FD_SOCKFAMILY, F_FD_CONNECTED,
	F_FD_SIP, F_FD_CIP, F_FD_LIP, F_FD_RIP, F_FD_IP,
	F_FD_SPORT, F_FD_CPORT, F_FD_LPORT, F_FD_RPORT, F_FD_PORT,
	F_CONTAINER_ID, F_CONTAINER_FULL_ID, F_CONTAINER_NAME, F_CONTAINER_IMAGE,
	F_CONTAINER_IMAGE_REPOSITORY, F_CONTAINER_IMAGE_TAG, F_CONTAINER_IMAGE_DIGEST,
	F_CONTAINER_TYPE, F_CONTAINER_PRIVILEGED, F_CONTAINER_START_TS, F_CONTAINER_LABEL,
	F_K8S_NS_NAME, F_K8S_POD_NAME, F_K8S_POD_UID, F_K8S_POD_LABEL, F_K8S_POD_LABELS,
	F_VIGIL_ENTERED, F_VIGIL_WORKLOAD_KIND, F_VIGIL_UNIT, F_VIGIL_EXEC_ID, F_VIGIL_NS_IS_HOST,
};

/* Which argument a field takes. OPT: an index that may be left out, the
 * field then meaning "any of them" (proc.aname = bash: any ancestor). */
enum arg_rule { NOARG, INDEX_OPT, INDEX_REQ, KEY_REQ };

struct field_def {
	const char *name;
	enum field_id id;
	enum field_kind kind;
	enum arg_rule arg;
	int any_count;		/* values of a field that means "any": fd.ip has 2 */
};

static const struct field_def field_defs[] = {
	{"evt.type", F_EVT_TYPE, FK_EVTTYPE, NOARG, 0},
	{"evt.dir", F_EVT_DIR, FK_STRING, NOARG, 0},
	{"evt.res", F_EVT_RES, FK_STRING, NOARG, 0},
	{"evt.rawres", F_EVT_RAWRES, FK_NUMBER, NOARG, 0},
	{"evt.num", F_EVT_NUM, FK_NUMBER, NOARG, 0},
	{"evt.time", F_EVT_TIME, FK_NUMBER, NOARG, 0},
	{"evt.rawtime", F_EVT_TIME, FK_NUMBER, NOARG, 0},
	{"evt.hostname", F_EVT_HOSTNAME, FK_STRING, NOARG, 0},
	{"evt.is_open_read", F_EVT_IS_OPEN_READ, FK_BOOL, NOARG, 0},
	{"evt.is_open_write", F_EVT_IS_OPEN_WRITE, FK_BOOL, NOARG, 0},
	{"evt.is_open_exec", F_EVT_IS_OPEN_EXEC, FK_BOOL, NOARG, 0},
	{"evt.arg", F_EVT_ARG, FK_STRING, KEY_REQ, 0},
	{"evt.source", F_EVT_SOURCE, FK_STRING, NOARG, 0},
	{"proc.name", F_PROC_NAME, FK_STRING, NOARG, 0},
	{"proc.exepath", F_PROC_EXEPATH, FK_STRING, NOARG, 0},
	{"proc.exe", F_PROC_EXE, FK_STRING, NOARG, 0},
	{"proc.args", F_PROC_ARGS, FK_STRING, NOARG, 0},
	{"proc.cmdline", F_PROC_CMDLINE, FK_STRING, NOARG, 0},
	{"proc.pname", F_PROC_PNAME, FK_STRING, NOARG, 0},
	{"proc.pexepath", F_PROC_PEXEPATH, FK_STRING, NOARG, 0},
	{"proc.pexe", F_PROC_PEXE, FK_STRING, NOARG, 0},
	{"proc.pcmdline", F_PROC_PCMDLINE, FK_STRING, NOARG, 0},
	{"proc.aname", F_PROC_ANAME, FK_STRING, INDEX_OPT, MAX_ANCESTRY},
	{"proc.aexepath", F_PROC_AEXEPATH, FK_STRING, INDEX_OPT, MAX_ANCESTRY},
	{"proc.aexe", F_PROC_AEXE, FK_STRING, INDEX_OPT, MAX_ANCESTRY},
	{"proc.apid", F_PROC_APID, FK_NUMBER, INDEX_OPT, MAX_ANCESTRY},
	{"proc.pid", F_PROC_PID, FK_NUMBER, NOARG, 0},
	{"proc.ppid", F_PROC_PPID, FK_NUMBER, NOARG, 0},
	{"proc.vpid", F_PROC_VPID, FK_NUMBER, NOARG, 0},
	{"thread.tid", F_THREAD_TID, FK_NUMBER, NOARG, 0},
	{"proc.cwd", F_PROC_CWD, FK_STRING, NOARG, 0},
	{"proc.tty", F_PROC_TTY, FK_NUMBER, NOARG, 0},
	{"proc.duration", F_PROC_DURATION, FK_NUMBER, NOARG, 0},
	{"proc.ppid.duration", F_PROC_PPID_DURATION, FK_NUMBER, NOARG, 0},
	{"proc.exe_ino", F_PROC_EXE_INO, FK_NUMBER, NOARG, 0},
	{"proc.exe_ino.ctime", F_PROC_EXE_INO_CTIME, FK_NUMBER, NOARG, 0},
	{"proc.exe_ino.mtime", F_PROC_EXE_INO_MTIME, FK_NUMBER, NOARG, 0},
	{"proc.exe_ino.ctime_duration_proc_start", F_PROC_EXE_INO_CTIME_DURATION_PROC_START,
	 FK_NUMBER, NOARG, 0},
	{"proc.is_exe_upper_layer", F_PROC_IS_EXE_UPPER_LAYER, FK_BOOL, NOARG, 0},
	{"proc.is_exe_from_memfd", F_PROC_IS_EXE_FROM_MEMFD, FK_BOOL, NOARG, 0},
	{"proc.stdin.type", F_PROC_STDIN_TYPE, FK_STRING, NOARG, 0},
	{"proc.stdout.type", F_PROC_STDOUT_TYPE, FK_STRING, NOARG, 0},
	{"proc.stderr.type", F_PROC_STDERR_TYPE, FK_STRING, NOARG, 0},
	{"thread.cap_effective", F_THREAD_CAP_EFFECTIVE, FK_STRING, NOARG, 0},
	{"thread.cap_permitted", F_THREAD_CAP_PERMITTED, FK_STRING, NOARG, 0},
	{"user.uid", F_USER_UID, FK_NUMBER, NOARG, 0},
	{"user.name", F_USER_NAME, FK_STRING, NOARG, 0},
	{"user.loginuid", F_USER_LOGINUID, FK_NUMBER, NOARG, 0},
	{"user.loginname", F_USER_LOGINNAME, FK_STRING, NOARG, 0},
	{"group.gid", F_GROUP_GID, FK_NUMBER, NOARG, 0},
	{"fd.name", F_FD_NAME, FK_STRING, NOARG, 0},
	{"fd.nameraw", F_FD_NAME, FK_STRING, NOARG, 0},
	{"fd.directory", F_FD_DIRECTORY, FK_STRING, NOARG, 0},
	{"fd.filename", F_FD_FILENAME, FK_STRING, NOARG, 0},
	{"fd.type", F_FD_TYPE, FK_STRING, NOARG, 0},
	{"fd.typechar", F_FD_TYPECHAR, FK_STRING, NOARG, 0},
	{"fd.num", F_FD_NUM, FK_NUMBER, NOARG, 0},
	{"fd.l4proto", F_FD_L4PROTO, FK_STRING, NOARG, 0},
	{"fd.sockfamily", F_FD_SOCKFAMILY, FK_STRING, NOARG, 0},
	{"fd.connected", F_FD_CONNECTED, FK_BOOL, NOARG, 0},
	{"fd.sip", F_FD_SIP, FK_NET, NOARG, 0},
	{"fd.cip", F_FD_CIP, FK_NET, NOARG, 0},
	{"fd.lip", F_FD_LIP, FK_NET, NOARG, 0},
	{"fd.rip", F_FD_RIP, FK_NET, NOARG, 0},
	{"fd.ip", F_FD_IP, FK_NET, NOARG, 2},
	{"fd.snet", F_FD_SIP, FK_NET, NOARG, 0},
	{"fd.cnet", F_FD_CIP, FK_NET, NOARG, 0},
	{"fd.lnet", F_FD_LIP, FK_NET, NOARG, 0},
	{"fd.rnet", F_FD_RIP, FK_NET, NOARG, 0},
	{"fd.net", F_FD_IP, FK_NET, NOARG, 2},
	{"fd.sport", F_FD_SPORT, FK_NUMBER, NOARG, 0},
	{"fd.cport", F_FD_CPORT, FK_NUMBER, NOARG, 0},
	{"fd.lport", F_FD_LPORT, FK_NUMBER, NOARG, 0},
	{"fd.rport", F_FD_RPORT, FK_NUMBER, NOARG, 0},
	{"fd.port", F_FD_PORT, FK_NUMBER, NOARG, 2},
	{"container.id", F_CONTAINER_ID, FK_STRING, NOARG, 0},
	{"container.full_id", F_CONTAINER_FULL_ID, FK_STRING, NOARG, 0},
	{"container.name", F_CONTAINER_NAME, FK_STRING, NOARG, 0},
	{"container.image", F_CONTAINER_IMAGE, FK_STRING, NOARG, 0},
	{"container.image.repository", F_CONTAINER_IMAGE_REPOSITORY, FK_STRING, NOARG, 0},
	{"container.image.tag", F_CONTAINER_IMAGE_TAG, FK_STRING, NOARG, 0},
	{"container.image.digest", F_CONTAINER_IMAGE_DIGEST, FK_STRING, NOARG, 0},
	{"container.type", F_CONTAINER_TYPE, FK_STRING, NOARG, 0},
	{"container.privileged", F_CONTAINER_PRIVILEGED, FK_BOOL, NOARG, 0},
	{"container.start_ts", F_CONTAINER_START_TS, FK_NUMBER, NOARG, 0},
	{"container.label", F_CONTAINER_LABEL, FK_STRING, KEY_REQ, 0},
	{"k8s.ns.name", F_K8S_NS_NAME, FK_STRING, NOARG, 0},
	{"k8s.pod.name", F_K8S_POD_NAME, FK_STRING, NOARG, 0},
	{"k8s.pod.uid", F_K8S_POD_UID, FK_STRING, NOARG, 0},
	{"k8s.pod.label", F_K8S_POD_LABEL, FK_STRING, KEY_REQ, 0},
	{"k8s.pod.labels", F_K8S_POD_LABELS, FK_STRING, NOARG, 0},
	{"vigil.entered", F_VIGIL_ENTERED, FK_BOOL, NOARG, 0},
	{"vigil.workload.kind", F_VIGIL_WORKLOAD_KIND, FK_STRING, NOARG, 0},
	{"vigil.unit", F_VIGIL_UNIT, FK_STRING, NOARG, 0},
	{"vigil.exec_id", F_VIGIL_EXEC_ID, FK_STRING, NOARG, 0},
	{"vigil.ns_is_host", F_VIGIL_NS_IS_HOST, FK_BOOL, NOARG, 0},
};

/* Falco fields vigil does not provide, with the reason a user will read. */
static const struct {
	const char *prefix;
	const char *why;
} unprovided[] = {
	{"proc.env", "vigil does not capture process environments"},
	{"proc.sname", "vigil does not track sessions"},
	{"proc.sid", "vigil does not track sessions"},
	{"proc.vpgid", "vigil does not track process groups"},
	{"proc.is_vpgid_leader", "vigil does not track process groups"},
	{"proc.is_container_", "vigil does not know container health checks"},
	{"proc.is_exe_writable", "vigil does not read executable permissions"},
	{"proc.loginshellid", "vigil does not track login shells"},
	{"proc.fdopencount", "vigil does not track open descriptors"},
	{"fd.sip.name", "vigil does not resolve DNS names"},
	{"fd.cip.name", "vigil does not resolve DNS names"},
	{"fd.rip.name", "vigil does not resolve DNS names"},
	{"fd.lip.name", "vigil does not resolve DNS names"},
	{"fd.name_changed", "vigil does not track descriptor renames"},
	{"fd.types", "vigil does not track open descriptors"},
	{"fd.dev", "vigil does not report device numbers of files"},
	{"fd.ino", "vigil does not report inode numbers of files"},
	{"fs.path", "vigil has no fs.path fields"},
	{"evt.buffer", "vigil does not capture I/O buffers"},
	{"evt.args", "vigil does not render raw argument strings"},
	{"evt.rawarg", "vigil does not keep raw arguments"},
	{"evt.category", "vigil does not classify events by category"},
	{"container.mount", "vigil does not read container mounts"},
	{"container.healthcheck", "vigil does not know container health checks"},
	{"container.liveness_probe", "vigil does not know container health checks"},
	{"container.readiness_probe", "vigil does not know container health checks"},
	{"container.image.id", "vigil does not record image ids"},
	{"group.name", "vigil does not read group names"},
	{"user.homedir", "vigil does not read home directories"},
	{"user.shell", "vigil does not read login shells"},
	{"k8s.", "vigil reads only k8s.ns.name, k8s.pod.name, k8s.pod.uid and pod labels"},
	{"k8smeta.", "vigil has no Kubernetes API metadata"},
	{"ka.", "vigil does not read Kubernetes audit logs"},
	{"span.", "vigil has no tracer spans"},
};

/* evt.arg.<key> names vigil fills, in the order of evt_arg_keys. */
enum evt_arg {
	ARG_FLAGS, ARG_MODE, ARG_PATH, ARG_NAME, ARG_FILENAME, ARG_PATHNAME, ARG_OLDPATH, ARG_NEWPATH, ARG_TARGET, ARG_LINKPATH, ARG_DEV, ARG_DIR, ARG_TYPE, ARG_UID, ARG_GID, ARG_REQUEST, ARG_PID, ARG_SIG, ARG_CMD, ARG_FD, ARG_RES, ARG_RES_OR_FD, ARG_ADDR, ARG_TUPLE,
};

/* evt.arg.<key> names vigil fills; any other key is unprovided. */
static const char *const evt_arg_keys[] = {
	"flags", "mode", "path", "name", "filename", "pathname", "oldpath", "newpath",
	"target", "linkpath", "dev", "dir", "type", "uid", "gid", "request", "pid",
	"sig", "cmd", "fd", "res", "res_or_fd", "addr", "tuple",
};

void field_scratch_init(struct field_scratch *s)
{
	s->buf = malloc(SCRATCH_BYTES);
	s->cap = s->buf ? SCRATCH_BYTES : 0;
	s->used = 0;
}

void field_scratch_reset(struct field_scratch *s)
{
	s->used = 0;
}

void field_scratch_free(struct field_scratch *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = s->used = 0;
}

/* n bytes of scratch, or NULL when the arena is full (the field is then absent). */
static char *scratch_take(struct field_scratch *s, size_t n)
{
	char *p;

	if (!s->buf || n > s->cap - s->used)
		return NULL;
	p = s->buf + s->used;
	s->used += n;
	return p;
}

/* ---- lookup ---------------------------------------------------------- */

static bool parse_index(const char *arg, int *out)
{
	char *end;
	long v;

	if (!arg || !*arg || !isdigit((unsigned char)arg[0]))
		return false;
	v = strtol(arg, &end, 10);
	if (*end || v < 0 || v > 1000)
		return false;
	*out = (int)v;
	return true;
}

/* enum evt_arg of key, -1 when vigil does not report it. */
static int evt_arg_id(const char *key)
{
	for (size_t i = 0; i < sizeof(evt_arg_keys) / sizeof(evt_arg_keys[0]); i++)
		if (!strcmp(evt_arg_keys[i], key))
			return (int)i;
	return -1;
}

/* "evt.arg.flags" is "evt.arg" with key "flags"; k8s.pod.label.app too. */
static const struct field_def *find_def(const char *name, const char **dotted_key)
{
	*dotted_key = NULL;
	for (size_t i = 0; i < sizeof(field_defs) / sizeof(field_defs[0]); i++) {
		const struct field_def *d = &field_defs[i];
		size_t n = strlen(d->name);

		if (!strcmp(d->name, name))
			return d;
		if (d->arg == KEY_REQ && !strncmp(d->name, name, n) && name[n] == '.' &&
		    name[n + 1]) {
			*dotted_key = name + n + 1;
			return d;
		}
	}
	return NULL;
}

static enum field_lookup_result unprovided_reason(const char *name, char *why, size_t whylen)
{
	for (size_t i = 0; i < sizeof(unprovided) / sizeof(unprovided[0]); i++)
		if (!strncmp(name, unprovided[i].prefix, strlen(unprovided[i].prefix))) {
			snprintf(why, whylen, "field %s: %s", name, unprovided[i].why);
			return FIELD_UNPROVIDED;
		}
	snprintf(why, whylen, "unknown field %s", name);
	return FIELD_UNKNOWN;
}

enum field_lookup_result field_lookup(const char *name, const char *arg,
				      struct field_ref *ref, char *why, size_t whylen)
{
	const char *dotted = NULL;
	const struct field_def *d = find_def(name, &dotted);

	memset(ref, 0, sizeof(*ref));
	ref->index = -1;
	if (!d)
		return unprovided_reason(name, why, whylen);
	ref->id = d->id;
	ref->kind = d->kind;
	ref->name = d->name;
	switch (d->arg) {
	case NOARG:
		if (arg) {
			snprintf(why, whylen, "field %s takes no [argument]", name);
			return FIELD_BAD_ARGUMENT;
		}
		break;
	case INDEX_OPT:
	case INDEX_REQ:
		if (!arg) {
			ref->multi = d->arg == INDEX_OPT;
			if (!ref->multi) {
				snprintf(why, whylen, "field %s needs an [index]", name);
				return FIELD_BAD_ARGUMENT;
			}
		} else if (!parse_index(arg, &ref->index)) {
			snprintf(why, whylen, "field %s: [%s] is not an index", name, arg);
			return FIELD_BAD_ARGUMENT;
		}
		break;
	case KEY_REQ: {
		const char *key = arg ? arg : dotted;

		if (!key || !*key) {
			snprintf(why, whylen, "field %s needs a [name]", name);
			return FIELD_BAD_ARGUMENT;
		}
		if (d->id == F_EVT_ARG && (ref->index = evt_arg_id(key)) < 0) {
			snprintf(why, whylen, "field evt.arg.%s: vigil does not report that argument",
				 key);
			return FIELD_UNPROVIDED;
		}
		ref->key = strdup(key);
		if (!ref->key) {
			snprintf(why, whylen, "out of memory");
			return FIELD_BAD_ARGUMENT;
		}
		break;
	}
	}
	if (d->any_count)
		ref->multi = ref->multi || d->arg == NOARG;
	return FIELD_OK;
}

void field_ref_release(struct field_ref *ref)
{
	free(ref->key);
	ref->key = NULL;
}

/* ---- event keys ------------------------------------------------------ */

int evkey_of_event(const struct event *ev)
{
	switch (ev->type) {
	case EVENT_FORK:
	case EVENT_EXIT:
	case EVENT_CONTAINER_START:
	case EVENT_CONTAINER_STOP:
		return EVKEY_SYSCALLS + ev->type;
	default:
		if (ev->syscall >= 0 && ev->syscall < EVKEY_SYSCALLS)
			return ev->syscall;
		return ev->type < EVENT_TYPE_MAX ? EVKEY_SYSCALLS + (int)ev->type : -1;
	}
}

int evkey_from_name(const char *name, struct evkey_set *set)
{
	int nr;

	memset(set, 0, sizeof(*set));
	if (!strcmp(name, "clone") || !strcmp(name, "clone3") || !strcmp(name, "fork") ||
	    !strcmp(name, "vfork")) {
		evkey_set_add(set, EVKEY_SYSCALLS + EVENT_FORK);
		return 0;
	}
	if (!strcmp(name, "procexit")) {
		evkey_set_add(set, EVKEY_SYSCALLS + EVENT_EXIT);
		return 0;
	}
	if (!strcmp(name, "container")) {
		evkey_set_add(set, EVKEY_SYSCALLS + EVENT_CONTAINER_START);
		evkey_set_add(set, EVKEY_SYSCALLS + EVENT_CONTAINER_STOP);
		return 0;
	}
	if (!strcmp(name, "container_start") || !strcmp(name, "container_stop")) {
		evkey_set_add(set, EVKEY_SYSCALLS + event_type_from_name(name));
		return 0;
	}
	nr = syscall_number_x86_64(name);
	if (nr < 0 || nr >= EVKEY_SYSCALLS)
		return -1;
	evkey_set_add(set, nr);
	return 0;
}

const char *evkey_name(int key)
{
	if (key >= 0 && key < EVKEY_SYSCALLS) {
		const char *n = syscall_name_x86_64(key);

		return n ? n : "unknown";
	}
	switch (key - EVKEY_SYSCALLS) {
	case EVENT_FORK: return "clone";
	case EVENT_EXIT: return "procexit";
	case EVENT_CONTAINER_START: return "container_start";
	case EVENT_CONTAINER_STOP: return "container_stop";
	default: return key > EVKEY_SYSCALLS && key < EVKEY_COUNT ?
			event_type_name(key - EVKEY_SYSCALLS) : "unknown";
	}
}

void evkey_traced(struct evkey_set *set)
{
	memset(set, 0, sizeof(*set));
	for (int i = 0; i < traced_syscalls_count; i++)
		evkey_set_add(set, traced_syscalls[i].nr);
	evkey_set_add(set, EVKEY_SYSCALLS + EVENT_FORK);
	evkey_set_add(set, EVKEY_SYSCALLS + EVENT_EXIT);
	evkey_set_add(set, EVKEY_SYSCALLS + EVENT_CONTAINER_START);
	evkey_set_add(set, EVKEY_SYSCALLS + EVENT_CONTAINER_STOP);
}

/* ---- reading values -------------------------------------------------- */

static bool set_str(struct field_value *out, const char *s, size_t len)
{
	if (!s)
		return false;
	out->s = s;
	out->len = len;
	return true;
}

static bool set_cstr(struct field_value *out, const char *s)
{
	return s && *s && set_str(out, s, strlen(s));
}

static bool set_estr(struct field_value *out, const struct event_str *s)
{
	return s->ptr && set_str(out, s->ptr, s->len);
}

static bool set_num(struct field_value *out, int64_t n)
{
	out->n = n;
	return true;
}

/* A copy of s in scratch (s may be overwritten before the event is done). */
static bool set_copy(struct field_value *out, struct field_scratch *scr, const char *s)
{
	size_t n = strlen(s);
	char *p = scratch_take(scr, n + 1);

	if (!p)
		return false;
	memcpy(p, s, n + 1);
	return set_str(out, p, n);
}

/* Text built in scratch with printf. */
static bool set_fmt(struct field_value *out, struct field_scratch *scr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool set_fmt(struct field_value *out, struct field_scratch *scr, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) || !(p = scratch_take(scr, (size_t)n + 1)))
		return false;
	memcpy(p, tmp, (size_t)n + 1);
	return set_str(out, p, (size_t)n);
}

static const char *base_name(const char *path, size_t len, size_t *blen)
{
	const char *slash = memrchr(path, '/', len);
	const char *b = slash ? slash + 1 : path;

	*blen = len - (size_t)(b - path);
	return b;
}

/* argv[1..] joined with spaces; with prefix (a process name) in front. */
static bool join_args(struct field_value *out, struct field_scratch *scr,
		      const char *prefix, const struct proc_entry *p)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	const char *args = p->args ? p->args : "";
	const char *first_end = memchr(args, '\0', p->args_len);
	size_t skip = first_end ? (size_t)(first_end - args) + 1 : p->args_len;
	size_t rest = p->args_len - skip;
	char *buf;

	if (rest && args[skip + rest - 1] == '\0')
		rest--;	/* the last NUL is a terminator, not a separator */
	buf = scratch_take(scr, plen + 1 + rest + 1);
	if (!buf)
		return false;
	memcpy(buf, prefix ? prefix : "", plen);
	size_t len = plen;

	if (prefix && rest)
		buf[len++] = ' ';
	for (size_t i = 0; i < rest; i++)
		buf[len++] = args[skip + i] ? args[skip + i] : ' ';
	buf[len] = '\0';
	return set_str(out, buf, len);
}

static bool proc_argv0(struct field_value *out, const struct proc_entry *p)
{
	if (!p || !p->args || !p->args_len)
		return false;
	return set_str(out, p->args, strnlen(p->args, p->args_len));
}

/* The ancestor n steps up (0: the process itself). */
static const struct proc_entry *ancestor(const struct proc_entry *p, int n)
{
	for (int i = 0; p && i < n; i++)
		p = p->parent;
	return p;
}

static const char *fd_kind_falco(unsigned kind)
{
	const char *n = fd_kind_name(kind);

	return n;
}

static bool exe_upper_layer(const struct rule_input *in)
{
	const struct proc_exec_details *d = &in->proc->details;
	const struct workload *wl = in->wl;
	uint64_t started;

	if (d->exe_flags & EXE_UPPER_LAYER)
		return true;
	if (!(d->exe_flags & EXE_ON_OVERLAY) || !wl || wl->kind != WORKLOAD_CONTAINER)
		return false;
	/* Written (or chmod-ed) after the container started: it was not in the image. */
	started = wl->meta_state == META_READY && wl->meta.started_unix_ns ?
		  wl->meta.started_unix_ns :
		  wl->started_ns ? wl->started_ns + (in->ev->real_ns - in->ev->boot_ns) : 0;
	return started && d->exe_ctime_ns > started;
}

static bool read_evt(const struct field_ref *ref, const struct rule_input *in,
		     struct field_scratch *scr, struct field_value *out);
static bool read_proc(const struct field_ref *ref, int which, const struct rule_input *in,
		      struct field_scratch *scr, struct field_value *out);
static bool read_fd(const struct field_ref *ref, int which, const struct rule_input *in,
		    struct field_scratch *scr, struct field_value *out);
static bool read_container(const struct field_ref *ref, const struct rule_input *in,
			   struct field_scratch *scr, struct field_value *out);

bool field_read(const struct field_ref *ref, int which, const struct rule_input *in,
		struct field_scratch *scr, struct field_value *out)
{
	if (ref->id <= F_EVT_SOURCE)
		return which == 0 && read_evt(ref, in, scr, out);
	if (ref->id <= F_GROUP_GID)
		return read_proc(ref, which, in, scr, out);
	if (ref->id <= F_FD_PORT)
		return read_fd(ref, which, in, scr, out);
	return which == 0 && read_container(ref, in, scr, out);
}

/* ---- evt.* ----------------------------------------------------------- */

static bool is_open(const struct event *ev)
{
	return ev->type == EVENT_OPEN;
}

static bool read_uid_arg(struct field_value *out, const struct rule_input *in,
			 struct field_scratch *scr, uint32_t uid)
{
	const char *name = in->users ? user_name_lookup(in->users, uid) : NULL;

	if (name)
		return set_copy(out, scr, name);
	return set_fmt(out, scr, "%u", uid);
}

static bool read_evt_arg(int arg, const struct rule_input *in,
			 struct field_scratch *scr, struct field_value *out)
{
	const struct event *ev = in->ev;
	bool file = ev->type >= EVENT_OPEN && ev->type <= EVENT_MOUNT;
	char buf[256];

	if (arg == ARG_RES || arg == ARG_RES_OR_FD)
		return set_fmt(out, scr, "%lld", (long long)ev->ret);
	if (arg == ARG_FLAGS && is_open(ev)) {
		render_open_flags(ev->file.flags, buf, sizeof(buf));
		return set_copy(out, scr, buf);
	}
	if (arg == ARG_MODE && (is_open(ev) || ev->type == EVENT_CHMOD ||
				     ev->type == EVENT_MKDIR)) {
		render_file_mode(ev->file.mode, buf, sizeof(buf));
		return set_copy(out, scr, buf);
	}
	if (arg == ARG_FILENAME && ev->type == EVENT_EXEC)
		return set_estr(out, &ev->exec.filename);
	if (arg == ARG_PATH || arg == ARG_NAME || arg == ARG_FILENAME ||
	    arg == ARG_PATHNAME || arg == ARG_OLDPATH || arg == ARG_TARGET ||
	    arg == ARG_DEV) {
		if (file)
			return set_estr(out, &ev->file.path);
		if (ev->type == EVENT_MEMFD || ev->type == EVENT_MODULE || ev->type == EVENT_SETNS)
			return set_estr(out, &ev->generic.path);
		return false;
	}
	if (arg == ARG_NEWPATH || arg == ARG_LINKPATH || arg == ARG_DIR)
		return file && set_estr(out, &ev->file.path2);
	if (arg == ARG_TYPE)
		return ev->type == EVENT_MOUNT && set_estr(out, &ev->file.fstype);
	if (arg == ARG_UID) {
		if (ev->type == EVENT_SETUID)
			return read_uid_arg(out, in, scr, ev->cred.uid);
		return ev->type == EVENT_CHOWN && read_uid_arg(out, in, scr, ev->file.uid);
	}
	if (arg == ARG_GID)
		return ev->type == EVENT_CHOWN && set_fmt(out, scr, "%u", ev->file.gid);
	if (arg == ARG_REQUEST && ev->type == EVENT_PTRACE) {
		const char *n = ptrace_request_name(ev->generic.args[0]);

		return n ? set_cstr(out, n) :
			set_fmt(out, scr, "%llu", (unsigned long long)ev->generic.args[0]);
	}
	if (arg == ARG_PID && (ev->type == EVENT_PTRACE || ev->type == EVENT_KILL))
		return set_fmt(out, scr, "%d", (int32_t)ev->generic.target_pid);
	if (arg == ARG_SIG && ev->type == EVENT_KILL)
		return set_fmt(out, scr, "%llu", (unsigned long long)
			       (ev->syscall == 234 ? ev->generic.args[2] : ev->generic.args[1]));
	if (arg == ARG_CMD && ev->type == EVENT_BPF) {
		const char *n = bpf_cmd_name(ev->generic.args[0]);

		return n ? set_cstr(out, n) :
			set_fmt(out, scr, "%llu", (unsigned long long)ev->generic.args[0]);
	}
	if (arg == ARG_FD) {
		if (file && ev->file.fd >= 0)
			return set_fmt(out, scr, "%d", ev->file.fd);
		if (ev->type >= EVENT_CONNECT && ev->type <= EVENT_LISTEN)
			return set_fmt(out, scr, "%d", ev->net.fd);
	}
	return false;
}

static bool read_evt(const struct field_ref *ref, const struct rule_input *in,
		     struct field_scratch *scr, struct field_value *out)
{
	const struct event *ev = in->ev;
	uint32_t acc = ev->file.flags & 3;

	switch (ref->id) {
	case F_EVT_TYPE: {
		int key = evkey_of_event(ev);

		return key >= 0 && set_num(out, key);
	}
	case F_EVT_DIR:
		return set_str(out, "<", 1);
	case F_EVT_RES:
		if (ev->type == EVENT_EXIT || ev->syscall < 0)
			return false;
		if (ev->ret >= 0)
			return set_str(out, "SUCCESS", 7);
		if (errno_name((int)-ev->ret))
			return set_cstr(out, errno_name((int)-ev->ret));
		return set_fmt(out, scr, "%lld", (long long)ev->ret);
	case F_EVT_RAWRES:
		return ev->syscall >= 0 && set_num(out, ev->ret);
	case F_EVT_NUM:
		return set_num(out, (int64_t)in->evt_num);
	case F_EVT_TIME:
		return set_num(out, (int64_t)ev->real_ns);
	case F_EVT_HOSTNAME:
		return set_cstr(out, in->host);
	case F_EVT_IS_OPEN_READ:
		return set_num(out, is_open(ev) && (acc == 0 || acc == 2));
	case F_EVT_IS_OPEN_WRITE:
		return set_num(out, is_open(ev) && (acc == 1 || acc == 2));
	case F_EVT_IS_OPEN_EXEC:
		return set_num(out, 0);	/* open(2) has no exec mode to report */
	case F_EVT_ARG:
		return read_evt_arg(ref->index, in, scr, out);
	case F_EVT_SOURCE:
		return set_str(out, "syscall", 7);
	default:
		return false;
	}
}

/* ---- proc.*, user.*, thread.* ---------------------------------------- */

static bool read_ancestor(const struct field_ref *ref, int which, const struct rule_input *in,
			  struct field_scratch *scr, struct field_value *out)
{
	/* Without an index the field means "any ancestor": which 0 is the parent. */
	int n = ref->index >= 0 ? ref->index : which + 1;
	const struct proc_entry *a;

	if (ref->index >= 0 && which > 0)
		return false;
	if (n == 0 && ref->id == F_PROC_ANAME)
		return set_cstr(out, in->ev->task.comm);
	a = ancestor(in->proc, n);
	if (!a || n > MAX_ANCESTRY)
		return false;
	switch (ref->id) {
	case F_PROC_ANAME: return set_cstr(out, a->comm);
	case F_PROC_AEXEPATH: return set_cstr(out, a->exe);
	case F_PROC_AEXE: return proc_argv0(out, a);
	case F_PROC_APID: return set_num(out, a->pid);
	default: (void)scr; return false;
	}
}

static bool caps_text(struct field_value *out, struct field_scratch *scr, uint64_t caps)
{
	char buf[1024];

	render_capabilities(caps, buf, sizeof(buf));
	return set_copy(out, scr, buf);
}

static bool read_details(const struct field_ref *ref, const struct rule_input *in,
			 struct field_scratch *scr, struct field_value *out)
{
	const struct proc_entry *p = in->proc;
	const struct proc_exec_details *d;
	int64_t real_start;

	if (!p || !p->details.known)
		return false;
	d = &p->details;
	switch (ref->id) {
	case F_PROC_TTY: return set_num(out, d->tty);
	case F_PROC_EXE_INO_CTIME: return set_num(out, (int64_t)d->exe_ctime_ns);
	case F_PROC_EXE_INO_MTIME: return set_num(out, (int64_t)d->exe_mtime_ns);
	case F_PROC_EXE_INO_CTIME_DURATION_PROC_START:
		real_start = (int64_t)(p->exec_ns + (in->ev->real_ns - in->ev->boot_ns));
		return set_num(out, real_start - (int64_t)d->exe_ctime_ns);
	case F_PROC_IS_EXE_UPPER_LAYER: return set_num(out, exe_upper_layer(in));
	case F_PROC_IS_EXE_FROM_MEMFD: return set_num(out, !!(d->exe_flags & EXE_FROM_MEMFD));
	case F_PROC_STDIN_TYPE: return set_cstr(out, fd_kind_falco(d->stdio_type[0]));
	case F_PROC_STDOUT_TYPE: return set_cstr(out, fd_kind_falco(d->stdio_type[1]));
	case F_PROC_STDERR_TYPE: return set_cstr(out, fd_kind_falco(d->stdio_type[2]));
	case F_THREAD_CAP_EFFECTIVE: return caps_text(out, scr, d->cap_effective);
	case F_THREAD_CAP_PERMITTED: return caps_text(out, scr, d->cap_permitted);
	default: return false;
	}
}

static bool read_user(const struct field_ref *ref, const struct rule_input *in,
		      struct field_scratch *scr, struct field_value *out)
{
	const struct event *ev = in->ev;
	const char *name;

	switch (ref->id) {
	case F_USER_UID: return set_num(out, ev->task.uid);
	case F_USER_LOGINUID: return set_num(out, (int32_t)ev->task.loginuid);
	case F_GROUP_GID: return set_num(out, ev->task.gid);
	case F_USER_NAME:
	case F_USER_LOGINNAME: {
		uint32_t uid = ref->id == F_USER_NAME ? ev->task.uid : ev->task.loginuid;

		if (ref->id == F_USER_LOGINNAME && uid == (uint32_t)-1)
			return false;
		name = in->users ? user_name_lookup(in->users, uid) : NULL;
		/* a uid without a passwd entry reads as its number */
		return name ? set_copy(out, scr, name) : set_fmt(out, scr, "%u", uid);
	}
	default:
		return false;
	}
}

static bool read_proc(const struct field_ref *ref, int which, const struct rule_input *in,
		      struct field_scratch *scr, struct field_value *out)
{
	const struct proc_entry *p = in->proc;
	const struct proc_entry *pp = p ? p->parent : NULL;

	if (ref->id >= F_PROC_ANAME && ref->id <= F_PROC_APID)
		return read_ancestor(ref, which, in, scr, out);
	if (which > 0)
		return false;
	if (ref->id >= F_PROC_TTY && ref->id <= F_THREAD_CAP_PERMITTED &&
	    ref->id != F_PROC_DURATION && ref->id != F_PROC_PPID_DURATION &&
	    ref->id != F_PROC_EXE_INO)
		return read_details(ref, in, scr, out);
	if (ref->id >= F_USER_UID)
		return read_user(ref, in, scr, out);
	switch (ref->id) {
	case F_PROC_NAME: return set_cstr(out, in->ev->task.comm);
	case F_PROC_EXEPATH: return p && set_cstr(out, p->exe);
	case F_PROC_EXE: return proc_argv0(out, p);
	case F_PROC_ARGS: return p && join_args(out, scr, NULL, p);
	case F_PROC_CMDLINE: return p && join_args(out, scr, in->ev->task.comm, p);
	case F_PROC_PNAME: return pp && set_cstr(out, pp->comm);
	case F_PROC_PEXEPATH: return pp && set_cstr(out, pp->exe);
	case F_PROC_PEXE: return proc_argv0(out, pp);
	case F_PROC_PCMDLINE: return pp && join_args(out, scr, pp->comm, pp);
	case F_PROC_PID: return set_num(out, in->ev->task.pid);
	case F_PROC_PPID: return set_num(out, in->ev->task.ppid);
	case F_PROC_VPID: return set_num(out, in->ev->task.ns_pid);
	case F_THREAD_TID: return set_num(out, in->ev->task.tid);
	case F_PROC_CWD: return p && set_cstr(out, p->cwd);
	case F_PROC_DURATION:
		return p && in->ev->boot_ns >= p->start_ns &&
			set_num(out, (int64_t)(in->ev->boot_ns - p->start_ns));
	case F_PROC_PPID_DURATION:
		return pp && in->ev->boot_ns >= pp->start_ns &&
			set_num(out, (int64_t)(in->ev->boot_ns - pp->start_ns));
	case F_PROC_EXE_INO:
		return in->ev->type == EVENT_EXEC && in->ev->ret >= 0 &&
			set_num(out, (int64_t)in->ev->exec.exe_ino);
	default:
		return false;
	}
}

/* ---- fd.* ------------------------------------------------------------ */

static bool is_net(const struct event *ev)
{
	return ev->type >= EVENT_CONNECT && ev->type <= EVENT_LISTEN;
}

static bool is_file(const struct event *ev)
{
	return ev->type >= EVENT_OPEN && ev->type <= EVENT_MOUNT;
}

static bool is_inet(const struct event *ev)
{
	return is_net(ev) && (ev->net.family == AF_INET || ev->net.family == AF_INET6);
}

/* Server and client sides as Falco sees them: a connect is the client,
 * an accept the server; bind/listen have only the local (server) side. */
static const struct event_addr *server_side(const struct event *ev)
{
	return ev->type == EVENT_CONNECT ? &ev->net.remote : &ev->net.local;
}

static const struct event_addr *client_side(const struct event *ev)
{
	if (ev->type == EVENT_CONNECT)
		return &ev->net.local;
	return ev->type == EVENT_ACCEPT ? &ev->net.remote : NULL;
}

static bool set_addr(struct field_value *out, const struct event_addr *a)
{
	if (!a || (a->family != AF_INET && a->family != AF_INET6))
		return false;
	out->family = a->family;
	memcpy(out->addr, a->addr, 16);
	return true;
}

static bool has_addr(const struct event_addr *a)
{
	static const uint8_t zero[16];

	return a && (a->port || memcmp(a->addr, zero, 16));
}

static size_t format_addr(char *buf, size_t cap, const struct event_addr *a)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (a->family == AF_UNIX)
		return (size_t)snprintf(buf, cap, "%.*s", (int)a->unix_path.len,
					a->unix_path.ptr ? a->unix_path.ptr : "");
	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	return (size_t)snprintf(buf, cap, "%s:%u", ip, a->port);
}

/* "client:port->server:port" for connected sockets, "ip:port" otherwise. */
static bool net_name(struct field_value *out, struct field_scratch *scr, const struct event *ev)
{
	char a[300], b[300];
	const struct event_addr *c = client_side(ev), *s = server_side(ev);

	if (ev->net.family == AF_UNIX) {
		const struct event_addr *u = has_addr(&ev->net.remote) ||
			ev->net.remote.unix_path.len ? &ev->net.remote : &ev->net.local;

		format_addr(a, sizeof(a), u);
		return a[0] && set_copy(out, scr, a);
	}
	format_addr(b, sizeof(b), s);
	if (!c || !has_addr(c))
		return set_copy(out, scr, b);
	format_addr(a, sizeof(a), c);
	return set_fmt(out, scr, "%s->%s", a, b);
}

static bool read_fd_file(const struct field_ref *ref, const struct rule_input *in,
			 struct field_value *out)
{
	const struct event *ev = in->ev;
	const struct event_str *path = &ev->file.path;
	size_t blen;
	const char *b;

	switch (ref->id) {
	case F_FD_NAME: return set_estr(out, path);
	case F_FD_DIRECTORY:
		if (!path->ptr)
			return false;
		b = base_name(path->ptr, path->len, &blen);
		if (b == path->ptr)
			return false;	/* relative name without a directory */
		return set_str(out, path->ptr, b - path->ptr > 1 ? (size_t)(b - path->ptr - 1) : 1);
	case F_FD_FILENAME:
		if (!path->ptr)
			return false;
		b = base_name(path->ptr, path->len, &blen);
		return set_str(out, b, blen);
	case F_FD_TYPE:
		return (ev->file.flags & 0200000) && is_open(ev) ?
			set_str(out, "directory", 9) : set_str(out, "file", 4);
	case F_FD_TYPECHAR:
		return (ev->file.flags & 0200000) && is_open(ev) ?
			set_str(out, "d", 1) : set_str(out, "f", 1);
	case F_FD_NUM:
		if (is_open(ev))
			return set_num(out, ev->ret >= 0 ? ev->ret : -1);
		return ev->file.fd >= 0 && set_num(out, ev->file.fd);
	default:
		return false;
	}
}

static bool read_fd(const struct field_ref *ref, int which, const struct rule_input *in,
		    struct field_scratch *scr, struct field_value *out)
{
	const struct event *ev = in->ev;
	bool v6 = ev->net.family == AF_INET6;

	if (is_file(ev))
		return which == 0 && read_fd_file(ref, in, out);
	if (ev->type == EVENT_MEMFD && which == 0) {
		if (ref->id == F_FD_NAME)
			return set_estr(out, &ev->generic.path);
		if (ref->id == F_FD_NUM)
			return set_num(out, ev->ret);
		return false;
	}
	if (!is_net(ev))
		return false;
	if (which > 0 && !(ref->id == F_FD_IP || ref->id == F_FD_PORT))
		return false;
	switch (ref->id) {
	case F_FD_NAME: return net_name(out, scr, ev);
	case F_FD_TYPE:
		return ev->net.family == AF_UNIX ? set_str(out, "unix", 4) :
			is_inet(ev) ? set_cstr(out, v6 ? "ipv6" : "ipv4") : false;
	case F_FD_TYPECHAR:
		return ev->net.family == AF_UNIX ? set_str(out, "u", 1) :
			is_inet(ev) ? set_str(out, v6 ? "6" : "4", 1) : false;
	case F_FD_NUM:
		return set_num(out, ev->type == EVENT_ACCEPT ? ev->ret : ev->net.fd);
	case F_FD_SOCKFAMILY:
		return ev->net.family == AF_UNIX ? set_str(out, "unix", 4) :
			is_inet(ev) && set_str(out, "ip", 2);
	case F_FD_L4PROTO:
		if (!is_inet(ev))
			return false;
		return ev->net.type == SOCK_STREAM ? set_str(out, "tcp", 3) :
			ev->net.type == SOCK_DGRAM ? set_str(out, "udp", 3) :
			ev->net.type == SOCK_RAW ? set_str(out, "raw", 3) : false;
	case F_FD_CONNECTED:
		return set_num(out, (ev->type == EVENT_CONNECT && ev->ret >= 0) ||
			       ev->type == EVENT_ACCEPT);
	case F_FD_SIP: return is_inet(ev) && set_addr(out, server_side(ev));
	case F_FD_CIP: return is_inet(ev) && set_addr(out, client_side(ev));
	case F_FD_LIP: return is_inet(ev) && set_addr(out, &ev->net.local);
	case F_FD_RIP:
		return is_inet(ev) && has_addr(&ev->net.remote) && set_addr(out, &ev->net.remote);
	case F_FD_IP:
		if (!is_inet(ev) || which > 1)
			return false;
		return which == 0 ? set_addr(out, &ev->net.local) :
			has_addr(&ev->net.remote) && set_addr(out, &ev->net.remote);
	case F_FD_SPORT: return is_inet(ev) && set_num(out, server_side(ev)->port);
	case F_FD_CPORT: return is_inet(ev) && client_side(ev) && set_num(out, client_side(ev)->port);
	case F_FD_LPORT: return is_inet(ev) && set_num(out, ev->net.local.port);
	case F_FD_RPORT:
		return is_inet(ev) && has_addr(&ev->net.remote) && set_num(out, ev->net.remote.port);
	case F_FD_PORT:
		if (!is_inet(ev) || which > 1)
			return false;
		return which == 0 ? set_num(out, ev->net.local.port) :
			has_addr(&ev->net.remote) && set_num(out, ev->net.remote.port);
	default:
		return false;
	}
}

/* ---- container.*, k8s.*, vigil.* ------------------------------------- */

/* "registry:5000/team/app:1.2@sha256:..." → repository and tag parts. */
static void split_image(const char *image, size_t *repo_len, const char **tag, size_t *tag_len)
{
	size_t len = strcspn(image, "@");
	const char *slash = memrchr(image, '/', len);
	const char *colon = memrchr(slash ? slash : image, ':', len - (size_t)((slash ? slash : image) - image));

	*tag = NULL;
	*tag_len = 0;
	*repo_len = len;
	if (colon) {
		*repo_len = (size_t)(colon - image);
		*tag = colon + 1;
		*tag_len = len - *repo_len - 1;
	}
}

static bool label_value(struct field_value *out, const struct meta_label *labels, size_t n,
			const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (labels[i].key && !strcmp(labels[i].key, key))
			return set_cstr(out, labels[i].value);
	return false;
}

static bool labels_text(struct field_value *out, struct field_scratch *scr,
			const struct meta_label *labels, size_t n)
{
	char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(buf); i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "%s%s:%s", i ? ", " : "",
				 labels[i].key, labels[i].value);

		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			break;
		len += (size_t)w;
	}
	return n && set_copy(out, scr, buf);
}

/* setns names its target "mnt:[4026531841]"; the host's namespaces are
 * those of pid 1, or vigil's own when pid 1's cannot be read (read once:
 * they never change). */
static bool setns_to_host(const struct event_str *target)
{
	static const char *const types[] = {"mnt", "pid", "net", "uts", "ipc", "user",
					    "cgroup", "time"};
	static char host[8][64];
	static bool loaded;
	char path[64];

	if (!loaded) {
		for (size_t i = 0; i < 8; i++) {
			snprintf(path, sizeof(path), "/proc/1/ns/%s", types[i]);
			ssize_t n = readlink(path, host[i], sizeof(host[i]) - 1);

			if (n <= 0) {
				snprintf(path, sizeof(path), "/proc/self/ns/%s", types[i]);
				n = readlink(path, host[i], sizeof(host[i]) - 1);
			}

			host[i][n > 0 ? n : 0] = '\0';
		}
		loaded = true;
	}
	for (size_t i = 0; i < 8; i++)
		if (host[i][0] && strlen(host[i]) == target->len &&
		    !memcmp(host[i], target->ptr, target->len))
			return true;
	return false;
}

static bool read_container(const struct field_ref *ref, const struct rule_input *in,
			   struct field_scratch *scr, struct field_value *out)
{
	const struct workload *wl = in->wl;
	bool container = wl && wl->kind == WORKLOAD_CONTAINER;
	const struct container_meta *m = container && wl->meta_state == META_READY ?
		&wl->meta : NULL;
	const char *tag;
	size_t repo_len, tag_len;

	switch (ref->id) {
	case F_CONTAINER_ID:
		return container ? set_str(out, wl->id, strnlen(wl->id, 12)) : set_str(out, "host", 4);
	case F_CONTAINER_FULL_ID:
		return container ? set_cstr(out, wl->id) : set_str(out, "host", 4);
	case F_CONTAINER_NAME:
		return container ? m && set_cstr(out, m->name) : set_str(out, "host", 4);
	case F_CONTAINER_IMAGE: return m && set_cstr(out, m->image);
	case F_CONTAINER_IMAGE_REPOSITORY:
		if (!m || !m->image || !*m->image)
			return false;
		split_image(m->image, &repo_len, &tag, &tag_len);
		return set_str(out, m->image, repo_len);
	case F_CONTAINER_IMAGE_TAG:
		if (!m || !m->image)
			return false;
		split_image(m->image, &repo_len, &tag, &tag_len);
		return tag && set_str(out, tag, tag_len);
	case F_CONTAINER_IMAGE_DIGEST: return m && set_cstr(out, m->image_digest);
	case F_CONTAINER_TYPE:
		return container && set_cstr(out, m && m->runtime && *m->runtime ? m->runtime :
					     container_runtime_name(wl->runtime));
	case F_CONTAINER_PRIVILEGED: return m && set_num(out, m->privileged);
	case F_CONTAINER_START_TS: return m && m->started_unix_ns && set_num(out, (int64_t)m->started_unix_ns);
	case F_CONTAINER_LABEL: return m && label_value(out, m->labels, m->nlabels, ref->key);
	case F_K8S_NS_NAME: return m && set_cstr(out, m->pod_namespace);
	case F_K8S_POD_NAME: return m && set_cstr(out, m->pod_name);
	case F_K8S_POD_UID: return m && set_cstr(out, m->pod_uid);
	case F_K8S_POD_LABEL: return m && label_value(out, m->pod_labels, m->npod_labels, ref->key);
	case F_K8S_POD_LABELS: return m && labels_text(out, scr, m->pod_labels, m->npod_labels);
	case F_VIGIL_ENTERED: return set_num(out, in->entered);
	case F_VIGIL_WORKLOAD_KIND: return set_cstr(out, container ? "container" : "host");
	case F_VIGIL_UNIT: return wl && !container && set_cstr(out, wl->unit);
	case F_VIGIL_EXEC_ID: return in->proc && set_cstr(out, in->proc->exec_id);
	case F_VIGIL_NS_IS_HOST:
		return in->ev->type == EVENT_SETNS && in->ev->generic.path.ptr &&
			set_num(out, setns_to_host(&in->ev->generic.path));
	default: return false;
	}
}

/* ---- output ---------------------------------------------------------- */

static size_t format_one(const struct field_ref *ref, const struct field_value *v,
			 char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	switch (ref->kind) {
	case FK_STRING: return (size_t)snprintf(buf, cap, "%.*s", (int)v->len, v->s);
	case FK_NUMBER: return (size_t)snprintf(buf, cap, "%lld", (long long)v->n);
	case FK_BOOL: return (size_t)snprintf(buf, cap, "%s", v->n ? "true" : "false");
	case FK_EVTTYPE: return (size_t)snprintf(buf, cap, "%s", evkey_name((int)v->n));
	case FK_NET:
		if (!inet_ntop(v->family, v->addr, ip, sizeof(ip)))
			return 0;
		return (size_t)snprintf(buf, cap, "%s", ip);
	}
	return 0;
}

const char *field_format(const struct field_ref *ref, const struct rule_input *in,
			 struct field_scratch *scr)
{
	char buf[8192], *out;
	size_t cap = sizeof(buf), len = 0;
	int count = ref->multi ? MAX_ANCESTRY : 1;
	struct field_value v;

	buf[0] = '\0';
	for (int i = 0; i < count && len + 1 < cap; i++) {
		if (!field_read(ref, i, in, scr, &v))
			break;
		if (len)
			buf[len++] = ',';
		len += format_one(ref, &v, buf + len, cap - len);
		if (len >= cap)
			len = cap - 1;
	}
	buf[len] = '\0';
	/* only what the text needs: alerts format many fields per event */
	if (!len || !(out = scratch_take(scr, len + 1)))
		return "<NA>";
	memcpy(out, buf, len + 1);
	return out;
}

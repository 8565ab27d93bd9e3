/* doctor.c - probe the kernel's hook families for real; see doctor.h.
 *
 * Shape: prepare_env() gathers what several probes share (kernel BTF,
 * where tracefs and cgroup2 are mounted).  Then every check in the table
 * at the bottom runs in its own child process (run_isolated), which
 * hands back one fixed-size result through a pipe.  The parent prints
 * the rows and decides whether the sensor can run.
 */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "util/json.h"

/* Loading a two-instruction program takes microseconds; a probe still
 * running after this long is stuck and gets killed. */
#define PROBE_TIMEOUT_MS 2000
#define DETAIL_MAX 240

/* Capability numbers, spelled out because older headers lack the 5.8 ones. */
#define CAPNUM_SYS_ADMIN 21
#define CAPNUM_SYS_RESOURCE 24
#define CAPNUM_PERFMON 38
#define CAPNUM_BPF 39

#define SYSFS_VMLINUX "/sys/kernel/btf/vmlinux"
#define KPROBE_PMU_TYPE "/sys/bus/event_source/devices/kprobe/type"
#define MOUNT_TRACEFS_HINT "run: mount -t tracefs tracefs /sys/kernel/tracing"
#define MOUNT_BPFFS_HINT "run: mount -t bpf bpf /sys/fs/bpf"

enum check_id {
	CHK_KERNEL,
	CHK_PRIVILEGES,
	CHK_BTF,
	CHK_TRACEFS,
	CHK_BPFFS,
	CHK_TRACEPOINT,
	CHK_RAW_TRACEPOINT,
	CHK_KPROBE,
	CHK_FENTRY,
	CHK_TP_BTF,
	CHK_BPF_LSM,
	CHK_CGROUP_V2,
	CHK_CGROUP_SOCK_ADDR,
	CHK_RING_BUFFER,
	CHK_SEND_SIGNAL,
	CHK_FANOTIFY_PERM,
	CHK_MEMLOCK,
	CHK_UNPRIV_BPF,
	CHK_PERF_PARANOID,
	CHK_COUNT
};

enum check_status {
	STATUS_OK,
	STATUS_MISSING,		/* the kernel or system does not offer it */
	STATUS_FAILED,		/* we tried and a call failed (errno text in detail) */
	STATUS_INFO,		/* informational, never a problem in itself */
};

/* Crosses the pipe from the probe's child process, so no pointers. */
struct check_result {
	enum check_status status;
	char detail[DETAIL_MAX];
};

/* What several probes share; filled once before any probe runs. */
struct doctor_env {
	struct utsname uts;
	int kmajor, kminor, kpatch;
	__u32 kversion_code;		/* LINUX_VERSION_CODE of the running kernel */
	struct btf *vmlinux;		/* NULL when kernel BTF cannot be loaded */
	int btf_err;			/* errno of that failure */
	char tracefs[64];		/* mount point, "" when not mounted */
	char cgroup2[PATH_MAX];		/* mount point, "" when none */
	char probe_cgroup[PATH_MAX + 32]; /* temporary child cgroup */
};

typedef void (*probe_fn)(const struct doctor_env *env, struct check_result *res);

struct check {
	const char *name;
	const char *used_for;
	probe_fn probe;
	/* Runs in the parent after the child is gone, even when the child
	 * was killed midway: undoes what the kernel would not drop by itself. */
	void (*cleanup)(const struct doctor_env *env);
};

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static void set_result(struct check_result *res, enum check_status status,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_failed(struct check_result *res, int err,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_result(struct check_result *res, enum check_status status,
		       const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* "<what>: <errno text>" - the errno text is what an operator searches for. */
static void set_failed(struct check_result *res, int err, const char *fmt, ...)
{
	char what[DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	set_result(res, STATUS_FAILED, "%.120s: %s", what, strerror(err));
}

static bool result_ok(const struct check_result *res)
{
	return res->status == STATUS_OK || res->status == STATUS_INFO;
}

/* Read a small text file into buf (NUL-terminated, trailing newline cut). */
static int read_text_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int read_long_file(const char *path, long *value)
{
	char buf[64], *end;

	if (read_text_file(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*value = strtol(buf, &end, 10);
	if (errno || end == buf) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static bool is_fs_type(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && (long)sfs.f_type == magic;
}

/* libbpf explains every failed probe on stderr; the report says it better. */
static int drop_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the environment shared by probes                                    */

static void find_tracefs(char *dir, size_t len)
{
	/* The debugfs path automounts tracefs on first access. */
	static const char *const candidates[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};

	dir[0] = '\0';
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (is_fs_type(candidates[i], TRACEFS_MAGIC)) {
			snprintf(dir, len, "%s", candidates[i]);
			return;
		}
	}
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_mount_path(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
			out[o++] = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

/* Line: "id parent major:minor root mount-point options... - fstype source ..." */
static bool cgroup2_mount_point(char *line, char *dir, size_t len)
{
	char *sep = strstr(line, " - ");
	char *save = NULL, *field;

	if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
		return false;
	field = strtok_r(line, " ", &save);
	for (int i = 0; field && i < 4; i++)
		field = strtok_r(NULL, " ", &save);
	if (!field)
		return false;
	unescape_mount_path(field, dir, len);
	return true;
}

/* /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones. */
static void find_cgroup2(char *dir, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	dir[0] = '\0';
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (cgroup2_mount_point(line, dir, len))
			break;
	}
	free(line);
	fclose(f);
}

static void prepare_env(struct doctor_env *env)
{
	memset(env, 0, sizeof(*env));
	if (uname(&env->uts) == 0)
		sscanf(env->uts.release, "%d.%d.%d", &env->kmajor, &env->kminor, &env->kpatch);
	/* The last byte saturates at 255, as the kernel's own macro does. */
	env->kversion_code = ((__u32)env->kmajor << 16) | ((__u32)env->kminor << 8) |
			     (__u32)(env->kpatch > 255 ? 255 : env->kpatch);
	env->vmlinux = btf__load_vmlinux_btf();
	if (!env->vmlinux)
		env->btf_err = errno;
	find_tracefs(env->tracefs, sizeof(env->tracefs));
	find_cgroup2(env->cgroup2, sizeof(env->cgroup2));
	if (env->cgroup2[0])
		snprintf(env->probe_cgroup, sizeof(env->probe_cgroup), "%s/vigil-doctor-%d",
			 env->cgroup2, (int)getpid());
}

static bool kernel_at_least(const struct doctor_env *env, int major, int minor)
{
	return env->kmajor > major || (env->kmajor == major && env->kminor >= minor);
}

/* ------------------------------------------------------------------ */
/* loading and attaching probe programs                                */

struct probe_prog {
	enum bpf_prog_type type;
	enum bpf_attach_type expected;
	__u32 attach_btf_id;
	__u32 kern_version;
	int ret;			/* what r0 returns */
};

/* The verifier's last meaningful line: why it refused the program. */
static void verifier_last_line(char *log, char *out, size_t len)
{
	char *save = NULL;

	out[0] = '\0';
	for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] && strncmp(line, "processed ", 10) != 0)
			snprintf(out, len, "%s", line);
	}
}

static void set_load_failed(struct check_result *res, int err, char *log)
{
	char why[100];

	verifier_last_line(log, why, sizeof(why));
	if (why[0])
		set_result(res, STATUS_FAILED, "program load: %s (verifier: %s)",
			   strerror(err), why);
	else
		set_result(res, STATUS_FAILED, "program load: %s", strerror(err));
}

/* Load "r0 = ret; exit" as the given type.  Returns the fd, or -1 with
 * res filled in. */
static int load_probe_prog(const struct probe_prog *p, struct check_result *res)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = p->ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	/* libbpf retries a failed load with logging on when given a buffer. */
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = p->expected,
		    .attach_btf_id = p->attach_btf_id,
		    .kern_version = p->kern_version,
		    .log_buf = log,
		    .log_size = sizeof(log));
	/* GPL because LSM and some tracing attach points only take
	 * GPL-compatible programs; this one never leaves the machine. */
	int fd = bpf_prog_load(p->type, "vigil_doctor", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), &opts);

	if (fd < 0)
		set_load_failed(res, errno, log);
	return fd;
}

/* Open a perf event for every task on CPU 0 and hang the program on it;
 * closing the event detaches the program. */
static void attach_perf_event(struct perf_event_attr *attr, int prog_fd,
			      const char *what, struct check_result *res)
{
	int pfd = (int)syscall(__NR_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);

	if (pfd < 0) {
		set_failed(res, errno, "perf_event_open(%s)", what);
		return;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd))
		set_failed(res, errno, "attach to %s", what);
	else if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0))
		set_failed(res, errno, "enable %s", what);
	else
		set_result(res, STATUS_OK, "loaded and attached to %s", what);
	close(pfd);
}

/* fentry, tp_btf and LSM programs name their target by BTF id at load
 * time and attach through BPF_RAW_TRACEPOINT_OPEN without a name. */
static void probe_btf_target(const struct doctor_env *env, struct check_result *res,
			     const struct probe_prog *base, const char *target, int kind)
{
	struct probe_prog p = *base;
	int id, prog_fd, link_fd;

	if (!env->vmlinux) {
		set_result(res, STATUS_MISSING, "needs kernel BTF to find %s", target);
		return;
	}
	id = btf__find_by_name_kind(env->vmlinux, target, kind);
	if (id <= 0) {
		set_result(res, STATUS_MISSING, "%s not found in kernel BTF", target);
		return;
	}
	p.attach_btf_id = (__u32)id;
	prog_fd = load_probe_prog(&p, res);
	if (prog_fd < 0)
		return;
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd < 0) {
		set_failed(res, errno, "attach to %s", target);
	} else {
		set_result(res, STATUS_OK, "loaded and attached to %s", target);
		close(link_fd);
	}
	close(prog_fd);
}

/* ------------------------------------------------------------------ */
/* the probes, in report order                                         */

static void probe_kernel(const struct doctor_env *env, struct check_result *res)
{
	if (!env->uts.release[0]) {
		set_result(res, STATUS_FAILED, "uname failed");
		return;
	}
	set_result(res, STATUS_INFO, "Linux %.64s %.16s (%.100s)", env->uts.release,
		   env->uts.machine, env->uts.version);
}

static int effective_caps(uint64_t *caps)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %" SCNx64, caps) == 1)
			found = 0;
	}
	fclose(f);
	if (found)
		errno = ENOENT;
	return found;
}

static bool has_cap(uint64_t caps, int cap)
{
	return (caps >> cap) & 1;
}

static void probe_privileges(const struct doctor_env *env, struct check_result *res)
{
	uint64_t caps;
	bool admin, bpf;

	(void)env;
	if (effective_caps(&caps)) {
		set_failed(res, errno, "read CapEff from /proc/self/status");
		return;
	}
	admin = has_cap(caps, CAPNUM_SYS_ADMIN);
	bpf = has_cap(caps, CAPNUM_BPF) && has_cap(caps, CAPNUM_PERFMON);
	if (!admin && !bpf)
		set_result(res, STATUS_FAILED, "uid %u without CAP_BPF+CAP_PERFMON or "
			   "CAP_SYS_ADMIN: run vigil as root", (unsigned)geteuid());
	else
		set_result(res, STATUS_OK, "uid %u;%s%s%s%s%s", (unsigned)geteuid(),
			   has_cap(caps, CAPNUM_BPF) ? " CAP_BPF" : "",
			   has_cap(caps, CAPNUM_PERFMON) ? " CAP_PERFMON" : "",
			   admin ? " CAP_SYS_ADMIN" : "",
			   has_cap(caps, CAPNUM_SYS_RESOURCE) ? " CAP_SYS_RESOURCE" : "",
			   admin ? "" : " (cgroup attach and fanotify need CAP_SYS_ADMIN)");
}

static void probe_btf(const struct doctor_env *env, struct check_result *res)
{
	bool in_sysfs = access(SYSFS_VMLINUX, R_OK) == 0;

	if (env->vmlinux)
		set_result(res, STATUS_OK, "%s, %u types", in_sysfs ? SYSFS_VMLINUX
			   : "no " SYSFS_VMLINUX ", loaded from a fallback file",
			   btf__type_cnt(env->vmlinux));
	else if (!in_sysfs)
		set_result(res, STATUS_MISSING, "no " SYSFS_VMLINUX
			   ": kernel built without CONFIG_DEBUG_INFO_BTF");
	else
		set_failed(res, env->btf_err, "parse " SYSFS_VMLINUX);
}

static void probe_tracefs(const struct doctor_env *env, struct check_result *res)
{
	if (env->tracefs[0])
		set_result(res, STATUS_OK, "mounted at %s", env->tracefs);
	else
		set_result(res, STATUS_MISSING, "not mounted; " MOUNT_TRACEFS_HINT);
}

static void probe_bpffs(const struct doctor_env *env, struct check_result *res)
{
	(void)env;
	if (is_fs_type("/sys/fs/bpf", BPF_FS_MAGIC))
		set_result(res, STATUS_OK, "mounted at /sys/fs/bpf");
	else
		set_result(res, STATUS_MISSING, "not mounted; " MOUNT_BPFFS_HINT);
}

static void attach_tracepoint(const struct doctor_env *env, int prog_fd,
			      struct check_result *res)
{
	const char *event = "syscalls/sys_enter_getpid";
	char path[PATH_MAX];
	long id;

	snprintf(path, sizeof(path), "%s/events/%s/id", env->tracefs, event);
	if (read_long_file(path, &id)) {
		if (errno == ENOENT)
			set_result(res, STATUS_MISSING, "no %s tracepoint: kernel built "
				   "without CONFIG_FTRACE_SYSCALLS?", event);
		else
			set_failed(res, errno, "read %.150s", path);
		return;
	}
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (__u64)id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	attach_perf_event(&attr, prog_fd, event, res);
}

static void probe_tracepoint(const struct doctor_env *env, struct check_result *res)
{
	struct probe_prog p = { .type = BPF_PROG_TYPE_TRACEPOINT };
	int prog_fd = load_probe_prog(&p, res);

	if (prog_fd < 0)
		return;
	if (env->tracefs[0])
		attach_tracepoint(env, prog_fd, res);
	else
		set_result(res, STATUS_MISSING, "program loads, but tracepoint ids need "
			   "tracefs; " MOUNT_TRACEFS_HINT);
	close(prog_fd);
}

static void probe_raw_tracepoint(const struct doctor_env *env, struct check_result *res)
{
	struct probe_prog p = { .type = BPF_PROG_TYPE_RAW_TRACEPOINT };
	int prog_fd, link_fd;

	(void)env;
	prog_fd = load_probe_prog(&p, res);
	if (prog_fd < 0)
		return;
	link_fd = bpf_raw_tracepoint_open("sys_enter", prog_fd);
	if (link_fd < 0) {
		set_failed(res, errno, "attach to sys_enter");
	} else {
		set_result(res, STATUS_OK, "loaded and attached to sys_enter");
		close(link_fd);
	}
	close(prog_fd);
}

/* A function every kernel has, checked against BTF when we have it. */
static const char *kprobe_target(const struct doctor_env *env)
{
	if (env->vmlinux &&
	    btf__find_by_name_kind(env->vmlinux, "do_sys_openat2", BTF_KIND_FUNC) > 0)
		return "do_sys_openat2";
	return "do_sys_open";
}

static void probe_kprobe(const struct doctor_env *env, struct check_result *res)
{
	struct probe_prog p = { .type = BPF_PROG_TYPE_KPROBE,
				.kern_version = env->kversion_code };
	const char *func = kprobe_target(env);
	long pmu_type;
	int prog_fd;

	/* Kernels before 4.17 only had tracefs kprobe_events; we do not use those. */
	if (read_long_file(KPROBE_PMU_TYPE, &pmu_type)) {
		set_result(res, STATUS_MISSING, "no kprobe PMU (%s): kernel built "
			   "without CONFIG_KPROBES", KPROBE_PMU_TYPE);
		return;
	}
	prog_fd = load_probe_prog(&p, res);
	if (prog_fd < 0)
		return;
	struct perf_event_attr attr = {
		.type = (__u32)pmu_type,
		.size = sizeof(attr),
		.config1 = (__u64)(uintptr_t)func,	/* kprobe_func */
		.config2 = 0,				/* offset into it */
		.sample_period = 1,
		.wakeup_events = 1,
	};
	attach_perf_event(&attr, prog_fd, func, res);
	close(prog_fd);
}

static void probe_fentry(const struct doctor_env *env, struct check_result *res)
{
	const struct probe_prog p = { .type = BPF_PROG_TYPE_TRACING,
				      .expected = BPF_TRACE_FENTRY };

	probe_btf_target(env, res, &p, "do_unlinkat", BTF_KIND_FUNC);
}

static void probe_tp_btf(const struct doctor_env *env, struct check_result *res)
{
	const struct probe_prog p = { .type = BPF_PROG_TYPE_TRACING,
				      .expected = BPF_TRACE_RAW_TP };

	probe_btf_target(env, res, &p, "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF);
}

/* Loading and attaching can succeed while the hook never runs, when
 * "bpf" is not among the active LSMs; the list settles that. */
static void probe_bpf_lsm(const struct doctor_env *env, struct check_result *res)
{
	const struct probe_prog p = { .type = BPF_PROG_TYPE_LSM, .expected = BPF_LSM_MAC };
	char lsms[256];
	bool listed = false, known = read_text_file("/sys/kernel/security/lsm",
						    lsms, sizeof(lsms)) == 0;

	for (char *save = NULL, *s = known ? strtok_r(lsms, ",", &save) : NULL; s;
	     s = strtok_r(NULL, ",", &save))
		listed |= strcmp(s, "bpf") == 0;
	if (known && !listed) {
		set_result(res, STATUS_MISSING, "\"bpf\" is not an active LSM; "
			   "add it to the lsm= kernel parameter");
		return;
	}
	probe_btf_target(env, res, &p, "bpf_lsm_file_open", BTF_KIND_FUNC);
	if (!known && res->status == STATUS_OK)
		set_result(res, STATUS_OK, "attached to bpf_lsm_file_open; active LSMs "
			   "unknown (securityfs not mounted at /sys/kernel/security)");
}

static void probe_cgroup_v2(const struct doctor_env *env, struct check_result *res)
{
	if (!env->cgroup2[0])
		set_result(res, STATUS_MISSING, "no cgroup2 mount in /proc/self/mountinfo");
	else if (!is_fs_type(env->cgroup2, CGROUP2_SUPER_MAGIC))
		set_result(res, STATUS_FAILED, "%.200s is not a cgroup2 file system", env->cgroup2);
	else
		set_result(res, STATUS_OK, "mounted at %.200s", env->cgroup2);
}

static void attach_sock_addr(int cg_fd, struct check_result *res)
{
	struct probe_prog p = { .type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
				.expected = BPF_CGROUP_INET4_CONNECT,
				.ret = 1 };	/* 1 = allow the connect */
	int prog_fd = load_probe_prog(&p, res);

	if (prog_fd < 0)
		return;
	if (bpf_prog_attach(prog_fd, cg_fd, BPF_CGROUP_INET4_CONNECT, 0))
		set_failed(res, errno, "attach connect4 to a cgroup");
	else if (bpf_prog_detach2(prog_fd, cg_fd, BPF_CGROUP_INET4_CONNECT))
		set_failed(res, errno, "detach connect4");
	else
		set_result(res, STATUS_OK, "connect4 program attached to a new cgroup and detached");
	close(prog_fd);
}

/* A fresh empty child cgroup: no process is ever affected by the probe. */
static void probe_cgroup_sock_addr(const struct doctor_env *env, struct check_result *res)
{
	int cg_fd;

	if (!env->probe_cgroup[0]) {
		set_result(res, STATUS_MISSING, "needs a cgroup2 mount");
		return;
	}
	if (mkdir(env->probe_cgroup, 0700) && errno != EEXIST) {
		set_failed(res, errno, "mkdir %.150s", env->probe_cgroup);
		return;
	}
	cg_fd = open(env->probe_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		set_failed(res, errno, "open %.150s", env->probe_cgroup);
	} else {
		attach_sock_addr(cg_fd, res);
		close(cg_fd);
	}
	if (rmdir(env->probe_cgroup) && res->status == STATUS_OK)
		set_failed(res, errno, "rmdir %.150s", env->probe_cgroup);
}

/* Parent side: the child may have died between mkdir and rmdir.  An
 * attached program does not keep the directory busy. */
static void cleanup_probe_cgroup(const struct doctor_env *env)
{
	if (env->probe_cgroup[0] && rmdir(env->probe_cgroup) && errno != ENOENT)
		fprintf(stderr, "vigil doctor: cannot remove %s: %s\n",
			env->probe_cgroup, strerror(errno));
}

/* libbpf's helper probe takes any load failure it does not recognise
 * (EPERM included) for "supported", so first prove the type loads. */
static bool raw_tracepoint_loads(struct check_result *res)
{
	struct probe_prog p = { .type = BPF_PROG_TYPE_RAW_TRACEPOINT };
	int fd = load_probe_prog(&p, res);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void probe_ring_buffer(const struct doctor_env *env, struct check_result *res)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd, helper;

	(void)env;
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "vigil_doctor", 0, 0,
			    (__u32)(page > 0 ? page : 4096), NULL);
	if (fd < 0) {
		set_failed(res, errno, "create BPF_MAP_TYPE_RINGBUF");
		return;
	}
	close(fd);
	if (!raw_tracepoint_loads(res))
		return;
	helper = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
					 BPF_FUNC_ringbuf_output, NULL);
	if (helper == 1)
		set_result(res, STATUS_OK, "created a ring buffer; bpf_ringbuf_output "
			   "usable from raw tracepoints");
	else if (helper == 0)
		set_result(res, STATUS_MISSING, "map created, but raw tracepoints "
			   "cannot call bpf_ringbuf_output");
	else
		set_failed(res, -helper, "probe bpf_ringbuf_output");
}

static void probe_send_signal(const struct doctor_env *env, struct check_result *res)
{
	int helper;

	(void)env;
	if (!raw_tracepoint_loads(res))
		return;
	helper = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
					 BPF_FUNC_send_signal, NULL);
	if (helper == 1)
		set_result(res, STATUS_OK, "bpf_send_signal usable from raw tracepoints");
	else if (helper == 0)
		set_result(res, STATUS_MISSING, "raw tracepoints cannot call "
			   "bpf_send_signal (kernel before 5.3?)");
	else
		set_failed(res, -helper, "probe bpf_send_signal");
}

static int add_root_mount_mark(int fan_fd, uint64_t mask)
{
	return fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD, "/");
}

/* While the mark exists every open on the root mount waits for this
 * group's answer, so nothing between adding and removing it may open a
 * file (it would wait on itself); closing the group allows all waiters. */
static void probe_fanotify_perm(const struct doctor_env *env, struct check_result *res)
{
	uint64_t mask = FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM;
	const char *what = "open and exec";
	int fan_fd;

	(void)env;
	fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (fan_fd < 0) {
		set_failed(res, errno, "fanotify_init(FAN_CLASS_CONTENT)");
		return;
	}
	int rc = add_root_mount_mark(fan_fd, mask);
	if (rc && errno == EINVAL) {
		/* FAN_OPEN_EXEC_PERM came in 5.0; plain open permission is older. */
		mask = FAN_OPEN_PERM;
		what = "open (not exec)";
		rc = add_root_mount_mark(fan_fd, mask);
	}
	if (rc)
		set_failed(res, errno, "fanotify_mark on the / mount");
	else if (fanotify_mark(fan_fd, FAN_MARK_REMOVE | FAN_MARK_MOUNT, mask, AT_FDCWD, "/"))
		set_failed(res, errno, "remove fanotify mark");
	else
		set_result(res, STATUS_OK, "permission events for %s on the / mount", what);
	close(fan_fd);
}

static void format_limit(rlim_t value, char *buf, size_t len)
{
	if (value == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)value / 1024);
}

static void probe_memlock(const struct doctor_env *env, struct check_result *res)
{
	struct rlimit rl;
	char soft[32], hard[32];

	if (getrlimit(RLIMIT_MEMLOCK, &rl)) {
		set_failed(res, errno, "getrlimit(RLIMIT_MEMLOCK)");
		return;
	}
	format_limit(rl.rlim_cur, soft, sizeof(soft));
	format_limit(rl.rlim_max, hard, sizeof(hard));
	if (kernel_at_least(env, 5, 11))
		set_result(res, STATUS_OK, "soft %s, hard %s; does not limit vigil: "
			   "kernel >= 5.11 charges BPF memory to the memory cgroup", soft, hard);
	else if (rl.rlim_max == RLIM_INFINITY || geteuid() == 0)
		set_result(res, STATUS_OK, "soft %s, hard %s; kernel < 5.11 counts BPF "
			   "maps here, libbpf raises the limit at load", soft, hard);
	else
		set_result(res, STATUS_FAILED, "soft %s, hard %s; kernel < 5.11 counts "
			   "BPF maps here and it cannot be raised: run as root", soft, hard);
}

static void probe_unprivileged_bpf(const struct doctor_env *env, struct check_result *res)
{
	long v;

	(void)env;
	if (read_long_file("/proc/sys/kernel/unprivileged_bpf_disabled", &v))
		set_result(res, STATUS_INFO, "sysctl not present");
	else if (v == 0)
		set_result(res, STATUS_INFO, "0: any user may load socket filters and maps");
	else
		set_result(res, STATUS_INFO, "%ld: only privileged users may use bpf() "
			   "(%s); vigil needs privileges anyway", v,
			   v == 1 ? "fixed until reboot" : "an admin may change it");
}

static void probe_perf_paranoid(const struct doctor_env *env, struct check_result *res)
{
	long v;

	(void)env;
	if (read_long_file("/proc/sys/kernel/perf_event_paranoid", &v))
		set_result(res, STATUS_INFO, "sysctl not present");
	else
		set_result(res, STATUS_INFO, "%ld; limits unprivileged users only, "
			   "vigil runs as root or with CAP_PERFMON", v);
}

/* ------------------------------------------------------------------ */
/* running probes in child processes                                   */

static const struct check checks[CHK_COUNT] = {
	[CHK_KERNEL] = { "kernel", "alert context; picks memlock rules and fallbacks",
			 probe_kernel, NULL },
	[CHK_PRIVILEGES] = { "privileges", "loading programs, cgroup attach, fanotify marks",
			     probe_privileges, NULL },
	[CHK_BTF] = { "btf", "sensor (required): CO-RE, one binary for every kernel",
		      probe_btf, NULL },
	[CHK_TRACEFS] = { "tracefs", "tracepoint ids for tp/ programs",
			  probe_tracefs, NULL },
	[CHK_BPFFS] = { "bpffs", "pinning maps and links across restarts (later)",
			probe_bpffs, NULL },
	[CHK_TRACEPOINT] = { "tracepoint", "optional: raw tracepoints cover the sensor",
			     probe_tracepoint, NULL },
	[CHK_RAW_TRACEPOINT] = { "raw_tracepoint", "sensor (required): sys_enter/sys_exit, "
				 "sched_process_*", probe_raw_tracepoint, NULL },
	[CHK_KPROBE] = { "kprobe", "optional: kernel function hooks, not needed",
			 probe_kprobe, NULL },
	[CHK_FENTRY] = { "fentry", "optional: cheaper kernel function hooks, not needed",
			 probe_fentry, NULL },
	[CHK_TP_BTF] = { "tp_btf", "optional: typed tracepoint arguments, not needed",
			 probe_tp_btf, NULL },
	[CHK_BPF_LSM] = { "bpf_lsm", "enforcement (preferred): deny in the kernel's LSM hooks",
			  probe_bpf_lsm, NULL },
	[CHK_CGROUP_V2] = { "cgroup_v2", "workload identity (cgroup ids), sock_addr hooks",
			    probe_cgroup_v2, NULL },
	[CHK_CGROUP_SOCK_ADDR] = { "cgroup_sock_addr", "enforcement fallback: deny connects",
				   probe_cgroup_sock_addr, cleanup_probe_cgroup },
	[CHK_RING_BUFFER] = { "ring_buffer", "sensor (required): events to user space",
			      probe_ring_buffer, NULL },
	[CHK_SEND_SIGNAL] = { "send_signal", "enforcement fallback: SIGKILL from a raw tracepoint",
			      probe_send_signal, NULL },
	[CHK_FANOTIFY_PERM] = { "fanotify_perm", "enforcement fallback: deny file opens and execs",
				probe_fanotify_perm, NULL },
	[CHK_MEMLOCK] = { "memlock", "BPF memory limit on kernels before 5.11",
			  probe_memlock, NULL },
	[CHK_UNPRIV_BPF] = { "unprivileged_bpf_disabled", "information only",
			     probe_unprivileged_bpf, NULL },
	[CHK_PERF_PARANOID] = { "perf_event_paranoid", "information only",
				probe_perf_paranoid, NULL },
};

static _Noreturn void run_child(const struct check *c, const struct doctor_env *env, int wfd)
{
	struct check_result res = { .status = STATUS_FAILED, .detail = "probe set no result" };
	ssize_t n;

	c->probe(env, &res);
	n = write(wfd, &res, sizeof(res));	/* under PIPE_BUF: one atomic write */
	/* _exit: no atexit handlers, no flushing the parent's stdio buffers. */
	_exit(n == (ssize_t)sizeof(res) ? 0 : 1);
}

enum wait_outcome { GOT_RESULT, NO_RESULT, TIMED_OUT };

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static enum wait_outcome read_result(int rfd, struct check_result *res, int timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = timeout_ms - elapsed_ms(&start);
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)		/* a poll error is treated as a hang: kill */
			return TIMED_OUT;
		n = read(rfd, res, sizeof(*res));
		if (n < 0 && errno == EINTR)
			continue;
		return n == (ssize_t)sizeof(*res) ? GOT_RESULT : NO_RESULT;
	}
}

static int reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 0;	/* e.g. SIGCHLD ignored by our caller */
	}
	return status;
}

static void collect_child(pid_t pid, int rfd, struct check_result *res)
{
	enum wait_outcome outcome = read_result(rfd, res, PROBE_TIMEOUT_MS);
	int status;

	if (outcome == TIMED_OUT)
		kill(pid, SIGKILL);
	status = reap(pid);
	if (outcome == TIMED_OUT)
		set_result(res, STATUS_FAILED, "no answer within %d ms; probe killed",
			   PROBE_TIMEOUT_MS);
	else if (outcome == NO_RESULT && WIFSIGNALED(status))
		set_result(res, STATUS_FAILED, "probe crashed: %s", strsignal(WTERMSIG(status)));
	else if (outcome == NO_RESULT)
		set_result(res, STATUS_FAILED, "probe exited without a result");
	res->detail[sizeof(res->detail) - 1] = '\0';	/* never trust a length */
}

/* Whatever the probe held (programs, links, perf events, fanotify
 * groups) the kernel drops when the child exits, killed or not. */
static void run_isolated(const struct check *c, const struct doctor_env *env,
			 struct check_result *res)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		set_failed(res, errno, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		run_child(c, env, pipefd[1]);
	}
	close(pipefd[1]);
	if (pid < 0)
		set_failed(res, errno, "fork");
	else
		collect_child(pid, pipefd[0], res);
	close(pipefd[0]);
	if (c->cleanup)
		c->cleanup(env);
}

/* ------------------------------------------------------------------ */
/* the verdict and the report                                          */

static const enum check_id sensor_needs[] = {
	CHK_PRIVILEGES, CHK_BTF, CHK_RAW_TRACEPOINT, CHK_RING_BUFFER,
};
static const enum check_id enforcement_fallbacks[] = {
	CHK_FANOTIFY_PERM, CHK_CGROUP_SOCK_ADDR, CHK_SEND_SIGNAL,
};
static const enum check_id optional_hooks[] = {
	CHK_TRACEPOINT, CHK_KPROBE, CHK_FENTRY, CHK_TP_BTF,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *status_name(enum check_status status)
{
	switch (status) {
	case STATUS_OK: return "ok";
	case STATUS_MISSING: return "missing";
	case STATUS_FAILED: return "failed";
	case STATUS_INFO: return "info";
	}
	return "?";
}

/* "name, name" of the listed checks whose outcome is `ok`. */
static void print_names(FILE *out, const enum check_id *ids, size_t n,
			const struct check_result *results, bool ok)
{
	const char *sep = "";

	for (size_t i = 0; i < n; i++) {
		if (result_ok(&results[ids[i]]) == ok) {
			fprintf(out, "%s%s", sep, checks[ids[i]].name);
			sep = ", ";
		}
	}
	if (!*sep)
		fprintf(out, "none");
}

static bool any_ok(const enum check_id *ids, size_t n, const struct check_result *results)
{
	for (size_t i = 0; i < n; i++) {
		if (result_ok(&results[ids[i]]))
			return true;
	}
	return false;
}

static bool all_ok(const enum check_id *ids, size_t n, const struct check_result *results)
{
	for (size_t i = 0; i < n; i++) {
		if (!result_ok(&results[ids[i]]))
			return false;
	}
	return true;
}

static void print_text_enforcement(FILE *out, const struct check_result *results)
{
	size_t n = COUNT(enforcement_fallbacks);

	fprintf(out, "  enforcement  ");
	if (result_ok(&results[CHK_BPF_LSM])) {
		fprintf(out, "BPF LSM\n");
		return;
	}
	if (!any_ok(enforcement_fallbacks, n, results)) {
		fprintf(out, "none available: vigil can detect but not block\n");
		return;
	}
	fprintf(out, "no BPF LSM; fallbacks: ");
	print_names(out, enforcement_fallbacks, n, results, true);
	if (!all_ok(enforcement_fallbacks, n, results)) {
		fprintf(out, " (missing: ");
		print_names(out, enforcement_fallbacks, n, results, false);
		fprintf(out, ")");
	}
	fprintf(out, "\n");
}

static void print_text_summary(FILE *out, const struct check_result *results, bool can_run)
{
	fprintf(out, "\nvigil will use:\n  sensor       ");
	if (can_run) {
		fprintf(out, "raw tracepoints + ring buffer + BTF (CO-RE)\n");
	} else {
		fprintf(out, "cannot start; needs ");
		print_names(out, sensor_needs, COUNT(sensor_needs), results, false);
		fprintf(out, "\n");
	}
	print_text_enforcement(out, results);
	fprintf(out, "  optional     available: ");
	print_names(out, optional_hooks, COUNT(optional_hooks), results, true);
	fprintf(out, "; not available: ");
	print_names(out, optional_hooks, COUNT(optional_hooks), results, false);
	fprintf(out, " (not needed)\n  pinning      %s\n",
		result_ok(&results[CHK_BPFFS]) ? "bpffs at /sys/fs/bpf"
		: "bpffs not mounted; " MOUNT_BPFFS_HINT);
	fprintf(out, "\n%s\n", can_run ? "vigil can run on this machine."
		: "vigil cannot run on this machine.");
}

static void print_text(FILE *out, const struct doctor_env *env,
		       const struct check_result *results, bool can_run)
{
	fprintf(out, "vigil doctor: Linux %s %s\n\n", env->uts.release, env->uts.machine);
	fprintf(out, "  %-26s %-8s %s\n", "CHECK", "STATUS", "DETAIL / USED FOR");
	for (int i = 0; i < CHK_COUNT; i++) {
		fprintf(out, "  %-26s %-8s %s\n", checks[i].name,
			status_name(results[i].status), results[i].detail);
		fprintf(out, "  %-26s %-8s for: %s\n", "", "", checks[i].used_for);
	}
	print_text_summary(out, results, can_run);
}

static void json_names(struct json_writer *w, const char *key, const enum check_id *ids,
		       size_t n, const struct check_result *results, bool ok)
{
	json_key(w, key);
	json_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		if (result_ok(&results[ids[i]]) == ok)
			json_string(w, checks[ids[i]].name);
	}
	json_array_end(w);
}

static void json_checks(struct json_writer *w, const struct check_result *results)
{
	json_key(w, "checks");
	json_array_begin(w);
	for (int i = 0; i < CHK_COUNT; i++) {
		json_object_begin(w);
		json_kv_string(w, "name", checks[i].name);
		json_kv_string(w, "status", status_name(results[i].status));
		json_kv_bool(w, "ok", result_ok(&results[i]));
		json_kv_string(w, "detail", results[i].detail);
		json_kv_string(w, "used_for", checks[i].used_for);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_will_use(struct json_writer *w, const struct check_result *results)
{
	static const enum check_id lsm[] = { CHK_BPF_LSM };
	bool use_lsm = result_ok(&results[CHK_BPF_LSM]);

	json_key(w, "will_use");
	json_object_begin(w);
	json_names(w, "sensor", sensor_needs, COUNT(sensor_needs), results, true);
	if (use_lsm)
		json_names(w, "enforcement", lsm, 1, results, true);
	else
		json_names(w, "enforcement", enforcement_fallbacks,
			   COUNT(enforcement_fallbacks), results, true);
	json_names(w, "optional_available", optional_hooks, COUNT(optional_hooks),
		   results, true);
	json_object_end(w);
	json_names(w, "sensor_missing", sensor_needs, COUNT(sensor_needs), results, false);
}

static void print_json(FILE *out, const struct doctor_env *env,
		       const struct check_result *results, bool can_run)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "kernel", env->uts.release);
	json_kv_bool(&w, "btf", result_ok(&results[CHK_BTF]));
	json_checks(&w, results);
	json_will_use(&w, results);
	json_kv_bool(&w, "can_run", can_run);
	json_object_end(&w);
	if (w.failed)
		fprintf(out, "{\"error\":\"out of memory\",\"can_run\":%s}\n",
			can_run ? "true" : "false");
	else
		fprintf(out, "%s\n", w.buf);
	json_free(&w);
}

int doctor_run(FILE *out, bool json)
{
	struct doctor_env env;
	struct check_result results[CHK_COUNT];
	libbpf_print_fn_t old_print = libbpf_set_print(drop_libbpf_print);
	bool can_run;

	prepare_env(&env);
	for (int i = 0; i < CHK_COUNT; i++)
		run_isolated(&checks[i], &env, &results[i]);
	btf__free(env.vmlinux);
	libbpf_set_print(old_print);

	can_run = all_ok(sensor_needs, COUNT(sensor_needs), results);
	if (json)
		print_json(out, &env, results, can_run);
	else
		print_text(out, &env, results, can_run);
	fflush(out);
	return can_run ? 0 : 1;
}

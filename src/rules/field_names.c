/* field_names.c - symbolic names Falco prints for numeric arguments
 * (open flags, file modes, ptrace requests, bpf commands, capabilities,
 * errno values), so that `evt.arg.flags contains O_CREAT` and
 * `thread.cap_effective contains CAP_SYS_ADMIN` keep their meaning. */
#include "field_names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define NAME(x) { x, #x }

struct bit_name {
	uint64_t bit;
	const char *name;
};

/* Append name to buf (cap bytes) with a separator; returns the new length. */
static size_t append_name(char *buf, size_t len, size_t cap, const char *sep,
			  const char *name)
{
	int n = snprintf(buf + len, len < cap ? cap - len : 0, "%s%s",
			 len ? sep : "", name);

	if (n < 0 || len + (size_t)n >= cap)
		return len;	/* no room: keep what fits whole */
	return len + (size_t)n;
}

static size_t render_bits(uint64_t v, const struct bit_name *names, size_t n,
			  const char *sep, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (names[i].bit && (v & names[i].bit) == names[i].bit)
			len = append_name(buf, len, cap, sep, names[i].name);
	return len;
}

size_t render_open_flags(uint32_t flags, char *buf, size_t cap)
{
	static const struct bit_name bits[] = {
		NAME(O_CREAT), NAME(O_EXCL), NAME(O_NOCTTY), NAME(O_TRUNC),
		NAME(O_APPEND), NAME(O_NONBLOCK), NAME(O_DSYNC), NAME(O_DIRECT),
		{0100000, "O_LARGEFILE"}, NAME(O_DIRECTORY), NAME(O_NOFOLLOW),
		NAME(O_NOATIME), NAME(O_CLOEXEC), NAME(O_PATH), NAME(O_TMPFILE),
	};
	const char *acc = (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY" :
			  (flags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_RDONLY";
	size_t len;

	if (cap == 0)
		return 0;
	len = append_name(buf, 0, cap, "|", acc);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (bits[i].bit && (flags & bits[i].bit) == bits[i].bit)
			len = append_name(buf, len, cap, "|", bits[i].name);
	return len;
}

size_t render_file_mode(uint32_t mode, char *buf, size_t cap)
{
	static const struct bit_name bits[] = {
		{04000, "S_ISUID"}, {02000, "S_ISGID"}, {01000, "S_ISVTX"},
		{0400, "S_IRUSR"}, {0200, "S_IWUSR"}, {0100, "S_IXUSR"},
		{040, "S_IRGRP"}, {020, "S_IWGRP"}, {010, "S_IXGRP"},
		{04, "S_IROTH"}, {02, "S_IWOTH"}, {01, "S_IXOTH"},
	};

	if (cap == 0)
		return 0;
	return render_bits(mode, bits, sizeof(bits) / sizeof(bits[0]), "|", buf, cap);
}

const char *ptrace_request_name(uint64_t req)
{
	static const char *const names[] = {
		[0] = "PTRACE_TRACEME", [1] = "PTRACE_PEEKTEXT", [2] = "PTRACE_PEEKDATA",
		[3] = "PTRACE_PEEKUSR", [4] = "PTRACE_POKETEXT", [5] = "PTRACE_POKEDATA",
		[6] = "PTRACE_POKEUSR", [7] = "PTRACE_CONT", [8] = "PTRACE_KILL",
		[9] = "PTRACE_SINGLESTEP", [12] = "PTRACE_GETREGS", [13] = "PTRACE_SETREGS",
		[14] = "PTRACE_GETFPREGS", [15] = "PTRACE_SETFPREGS", [16] = "PTRACE_ATTACH",
		[17] = "PTRACE_DETACH", [24] = "PTRACE_SYSCALL",
	};

	if (req < sizeof(names) / sizeof(names[0]) && names[req])
		return names[req];
	switch (req) {
	case 0x4200: return "PTRACE_SETOPTIONS";
	case 0x4204: return "PTRACE_GETREGSET";
	case 0x4205: return "PTRACE_SETREGSET";
	case 0x4206: return "PTRACE_SEIZE";
	case 0x4207: return "PTRACE_INTERRUPT";
	default: return NULL;
	}
}

const char *bpf_cmd_name(uint64_t cmd)
{
	static const char *const names[] = {
		"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM",
		"BPF_MAP_DELETE_ELEM", "BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD",
		"BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH", "BPF_PROG_DETACH",
		"BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
		"BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD",
		"BPF_PROG_QUERY", "BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD",
		"BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
		"BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
		"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
		"BPF_MAP_UPDATE_BATCH", "BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE",
		"BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID",
		"BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH", "BPF_PROG_BIND_MAP",
	};

	return cmd < sizeof(names) / sizeof(names[0]) ? names[cmd] : NULL;
}

size_t render_capabilities(uint64_t caps, char *buf, size_t cap)
{
	static const char *const names[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
		"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
		"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
		"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
		"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
		"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
		"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
		"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
		"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
		"CAP_CHECKPOINT_RESTORE",
	};
	size_t len = 0;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & (UINT64_C(1) << i))
			len = append_name(buf, len, cap, " ", names[i]);
	return len;
}

const char *errno_name(int err)
{
	static const struct { int n; const char *name; } names[] = {
		NAME(EPERM), NAME(ENOENT), NAME(ESRCH), NAME(EINTR), NAME(EIO),
		NAME(ENXIO), NAME(E2BIG), NAME(ENOEXEC), NAME(EBADF), NAME(ECHILD),
		NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES), NAME(EFAULT), NAME(EBUSY),
		NAME(EEXIST), NAME(EXDEV), NAME(ENODEV), NAME(ENOTDIR), NAME(EISDIR),
		NAME(EINVAL), NAME(ENFILE), NAME(EMFILE), NAME(ENOTTY), NAME(ETXTBSY),
		NAME(EFBIG), NAME(ENOSPC), NAME(ESPIPE), NAME(EROFS), NAME(EMLINK),
		NAME(EPIPE), NAME(ERANGE), NAME(ENAMETOOLONG), NAME(ENOSYS),
		NAME(ENOTEMPTY), NAME(ELOOP), NAME(ENOTSOCK), NAME(EADDRINUSE),
		NAME(EADDRNOTAVAIL), NAME(ENETUNREACH), NAME(ECONNABORTED),
		NAME(ECONNRESET), NAME(EISCONN), NAME(ENOTCONN), NAME(ETIMEDOUT),
		NAME(ECONNREFUSED), NAME(EHOSTUNREACH), NAME(EALREADY),
		NAME(EINPROGRESS), NAME(EAFNOSUPPORT), NAME(EPROTONOSUPPORT),
		NAME(EOPNOTSUPP),
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == err)
			return names[i].name;
	return NULL;
}

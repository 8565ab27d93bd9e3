/* syscall_table.c - the traced syscalls (x86_64 numbers). */
#include "syscall_table.h"

#include <string.h>

const struct traced_syscall traced_syscalls[] = {
	{59, FAMILY_EXEC, EVENT_EXEC},		/* execve */
	{322, FAMILY_EXEC, EVENT_EXEC},		/* execveat */
	{2, FAMILY_OPEN, EVENT_OPEN},		/* open */
	{85, FAMILY_OPEN, EVENT_OPEN},		/* creat */
	{257, FAMILY_OPEN, EVENT_OPEN},		/* openat */
	{437, FAMILY_OPEN, EVENT_OPEN},		/* openat2 */
	{87, FAMILY_FILE, EVENT_UNLINK},	/* unlink */
	{84, FAMILY_FILE, EVENT_UNLINK},	/* rmdir */
	{263, FAMILY_FILE, EVENT_UNLINK},	/* unlinkat */
	{83, FAMILY_FILE, EVENT_MKDIR},		/* mkdir */
	{258, FAMILY_FILE, EVENT_MKDIR},	/* mkdirat */
	{90, FAMILY_FILE, EVENT_CHMOD},		/* chmod */
	{91, FAMILY_FILE, EVENT_CHMOD},		/* fchmod */
	{268, FAMILY_FILE, EVENT_CHMOD},	/* fchmodat */
	{452, FAMILY_FILE, EVENT_CHMOD},	/* fchmodat2 */
	{92, FAMILY_FILE, EVENT_CHOWN},		/* chown */
	{93, FAMILY_FILE, EVENT_CHOWN},		/* fchown */
	{94, FAMILY_FILE, EVENT_CHOWN},		/* lchown */
	{260, FAMILY_FILE, EVENT_CHOWN},	/* fchownat */
	{82, FAMILY_FILE2, EVENT_RENAME},	/* rename */
	{264, FAMILY_FILE2, EVENT_RENAME},	/* renameat */
	{316, FAMILY_FILE2, EVENT_RENAME},	/* renameat2 */
	{86, FAMILY_FILE2, EVENT_LINK},		/* link */
	{265, FAMILY_FILE2, EVENT_LINK},	/* linkat */
	{88, FAMILY_FILE2, EVENT_SYMLINK},	/* symlink */
	{266, FAMILY_FILE2, EVENT_SYMLINK},	/* symlinkat */
	{165, FAMILY_MOUNT, EVENT_MOUNT},	/* mount */
	{166, FAMILY_MOUNT, EVENT_MOUNT},	/* umount2 */
	{42, FAMILY_SOCKADDR, EVENT_CONNECT},	/* connect */
	{49, FAMILY_SOCKADDR, EVENT_BIND},	/* bind */
	{43, FAMILY_SOCKFD, EVENT_ACCEPT},	/* accept */
	{288, FAMILY_SOCKFD, EVENT_ACCEPT},	/* accept4 */
	{50, FAMILY_SOCKFD, EVENT_LISTEN},	/* listen */
	{105, FAMILY_CRED, EVENT_SETUID},	/* setuid */
	{106, FAMILY_CRED, EVENT_SETUID},	/* setgid */
	{113, FAMILY_CRED, EVENT_SETUID},	/* setreuid */
	{114, FAMILY_CRED, EVENT_SETUID},	/* setregid */
	{117, FAMILY_CRED, EVENT_SETUID},	/* setresuid */
	{119, FAMILY_CRED, EVENT_SETUID},	/* setresgid */
	{122, FAMILY_CRED, EVENT_SETUID},	/* setfsuid */
	{123, FAMILY_CRED, EVENT_SETUID},	/* setfsgid */
	{126, FAMILY_CRED, EVENT_CAPSET},	/* capset */
	{101, FAMILY_MISC, EVENT_PTRACE},	/* ptrace */
	{175, FAMILY_MISC, EVENT_MODULE},	/* init_module */
	{313, FAMILY_MISC, EVENT_MODULE},	/* finit_module */
	{272, FAMILY_MISC, EVENT_UNSHARE},	/* unshare */
	{308, FAMILY_MISC, EVENT_SETNS},	/* setns */
	{321, FAMILY_MISC, EVENT_BPF},		/* bpf */
	{319, FAMILY_MISC, EVENT_MEMFD},	/* memfd_create */
	{62, FAMILY_MISC, EVENT_KILL},		/* kill */
	{200, FAMILY_MISC, EVENT_KILL},		/* tkill */
	{234, FAMILY_MISC, EVENT_KILL},		/* tgkill */
};

const int traced_syscalls_count = sizeof(traced_syscalls) / sizeof(traced_syscalls[0]);

void syscall_table_families(uint64_t event_mask, uint8_t *family_by_nr, int slots)
{
	memset(family_by_nr, 0, slots);
	for (int i = 0; i < traced_syscalls_count; i++) {
		const struct traced_syscall *t = &traced_syscalls[i];

		if (t->nr < slots && (event_mask & (1ULL << t->type)))
			family_by_nr[t->nr] = t->family;
	}
}

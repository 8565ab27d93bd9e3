/* families.h - how syscalls are grouped for the kernel side.  Each
 * family has one exit program (tail-called from sys_exit); user space
 * maps syscall numbers to families from the configured event set. */
#ifndef VIGIL_FAMILIES_H
#define VIGIL_FAMILIES_H

enum syscall_family {
	FAMILY_NONE = 0,
	FAMILY_EXEC,		/* execve/execveat: failures only */
	FAMILY_OPEN,
	FAMILY_FILE,		/* one path: unlink, mkdir, chmod, chown ... */
	FAMILY_FILE2,		/* two paths: rename, link, symlink */
	FAMILY_MOUNT,
	FAMILY_SOCKADDR,	/* connect, bind */
	FAMILY_SOCKFD,		/* accept, accept4, listen */
	FAMILY_CRED,		/* setuid family, capset */
	FAMILY_MISC,		/* ptrace, module, unshare, setns, bpf, kill, memfd */
	FAMILY_MAX,
};

#endif

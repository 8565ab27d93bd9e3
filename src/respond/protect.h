/* protect.h - the protected set: processes and cgroups the responder
 * never touches, whatever the rules say.  Checked before every action,
 * from live /proc state (vigil's own cgroup and ancestors can change). */
#ifndef VIGIL_RESPOND_PROTECT_H
#define VIGIL_RESPOND_PROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "respond/response_config.h"

/* Is the process protected?  If so, why goes to why ("pid 1", "vigil
 * itself", "kernel thread", "protected unit sshd.service", ...).
 * container_name may be NULL. */
bool protect_process(const struct response_config *c, pid_t pid, const char *container_name,
		     char *why, size_t whylen);

/* Is the cgroup (path relative to the v2 mount) protected: the root, a
 * slice, a protected unit, a runtime's parent or pod cgroup (it holds
 * several containers), a container monitor (conmon), one that holds vigil
 * or pid 1, a protected container, or not a clean absolute path? */
bool protect_cgroup(const struct response_config *c, const char *path,
		    const char *container_name, char *why, size_t whylen);

#endif

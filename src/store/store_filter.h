/* store_filter.h - which sensor events the audit store keeps, decided on
 * the raw JSON text on the agent's hot path (no parsing: a few memmem()
 * calls on a record the pipeline wrote, whose strings are escaped, so a
 * key pattern cannot appear inside a string value).
 *
 * STORE_EVENTS_SECURITY keeps: exec, exit (optional), every file change
 * (unlink, rename, chmod, chown, mkdir, link, symlink, mount, memfd),
 * opens for writing (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC), opens of
 * sensitive paths whatever the flags (credentials, keys, secrets:
 * /etc/shadow, /etc/sudoers*, /etc/ssh/, /root/, /home/ * /.ssh/,
 * service-account tokens, ...), opens refused with EPERM/EACCES, network
 * (connect, accept, bind, listen), privilege and namespace changes
 * (setuid, capset, ptrace, module, unshare, setns, bpf), container start
 * and stop, and model changes.  Not kept: fork, kill, plain reads. */
#ifndef VIGIL_STORE_FILTER_H
#define VIGIL_STORE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

bool store_filter_keep_event(const char *json, size_t len, enum store_events_mode mode,
			     bool keep_exit);

/* Is this path (as raw text, possibly JSON-escaped) a sensitive one? */
bool store_filter_sensitive_path(const char *path, size_t len);

#endif

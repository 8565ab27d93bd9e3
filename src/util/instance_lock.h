/* instance_lock.h - one running agent per directory.
 *
 * Two agents sharing a state directory would both send the webhook
 * queue and write the store and models; two sharing a pin directory
 * would sweep each other's kernel entries.  Each takes an exclusive
 * flock on the directory itself for its lifetime: the kernel drops it
 * when the process dies, so a crash leaves no stale lock behind. */
#ifndef VIGIL_UTIL_INSTANCE_LOCK_H
#define VIGIL_UTIL_INSTANCE_LOCK_H

#include <stddef.h>

/* The directory's descriptor, holding the lock; -1 with err set when
 * another process holds it or the directory cannot be opened. */
int instance_lock_take(const char *dir, const char *what, char *err, size_t errlen);
void instance_lock_release(int fd);
/* Whether another process holds the lock now (a missing directory is
 * held by nobody).  Takes nothing. */
int instance_lock_held_elsewhere(const char *dir);

#endif

/* instance_lock.c - an exclusive flock on a directory, held for life. */
#include "util/instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/error_text.h"

int instance_lock_take(const char *dir, const char *what, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		set_error(err, errlen, "cannot open %s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK)
		set_error(err, errlen, "another vigil agent is running with %s %s (one agent "
			  "per %s)", what, dir, what);
	else
		set_error(err, errlen, "cannot lock %s %s: %s", what, dir, strerror(errno));
	close(fd);
	return -1;
}

void instance_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

int instance_lock_held_elsewhere(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), held;

	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);	/* drops the lock if this took it */
	return held;
}

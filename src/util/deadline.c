/* deadline.c - see deadline.h. */
#include "util/deadline.h"

#include <errno.h>

struct timespec deadline_after_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

void monotonic_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
}

bool wait_flag_or_timeout(pthread_cond_t *c, pthread_mutex_t *lock, const bool *flag, int ms)
{
	struct timespec until = deadline_after_ms(ms);

	while (!*flag)
		if (pthread_cond_timedwait(c, lock, &until) == ETIMEDOUT)
			break;
	return *flag;
}

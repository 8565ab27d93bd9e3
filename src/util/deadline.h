/* deadline.h - absolute CLOCK_MONOTONIC times for timed waits (condition
 * variables made with pthread_condattr_setclock(CLOCK_MONOTONIC)). */
#ifndef VIGIL_DEADLINE_H
#define VIGIL_DEADLINE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* Now plus ms on the monotonic clock. */
struct timespec deadline_after_ms(int ms);

/* A condition variable that waits on the monotonic clock. */
void monotonic_cond_init(pthread_cond_t *c);

/* Wait on c (lock held) until *flag is set or ms pass, whatever signals
 * come in between; returns *flag. */
bool wait_flag_or_timeout(pthread_cond_t *c, pthread_mutex_t *lock, const bool *flag, int ms);

#endif

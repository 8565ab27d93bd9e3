/* behaviour.h - the behaviours one event shows, as profile keys.
 *
 * An exec shows "EXE <- PARENT as USER"; an open for reading shows its
 * path under PROF_READ; a connect its peer; every traced syscall the pair
 * "EXE syscall".  Rates count execs, file and network events.  See
 * profile.h for the key conventions.
 */
#ifndef VIGIL_BEHAVIOUR_H
#define VIGIL_BEHAVIOUR_H

#include "model/profile.h"
#include "rules/fields.h"

#define BEHAVIOUR_MAX 4		/* behaviours one event can show */
#define BEHAVIOUR_KEY_MAX 1024	/* longer keys are cut */

struct behaviour {
	enum profile_category category;
	size_t len;
	char key[BEHAVIOUR_KEY_MAX];
};

struct behaviour_set {
	struct behaviour items[BEHAVIOUR_MAX];
	size_t count;
	int rate;		/* enum profile_rate, -1 when the event counts toward none */
};

/* Fill out with what in->ev shows (user names resolved through in->users). */
void behaviour_of_event(const struct rule_input *in, struct behaviour_set *out);

#endif

/* control_cmd.c - vigil reload, vigil enforce clear. */
#include "agent/control_cmd.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "enforce/enforcer.h"

long running_agent(const char *state_dir)
{
	char path[4200];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/vigil.pid", state_dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && kill((pid_t)pid, 0) == 0 ? pid : 0;
}

int control_reload(const char *state_dir, FILE *out, FILE *err)
{
	long pid = running_agent(state_dir);

	if (!pid) {
		fprintf(err, "vigil reload: no agent runs with state directory %s\n", state_dir);
		return 1;
	}
	if (kill((pid_t)pid, SIGHUP)) {
		fprintf(err, "vigil reload: cannot signal pid %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	fprintf(out, "reload requested (agent pid %ld); its log says whether the files loaded\n",
		pid);
	return 0;
}

int control_enforce_clear(const char *state_dir, const char *pin_dir, FILE *out, FILE *err)
{
	char msg[512] = "";
	long pid = running_agent(state_dir);
	int removed;

	if (pid) {
		fprintf(err, "vigil enforce clear: the agent (pid %ld) is running; stop it first\n",
			pid);
		return 1;
	}
	removed = enforcer_clear_pins(pin_dir, msg, sizeof(msg));
	if (removed < 0) {
		fprintf(err, "vigil enforce clear: %s\n", msg);
		return 1;
	}
	fprintf(out, "removed %d pinned enforcement objects from %s\n", removed, pin_dir);
	return 0;
}

/* requests.c - request files between vigil's commands and its agent. */
#include "agent/requests.h"
#include "agent/control_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 15000

/* Whole words only: the agent splits the line at the first space. */
static bool valid_word(const char *s)
{
	if (!*s || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == '/' || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[4400];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	if (fputs(text, f) == EOF || fclose(f)) {
		unlink(tmp);
		return -1;
	}
	return rename(tmp, path);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > 1 << 20 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

int respond_request(const char *state_dir, const char *action, const char *target,
		    FILE *out, FILE *err)
{
	char dir[4200], req[4300], done[4300], line[600];
	struct timespec ts;
	char *answer = NULL;

	if (!valid_word(action) || !valid_word(target)) {
		fprintf(err, "vigil respond: ACTION and TARGET are single words (a container name "
			"or id, or a pid)\n");
		return 2;
	}
	if (!running_agent(state_dir)) {
		fprintf(err, "vigil respond: no agent runs with state directory %s\n", state_dir);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/requests", state_dir);
	if (mkdir(dir, 0750) && errno != EEXIST) {
		fprintf(err, "vigil respond: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(req, sizeof(req), "%s/respond-%lld%09ld-%d.req", dir, (long long)ts.tv_sec,
		 ts.tv_nsec, (int)getpid());
	snprintf(done, sizeof(done), "%.*s.done", (int)(strlen(req) - 4), req);
	snprintf(line, sizeof(line), "%s %s\n", action, target);
	if (write_atomic(req, line)) {
		fprintf(err, "vigil respond: cannot write %s: %s\n", req, strerror(errno));
		return 1;
	}
	for (int waited = 0; waited < WAIT_MS && !(answer = read_all(done)); waited += 50)
		usleep(50000);
	if (!answer) {
		unlink(req);
		fprintf(err, "vigil respond: the agent did not answer within %d s\n", WAIT_MS / 1000);
		return 1;
	}
	unlink(done);
	fprintf(out, "%s\n", answer);
	bool ok = strstr(answer, "\"outcome\":\"done\"") || strstr(answer, "\"outcome\":\"already");

	free(answer);
	return ok ? 0 : 1;
}

void respond_requests_each(const char *state_dir,
			   void (*fn)(void *ctx, const char *id, const char *action,
				      const char *target),
			   void *ctx)
{
	char dir[4200], path[4600], action[300], target[300];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/requests", state_dir);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		char *text, id[256];

		if (strncmp(d->d_name, "respond-", 8) || n < 5 || strcmp(d->d_name + n - 4, ".req") ||
		    n - 4 >= sizeof(id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		text = read_all(path);
		unlink(path);
		if (!text)
			continue;
		memcpy(id, d->d_name, n - 4);
		id[n - 4] = 0;
		if (sscanf(text, "%299s %299s", action, target) == 2)
			fn(ctx, id, action, target);
		else
			respond_request_done(state_dir, id, "{\"outcome\":\"failed: bad request\"}", 34);
		free(text);
	}
	closedir(dp);
}

void respond_request_done(const char *state_dir, const char *id, const char *json, size_t len)
{
	char path[4600], *text = malloc(len + 1);

	if (!text)
		return;
	memcpy(text, json, len);
	text[len] = 0;
	snprintf(path, sizeof(path), "%s/requests/%s.done", state_dir, id);
	write_atomic(path, text);
	free(text);
}

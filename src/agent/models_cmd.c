/* models_cmd.c - the model commands. */
#include "models_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enforce/policy.h"
#include "model/model_file.h"
#include "model/modeler.h"
#include "util/time_format.h"

#define MAX_ENTRIES_READ 1000000	/* read any model a configuration allows */

struct listing {
	bool json;
	FILE *out, *err;
	uint64_t now_ns;
	size_t count;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void human_age(uint64_t ns, char *buf, size_t cap)
{
	uint64_t s = ns / 1000000000ULL;

	if (s < 120)
		snprintf(buf, cap, "%llus", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, cap, "%llum", (unsigned long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, cap, "%lluh", (unsigned long long)(s / 3600));
	else
		snprintf(buf, cap, "%llud", (unsigned long long)(s / 86400));
}

static void print_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void list_one(void *ctx, const char *path)
{
	struct listing *l = ctx;
	struct model_meta m;
	char err[600], age[32];
	struct profile *p = model_file_load(path, &m, MAX_ENTRIES_READ, err, sizeof(err));

	if (!p) {
		fprintf(l->err, "vigil models: warning: %s\n", err);
		return;
	}
	l->count++;
	human_age(l->now_ns > m.created_ns ? l->now_ns - m.created_ns : 0, age, sizeof(age));
	if (l->json) {
		fputs("{\"id\":", l->out);
		print_json_string(l->out, m.id);
		fputs(",\"name\":", l->out);
		print_json_string(l->out, m.name);
		fprintf(l->out, ",\"mode\":\"%s\",\"group\":", model_mode_name(m.mode));
		print_json_string(l->out, m.group);
		fprintf(l->out, ",\"age_s\":%llu,\"anomalies\":%llu,\"sizes\":{",
			(unsigned long long)((l->now_ns - m.created_ns) / 1000000000ULL),
			(unsigned long long)m.anomalies);
		for (int c = 0; c < PROF_CATEGORIES; c++)
			fprintf(l->out, "%s\"%s\":%zu", c ? "," : "", profile_category_name(c),
				profile_size(p, c));
		fputs("}}\n", l->out);
	} else {
		fprintf(l->out, "%-44.44s %-24.24s %-11s %6s %5zu %5zu %5zu %5zu %5zu %6llu\n",
			m.id, m.name, model_mode_name(m.mode), age, profile_size(p, PROF_EXEC),
			profile_size(p, PROF_READ) + profile_size(p, PROF_WRITE) +
			profile_size(p, PROF_CREATE),
			profile_size(p, PROF_NET_OUT) + profile_size(p, PROF_NET_IN) +
			profile_size(p, PROF_LISTEN),
			profile_size(p, PROF_SYSCALL), profile_size(p, PROF_PRIV),
			(unsigned long long)m.anomalies);
	}
	profile_free(p);
}

int models_list(const char *state_dir, bool json, FILE *out, FILE *err)
{
	char dir[4200];
	struct listing l = {.json = json, .out = out, .err = err, .now_ns = now_ns()};

	snprintf(dir, sizeof(dir), "%s/models", state_dir);
	if (!json)
		fprintf(out, "%-44s %-24s %-11s %6s %5s %5s %5s %5s %5s %6s\n", "ID", "NAME", "MODE",
			"AGE", "EXEC", "FILES", "NET", "SYSC", "PRIV", "ALERTS");
	if (model_dir_each(dir, list_one, &l)) {
		fprintf(err, "vigil models: %s: %s (no models yet?)\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- one model ------------------------------------------------------- */

struct finding {
	const char *want;
	char path[4300];
	int matches;
	bool exact;
};

static void find_one(void *ctx, const char *path)
{
	struct finding *f = ctx;
	struct model_meta m;
	char err[600];
	struct profile *p = model_file_load(path, &m, MAX_ENTRIES_READ, err, sizeof(err));
	const char *colon;
	bool exact, prefix;

	if (!p)
		return;
	profile_free(p);
	colon = strchr(m.id, ':');
	exact = !strcmp(m.id, f->want) || !strcmp(m.name, f->want);
	prefix = colon && strlen(f->want) >= 4 && !strncmp(colon + 1, f->want, strlen(f->want));
	if (f->exact && !exact)
		return;
	if (exact && !f->exact) {	/* an exact match beats prefixes seen so far */
		f->exact = true;
		f->matches = 0;
	}
	if (exact || prefix) {
		f->matches++;
		snprintf(f->path, sizeof(f->path), "%s", path);
	}
}

static int find_model_file(const char *dir, const char *want, char *path, size_t cap, FILE *err)
{
	struct finding f = {.want = want};

	if (model_dir_each(dir, find_one, &f)) {
		fprintf(err, "vigil model: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (f.matches != 1) {
		fprintf(err, "vigil model: %s model matches '%s' (see vigil models)\n",
			f.matches ? "more than one" : "no", want);
		return -1;
	}
	snprintf(path, cap, "%s", f.path);
	return 0;
}

static bool agent_running(const char *dir)
{
	char path[4300];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/agent.pid", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && kill(pid, 0) == 0;
}

static void write_time(FILE *out, const char *key, uint64_t ns)
{
	char buf[48];

	format_rfc3339_ns(buf, sizeof(buf), ns);
	fprintf(out, "%s: %s\n", key, buf);
}

/* The model in path, or NULL after saying why on err. */
static struct profile *load_or_report(const char *path, struct model_meta *m, FILE *err)
{
	char e[600];
	struct profile *p = model_file_load(path, m, MAX_ENTRIES_READ, e, sizeof(e));

	if (!p)
		fprintf(err, "vigil model: %s\n", e);
	return p;
}

static int show(const char *path, FILE *out, FILE *err)
{
	struct model_meta m;
	struct profile *p = load_or_report(path, &m, err);

	if (!p)
		return 1;
	fputs("# vigil behaviour model: what this workload was seen doing\n", out);
	fputs("id: ", out);
	print_json_string(out, m.id);	/* a JSON string is a valid YAML scalar */
	fputs("\nname: ", out);
	print_json_string(out, m.name);
	fprintf(out, "\nmode: %s\n", model_mode_name(m.mode));
	if (m.group[0]) {
		fputs("group: ", out);
		print_json_string(out, m.group);
		fputc('\n', out);
	}
	write_time(out, "created", m.created_ns);
	write_time(out, "mode_since", m.mode_since_ns);
	write_time(out, "last_new_behaviour", m.last_new_ns);
	fprintf(out, "anomalies: %llu\nprofile:\n", (unsigned long long)m.anomalies);
	profile_write_yaml(p, out, "  ");
	profile_free(p);
	return 0;
}

/* relearn (mode learning: start over), monitor, protect. */
static int set_mode_now(const char *dir, const char *path, int mode, FILE *out, FILE *err)
{
	struct model_meta m;
	char e[600];
	struct profile *p = load_or_report(path, &m, err);
	int rc;

	if (!p)
		return 1;
	if (agent_running(dir)) {
		profile_free(p);
		if (modeler_request_mode(dir, m.id, mode, e, sizeof(e))) {
			fprintf(err, "vigil model: %s\n", e);
			return 1;
		}
		fprintf(out, "%s: %s requested from the running agent\n", m.id,
			mode == MODE_LEARNING ? "relearn" : model_mode_name(mode));
		return 0;
	}
	if (mode == MODE_LEARNING) {
		struct profile *fresh = profile_new(MAX_ENTRIES_READ);

		profile_free(p);
		if (!(p = fresh))
			return 1;
		m.created_ns = m.last_new_ns = now_ns();
	}
	m.mode = mode;
	m.mode_since_ns = now_ns();
	rc = model_file_save(dir, &m, p, e, sizeof(e));
	profile_free(p);
	if (rc) {
		fprintf(err, "vigil model: %s\n", e);
		return 1;
	}
	fprintf(out, "%s: %s\n", m.id, mode == MODE_LEARNING ? "learning again" :
		model_mode_name(mode));
	return 0;
}

static int export_model(const char *path, FILE *out, FILE *err)
{
	struct model_meta m;
	char *text;
	struct profile *p = load_or_report(path, &m, err);

	if (!p)
		return 1;
	text = model_to_json(&m, p);
	profile_free(p);
	if (!text)
		return 1;
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}

static int import_model(const char *dir, const char *file, FILE *out, FILE *err)
{
	struct model_meta m;
	char e[600];
	struct profile *p = model_file_load(file, &m, MAX_ENTRIES_READ, e, sizeof(e));
	int rc;

	if (!p) {
		fprintf(err, "vigil model import: %s\n", e);
		return 1;
	}
	if (agent_running(dir)) {
		char *text = model_to_json(&m, p);

		rc = text ? modeler_request_import(dir, text, strlen(text), e, sizeof(e)) : -1;
		free(text);
	} else {
		rc = model_file_save(dir, &m, p, e, sizeof(e));
	}
	profile_free(p);
	if (rc) {
		fprintf(err, "vigil model import: %s\n", e);
		return 1;
	}
	fprintf(out, "%s: imported (%s)\n", m.id, model_mode_name(m.mode));
	return 0;
}

/* The learned profile as a policy: allow what it did, block new executables. */
static int policy_of_model(const char *path, FILE *out, FILE *err)
{
	struct model_meta m;
	struct policy_subject subject = {0};
	struct profile *p = load_or_report(path, &m, err);
	char name[160], *yaml;
	size_t j = 0;

	if (!p)
		return 1;
	j = snprintf(name, sizeof(name), "from-model-");
	for (const char *c = m.name; *c && j < sizeof(name) - 1; c++)	/* a valid policy name */
		name[j++] = (isalnum((unsigned char)*c) || strchr("._-", *c)) ? *c : '-';
	name[j] = 0;
	if (!strncmp(m.id, "container:", 10)) {
		subject.kind = POLICY_WORKLOAD_CONTAINER;
		subject.container_name = m.name;
	} else {
		subject.kind = POLICY_WORKLOAD_HOST;
		if (!strncmp(m.id, "unit:", 5))
			subject.host_unit = m.name;
		else
			subject.host_exe = m.name;
	}
	yaml = policy_from_profile(p, name, &subject);
	profile_free(p);
	if (!yaml) {
		fprintf(err, "vigil policy from-model: cannot make a policy of %s\n", m.id);
		return 1;
	}
	fputs(yaml, out);
	free(yaml);
	return 0;
}

int model_command(const char *state_dir, const char *verb, const char *arg, FILE *out,
		  FILE *err)
{
	char dir[4200], path[4400];

	snprintf(dir, sizeof(dir), "%s/models", state_dir);
	if (!strcmp(verb, "import")) {
		/* importing into a state directory no agent has used yet is fine */
		if ((mkdir(state_dir, 0750) && errno != EEXIST) || (mkdir(dir, 0750) && errno != EEXIST)) {
			fprintf(err, "vigil model import: cannot create %s: %s\n", dir, strerror(errno));
			return 1;
		}
		return import_model(dir, arg, out, err);
	}
	if (find_model_file(dir, arg, path, sizeof(path), err))
		return 1;
	if (!strcmp(verb, "show"))
		return show(path, out, err);
	if (!strcmp(verb, "relearn"))
		return set_mode_now(dir, path, MODE_LEARNING, out, err);
	if (!strcmp(verb, "monitor"))
		return set_mode_now(dir, path, MODE_MONITORING, out, err);
	if (!strcmp(verb, "protect"))
		return set_mode_now(dir, path, MODE_PROTECTING, out, err);
	if (!strcmp(verb, "export"))
		return export_model(path, out, err);
	if (!strcmp(verb, "policy"))
		return policy_of_model(path, out, err);
	fprintf(err, "vigil model: unknown action '%s' (show, relearn, monitor, protect, export, import)\n", verb);
	return 2;
}

/* main.c - the `vigil` command and its subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "agent/workloads_cmd.h"
#include "sensor/doctor.h"
#include "sensor/event_names.h"
#include "util/config.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;
};

static const struct command *find_command(const char *name);

static const char common_options[] =
	"  --state-dir DIR   where vigil keeps what must survive a restart\n"
	"                    (default /var/lib/vigil)\n"
	"  -h, --help        this help\n";

/* Options shared by run and trace. */
struct agent_args {
	const char *config_path;
	const char *events;
	const char *state_dir;
	const char *output_file;
	bool quiet_stdout;
};

enum { OPT_STATE_DIR = 256, OPT_EVENTS, OPT_CONFIG, OPT_OUTPUT, OPT_SET, OPT_JSON };

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "vigil %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vigil %s --help'.\n", cmd);
	return 2;
}

static int print_help(const char *name)
{
	const struct command *c = find_command(name);

	printf("usage: vigil %s\n\n%s\n\noptions:\n%s%s", c->usage, c->summary,
	       strcmp(name, "doctor") && strcmp(name, "workloads") ? "" :
	       "  --json            JSON instead of a table\n",
	       common_options);
	if (!strcmp(name, "run") || !strcmp(name, "trace"))
		printf("  -c, --config FILE YAML configuration (every key has a default)\n"
		       "  -e, --events LIST events to report, e.g. exec,open,connect (default all)\n"
		       "  -o, --output FILE also append JSON lines to FILE\n"
		       "  --set KEY=VALUE   override one configuration key\n"
		       "\nevents: exec fork exit open unlink rename chmod chown mkdir link symlink\n"
		       "        mount memfd connect accept bind listen setuid capset ptrace module\n"
		       "        unshare setns bpf kill\n");
	return 0;
}

/* Parse run/trace options into cfg; returns 0, 1 (help shown) or 2. */
static int parse_agent_args(const char *cmd, int argc, char **argv,
			    struct vigil_config *cfg)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"events", required_argument, NULL, 'e'},
		{"output", required_argument, NULL, 'o'},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"set", required_argument, NULL, OPT_SET},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *sets[32];
	int nsets = 0, opt;
	struct agent_args a = {0};
	char err[512];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:e:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': a.config_path = optarg; break;
		case 'e': a.events = optarg; break;
		case 'o': a.output_file = optarg; break;
		case OPT_STATE_DIR: a.state_dir = optarg; break;
		case OPT_SET:
			if (nsets == 32)
				return usage_error(cmd, "too many --set options%s", "");
			sets[nsets++] = optarg;
			break;
		case 'h': print_help(cmd); return 1;
		default: return usage_error(cmd, "unknown option%s", "");
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (a.config_path && config_load_file(cfg, a.config_path, err, sizeof(err))) {
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
		return 2;
	}
	struct { const char *key, *value; } flags[] = {
		{"sensor.events", a.events},
		{"state_dir", a.state_dir},
		{"output.file", a.output_file},
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (flags[i].value && config_set(cfg, flags[i].key, flags[i].value, err, sizeof(err))) {
			fprintf(stderr, "vigil %s: %s\n", cmd, err);
			return 2;
		}
	}
	for (int i = 0; i < nsets; i++) {
		char key[128];
		const char *eq = strchr(sets[i], '=');

		if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof(key))
			return usage_error(cmd, "--set wants KEY=VALUE, got '%s'", sets[i]);
		memcpy(key, sets[i], eq - sets[i]);
		key[eq - sets[i]] = '\0';
		if (config_set(cfg, key, eq + 1, err, sizeof(err))) {
			fprintf(stderr, "vigil %s: --set %s: %s\n", cmd, sets[i], err);
			return 2;
		}
	}
	if (config_validate(cfg, err, sizeof(err))) {
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

static int ensure_state_dir(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -1;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0750) && errno != EEXIST)
		return -1;
	return 0;
}

static int run_agent(const char *cmd, int argc, char **argv)
{
	struct vigil_config cfg;
	int rc;

	config_defaults(&cfg);
	rc = parse_agent_args(cmd, argc, argv, &cfg);
	if (rc) {
		config_free(&cfg);
		return rc == 1 ? 0 : rc;
	}
	if (ensure_state_dir(cfg.state_dir)) {
		fprintf(stderr, "vigil %s: cannot create state_dir %s: %s\n", cmd,
			cfg.state_dir, strerror(errno));
		config_free(&cfg);
		return 1;
	}
	struct agent_options opts = {
		.cfg = &cfg,
		.output_mask = cfg.sensor.events,
		.proc_root = "/proc",
	};
	rc = agent_run(&opts);
	config_free(&cfg);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	return run_agent("run", argc, argv);
}

static int cmd_trace(int argc, char **argv)
{
	return run_agent("trace", argc, argv);
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bool json = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON: json = true; break;
		case OPT_STATE_DIR: break;
		case 'h': return print_help("doctor");
		default: return usage_error("doctor", "unknown option%s", "");
		}
	}
	if (optind < argc)
		return usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	return doctor_run(stdout, json);
}

/* vigil config defaults | check FILE */
static int cmd_config(int argc, char **argv)
{
	struct vigil_config cfg;
	char err[512];
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "defaults")) {
		config_write_documented(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "check")) {
		config_defaults(&cfg);
		rc = config_load_file(&cfg, argv[2], err, sizeof(err));
		config_free(&cfg);
		if (rc) {
			fprintf(stderr, "vigil config: %s\n", err);
			return 1;
		}
		printf("%s: ok\n", argv[2]);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return print_help("config");
	return usage_error("config", "want 'defaults' or 'check FILE'%s", "");
}

static int cmd_workloads(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *state_dir = "/var/lib/vigil";
	bool json = false;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON: json = true; break;
		case OPT_STATE_DIR: state_dir = optarg; break;
		case 'h': return print_help("workloads");
		default: return usage_error("workloads", "unknown option%s", "");
		}
	}
	if (optind < argc)
		return usage_error("workloads", "unexpected argument '%s'", argv[optind]);
	return workloads_list(state_dir, json, stdout, stderr);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vigil %s\n", VIGIL_VERSION);
	return 0;
}

static const struct command commands[] = {
	{"run", cmd_run, "Start the agent: the sensor with its enrichment and outputs.",
	 "run [--config FILE] [--events LIST] [--state-dir DIR]"},
	{"trace", cmd_trace, "Print enriched events as JSON lines until interrupted.",
	 "trace [--events LIST] [--config FILE]"},
	{"doctor", cmd_doctor, "Check this machine: kernel, BTF, each hook family;\n"
	 "say what vigil will use. Exits non-zero when vigil cannot run.",
	 "doctor [--json]"},
	{"config", cmd_config, "Print the documented default configuration, or\n"
	 "validate a configuration file without starting the agent.",
	 "config defaults | config check FILE"},
	{"workloads", cmd_workloads, "List the workloads a running (or the last) agent has seen,\n"
	 "with their event counts, from its state directory.",
	 "workloads [--json] [--state-dir DIR]"},
	{"version", cmd_version, "Print the version.", "version"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: vigil COMMAND [OPTIONS]\n\n"
		   "vigil watches what every workload on this machine does.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %.*s\n", commands[i].name,
			(int)strcspn(commands[i].summary, "\n"), commands[i].summary);
	fprintf(f, "\n'vigil COMMAND --help' tells more; --version prints the version.\n");
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && find_command(argv[2]))
			return print_help(argv[2]);
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(0, NULL);
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "vigil: unknown command '%s'\n", argv[1]);
		print_usage(stderr);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}

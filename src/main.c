/* main.c - the `vigil` command and its subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "agent/control_cmd.h"
#include "agent/downstream.h"
#include "agent/requests.h"
#include "enforce/policy.h"
#include "agent/models_cmd.h"
#include "agent/workloads_cmd.h"
#include "rules/ruleset.h"
#include "store/store_cmd.h"
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
	const char *rules;
	const char *policies;
	const char *learning_min, *learning_quiet;
};

enum { OPT_STATE_DIR = 256, OPT_EVENTS, OPT_CONFIG, OPT_OUTPUT, OPT_SET, OPT_JSON, OPT_RULES,
       OPT_VERBOSE, OPT_LEARNING_MIN, OPT_LEARNING_QUIET, OPT_POLICY, OPT_PIN_DIR };

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
	       strcmp(name, "doctor") && strcmp(name, "workloads") && strcmp(name, "models") ? "" :
	       "  --json            JSON instead of a table\n",
	       common_options);
	if (!strcmp(name, "run") || !strcmp(name, "trace") || !strcmp(name, "record") ||
	    !strcmp(name, "replay"))
		printf("  -c, --config FILE YAML configuration (every key has a default)\n"
		       "  -e, --events LIST events to report, e.g. exec,open,connect (default all)\n"
		       "  -o, --output FILE also append JSON lines to FILE\n"
		       "  --set KEY=VALUE   override one configuration key\n"
		       "  --rules FILE      threat rules to load (repeat for several; 'none' for\n"
		       "                    none; default: the built-in rules)\n"
		       "  --learning-min D  models learn at least this long (e.g. 30s, 24h)\n"
		       "  --learning-quiet D  ... and until nothing new appeared for D\n"
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
		{"rules", required_argument, NULL, OPT_RULES},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"learning-min", required_argument, NULL, OPT_LEARNING_MIN},
		{"learning-quiet", required_argument, NULL, OPT_LEARNING_QUIET},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *sets[32];
	char rules[4096] = "", policies[4096] = "";
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
		case OPT_RULES:
			if (strchr(optarg, ',') ||
			    strlen(rules) + strlen(optarg) + 2 > sizeof(rules))
				return usage_error(cmd, "--rules: bad or too many files ('%s')", optarg);
			if (rules[0])
				strcat(rules, ",");
			strcat(rules, optarg);
			break;
		case OPT_POLICY:
			if (strchr(optarg, ',') ||
			    strlen(policies) + strlen(optarg) + 2 > sizeof(policies))
				return usage_error(cmd, "--policy: bad or too many files ('%s')", optarg);
			if (policies[0])
				strcat(policies, ",");
			strcat(policies, optarg);
			break;
		case OPT_LEARNING_MIN: a.learning_min = optarg; break;
		case OPT_LEARNING_QUIET: a.learning_quiet = optarg; break;
		case 'h': print_help(cmd); return 1;
		default: return usage_error(cmd, "unknown option%s", "");
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (rules[0])
		a.rules = rules;
	if (policies[0])
		a.policies = policies;
	if (a.config_path && config_load_file(cfg, a.config_path, err, sizeof(err))) {
		fprintf(stderr, "vigil %s: %s\n", cmd, err);
		return 2;
	}
	struct { const char *key, *value; } flags[] = {
		{"sensor.events", a.events},
		{"state_dir", a.state_dir},
		{"output.file", a.output_file},
		{"rules.files", a.rules},
		{"enforce.policies", a.policies},
		{"model.learning_min", a.learning_min},
		{"model.learning_quiet", a.learning_quiet},
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

#define MAX_RULES_FILES 64

/* The rules rules.files names (the built-in ones when empty). */
static int load_rules_config(const char *cmd, const struct vigil_config *cfg,
			     struct loaded_rules *rules)
{
	const char *paths[MAX_RULES_FILES];
	char *list = strdup(cfg->rules.files), err[1024];
	size_t n;

	if (!list)
		return -1;
	n = rules_split_paths(list, paths, MAX_RULES_FILES);
	if (rules_load(rules, paths, n, err, sizeof(err))) {
		fprintf(stderr, "vigil %s: rules: %s\n", cmd, err);
		free(list);
		return -1;
	}
	free(list);
	rule_engine_set_matching(rules->engine, cfg->rules.matching ? RULE_MATCH_FIRST :
				 RULE_MATCH_ALL);
	rule_engine_set_min_priority(rules->engine, cfg->rules.min_priority);
	fprintf(stderr, "vigil: %zu rules active (%s)\n", rule_engine_active_count(rules->engine),
		n ? cfg->rules.files : DEFAULT_RULES_NAME);
	return 0;
}

static int run_agent(const char *cmd, int argc, char **argv)
{
	struct vigil_config cfg;
	const char *file = NULL;
	bool replay = !strcmp(cmd, "replay");
	int rc;

	/* record and replay take the recording first: vigil record FILE [options] */
	if (!strcmp(cmd, "record") || replay) {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
			return print_help(cmd);
		if (argc < 2 || argv[1][0] == '-')
			return usage_error(cmd, "the first argument is the recording FILE%s", "");
		file = argv[1];
		argv++;
		argc--;
	}
	config_defaults(&cfg);
	if (replay)	/* a replay shows alerts; --set output.events=true for events */
		cfg.output.events = false;
	rc = parse_agent_args(cmd, argc, argv, &cfg);
	if (rc) {
		config_free(&cfg);
		return rc == 1 ? 0 : rc;
	}
	if (!replay && ensure_state_dir(cfg.state_dir)) {
		fprintf(stderr, "vigil %s: cannot create state_dir %s: %s\n", cmd,
			cfg.state_dir, strerror(errno));
		config_free(&cfg);
		return 1;
	}
	/* events are rendered for stdout/file, or for the audit store to keep */
	bool store_events = (replay ? cfg.store.path[0] != 0 : strcmp(cmd, "trace") != 0) &&
			    cfg.store.enabled && cfg.store.events;
	struct agent_options opts = {
		.cfg = &cfg,
		.output_mask = cfg.output.events || store_events ? cfg.sensor.events : 0,
		.proc_root = "/proc",
	};
	struct loaded_rules rules;
	bool with_rules = strcmp(cmd, "trace") && strcmp(cfg.rules.files, "none");

	if (with_rules && load_rules_config(cmd, &cfg, &rules)) {
		config_free(&cfg);
		return 2;
	}
	opts.rules = with_rules ? rules.engine : NULL;
	opts.models = strcmp(cmd, "trace") != 0;	/* trace shows events, nothing more */
	opts.enforce = !strcmp(cmd, "run") || !strcmp(cmd, "record");
	if (!replay)
		opts.record_path = file;
	rc = replay ? agent_replay(&opts, file) : agent_run(&opts);
	if (with_rules)
		rules_unload(&rules);
	config_free(&cfg);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	return run_agent("run", argc, argv);
}

static int cmd_record(int argc, char **argv)
{
	return run_agent("record", argc, argv);
}

static int cmd_replay(int argc, char **argv)
{
	return run_agent("replay", argc, argv);
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
		if (!rc && downstream_check_config(&cfg, err, sizeof(err))) {
			fprintf(stderr, "vigil config: %s: %s\n", argv[2], err);
			config_free(&cfg);
			return 1;
		}
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

/* --json, --state-dir DIR and no arguments: the listing commands.
 * Returns -1 to go on, else the exit status (help shown, usage error). */
static int parse_listing_args(const char *cmd, int argc, char **argv, const char **state_dir,
			      bool *json)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;

	*state_dir = "/var/lib/vigil";
	*json = false;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON: *json = true; break;
		case OPT_STATE_DIR: *state_dir = optarg; break;
		case 'h': return print_help(cmd);
		default: return usage_error(cmd, "unknown option%s", "");
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int cmd_workloads(int argc, char **argv)
{
	const char *state_dir;
	bool json;
	int rc = parse_listing_args("workloads", argc, argv, &state_dir, &json);

	return rc >= 0 ? rc : workloads_list(state_dir, json, stdout, stderr);
}

/* vigil rules check [--verbose] [FILE...] */
static int cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct loaded_rules rules;
	bool verbose = false;
	char err[1024];
	int opt;

	if (argc < 2 || strcmp(argv[1], "check")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return print_help("rules");
		return usage_error("rules", "want 'check [FILE...]'%s", "");
	}
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': verbose = true; break;
		case 'h': return print_help("rules");
		default: return usage_error("rules", "unknown option%s", "");
		}
	}
	if (rules_load(&rules, (const char *const *)argv + 1 + optind,
		       (size_t)(argc - 1 - optind), err, sizeof(err))) {
		fprintf(stderr, "vigil rules: %s\n", err);
		return 1;
	}
	rules_report(&rules, stdout, verbose);
	rules_unload(&rules);
	return 0;
}

static int cmd_models(int argc, char **argv)
{
	const char *state_dir;
	bool json;
	int rc = parse_listing_args("models", argc, argv, &state_dir, &json);

	return rc >= 0 ? rc : models_list(state_dir, json, stdout, stderr);
}

/* Commands with a verb, an optional argument and --state-dir. */
static int parse_verb_args(const char *cmd, int argc, char **argv, const char **state_dir,
			   int *first, const char **pin_dir)
{
	static const struct option longopts[] = {
		{"state-dir", required_argument, NULL, OPT_STATE_DIR},
		{"pin-dir", required_argument, NULL, OPT_PIN_DIR},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;

	*state_dir = "/var/lib/vigil";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_STATE_DIR: *state_dir = optarg; break;
		case OPT_PIN_DIR:
			if (!pin_dir)
				return usage_error(cmd, "unknown option%s", " --pin-dir");
			*pin_dir = optarg;
			break;
		case 'h': return print_help(cmd);
		default: return usage_error(cmd, "unknown option%s", "");
		}
	}
	*first = optind;
	return -1;
}

/* vigil model show|relearn|export ID, vigil model import FILE */
static int cmd_model(int argc, char **argv)
{
	const char *state_dir;
	int first, rc = parse_verb_args("model", argc, argv, &state_dir, &first, NULL);

	if (rc >= 0)
		return rc;
	if (argc - first != 2)
		return usage_error("model", "want 'show|relearn|monitor|protect|export ID' or "
				   "'import FILE'%s", "");
	return model_command(state_dir, argv[first], argv[first + 1], stdout, stderr);
}

/* vigil policy check FILE... | vigil policy from-model ID */
static int cmd_policy(int argc, char **argv)
{
	const char *state_dir;
	int first, rc;

	if (argc >= 2 && !strcmp(argv[1], "check"))
		return policy_check_main(argc - 1, argv + 1);
	rc = parse_verb_args("policy", argc, argv, &state_dir, &first, NULL);
	if (rc >= 0)
		return rc;
	if (argc - first == 2 && !strcmp(argv[first], "from-model"))
		return model_command(state_dir, "policy", argv[first + 1], stdout, stderr);
	return usage_error("policy", "want 'check [--root DIR] FILE...' or 'from-model ID'%s", "");
}

static int cmd_reload(int argc, char **argv)
{
	const char *state_dir;
	int first, rc = parse_verb_args("reload", argc, argv, &state_dir, &first, NULL);

	if (rc >= 0)
		return rc;
	if (first != argc)
		return usage_error("reload", "unexpected argument '%s'", argv[first]);
	return control_reload(state_dir, stdout, stderr);
}

static int cmd_enforce(int argc, char **argv)
{
	const char *state_dir, *pin_dir = NULL;
	int first, rc = parse_verb_args("enforce", argc, argv, &state_dir, &first, &pin_dir);
	struct vigil_config cfg;

	if (rc >= 0)
		return rc;
	if (argc - first != 1 || strcmp(argv[first], "clear"))
		return usage_error("enforce", "want 'clear'%s", "");
	config_defaults(&cfg);
	rc = control_enforce_clear(state_dir, pin_dir ? pin_dir : cfg.enforce.pin_dir, stdout,
				   stderr);
	config_free(&cfg);
	return rc;
}

/* vigil respond ACTION TARGET: through the running agent */
static int cmd_respond(int argc, char **argv)
{
	const char *state_dir;
	int first, rc = parse_verb_args("respond", argc, argv, &state_dir, &first, NULL);

	if (rc >= 0)
		return rc;
	if (argc - first != 2)
		return usage_error("respond", "want ACTION TARGET (e.g. 'freeze web-1')%s", "");
	return respond_request(state_dir, argv[first], argv[first + 1], stdout, stderr);
}

/* The audit store's commands: --state-dir picks STATE_DIR/audit.db,
 * --db FILE (handled by the store) any file. */
static int store_command(int argc, char **argv,
			 int (*fn)(const char *db, int argc, char **argv))
{
	const char *state_dir = "/var/lib/vigil";
	char db[4200];
	int out = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state-dir") && i + 1 < argc) {
			state_dir = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--state-dir=", 12)) {
			state_dir = argv[i] + 12;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	snprintf(db, sizeof(db), "%s/audit.db", state_dir);
	return fn(db, out, argv);
}

static int cmd_events(int argc, char **argv)
{
	return store_command(argc, argv, store_cmd_events);
}

static int cmd_incidents(int argc, char **argv)
{
	return store_command(argc, argv, store_cmd_incidents);
}

/* vigil incident show N */
static int cmd_incident(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "show"))
		return usage_error("incident", "want 'show N'%s", "");
	return store_command(argc - 1, argv + 1, store_cmd_incident_show);
}

static int cmd_export(int argc, char **argv)
{
	return store_command(argc, argv, store_cmd_export);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vigil %s\n", VIGIL_VERSION);
	return 0;
}

static const struct command commands[] = {
	{"run", cmd_run, "Start the agent: sensor, enrichment, threat rules, outputs.\n"
	 "Events and alerts are written as JSON lines.",
	 "run [--config FILE] [--events LIST] [--rules FILE]... [--policy FILE]... [--state-dir DIR]"},
	{"trace", cmd_trace, "Print enriched events as JSON lines until interrupted.",
	 "trace [--events LIST] [--config FILE]"},
	{"record", cmd_record, "Run like 'run' and save the stream to FILE for replay.\n"
	 "The file also holds the processes, cgroups and container metadata a replay needs.",
	 "record FILE [run options]"},
	{"replay", cmd_replay, "Run the pipeline over a recording; print alerts and throughput.\n"
	 "Enrichment and rules run as fast as they go; the throughput goes to stderr.",
	 "replay FILE [--rules FILE]... [--set KEY=VALUE]"},
	{"doctor", cmd_doctor, "Check this machine: kernel, BTF, each hook family.\n"
	 "Says what vigil will use. Exits non-zero when vigil cannot run.",
	 "doctor [--json]"},
	{"config", cmd_config, "Print the documented defaults, or validate a configuration.\n"
	 "check FILE validates without starting the agent.",
	 "config defaults | config check FILE"},
	{"workloads", cmd_workloads, "List the workloads the agent has seen, with event counts.\n"
	 "Read from the state directory of a running (or the last) agent.",
	 "workloads [--json] [--state-dir DIR]"},
	{"rules", cmd_rules, "Validate threat rules files; report what vigil can run and why not.\n"
	 "Without FILE, checks the built-in rules. Counts lists, macros and rules,\n"
	 "lists unavailable rules with the reason. Exits 1 on an error, naming\n"
	 "file, line and column.",
	 "rules check [--verbose] [FILE...]"},
	{"models", cmd_models, "List the behaviour models with mode, age and sizes.\n"
	 "Read from STATE_DIR/models, with or without a running agent.",
	 "models [--json] [--state-dir DIR]"},
	{"model", cmd_model, "Show, relearn, set the mode of, export or import a model.\n"
	 "show prints the profile as YAML for review; ID is a model id, a name\n"
	 "or a prefix of the container id; a running agent applies relearn/import.",
	 "model show|relearn|monitor|protect|export ID | model import FILE [--state-dir DIR]"},
	{"policy", cmd_policy, "Validate policy files, or make one from a learned model.\n"
	 "check prints errors and warnings as file:line:col (exit 1 on errors);\n"
	 "--root DIR checks globs against the files under DIR. from-model prints\n"
	 "a policy (YAML) allowing what the model learned and blocking new executables.",
	 "policy check [--root DIR] FILE... | policy from-model ID [--state-dir DIR]"},
	{"reload", cmd_reload, "Make the running agent reload its policies (SIGHUP).\n"
	 "An invalid file is refused there and the policies in force stay.",
	 "reload [--state-dir DIR]"},
	{"enforce", cmd_enforce, "Remove the enforcement a fail-closed agent left in the kernel.\n"
	 "Refused while the agent runs.",
	 "enforce clear [--pin-dir DIR] [--state-dir DIR]"},
	{"respond", cmd_respond, "Act on a container or process now, through the running agent.\n"
	 "ACTION: kill, kill_tree (TARGET a pid), stop, freeze, thaw, isolate, release\n"
	 "(TARGET a container name or id prefix). The protected set still applies;\n"
	 "prints the action's record, exit 0 when done.",
	 "respond ACTION TARGET [--state-dir DIR]"},
	{"events", cmd_events, "Query the audit store's events (after the container is gone too).\n"
	 "Filters: --workload ID, --container NAME|ID, --pod NAME, --type exec,open,...,\n"
	 "--process PID|EXE-GLOB, --path GLOB, --since/--until (RFC 3339 or 10m, 2h, 7d),\n"
	 "--limit N; a table, or --json (one event object per line).",
	 "events [filters] [--json] [--state-dir DIR | --db FILE]"},
	{"incidents", cmd_incidents, "List incidents from the audit store (id, time, severity, count,\n"
	 "container, title); --json for one object per line.",
	 "incidents [--since ...] [--json] [--state-dir DIR | --db FILE]"},
	{"incident", cmd_incident, "Show one incident: its timeline (alerts, actions, events of the\n"
	 "process tree) and its process tree, with what was blocked or killed.",
	 "incident show N [--json] [--state-dir DIR | --db FILE]"},
	{"export", cmd_export, "Everything in the audit store as JSON lines, in time order.",
	 "export [--since ...] [--until ...] [--container ...] [--state-dir DIR | --db FILE]"},
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
		fprintf(f, "  %-10s %.*s\n", commands[i].name,
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

/* test_config.c - configuration defaults, types, errors and the shipped file.
 * Runs from the repository root (reads config/vigil.yaml). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "sensor/event_names.h"
#include "test.h"
#include "util/config.h"

#define BIT(t) (UINT64_C(1) << (t))
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

static char err[1024];

/* Load yaml over the defaults into *c; returns what config_load_string did. */
static int load(struct vigil_config *c, const char *yaml)
{
	config_defaults(c);
	err[0] = '\0';
	return config_load_string(c, yaml, strlen(yaml), "config.yaml", err, sizeof(err));
}

/* yaml must fail with exactly the message want. */
static void check_error(const char *yaml, const char *want, const char *file, int line)
{
	struct vigil_config c;

	if (load(&c, yaml) != -1) {
		fprintf(stderr, "  %s:%d: loading succeeded, want error \"%s\"\n", file, line, want);
		test_failed_now = 1;
	} else if (strcmp(err, want) != 0) {
		fprintf(stderr, "  %s:%d: error is \"%s\", want \"%s\"\n", file, line, err, want);
		test_failed_now = 1;
	}
	config_free(&c);
}
#define CHECK_ERROR(yaml, want) check_error(yaml, want, __FILE__, __LINE__)

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	if (!f)
		return NULL;
	buf = calloc(1, 1 << 16);
	if (buf)
		*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

TEST(defaults)
{
	struct vigil_config c;
	config_defaults(&c);
	CHECK_STR(c.state_dir, "/var/lib/vigil");
	CHECK_INT(c.log_level, VIGIL_LOG_INFO);
	CHECK(c.sensor.events == EVENT_MASK_ALL);
	CHECK(c.sensor.ring_buffer_size == 16u << 20);
	CHECK(c.sensor.wakeup_bytes == 256u << 10);
	CHECK(c.sensor.poll_interval_ns == 10 * MS);
	CHECK_INT(c.sensor.max_processes, 65536);
	CHECK(c.sensor.exclude_self);
	CHECK(c.output.to_stdout);
	CHECK_STR(c.output.file, "");
	CHECK_INT(config_validate(&c, err, sizeof(err)), 0);
	config_free(&c);
	CHECK(c.state_dir == NULL && c.output.file == NULL);
	config_free(&c);	/* twice is harmless */
}

TEST(empty_inputs_give_defaults)
{
	static const char *const empties[] = {
		"", "\n", "# only a comment\n", "---\n", "---\n...\n", "~\n", "{}\n",
		"sensor:\n", "sensor: ~\noutput:\n",
	};
	struct vigil_config want, c;
	config_defaults(&want);
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		CHECK_INT(load(&c, empties[i]), 0);
		CHECK(config_equal(&c, &want));
		config_free(&c);
	}
	config_defaults(&c);
	CHECK_INT(config_load_string(&c, NULL, 0, NULL, err, sizeof(err)), 0);
	CHECK(config_equal(&c, &want));
	config_free(&c);
	config_free(&want);
}

TEST(shipped_file_is_the_documented_defaults)
{
	struct vigil_config c, want;
	char *text = NULL;
	size_t len = 0, generated_len = 0;
	FILE *mem = open_memstream(&text, &generated_len);

	CHECK(mem != NULL);
	if (!mem)
		return;
	config_write_documented(mem);
	CHECK_INT(fclose(mem), 0);

	char *shipped = read_whole("config/vigil.yaml", &len);
	CHECK(shipped != NULL);
	if (shipped) {
		CHECK_INT(len, generated_len);
		CHECK_STR(shipped, text);	/* regenerate with config_write_documented */
	}

	config_defaults(&want);
	config_defaults(&c);
	CHECK_INT(config_load_file(&c, "config/vigil.yaml", err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(config_equal(&c, &want));
	config_free(&c);

	/* The generated text also loads to the defaults, over non-defaults. */
	config_defaults(&c);
	CHECK_INT(config_set(&c, "sensor.max_processes", "2048", err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "state_dir", "/tmp", err, sizeof(err)), 0);
	CHECK(!config_equal(&c, &want));
	CHECK_INT(config_load_string(&c, text, generated_len, NULL, err, sizeof(err)), 0);
	CHECK(config_equal(&c, &want));
	config_free(&c);
	config_free(&want);
	free(shipped);
	free(text);
}

TEST(every_type_from_nested_yaml)
{
	struct vigil_config c;
	int rc = load(&c,
		      "state_dir: /srv/vigil\n"
		      "log_level: debug\n"
		      "sensor:\n"
		      "  events: [exec, open, connect]\n"
		      "  ring_buffer_size: 64M\n"
		      "  wakeup_bytes: 4096\n"
		      "  poll_interval: 250ms\n"
		      "  max_processes: 1024\n"
		      "  exclude_self: no\n"
		      "output:\n"
		      "  stdout: false\n"
		      "  file: '/var/log/vigil/alerts.json'\n");
	CHECK_INT(rc, 0);
	CHECK_STR(err, "");
	CHECK_STR(c.state_dir, "/srv/vigil");
	CHECK_INT(c.log_level, VIGIL_LOG_DEBUG);
	CHECK(c.sensor.events == (BIT(EVENT_EXEC) | BIT(EVENT_OPEN) | BIT(EVENT_CONNECT)));
	CHECK(c.sensor.ring_buffer_size == 64u << 20);
	CHECK(c.sensor.wakeup_bytes == 4096);
	CHECK(c.sensor.poll_interval_ns == 250 * MS);
	CHECK_INT(c.sensor.max_processes, 1024);
	CHECK(!c.sensor.exclude_self);
	CHECK(!c.output.to_stdout);
	CHECK_STR(c.output.file, "/var/log/vigil/alerts.json");
	config_free(&c);
}

TEST(flow_mappings_and_dotted_keys)
{
	struct vigil_config c;
	CHECK_INT(load(&c, "{sensor: {events: exec, max_processes: 2000}, log_level: warn}"), 0);
	CHECK(c.sensor.events == BIT(EVENT_EXEC));
	CHECK_INT(c.sensor.max_processes, 2000);
	CHECK_INT(c.log_level, VIGIL_LOG_WARN);
	config_free(&c);

	CHECK_INT(load(&c, "sensor.events: 'fork, exit'\noutput.stdout: off\n"), 0);
	CHECK(c.sensor.events == (BIT(EVENT_FORK) | BIT(EVENT_EXIT)));
	CHECK(!c.output.to_stdout);
	config_free(&c);
}

TEST(event_lists)
{
	struct vigil_config c;
	CHECK_INT(load(&c, "sensor:\n  events: exec, kill\n"), 0);
	CHECK(c.sensor.events == (BIT(EVENT_EXEC) | BIT(EVENT_KILL)));
	config_free(&c);
	CHECK_INT(load(&c, "sensor:\n  events:\n    - bpf\n    - module\n"), 0);
	CHECK(c.sensor.events == (BIT(EVENT_BPF) | BIT(EVENT_MODULE)));
	config_free(&c);
	CHECK_INT(load(&c, "sensor:\n  events: [all]\n"), 0);
	CHECK(c.sensor.events == EVENT_MASK_ALL);
	config_free(&c);
	CHECK_INT(load(&c, "sensor:\n  events: [\"exec,fork\", open]\n"), 0);
	CHECK(c.sensor.events == (BIT(EVENT_EXEC) | BIT(EVENT_FORK) | BIT(EVENT_OPEN)));
	config_free(&c);
}

TEST(strings)
{
	struct vigil_config c;
	CHECK_INT(load(&c, "output:\n  file:\n"), 0);
	CHECK_STR(c.output.file, "");
	config_free(&c);
	CHECK_INT(load(&c, "output:\n  file: ~\nstate_dir: \"\"\n"), 0);
	CHECK_STR(c.output.file, "");
	CHECK_STR(c.state_dir, "");
	config_free(&c);
	/* Quoted "null" and numbers are strings as written. */
	CHECK_INT(load(&c, "output:\n  file: 'null'\nstate_dir: 123\n"), 0);
	CHECK_STR(c.output.file, "null");
	CHECK_STR(c.state_dir, "123");
	config_free(&c);
	CHECK_INT(load(&c, "state_dir: \"/tmp/caf\\u00e9 dir\"\n"), 0);
	CHECK_STR(c.state_dir, "/tmp/caf\xc3\xa9 dir");
	config_free(&c);
}

TEST(bools)
{
	static const struct { const char *text; bool value; } cases[] = {
		{ "true", true }, { "True", true }, { "yes", true }, { "on", true },
		{ "false", false }, { "FALSE", false }, { "no", false }, { "off", false },
	};
	char yaml[64];
	struct vigil_config c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(yaml, sizeof(yaml), "output:\n  stdout: %s\n", cases[i].text);
		CHECK_INT(load(&c, yaml), 0);
		CHECK(c.output.to_stdout == cases[i].value);
		config_free(&c);
	}
}

TEST(parse_size)
{
	uint64_t v = 0;
	CHECK_INT(config_parse_size("0", &v), 0);
	CHECK(v == 0);
	CHECK_INT(config_parse_size("4096", &v), 0);
	CHECK(v == 4096);
	CHECK_INT(config_parse_size("256K", &v), 0);
	CHECK(v == 256u << 10);
	CHECK_INT(config_parse_size("16M", &v), 0);
	CHECK(v == 16u << 20);
	CHECK_INT(config_parse_size("16m", &v), 0);
	CHECK(v == 16u << 20);
	CHECK_INT(config_parse_size("2G", &v), 0);
	CHECK(v == UINT64_C(2) << 30);
	CHECK_INT(config_parse_size("1T", &v), 0);
	CHECK(v == UINT64_C(1) << 40);
	CHECK_INT(config_parse_size("64KiB", &v), 0);
	CHECK(v == 64u << 10);
	CHECK_INT(config_parse_size("8MB", &v), 0);
	CHECK(v == 8u << 20);
	CHECK_INT(config_parse_size("100B", &v), 0);
	CHECK(v == 100);
	CHECK_INT(config_parse_size("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX);

	v = 7;
	static const char *const bad[] = {
		"", "M", "abc", "-1", "+1", " 1", "1 ", "1.5G", "16X", "16MM", "0x10",
		"18446744073709551616", "17179869184G", "10ms",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(config_parse_size(bad[i], &v), -1);
	CHECK(v == 7);
}

TEST(parse_duration)
{
	uint64_t v = 0;
	CHECK_INT(config_parse_duration("10ms", &v), 0);
	CHECK(v == 10 * MS);
	CHECK_INT(config_parse_duration("30s", &v), 0);
	CHECK(v == 30 * SEC);
	CHECK_INT(config_parse_duration("30", &v), 0);
	CHECK(v == 30 * SEC);
	CHECK_INT(config_parse_duration("5m", &v), 0);
	CHECK(v == 300 * SEC);
	CHECK_INT(config_parse_duration("24h", &v), 0);
	CHECK(v == 86400 * SEC);
	CHECK_INT(config_parse_duration("7d", &v), 0);
	CHECK(v == 7 * 86400 * SEC);
	CHECK_INT(config_parse_duration("500us", &v), 0);
	CHECK(v == 500000);
	CHECK_INT(config_parse_duration("100ns", &v), 0);
	CHECK(v == 100);
	CHECK_INT(config_parse_duration("0", &v), 0);
	CHECK(v == 0);

	v = 7;
	static const char *const bad[] = {
		"", "s", "ten", "-1s", "1.5s", "10 ms", "10MS", "5M", "1w", "10sec",
		"18446744073709551615s", "213504d", "18446744073709551616ns",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(config_parse_duration(bad[i], &v), -1);
	CHECK(v == 7);
	CHECK_INT(config_parse_duration("213503d", &v), 0);	/* fits in 64 bits */
}

TEST(type_errors_name_key_and_position)
{
	CHECK_ERROR("# vigil\n\nsensor:\n  ring_buffer_size: abc\n",
		    "config.yaml:4:3: sensor.ring_buffer_size: expected a size such as 16M, got \"abc\"");
	CHECK_ERROR("sensor:\n  poll_interval: soon\n",
		    "config.yaml:2:3: sensor.poll_interval: expected a duration such as 10ms, "
		    "30s or 5m, got \"soon\"");
	CHECK_ERROR("sensor:\n  exclude_self: maybe\n",
		    "config.yaml:2:3: sensor.exclude_self: expected true or false, got \"maybe\"");
	CHECK_ERROR("sensor:\n  max_processes: 12\n",
		    "config.yaml:2:3: sensor.max_processes: expected an integer from 1024 to "
		    "4194304, got \"12\"");
	CHECK_ERROR("sensor:\n  max_processes: 99999999999999999999\n",
		    "config.yaml:2:3: sensor.max_processes: expected an integer from 1024 to "
		    "4194304, got \"99999999999999999999\"");
	CHECK_ERROR("log_level: verbose\n",
		    "config.yaml:1:1: log_level: expected one of debug, info, warn, error, "
		    "got \"verbose\"");
	CHECK_ERROR("output:\n  stdout: [true]\n",
		    "config.yaml:2:3: output.stdout: expected true or false, got a sequence");
	CHECK_ERROR("state_dir: {a: b}\n",
		    "config.yaml:1:1: state_dir: expected a string, got a mapping");
	CHECK_ERROR("sensor: 5\n",
		    "config.yaml:1:1: sensor: expected a mapping of sensor.* keys, got a scalar");
	CHECK_ERROR("state_dir: \"a\\0b\"\n",
		    "config.yaml:1:1: state_dir: value contains a NUL byte");
	CHECK_ERROR("output:\n  stdout: \"tr\\nue\"\n",
		    "config.yaml:2:3: output.stdout: expected true or false, got \"tr?ue\"");
}

TEST(extra_rules)
{
	CHECK_ERROR("sensor:\n  ring_buffer_size: 5000\n",
		    "config.yaml:2:3: sensor.ring_buffer_size: must be a power of two of at least "
		    "4096 (such as 64K or 16M), got \"5000\"");
	CHECK_ERROR("sensor:\n  ring_buffer_size: 2K\n",
		    "config.yaml:2:3: sensor.ring_buffer_size: must be a power of two of at least "
		    "4096 (such as 64K or 16M), got \"2K\"");
	CHECK_ERROR("sensor:\n  poll_interval: 0ms\n",
		    "config.yaml:2:3: sensor.poll_interval: must be greater than 0, got \"0ms\"");
	CHECK_ERROR("sensor:\n  ring_buffer_size: 64K\n  wakeup_bytes: 64K\n",
		    "config.yaml:3:3: sensor.wakeup_bytes: must be smaller than "
		    "sensor.ring_buffer_size (65536), got 65536");
	/* Set only the ring buffer: no position to give for wakeup_bytes. */
	CHECK_ERROR("sensor:\n  ring_buffer_size: 64K\n",
		    "config.yaml: sensor.wakeup_bytes: must be smaller than "
		    "sensor.ring_buffer_size (65536), got 262144");

	struct vigil_config c;
	CHECK_INT(load(&c, "sensor:\n  ring_buffer_size: 4K\n  wakeup_bytes: 1K\n"), 0);
	CHECK(c.sensor.ring_buffer_size == 4096);
	config_free(&c);
}

TEST(event_list_errors)
{
	CHECK_ERROR("sensor:\n  events: [exec, opn]\n",
		    "config.yaml:2:18: sensor.events: unknown event 'opn' (known: exec, fork, "
		    "exit, open, unlink, rename, chmod, chown, mkdir, link, symlink, mount, "
		    "memfd, connect, accept, bind, listen, setuid, capset, ptrace, module, "
		    "unshare, setns, bpf, kill, container_start, container_stop, all)");
	CHECK_ERROR("sensor:\n  events: []\n",
		    "config.yaml:2:3: sensor.events: empty event list (use 'all' or names such "
		    "as exec, open)");
	CHECK_ERROR("sensor:\n  events:\n    - exec\n    - [open]\n",
		    "config.yaml:4:7: sensor.events: expected an event name, got a sequence");
	CHECK_ERROR("sensor:\n  events: {exec: 1}\n",
		    "config.yaml:2:3: sensor.events: expected a list of event names, got a mapping");

	struct vigil_config c;
	CHECK_INT(load(&c, "sensor:\n  events: exec,nope\n"), -1);
	CHECK(strstr(err, "config.yaml:2:3: sensor.events: unknown event 'nope'") == err);
	config_free(&c);
}

TEST(unknown_keys)
{
	CHECK_ERROR("sensor:\n  events: [exec]\n\noutput:\n  stdout: true\n  colour: red\n",
		    "config.yaml:6:3: unknown key 'output.colour'");
	CHECK_ERROR("log_level: info\nsensor:\n  max_processes: 2048\n  evnts: [exec]\n",
		    "config.yaml:4:3: unknown key 'sensor.evnts'");
	CHECK_ERROR("color: red\n", "config.yaml:1:1: unknown key 'color'");
	CHECK_ERROR("sensor.nope: 1\n", "config.yaml:1:1: unknown key 'sensor.nope'");
	CHECK_ERROR("state_dir:\n  sub: 1\n",
		    "config.yaml:1:1: state_dir: expected a string, got a mapping");
	CHECK_ERROR("[a]: 1\n", "config.yaml:1:1: keys must be plain names, got a sequence");
	CHECK_ERROR("\"a\\tb\": 1\n", "config.yaml:1:1: unknown key 'a?b'");
}

TEST(duplicate_keys)
{
	CHECK_ERROR("log_level: info\nstate_dir: /a\nlog_level: debug\n",
		    "config.yaml:3:1: duplicate key 'log_level' (first at line 1)");
	CHECK_ERROR("sensor:\n  events: exec\n  events: open\n",
		    "config.yaml:3:3: duplicate key 'sensor.events' (first at line 2)");
	CHECK_ERROR("sensor:\n  events: exec\nsensor.events: open\n",
		    "config.yaml:3:1: duplicate key 'sensor.events' (first at line 2)");
	CHECK_ERROR("sensor:\n  events: exec\noutput:\n  file: x\nsensor:\n  exclude_self: no\n",
		    "config.yaml:5:1: duplicate key 'sensor' (first at line 1)");
}

TEST(structure_errors)
{
	CHECK_ERROR("- exec\n- open\n",
		    "config.yaml:1:1: the top level must be a mapping of keys, got a sequence");
	CHECK_ERROR("hello\n",
		    "config.yaml:1:1: the top level must be a mapping of keys, got a scalar");
	CHECK_ERROR("log_level: info\n---\nlog_level: warn\n",
		    "config.yaml:2:1: only one YAML document is allowed");
	CHECK_ERROR("sensor: &s\n  events: exec\noutput: *s\n",
		    "config.yaml:3:1: output: expected a mapping of output.* keys, got an alias "
		    "(aliases are not supported)");
}

TEST(yaml_syntax_errors_have_lines)
{
	CHECK_ERROR("sensor:\n  events: [exec, open\n",
		    "config.yaml:3:1: invalid YAML: while parsing a flow sequence started at "
		    "line 2: did not find expected ',' or ']'");
	CHECK_ERROR("log_level: info: x\n",
		    "config.yaml:1:16: invalid YAML: mapping values are not allowed in this context");
	CHECK_ERROR("log_level: 'info\n",
		    "config.yaml:2:1: invalid YAML: while scanning a quoted scalar started at line 1: "
		    "found unexpected end of stream");
	CHECK_ERROR("log_level: info\nstate_dir: \xff\n",
		    "config.yaml:2:12: invalid YAML: invalid leading UTF-8 octet");
	CHECK_ERROR("state_dir: a\tb\n\tx: 1\n",
		    "config.yaml:2:1: invalid YAML: while scanning a plain scalar started at "
		    "line 1: found a tab character that violates indentation");
}

TEST(failed_load_leaves_config_unchanged)
{
	struct vigil_config c, before;
	config_defaults(&c);
	config_defaults(&before);
	CHECK_INT(config_set(&c, "state_dir", "/keep", err, sizeof(err)), 0);
	CHECK_INT(config_set(&before, "state_dir", "/keep", err, sizeof(err)), 0);
	const char *yaml = "state_dir: /changed\nsensor:\n  events: exec\n  max_processes: 1\n";
	CHECK_INT(config_load_string(&c, yaml, strlen(yaml), "x.yaml", err, sizeof(err)), -1);
	CHECK(strstr(err, "x.yaml:4:3: sensor.max_processes:") == err);
	CHECK(config_equal(&c, &before));
	CHECK_STR(c.state_dir, "/keep");
	config_free(&c);
	config_free(&before);
}

TEST(load_file)
{
	char path[] = "/tmp/vigil-test-config-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	const char *yaml = "log_level: error\noutput:\n  file: /tmp/out.json\n";
	CHECK_INT(write(fd, yaml, strlen(yaml)), (long long)strlen(yaml));
	CHECK_INT(close(fd), 0);

	struct vigil_config c;
	config_defaults(&c);
	CHECK_INT(config_load_file(&c, path, err, sizeof(err)), 0);
	CHECK_INT(c.log_level, VIGIL_LOG_ERROR);
	CHECK_STR(c.output.file, "/tmp/out.json");
	CHECK_INT(unlink(path), 0);

	CHECK_INT(config_load_file(&c, path, err, sizeof(err)), -1);
	char want[256];
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	CHECK_STR(err, want);
	CHECK_INT(c.log_level, VIGIL_LOG_ERROR);

	CHECK_INT(config_load_file(&c, "/tmp", err, sizeof(err)), -1);
	CHECK(strstr(err, "/tmp: ") == err);
	config_free(&c);
}

TEST(set_from_command_line)
{
	struct vigil_config c;
	config_defaults(&c);
	CHECK_INT(config_set(&c, "sensor.events", "exec, connect", err, sizeof(err)), 0);
	CHECK(c.sensor.events == (BIT(EVENT_EXEC) | BIT(EVENT_CONNECT)));
	CHECK_INT(config_set(&c, "sensor.ring_buffer_size", "1M", err, sizeof(err)), 0);
	CHECK(c.sensor.ring_buffer_size == 1u << 20);
	CHECK_INT(config_set(&c, "output.file", "", err, sizeof(err)), 0);
	CHECK_STR(c.output.file, "");
	CHECK_INT(config_set(&c, "log_level", "warn", err, sizeof(err)), 0);
	CHECK_INT(c.log_level, VIGIL_LOG_WARN);

	CHECK_INT(config_set(&c, "sensor.evnts", "exec", err, sizeof(err)), -1);
	CHECK_STR(err, "unknown key 'sensor.evnts'");
	CHECK_INT(config_set(&c, "sensor", "exec", err, sizeof(err)), -1);
	CHECK_STR(err, "unknown key 'sensor'");
	CHECK_INT(config_set(&c, "sensor.max_processes", "lots", err, sizeof(err)), -1);
	CHECK_STR(err, "sensor.max_processes: expected an integer from 1024 to 4194304, got \"lots\"");
	CHECK_INT(c.sensor.max_processes, 65536);

	/* Overrides are checked together afterwards. */
	CHECK_INT(config_set(&c, "sensor.wakeup_bytes", "2M", err, sizeof(err)), 0);
	CHECK_INT(config_validate(&c, err, sizeof(err)), -1);
	CHECK_STR(err, "sensor.wakeup_bytes: must be smaller than sensor.ring_buffer_size "
		       "(1048576), got 2097152");
	config_free(&c);
}

TEST(small_error_buffer)
{
	struct vigil_config c;
	char small[16];
	config_defaults(&c);
	const char *yaml = "nope: 1\n";
	CHECK_INT(config_load_string(&c, yaml, strlen(yaml), "config.yaml", small, sizeof(small)), -1);
	CHECK_STR(small, "config.yaml:1:1");
	config_free(&c);
}

int main(void)
{
	RUN(defaults);
	RUN(empty_inputs_give_defaults);
	RUN(shipped_file_is_the_documented_defaults);
	RUN(every_type_from_nested_yaml);
	RUN(flow_mappings_and_dotted_keys);
	RUN(event_lists);
	RUN(strings);
	RUN(bools);
	RUN(parse_size);
	RUN(parse_duration);
	RUN(type_errors_name_key_and_position);
	RUN(extra_rules);
	RUN(event_list_errors);
	RUN(unknown_keys);
	RUN(duplicate_keys);
	RUN(structure_errors);
	RUN(yaml_syntax_errors_have_lines);
	RUN(failed_load_leaves_config_unchanged);
	RUN(load_file);
	RUN(set_from_command_line);
	RUN(small_error_buffer);
	return TEST_SUMMARY();
}

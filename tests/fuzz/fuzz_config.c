/* fuzz_config.c - config_load_string on arbitrary bytes.
 *
 * Whatever the input: no crash or leak, an error message on failure, and
 * on success a configuration that obeys the documented rules.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *         tests/fuzz/fuzz_config.c src/util/config.c src/sensor/event_names.c \
 *         -lyaml -o fuzz_config
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/event_names.h"
#include "util/config.h"

static void check_loaded(const struct vigil_config *c)
{
	uint64_t rb = c->sensor.ring_buffer_size;
	char err[256];

	if (rb < 4096 || (rb & (rb - 1)) != 0)
		abort();
	if (c->sensor.events == 0 || (c->sensor.events & ~EVENT_MASK_ALL) != 0)
		abort();
	if (c->sensor.max_processes < 1024 || c->sensor.poll_interval_ns == 0)
		abort();
	if (c->log_level < VIGIL_LOG_DEBUG || c->log_level > VIGIL_LOG_ERROR)
		abort();
	if (!c->state_dir || !c->output.file)
		abort();
	if (config_validate(c, err, sizeof(err)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_config c;
	char err[512];

	config_defaults(&c);
	err[0] = '\0';
	if (config_load_string(&c, (const char *)data, size, "fuzz.yaml", err, sizeof(err)) == 0)
		check_loaded(&c);
	else if (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))
		abort();
	config_free(&c);

	/* The scalar parsers and config_set on the same bytes as text. */
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	uint64_t v;
	(void)config_parse_size(text, &v);
	(void)config_parse_duration(text, &v);
	(void)event_mask_parse(text, &v, err, sizeof(err));
	config_defaults(&c);
	char *eq = strchr(text, '=');
	if (eq) {
		*eq = '\0';
		(void)config_set(&c, text, eq + 1, err, sizeof(err));
	}
	config_free(&c);
	free(text);
	return 0;
}

/* fuzz_decode.c - arbitrary bytes as a ring-buffer record: the decoder
 * must refuse or accept without reading out of bounds, and whatever it
 * accepts must render as JSON. */
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "output/event_json.h"
#include "sensor/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event ev;
	static int initialised;
	struct json_writer w;
	struct event_context ctx = {.host = "fuzz"};
	char err[128];
	uint8_t *copy;

	if (!initialised) {
		event_init(&ev);
		initialised = 1;
	}
	/* an exact-size heap copy so ASan sees any over-read */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (event_decode(&ev, copy, size, 0, err, sizeof(err)) == 0) {
		json_init(&w);
		event_json_write(&w, &ev, &ctx);
		json_free(&w);
	}
	free(copy);
	return 0;
}

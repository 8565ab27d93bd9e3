/* fuzz_model.c - a model file (and the profile inside it) from arbitrary
 * bytes: refused with a message, or parsed; a parsed model must serialise
 * back to text that parses to the same text, and answer lookups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model_meta meta, again_meta;
	char err[512];
	struct profile *p = model_parse((const char *)data, size, &meta, 256, err, sizeof(err));
	struct profile *again;
	char *text, *text2;

	if (!p) {
		if (!err[0])
			abort();	/* a refusal must say why */
		return 0;
	}
	profile_covers(p, PROF_READ, "/etc/passwd", 11, NULL);
	profile_covers(p, PROF_NET_OUT, "tcp 10.0.0.1:443", 16, NULL);
	profile_learn(p, PROF_WRITE, "/data/x/y", 9, 1);
	text = model_to_json(&meta, p);
	if (!text)
		abort();
	again = model_parse(text, strlen(text), &again_meta, 256, err, sizeof(err));
	if (!again)
		abort();	/* what we write we must read */
	text2 = model_to_json(&again_meta, again);
	if (!text2 || strcmp(text, text2))
		abort();
	free(text);
	free(text2);
	profile_free(again);
	profile_free(p);
	return 0;
}

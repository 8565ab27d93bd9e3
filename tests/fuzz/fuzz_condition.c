/* fuzz_condition.c - the rule condition parser on arbitrary bytes.
 * Whatever parses must render, and the rendering must parse again to the
 * same rendering (the canonical form is a fixed point).  A failed parse must
 * leave a message and a position inside the input.  No crash, no leak.
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Isrc tests/fuzz/fuzz_condition.c src/rules/condition.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/condition.h"

static void check_error(const struct cond_error *err, size_t size)
{
	if (err->line < 1 || err->col < 1 || err->message[0] == '\0')
		abort();
	if ((size_t)err->line > size + 1 || (size_t)err->col > size + 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cond_error err;
	struct cond_node *n = cond_parse((const char *)data, size, &err);
	if (!n) {
		check_error(&err, size);
		return 0;
	}
	char *once = cond_to_string(n);
	cond_free(n);
	if (!once)
		return 0; /* out of memory */
	struct cond_node *again = cond_parse(once, strlen(once), &err);
	if (!again)
		abort(); /* the rendering of a valid tree must parse */
	char *twice = cond_to_string(again);
	cond_free(again);
	if (twice && strcmp(once, twice) != 0)
		abort();
	free(twice);
	free(once);
	return 0;
}

/* fuzz_api_response.c - the HTTP/1.1 response parser and the container and
 * pod JSON readers on arbitrary bytes.  The first byte picks the parser, so
 * one corpus covers both.  No crash, no leak; on success every string set
 * and bounded.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *         tests/fuzz/fuzz_api_response.c src/workload/container_meta.c -lcjson
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workload/container_meta.h"

static void check_meta(const struct container_meta *m)
{
	const char *strings[] = {m->name, m->image, m->image_digest, m->runtime, m->oci_runtime,
				 m->pod_name, m->pod_namespace, m->pod_uid, m->k8s_container_name};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!strings[i] || strlen(strings[i]) >= META_MAX_STRING)
			abort();
	if (m->nlabels > META_MAX_LABELS || m->npod_labels > META_MAX_LABELS || !m->source ||
	    strlen(m->id) > 64)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_meta m;
	int rc;

	if (size < 1)
		return 0;
	container_meta_init(&m);
	if (data[0] & 1)
		rc = meta_from_api_pod_response((const char *)data + 1, size - 1, &m);
	else
		rc = meta_from_api_response((const char *)data + 1, size - 1, &m);
	if (rc == 0)
		check_meta(&m);
	container_meta_free(&m);
	return 0;
}

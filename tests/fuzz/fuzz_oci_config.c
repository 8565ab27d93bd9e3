/* fuzz_oci_config.c - meta_from_oci_config and meta_from_runc_state on
 * arbitrary bytes: no crash, no leak, and on success every string set,
 * bounded, and the label counts within their arrays.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *         tests/fuzz/fuzz_oci_config.c src/workload/container_meta.c -lcjson
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
	if (m->nlabels > META_MAX_LABELS || m->npod_labels > META_MAX_LABELS || !m->source)
		abort();
	for (size_t i = 0; i < m->nlabels; i++)
		if (strlen(m->labels[i].key) >= META_MAX_STRING ||
		    strlen(m->labels[i].value) >= META_MAX_STRING)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_meta m;
	char bundle[256];

	container_meta_init(&m);
	if (meta_from_oci_config((const char *)data, size, &m) == 0)
		check_meta(&m);
	container_meta_free(&m);

	container_meta_init(&m);
	if (meta_from_runc_state((const char *)data, size, &m, bundle, sizeof(bundle)) == 0 &&
	    bundle[0] && (bundle[0] != '/' || strlen(bundle) >= sizeof(bundle)))
		abort();
	container_meta_free(&m);
	return 0;
}

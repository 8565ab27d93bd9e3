/* fuzz_record.c - a recording read from arbitrary bytes: the frame reader
 * and the PROCESS, CONTAINER and SENSOR payload decoders must refuse what
 * does not fit, never read outside the input, never leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_codec.h"
#include "record/record_file.h"
#include "sensor/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_reader *r;
	struct proc_table *procs = proc_table_new(1);
	struct event ev;
	char err[256];
	uint32_t kind;
	const void *frame;
	size_t len;
	void *copy = malloc(size ? size : 1);	/* frames must stay inside this */

	if (!copy || !procs)
		abort();
	memcpy(copy, data, size);
	proc_table_set_root(procs, "/nonexistent");
	event_init(&ev);
	r = record_reader_from_memory(copy, size, err, sizeof(err));
	while (r && record_next(r, &kind, &frame, &len, err, sizeof(err)) == 1) {
		struct proc_entry p;
		struct container_meta m;

		if (kind == FRAME_PROCESS && record_read_process(frame, len, &p) == 0)
			proc_table_restore(procs, &p);
		if (kind == FRAME_CONTAINER) {
			record_read_container(frame, len, &m);
			container_meta_free(&m);
		}
		if (kind == FRAME_SENSOR)
			event_decode(&ev, frame, len, 0, err, sizeof(err));
	}
	proc_table_relink(procs);
	record_reader_close(r);
	event_release(&ev);
	proc_table_free(procs);
	free(copy);
	return 0;
}

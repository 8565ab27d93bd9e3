/* record_codec.h - the payloads of PROCESS and CONTAINER frames. */
#ifndef VIGIL_RECORD_CODEC_H
#define VIGIL_RECORD_CODEC_H

#include <stddef.h>

#include "proc/proc_table.h"
#include "record/record_file.h"
#include "workload/container_meta.h"

int record_write_process(struct record_writer *w, const struct proc_entry *p);
/* Fill *out from a frame; strings point into the frame (not owned).
 * 0, or -1 when the frame is malformed. */
int record_read_process(const void *data, size_t len, struct proc_entry *out);

/* The container metadata (with its id) as a JSON frame. */
int record_write_container(struct record_writer *w, const struct container_meta *m);
/* Parse a frame into *out (initialised here; free with container_meta_free). */
int record_read_container(const void *data, size_t len, struct container_meta *out);

#endif

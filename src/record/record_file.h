/* record_file.h - vigil's recording format: the enriched event stream of
 * `vigil record`, replayed by `vigil replay` through the same pipeline.
 *
 * A file is a header then frames.  Header: "VIGILREC", u32 version, u32
 * reserved.  Frame: u32 kind, u32 length, the payload, zero padding to 8
 * bytes.  Integers are little-endian (the machine's; recordings move
 * between x86_64 hosts).  A reader checks every length against the file
 * and refuses what does not fit: a recording is input like any other.
 */
#ifndef VIGIL_RECORD_FILE_H
#define VIGIL_RECORD_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RECORD_MAGIC "VIGILREC"
#define RECORD_VERSION 1
#define RECORD_FRAME_MAX (1u << 24)	/* no frame is larger */

enum record_frame_kind {
	FRAME_START = 1,	/* struct record_start, then the host name */
	FRAME_CLOCK = 2,	/* int64: wall clock minus boot clock, ns */
	FRAME_SENSOR = 3,	/* one ring-buffer record, as the kernel wrote it */
	FRAME_PROCESS = 4,	/* a process known at start (see record_codec.h) */
	FRAME_CGROUP = 5,	/* u64 id, then the cgroup path */
	FRAME_CONTAINER = 6,	/* container metadata as JSON */
};

struct record_start {
	uint64_t exec_id_salt;	/* so replayed exec ids match the recorded ones */
	uint64_t started_unix_ns;
	uint32_t host_mntns;
	uint32_t reserved;
};

struct record_writer;

struct record_writer *record_writer_open(const char *path, char *err, size_t errlen);
/* 0, or -1 (the error sticks: later writes fail too). */
int record_write(struct record_writer *w, uint32_t kind, const void *data, size_t len);
/* Two parts as one frame (a fixed struct and its strings). */
int record_write2(struct record_writer *w, uint32_t kind, const void *a, size_t alen,
		  const void *b, size_t blen);
uint64_t record_writer_frames(const struct record_writer *w);
/* Flush and close; 0, or -1 when anything failed since opening. */
int record_writer_close(struct record_writer *w);

struct record_reader;

struct record_reader *record_reader_open(const char *path, char *err, size_t errlen);
/* From memory (len bytes, not copied: keep data alive). */
struct record_reader *record_reader_from_memory(const void *data, size_t len,
						char *err, size_t errlen);
/* 1 with the next frame, 0 at the end, -1 with err on a damaged file. */
int record_next(struct record_reader *r, uint32_t *kind, const void **data, size_t *len,
		char *err, size_t errlen);
void record_reader_close(struct record_reader *r);

#endif

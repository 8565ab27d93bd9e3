/* record_file.c - writing and reading recording frames. */
#include "record_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_SIZE 16

struct record_writer {
	FILE *f;
	bool failed;
	uint64_t frames;
};

struct record_reader {
	const uint8_t *data;
	size_t len, pos;
	size_t mapped;		/* bytes to munmap, 0 when from memory */
};

struct record_writer *record_writer_open(const char *path, char *err, size_t errlen)
{
	struct record_writer *w = calloc(1, sizeof(*w));
	uint32_t version = RECORD_VERSION, reserved = 0;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->f = fopen(path, "wb");
	if (!w->f) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		free(w);
		return NULL;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	if (fwrite(RECORD_MAGIC, 1, 8, w->f) != 8 || fwrite(&version, 4, 1, w->f) != 1 ||
	    fwrite(&reserved, 4, 1, w->f) != 1)
		w->failed = true;
	return w;
}

int record_write2(struct record_writer *w, uint32_t kind, const void *a, size_t alen,
		  const void *b, size_t blen)
{
	static const uint8_t zeros[8];
	size_t len = alen + blen;
	uint32_t hdr[2] = {kind, (uint32_t)len};
	size_t pad = (8 - len % 8) % 8;

	if (w->failed || len > RECORD_FRAME_MAX)
		return -1;
	if (fwrite(hdr, sizeof(hdr), 1, w->f) != 1 ||
	    (alen && fwrite(a, 1, alen, w->f) != alen) ||
	    (blen && fwrite(b, 1, blen, w->f) != blen) ||
	    (pad && fwrite(zeros, 1, pad, w->f) != pad)) {
		w->failed = true;
		return -1;
	}
	w->frames++;
	return 0;
}

int record_write(struct record_writer *w, uint32_t kind, const void *data, size_t len)
{
	return record_write2(w, kind, data, len, NULL, 0);
}

uint64_t record_writer_frames(const struct record_writer *w)
{
	return w->frames;
}

int record_writer_close(struct record_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = w->failed ? -1 : 0;
	if (fclose(w->f))
		rc = -1;
	free(w);
	return rc;
}

static struct record_reader *reader_check(struct record_reader *r, char *err, size_t errlen)
{
	uint32_t version;

	if (r->len < HEADER_SIZE || memcmp(r->data, RECORD_MAGIC, 8)) {
		snprintf(err, errlen, "not a vigil recording (no VIGILREC header)");
		record_reader_close(r);
		return NULL;
	}
	memcpy(&version, r->data + 8, 4);
	if (version != RECORD_VERSION) {
		snprintf(err, errlen, "recording version %u, this vigil reads %u", version,
			 RECORD_VERSION);
		record_reader_close(r);
		return NULL;
	}
	r->pos = HEADER_SIZE;
	return r;
}

struct record_reader *record_reader_from_memory(const void *data, size_t len,
						char *err, size_t errlen)
{
	struct record_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->data = data;
	r->len = len;
	return reader_check(r, err, errlen);
}

struct record_reader *record_reader_open(const char *path, char *err, size_t errlen)
{
	struct record_reader *r;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < HEADER_SIZE) {
		snprintf(err, errlen, "%s: not a vigil recording (too short or not a file)", path);
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return NULL;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	r = calloc(1, sizeof(*r));
	if (!r) {
		munmap(map, (size_t)st.st_size);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->data = map;
	r->len = r->mapped = (size_t)st.st_size;
	return reader_check(r, err, errlen);
}

int record_next(struct record_reader *r, uint32_t *kind, const void **data, size_t *len,
		char *err, size_t errlen)
{
	uint32_t hdr[2];
	size_t padded;

	if (r->pos == r->len)
		return 0;
	if (r->len - r->pos < sizeof(hdr)) {
		snprintf(err, errlen, "damaged recording: %zu stray bytes at offset %zu",
			 r->len - r->pos, r->pos);
		return -1;
	}
	memcpy(hdr, r->data + r->pos, sizeof(hdr));
	padded = (size_t)hdr[1] + (8 - hdr[1] % 8) % 8;
	if (hdr[1] > RECORD_FRAME_MAX || padded > r->len - r->pos - sizeof(hdr)) {
		snprintf(err, errlen, "damaged recording: frame at offset %zu claims %u bytes "
			 "(%zu left)", r->pos, hdr[1], r->len - r->pos - sizeof(hdr));
		return -1;
	}
	*kind = hdr[0];
	*data = r->data + r->pos + sizeof(hdr);
	*len = hdr[1];
	r->pos += sizeof(hdr) + padded;
	return 1;
}

void record_reader_close(struct record_reader *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->data, r->mapped);
	free(r);
}

/* sensor.c - load the BPF object, attach it, drain its ring buffer. */
#include "sensor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vigil.skel.h"
#include "syscall_table.h"

struct sensor {
	struct vigil_bpf *skel;
	struct ring_buffer *ring;
	sensor_record_fn on_record;
	void *ctx;
	uint64_t ring_size;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int ring_callback(void *ctx, void *data, size_t size)
{
	struct sensor *s = ctx;

	return s->on_record(s->ctx, data, size);
}

/* Tail-call targets: one program per syscall family. */
static struct bpf_program *family_program(struct vigil_bpf *skel, int family)
{
	switch (family) {
	case FAMILY_EXEC: return skel->progs.vigil_exit_exec;
	case FAMILY_OPEN: return skel->progs.vigil_exit_open;
	case FAMILY_FILE: return skel->progs.vigil_exit_file;
	case FAMILY_FILE2: return skel->progs.vigil_exit_file2;
	case FAMILY_MOUNT: return skel->progs.vigil_exit_mount;
	case FAMILY_SOCKADDR: return skel->progs.vigil_exit_sockaddr;
	case FAMILY_SOCKFD: return skel->progs.vigil_exit_sockfd;
	case FAMILY_CRED: return skel->progs.vigil_exit_cred;
	case FAMILY_MISC: return skel->progs.vigil_exit_misc;
	default: return NULL;
	}
}

static int fill_family_programs(struct vigil_bpf *skel, char *err, size_t errlen)
{
	int map_fd = bpf_map__fd(skel->maps.exit_progs);

	for (__u32 family = 1; family < FAMILY_MAX; family++) {
		struct bpf_program *prog = family_program(skel, family);
		int prog_fd = prog ? bpf_program__fd(prog) : -1;

		if (prog_fd < 0 || bpf_map_update_elem(map_fd, &family, &prog_fd, BPF_ANY)) {
			set_err(err, errlen, "cannot install exit program %u: %s",
				family, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void no_autoattach_for_tail_calls(struct vigil_bpf *skel)
{
	for (int family = 1; family < FAMILY_MAX; family++) {
		struct bpf_program *prog = family_program(skel, family);

		if (prog)
			bpf_program__set_autoattach(prog, false);
	}
}

static int load(struct sensor *s, const struct sensor_options *opts,
		char *err, size_t errlen)
{
	int rc;

	s->skel = vigil_bpf__open();
	if (!s->skel) {
		set_err(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	s->skel->rodata->self_tgid = opts->exclude_self ? (__u32)getpid() : 0;
	s->skel->rodata->wakeup_bytes = opts->wakeup_bytes;
	s->skel->rodata->open_dedup_window_ns = opts->open_dedup_window_ns;
	rc = bpf_map__set_max_entries(s->skel->maps.events, opts->ring_buffer_size);
	if (rc) {
		set_err(err, errlen, "ring buffer size %llu refused: %s",
			(unsigned long long)opts->ring_buffer_size, strerror(-rc));
		return -1;
	}
	s->ring_size = opts->ring_buffer_size;
	no_autoattach_for_tail_calls(s->skel);
	rc = vigil_bpf__load(s->skel);
	if (rc) {
		set_err(err, errlen,
			"cannot load the BPF programs: %s (run `vigil doctor`)",
			strerror(-rc));
		return -1;
	}
	return fill_family_programs(s->skel, err, errlen);
}

struct sensor *sensor_open(const struct sensor_options *opts,
			   sensor_record_fn on_record, void *ctx,
			   char *err, size_t errlen)
{
	struct sensor *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->on_record = on_record;
	s->ctx = ctx;
	if (load(s, opts, err, errlen))
		goto fail;
	sensor_set_events(s, opts->event_mask);
	rc = vigil_bpf__attach(s->skel);
	if (rc) {
		set_err(err, errlen, "cannot attach the BPF programs: %s", strerror(-rc));
		goto fail;
	}
	s->ring = ring_buffer__new(bpf_map__fd(s->skel->maps.events),
				   ring_callback, s, NULL);
	if (!s->ring) {
		set_err(err, errlen, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	sensor_close(s);
	return NULL;
}

void sensor_set_events(struct sensor *s, uint64_t event_mask)
{
	uint8_t families[SYSCALL_SLOTS];

	syscall_table_families(event_mask, families, SYSCALL_SLOTS);
	/* .bss is mmap'ed: the kernel sees these writes directly */
	memcpy(s->skel->bss->syscall_family, families, SYSCALL_SLOTS);
	s->skel->data->event_mask = event_mask;
}

int sensor_poll(struct sensor *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->ring, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	/* The kernel side wakes us only past a fill threshold: drain what
	 * arrived without a wakeup too. */
	int m = ring_buffer__consume(s->ring);

	if (m < 0)
		return m;
	return (n > 0 ? n : 0) + m;
}

static uint64_t program_misses(struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.recursion_misses;
}

int sensor_stats(struct sensor *s, struct sensor_stats *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct sensor_counters *per_cpu;
	struct bpf_program *prog;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	if (ncpus <= 0)
		return -1;
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -1;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &zero, per_cpu)) {
		free(per_cpu);
		return -1;
	}
	out->ncpus = ncpus;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		out->events += per_cpu[cpu].events;
		out->drops += per_cpu[cpu].drops;
		out->too_big += per_cpu[cpu].too_big;
		out->deduplicated += per_cpu[cpu].deduplicated;
		if (per_cpu[cpu].max_pending > out->max_pending)
			out->max_pending = per_cpu[cpu].max_pending;
		if (cpu < 64)
			out->drops_per_cpu[cpu] = per_cpu[cpu].drops;
	}
	free(per_cpu);
	out->ring_size = s->ring_size;
	bpf_object__for_each_program(prog, s->skel->obj)
		out->prog_misses += program_misses(prog);
	return 0;
}

void sensor_close(struct sensor *s)
{
	if (!s)
		return;
	ring_buffer__free(s->ring);
	vigil_bpf__destroy(s->skel);
	free(s);
}

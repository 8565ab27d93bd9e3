/* test_modeler.c - learning, monitoring, anomalies and persistence of the
 * behaviour models, on hand-made events and a synthetic clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/behaviour.h"
#include "model/modeler.h"
#include "test.h"

#define SEC 1000000000ULL
#define T0 (1800000000ULL * SEC)

struct sink {
	int anomalies, modes, captured, discarded;
	struct model_novelty last[MODEL_NOVELTIES_MAX];
	size_t last_count;
	int last_mode;
};

static void *capture(void *ctx, const struct rule_input *in)
{
	struct sink *s = ctx;

	(void)in;
	s->captured++;
	return malloc(1);
}

static void emit(void *ctx, const struct model_anomaly *a)
{
	struct sink *s = ctx;

	s->anomalies++;
	s->last_count = a->count;
	memcpy(s->last, a->novelties, a->count * sizeof(*a->novelties));
	free(a->captured);
}

static void discard(void *ctx, void *captured)
{
	((struct sink *)ctx)->discarded++;
	free(captured);
}

static void mode_change(void *ctx, const struct model_meta *m, int previous,
			const struct workload *wl)
{
	struct sink *s = ctx;

	(void)previous;
	(void)wl;
	s->modes++;
	s->last_mode = m->mode;
}

/* A container running sh (pid 300) under a shell (pid 200). */
struct world {
	struct proc_table *procs;
	struct workload wl;
	struct event ev;
	struct rule_input in;
	struct proc_entry *proc;
};

static void world_init(struct world *w, const char *id, const char *image)
{
	static const char args[] = "sh\0-c\0loop";

	memset(w, 0, sizeof(*w));
	w->procs = proc_table_new(1);
	proc_table_set_root(w->procs, "/nonexistent");
	proc_table_on_exec(w->procs, 200, 1, 10, "/bin/busybox", "/", args, sizeof(args), 3, false);
	proc_table_on_fork(w->procs, 200, 300, 20);
	proc_table_on_exec(w->procs, 300, 200, 30, "/bin/busybox", "/", args, sizeof(args), 3, false);
	w->proc = proc_table_lookup(w->procs, 300);
	strcpy(proc_table_lookup(w->procs, 200)->comm, "sh");
	w->wl.kind = WORKLOAD_CONTAINER;
	snprintf(w->wl.id, sizeof(w->wl.id), "%s", id);
	w->wl.meta_state = META_READY;
	container_meta_init(&w->wl.meta);
	w->wl.meta.name = strdup("app");
	w->wl.meta.image = strdup(image);
	w->ev.task.pid = 300;
	w->ev.task.ppid = 200;
	strcpy(w->ev.task.comm, "cat");
	w->in.ev = &w->ev;
	w->in.proc = w->proc;
	w->in.wl = &w->wl;
}

static void world_free(struct world *w)
{
	free(w->wl.meta.name);
	free(w->wl.meta.image);
	proc_table_free(w->procs);
}

static void open_file(struct world *w, struct modeler *m, const char *path, uint64_t now)
{
	w->ev.type = EVENT_OPEN;
	w->ev.syscall = 257;
	w->ev.ret = 3;
	w->ev.file.flags = 0;
	w->ev.file.path.ptr = path;
	w->ev.file.path.len = strlen(path);
	modeler_observe(m, &w->in, now);
}

static void connect_to(struct world *w, struct modeler *m, uint16_t port, uint64_t now)
{
	memset(&w->ev.net, 0, sizeof(w->ev.net));
	w->ev.type = EVENT_CONNECT;
	w->ev.syscall = 42;
	w->ev.ret = 0;
	w->ev.net.family = 2;	/* AF_INET */
	w->ev.net.type = 1;	/* SOCK_STREAM */
	w->ev.net.remote.addr[0] = 127;
	w->ev.net.remote.addr[3] = 1;
	w->ev.net.remote.port = port;
	modeler_observe(m, &w->in, now);
}

static struct modeler *new_modeler(const char *dir, struct sink *s)
{
	struct modeler_options o = {
		.learning_min_ns = 10 * SEC, .learning_quiet_ns = 5 * SEC,
		.alert_window_ns = SEC, .save_interval_ns = SEC, .max_entries = 256,
		.min_score = 30, .hosts = false, .dir = dir,
	};
	struct model_hooks h = {capture, emit, discard, mode_change, s};
	char err[256];
	struct modeler *m = modeler_new(&o, &h, err, sizeof(err));

	if (!m)
		fprintf(stderr, "  modeler_new: %s\n", err);
	return m;
}

/* Learn the loop for 20 s: the config, 40 data files, one port. */
static uint64_t learn_loop(struct world *w, struct modeler *m, uint64_t t)
{
	char path[64];

	for (int i = 0; i < 20; i++, t += SEC) {
		open_file(w, m, "/etc/app.conf", t);
		snprintf(path, sizeof(path), "/data/out-%d", i);
		w->ev.file.flags = 1;	/* O_WRONLY */
		open_file(w, m, path, t);
		snprintf(path, sizeof(path), "/data/out-%d-b", i);
		open_file(w, m, path, t);
		connect_to(w, m, 7000, t);
		modeler_tick(m, t);
	}
	return t;
}

TEST(learns_switches_and_alerts_once)
{
	struct sink s = {0};
	struct world w;
	struct modeler *m = new_modeler(NULL, &s);
	uint64_t t;
	struct modeler_counts c;

	world_init(&w, "aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111", "img:1");
	t = learn_loop(&w, m, T0);
	CHECK_INT(s.modes, 1);
	CHECK_INT(s.last_mode, MODE_MONITORING);
	/* the same loop again: silent, including data files never seen exactly */
	open_file(&w, m, "/etc/app.conf", t);
	w.ev.file.flags = 1;
	open_file(&w, m, "/data/out-99", t);
	connect_to(&w, m, 7000, t);
	modeler_tick(m, t + 2 * SEC);
	CHECK_INT(s.anomalies, 0);
	/* two novelties of one process: one anomaly naming both */
	w.ev.file.flags = 0;
	open_file(&w, m, "/etc/shadow", t + 3 * SEC);
	connect_to(&w, m, 4444, t + 3 * SEC);
	modeler_tick(m, t + 5 * SEC);
	CHECK_INT(s.anomalies, 1);
	CHECK_INT(s.last_count, 2);
	CHECK_STR(s.last[0].category, "read");
	CHECK_STR(s.last[0].value, "/etc/shadow");
	CHECK_STR(s.last[1].category, "net_out");
	CHECK_STR(s.last[1].value, "tcp 127.0.0.1:4444");
	/* learned: the same again is quiet */
	open_file(&w, m, "/etc/shadow", t + 6 * SEC);
	modeler_tick(m, t + 8 * SEC);
	CHECK_INT(s.anomalies, 1);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_MONITORING], 1);
	modeler_free(m);
	CHECK_INT(s.captured, 1);
	world_free(&w);
}

TEST(replica_of_a_stable_image_starts_informed)
{
	struct sink s = {0};
	struct world a, b;
	struct modeler *m = new_modeler(NULL, &s);
	uint64_t t;

	world_init(&a, "aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222aaaa2222", "img:2");
	world_init(&b, "bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222", "img:2");
	t = learn_loop(&a, m, T0);
	CHECK_INT(s.last_mode, MODE_MONITORING);
	open_file(&b, m, "/etc/app.conf", t);	/* b's first event: monitoring at once */
	CHECK_INT(s.modes, 2);
	connect_to(&b, m, 7000, t);
	modeler_tick(m, t + 3 * SEC);
	CHECK_INT(s.anomalies, 0);	/* the image does this: low score, learned silently */
	connect_to(&b, m, 9999, t + 4 * SEC);	/* the image never did this */
	modeler_tick(m, t + 6 * SEC);
	CHECK_INT(s.anomalies, 1);
	modeler_free(m);
	world_free(&a);
	world_free(&b);
}

static bool corrupt_file_in(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "ls %s/*.corrupt >/dev/null 2>&1", dir);
	return system(cmd) == 0;
}

TEST(persisted_models_survive_restart_and_corruption)
{
	struct sink s = {0};
	struct world w;
	char dir[] = "/tmp/vigil-test-models-XXXXXX", cmd[600];
	struct modeler *m;
	struct modeler_counts c;
	uint64_t t;

	CHECK(mkdtemp(dir) != NULL);
	world_init(&w, "cccc3333cccc3333cccc3333cccc3333cccc3333cccc3333cccc3333cccc3333", "img:3");
	m = new_modeler(dir, &s);
	t = learn_loop(&w, m, T0);
	modeler_free(m);	/* saves */
	m = new_modeler(dir, &s);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_MONITORING], 1);
	open_file(&w, m, "/etc/app.conf", t);
	modeler_tick(m, t + 3 * SEC);
	CHECK_INT(s.anomalies, 0);
	/* unseen for a minute: saved and dropped from memory, back when seen */
	modeler_tick(m, t + 70 * SEC);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_MONITORING], 0);
	open_file(&w, m, "/etc/app.conf", t + 71 * SEC);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_MONITORING], 1);
	modeler_tick(m, t + 73 * SEC);
	CHECK_INT(s.anomalies, 0);
	modeler_free(m);
	/* a torn file: reported, set aside, relearned; the agent goes on */
	snprintf(cmd, sizeof(cmd), "for f in %s/*.json; do head -c 40 \"$f\" > \"$f.x\"; "
		 "mv \"$f.x\" \"$f\"; done", dir);
	CHECK(system(cmd) == 0);
	m = new_modeler(dir, &s);
	CHECK(m != NULL);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_MONITORING], 0);
	CHECK(corrupt_file_in(dir));
	open_file(&w, m, "/etc/app.conf", t);
	modeler_counts(m, &c);
	CHECK_INT(c.models[MODE_LEARNING], 1);
	modeler_free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	world_free(&w);
}

TEST(behaviour_keys)
{
	struct world w;
	struct behaviour_set set;

	world_init(&w, "dddd", "img:4");
	/* a standalone busybox shell runs applets as /proc/self/exe: comm "exe" */
	proc_table_on_exec(w.procs, 300, 200, 40, "/bin/busybox", "/", "id", 3, 1, false);
	w.in.proc = proc_table_lookup(w.procs, 300);
	strcpy(w.ev.task.comm, "exe");
	w.ev.type = EVENT_EXEC;
	w.ev.ret = 0;
	behaviour_of_event(&w.in, &set);
	CHECK_INT(set.count, 1);
	CHECK_STR(set.items[0].key, "/bin/busybox[id] <- /bin/busybox[sh] as 0");
	w.ev.type = EVENT_OPEN;
	w.ev.syscall = 257;
	w.ev.ret = -2;	/* ENOENT: probing, not behaviour */
	w.ev.file.path.ptr = "/lib/x.so";
	w.ev.file.path.len = 9;
	behaviour_of_event(&w.in, &set);
	CHECK_INT(set.count, 1);	/* only "EXE openat" */
	CHECK_INT(set.items[0].category, PROF_SYSCALL);
	world_free(&w);
}

int main(void)
{
	RUN(learns_switches_and_alerts_once);
	RUN(replica_of_a_stable_image_starts_informed);
	RUN(persisted_models_survive_restart_and_corruption);
	RUN(behaviour_keys);
	return TEST_SUMMARY();
}

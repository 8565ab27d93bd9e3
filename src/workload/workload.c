/* workload.c - cgroup id → workload, container metadata via a resolver
 * thread, namespace-based entry detection. */
#include "workload/workload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/time_format.h"
#include "util/u64_map.h"
#include "workload/cgroup_map.h"

#define CACHE_BUCKETS_MIN 256
#define META_ATTEMPTS	4		/* retries after the first fetch */
#define META_RETRY_NS	(250ULL * 1000000ULL)

/* One metadata request or answer between the threads. */
struct meta_job {
	char id[CONTAINER_ID_LEN + 1];
	uint64_t not_before_ns;		/* retries wait a little (monotonic) */
	struct container_meta meta;
	int rc;
	struct meta_job *next;
};

/* Several fetchers: one slow answer (an API socket) must not hold up
 * the others, or short-lived containers are gone before their turn. */
#define RESOLVER_THREADS 4

struct resolver {
	pthread_t threads[RESOLVER_THREADS];
	int nthreads;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct meta_job *todo, *done;
	bool stop;
	struct meta_sources sources;
};

struct workload_registry {
	struct cgroup_map *paths;
	struct u64_map by_cgroup;	/* cgroup id → struct workload, on first sight */
	struct workload *list;
	size_t count;
	uint32_t host_mntns;
	bool offline;			/* replay: metadata comes from the recording */
	struct resolver resolver;
};

/* ---- resolver thread ---------------------------------------------- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Unlink and return the first job that is due; else how long to wait. */
static struct meta_job *take_due_job(struct resolver *r, uint64_t *wait_ns)
{
	uint64_t now = monotonic_ns();

	*wait_ns = UINT64_MAX;
	for (struct meta_job **link = &r->todo; *link; link = &(*link)->next) {
		struct meta_job *job = *link;
		if (job->not_before_ns <= now) {
			*link = job->next;
			return job;
		}
		if (job->not_before_ns - now < *wait_ns)
			*wait_ns = job->not_before_ns - now;
	}
	return NULL;
}

static void wait_for_work(struct resolver *r, uint64_t wait_ns)
{
	struct timespec until;

	if (wait_ns == UINT64_MAX) {
		pthread_cond_wait(&r->wake, &r->lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	wait_ns += until.tv_nsec;
	until.tv_sec += wait_ns / 1000000000ULL;
	until.tv_nsec = wait_ns % 1000000000ULL;
	pthread_cond_timedwait(&r->wake, &r->lock, &until);
}

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;
	char err[256];

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		uint64_t wait_ns;
		struct meta_job *job = take_due_job(r, &wait_ns);

		if (!job) {
			wait_for_work(r, wait_ns);
			continue;
		}
		pthread_mutex_unlock(&r->lock);
		job->rc = container_meta_fetch(&r->sources, job->id, &job->meta, err, sizeof(err));
		pthread_mutex_lock(&r->lock);
		job->next = r->done;
		r->done = job;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int resolver_start(struct resolver *r, const struct meta_sources *sources, int threads)
{
	if (sources)
		r->sources = *sources;
	else
		meta_sources_default(&r->sources);
	if (pthread_mutex_init(&r->lock, NULL))
		return -1;
	if (pthread_cond_init(&r->wake, NULL)) {
		pthread_mutex_destroy(&r->lock);
		return -1;
	}
	r->running = true;
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&r->threads[i], NULL, resolver_main, r))
			break;
		r->nthreads++;
	}
	if (r->nthreads == 0 && threads > 0) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		r->running = false;
		return -1;
	}
	return 0;
}

static void free_jobs(struct meta_job *job, bool with_meta)
{
	while (job) {
		struct meta_job *next = job->next;
		if (with_meta)
			container_meta_free(&job->meta);
		free(job);
		job = next;
	}
}

static void resolver_stop(struct resolver *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	free_jobs(r->todo, false);
	free_jobs(r->done, true);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	r->running = false;
}

static void resolver_request(struct resolver *r, const char *id, uint64_t delay_ns)
{
	struct meta_job *job = calloc(1, sizeof(*job));

	if (!job)
		return;
	snprintf(job->id, sizeof(job->id), "%s", id);
	job->not_before_ns = monotonic_ns() + delay_ns;
	pthread_mutex_lock(&r->lock);
	job->next = r->todo;
	r->todo = job;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/* ---- workloads ----------------------------------------------------- */

static uint32_t mntns_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

struct workload_registry *workload_registry_new(const struct meta_sources *sources,
						const char *cgroup_root)
{
	struct workload_registry *reg = calloc(1, sizeof(*reg));
	char root[1024];

	if (!reg)
		return NULL;
	reg->paths = cgroup_map_new();
	if (!reg->paths || u64_map_init(&reg->by_cgroup, CACHE_BUCKETS_MIN) != 0 ||
	    resolver_start(&reg->resolver, sources, RESOLVER_THREADS)) {
		workload_registry_free(reg);
		return NULL;
	}
	if (!cgroup_root && cgroup2_mount_point("/proc/self/mountinfo", root, sizeof(root)) == 0)
		cgroup_root = root;
	if (cgroup_root)
		cgroup_map_scan(reg->paths, cgroup_root);
	reg->host_mntns = mntns_of("/proc/1/ns/mnt");
	return reg;
}

struct workload_registry *workload_registry_new_offline(void)
{
	struct workload_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return NULL;
	reg->offline = true;
	reg->paths = cgroup_map_new();
	if (!reg->paths || u64_map_init(&reg->by_cgroup, CACHE_BUCKETS_MIN) != 0 ||
	    resolver_start(&reg->resolver, NULL, 0)) {
		workload_registry_free(reg);
		return NULL;
	}
	return reg;
}

int workload_registry_add_cgroup(struct workload_registry *reg, uint64_t id,
				 const char *path, size_t len)
{
	return cgroup_map_add(reg->paths, id, path, len);
}

void workload_registry_set_host_mntns(struct workload_registry *reg, uint32_t mntns)
{
	reg->host_mntns = mntns;
}

uint32_t workload_registry_host_mntns(const struct workload_registry *reg)
{
	return reg->host_mntns;
}

void workload_registry_each_cgroup(const struct workload_registry *reg,
				   void (*fn)(void *ctx, uint64_t id, const char *path),
				   void *ctx)
{
	cgroup_map_each(reg->paths, fn, ctx);
}

int workload_registry_set_meta(struct workload_registry *reg, const char *container_id,
			       struct container_meta *meta)
{
	for (struct workload *wl = reg->list; wl; wl = wl->next) {
		if (wl->kind != WORKLOAD_CONTAINER || strcmp(wl->id, container_id))
			continue;
		if (wl->meta_state == META_READY)
			container_meta_free(&wl->meta);
		wl->meta = *meta;	/* ownership moves to the workload */
		wl->meta_state = META_READY;
		return 0;
	}
	return -1;
}

void workload_registry_free(struct workload_registry *reg)
{
	if (!reg)
		return;
	resolver_stop(&reg->resolver);
	u64_map_destroy(&reg->by_cgroup, NULL);
	while (reg->list) {
		struct workload *next = reg->list->next;
		if (reg->list->meta_state == META_READY)
			container_meta_free(&reg->list->meta);
		free(reg->list);
		reg->list = next;
	}
	cgroup_map_free(reg->paths);
	free(reg);
}

/* Host workloads are one per unit; containers one per container id. */
static struct workload *find_workload(struct workload_registry *reg,
				      const struct cgroup_workload *cw)
{
	for (struct workload *wl = reg->list; wl; wl = wl->next) {
		if (wl->kind != cw->kind)
			continue;
		if (cw->kind == WORKLOAD_CONTAINER ? strcmp(wl->id, cw->container_id) == 0
						   : strcmp(wl->unit, cw->unit) == 0)
			return wl;
	}
	return NULL;
}

static struct workload *new_workload(struct workload_registry *reg,
				     const struct cgroup_workload *cw, uint64_t now_ns)
{
	struct workload *wl = calloc(1, sizeof(*wl));

	if (!wl)
		return NULL;
	wl->kind = cw->kind;
	wl->runtime = cw->runtime;
	snprintf(wl->id, sizeof(wl->id), "%s", cw->container_id);
	snprintf(wl->pod_id, sizeof(wl->pod_id), "%s", cw->pod_id);
	snprintf(wl->unit, sizeof(wl->unit), "%s", cw->unit);
	wl->first_seen_ns = now_ns;
	wl->next = reg->list;
	reg->list = wl;
	reg->count++;
	if (wl->kind == WORKLOAD_CONTAINER) {
		wl->meta_state = META_PENDING;
		if (!reg->offline)
			resolver_request(&reg->resolver, wl->id, 0);
	}
	return wl;
}

/* The workload a cgroup path names; unknown layouts count as the host. */
static struct workload *workload_for_path(struct workload_registry *reg, const char *path,
					  uint64_t now_ns)
{
	struct cgroup_workload cw;

	memset(&cw, 0, sizeof(cw));
	if (!path || cgroup_path_parse(path, strlen(path), &cw) != 0 ||
	    cw.kind == WORKLOAD_UNKNOWN) {
		memset(&cw, 0, sizeof(cw));
		cw.kind = WORKLOAD_HOST;
	}
	if (cw.kind == WORKLOAD_HOST)	/* monitors serve a container, run on the host */
		cw.container_id[0] = cw.pod_id[0] = '\0';
	struct workload *wl = find_workload(reg, &cw);
	return wl ? wl : new_workload(reg, &cw, now_ns);
}

static struct workload *container_by_mntns(struct workload_registry *reg, uint32_t mntns)
{
	for (struct workload *wl = reg->list; wl; wl = wl->next)
		if (wl->kind == WORKLOAD_CONTAINER && !wl->stopped && wl->mntns == mntns)
			return wl;
	return NULL;
}

struct workload *workload_for_event(struct workload_registry *reg, uint64_t cgroup_id,
				    uint32_t mntns, uint32_t ns_pid, uint64_t now_ns,
				    bool *entered_by_ns)
{
	struct workload *wl = u64_map_get(&reg->by_cgroup, cgroup_id);

	*entered_by_ns = false;
	if (!wl) {
		wl = workload_for_path(reg, cgroup_map_lookup(reg->paths, cgroup_id), now_ns);
		if (!wl)
			return NULL;
		u64_map_put(&reg->by_cgroup, cgroup_id, wl, NULL);
	}
	if (wl->kind == WORKLOAD_CONTAINER) {
		/* Only the container's init (pid 1 of its namespace) says which
		 * mount namespace is the container's: the runtime's helpers
		 * that run in its cgroup during setup are still in theirs. */
		if (ns_pid == 1 && mntns)
			wl->mntns = mntns;
	} else if (mntns && mntns != reg->host_mntns) {
		struct workload *c = container_by_mntns(reg, mntns);
		if (c) {
			*entered_by_ns = true;
			wl = c;
		}
	}
	wl->events++;
	wl->last_seen_ns = now_ns;
	return wl;
}

const struct workload *workload_of_cgroup(const struct workload_registry *reg,
					  uint64_t cgroup_id)
{
	return u64_map_get(&reg->by_cgroup, cgroup_id);
}

struct workload *workload_on_cgroup_mkdir(struct workload_registry *reg, uint64_t id,
					  const char *path, size_t len, uint64_t now_ns)
{
	struct cgroup_workload cw;
	struct workload *wl;

	cgroup_map_add(reg->paths, id, path, len);
	memset(&cw, 0, sizeof(cw));
	if (cgroup_path_parse(path, len, &cw) != 0 || cw.kind != WORKLOAD_CONTAINER)
		return NULL;
	wl = find_workload(reg, &cw);
	if (wl && !wl->stopped)
		return NULL;	/* a sub-cgroup of a running container */
	if (wl) {		/* the same id again: a restart */
		wl->stopped = false;
		wl->announced = false;
	} else {
		wl = new_workload(reg, &cw, now_ns);
		if (!wl)
			return NULL;
	}
	wl->started_ns = now_ns;
	u64_map_put(&reg->by_cgroup, id, wl, NULL);
	return wl;
}

struct workload *workload_on_cgroup_rmdir(struct workload_registry *reg, uint64_t id,
					  uint64_t now_ns)
{
	const char *path = cgroup_map_lookup(reg->paths, id);
	struct workload *wl = u64_map_get(&reg->by_cgroup, id);
	struct cgroup_workload cw;

	cgroup_map_remove(reg->paths, id, now_ns);
	if (!wl && path)
		wl = workload_for_path(reg, path, now_ns);
	if (!wl || wl->kind != WORKLOAD_CONTAINER || wl->stopped || !path)
		return NULL;
	/* only the container's own cgroup ends it, not one of its children */
	memset(&cw, 0, sizeof(cw));
	cgroup_path_parse(path, strlen(path), &cw);
	const char *last = strrchr(path, '/');
	if (!last || !strstr(last, wl->id))
		return NULL;
	wl->stopped = true;
	wl->stopped_ns = now_ns;
	return wl;
}

int workload_registry_poll(struct workload_registry *reg)
{
	struct meta_job *done;
	int changed = 0;

	pthread_mutex_lock(&reg->resolver.lock);
	done = reg->resolver.done;
	reg->resolver.done = NULL;
	pthread_mutex_unlock(&reg->resolver.lock);
	while (done) {
		struct meta_job *next = done->next;
		struct workload *wl;

		for (wl = reg->list; wl; wl = wl->next)
			if (wl->kind == WORKLOAD_CONTAINER && wl->meta_state == META_PENDING &&
			    strcmp(wl->id, done->id) == 0)
				break;
		if (wl && done->rc == 0) {
			wl->meta = done->meta;	/* ownership moves to the workload */
			wl->meta_state = META_READY;
			changed++;
		} else if (wl && wl->meta_attempts < META_ATTEMPTS && !reg->offline) {
			/* a container being created may not be in every source yet */
			wl->meta_attempts++;
			resolver_request(&reg->resolver, wl->id, META_RETRY_NS);
			if (done->rc == 0)
				container_meta_free(&done->meta);
		} else {
			if (wl) {
				wl->meta_state = META_FAILED;
				changed++;
			}
			if (done->rc == 0)
				container_meta_free(&done->meta);
		}
		free(done);
		done = next;
	}
	return changed;
}

static bool is_workload(void *value, void *ctx)
{
	return value == ctx;
}

void workload_registry_reap(struct workload_registry *reg, uint64_t now_ns, uint64_t grace_ns)
{
	struct workload **link = &reg->list;

	cgroup_map_reap(reg->paths, now_ns, grace_ns);
	while (*link) {
		struct workload *wl = *link;
		if (wl->stopped && wl->meta_state != META_PENDING &&
		    now_ns - wl->stopped_ns >= grace_ns) {
			*link = wl->next;
			u64_map_remove_if(&reg->by_cgroup, is_workload, wl, NULL);
			if (wl->meta_state == META_READY)
				container_meta_free(&wl->meta);
			free(wl);
			reg->count--;
		} else {
			link = &wl->next;
		}
	}
}

struct workload *workload_registry_first(struct workload_registry *reg)
{
	return reg->list;
}

size_t workload_registry_count(const struct workload_registry *reg)
{
	return reg->count;
}

size_t workload_registry_cgroups(const struct workload_registry *reg)
{
	return cgroup_map_size(reg->paths) + reg->by_cgroup.count;
}

/* ---- JSON ---------------------------------------------------------- */

static void kv_nonempty(struct json_writer *w, const char *key, const char *value)
{
	if (value && value[0])
		json_kv_string(w, key, value);
}

static void write_labels(struct json_writer *w, const char *key,
			 const struct meta_label *labels, size_t n)
{
	if (n == 0)
		return;
	json_key(w, key);
	json_object_begin(w);
	for (size_t i = 0; i < n; i++)
		json_kv_string(w, labels[i].key, labels[i].value);
	json_object_end(w);
}

void workload_json_write(struct json_writer *w, const struct workload *wl, bool entered)
{
	const struct container_meta *m = wl->meta_state == META_READY ? &wl->meta : NULL;

	json_object_begin(w);
	json_kv_string(w, "kind", workload_kind_name(wl->kind));
	if (wl->kind != WORKLOAD_CONTAINER) {
		kv_nonempty(w, "unit", wl->unit);
		json_object_end(w);
		return;
	}
	json_kv_string(w, "id", wl->id);
	json_kv_string(w, "runtime", m && m->runtime && m->runtime[0] ? m->runtime
					: container_runtime_name(wl->runtime));
	if (m) {
		kv_nonempty(w, "name", m->name);
		kv_nonempty(w, "image", m->image);
		kv_nonempty(w, "image_digest", m->image_digest);
		write_labels(w, "labels", m->labels, m->nlabels);
		kv_nonempty(w, "pod", m->pod_name);
		kv_nonempty(w, "namespace", m->pod_namespace);
		kv_nonempty(w, "pod_uid", m->pod_uid);
		kv_nonempty(w, "container_name", m->k8s_container_name);
		write_labels(w, "pod_labels", m->pod_labels, m->npod_labels);
		if (m->started_unix_ns) {
			char when[48];
			format_rfc3339_ns(when, sizeof(when), m->started_unix_ns);
			json_kv_string(w, "start_time", when);
		}
		if (m->privileged)
			json_kv_bool(w, "privileged", true);
	}
	kv_nonempty(w, "pod_id", wl->pod_id);
	if (wl->meta_state != META_READY)
		json_kv_bool(w, "unresolved", true);
	if (entered)
		json_kv_bool(w, "entered", true);
	json_object_end(w);
}

/* ---- state for `vigil workloads` ------------------------------------ */

static void write_time(struct json_writer *w, const char *key, uint64_t boot_ns,
		       int64_t real_offset_ns)
{
	if (boot_ns)
		json_kv_uint(w, key, (uint64_t)((int64_t)boot_ns + real_offset_ns) / 1000000000ULL);
}

int workload_registry_save(struct workload_registry *reg, const char *path,
			   int64_t real_offset_ns)
{
	struct json_writer w;
	char tmp[4200];
	FILE *f;
	int rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	json_init(&w);
	json_object_begin(&w);
	json_kv_int(&w, "pid", getpid());
	json_key(&w, "workloads");
	json_array_begin(&w);
	for (const struct workload *wl = reg->list; wl; wl = wl->next) {
		json_object_begin(&w);
		json_key(&w, "workload");
		workload_json_write(&w, wl, false);
		json_kv_uint(&w, "events", wl->events);
		write_time(&w, "first_seen", wl->first_seen_ns, real_offset_ns);
		write_time(&w, "last_seen", wl->last_seen_ns, real_offset_ns);
		json_kv_bool(&w, "stopped", wl->stopped);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	f = w.failed ? NULL : fopen(tmp, "w");
	if (f) {
		bool ok = fwrite(w.buf, 1, w.len, f) == w.len && fputc('\n', f) != EOF;
		ok = (fclose(f) == 0) && ok;
		rc = ok && rename(tmp, path) == 0 ? 0 : -1;
		if (rc)
			unlink(tmp);
	}
	json_free(&w);
	return rc;
}

const char *workload_registry_cgroup_path(const struct workload_registry *reg, uint64_t id)
{
	return cgroup_map_lookup(reg->paths, id);
}

/* test_workload.c - the workload registry (cgroup records, attribution,
 * entry by mount namespace, metadata failure, reaping) and the hold queue,
 * without any container runtime: metadata sources point at empty dirs. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "agent/hold_queue.h"
#include "workload/workload.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SEC 1000000000ULL

static char empty_dir[] = "/tmp/vigil-wl-XXXXXX";

static struct workload_registry *new_registry(void)
{
	struct meta_sources src = {
		.runc_state_dir = empty_dir,
		.containers_storage = empty_dir,
		.containers_runroot = empty_dir,
		.api_sockets = {NULL},
		.api_timeout_ms = 100,
	};
	return workload_registry_new(&src, empty_dir);
}

static void wait_settled(struct workload_registry *reg, const struct workload *wl)
{
	for (int i = 0; i < 100 && wl->meta_state == META_PENDING; i++) {
		usleep(50000);
		workload_registry_poll(reg);
	}
}

TEST(container_lifecycle_and_attribution)
{
	struct workload_registry *reg = new_registry();
	const char *path = "/libpod_parent/libpod-" ID;
	bool entered = true;
	struct workload *wl, *got;

	CHECK(reg != NULL);
	wl = workload_on_cgroup_mkdir(reg, 100, path, strlen(path), 1 * SEC);
	CHECK(wl != NULL);
	CHECK_INT(wl->kind, WORKLOAD_CONTAINER);
	CHECK_STR(wl->id, ID);
	CHECK_INT(wl->meta_state, META_PENDING);
	/* a sub-cgroup of a running container is not a new container */
	char sub[200];
	snprintf(sub, sizeof(sub), "%s/init", path);
	CHECK(workload_on_cgroup_mkdir(reg, 101, sub, strlen(sub), 1 * SEC) == NULL);
	got = workload_for_event(reg, 101, 7, 5, 1 * SEC, &entered);
	CHECK(got == wl);
	CHECK(!entered);
	/* its init teaches the registry its mount namespace */
	got = workload_for_event(reg, 100, 4026532000u, 1, 2 * SEC, &entered);
	CHECK(got == wl);
	CHECK_INT(wl->mntns, 4026532000u);
	/* a host-cgroup process in that namespace has entered it (nsenter) */
	got = workload_for_event(reg, 999, 4026532000u, 42, 2 * SEC, &entered);
	CHECK(got == wl);
	CHECK(entered);
	/* an unknown cgroup in the host namespace is the host */
	got = workload_for_event(reg, 998, 0, 42, 2 * SEC, &entered);
	CHECK_INT(got->kind, WORKLOAD_HOST);
	CHECK(!entered);
	/* nothing answers: metadata fails after its retries, never hangs */
	wait_settled(reg, wl);
	CHECK_INT(wl->meta_state, META_FAILED);
	/* the container's own cgroup going away stops it, once */
	CHECK(workload_on_cgroup_rmdir(reg, 101, 3 * SEC) == NULL);
	CHECK(workload_on_cgroup_rmdir(reg, 100, 3 * SEC) == wl);
	CHECK(wl->stopped);
	size_t before = workload_registry_count(reg);
	workload_registry_reap(reg, 4 * SEC, 5 * SEC);	/* within grace: kept */
	CHECK_INT(workload_registry_count(reg), before);
	workload_registry_reap(reg, 9 * SEC, 5 * SEC);
	CHECK_INT(workload_registry_count(reg), before - 1);
	workload_registry_free(reg);
}

TEST(host_units_are_separate_workloads)
{
	struct workload_registry *reg = new_registry();
	const char *ssh = "/system.slice/ssh.service";
	const char *cron = "/system.slice/cron.service";
	bool entered;

	CHECK(workload_on_cgroup_mkdir(reg, 10, ssh, strlen(ssh), 1) == NULL);
	CHECK(workload_on_cgroup_mkdir(reg, 11, cron, strlen(cron), 1) == NULL);
	struct workload *a = workload_for_event(reg, 10, 0, 5, 1, &entered);
	struct workload *b = workload_for_event(reg, 11, 0, 6, 1, &entered);
	CHECK(a != b);
	CHECK_STR(a->unit, "ssh.service");
	CHECK_STR(b->unit, "cron.service");
	CHECK(workload_for_event(reg, 10, 0, 5, 2, &entered) == a);
	CHECK_INT(a->events, 2);
	workload_registry_free(reg);
}

struct emitted {
	int n;
	char order[8];
};

static void record_emit(void *ctx, const struct held_event *e)
{
	struct emitted *out = ctx;

	if (out->n < 8)
		out->order[out->n++] = e->json[0];
}

/* A one-letter event record for the queue. */
static const struct out_record *rec(const char *letter)
{
	static struct out_record r;

	r = (struct out_record){.kind = OUT_EVENT, .json = letter, .len = 1};
	return &r;
}

TEST(hold_queue_waits_for_metadata_in_order)
{
	struct hold_queue q;
	struct workload pending = {.meta_state = META_PENDING};
	struct workload ready = {.meta_state = META_READY};
	struct emitted out = {0};

	hold_queue_init(&q, 3);
	CHECK_INT(hold_queue_push(&q, &pending, false, rec("a"), 100), 0);
	CHECK_INT(hold_queue_push(&q, &ready, false, rec("b"), 100), 0);
	CHECK_INT(hold_queue_push(&q, &pending, true, rec("c"), 200), 0);
	CHECK_INT(hold_queue_push(&q, &ready, false, rec("d"), 100), -1);	/* full */
	CHECK_INT(hold_queue_release(&q, 50, false, record_emit, &out), 1);
	CHECK_INT(out.order[0], 'b');
	/* deadline of "a" passes, "c" still waits */
	CHECK_INT(hold_queue_release(&q, 150, false, record_emit, &out), 1);
	CHECK_INT(out.order[1], 'a');
	pending.meta_state = META_READY;
	CHECK_INT(hold_queue_push(&q, &ready, false, rec("e"), 100), 0);
	CHECK_INT(hold_queue_release(&q, 160, false, record_emit, &out), 2);
	CHECK_INT(out.order[2], 'c');
	CHECK_INT(out.order[3], 'e');
	CHECK_INT(q.count, 0);
	hold_queue_push(&q, &pending, false, rec("f"), 1000);
	pending.meta_state = META_PENDING;
	CHECK_INT(hold_queue_release(&q, 0, true, record_emit, &out), 1);	/* exit */
	hold_queue_free(&q);
}

int main(void)
{
	if (!mkdtemp(empty_dir))
		return 1;
	RUN(container_lifecycle_and_attribution);
	RUN(host_units_are_separate_workloads);
	RUN(hold_queue_waits_for_metadata_in_order);
	rmdir(empty_dir);
	return TEST_SUMMARY();
}

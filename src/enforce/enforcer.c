/* enforcer.c - load, attach and pin the enforcement programs; keep their
 * maps; read their reports. */
#include "enforce/enforcer.h"
#include "util/error_text.h"
#include "util/instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce.skel.h"

struct enforcer {
	struct enforce_bpf *skel;
	struct bpf_link *links[7];
	struct ring_buffer *ring;
	int cgroup_fd;
	char pin_dir[256];
	int pin_lock;			/* flock on pin_dir: one agent per pin directory */
	bool fail_closed;
	enforce_report_fn fn;
	void *fn_ctx;
};

static const char *const link_names[7] = {
	"exec", "connect4", "connect6", "sendmsg4", "sendmsg6", "egress", "ingress",
};

uint64_t enforce_path_hash(const char *path, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len && i < ENFORCE_PATH_MAX; i++) {
		h ^= (uint8_t)path[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct bpf_program *link_program(struct enforce_bpf *skel, int i)
{
	struct bpf_program *progs[7] = {
		skel->progs.enforce_exec, skel->progs.enforce_connect4,
		skel->progs.enforce_connect6, skel->progs.enforce_sendmsg4,
		skel->progs.enforce_sendmsg6, skel->progs.enforce_egress,
		skel->progs.enforce_ingress,
	};
	return progs[i];
}

#define PINNED_MAPS 5

static const char *const map_names[PINNED_MAPS] = {
	"enforced_cgroups", "exec_paths", "exec_inodes", "exec_parents", "exec_applets",
};

static struct bpf_map *pinned_map(struct enforce_bpf *skel, int i, const char **name)
{
	struct bpf_map *maps[PINNED_MAPS] = {
		skel->maps.enforced_cgroups, skel->maps.exec_paths, skel->maps.exec_inodes,
		skel->maps.exec_parents, skel->maps.exec_applets,
	};
	*name = map_names[i];
	return maps[i];
}

/* Maps a previous fail-closed vigil pinned: reuse them, so what was in
 * force stays in force across the restart. */
static void reuse_pinned_maps(struct enforcer *e)
{
	char path[512];
	const char *name;

	for (int i = 0; i < PINNED_MAPS; i++) {
		struct bpf_map *map = pinned_map(e->skel, i, &name);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", e->pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (bpf_map__reuse_fd(map, fd))
			fprintf(stderr, "vigil: warning: cannot reuse pinned map %s: %s\n",
				path, strerror(errno));
		close(fd);
	}
}

static int attach_all(struct enforcer *e, char *err, size_t errlen)
{
	for (int i = 0; i < 7; i++) {
		struct bpf_program *prog = link_program(e->skel, i);
		struct bpf_link *link;

		if (i == 0)
			link = bpf_program__attach(prog);
		else
			link = bpf_program__attach_cgroup(prog, e->cgroup_fd);
		if (!link) {
			set_error(err, errlen, "cannot attach the %s enforcement program: %s",
				link_names[i], strerror(errno));
			return -1;
		}
		e->links[i] = link;
	}
	return 0;
}

/* New links first, then the old pins go: no moment without enforcement. */
static int pin_all(struct enforcer *e, char *err, size_t errlen)
{
	char path[512];
	const char *name;

	if (mkdir(e->pin_dir, 0700) && errno != EEXIST) {
		set_error(err, errlen, "cannot create %s: %s", e->pin_dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "%s/link_%s", e->pin_dir, link_names[i]);
		unlink(path);
		if (bpf_link__pin(e->links[i], path)) {
			set_error(err, errlen, "cannot pin %s: %s", path, strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < PINNED_MAPS; i++) {
		struct bpf_map *map = pinned_map(e->skel, i, &name);
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", e->pin_dir, name);
		if (stat(path, &st) == 0)
			continue;	/* reused: already pinned there */
		if (bpf_map__pin(map, path)) {
			set_error(err, errlen, "cannot pin %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int enforcer_clear_pins(const char *pin_dir, char *err, size_t errlen)
{
	char path[512];
	int removed = 0;

	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "%s/link_%s", pin_dir, link_names[i]);
		removed += unlink(path) == 0;
	}
	for (int i = 0; i < PINNED_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, map_names[i]);
		removed += unlink(path) == 0;
	}
	if (rmdir(pin_dir) && errno != ENOENT && errno != ENOTEMPTY) {
		set_error(err, errlen, "cannot remove %s: %s", pin_dir, strerror(errno));
		return -1;
	}
	return removed;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct enforcer *e = ctx;

	if (size >= sizeof(struct enforce_report) && e->fn)
		e->fn(e->fn_ctx, data);
	return 0;
}

struct enforcer *enforcer_open(const struct enforcer_options *o, char *err, size_t errlen)
{
	struct enforcer *e = calloc(1, sizeof(*e));
	int rc;

	if (!e) {
		set_error(err, errlen, "out of memory");
		return NULL;
	}
	e->fail_closed = o->fail_closed;
	e->pin_lock = -1;
	e->cgroup_fd = -1;
	snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", o->pin_dir);
	if (mkdir(e->pin_dir, 0700) && errno != EEXIST) {
		set_error(err, errlen, "cannot create %s: %s", e->pin_dir, strerror(errno));
		goto fail;
	}
	e->pin_lock = instance_lock_take(e->pin_dir, "pin directory", err, errlen);
	if (e->pin_lock < 0)
		goto fail;
	e->cgroup_fd = open(o->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->cgroup_fd < 0) {
		set_error(err, errlen, "cannot open the cgroup v2 root %s: %s", o->cgroup_root,
			strerror(errno));
		goto fail;
	}
	e->skel = enforce_bpf__open();
	if (!e->skel) {
		set_error(err, errlen, "cannot open the enforcement programs: %s", strerror(errno));
		goto fail;
	}
	reuse_pinned_maps(e);
	rc = enforce_bpf__load(e->skel);
	if (rc) {
		set_error(err, errlen, "cannot load the enforcement programs: %s", strerror(-rc));
		goto fail;
	}
	if (attach_all(e, err, errlen))
		goto fail;
	if (e->fail_closed) {
		if (pin_all(e, err, errlen))
			goto fail;
	} else {
		enforcer_clear_pins(e->pin_dir, NULL, 0);
	}
	e->ring = ring_buffer__new(bpf_map__fd(e->skel->maps.enforce_reports), on_ring, e, NULL);
	if (!e->ring) {
		set_error(err, errlen, "cannot map the enforcement reports: %s", strerror(errno));
		goto fail;
	}
	return e;
fail:
	enforcer_close(e);
	return NULL;
}

void enforcer_close(struct enforcer *e)
{
	if (!e)
		return;
	ring_buffer__free(e->ring);
	for (int i = 0; i < 7; i++)
		bpf_link__destroy(e->links[i]);	/* a pinned link stays attached */
	enforce_bpf__destroy(e->skel);
	if (e->cgroup_fd >= 0)
		close(e->cgroup_fd);
	instance_lock_release(e->pin_lock);
	free(e);
}

static int map_fd(struct enforcer *e, struct bpf_map *m)
{
	(void)e;
	return bpf_map__fd(m);
}

int enforcer_set_workload(struct enforcer *e, uint64_t cgroup_id,
			  const struct enforce_workload *w)
{
	struct enforce_workload cur, next = *w;

	/* the exec rule counts belong to the enforcer */
	if (enforcer_get_workload(e, cgroup_id, &cur) == 0) {
		next.exec_rules = cur.exec_rules;
		next.parent_rules = cur.parent_rules;
	} else {
		next.exec_rules = 0;
		next.parent_rules = 0;
	}
	return bpf_map_update_elem(map_fd(e, e->skel->maps.enforced_cgroups), &cgroup_id, &next,
				   BPF_ANY) ? -errno : 0;
}

int enforcer_get_workload(struct enforcer *e, uint64_t cgroup_id, struct enforce_workload *w)
{
	return bpf_map_lookup_elem(map_fd(e, e->skel->maps.enforced_cgroups), &cgroup_id, w)
		       ? -errno : 0;
}

enum exec_entry { ENTRY_PLAIN, ENTRY_PARENT, ENTRY_APPLET };

static int count_exec_rule(struct enforcer *e, uint64_t cgroup_id, enum exec_entry kind)
{
	struct enforce_workload w;

	if (enforcer_get_workload(e, cgroup_id, &w))
		return -ENOENT;
	w.exec_rules++;
	if (kind == ENTRY_PARENT)
		w.parent_rules = 1;
	if (kind == ENTRY_APPLET)
		w.applet_rules = 1;
	return bpf_map_update_elem(map_fd(e, e->skel->maps.enforced_cgroups), &cgroup_id, &w,
				   BPF_EXIST) ? -errno : 0;
}

/* Inserts key -> value unless an entry from an earlier rule is there:
 * the first rule in policy order decides, whatever order the entries
 * come in (exact paths and glob matches are added in separate passes).
 * rule_of reads the rule index out of a value.  1 = added, 0 = kept the
 * earlier one, < 0 = error. */
static int put_first_rule(int fd, const void *key, const void *value, size_t value_size,
			  uint16_t (*rule_of)(const void *value))
{
	unsigned char old[sizeof(struct enforce_exec_rule)];

	if (bpf_map_update_elem(fd, key, value, BPF_NOEXIST) == 0)
		return 1;
	if (errno != EEXIST || value_size > sizeof(old))
		return -errno;
	if (bpf_map_lookup_elem(fd, key, old) == 0 && rule_of(value) < rule_of(old) &&
	    bpf_map_update_elem(fd, key, value, BPF_EXIST))
		return -errno;
	return 0;
}

static uint16_t exec_rule_index(const void *v)
{
	return ((const struct enforce_exec_rule *)v)->rule_index;
}

static uint16_t inode_rule_index(const void *v)
{
	return ((const struct enforce_inode_rule *)v)->rule_index;
}

static void fill_exec_rule(struct enforce_exec_rule *rule, const char *path, size_t len,
			   uint8_t action, uint16_t rule_index)
{
	memset(rule, 0, sizeof(*rule));
	rule->action = action;
	rule->rule_index = rule_index;
	rule->len = len;
	memcpy(rule->path, path, len);
}

/* user space dev_t (glibc) to the kernel's MKDEV encoding */
static uint32_t kernel_dev(uint64_t dev)
{
	return (uint32_t)((((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffULL)) << 20 |
			  ((dev & 0xff) | ((dev >> 12) & ~0xffULL)));
}

int enforcer_add_exec_path(struct enforcer *e, uint64_t cgroup_id, const char *path,
			   uint8_t action, uint16_t rule_index)
{
	size_t len = strlen(path);
	struct enforce_exec_key key = {.cgroup_id = cgroup_id};
	struct enforce_exec_rule rule;
	int rc;

	if (len >= ENFORCE_PATH_MAX)
		return -ENAMETOOLONG;
	key.hash = enforce_path_hash(path, len);
	fill_exec_rule(&rule, path, len, action, rule_index);
	rc = put_first_rule(map_fd(e, e->skel->maps.exec_paths), &key, &rule, sizeof(rule),
			    exec_rule_index);
	return rc <= 0 ? rc : count_exec_rule(e, cgroup_id, ENTRY_PLAIN);
}

int enforcer_add_exec_parent(struct enforcer *e, uint64_t cgroup_id, const char *path,
			     uint64_t parent_dev, uint64_t parent_ino, uint8_t action,
			     uint16_t rule_index)
{
	size_t len = strlen(path);
	struct enforce_parent_key key = {.cgroup_id = cgroup_id, .parent_ino = parent_ino};
	struct enforce_exec_rule rule;
	int rc;

	if (len >= ENFORCE_PATH_MAX)
		return -ENAMETOOLONG;
	key.hash = enforce_path_hash(path, len);
	key.parent_dev = kernel_dev(parent_dev);
	fill_exec_rule(&rule, path, len, action, rule_index);
	rc = put_first_rule(map_fd(e, e->skel->maps.exec_parents), &key, &rule, sizeof(rule),
			    exec_rule_index);
	return rc <= 0 ? rc : count_exec_rule(e, cgroup_id, ENTRY_PARENT);
}

int enforcer_add_exec_applet(struct enforcer *e, uint64_t cgroup_id, const char *path,
			     uint64_t dev, uint64_t ino, uint8_t action, uint16_t rule_index)
{
	size_t len = strlen(path);
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	struct enforce_applet_key key = {.cgroup_id = cgroup_id, .ino = ino};
	struct enforce_exec_rule rule;
	int rc;

	if (len >= ENFORCE_PATH_MAX)
		return -ENAMETOOLONG;
	if (!*name || strlen(name) >= 64)
		return -EINVAL;		/* the kernel reads 63 bytes of argv[0] */
	key.hash = enforce_path_hash(name, strlen(name));
	key.dev = kernel_dev(dev);
	fill_exec_rule(&rule, path, len, action, rule_index);
	rule.pad = (uint8_t)(name - path);
	rc = put_first_rule(map_fd(e, e->skel->maps.exec_applets), &key, &rule, sizeof(rule),
			    exec_rule_index);
	return rc <= 0 ? rc : count_exec_rule(e, cgroup_id, ENTRY_APPLET);
}

int enforcer_add_exec_inode(struct enforcer *e, uint64_t cgroup_id, uint64_t dev,
			    uint64_t ino, uint8_t action, uint16_t rule_index)
{
	struct enforce_inode_key key = {.cgroup_id = cgroup_id, .ino = ino};
	struct enforce_inode_rule rule = {.action = action, .rule_index = rule_index};
	int rc;

	key.dev = kernel_dev(dev);
	rc = put_first_rule(map_fd(e, e->skel->maps.exec_inodes), &key, &rule, sizeof(rule),
			    inode_rule_index);
	return rc <= 0 ? rc : count_exec_rule(e, cgroup_id, ENTRY_PLAIN);
}

/* Delete every key of one cgroup from a map whose keys start with it. */
static void delete_cgroup_keys(int fd, size_t key_size, uint64_t cgroup_id)
{
	unsigned char key[64], next[64], doomed[64];
	bool have = false, more;

	more = bpf_map_get_next_key(fd, NULL, next) == 0;
	while (more) {
		memcpy(key, next, key_size);
		more = bpf_map_get_next_key(fd, key, next) == 0;
		if (have)
			bpf_map_delete_elem(fd, doomed);
		have = false;
		if (memcmp(key, &cgroup_id, sizeof(cgroup_id)) == 0) {
			memcpy(doomed, key, key_size);
			have = true;
		}
	}
	if (have)
		bpf_map_delete_elem(fd, doomed);
}

void enforcer_forget(struct enforcer *e, uint64_t cgroup_id)
{
	bpf_map_delete_elem(map_fd(e, e->skel->maps.enforced_cgroups), &cgroup_id);
	delete_cgroup_keys(map_fd(e, e->skel->maps.exec_paths), sizeof(struct enforce_exec_key),
			   cgroup_id);
	delete_cgroup_keys(map_fd(e, e->skel->maps.exec_inodes),
			   sizeof(struct enforce_inode_key), cgroup_id);
	delete_cgroup_keys(map_fd(e, e->skel->maps.exec_parents),
			   sizeof(struct enforce_parent_key), cgroup_id);
	delete_cgroup_keys(map_fd(e, e->skel->maps.exec_applets),
			   sizeof(struct enforce_applet_key), cgroup_id);
}

int enforcer_isolate(struct enforcer *e, uint64_t cgroup_id, bool on)
{
	struct enforce_workload w;

	if (enforcer_get_workload(e, cgroup_id, &w)) {
		if (!on)
			return 0;
		memset(&w, 0, sizeof(w));
	}
	w.isolated = on;
	return bpf_map_update_elem(map_fd(e, e->skel->maps.enforced_cgroups), &cgroup_id, &w,
				   BPF_ANY) ? -errno : 0;
}

size_t enforcer_workloads(struct enforcer *e, uint64_t *ids, size_t max)
{
	int fd = map_fd(e, e->skel->maps.enforced_cgroups);
	uint64_t key, next;
	size_t n = 0;
	bool first = true;

	while (n < max && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		ids[n++] = next;
		key = next;
		first = false;
	}
	return n;
}

int enforcer_poll(struct enforcer *e, enforce_report_fn fn, void *ctx)
{
	e->fn = fn;
	e->fn_ctx = ctx;
	return ring_buffer__consume(e->ring);
}

uint64_t enforcer_reports_lost(struct enforcer *e)
{
	return e->skel->bss->reports_lost;
}

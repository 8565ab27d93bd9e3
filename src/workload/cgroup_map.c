/* cgroup_map.c - cgroup v2 id → path (open hashing, resized by doubling). */
#include "cgroup_map.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/u64_map.h"

#define INITIAL_BUCKETS 256
#define SCAN_DEPTH_MAX 32

struct cgroup_entry {
	char *path;
	uint64_t removed_ns;	/* 0 while the cgroup exists */
};

struct cgroup_map {
	struct u64_map by_id;	/* id → struct cgroup_entry */
};

static void entry_free(void *value)
{
	struct cgroup_entry *e = value;

	free(e->path);
	free(e);
}

struct cgroup_map *cgroup_map_new(void)
{
	struct cgroup_map *map = calloc(1, sizeof(*map));

	if (map && u64_map_init(&map->by_id, INITIAL_BUCKETS) != 0) {
		free(map);
		return NULL;
	}
	return map;
}

void cgroup_map_free(struct cgroup_map *map)
{
	if (!map)
		return;
	u64_map_destroy(&map->by_id, entry_free);
	free(map);
}

int cgroup_map_add(struct cgroup_map *map, uint64_t id, const char *path, size_t len)
{
	struct cgroup_entry *e = u64_map_get(&map->by_id, id);
	char *copy = strndup(path, len);

	if (!copy)
		return -1;
	if (e) {		/* ids are not reused, but a rescan may repeat one */
		free(e->path);
		e->path = copy;
		e->removed_ns = 0;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e || u64_map_put(&map->by_id, id, e, NULL) != 0) {
		free(e);
		free(copy);
		return -1;
	}
	e->path = copy;
	return 0;
}

void cgroup_map_remove(struct cgroup_map *map, uint64_t id, uint64_t now_ns)
{
	struct cgroup_entry *e = u64_map_get(&map->by_id, id);

	if (e)
		e->removed_ns = now_ns ? now_ns : 1;
}

const char *cgroup_map_lookup(const struct cgroup_map *map, uint64_t id)
{
	const struct cgroup_entry *e = u64_map_get(&map->by_id, id);

	return e ? e->path : NULL;
}

struct reap_window {
	uint64_t now_ns, grace_ns;
};

static bool removed_long_ago(void *value, void *ctx)
{
	const struct cgroup_entry *e = value;
	const struct reap_window *w = ctx;

	return e->removed_ns && w->now_ns - e->removed_ns >= w->grace_ns;
}

size_t cgroup_map_reap(struct cgroup_map *map, uint64_t now_ns, uint64_t grace_ns)
{
	struct reap_window w = {now_ns, grace_ns};

	return u64_map_remove_if(&map->by_id, removed_long_ago, &w, entry_free);
}

size_t cgroup_map_size(const struct cgroup_map *map)
{
	return map->by_id.count;
}

/* On cgroup v2 a directory's inode number is its cgroup id. */
static long scan_dir(struct cgroup_map *map, int fd, char *path, size_t len,
		     size_t cap, int depth)
{
	struct stat st;
	long found = 0;
	DIR *dir;
	struct dirent *de;

	if (fstat(fd, &st) == 0 && cgroup_map_add(map, st.st_ino, len ? path : "/",
						     len ? len : 1) == 0)
		found++;
	if (depth >= SCAN_DEPTH_MAX) {
		close(fd);
		return found;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return found;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t nlen = strlen(de->d_name);
		int child;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + 1 + nlen >= cap)
			continue;
		child = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (child < 0)
			continue;	/* removed while we walked */
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nlen + 1);
		found += scan_dir(map, child, path, len + 1 + nlen, cap, depth + 1);
		path[len] = '\0';
	}
	closedir(dir);
	return found;
}

long cgroup_map_scan(struct cgroup_map *map, const char *root)
{
	char path[4096] = "";
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return scan_dir(map, fd, path, 0, sizeof(path), 0);
}

int cgroup2_mount_point(const char *mountinfo, char *out, size_t outlen)
{
	FILE *f = fopen(mountinfo, "r");
	char line[4096];
	int rc = -1;

	if (!f)
		return -1;
	/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw" */
	while (rc != 0 && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[1024], root[1024];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 ||
		    strcmp(root, "/") != 0)
			continue;
		if (strlen(mnt) < outlen) {
			strcpy(out, mnt);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

struct each_ctx {
	void (*fn)(void *ctx, uint64_t id, const char *path);
	void *ctx;
};

static void each_live(uint64_t key, void *value, void *arg)
{
	const struct cgroup_entry *e = value;
	const struct each_ctx *c = arg;

	if (!e->removed_ns)
		c->fn(c->ctx, key, e->path);
}

void cgroup_map_each(const struct cgroup_map *map,
		     void (*fn)(void *ctx, uint64_t id, const char *path), void *ctx)
{
	struct each_ctx c = {fn, ctx};

	u64_map_each(&map->by_id, each_live, &c);
}

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

#define INITIAL_BUCKETS 256
#define SCAN_DEPTH_MAX 32

struct cgroup_entry {
	uint64_t id;
	char *path;
	uint64_t removed_ns;	/* 0 while the cgroup exists */
	struct cgroup_entry *next;
};

struct cgroup_map {
	struct cgroup_entry **buckets;
	size_t nbuckets, count;
};

static size_t bucket_of(const struct cgroup_map *map, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return id & (map->nbuckets - 1);
}

struct cgroup_map *cgroup_map_new(void)
{
	struct cgroup_map *map = calloc(1, sizeof(*map));

	if (!map)
		return NULL;
	map->nbuckets = INITIAL_BUCKETS;
	map->buckets = calloc(map->nbuckets, sizeof(*map->buckets));
	if (!map->buckets) {
		free(map);
		return NULL;
	}
	return map;
}

void cgroup_map_free(struct cgroup_map *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->nbuckets; i++) {
		struct cgroup_entry *e = map->buckets[i];
		while (e) {
			struct cgroup_entry *next = e->next;
			free(e->path);
			free(e);
			e = next;
		}
	}
	free(map->buckets);
	free(map);
}

static struct cgroup_entry *find(const struct cgroup_map *map, uint64_t id)
{
	for (struct cgroup_entry *e = map->buckets[bucket_of(map, id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static void grow(struct cgroup_map *map)
{
	size_t old_n = map->nbuckets;
	struct cgroup_entry **old = map->buckets;
	struct cgroup_entry **fresh = calloc(old_n * 2, sizeof(*fresh));

	if (!fresh)
		return;		/* longer chains, still correct */
	map->buckets = fresh;
	map->nbuckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct cgroup_entry *e = old[i];
		while (e) {
			struct cgroup_entry *next = e->next;
			size_t b = bucket_of(map, e->id);
			e->next = map->buckets[b];
			map->buckets[b] = e;
			e = next;
		}
	}
	free(old);
}

int cgroup_map_add(struct cgroup_map *map, uint64_t id, const char *path, size_t len)
{
	struct cgroup_entry *e = find(map, id);
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
	if (!e) {
		free(copy);
		return -1;
	}
	if (map->count + 1 > map->nbuckets)
		grow(map);
	e->id = id;
	e->path = copy;
	size_t b = bucket_of(map, id);
	e->next = map->buckets[b];
	map->buckets[b] = e;
	map->count++;
	return 0;
}

void cgroup_map_remove(struct cgroup_map *map, uint64_t id, uint64_t now_ns)
{
	struct cgroup_entry *e = find(map, id);

	if (e)
		e->removed_ns = now_ns ? now_ns : 1;
}

const char *cgroup_map_lookup(const struct cgroup_map *map, uint64_t id)
{
	const struct cgroup_entry *e = find(map, id);

	return e ? e->path : NULL;
}

size_t cgroup_map_reap(struct cgroup_map *map, uint64_t now_ns, uint64_t grace_ns)
{
	size_t freed = 0;

	for (size_t i = 0; i < map->nbuckets; i++) {
		struct cgroup_entry **link = &map->buckets[i];
		while (*link) {
			struct cgroup_entry *e = *link;
			if (e->removed_ns && now_ns - e->removed_ns >= grace_ns) {
				*link = e->next;
				free(e->path);
				free(e);
				map->count--;
				freed++;
			} else {
				link = &e->next;
			}
		}
	}
	return freed;
}

size_t cgroup_map_size(const struct cgroup_map *map)
{
	return map->count;
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

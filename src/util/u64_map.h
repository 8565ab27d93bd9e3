/* u64_map.h - a hash map from 64-bit keys (cgroup ids, ...) to pointers.
 * Chained buckets, doubled as it fills; the map never owns values unless
 * a free function is passed where one is accepted. */
#ifndef VIGIL_U64_MAP_H
#define VIGIL_U64_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64_map_node {
	uint64_t key;
	void *value;
	struct u64_map_node *next;
};

struct u64_map {
	struct u64_map_node **buckets;
	size_t nbuckets;	/* a power of two */
	size_t count;
};

int u64_map_init(struct u64_map *map, size_t initial_buckets);
void u64_map_destroy(struct u64_map *map, void (*free_value)(void *value));
void *u64_map_get(const struct u64_map *map, uint64_t key);
/* Insert or replace; returns the value replaced (NULL if none) through
 * *old when old is not NULL.  -1 when out of memory. */
int u64_map_put(struct u64_map *map, uint64_t key, void *value, void **old);
/* Remove every entry whose value drop() says so, freeing values with
 * free_value when given.  Returns how many were removed. */
size_t u64_map_remove_if(struct u64_map *map, bool (*drop)(void *value, void *ctx),
			 void *ctx, void (*free_value)(void *value));

/* Call fn for every entry, in no particular order; fn must not change the map. */
void u64_map_each(const struct u64_map *map, void (*fn)(uint64_t key, void *value, void *ctx),
		  void *ctx);

#endif

/* u64_map.c - chained hash map keyed by uint64_t. */
#include "util/u64_map.h"

#include <stdlib.h>

static size_t bucket_of(const struct u64_map *map, uint64_t key)
{
	/* ids are often sequential: mix before masking */
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (map->nbuckets - 1);
}

int u64_map_init(struct u64_map *map, size_t initial_buckets)
{
	size_t n = 16;

	while (n < initial_buckets)
		n *= 2;
	map->buckets = calloc(n, sizeof(*map->buckets));
	map->nbuckets = map->buckets ? n : 0;
	map->count = 0;
	return map->buckets ? 0 : -1;
}

void u64_map_destroy(struct u64_map *map, void (*free_value)(void *value))
{
	for (size_t i = 0; i < map->nbuckets; i++) {
		struct u64_map_node *node = map->buckets[i];
		while (node) {
			struct u64_map_node *next = node->next;
			if (free_value)
				free_value(node->value);
			free(node);
			node = next;
		}
	}
	free(map->buckets);
	map->buckets = NULL;
	map->nbuckets = map->count = 0;
}

void *u64_map_get(const struct u64_map *map, uint64_t key)
{
	if (!map->nbuckets)
		return NULL;
	for (struct u64_map_node *n = map->buckets[bucket_of(map, key)]; n; n = n->next)
		if (n->key == key)
			return n->value;
	return NULL;
}

/* Double the buckets; on failure keep the longer chains (still correct). */
static void grow(struct u64_map *map)
{
	size_t old_n = map->nbuckets;
	struct u64_map_node **old = map->buckets;
	struct u64_map_node **fresh = calloc(old_n * 2, sizeof(*fresh));

	if (!fresh)
		return;
	map->buckets = fresh;
	map->nbuckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct u64_map_node *n = old[i];
		while (n) {
			struct u64_map_node *next = n->next;
			size_t b = bucket_of(map, n->key);
			n->next = map->buckets[b];
			map->buckets[b] = n;
			n = next;
		}
	}
	free(old);
}

int u64_map_put(struct u64_map *map, uint64_t key, void *value, void **old)
{
	struct u64_map_node *n;

	if (old)
		*old = NULL;
	if (!map->nbuckets)
		return -1;
	for (n = map->buckets[bucket_of(map, key)]; n; n = n->next) {
		if (n->key == key) {
			if (old)
				*old = n->value;
			n->value = value;
			return 0;
		}
	}
	n = malloc(sizeof(*n));
	if (!n)
		return -1;
	if (map->count + 1 > map->nbuckets)
		grow(map);
	size_t b = bucket_of(map, key);
	n->key = key;
	n->value = value;
	n->next = map->buckets[b];
	map->buckets[b] = n;
	map->count++;
	return 0;
}

size_t u64_map_remove_if(struct u64_map *map, bool (*drop)(void *value, void *ctx),
			 void *ctx, void (*free_value)(void *value))
{
	size_t removed = 0;

	for (size_t i = 0; i < map->nbuckets; i++) {
		struct u64_map_node **link = &map->buckets[i];
		while (*link) {
			struct u64_map_node *n = *link;
			if (!drop(n->value, ctx)) {
				link = &n->next;
				continue;
			}
			*link = n->next;
			if (free_value)
				free_value(n->value);
			free(n);
			map->count--;
			removed++;
		}
	}
	return removed;
}

void u64_map_each(const struct u64_map *map, void (*fn)(uint64_t key, void *value, void *ctx),
		  void *ctx)
{
	for (size_t i = 0; i < map->nbuckets; i++)
		for (struct u64_map_node *n = map->buckets[i]; n; n = n->next)
			fn(n->key, n->value, ctx);
}

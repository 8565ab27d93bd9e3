/* proc_table.c - the process table: pid → entry, with ancestry.
 *
 * Entries live in a pid-keyed hash (chained through hash_next) and in
 * exactly one of two lists: live, or exited in the order they exited.
 * The exited list is what reaping and eviction walk, oldest first.
 *
 * A child's `parent` pointer holds a reference (parent->refs), so an
 * exited parent outlives its children's need for ancestry.  When a pid
 * is reused, the old entry is taken out of the hash ("unlinked") but
 * stays in the exited list until nobody refers to it.
 *
 * Not thread-safe: the enrichment stage owns the table.
 */
#include "proc/proc_table.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_BUCKETS 256
#define CMDLINE_CAP 4096	/* bytes of argv kept, like the sensor */
#define STAT_CAP 4096		/* /proc/PID/stat is a few hundred bytes */
#define STATUS_CAP 8192		/* Uid:/Gid: come in the first lines */
#define MAX_LOAD_DEPTH 64	/* parent chain loaded lazily at once */
#define MAX_LINK_DEPTH 4096	/* loop check when linking a parent */
#define DELETED_SUFFIX " (deleted)"

/* Arguments for free_garbage(): which exited, unreferenced entries go. */
#define ANY_AGE UINT64_MAX, 0			/* now = ∞, grace = 0 */
#define ONLY_UNLINKED 0, UINT64_MAX		/* never past grace */

struct proc_list {
	struct proc_entry *head, *tail;
};

struct proc_table {
	uint64_t salt;
	struct proc_entry **buckets;
	size_t bucket_count;		/* a power of two */
	size_t hashed_count;
	size_t entry_count;		/* hashed + unlinked */
	size_t max_entries;
	struct proc_list live, exited;
	char *proc_root;
	uint64_t ns_per_tick;
	size_t loaded_count;		/* entries read from proc_root, ever */
};

/* What one read of /proc/PID gives. */
struct proc_snapshot {
	struct proc_stat_fields stat;
	struct proc_status_fields status;
	char *exe, *cwd, *args;
	size_t args_len;
	bool args_truncated;
};

/* ---- parsers (exposed for fuzzing) ------------------------------------ */

static int parse_u64(const char **pos, const char *end, uint64_t *out)
{
	const char *p = *pos;
	uint64_t value = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -1;
		value = value * 10 + digit;
	}
	*pos = p;
	*out = value;
	return 0;
}

static int parse_u32(const char **pos, const char *end, uint32_t *out)
{
	uint64_t value;

	if (parse_u64(pos, end, &value) < 0 || value > UINT32_MAX)
		return -1;
	*out = (uint32_t)value;
	return 0;
}

static void skip_blanks(const char **pos, const char *end)
{
	while (*pos < end && (**pos == ' ' || **pos == '\t'))
		(*pos)++;
}

/* Skip one space-separated field (it may be negative, e.g. nice). */
static int skip_field(const char **pos, const char *end)
{
	const char *p = *pos;

	if (p >= end || *p != ' ')
		return -1;
	p++;
	if (p >= end || *p == ' ')
		return -1;
	while (p < end && *p != ' ' && *p != '\n')
		p++;
	*pos = p;
	return 0;
}

/* "pid (comm) state ppid ..." where comm may hold spaces and ')': the
 * comm ends at the LAST ')' of the line, since no later field can
 * contain one. */
int proc_parse_stat(const char *buf, size_t len, struct proc_stat_fields *out)
{
	const char *end = buf + len, *p = buf, *comm, *close;
	size_t comm_len;

	memset(out, 0, sizeof(*out));
	if (parse_u32(&p, end, &out->pid) < 0)
		return -1;
	if (end - p < 2 || p[0] != ' ' || p[1] != '(')
		return -1;
	comm = p + 2;
	close = memrchr(comm, ')', (size_t)(end - comm));
	if (!close)
		return -1;
	comm_len = (size_t)(close - comm);
	if (comm_len > sizeof(out->comm) - 1)
		comm_len = sizeof(out->comm) - 1;
	memcpy(out->comm, comm, comm_len);
	p = close + 1;

	if (end - p < 2 || p[0] != ' ')		/* field 3: state */
		return -1;
	out->state = p[1];
	p += 2;
	if (p >= end || *p != ' ')		/* field 4: ppid */
		return -1;
	p++;
	if (parse_u32(&p, end, &out->ppid) < 0)
		return -1;
	for (int field = 5; field < 22; field++)
		if (skip_field(&p, end) < 0)
			return -1;
	if (p >= end || *p != ' ')		/* field 22: starttime */
		return -1;
	p++;
	return parse_u64(&p, end, &out->start_ticks);
}

/* "Uid:\treal\teffective\tsaved\tfs": keep the first two.  Writes
 * nothing unless both parse. */
static int parse_id_pair(const char *p, const char *end, uint32_t *real,
			 uint32_t *effective)
{
	uint32_t first, second;

	skip_blanks(&p, end);
	if (parse_u32(&p, end, &first) < 0)
		return -1;
	skip_blanks(&p, end);
	if (parse_u32(&p, end, &second) < 0)
		return -1;
	*real = first;
	*effective = second;
	return 0;
}

static bool line_starts_with(const char *line, const char *end,
			     const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - line) >= n && memcmp(line, prefix, n) == 0;
}

static void parse_status_line(const char *line, const char *end,
			      struct proc_status_fields *out)
{
	if (line_starts_with(line, end, "Uid:")) {
		if (parse_id_pair(line + 4, end, &out->uid, &out->euid) == 0)
			out->have_uid = true;
	} else if (line_starts_with(line, end, "Gid:")) {
		if (parse_id_pair(line + 4, end, &out->gid, &out->egid) == 0)
			out->have_gid = true;
	} else if (line_starts_with(line, end, "Tgid:")) {
		const char *p = line + 5;
		uint32_t tgid;

		skip_blanks(&p, end);
		if (parse_u32(&p, end, &tgid) == 0) {
			out->tgid = tgid;
			out->have_tgid = true;
		}
	}
}

int proc_parse_status(const char *buf, size_t len,
		      struct proc_status_fields *out)
{
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = newline ? newline : end;

		parse_status_line(p, line_end, out);
		p = newline ? newline + 1 : end;
	}
	if (!out->have_uid) {
		out->uid = PROC_ID_UNKNOWN;
		out->euid = PROC_ID_UNKNOWN;
	}
	if (!out->have_gid) {
		out->gid = PROC_ID_UNKNOWN;
		out->egid = PROC_ID_UNKNOWN;
	}
	return out->have_uid || out->have_gid ? 0 : -1;
}

uint32_t proc_count_args(const char *args, size_t len)
{
	uint32_t count = 0;

	for (size_t i = 0; i < len; i++)
		if (args[i] == '\0')
			count++;
	if (len > 0 && args[len - 1] != '\0')
		count++;
	return count;
}

/* ---- exec ids ---------------------------------------------------------- */

/* splitmix64's finalizer: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void make_exec_id(const struct proc_table *table, uint32_t pid,
			 uint64_t time_ns, char out[EXEC_ID_LEN + 1])
{
	uint64_t hash = mix64(table->salt ^ 0x766967696c000000ULL);

	hash = mix64(hash ^ pid);
	hash = mix64(hash ^ time_ns);
	snprintf(out, EXEC_ID_LEN + 1, "%016" PRIx64, hash);
}

/* ---- lists and hash ---------------------------------------------------- */

static void list_append(struct proc_list *list, struct proc_entry *entry)
{
	entry->list_next = NULL;
	entry->list_prev = list->tail;
	if (list->tail)
		list->tail->list_next = entry;
	else
		list->head = entry;
	list->tail = entry;
}

static void list_remove(struct proc_list *list, struct proc_entry *entry)
{
	if (entry->list_prev)
		entry->list_prev->list_next = entry->list_next;
	else
		list->head = entry->list_next;
	if (entry->list_next)
		entry->list_next->list_prev = entry->list_prev;
	else
		list->tail = entry->list_prev;
	entry->list_prev = entry->list_next = NULL;
}

static size_t bucket_of(const struct proc_table *table, uint32_t pid)
{
	/* pids are dense and sequential; multiply to spread them. */
	return (size_t)(mix64(pid) & (table->bucket_count - 1));
}

static struct proc_entry *hash_find(const struct proc_table *table,
				    uint32_t pid)
{
	struct proc_entry *entry = table->buckets[bucket_of(table, pid)];

	while (entry && entry->pid != pid)
		entry = entry->hash_next;
	return entry;
}

/* Grow when chains average more than one entry; on allocation failure
 * keep the old buckets: longer chains, still correct. */
static void hash_maybe_grow(struct proc_table *table)
{
	size_t new_count = table->bucket_count * 2;
	struct proc_entry **new_buckets, **old = table->buckets;
	size_t old_count = table->bucket_count;

	if (table->hashed_count <= table->bucket_count)
		return;
	new_buckets = calloc(new_count, sizeof(*new_buckets));
	if (!new_buckets)
		return;
	table->buckets = new_buckets;
	table->bucket_count = new_count;
	for (size_t i = 0; i < old_count; i++) {
		struct proc_entry *entry = old[i], *next;

		for (; entry; entry = next) {
			size_t b = bucket_of(table, entry->pid);

			next = entry->hash_next;
			entry->hash_next = new_buckets[b];
			new_buckets[b] = entry;
		}
	}
	free(old);
}

static void hash_insert(struct proc_table *table, struct proc_entry *entry)
{
	size_t b = bucket_of(table, entry->pid);

	entry->hash_next = table->buckets[b];
	table->buckets[b] = entry;
	entry->hashed = true;
	table->hashed_count++;
	hash_maybe_grow(table);
}

static void hash_remove(struct proc_table *table, struct proc_entry *entry)
{
	struct proc_entry **link = &table->buckets[bucket_of(table, entry->pid)];

	if (!entry->hashed)
		return;
	while (*link && *link != entry)
		link = &(*link)->hash_next;
	if (*link)
		*link = entry->hash_next;
	entry->hash_next = NULL;
	entry->hashed = false;
	table->hashed_count--;
}

/* ---- entry lifetime ---------------------------------------------------- */

static void entry_destroy(struct proc_table *table, struct proc_entry *entry)
{
	list_remove(entry->exited ? &table->exited : &table->live, entry);
	hash_remove(table, entry);
	if (entry->parent)
		entry->parent->refs--;
	free(entry->exe);
	free(entry->cwd);
	free(entry->args);
	free(entry);
	table->entry_count--;
}

/* Exited and unreferenced, and either unfindable (unlinked) or past
 * its grace period. */
static bool entry_is_garbage(const struct proc_entry *entry, uint64_t now_ns,
			     uint64_t grace_ns)
{
	if (!entry->exited || entry->refs > 0)
		return false;
	if (!entry->hashed)
		return true;
	return now_ns >= entry->exit_ns && now_ns - entry->exit_ns >= grace_ns;
}

/* Free entry if it is garbage, then each parent that becomes garbage by
 * losing that child.  Returns how many were freed. */
static size_t free_garbage(struct proc_table *table, struct proc_entry *entry,
			   uint64_t now_ns, uint64_t grace_ns)
{
	size_t freed = 0;

	while (entry && entry_is_garbage(entry, now_ns, grace_ns)) {
		struct proc_entry *parent = entry->parent;

		entry_destroy(table, entry);
		freed++;
		entry = parent;
	}
	return freed;
}

/* Pins keep an entry alive across calls that may evict (any allocation
 * of a new entry). */
static void entry_pin(struct proc_entry *entry)
{
	if (entry)
		entry->refs++;
}

static void entry_unpin(struct proc_table *table, struct proc_entry *entry)
{
	if (!entry)
		return;
	entry->refs--;
	free_garbage(table, entry, ONLY_UNLINKED);
}

static void mark_exited(struct proc_table *table, struct proc_entry *entry,
			uint64_t now_ns)
{
	if (entry->exited)
		return;
	list_remove(&table->live, entry);
	entry->exited = true;
	entry->exit_ns = now_ns;
	list_append(&table->exited, entry);
}

/* The pid of entry now belongs to another process: make entry
 * unfindable, and free it unless children still point at it. */
static void retire_entry(struct proc_table *table, struct proc_entry *entry,
			 uint64_t now_ns)
{
	mark_exited(table, entry, now_ns);
	hash_remove(table, entry);
	free_garbage(table, entry, ONLY_UNLINKED);
}

/* Forget every child's pointer to entry (used only when evicting a
 * referenced entry because the table is full of them). */
static void detach_children(struct proc_table *table, struct proc_entry *entry)
{
	struct proc_list *lists[] = { &table->live, &table->exited };

	for (size_t i = 0; i < 2 && entry->refs > 0; i++) {
		for (struct proc_entry *e = lists[i]->head; e; e = e->list_next) {
			if (e->parent == entry) {
				e->parent = NULL;
				entry->refs--;
			}
		}
	}
}

static bool evict_one_unreferenced(struct proc_table *table)
{
	for (struct proc_entry *e = table->exited.head; e; e = e->list_next)
		if (e->refs == 0)
			return free_garbage(table, e, ANY_AGE) > 0;
	return false;
}

/* The oldest exited entry, though children still need it: they lose
 * their parent pointer (parent_exec_id stays).  An entry pinned by the
 * operation in progress keeps its pin and is skipped. */
static bool evict_one_referenced(struct proc_table *table)
{
	for (struct proc_entry *e = table->exited.head; e; e = e->list_next) {
		detach_children(table, e);
		if (e->refs == 0) {
			free_garbage(table, e, ANY_AGE);
			return true;
		}
	}
	return false;
}

static bool make_room(struct proc_table *table)
{
	while (table->entry_count >= table->max_entries) {
		if (evict_one_unreferenced(table))
			continue;
		if (!evict_one_referenced(table))
			return false;
	}
	return true;
}

/* A new live entry with empty strings, not yet hashed. */
static struct proc_entry *entry_new(struct proc_table *table, uint32_t pid)
{
	struct proc_entry *entry;

	if (!make_room(table))
		return NULL;
	entry = calloc(1, sizeof(*entry));
	if (!entry)
		return NULL;
	entry->pid = pid;
	entry->exe = strdup("");
	entry->cwd = strdup("");
	entry->args = strdup("");
	if (!entry->exe || !entry->cwd || !entry->args) {
		free(entry->exe);
		free(entry->cwd);
		free(entry->args);
		free(entry);
		return NULL;
	}
	list_append(&table->live, entry);
	table->entry_count++;
	return entry;
}

static bool is_ancestor_or_self(const struct proc_entry *candidate,
				const struct proc_entry *entry)
{
	for (size_t depth = 0; candidate && depth < MAX_LINK_DEPTH; depth++) {
		if (candidate == entry)
			return true;
		candidate = candidate->parent;
	}
	return candidate != NULL;	/* too deep: treat as a loop */
}

/* Point entry at parent (which must not be unlinked-garbage), refusing
 * links that would make a loop; records the parent's exec id. */
static void set_parent(struct proc_table *table, struct proc_entry *entry,
		       struct proc_entry *parent)
{
	struct proc_entry *old = entry->parent;

	if (parent == old)
		return;
	if (parent && is_ancestor_or_self(parent, entry))
		return;
	entry->parent = parent;
	if (parent) {
		parent->refs++;
		memcpy(entry->parent_exec_id, parent->exec_id,
		       sizeof(entry->parent_exec_id));
	}
	if (old) {
		old->refs--;
		free_garbage(table, old, ONLY_UNLINKED);
	}
}

/* Replace *slot with a copy of len bytes of src (NUL added). */
static int replace_bytes(char **slot, const char *src, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -1;
	if (len)
		memcpy(copy, src, len);
	copy[len] = '\0';
	free(*slot);
	*slot = copy;
	return 0;
}

static int replace_string(char **slot, const char *src)
{
	if (!src)
		src = "";
	return replace_bytes(slot, src, strlen(src));
}

/* ---- reading /proc/PID ------------------------------------------------- */

/* Read up to cap bytes of dirfd/name.  -1 when it cannot be opened
 * (the process is gone, or it never had that file). */
static ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && got == 0) {
				close(fd);
				return -1;
			}
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A symlink's target as a new string; "" when unreadable (kernel
 * threads have no exe; another user's process hides it).  NULL only
 * when out of memory. */
static char *read_link_at(int dirfd, const char *name)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	/* The kernel appends this when the file was unlinked after exec. */
	if (ends_with(buf, (size_t)n, DELETED_SUFFIX))
		buf[n - (ssize_t)strlen(DELETED_SUFFIX)] = '\0';
	return strdup(buf);
}

static int read_cmdline_at(int dirfd, struct proc_snapshot *snap)
{
	char buf[CMDLINE_CAP + 1];
	ssize_t n = read_file_at(dirfd, "cmdline", buf, sizeof(buf));

	if (n < 0)
		n = 0;
	snap->args_truncated = n > CMDLINE_CAP;
	snap->args_len = snap->args_truncated ? CMDLINE_CAP : (size_t)n;
	snap->args = NULL;
	return replace_bytes(&snap->args, buf, snap->args_len);
}

static void snapshot_free(struct proc_snapshot *snap)
{
	free(snap->exe);
	free(snap->cwd);
	free(snap->args);
}

static int read_stat_and_status(int dirfd, struct proc_snapshot *snap)
{
	char buf[STATUS_CAP];
	ssize_t n = read_file_at(dirfd, "stat", buf, STAT_CAP);

	if (n < 0 || proc_parse_stat(buf, (size_t)n, &snap->stat) < 0)
		return -1;
	n = read_file_at(dirfd, "status", buf, sizeof(buf));
	if (n < 0 || proc_parse_status(buf, (size_t)n, &snap->status) < 0)
		proc_parse_status("", 0, &snap->status);	/* all unknown */
	return 0;
}

/* 0 with *snap filled, or -1 when the process is not (or no longer)
 * there or memory ran out.  Every file is read through one directory
 * fd, so all of them describe the same process even if pid is reused
 * meanwhile (the stale fd then fails instead). */
static int read_process(const char *proc_root, uint32_t pid,
			struct proc_snapshot *snap)
{
	char path[PATH_MAX];
	int dirfd, rc = -1;

	memset(snap, 0, sizeof(*snap));
	if (snprintf(path, sizeof(path), "%s/%" PRIu32, proc_root, pid) >=
	    (int)sizeof(path))
		return -1;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	if (read_stat_and_status(dirfd, snap) == 0) {
		snap->exe = read_link_at(dirfd, "exe");
		snap->cwd = read_link_at(dirfd, "cwd");
		if (snap->exe && snap->cwd && read_cmdline_at(dirfd, snap) == 0)
			rc = 0;
	}
	close(dirfd);
	if (rc < 0)
		snapshot_free(snap);
	return rc;
}

static uint64_t ticks_to_ns(const struct proc_table *table, uint64_t ticks)
{
	return ticks * table->ns_per_tick;
}

/* Move the snapshot's strings into entry (which owns them after). */
static void entry_take_snapshot(struct proc_table *table,
				struct proc_entry *entry,
				struct proc_snapshot *snap)
{
	entry->ppid = snap->stat.ppid;
	entry->start_ns = ticks_to_ns(table, snap->stat.start_ticks);
	entry->exec_ns = entry->start_ns;	/* exec time is not in /proc */
	make_exec_id(table, entry->pid, entry->start_ns, entry->exec_id);
	entry->uid = snap->status.uid;
	entry->gid = snap->status.gid;
	entry->euid = snap->status.euid;
	memcpy(entry->comm, snap->stat.comm, sizeof(entry->comm));
	free(entry->exe);
	free(entry->cwd);
	free(entry->args);
	entry->exe = snap->exe;
	entry->cwd = snap->cwd;
	entry->args = snap->args;
	entry->args_len = snap->args_len;
	entry->argc = proc_count_args(snap->args, snap->args_len);
	entry->args_truncated = snap->args_truncated;
	entry->from_proc = true;
	snap->exe = snap->cwd = snap->args = NULL;
}

static struct proc_entry *load_process(struct proc_table *table, uint32_t pid,
				       unsigned depth);

/* The entry for ppid, loading it (and its own parents) when unknown. */
static struct proc_entry *find_or_load_parent(struct proc_table *table,
					      uint32_t ppid, unsigned depth)
{
	struct proc_entry *parent = hash_find(table, ppid);

	if (!parent && depth < MAX_LOAD_DEPTH)
		parent = load_process(table, ppid, depth + 1);
	return parent;
}

/* Read pid from proc_root into a new hashed entry linked to its parent.
 * A thread id resolves to its process. */
static struct proc_entry *load_process(struct proc_table *table, uint32_t pid,
				       unsigned depth)
{
	struct proc_snapshot snap;
	struct proc_entry *entry, *parent;

	if (pid == 0 || read_process(table->proc_root, pid, &snap) < 0)
		return NULL;
	if (snap.status.have_tgid && snap.status.tgid != pid) {
		uint32_t tgid = snap.status.tgid;

		snapshot_free(&snap);
		entry = hash_find(table, tgid);
		if (!entry && depth < MAX_LOAD_DEPTH)
			entry = load_process(table, tgid, depth + 1);
		return entry;
	}
	entry = entry_new(table, pid);
	if (!entry) {
		snapshot_free(&snap);
		return NULL;
	}
	entry_take_snapshot(table, entry, &snap);
	hash_insert(table, entry);
	table->loaded_count++;
	if (entry->ppid != 0 && entry->ppid != pid) {
		parent = find_or_load_parent(table, entry->ppid, depth);
		if (parent)
			set_parent(table, entry, parent);
	}
	return entry;
}

/* ---- public API -------------------------------------------------------- */

struct proc_table *proc_table_new(uint64_t salt)
{
	struct proc_table *table = calloc(1, sizeof(*table));
	long ticks_per_second = sysconf(_SC_CLK_TCK);

	if (!table)
		return NULL;
	table->salt = salt;
	table->bucket_count = MIN_BUCKETS;
	table->buckets = calloc(table->bucket_count, sizeof(*table->buckets));
	table->proc_root = strdup("/proc");
	if (!table->buckets || !table->proc_root) {
		free(table->buckets);
		free(table->proc_root);
		free(table);
		return NULL;
	}
	table->max_entries = PROC_TABLE_DEFAULT_MAX;
	if (ticks_per_second <= 0)
		ticks_per_second = 100;	/* USER_HZ on every Linux arch */
	table->ns_per_tick = 1000000000ULL / (uint64_t)ticks_per_second;
	return table;
}

static void free_list(struct proc_entry *entry)
{
	while (entry) {
		struct proc_entry *next = entry->list_next;

		free(entry->exe);
		free(entry->cwd);
		free(entry->args);
		free(entry);
		entry = next;
	}
}

void proc_table_free(struct proc_table *table)
{
	if (!table)
		return;
	/* Every entry, hashed or unlinked, is on exactly one list. */
	free_list(table->live.head);
	free_list(table->exited.head);
	free(table->buckets);
	free(table->proc_root);
	free(table);
}

void proc_table_set_max(struct proc_table *table, size_t max)
{
	table->max_entries = max > 0 ? max : 1;
	/* Shrink now where exited entries allow it; live ones stay. */
	while (table->entry_count > table->max_entries &&
	       (evict_one_unreferenced(table) || evict_one_referenced(table)))
		;
}

static bool parse_pid_name(const char *name, uint32_t *pid)
{
	const char *p = name, *end = name + strlen(name);

	return parse_u32(&p, end, pid) == 0 && p == end && *pid != 0;
}

/* Link entries whose parent was beyond the lazy-load depth, or was
 * read after them. */
static void link_orphans(struct proc_table *table)
{
	for (struct proc_entry *e = table->live.head; e; e = e->list_next) {
		struct proc_entry *parent;

		if (e->parent || e->ppid == 0 || e->ppid == e->pid)
			continue;
		parent = hash_find(table, e->ppid);
		if (parent)
			set_parent(table, e, parent);
	}
}

int proc_table_seed(struct proc_table *table, const char *proc_root)
{
	char *root_copy = strdup(proc_root);
	size_t loaded_before = table->loaded_count;
	struct dirent *dent;
	DIR *dir;

	if (!root_copy)
		return -1;
	dir = opendir(proc_root);
	if (!dir) {
		int saved = errno;

		free(root_copy);
		errno = saved;
		return -1;
	}
	free(table->proc_root);
	table->proc_root = root_copy;
	while ((dent = readdir(dir)) != NULL) {
		struct proc_entry *existing;
		uint32_t pid;

		if (!parse_pid_name(dent->d_name, &pid))
			continue;
		existing = hash_find(table, pid);
		if (existing && !existing->exited)
			continue;	/* known from events or loaded as a parent */
		if (existing)
			retire_entry(table, existing, existing->exit_ns);
		load_process(table, pid, 0);
	}
	closedir(dir);
	link_orphans(table);
	return (int)(table->loaded_count - loaded_before);
}

struct proc_entry *proc_table_lookup(struct proc_table *table, uint32_t pid)
{
	struct proc_entry *entry;

	if (pid == 0)
		return NULL;
	entry = hash_find(table, pid);
	return entry ? entry : load_process(table, pid, 0);
}

/* A seeded start time is cut to clock ticks; an event's is exact. */
static bool same_start(const struct proc_table *table,
		       const struct proc_entry *entry, uint64_t start_ns)
{
	uint64_t diff = entry->start_ns > start_ns ? entry->start_ns - start_ns
						   : start_ns - entry->start_ns;

	return entry->from_proc ? diff < 2 * table->ns_per_tick : diff == 0;
}

static int copy_from_parent(struct proc_entry *child,
			    const struct proc_entry *parent)
{
	if (replace_string(&child->exe, parent->exe) < 0 ||
	    replace_string(&child->cwd, parent->cwd) < 0 ||
	    replace_bytes(&child->args, parent->args, parent->args_len) < 0)
		return -1;
	child->args_len = parent->args_len;
	child->argc = parent->argc;
	child->args_truncated = parent->args_truncated;
	child->uid = parent->uid;
	child->gid = parent->gid;
	child->euid = parent->euid;
	child->details = parent->details;
	memcpy(child->comm, parent->comm, sizeof(child->comm));
	return 0;
}

static struct proc_entry *create_child(struct proc_table *table,
				       struct proc_entry *parent,
				       uint32_t parent_pid, uint32_t child_pid,
				       uint64_t child_start_ns)
{
	struct proc_entry *child = entry_new(table, child_pid);

	if (!child)
		return NULL;
	child->ppid = parent_pid;
	child->start_ns = child->exec_ns = child_start_ns;
	make_exec_id(table, child_pid, child_start_ns, child->exec_id);
	child->uid = child->gid = child->euid = PROC_ID_UNKNOWN;
	if (parent && copy_from_parent(child, parent) < 0) {
		entry_destroy(table, child);
		return NULL;
	}
	hash_insert(table, child);
	if (parent)
		set_parent(table, child, parent);
	return child;
}

struct proc_entry *proc_table_on_fork(struct proc_table *table,
				      uint32_t parent_pid, uint32_t child_pid,
				      uint64_t child_start_ns)
{
	struct proc_entry *parent, *existing, *child;

	if (child_pid == 0)
		return NULL;
	if (parent_pid == child_pid)	/* a thread, not a process */
		return proc_table_lookup(table, child_pid);
	parent = proc_table_lookup(table, parent_pid);
	entry_pin(parent);	/* creating the child may evict */
	existing = hash_find(table, child_pid);
	if (existing && !existing->exited &&
	    same_start(table, existing, child_start_ns)) {
		child = existing;	/* already loaded from /proc */
		if (!child->parent && parent)
			set_parent(table, child, parent);
	} else {
		if (existing)	/* pid reused; we missed the exit */
			retire_entry(table, existing, child_start_ns);
		child = create_child(table, parent, parent_pid, child_pid,
				     child_start_ns);
	}
	entry_unpin(table, parent);
	return child;
}

/* The entry an exec of pid applies to: the live one, else one loaded
 * from /proc, else a new one under parent. */
static struct proc_entry *exec_target(struct proc_table *table, uint32_t pid,
				      uint32_t ppid, uint64_t exec_ns,
				      struct proc_entry *parent)
{
	struct proc_entry *entry = hash_find(table, pid);

	if (entry && !entry->exited)
		return entry;
	if (entry)	/* pid reused; we missed the fork */
		retire_entry(table, entry, exec_ns);
	entry = load_process(table, pid, 0);
	if (entry && entry->pid == pid && !entry->exited)
		return entry;	/* not a thread id resolved to its process */
	entry = entry_new(table, pid);
	if (!entry)
		return NULL;
	entry->ppid = ppid;
	entry->start_ns = exec_ns;	/* best we know */
	entry->uid = entry->gid = entry->euid = PROC_ID_UNKNOWN;
	hash_insert(table, entry);
	if (parent)
		set_parent(table, entry, parent);
	return entry;
}

static int apply_exec(struct proc_entry *entry, const char *exe,
		      const char *cwd, const char *args, size_t args_len)
{
	char *new_exe = NULL, *new_cwd = NULL, *new_args = NULL;

	/* All or nothing, so the entry never mixes two programs. */
	if (replace_string(&new_exe, exe) < 0 ||
	    replace_string(&new_cwd, cwd) < 0 ||
	    replace_bytes(&new_args, args ? args : "", args ? args_len : 0) < 0) {
		free(new_exe);
		free(new_cwd);
		free(new_args);
		return -1;
	}
	free(entry->exe);
	free(entry->cwd);
	free(entry->args);
	entry->exe = new_exe;
	entry->cwd = new_cwd;
	entry->args = new_args;
	entry->args_len = args ? args_len : 0;
	return 0;
}

struct proc_entry *proc_table_on_exec(struct proc_table *table, uint32_t pid,
				      uint32_t ppid, uint64_t exec_ns,
				      const char *exe, const char *cwd,
				      const char *args, size_t args_len,
				      uint32_t argc, bool args_truncated)
{
	struct proc_entry *parent = NULL, *entry;

	if (pid == 0)
		return NULL;
	if (ppid != pid)
		parent = proc_table_lookup(table, ppid);
	entry_pin(parent);
	entry = exec_target(table, pid, ppid, exec_ns, parent);
	if (entry && apply_exec(entry, exe, cwd, args, args_len) == 0) {
		entry->exec_ns = exec_ns;
		entry->argc = argc;
		entry->args_truncated = args_truncated;
		make_exec_id(table, pid, exec_ns, entry->exec_id);
		if (!entry->parent && parent)
			set_parent(table, entry, parent);
		if (entry->ppid == 0)
			entry->ppid = ppid;
	}
	entry_unpin(table, parent);
	return entry;
}

void proc_table_on_exit(struct proc_table *table, uint32_t pid, uint64_t now_ns)
{
	struct proc_entry *entry = pid ? hash_find(table, pid) : NULL;

	if (entry)
		mark_exited(table, entry, now_ns);
}

void proc_table_update_creds(struct proc_entry *entry, uint32_t uid,
			     uint32_t gid, uint32_t euid, const char *comm)
{
	if (!entry)
		return;
	entry->uid = uid;
	entry->gid = gid;
	entry->euid = euid;
	if (comm) {
		size_t len = strnlen(comm, sizeof(entry->comm) - 1);

		memcpy(entry->comm, comm, len);
		entry->comm[len] = '\0';
	}
}

size_t proc_table_reap(struct proc_table *table, uint64_t now_ns,
		       uint64_t grace_ns)
{
	struct proc_entry *entry = table->exited.head;
	size_t freed = 0;

	while (entry) {
		struct proc_entry *next = entry->list_next;

		/* Freeing entry may free its parents; keep next alive. */
		if (next)
			next->refs++;
		freed += free_garbage(table, entry, now_ns, grace_ns);
		if (next)
			next->refs--;	/* examined on the next turn */
		entry = next;
	}
	return freed;
}

size_t proc_table_ancestors(const struct proc_entry *entry,
			    const struct proc_entry **out, size_t max)
{
	size_t count = 0;

	if (!entry)
		return 0;
	for (const struct proc_entry *p = entry->parent;
	     p && count < max && p->pid != 0; p = p->parent) {
		if (p == entry)
			break;
		for (size_t i = 0; i < count; i++)
			if (out[i] == p)
				return count;
		out[count++] = p;
	}
	return count;
}

size_t proc_table_size(const struct proc_table *table)
{
	return table->entry_count;
}

/* ---- recordings --------------------------------------------------------- */

void proc_table_each_live(struct proc_table *table,
			  void (*fn)(void *ctx, const struct proc_entry *entry), void *ctx)
{
	for (struct proc_entry *e = table->live.head; e; e = e->list_next)
		if (e->hashed)
			fn(ctx, e);
}

int proc_table_set_root(struct proc_table *table, const char *proc_root)
{
	char *copy = strdup(proc_root);

	if (!copy)
		return -1;
	free(table->proc_root);
	table->proc_root = copy;
	return 0;
}

struct proc_entry *proc_table_restore(struct proc_table *table, const struct proc_entry *src)
{
	struct proc_entry *e;

	if (src->pid == 0 || hash_find(table, src->pid))
		return NULL;
	e = entry_new(table, src->pid);
	if (!e)
		return NULL;
	if (replace_string(&e->exe, src->exe ? src->exe : "") < 0 ||
	    replace_string(&e->cwd, src->cwd ? src->cwd : "") < 0 ||
	    replace_bytes(&e->args, src->args ? src->args : "", src->args_len) < 0) {
		entry_destroy(table, e);
		return NULL;
	}
	e->ppid = src->ppid;
	e->start_ns = src->start_ns;
	e->exec_ns = src->exec_ns;
	memcpy(e->exec_id, src->exec_id, sizeof(e->exec_id));
	memcpy(e->parent_exec_id, src->parent_exec_id, sizeof(e->parent_exec_id));
	e->uid = src->uid;
	e->gid = src->gid;
	e->euid = src->euid;
	memcpy(e->comm, src->comm, sizeof(e->comm));
	e->args_len = src->args_len;
	e->argc = src->argc;
	e->args_truncated = src->args_truncated;
	e->from_proc = src->from_proc;
	e->entered = src->entered;
	e->cgroup_id = src->cgroup_id;
	e->details = src->details;
	hash_insert(table, e);
	return e;
}

void proc_table_relink(struct proc_table *table)
{
	for (struct proc_entry *e = table->live.head; e; e = e->list_next) {
		struct proc_entry *parent;

		if (e->parent || !e->hashed || e->ppid == 0 || e->ppid == e->pid)
			continue;
		parent = hash_find(table, e->ppid);
		if (parent && parent != e)
			set_parent(table, e, parent);
	}
}

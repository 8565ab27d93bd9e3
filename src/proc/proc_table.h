/* proc_table.h - every live process vigil knows, with its ancestry.
 *
 * Seeded from /proc at start so processes older than vigil have
 * ancestry, then kept current from fork/exec/exit events.  Each entry
 * carries an exec_id unique per exec (and per fork: a forked child is a
 * new process even before it execs) and its parent's exec_id.
 * Exited entries stay while a live child still refers to them, and for a
 * short grace period so late events still find their process.
 */
#ifndef VIGIL_PROC_TABLE_H
#define VIGIL_PROC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_ID_LEN 16	/* hex characters, NUL not counted */

/* What the exec event said about the new image beyond its path and
 * arguments; kept across forks.  known is false for processes seeded
 * from /proc (never seen exec). */
struct proc_exec_details {
	bool known;
	uint8_t stdio_type[3];		/* FD_KIND_* of fds 0, 1, 2 */
	uint32_t tty;			/* tty_nr as /proc/PID/stat encodes it */
	uint32_t exe_flags;		/* EXE_* */
	uint64_t exe_ctime_ns, exe_mtime_ns;	/* wall clock */
	uint64_t cap_effective, cap_permitted;
};

struct proc_entry {
	uint32_t pid, ppid;
	uint64_t start_ns;		/* process start, boot clock ns */
	uint64_t exec_ns;		/* last exec (or start when unknown) */
	char exec_id[EXEC_ID_LEN + 1];
	char parent_exec_id[EXEC_ID_LEN + 1];	/* "" when unknown */
	uint32_t uid, gid, euid;
	char comm[17];
	char *exe;			/* absolute path, NUL-terminated; "" unknown */
	char *cwd;
	char *args;			/* NUL-separated argv, args_len bytes */
	size_t args_len;
	uint32_t argc;
	bool args_truncated;
	bool exited;
	bool from_proc;			/* seeded from /proc, not seen starting */
	bool entered;			/* entered a container from outside (set by the agent) */
	uint64_t cgroup_id;		/* last seen, set by the agent */
	struct proc_exec_details details;	/* set by the agent from exec events */
	struct proc_entry *parent;	/* NULL when unknown; holds a reference */
	/* private to proc_table.c */
	uint32_t refs;
	uint64_t exit_ns;
	struct proc_entry *hash_next;
	bool hashed;			/* findable by pid (not replaced by a reuse) */
	struct proc_entry *list_prev, *list_next;	/* live or exited list */
};

/* Credentials read from /proc are unknown when status is unreadable. */
#define PROC_ID_UNKNOWN ((uint32_t)-1)

struct proc_table;

/* salt makes exec ids differ between boots (e.g. from the boot id). */
struct proc_table *proc_table_new(uint64_t salt);
void proc_table_free(struct proc_table *table);

/* Bound the table to max entries (exited and replaced ones included).
 * When full, the oldest exited entries are evicted first (unreferenced
 * before referenced); when every entry is live, new processes are not
 * recorded (their events go without ancestry) rather than losing the
 * ancestry of running ones.  The default is PROC_TABLE_DEFAULT_MAX. */
#define PROC_TABLE_DEFAULT_MAX 65536
void proc_table_set_max(struct proc_table *table, size_t max);

/* Read every process under proc_root ("/proc" normally). Returns the
 * number of processes loaded, or -1 with errno set when proc_root
 * cannot be read at all. */
int proc_table_seed(struct proc_table *table, const char *proc_root);

/* The live (or recently exited) entry for pid; loads it from proc_root
 * when unknown and still running (a thread id gives its process).
 * NULL when nothing is known.
 *
 * Entries returned by any function here stay valid until the next call
 * that may change the table (seed, lookup, on_*, reap, set_max): a
 * lookup may evict exited entries to make room.  The table is not
 * thread-safe. */
struct proc_entry *proc_table_lookup(struct proc_table *table, uint32_t pid);

/* Kernel events.  Times are boot-clock ns. */
struct proc_entry *proc_table_on_fork(struct proc_table *table,
				      uint32_t parent_pid, uint32_t child_pid,
				      uint64_t child_start_ns);
struct proc_entry *proc_table_on_exec(struct proc_table *table, uint32_t pid,
				      uint32_t ppid, uint64_t exec_ns,
				      const char *exe, const char *cwd,
				      const char *args, size_t args_len,
				      uint32_t argc, bool args_truncated);
/* pid is a process (thread group) exit, not a single thread's. */
void proc_table_on_exit(struct proc_table *table, uint32_t pid, uint64_t now_ns);

/* Update credentials/comm seen on any event of pid. */
void proc_table_update_creds(struct proc_entry *entry, uint32_t uid,
			     uint32_t gid, uint32_t euid, const char *comm);

/* Free exited entries older than grace_ns that no live child refers to. */
size_t proc_table_reap(struct proc_table *table, uint64_t now_ns, uint64_t grace_ns);

/* Fill out[] with up to max ancestors of entry, parent first.  Stops at
 * pid 0/1's parent, unknown parents, or a loop. Returns how many. */
size_t proc_table_ancestors(const struct proc_entry *entry,
			    const struct proc_entry **out, size_t max);

/* Entries held, including exited ones and ones replaced by pid reuse. */
size_t proc_table_size(const struct proc_table *table);

/* Recordings.  each_live visits every live, findable entry; restore
 * copies one such entry into another table (NULL when the pid is taken or
 * on no memory) and relink then joins restored entries to their parents.
 * set_root points on-demand loading elsewhere ("/nonexistent": never). */
void proc_table_each_live(struct proc_table *table,
			  void (*fn)(void *ctx, const struct proc_entry *entry), void *ctx);
struct proc_entry *proc_table_restore(struct proc_table *table, const struct proc_entry *src);
void proc_table_relink(struct proc_table *table);
int proc_table_set_root(struct proc_table *table, const char *proc_root);

/* Parsers for /proc/PID files, exposed so they can be fuzzed.  buf need
 * not be NUL-terminated and may hold any bytes.  Return 0 or -1 when the
 * text is not what the kernel writes. */
struct proc_stat_fields {
	uint32_t pid, ppid;
	char state;
	char comm[17];			/* cut to 16 bytes, NUL-terminated */
	uint64_t start_ticks;		/* field 22: clock ticks since boot */
};
int proc_parse_stat(const char *buf, size_t len, struct proc_stat_fields *out);

struct proc_status_fields {
	uint32_t tgid;
	uint32_t uid, euid, gid, egid;	/* real and effective */
	bool have_tgid, have_uid, have_gid;
};
/* Fails only when neither Uid: nor Gid: is present. */
int proc_parse_status(const char *buf, size_t len,
		      struct proc_status_fields *out);

/* Number of arguments in a NUL-separated argv blob (a last argument
 * without its NUL, as left by truncation, counts). */
uint32_t proc_count_args(const char *args, size_t len);

#endif

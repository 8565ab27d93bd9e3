/* profile.h - what one workload normally does: the learned half of
 * detection.
 *
 * A profile is a set of behaviours per category (executables, files read,
 * written, created, network peers, listening ports, syscalls per
 * executable, privilege changes) plus activity rates per hour-of-week.
 * Behaviours are strings ("keys") built by the caller (see the key
 * conventions below); the profile stores each with when it was first and
 * last seen and how often.
 *
 * Paths and peers generalise from the data: once a directory holds more
 * than PROFILE_DIR_FANOUT distinct names in one category, its entries are
 * replaced by one "DIR/\*" entry that covers any path below DIR; once one
 * port has more than PROFILE_PEER_FANOUT distinct addresses, they become
 * "proto A.B.C.\*:port" ranges, then "proto \*:port".  A category never holds
 * more than its bound: past it, the least generalised directory with the
 * most children is folded (never a silent drop).
 *
 * Lookups are hash probes (the exact key, then each ancestor's "DIR/\*") and
 * never allocate.  The profile is not thread-safe.
 */
#ifndef VIGIL_PROFILE_H
#define VIGIL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum profile_category {
	PROF_EXEC,	/* "EXE[<comm>] <- PARENT_EXE as USER"; [comm] only when it is
			 * not the exe's basename (busybox applets) */
	PROF_READ,	/* absolute path read */
	PROF_WRITE,	/* absolute path written (opened for write, truncated, chmod...) */
	PROF_CREATE,	/* absolute path created, renamed to, linked, mkdir */
	PROF_NET_OUT,	/* "tcp 10.0.0.5:5432", "udp [fd00::1]:53", "unix /run/x.sock" */
	PROF_LISTEN,	/* "tcp :8080" (bind/listen), address not kept */
	PROF_NET_IN,	/* "tcp 10.0.0.7" (peer of an accept), port not kept */
	PROF_SYSCALL,	/* "EXE syscall_name" */
	PROF_PRIV,	/* "EXE setuid 0", "EXE capset", "EXE setns mnt", ... */
	PROF_CATEGORIES,
};

#define PROFILE_DIR_FANOUT	16	/* distinct names below one directory before it generalises */
#define PROFILE_PEER_FANOUT	16	/* distinct addresses on one port before ranges */
#define PROFILE_DEFAULT_MAX	4096	/* entries per category */

/* Rate counters: exec, file (read+write+create), network events. */
enum profile_rate { RATE_EXEC, RATE_FILE, RATE_NET, RATE_KINDS };
#define HOURS_PER_WEEK 168

struct profile_entry_info {
	const char *key;
	uint64_t first_seen_ns, last_seen_ns;	/* wall clock, ns since the epoch */
	uint64_t count;
};

struct profile;

struct profile *profile_new(size_t max_per_category);
void profile_free(struct profile *p);

const char *profile_category_name(enum profile_category c);	/* "exec", "read", ... */
int profile_category_from_name(const char *name);		/* -1 unknown */

/* Add (learning) or refresh an observation.  Returns true when the
 * behaviour was new, i.e. no entry (exact or generalised) covered it; the
 * key may then be stored generalised.  now_ns is wall-clock time. */
bool profile_learn(struct profile *p, enum profile_category c, const char *key, size_t len,
		   uint64_t now_ns);

/* Is the behaviour covered (exactly or by a generalised entry)?  When it is
 * and info is not NULL, *info describes the covering entry (key valid until
 * the profile changes).  Never allocates. */
bool profile_covers(const struct profile *p, enum profile_category c, const char *key,
		    size_t len, struct profile_entry_info *info);

/* Count an event in the hour-of-week bucket of now_ns (UTC). */
void profile_count(struct profile *p, enum profile_rate r, uint64_t now_ns);

/* Expected count for the hour-of-week bucket of now_ns, learned from the
 * completed hours seen so far in that bucket: mean and how many hours it
 * is based on (0: the bucket was never observed). */
void profile_rate_expected(const struct profile *p, enum profile_rate r, uint64_t now_ns,
			   double *mean, unsigned *hours);
/* Count so far in the current (not yet completed) hour. */
uint64_t profile_rate_current(const struct profile *p, enum profile_rate r);

size_t profile_size(const struct profile *p, enum profile_category c);
/* Entries of a category in key order (for show/export); fn may not change p. */
void profile_each(const struct profile *p, enum profile_category c,
		  void (*fn)(void *ctx, const struct profile_entry_info *e), void *ctx);

/* Merge every entry and rate of src into dst (group models). */
void profile_merge(struct profile *dst, const struct profile *src);

/* Serialisation: one JSON document.  profile_parse() validates everything
 * and returns NULL with err ("where: what") on anything malformed or
 * truncated. */
char *profile_to_json(const struct profile *p);		/* malloc'd */
struct profile *profile_parse(const char *json, size_t len, size_t max_per_category,
			      char *err, size_t errlen);
/* A readable YAML rendering (vigil model show). */
void profile_write_yaml(const struct profile *p, FILE *f, const char *indent);

#endif

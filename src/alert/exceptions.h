/* exceptions.h - user-written exceptions and escalations for alerts.
 *
 * A YAML file holds two lists:
 *
 *   exceptions:
 *     - name: package-updates           # required, unique across files
 *       match: {rule: "Write below etc*", kind: rule}  # rule glob(s); kind rule, anomaly or block
 *       workload: {container.image: "debian*", k8s.ns.name: [dev, test]}
 *       fields: {proc.name: [apt, dpkg], fd.name: "/var/lib/dpkg*"}   # output_fields values
 *       when: {mode: learning, hours: "09:00-17:00", days: [mon, fri], tz: UTC,
 *              deployed_within: 15m}    # or outside_hours: "..."
 *       expires: 2026-12-31T00:00:00Z
 *       effect: silence                 # or lower (priority: informational by default)
 *   escalate:
 *     - name: anomalies-when-protecting
 *       match: {kind: anomaly}
 *       when: {mode: protecting}
 *       priority: critical
 *
 * Every condition given must hold; values in a list are alternatives.
 * A file with any error is refused whole: "file:line:col: what".
 */
#ifndef VIGIL_ALERT_EXCEPTIONS_H
#define VIGIL_ALERT_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/alert_facts.h"

enum exception_effect { EFFECT_SILENCE, EFFECT_LOWER, EFFECT_ESCALATE };

struct exception_stat {
	const char *name;
	enum exception_effect effect;
	uint64_t hits;
	bool expired;
};

struct alert_exceptions;

struct alert_exceptions *alert_exceptions_new(void);
void alert_exceptions_free(struct alert_exceptions *ex);
/* Add the entries of one document; name labels errors ("file.yaml").
 * 0, or -1 with err "name:line:col: what" and ex unchanged. */
int alert_exceptions_parse(struct alert_exceptions *ex, const char *name, const char *text,
			   size_t len, char *err, size_t errlen);
int alert_exceptions_load_file(struct alert_exceptions *ex, const char *path,
			       char *err, size_t errlen);
size_t alert_exceptions_count(const struct alert_exceptions *ex);

/* The first exception that applies to the alert (NULL: none), counting
 * its hit; *effect and *priority say what to do (priority for lower).
 * Expired entries are skipped; warn() is called once for each. */
const char *alert_exceptions_match(struct alert_exceptions *ex, const struct alert_facts *f,
				   enum exception_effect *effect, int *priority,
				   void (*warn)(void *ctx, const char *msg), void *warn_ctx);
/* The most severe escalation that applies and raises the priority
 * (NULL: none); *priority is the new priority. */
const char *alert_exceptions_escalate(struct alert_exceptions *ex, const struct alert_facts *f,
				      int *priority);

/* Entry i's counters, for stats (i < count). */
struct exception_stat alert_exceptions_stat(const struct alert_exceptions *ex, size_t i);

#endif

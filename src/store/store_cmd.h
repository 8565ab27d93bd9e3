/* store_cmd.h - the commands that read the audit store, whether or not
 * the agent runs (read-only; WAL lets them read while it writes).
 *
 * argv[0] is the command's name ("events", "incidents", "show",
 * "export"); options follow.  Every command also takes --db FILE, which
 * overrides db_path.  Exit status: 0 done, 1 the store could not be read,
 * 2 a bad argument (the message names it). */
#ifndef VIGIL_STORE_CMD_H
#define VIGIL_STORE_CMD_H

/* vigil events [--workload ID] [--container NAME|ID] [--pod NAME]
 *   [--type exec,open,...] [--process PID|EXE-GLOB] [--path GLOB]
 *   [--since T] [--until T] [--limit N] [--json] */
int store_cmd_events(const char *db_path, int argc, char **argv);

/* vigil incidents [--container NAME|ID] [--since T] [--until T] [--limit N] [--json] */
int store_cmd_incidents(const char *db_path, int argc, char **argv);

/* vigil incident show ID [--json]: the timeline (alerts, actions, events
 * of the process tree) and the process tree, with what was killed. */
int store_cmd_incident_show(const char *db_path, int argc, char **argv);

/* vigil export [--since T] [--until T] [--container NAME|ID]: JSON lines
 * of events, alerts, incidents and actions in time order. */
int store_cmd_export(const char *db_path, int argc, char **argv);

#endif

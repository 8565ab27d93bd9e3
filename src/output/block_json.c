/* block_json.c - what a policy blocked, as an alert in Falco's envelope. */
#include "output/block_json.h"

#include <stdio.h>
#include <time.h>

#include "util/time_format.h"

#define NS_PER_SEC 1000000000ULL

/* "exec of /bin/nc", "connect to 1.2.3.4:4444 (tcp)", "open of /etc/shadow (read)",
 * "accept from 1.2.3.4:51000 on port 22 (tcp)" */
static void describe(char *buf, size_t len, const struct enforcement_report *r)
{
	if (r->local_port)
		snprintf(buf, len, "%s from %s on port %u%s%s%s", r->kind, r->peer, r->local_port,
			 r->proto[0] ? " (" : "", r->proto, r->proto[0] ? ")" : "");
	else if (r->peer[0])
		snprintf(buf, len, "%s to %s%s%s%s", r->kind, r->peer, r->proto[0] ? " (" : "",
			 r->proto, r->proto[0] ? ")" : "");
	else if (r->access[0] && r->access[0] != 'e')
		snprintf(buf, len, "%s of %s (%s)", r->kind, r->path, r->access);
	else
		snprintf(buf, len, "%s of %s", r->kind, r->path);
}

static const char *enforced_by(const char *kind)
{
	switch (kind[0]) {
	case 'o':
		return "fanotify";
	case 'e':
		return "sched_process_exec SIGKILL";
	case 'a':
		return "cgroup_skb ingress drop";
	default:
		return "cgroup sock_addr EPERM";
	}
}

static void write_proc(struct json_writer *w, const struct enforcement_report *r,
		       const struct proc_entry *p)
{
	json_key(w, "proc");
	json_object_begin(w);
	json_kv_uint(w, "pid", r->pid);
	json_kv_uint(w, "tid", r->tid);
	json_kv_string(w, "comm", p && p->comm[0] ? p->comm : r->comm);
	if (p) {
		json_kv_uint(w, "ppid", p->ppid);
		json_kv_string(w, "exe", p->exe ? p->exe : "");
		json_kv_string(w, "exec_id", p->exec_id);
		json_kv_string(w, "parent_exec_id", p->parent_exec_id);
		json_key(w, "ancestors");
		json_array_begin(w);
		for (const struct proc_entry *a = p->parent; a; a = a->parent) {
			json_object_begin(w);
			json_kv_uint(w, "pid", a->pid);
			json_kv_string(w, "exe", a->exe ? a->exe : "");
			json_kv_string(w, "exec_id", a->exec_id);
			json_object_end(w);
		}
		json_array_end(w);
	}
	json_object_end(w);
}

void block_json_write(struct json_writer *w, const struct enforcement_report *r,
		      const struct proc_entry *p, const char *host, uint64_t real_ns)
{
	bool blocked = r->action[0] == 'b';
	char time[48], clock[32], what[4400], output[4800];
	time_t secs = (time_t)(real_ns / NS_PER_SEC);
	struct tm tm;

	format_rfc3339_ns(time, sizeof(time), real_ns);
	gmtime_r(&secs, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	describe(what, sizeof(what), r);
	if (r->pid)
		snprintf(output, sizeof(output), "%s.%09llu: %s %s %s by %s (pid %u comm %s)", clock,
			 (unsigned long long)(real_ns % NS_PER_SEC), blocked ? "Warning" : "Notice",
			 what, blocked ? "blocked" : "audited", r->rule, r->pid,
			 p && p->comm[0] ? p->comm : r->comm);
	else	/* a packet: no process asked for it */
		snprintf(output, sizeof(output), "%s.%09llu: %s %s %s by %s", clock,
			 (unsigned long long)(real_ns % NS_PER_SEC), blocked ? "Warning" : "Notice",
			 what, blocked ? "blocked" : "audited", r->rule);
	json_object_begin(w);
	json_kv_string(w, "time", time);
	json_kv_string(w, "rule", blocked ? "Policy block" : "Policy audit");
	json_kv_string(w, "priority", blocked ? "Warning" : "Notice");
	json_kv_string(w, "output", output);
	json_key(w, "output_fields");
	json_object_begin(w);
	json_kv_uint(w, "evt.time", real_ns);
	json_kv_string(w, "evt.type", r->kind);
	if (r->pid) {
		json_kv_uint(w, "proc.pid", r->pid);
		json_kv_string(w, "proc.name", p && p->comm[0] ? p->comm : r->comm);
	}
	if (r->path[0])
		json_kv_string(w, "fd.name", r->path);
	if (r->peer[0])
		json_kv_string(w, "fd.name", r->peer);
	if (r->local_port)
		json_kv_uint(w, "fd.lport", r->local_port);
	json_kv_string(w, "vigil.policy", r->policy);
	json_kv_string(w, "vigil.policy_rule", r->rule);
	json_object_end(w);
	json_key(w, "tags");
	json_array_begin(w);
	json_string(w, "policy");
	json_string(w, r->kind);
	json_array_end(w);
	json_kv_string(w, "source", "syscall");
	json_kv_string(w, "hostname", host);
	json_kv_string(w, "kind", "block");
	json_key(w, "block");
	json_object_begin(w);
	json_kv_string(w, "what", r->kind);
	json_kv_string(w, "action", r->action);
	json_kv_string(w, "policy", r->policy);
	json_kv_string(w, "rule", r->rule);
	if (r->path[0])
		json_kv_string(w, "path", r->path);
	if (r->access[0])
		json_kv_string(w, "access", r->access);
	if (r->peer[0])
		json_kv_string(w, "peer", r->peer);
	if (r->proto[0])
		json_kv_string(w, "proto", r->proto);
	if (r->local_port)
		json_kv_uint(w, "local_port", r->local_port);
	json_kv_string(w, "enforced_by", enforced_by(r->kind));
	if (r->decide_ns)
		json_kv_uint(w, "decide_us", r->decide_ns / 1000);
	json_object_end(w);
	if (r->pid)
		write_proc(w, r, p);
	json_object_end(w);
}

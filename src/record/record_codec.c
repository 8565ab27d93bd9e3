/* record_codec.c - processes as a fixed struct plus strings; container
 * metadata as JSON (it has maps and may grow). */
#include "record_codec.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct process_frame {
	uint32_t pid, ppid, uid, gid, euid, argc;
	uint64_t start_ns, exec_ns, cgroup_id;
	uint32_t exe_len, cwd_len, args_len;
	uint8_t args_truncated, from_proc, entered, pad;
	char comm[17];
	char exec_id[EXEC_ID_LEN + 1];
	char parent_exec_id[EXEC_ID_LEN + 1];
	char pad2[5];
	struct proc_exec_details details;
};

int record_write_process(struct record_writer *w, const struct proc_entry *p)
{
	struct process_frame f;
	const char *exe = p->exe ? p->exe : "", *cwd = p->cwd ? p->cwd : "";
	size_t exe_len = strlen(exe), cwd_len = strlen(cwd);
	size_t total = exe_len + cwd_len + p->args_len;
	char *strings;
	int rc;

	memset(&f, 0, sizeof(f));
	f.pid = p->pid;
	f.ppid = p->ppid;
	f.uid = p->uid;
	f.gid = p->gid;
	f.euid = p->euid;
	f.argc = p->argc;
	f.start_ns = p->start_ns;
	f.exec_ns = p->exec_ns;
	f.cgroup_id = p->cgroup_id;
	f.exe_len = (uint32_t)exe_len;
	f.cwd_len = (uint32_t)cwd_len;
	f.args_len = (uint32_t)p->args_len;
	f.args_truncated = p->args_truncated;
	f.from_proc = p->from_proc;
	f.entered = p->entered;
	memcpy(f.comm, p->comm, sizeof(f.comm));
	memcpy(f.exec_id, p->exec_id, sizeof(f.exec_id));
	memcpy(f.parent_exec_id, p->parent_exec_id, sizeof(f.parent_exec_id));
	f.details = p->details;
	strings = malloc(total + 1);
	if (!strings)
		return -1;
	memcpy(strings, exe, exe_len);
	memcpy(strings + exe_len, cwd, cwd_len);
	if (p->args_len)
		memcpy(strings + exe_len + cwd_len, p->args, p->args_len);
	rc = record_write2(w, FRAME_PROCESS, &f, sizeof(f), strings, total);
	free(strings);
	return rc;
}

/* Decoded strings live here until the next call (one frame at a time). */
static char *decoded_exe, *decoded_cwd;

int record_read_process(const void *data, size_t len, struct proc_entry *out)
{
	struct process_frame f;
	const char *s = (const char *)data + sizeof(f);

	if (len < sizeof(f))
		return -1;
	memcpy(&f, data, sizeof(f));
	if ((uint64_t)f.exe_len + f.cwd_len + f.args_len != len - sizeof(f) || f.pid == 0)
		return -1;
	free(decoded_exe);
	free(decoded_cwd);
	decoded_exe = strndup(s, f.exe_len);
	decoded_cwd = strndup(s + f.exe_len, f.cwd_len);
	if (!decoded_exe || !decoded_cwd)
		return -1;
	memset(out, 0, sizeof(*out));
	out->pid = f.pid;
	out->ppid = f.ppid;
	out->uid = f.uid;
	out->gid = f.gid;
	out->euid = f.euid;
	out->argc = f.argc;
	out->start_ns = f.start_ns;
	out->exec_ns = f.exec_ns;
	out->cgroup_id = f.cgroup_id;
	out->exe = decoded_exe;
	out->cwd = decoded_cwd;
	out->args = (char *)s + f.exe_len + f.cwd_len;
	out->args_len = f.args_len;
	out->args_truncated = f.args_truncated;
	out->from_proc = f.from_proc;
	out->entered = f.entered;
	memcpy(out->comm, f.comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = '\0';
	memcpy(out->exec_id, f.exec_id, sizeof(out->exec_id));
	out->exec_id[EXEC_ID_LEN] = '\0';
	memcpy(out->parent_exec_id, f.parent_exec_id, sizeof(out->parent_exec_id));
	out->parent_exec_id[EXEC_ID_LEN] = '\0';
	out->details = f.details;
	return 0;
}

static cJSON *labels_object(const struct meta_label *labels, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++)
		cJSON_AddStringToObject(o, labels[i].key, labels[i].value ? labels[i].value : "");
	return o;
}

int record_write_container(struct record_writer *w, const struct container_meta *m)
{
	cJSON *o = cJSON_CreateObject();
	char *text;
	int rc;
	const struct { const char *key, *value; } strings[] = {
		{"id", m->id}, {"name", m->name}, {"image", m->image},
		{"image_digest", m->image_digest}, {"runtime", m->runtime},
		{"oci_runtime", m->oci_runtime}, {"pod_name", m->pod_name},
		{"pod_namespace", m->pod_namespace}, {"pod_uid", m->pod_uid},
		{"k8s_container_name", m->k8s_container_name},
	};

	if (!o)
		return -1;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		cJSON_AddStringToObject(o, strings[i].key, strings[i].value ? strings[i].value : "");
	cJSON_AddItemToObject(o, "labels", labels_object(m->labels, m->nlabels));
	cJSON_AddItemToObject(o, "pod_labels", labels_object(m->pod_labels, m->npod_labels));
	char started[24];

	snprintf(started, sizeof(started), "%llu", (unsigned long long)m->started_unix_ns);
	cJSON_AddStringToObject(o, "started_unix_ns", started);	/* exact: a double is not */
	cJSON_AddBoolToObject(o, "privileged", m->privileged);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return -1;
	rc = record_write(w, FRAME_CONTAINER, text, strlen(text));
	free(text);
	return rc;
}

static int take_string(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	const char *s = cJSON_IsString(v) ? v->valuestring : "";

	free(*out);
	*out = strndup(s, META_MAX_STRING);
	return *out ? 0 : -1;
}

static int take_labels(const cJSON *o, const char *key, struct meta_label *labels, size_t *n)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(o, key), *item;

	cJSON_ArrayForEach(item, obj) {
		if (*n == META_MAX_LABELS || !cJSON_IsString(item) || !item->string)
			continue;
		labels[*n].key = strndup(item->string, META_MAX_STRING);
		labels[*n].value = strndup(item->valuestring, META_MAX_STRING);
		if (!labels[*n].key || !labels[*n].value) {
			free(labels[*n].key);
			free(labels[*n].value);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int record_read_container(const void *data, size_t len, struct container_meta *out)
{
	cJSON *o = cJSON_ParseWithLength(data, len);
	const cJSON *id, *started;
	int rc = -1;

	container_meta_init(out);
	if (!cJSON_IsObject(o))
		goto done;
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= sizeof(out->id))
		goto done;
	snprintf(out->id, sizeof(out->id), "%s", id->valuestring);
	if (take_string(o, "name", &out->name) || take_string(o, "image", &out->image) ||
	    take_string(o, "image_digest", &out->image_digest) ||
	    take_string(o, "runtime", &out->runtime) ||
	    take_string(o, "oci_runtime", &out->oci_runtime) ||
	    take_string(o, "pod_name", &out->pod_name) ||
	    take_string(o, "pod_namespace", &out->pod_namespace) ||
	    take_string(o, "pod_uid", &out->pod_uid) ||
	    take_string(o, "k8s_container_name", &out->k8s_container_name) ||
	    take_labels(o, "labels", out->labels, &out->nlabels) ||
	    take_labels(o, "pod_labels", out->pod_labels, &out->npod_labels))
		goto done;
	started = cJSON_GetObjectItemCaseSensitive(o, "started_unix_ns");
	if (cJSON_IsString(started))
		out->started_unix_ns = strtoull(started->valuestring, NULL, 10);
	out->privileged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "privileged"));
	out->source = "recording";
	rc = 0;
done:
	cJSON_Delete(o);
	return rc;
}

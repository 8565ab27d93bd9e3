/* test_outputs.c - syslog/CEF formatting and escaping, sink addresses,
 * the webhook's disk queue (order, persistence, overflow), metrics text,
 * file rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/disk_queue.h"
#include "output/metrics.h"
#include "output/outputs.h"
#include "output/syslog_format.h"
#include "test.h"

static const char *ALERT =
	"{\"time\":\"2026-11-28T02:30:01.123456789Z\",\"rule\":\"Bad \\\"rule\\\"] \\\\ x|y=z\\n2\","
	"\"priority\":\"Warning\",\"output\":\"a=b|c\\nd\",\"output_fields\":{\"fd.name\":"
	"\"/etc/sha=dow\"},\"kind\":\"rule\",\"proc\":{\"pid\":42,\"exe\":\"/bin/cat\"},"
	"\"workload\":{\"kind\":\"container\",\"name\":\"web]1\",\"image\":\"img\"}}";

static struct out_record alert_record(void)
{
	struct out_record r = {.kind = OUT_ALERT, .priority = 4, .json = ALERT,
			       .len = strlen(ALERT), .time_ns = 1795000000123456789ULL};
	return r;
}

TEST(syslog_header_and_escaped_structured_data)
{
	struct out_record r = alert_record();
	size_t len;
	char *m = syslog_format(&r, 16, 0, "vm", "1.0", &len);

	CHECK(m != NULL);
	CHECK(!strncmp(m, "<132>1 ", 7));	/* local0 * 8 + warning */
	CHECK(strstr(m, ".123456Z vm vigil 42 alert [vigil@32473 ") != NULL);
	/* ", \ and ] escaped in SD-PARAM values; the line break too */
	CHECK(strstr(m, "name=\"Bad \\\"rule\\\"\\] \\\\ x|y=z\\n2\"") != NULL);
	CHECK(strstr(m, "container=\"web\\]1\"") != NULL);
	CHECK(strchr(m, '\n') == NULL);
	CHECK(strstr(m, "] {\"time\"") != NULL);	/* JSON body */
	CHECK_INT(len, strlen(m));
	free(m);
}

TEST(cef_body_escapes_header_and_extensions)
{
	struct out_record r = alert_record();
	size_t len;
	char *m = syslog_format(&r, 4, 1, "vm", "1.0", &len);
	char *cef;

	CHECK(m != NULL);
	cef = m ? strstr(m, "CEF:0|vigil|vigil|1.0|") : NULL;
	CHECK(cef != NULL);
	if (cef) {
		CHECK(strstr(cef, "|Bad \"rule\"] \\\\ x\\|y=z\\n2|") != NULL);
		CHECK(strstr(cef, "|5|rt=1795000000123") != NULL);	/* warning -> 5 */
		CHECK(strstr(cef, "msg=a\\=b|c\\nd") != NULL);
		CHECK(strstr(cef, "fname=/etc/sha\\=dow") != NULL);
		CHECK(strstr(cef, "spid=42") != NULL && strstr(cef, "cs1=web]1") != NULL);
	}
	CHECK(strchr(m, '\n') == NULL);
	free(m);
}

TEST(plain_event_is_informational_with_dashes)
{
	const char *ev = "{\"event\":\"exec\"}";
	struct out_record r = {.kind = OUT_EVENT, .priority = OUT_PRIORITY_NONE, .json = ev,
			       .len = strlen(ev)};
	size_t len;
	char *m = syslog_format(&r, 1, 0, "host name", "1", &len);

	CHECK(m && !strncmp(m, "<14>1 ", 6));	/* user.info */
	CHECK(m && strstr(m, " host_name vigil - event [vigil@32473 name=\"exec\"] ") != NULL);
	free(m);
}

TEST(addresses_parse_or_name_the_problem)
{
	struct syslog_address a;
	char err[256];

	CHECK(syslog_parse_address("unix:/dev/log", &a, err, sizeof(err)) == 0);
	CHECK(a.transport == SYSLOG_UNIX && !strcmp(a.path, "/dev/log"));
	CHECK(syslog_parse_address("tcp:[::1]:6514", &a, err, sizeof(err)) == 0);
	CHECK(a.transport == SYSLOG_TCP && !strcmp(a.host, "::1") && a.port == 6514);
	CHECK(syslog_parse_address("udp:logs:0", &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "port") != NULL);
	CHECK(syslog_parse_address("http://x", &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "scheme") != NULL);
	CHECK(syslog_parse_address("unix:relative", &a, err, sizeof(err)) == -1);
	CHECK(syslog_facility_from_name("local7") == 23 && syslog_facility_from_name("x") == -1);
}

TEST(disk_queue_in_order_across_reopen_and_drops_oldest_when_full)
{
	char dir[] = "/tmp/vigil-dq-XXXXXX", err[256], path[128];
	struct disk_queue q;
	size_t len;
	char *m;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(disk_queue_open(&q, dir, 1 << 20, err, sizeof(err)) == 0);
	disk_queue_push(&q, "{\"n\":1}", 7);
	disk_queue_push(&q, "{\"n\":2}", 7);
	m = disk_queue_peek(&q, &len, 100);
	CHECK(m && !strcmp(m, "{\"n\":1}"));
	disk_queue_ack(&q, len);
	free(m);
	disk_queue_close(&q);
	/* a restart resends nothing acknowledged and loses nothing written */
	CHECK(disk_queue_open(&q, dir, 20, err, sizeof(err)) == 0);
	m = disk_queue_peek(&q, &len, 100);
	CHECK(m && !strcmp(m, "{\"n\":2}"));
	free(m);
	disk_queue_push(&q, "{\"n\":3}", 7);
	disk_queue_push(&q, "{\"n\":4}", 7);	/* 24 bytes > 20: the oldest goes */
	CHECK(q.dropped == 1);
	m = disk_queue_peek(&q, &len, 100);
	CHECK(m && !strcmp(m, "{\"n\":3}"));
	disk_queue_ack(&q, len);
	free(m);
	m = disk_queue_peek(&q, &len, 100);
	CHECK(m && !strcmp(m, "{\"n\":4}"));
	disk_queue_ack(&q, len);
	free(m);
	CHECK(disk_queue_pending(&q) == 0);
	CHECK(disk_queue_peek(&q, &len, 10) == NULL);
	disk_queue_close(&q);
	snprintf(path, sizeof(path), "%s/queue.jsonl", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/queue.offset", dir);
	unlink(path);
	rmdir(dir);
}

TEST(metrics_text_format_and_label_escaping)
{
	struct metrics *m = metrics_new();
	size_t len;
	char *text;

	metrics_describe(m, "vigil_alerts_total", "Alerts.", true);
	metrics_add(m, "vigil_alerts_total", "rule", "a \"b\"\\\nc", 2);
	metrics_add(m, "vigil_alerts_total", "rule", "a \"b\"\\\nc", 1);
	metrics_set(m, "vigil_alerts_total", NULL, NULL, 7);
	text = metrics_render(m, &len);
	CHECK(text != NULL);
	CHECK(strstr(text, "# HELP vigil_alerts_total Alerts.\n# TYPE vigil_alerts_total counter\n"));
	CHECK(strstr(text, "vigil_alerts_total{rule=\"a \\\"b\\\"\\\\\\nc\"} 3\n") != NULL);
	CHECK(strstr(text, "\nvigil_alerts_total 7\n") != NULL);
	free(text);
	metrics_free(m);
}

TEST(file_output_rotates_keeping_n)
{
	char dir[] = "/tmp/vigil-rot-XXXXXX", file[128], err[256], name[160];
	struct outputs_options o = {.file = file, .file_max_bytes = 100, .file_keep = 2,
				    .events = true, .min_priority = 7};
	struct outputs *out;
	struct stat st;
	const char *line = "{\"event\":\"exec\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
	struct out_record r = {.kind = OUT_EVENT, .priority = 8, .json = line, .len = strlen(line)};

	CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof(file), "%s/vigil.json", dir);
	out = outputs_open(&o, err, sizeof(err));
	CHECK(out != NULL);
	for (int i = 0; out && i < 10; i++)
		outputs_emit(out, &r);
	outputs_close(out, 0);
	snprintf(name, sizeof(name), "%s.1", file);
	CHECK(stat(name, &st) == 0 && st.st_size >= 100);
	snprintf(name, sizeof(name), "%s.2", file);
	CHECK(stat(name, &st) == 0);
	snprintf(name, sizeof(name), "%s.3", file);
	CHECK(stat(name, &st) != 0);	/* only two kept */
	for (int i = 0; i <= 2; i++) {
		if (i)
			snprintf(name, sizeof(name), "%s.%d", file, i);
		else
			snprintf(name, sizeof(name), "%s", file);
		unlink(name);
	}
	rmdir(dir);
}

int main(void)
{
	RUN(syslog_header_and_escaped_structured_data);
	RUN(cef_body_escapes_header_and_extensions);
	RUN(plain_event_is_informational_with_dashes);
	RUN(addresses_parse_or_name_the_problem);
	RUN(disk_queue_in_order_across_reopen_and_drops_oldest_when_full);
	RUN(metrics_text_format_and_label_escaping);
	RUN(file_output_rotates_keeping_n);
	return TEST_SUMMARY();
}

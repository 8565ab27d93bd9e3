#!/usr/bin/env python3
"""test_outputs.py - vigil's outputs against real receivers.

vigil runs with syslog to a unix datagram socket this test reads (CEF
body), a second syslog over TCP, a webhook to a local HTTP server, and the
metrics endpoint.  Alerts are caused by reading /etc/shadow on the host.
The syslog lines are RFC 5424 with the right PRI, MSGID and escaped
structured data; the TCP frames are octet-counted; the webhook server is
down for a while (connection refused, then 503) and comes back: every
alert arrives exactly once, in order, also across a vigil restart with
the server down; /metrics over HTTP shows the alerts and the events; a
silent client does not hold up a scrape; a bad address is refused by
`vigil config check` and at start."""
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, Vigil, at_cleanup, log, main_guard,  # noqa: E402
                       mkdtemp, run_test)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Webhook:
    """A JSON receiver: mode "ok", "503" or "down" (not listening)."""

    def __init__(self, port):
        self.port = port
        self.bodies = []
        self.mode = "ok"
        self.server = None

    def up(self, mode="ok"):
        self.mode = mode
        if self.server:
            return
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                if hook.mode == "503":
                    self.send_response(503)
                    self.end_headers()
                    return
                hook.bodies.append((body, self.headers.get("X-Test")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class SyslogUnix:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                self.lines.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except OSError:
                return


class SyslogTCP:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.frames = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            buf = b""
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while True:  # octet counting: LEN SP MSG
                    m = re.match(rb"(\d+) ", buf)
                    if not m or len(buf) < m.end() + int(m.group(1)):
                        break
                    n = int(m.group(1))
                    self.frames.append(buf[m.end():m.end() + n].decode("utf-8", "replace"))
                    buf = buf[m.end() + n:]


def shadow_reads(n, tag):
    """cat reads /etc/shadow, then fails on a file named after the tag (in its args)."""
    for i in range(n):
        subprocess.run(["cat", "/etc/shadow", "/nonexistent/tag-%s-%d" % (tag, i)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def rule_alerts(bodies):
    out = []
    for body, _ in bodies:
        e = json.loads(body)
        if e.get("rule") == "Read sensitive file":
            out.append(e)
    return out


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("no %s within %ds" % (what, timeout))


def main():
    tmp = mkdtemp()
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    sock_path = os.path.join(tmp, "log.sock")
    unix = SyslogUnix(sock_path)
    tcp = SyslogTCP()
    hook_port, metrics_port = free_port(), free_port()
    hook = Webhook(hook_port)
    args = ["--set", "output.events=false", "--set", "model.enabled=false",
            "--set", "alerts.enabled=false", "--set", "enforce.enabled=false",
            "--set", "output.syslog.address=unix:" + sock_path,
            "--set", "output.syslog.format=cef", "--set", "output.syslog.facility=local3",
            "--set", "output.webhook.url=http://127.0.0.1:%d/hook" % hook_port,
            "--set", "output.webhook.headers=X-Test: yes",
            "--set", "output.metrics.listen=127.0.0.1:%d" % metrics_port]
    tcp_args = ["--set", "output.syslog.address=tcp:127.0.0.1:%d" % tcp.port,
                "--set", "output.syslog.format=json"]
    hook.up()
    v = Vigil(args, tmp=tmp, command="run", state=state).start()
    shadow_reads(3, "first")

    def chk_syslog_unix():
        wait_for(lambda: len([l for l in unix.lines if "Read sensitive file" in l]) >= 3, 10,
                 "three syslog lines")
        line = [l for l in unix.lines if "Read sensitive file" in l][0]
        m = re.match(r"<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+) vigil (\d+|-) "
                     r"(\S+) \[vigil@32473 ([^\]]*)\] (.*)$", line, re.S)
        assert m, "not RFC 5424: %r" % line[:300]
        pri = int(m.group(1))
        assert pri // 8 == 19, "facility local3 expected, PRI %d" % pri
        assert pri % 8 <= 4, "severity of a Warning alert: PRI %d" % pri
        assert m.group(5) == "alert", m.group(5)
        assert 'name="Read sensitive file"' in m.group(6), m.group(6)
        body = m.group(7)
        assert body.startswith("CEF:0|vigil|vigil|"), body[:80]
        head = body.split("|")
        assert head[4] == "Read sensitive file" and head[5] == "Read sensitive file", head[:7]
        assert "fname=/etc/shadow" in body and "spid=" in body, body
    run_test("syslog_rfc5424_with_cef_body", chk_syslog_unix)

    def chk_webhook_and_metrics():
        wait_for(lambda: len(rule_alerts(hook.bodies)) >= 3, 10, "three webhook posts")
        assert all(h == "yes" for _, h in hook.bodies), "custom header missing"
        def scrape():
            return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                          timeout=5).read().decode()
        wait_for(lambda: "vigil_events_total{" in scrape(), 5, "a refresh of the counters")
        text = scrape()
        assert "# TYPE vigil_alerts_total counter" in text, text[:500]
        m = re.search(r'vigil_alerts_total\{rule="Read sensitive file"\} (\d+)', text)
        assert m and int(m.group(1)) >= 3, text[:1500]
        assert re.search(r'vigil_events_total\{type="open"\} \d+', text), text[:800]
        assert 'vigil_output_sent_total{sink="webhook"}' in text
        # a client that says nothing does not hold up another scrape
        idle = socket.create_connection(("127.0.0.1", metrics_port))
        t0 = time.time()
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=5).read()
        assert time.time() - t0 < 1.0, "scrape waited for the silent client"
        idle.close()
        r = urllib.request.Request("http://127.0.0.1:%d/nothing" % metrics_port)
        try:
            urllib.request.urlopen(r, timeout=5)
            assert False, "/nothing answered 200"
        except urllib.error.HTTPError as e:
            assert e.code == 404
    run_test("webhook_delivers_and_metrics_scrape", chk_webhook_and_metrics)

    def chk_webhook_outage():
        before = len(rule_alerts(hook.bodies))
        hook.down()
        shadow_reads(3, "refused")
        time.sleep(2)
        hook.up("503")
        shadow_reads(2, "503")
        time.sleep(2)
        # vigil restarts while the endpoint still fails: the queue is on disk
        v.stop()
        hook.down()
        v2 = Vigil(args, tmp=tmp, command="run", state=state).start()
        shadow_reads(2, "after-restart")
        hook.up("ok")
        wait_for(lambda: len(rule_alerts(hook.bodies)) >= before + 7, 90, "queued alerts delivered")
        time.sleep(2)
        got = rule_alerts(hook.bodies)[before:]
        tags = [m.group(1) for m in (re.search(r"/nonexistent/tag-([\w-]+?)[\"\s]",
                                                json.dumps(e)) for e in got) if m]
        want = ["refused-0", "refused-1", "refused-2", "503-0", "503-1", "after-restart-0",
                "after-restart-1"]
        v2.stop()
        assert tags == want, "delivered %s, wanted each once in order %s" % (tags, want)
    run_test("webhook_outage_and_restart_lose_nothing_once_in_order", chk_webhook_outage)

    def chk_syslog_tcp():
        v3 = Vigil(args + tcp_args, tmp=tmp, command="run", state=state).start()
        shadow_reads(2, "tcp")
        wait_for(lambda: len([f for f in tcp.frames if "Read sensitive file" in f]) >= 2, 10,
                 "TCP syslog frames")
        f = [f for f in tcp.frames if "Read sensitive file" in f][0]
        body = f[f.index("] ") + 2:]
        assert json.loads(body)["rule"] == "Read sensitive file", f[:300]
        v3.stop()
    run_test("syslog_tcp_octet_counted_json", chk_syslog_tcp)

    def chk_bad_config():
        cfg = os.path.join(tmp, "bad.yaml")
        with open(cfg, "w") as f:
            f.write("output:\n  webhook:\n    url: ftp://example\n")
        p = subprocess.run([VIGIL, "config", "check", cfg], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 1 and b"output.webhook.url" in p.stderr, p.stderr
        p = subprocess.run([VIGIL, "run", "--state-dir", state, "--set",
                            "output.syslog.address=udp:host"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        assert p.returncode != 0 and b"output.syslog.address" in p.stderr, p.stderr[-300:]
    run_test("bad_output_settings_refused", chk_bad_config)


if __name__ == "__main__":
    main_guard(main)

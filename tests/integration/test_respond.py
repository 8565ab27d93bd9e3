#!/usr/bin/env python3
"""test_respond.py - response actions on real podman containers.

A rule alert from a container kills the offending process (and only it:
the container's loop goes on), recorded as an action with its trigger
and outcome; in dry run the same alert is recorded "dry-run" and nothing
dies.  Through `vigil respond`: freeze stops every process of one
container (its counter stalls, the other container's does not) and thaw
resumes it; isolate cuts a container's network but loopback, release
restores it; stop kills every process of one container and leaves the
other running; pid 1 and vigil itself are refused as protected."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, Vigil, at_cleanup, log, main_guard,  # noqa: E402
                       mkdtemp, run_test)

IMAGE = "localhost/vigil-busybox:latest"
RUN = ["run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "host", "-d"]
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
PREFIX = "vigil-test-resp%d-" % os.getpid()
LOOP = r"""
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
i=0
while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.2; done
"""
RESPONSE = """\
actions:
  - {match: {rule: "Read sensitive file", container.name: "%s*"}, action: kill_process}
rate_limit: {per_workload: 100/min, global: 1000/min}
"""
BASE = ["--set", "output.events=false", "--set", "model.enabled=false",
        "--set", "enforce.fail_mode=open", "--set", "alerts.enabled=false"]

_names = []


def podman(*args, check=True, timeout=60):
    p = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    if check:
        assert p.returncode == 0, "podman %s: %s" % (" ".join(args[:4]), p.stderr.decode()[-400:])
    return p


def start(name):
    _names.append(name)
    podman(*(RUN + ["--name", name, IMAGE, "sh", "-c", LOOP]))
    deadline = time.time() + 20
    while counter(name) < 1 and time.time() < deadline:
        time.sleep(0.2)


def counter(name):
    """The container's loop count.  The shell truncates the file before it
    writes the number, so an empty read means "being written": read again
    (a container frozen between the two stays empty; that reads as -1)."""
    deadline = time.time() + 1
    while True:
        try:
            with open(os.path.join(root_of(name), "tmp", "counter")) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except (OSError, ValueError):
            pass
        if time.time() > deadline:
            return -1
        time.sleep(0.02)


_roots = {}


def root_of(name):
    """Read the container's files from the host (a frozen container answers no exec)."""
    if name not in _roots:
        _roots[name] = podman("mount", name).stdout.decode().strip()
    return _roots[name]


def remove_all():
    for n in _names:
        subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", n], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


def lines(v):
    out = []
    with open(v.out_path, "rb") as f:
        for raw in f.read().split(b"\n"):
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def actions(v):
    return [e for e in lines(v) if e.get("kind") == "action"]


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = pred()
        if r:
            return r
        time.sleep(0.1)
    raise AssertionError("no %s within %ds" % (what, timeout))


def respond(state, action, target):
    p = subprocess.run([VIGIL, "respond", action, target, "--state-dir", state],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    try:
        rec = json.loads(p.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        rec = {}
    return p.returncode, rec, p.stderr.decode()


def offender(name):
    """A process in the container holding /etc/shadow open, then sleeping."""
    podman("exec", "-d", name, "sh", "-c", "exec 3</etc/shadow; exec sleep 1000")
    return wait_for(lambda: [p for p in pids_in(name) if "sleep 1000" in p[1]], 10, "offender")[0][0]


def pids_in(name):
    out = podman("top", name, "pid", "args", check=False).stdout.decode().splitlines()[1:]
    res = []
    for line in out:
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            res.append((int(parts[0]), parts[1]))
    return res


class Server:
    def __init__(self, host):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
                c.close()
            except OSError:
                return


def host_address():
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         stdout=subprocess.PIPE).stdout.decode()
    for line in out.splitlines():
        return line.split()[3].split("/")[0]
    return None


def connects(name, addr, port):
    r = podman("exec", name, "nc", "-w", "2", addr, str(port), check=False, timeout=30)
    return r.returncode == 0, (r.stderr + r.stdout).decode()


def main():
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        subprocess.run(["bash", MAKE_IMAGE], check=True, timeout=300)
    at_cleanup(remove_all)
    tmp = mkdtemp()
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    resp = os.path.join(tmp, "response.yaml")
    with open(resp, "w") as f:
        f.write(RESPONSE % PREFIX)
    a, b = PREFIX + "a", PREFIX + "b"
    v = Vigil(BASE + ["--set", "response.file=" + resp], tmp=tmp, command="run",
              state=state).start()
    start(a)
    start(b)
    time.sleep(2)   # metadata known

    def chk_kill_on_alert():
        podman("exec", "-d", a, "sh", "-c", "exec 3</etc/shadow; exec sleep 1000")
        acts = wait_for(lambda: [e for e in actions(v) if e["action"] == "kill_process"], 10,
                        "action record")
        e = acts[0]
        assert e["outcome"] == "done" and e["trigger"]["rule"] == "Read sensitive file", e
        assert not [p for p in pids_in(a) if "sleep 1000" in p[1]], "the offender lives on"
        assert e["workload"]["name"] == a, e["workload"]
        before = counter(a)
        time.sleep(1)
        assert counter(a) > before, "the container's loop died with the offender"
    run_test("rule_alert_kills_the_offending_process_only", chk_kill_on_alert)

    def chk_freeze_thaw():
        b0 = counter(b)
        rc, rec, err = respond(state, "freeze", a)
        try:
            assert rc == 0 and rec.get("outcome") == "done", (rc, rec, err)
            c1, b1 = counter(a), counter(b)
            time.sleep(1.5)
            assert counter(a) == c1, "frozen container kept counting"
            b2 = counter(b)
            assert b2 > b1, "the other container was frozen too (its counter %d, %d, %d; %s)" % (
                b0, b1, b2, rec)
            rc, rec, err = respond(state, "freeze", a)
            assert rec.get("outcome", "").startswith("already"), rec
        finally:
            # a failed check must not leave the container frozen for the next tests
            rc, rec, err = respond(state, "thaw", a)
        assert rc == 0 and rec.get("outcome") == "done", (rc, rec, err)
        time.sleep(1)
        assert counter(a) > c1, "thawed container does not count"
    run_test("freeze_and_thaw_one_container", chk_freeze_thaw)

    def chk_isolate():
        addr = host_address()
        far, near = Server("0.0.0.0"), Server("127.0.0.1")
        assert addr, "no global address on this machine"
        ok, out = connects(a, addr, far.port)
        assert ok, "connect before isolation failed: %s" % out
        rc, rec, err = respond(state, "isolate", a)
        try:
            assert rc == 0 and rec.get("outcome") == "done", (rc, rec, err)
            ok, out = connects(a, addr, far.port)
            assert not ok and "not permitted" in out, "isolated container connected: %s" % out
            ok, out = connects(a, "127.0.0.1", near.port)
            assert ok, "isolation cut loopback: %s" % out
            ok, out = connects(b, addr, far.port)
            assert ok, "the other container was isolated: %s" % out
        finally:
            rc, rec, err = respond(state, "release", a)
        assert rc == 0 and rec.get("outcome") == "done", (rc, rec, err)
        ok, out = connects(a, addr, far.port)
        assert ok, "connect after release failed: %s" % out
    run_test("isolate_cuts_network_but_loopback_release_restores", chk_isolate)

    def chk_protected():
        rc, rec, err = respond(state, "kill", "1")
        assert rc == 1 and "protected" in rec.get("outcome", ""), (rc, rec, err)
        rc, rec, err = respond(state, "kill", str(v.proc.pid))
        assert rc == 1 and "protected" in rec.get("outcome", ""), (rc, rec, err)
        assert v.alive(), "vigil killed itself"
    run_test("protected_processes_never_touched", chk_protected)

    def chk_stop():
        rc, rec, err = respond(state, "stop", a)
        assert rc == 0 and rec.get("outcome") == "done", (rc, rec, err)
        wait_for(lambda: podman("inspect", "-f", "{{.State.Running}}", a,
                                check=False).stdout.decode().strip() == "false", 15,
                 "container a stopped")
        b1 = counter(b)
        time.sleep(1)
        assert counter(b) > b1, "the other container stopped too"
    run_test("stop_kills_one_container_whole", chk_stop)
    v.stop()

    def chk_dry_run():
        v2 = Vigil(BASE + ["--set", "response.file=" + resp, "--set", "response.dry_run=true"],
                   tmp=tmp, command="run", state=state).start()
        time.sleep(2)
        pid = offender(b)
        rec = wait_for(lambda: [e for e in actions(v2) if e["action"] == "kill_process"], 10,
                       "dry-run record")[0]
        assert rec["outcome"] == "dry-run", rec
        assert [p for p in pids_in(b) if p[0] == pid], "dry run killed the process"
        v2.stop()
    run_test("dry_run_records_and_does_nothing", chk_dry_run)


if __name__ == "__main__":
    main_guard(main)

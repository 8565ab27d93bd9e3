#!/usr/bin/env python3
"""test_models.py - behaviour models against real podman containers.

A container runs a benign loop (execs tools, reads its config, writes many
files to its data dir, talks to a loopback service).  vigil runs with
short learning periods; the model must switch to monitoring by itself,
stay silent while the loop repeats, and raise exactly one anomaly alert,
naming the novelty, for each of: a new binary, a read of /etc/shadow, a
connect to a new port.  A second container of the same image has its own
model (started informed by the image's group model: silent).  After a
restart of vigil the model is still monitoring and remembers what it
learned.  The model commands (models, model show/relearn) are checked on
the result."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, Vigil, at_cleanup, log, main_guard,  # noqa: E402
                       mkdtemp, run_test)

IMAGE = "localhost/vigil-busybox:latest"
RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "none", "-d"]
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
PREFIX = "vigil-test-model%d-" % os.getpid()
LEARN = ["--learning-min", "8s", "--learning-quiet", "5s", "--rules", "none",
         "--set", "output.events=false", "--set", "model.hosts=false",
         "--set", "model.save_interval=1s"]

# The workload: a loopback server, then once a second: read the config,
# list and write the data dir (five new names each time: the directory
# generalises), call the server, run whatever /tmp/cmd holds (":" at
# first; the test swaps it from the host through the container's mounted
# root, so nothing runs in the container but the loop).  Busybox runs most
# applets without an exec, so "a new binary" is a copy of busybox staged at
# start and never run while learning.
LOOP = r"""
echo port=7000 > /etc/app.conf
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
cp /bin/busybox /tmp/tool
cp /bin/busybox /tmp/tool2
echo : > /tmp/cmd
mkdir -p /data
nc -ll -p 7000 -e /bin/true &
i=0
while true; do
  cat /etc/app.conf > /dev/null
  ls /data > /dev/null
  for j in 1 2 3 4 5; do echo $i > /data/out-$i-$j; done
  nc -w 1 127.0.0.1 7000 < /dev/null > /dev/null 2>&1
  . /tmp/cmd
  i=$((i+1))
  sleep 1
done
"""

_names = []


def podman(*args, timeout=90):
    p = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    assert p.returncode == 0, "podman %s: %s" % (" ".join(args[:4]), p.stderr.decode()[-400:])
    return p.stdout.decode().strip()


def start_container(name):
    _names.append(name)
    return podman(*(RUN[1:] + ["--name", name, IMAGE, "sh", "-c", LOOP]))


def remove_all():
    for n in _names:
        subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", n], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


_roots = {}


def set_cmd(tmp, name, text):
    """Replace /tmp/cmd from the host, through the container's root as
    `podman mount` shows it: a host process writing a host path, not an
    action inside the container."""
    if name not in _roots:
        _roots[name] = podman("mount", name)
    path = os.path.join(_roots[name], "tmp", "cmd")
    with open(path + ".new", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".new", path)


def lines(v):
    out = []
    with open(v.out_path, "rb") as f:
        for raw in f.read().split(b"\n"):
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def wait_for(v, pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = [e for e in lines(v) if pred(e)]
        if hits:
            return hits[0]
        assert v.alive(), "vigil exited: " + v._read_err()[-500:]
        time.sleep(0.3)
    raise AssertionError("no %s within %ds; stderr: %s" % (what, timeout, v._read_err()[-400:]))


def anomalies(v, cid):
    return [e for e in lines(v) if e.get("kind") == "anomaly" and
            e.get("workload", {}).get("id") == cid]


def mode_event(cid, mode):
    return lambda e: (e.get("event") == "model_mode" and e["model"]["id"] == "container:" + cid
                      and e["model"]["mode"] == mode)


def vigil_cmd(state, *args):
    p = subprocess.run([VIGIL] + list(args) + ["--state-dir", state], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        subprocess.run(["bash", MAKE_IMAGE], check=True, timeout=300)
    at_cleanup(remove_all)
    tmp = mkdtemp()
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    v = Vigil(LEARN, tmp=tmp, command="run", state=state).start()
    a_name = PREFIX + "a"
    a = start_container(a_name)
    log("container a %s learning" % a[:12])

    def chk_learns_then_monitors():
        e = wait_for(v, mode_event(a, "monitoring"), 60, "switch to monitoring")
        assert e["model"]["previous"] == "learning" and e["workload"]["id"] == a, e
    run_test("model_switches_to_monitoring_by_itself", chk_learns_then_monitors)

    def chk_silent_loop():
        time.sleep(6)  # six more rounds of the same loop
        got = anomalies(v, a)
        assert not got, "the benign loop raised anomalies: %s" % [x["output"] for x in got]
    run_test("benign_loop_stays_silent_in_monitoring", chk_silent_loop)

    def novelty(cmd, category, needle):
        before = len(anomalies(v, a))
        set_cmd(tmp, a_name, cmd)
        time.sleep(2.5)
        set_cmd(tmp, a_name, ":")
        time.sleep(3)  # the alert window closes, the loop ran the command twice
        new = anomalies(v, a)[before:]
        assert len(new) == 1, "expected one anomaly for %r, got %d: %s" % (
            cmd, len(new), [x["output"] for x in new])
        an = new[0]
        hits = [n for n in an["anomaly"]["novelties"]
                if n["category"] == category and needle in n["value"]]
        assert hits, "anomaly does not name %s %s: %s" % (category, needle, an["anomaly"])
        for k in ("time", "rule", "priority", "output", "output_fields", "tags", "source",
                  "hostname", "proc", "workload"):
            assert k in an, "anomaly lacks %s" % k
        assert needle in an["output"] and an["workload"]["name"] == a_name, an["output"]

    run_test("new_binary_one_anomaly", lambda: novelty("/tmp/tool true", "exec", "/tmp/tool"))
    run_test("shadow_read_one_anomaly",
             lambda: novelty("cat /etc/shadow > /dev/null", "read", "/etc/shadow"))
    run_test("new_port_one_anomaly",
             lambda: novelty("nc -w 1 127.0.0.1 7001 < /dev/null > /dev/null 2>&1",
                             "net_out", "127.0.0.1:7001"))

    b_name = PREFIX + "b"
    b = start_container(b_name)

    def chk_second_container():
        wait_for(v, lambda e: e.get("event") == "model_mode" and
                 e["model"]["id"] == "container:" + b, 30, "model of the second container")
        time.sleep(5)
        got = anomalies(v, b)
        assert not got, "second replica alerted on what its image does: %s" % [
            x["output"] for x in got]
    run_test("second_container_own_model_informed_by_group", chk_second_container)

    v.stop()

    def chk_listing():
        rc, out, err = vigil_cmd(state, "models", "--json")
        assert rc == 0, err
        models = {m["id"]: m for m in map(json.loads, out.splitlines())}
        ma, mb = models.get("container:" + a), models.get("container:" + b)
        assert ma and mb and ma is not mb, "models: %s" % list(models)
        assert ma["mode"] == "monitoring" and ma["name"] == a_name, ma
        assert ma["sizes"]["exec"] >= 3 and ma["anomalies"] == 3, ma
        rc, out, err = vigil_cmd(state, "model", "show", a_name)
        assert rc == 0 and "mode: monitoring" in out, out[:300] + err
        assert "/data/*" in out and "/etc/app.conf" in out and "/etc/shadow" in out, out
    run_test("models_listed_and_shown_after_stop", chk_listing)

    v2 = Vigil(LEARN, tmp=tmp, command="run", state=state).start()

    def chk_restart():
        time.sleep(3)
        assert not [e for e in lines(v2) if mode_event(a, "learning")(e)], "model reset"
        set_cmd(tmp, a_name, "/tmp/tool true; /tmp/tool2 true")
        time.sleep(2.5)
        set_cmd(tmp, a_name, ":")
        time.sleep(3)
        got = anomalies(v2, a)
        assert len(got) == 1, "after restart: %s" % [x["output"] for x in got]
        cats = [(n["category"], n["value"]) for n in got[0]["anomaly"]["novelties"]]
        assert any("/tmp/tool2" in val for _, val in cats), cats
        assert not any("/tmp/tool[" in val or "/tmp/tool <-" in val for _, val in cats), \
            "forgot /tmp/tool across restart: %s" % cats
    run_test("restart_keeps_models_and_mode", chk_restart)

    def chk_relearn():
        rc, out, err = vigil_cmd(state, "model", "relearn", a_name)
        assert rc == 0 and "requested" in out, out + err
        wait_for(v2, mode_event(a, "learning"), 10, "relearn")
    run_test("relearn_request_reaches_the_agent", chk_relearn)
    v2.stop()
    run_test("clean_exit", v2.assert_clean_exit)


if __name__ == "__main__":
    main_guard(main)

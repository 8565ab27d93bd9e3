#!/usr/bin/env python3
"""test_alerts.py - the alert pipeline on a real recording.

A benign but chatty workload (a busybox container whose loop starts a
shell every 100 ms and reads /etc/shadow, plus host shells reading
shadow files) is recorded once with the default rules.  Replayed with the
pipeline off it is hundreds of alert lines; with the pipeline on it is a
handful of incidents and a few dozen lines, every alert accounted for in
the incident counts.  An exception file silences one rule for that image
only; an expired exception does not apply and says so; a broken one is
refused with its line and column.  The numbers are printed."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (QUICK, REPO, VIGIL, READY_TIMEOUT, at_cleanup, log,  # noqa: E402
                       main_guard, mkdtemp, run_test)

IMAGE = "localhost/vigil-busybox:latest"
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
NAME = "vigil-test-alerts%d" % os.getpid()
LOOP = r"""
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
while true; do
  /bin/sh -c 'cat /etc/shadow > /dev/null'
  sleep 0.1
done
"""


def jsonl(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def record(tmp, seconds):
    path = os.path.join(tmp, "chatty.vrec")
    err_path = os.path.join(tmp, "record.err")
    with open(os.path.join(tmp, "record.out"), "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([VIGIL, "record", path, "--state-dir", os.path.join(tmp, "st"),
                                 "--set", "output.events=false", "--set", "model.enabled=false"],
                                stdout=out, stderr=err, cwd=REPO, start_new_session=True)
    at_cleanup(lambda: proc.poll() is None and proc.kill())
    deadline = time.time() + READY_TIMEOUT
    while "sensor ready" not in open(err_path).read():
        assert proc.poll() is None and time.time() < deadline, open(err_path).read()[-500:]
        time.sleep(0.05)
    subprocess.run(["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
                    "--ulimit", "nproc=1024:1024", "--network", "none", "-d", "--name", NAME,
                    IMAGE, "sh", "-c", LOOP], check=True, stdout=subprocess.DEVNULL, timeout=90)
    end = time.time() + seconds
    while time.time() < end:
        subprocess.run(["sh", "-c", "cat /etc/shadow > /dev/null"])
        time.sleep(0.5)
    subprocess.run(["podman", "rm", "-f", "-t", "0", NAME], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, open(err_path).read()[-500:]
    return path


def replay(path, *args):
    r = subprocess.run([VIGIL, "replay", path] + list(args), cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    assert r.returncode == 0, r.stderr.decode()[-500:]
    return jsonl(r.stdout.decode()), r.stderr.decode()


def main():
    if QUICK:   # the sanitizer run: the pipeline has its own ASan unit tests
        log("skipped under VIGIL_QUICK")
        return
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        subprocess.run(["bash", MAKE_IMAGE], check=True, timeout=300)
    at_cleanup(lambda: subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", NAME],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    tmp = mkdtemp()
    path = record(tmp, 20)
    raw, _ = replay(path, "--set", "alerts.enabled=false")
    piped, _ = replay(path)
    raw_alerts = [e for e in raw if "rule" in e]

    def chk_noise():
        incidents = {e["incident_id"] for e in piped if "severity" in e and "incident_id" in e}
        finals = {}
        for e in piped:
            if "severity" in e and "incident_id" in e:
                finals[e["incident_id"]] = e
        alerts_out = [e for e in piped if "rule" in e]
        log("benign recording: %d alert lines without the pipeline; with it %d lines "
            "(%d alerts incl. summaries, %d incident records), %d incidents"
            % (len(raw_alerts), len(piped), len(alerts_out),
               len([e for e in piped if "severity" in e]), len(incidents)))
        assert len(raw_alerts) >= 150, "the chatty workload gave only %d alerts" % len(raw_alerts)
        assert len(piped) * 4 <= len(raw_alerts), "pipeline output not much smaller: %d vs %d" % (
            len(piped), len(raw_alerts))
        assert 1 <= len(incidents) <= 6, "incidents: %d" % len(incidents)
        # nothing lost: every alert is counted in a final incident version
        counted = sum(f.get("alert_count", 0) for f in finals.values())
        assert counted == len(raw_alerts), "incidents count %d alerts, the stream had %d" % (
            counted, len(raw_alerts))
        cont = [f for f in finals.values() if f.get("workload", {}).get("name") == NAME]
        assert cont and cont[0]["closed"] and cont[0]["title"], cont[:1]
    run_test("benign_recording_gives_a_handful_of_incidents", chk_noise)

    def chk_exception():
        ex = os.path.join(tmp, "exceptions.yaml")
        with open(ex, "w") as f:
            f.write("exceptions:\n"
                    "  - name: busybox-shells\n"
                    "    match: {rule: \"Shell in container\"}\n"
                    "    workload: {container.image: \"*vigil-busybox*\"}\n")
        out, _ = replay(path, "--set", "alerts.exceptions=" + ex, "--set",
                        "alerts.rate_limit=100000", "--set", "alerts.global_rate_limit=1000000")
        shells = [e for e in out if e.get("rule") == "Shell in container"]
        assert not shells, "silenced rule still alerted: %d" % len(shells)
        others = [e for e in out if e.get("rule") == "Read sensitive file"]
        assert others, "the exception silenced other rules too"
        with open(ex, "w") as f:
            f.write("exceptions:\n"
                    "  - name: old\n"
                    "    match: {rule: \"Shell in container\"}\n"
                    "    expires: 2020-01-01T00:00:00Z\n")
        out, err = replay(path, "--set", "alerts.exceptions=" + ex)
        assert [e for e in out if e.get("rule") == "Shell in container"], "expired exception applied"
        assert "expired" in err, err[-400:]
        with open(ex, "w") as f:
            f.write("exceptions:\n  - name: bad\n    match: {rule: x}\n    when: {hours: \"25:00-26:00\"}\n")
        r = subprocess.run([VIGIL, "replay", path, "--set", "alerts.exceptions=" + ex],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode != 0 and (ex + ":4:").encode() in r.stderr, r.stderr[-400:]
    run_test("exceptions_silence_expire_and_refuse_bad_files", chk_exception)


if __name__ == "__main__":
    main_guard(main)

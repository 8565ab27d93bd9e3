#!/usr/bin/env python3
"""test_replay.py - vigil record / replay and the rules command line.

A recording made while real processes run must replay into exactly the
alerts the live run wrote (same rules, processes, exec ids, outputs); a
damaged recording must be refused with a clear message after replaying
what came before; `vigil rules check` must report Falco's upstream files
and name the file, line and column of an error; `vigil run --rules`
must refuse a file it cannot load before starting."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, READY_TIMEOUT, main_guard, mkdtemp,  # noqa: E402
                       record, run_test, at_cleanup)

FALCO_DIRS = [os.path.join(REPO, "..", "shared", "compat"), "/work/shared/compat"]
FALCO_FILES = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]


def falco_args():
    for d in FALCO_DIRS:
        if os.path.exists(os.path.join(d, FALCO_FILES[0])):
            args = []
            for f in FALCO_FILES:
                args += ["--rules", os.path.join(d, f)]
            return args
    return None


def alerts_of(text):
    out = []
    for line in text.splitlines():
        obj = json.loads(line)
        if "rule" in obj:
            out.append(obj)
    return out


def key(a):
    return (a["rule"], a["proc"]["pid"], a["proc"].get("exec_id"), a["output"])


def record_session(tmp, actions):
    """vigil record while actions() runs; returns (recording, live alerts, stderr)."""
    path = os.path.join(tmp, "session.vrec")
    out_path = os.path.join(tmp, "record.out")
    err_path = os.path.join(tmp, "record.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([VIGIL, "record", path, "--state-dir", os.path.join(tmp, "st"),
                                 "--set", "output.events=false"],
                                stdout=out, stderr=err, cwd=REPO, start_new_session=True)
    at_cleanup(lambda: proc.poll() is None and proc.kill())
    deadline = time.time() + READY_TIMEOUT
    while "sensor ready" not in open(err_path).read():
        assert proc.poll() is None, "vigil record exited: " + open(err_path).read()[-500:]
        assert time.time() < deadline, "vigil record never got ready"
        time.sleep(0.05)
    result = actions()
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, "vigil record failed: " + open(err_path).read()[-500:]
    return path, alerts_of(open(out_path).read()), open(err_path).read(), result


def replay(path, *args):
    r = subprocess.run([VIGIL, "replay", path] + list(args), cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def main():
    tmp = mkdtemp()

    def actions():
        pids = []
        for target in ("/etc/shadow", "/etc/gshadow"):
            p = subprocess.Popen(["cat", target], stdout=subprocess.DEVNULL)
            p.wait()
            pids.append(p.pid)
        benign = subprocess.Popen(["cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
        benign.wait()
        return pids, benign.pid

    path, live, rec_err, (pids, benign_pid) = record_session(tmp, actions)

    def chk_live():
        mine = [a for a in live if a["proc"]["pid"] in pids]
        assert len(mine) == 2 and all(a["rule"] == "Read sensitive file" for a in mine), \
            "live alerts for the two reads: %r" % [key(a) for a in mine]
        assert not [a for a in live if a["proc"]["pid"] == benign_pid], "benign read alerted"
        assert "recorded" in rec_err and os.path.getsize(path) > 1000, rec_err[-300:]
    run_test("record_live_alerts", chk_live)

    def chk_same():
        rc, out, err = replay(path)
        assert rc == 0, "replay failed: %s" % err[-500:]
        replayed = alerts_of(out)
        assert sorted(map(key, replayed)) == sorted(map(key, live)), \
            "replay differs:\n live %r\n replay %r" % (sorted(map(key, live)), sorted(map(key, replayed)))
        assert "events/s per core" in err and "0 decode errors, 0 bad frames" in err, err[-300:]
    run_test("replay_gives_the_live_alerts", chk_same)

    def chk_falco():
        args = falco_args()
        if args is None:
            return
        rc, out, err = replay(path, *args)
        assert rc == 0, err[-500:]
        hits = [a for a in alerts_of(out) if a["proc"]["pid"] == pids[0]]
        assert any(a["rule"] == "Read sensitive file untrusted" for a in hits), \
            "Falco's rule did not fire on cat /etc/shadow: %r" % [a["rule"] for a in hits]
        a = hits[0]
        for k in ("time", "rule", "priority", "output", "output_fields", "tags", "source", "hostname"):
            assert k in a, "alert lacks %s: %r" % (k, a)
        assert a["output_fields"].get("fd.name") == "/etc/shadow", a["output_fields"]
        assert a["source"] == "syscall" and "workload" in a
    run_test("replay_with_falco_upstream_rules", chk_falco)

    def chk_damaged():
        data = open(path, "rb").read()
        cut = os.path.join(tmp, "cut.vrec")
        with open(cut, "wb") as f:
            f.write(data[:len(data) - 5])
        rc, out, err = replay(cut)
        assert rc == 1 and "damaged recording" in err, "rc %d: %s" % (rc, err[-300:])
        junk = os.path.join(tmp, "junk.vrec")
        with open(junk, "wb") as f:
            f.write(b"\x00garbage" * 100)
        rc, out, err = replay(junk)
        assert rc == 1 and "not a vigil recording" in err, "rc %d: %s" % (rc, err[-300:])
        rc, out, err = replay(os.path.join(tmp, "missing.vrec"))
        assert rc == 1 and "cannot open" in err, err
    run_test("replay_refuses_damaged_recordings", chk_damaged)

    def chk_rules_check():
        args = falco_args()
        if args is not None:
            files = args[1::2]
            r = subprocess.run([VIGIL, "rules", "check"] + files, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            text = r.stdout.decode()
            assert r.returncode == 0 and "118 lists, 315 macros, 93 rules: 82 usable" in text, text[:400]
            assert "unavailable: Java Process Class File Download:" in text, text
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("- macro: m\n  condition: proc.name = x\n"
                    "- rule: r\n  desc: d\n  condition: evt.type = open and m and nosuch\n"
                    "  output: o\n  priority: warning\n")
        r = subprocess.run([VIGIL, "rules", "check", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode()
        assert r.returncode == 1 and (bad + ":3:3:") in err and "undefined macro 'nosuch'" in err, err
        r = subprocess.run([VIGIL, "run", "--rules", bad, "--state-dir", os.path.join(tmp, "s2")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode()
        assert r.returncode == 2 and "undefined macro" in err and "sensor ready" not in err, err
    run_test("rules_check_and_run_refuse_bad_rules", chk_rules_check)


if __name__ == "__main__":
    main_guard(main)

#!/usr/bin/env python3
"""test_store.py - the audit store outlives the container.

A container runs an attack sequence (shell, credential read, cron write,
authorized_keys, a connect to a mining port) and is removed.  Afterwards,
with the agent stopped, `vigil incidents` lists the incident, `vigil
incident show N` prints its timeline and process tree, and `vigil events
--container NAME` lists the container's events (table and JSON lines in
the event shape).  Crash safety: vigil is killed with SIGKILL while a
loop creates ~2000 files a second; the database passes PRAGMA
integrity_check and the stored creations are a gap-free prefix missing
at most about a second.  Disk full: with the store on a 256 KiB tmpfs the
error is said once and alerts keep flowing to stdout."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, Vigil, at_cleanup, log, main_guard,  # noqa: E402
                       mkdtemp, run_test)

IMAGE = "localhost/vigil-busybox:latest"
RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "none"]
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
NAME = "vigil-test-store%d" % os.getpid()
ATTACK = r"""
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
sleep 1
/bin/sh -c 'cat /etc/shadow > /dev/null'
mkdir -p /etc/cron.d /root/.ssh
/bin/sh -c 'echo "* * * * * root sh" > /etc/cron.d/evil'
/bin/sh -c 'echo ssh-ed25519 AAAA >> /root/.ssh/authorized_keys'
/bin/sh -c 'nc -w 1 127.0.0.1 3333 < /dev/null' || true
sleep 1
"""
BASE = ["--set", "output.events=false", "--set", "model.enabled=false",
        "--set", "enforce.fail_mode=open"]


def vigil_cmd(state, *args):
    p = subprocess.run([VIGIL] + list(args) + ["--state-dir", state], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        subprocess.run(["bash", MAKE_IMAGE], check=True, timeout=300)
    at_cleanup(lambda: subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", NAME],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    tmp = mkdtemp()
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    v = Vigil(BASE, tmp=tmp, command="run", state=state).start()
    subprocess.run(RUN + ["--name", NAME, IMAGE, "sh", "-c", ATTACK], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    subprocess.run(["podman", "rm", "-f", "-t", "0", NAME], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    time.sleep(1)
    v.stop()

    def chk_incident_after_container_gone():
        rc, out, err = vigil_cmd(state, "incidents", "--json")
        assert rc == 0, err
        incs = [json.loads(l) for l in out.splitlines() if l.strip()]
        mine = [i for i in incs if i.get("workload", {}).get("name") == NAME]
        assert mine, "no incident for %s: %s" % (NAME, out[:800])
        inc = mine[0]
        rules = {r["rule"] for r in inc["rules"]}
        assert {"Read sensitive file", "Cron job written"} <= rules, rules
        rc, table, err = vigil_cmd(state, "incidents")
        assert rc == 0 and NAME[:17] in table, table[:600]
        rc, show, err = vigil_cmd(state, "incident", "show", str(inc["incident_id"]))
        assert rc == 0, err
        log("incident show:\n" + show[:1500])
        assert "Read sensitive file" in show and "Cron job written" in show, show[:1500]
        assert re.search(r"(?i)process tree", show), show[:1500]
        assert "cat" in show and "/etc/shadow" in show, show[:1500]
    run_test("incident_show_after_container_removed", chk_incident_after_container_gone)

    def chk_events_by_container():
        rc, out, err = vigil_cmd(state, "events", "--container", NAME)
        assert rc == 0, err
        assert "exec" in out and "/etc/cron.d/evil" in out, out[:1500]
        rc, out, err = vigil_cmd(state, "events", "--container", NAME, "--type", "exec", "--json")
        assert rc == 0, err
        evs = [json.loads(l) for l in out.splitlines() if l.strip()]
        assert evs and all(e["event"] == "exec" for e in evs), out[:500]
        assert all(e["workload"]["name"] == NAME for e in evs), evs[0]
        assert any(e["proc"]["exe"] == "/bin/busybox" for e in evs), [e["proc"]["exe"] for e in evs]
        rc, out, err = vigil_cmd(state, "events", "--since", "yesterday")
        assert rc == 2 and "--since" in err, (rc, err)
    run_test("events_by_container_table_and_json", chk_events_by_container)

    def chk_kill9_integrity():
        st2 = os.path.join(tmp, "state2")
        os.makedirs(st2)
        v2 = Vigil(BASE + ["--rules", "none", "--set", "store.events=all"], tmp=tmp,
                   command="run", state=st2).start()
        work = os.path.join(tmp, "burst")
        os.makedirs(work)
        loop = subprocess.Popen(["python3", "-c", """
import os, sys, time
d = sys.argv[1]; n = 0
while True:
    t = time.time()
    for _ in range(20):
        open(os.path.join(d, "f%07d" % n), "w").close(); n += 1
    time.sleep(max(0, 0.01 - (time.time() - t)))
""", work])
        time.sleep(4)
        v2.proc.send_signal(signal.SIGKILL)
        v2.proc.wait()
        killed_at = len(os.listdir(work))
        loop.kill()
        loop.wait()
        db = sqlite3.connect(os.path.join(st2, "audit.db"))
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        paths = [r[0] for r in db.execute("SELECT path FROM events WHERE path LIKE ?",
                                          (work + "/f%",))]
        nums = sorted({int(p.rsplit("/f", 1)[1]) for p in paths if re.search(r"/f\d+$", p)})
        assert nums, "no file events stored"
        first, last = nums[0], nums[-1]
        gaps = (last - first + 1) - len(nums)
        lost = killed_at - 1 - last
        rate = killed_at / 4.0
        log("kill -9 at ~%d files (%.0f/s): stored %d..%d, %d gaps, %d lost (%.0f ms)"
            % (killed_at, rate, first, last, gaps, lost, 1000.0 * lost / rate))
        assert gaps == 0, "stored creations have %d gaps" % gaps
        assert lost <= rate * 1.0, "lost %d records (%.0f ms) at kill -9" % (lost, 1000.0 * lost / rate)
    run_test("kill9_store_intact_loss_bounded", chk_kill9_integrity)

    def chk_disk_full():
        small = os.path.join(tmp, "small")
        os.makedirs(small)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small], check=True)
        at_cleanup(lambda: subprocess.run(["umount", "-l", small]))
        v3 = Vigil(BASE + ["--set", "store.events=all", "--set",
                           "store.path=" + os.path.join(small, "audit.db")],
                   tmp=tmp, command="run", state=os.path.join(tmp, "state3")).start()
        fill = os.path.join(tmp, "fill")
        os.makedirs(fill)
        for i in range(3000):    # plenty of events: the store fills the tmpfs
            with open(os.path.join(fill, "file-with-a-long-name-%06d" % i), "w") as f:
                f.write("x")
        time.sleep(2)
        subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        time.sleep(1)
        v3.stop()
        err = v3.stderr
        assert re.search(r"(?i)full", err), "no disk-full message: %s" % err[-600:]
        # said once per episode (failed ... works again), not once per batch
        fails = len(re.findall(r"writing failed", err))
        assert fails <= len(re.findall(r"writing works again", err)) + 1, err[-1500:]
        alerts = [e for e in v3.events if e.get("rule") == "Read sensitive file"]
        assert alerts, "alerts stopped flowing with the store full"
    run_test("disk_full_error_alerts_keep_flowing", chk_disk_full)


if __name__ == "__main__":
    main_guard(main)

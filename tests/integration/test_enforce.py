#!/usr/bin/env python3
"""test_enforce.py - policies enforced in the kernel on real podman containers.

A container (host network, so it can reach servers this test runs) gets a
policy by name: a blocked executable is killed before it runs (it never
writes its marker) while another runs; a connect to a blocked port gets
EPERM while an allowed one reaches the server; a protected file cannot be
opened while others can; every block is an alert naming the policy and
rule.  A second container that the selector does not name is untouched.
Then: dry run reports without blocking; a reload with a broken file keeps
the policy in force and a good one replaces it; fail-closed keeps the
kernel part in force after kill -9 until `vigil enforce clear`, fail-open
drops it; a policy made from a learned model lets the learned loop run and
kills a new binary."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (REPO, VIGIL, Vigil, at_cleanup, log, main_guard,  # noqa: E402
                       mkdtemp, run_test)

IMAGE = "localhost/vigil-busybox:latest"
RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "-d"]
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
PREFIX = "vigil-test-enf%d-" % os.getpid()
BASE = ["--rules", "none", "--set", "output.events=false", "--set", "model.enabled=false"]
PIN_DIR = "/sys/fs/bpf/vigil-test-%d" % os.getpid()

# Copies of busybox are regular files of their own (the applet links all
# point at one binary), named sh so that busybox runs its shell: the one
# under blocked/ is what the policy blocks, the one under allowed/ not.
BLOCKED, ALLOWED = "/usr/local/blocked/sh", "/usr/local/allowed/sh"
SETUP = r"""
mkdir -p /usr/local/blocked /usr/local/allowed
cp /bin/busybox /usr/local/blocked/sh
cp /bin/busybox /usr/local/allowed/sh
echo 'root:*:19000:0:99999:7:::' > /etc/shadow
while true; do sleep 1; done
"""

# ports container a listens on (host network): one the policy closes to
# inbound connections, one it leaves open
IN_BLOCKED = 20000 + os.getpid() % 20000
IN_OPEN = IN_BLOCKED + 1
POLICY = """\
policy: test-lockdown
selector: {container.name: "%sa"}
process:
  - {action: block, paths: ["/usr/local/blocked/*"]}
  - {action: block, paths: ["/usr/local/allowed/sh"], parent: ["/usr/local/allowed/sh"]}
  - {action: block, paths: ["/bin/wget"]}
network:
  - {action: block, direction: out, cidr: 0.0.0.0/0, ports: [%d]}
  - {action: block, direction: in, ports: [""" + str(IN_BLOCKED) + """], protocol: tcp}
file:
  - {action: block, paths: ["/etc/shadow"], access: [read, write]}
default: allow
"""

_names = []


def podman(*args, timeout=90, check=True):
    p = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    if check:
        assert p.returncode == 0, "podman %s: %s" % (" ".join(args[:4]), p.stderr.decode()[-400:])
    return p


def start_container(name, script=SETUP, network="host"):
    _names.append(name)
    cid = podman(*(RUN[1:] + ["--network", network, "--name", name, IMAGE, "sh", "-c",
                              script])).stdout.decode().strip()
    deadline = time.time() + 20
    while time.time() < deadline:   # the setup copies are in place
        if podman("exec", name, "test", "-f", ALLOWED, check=False).returncode == 0 or \
                script != SETUP:
            return cid
        time.sleep(0.2)
    return cid


def remove_all():
    for n in _names:
        subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", n], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


def in_container(name, *cmd):
    return podman("exec", name, *cmd, check=False, timeout=30)


class Server:
    """A TCP server on every address of this host, counting connections."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            c.close()


def host_address():
    """A non-loopback address of this machine (isolation keeps loopback)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         stdout=subprocess.PIPE).stdout.decode()
    for line in out.splitlines():
        return line.split()[3].split("/")[0]
    subprocess.run(["ip", "link", "add", "vigiltest0", "type", "dummy"], check=False)
    subprocess.run(["ip", "addr", "add", "10.213.0.1/24", "dev", "vigiltest0"], check=False)
    subprocess.run(["ip", "link", "set", "vigiltest0", "up"], check=False)
    at_cleanup(lambda: subprocess.run(["ip", "link", "del", "vigiltest0"], check=False))
    return "10.213.0.1"


def lines(v):
    out = []
    with open(v.out_path, "rb") as f:
        for raw in f.read().split(b"\n"):
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def blocks(v, what=None):
    return [e for e in lines(v) if e.get("kind") == "block" and
            (what is None or e["block"]["what"] == what)]


def wait_err(v, needle, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in v._read_err():
            return
        assert v.alive(), "vigil exited: " + v._read_err()[-600:]
        time.sleep(0.1)
    raise AssertionError("no %r in vigil's log within %ds: %s" % (needle, timeout,
                                                                   v._read_err()[-800:]))


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("no %s within %ds" % (what, timeout))


def vigil_cmd(state, *args):
    p = subprocess.run([VIGIL] + list(args) + ["--state-dir", state], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def exec_killed(name, path):
    """Run path in the container with a marker write; killed = no marker."""
    marker = "/tmp/ran-%d" % time.time_ns()
    r = in_container(name, path, "-c", "echo ran > %s" % marker)
    ran = in_container(name, "test", "-f", marker).returncode == 0
    return r.returncode, ran


def listening(port):
    out = subprocess.run(["ss", "-Htln", "sport = :%d" % port], stdout=subprocess.PIPE).stdout
    return bool(out.strip())


def connects_to(addr, port):
    """A connection from this host within 1.5 s (a dropped SYN is retried
    after a second and dropped again)."""
    try:
        socket.create_connection((addr, port), timeout=1.5).close()
        return True
    except OSError:
        return False


def connect_from(name, addr, port):
    r = in_container(name, "nc", "-w", "2", addr, str(port))
    return r.returncode, r.stderr.decode() + r.stdout.decode()


def main():
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        subprocess.run(["bash", MAKE_IMAGE], check=True, timeout=300)
    at_cleanup(remove_all)
    at_cleanup(lambda: subprocess.run([VIGIL, "enforce", "clear", "--pin-dir", PIN_DIR,
                                       "--state-dir", "/nonexistent"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    tmp = mkdtemp()
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    blocked_srv, allowed_srv = Server(), Server()
    addr = host_address()
    policy_path = os.path.join(tmp, "lockdown.yaml")
    with open(policy_path, "w") as f:
        f.write(POLICY % (PREFIX, blocked_srv.port))
    a_name, b_name = PREFIX + "a", PREFIX + "b"
    pin = ["--set", "enforce.pin_dir=" + PIN_DIR]

    def chk_bad_policies():
        cases = [
            ("policy: p\nselector: {container.name: x}\nnetwork:\n"
             "  - {action: block, cidr: 10.0.0.0/33}\n", ":4:", "prefix"),
            ("policy: p\nselector: {container.nmae: x}\n", ":2:", "container.name"),
            ("policy: p\nselector: {container.name: x}\nprocess:\n"
             "  - {action: block, paths: [bin/sh]}\n", ":4:", "absolute"),
            ("policy: p\nselector: {container.name: x}\nnetwork:\n"
             "  - {action: block, ports: [70000]}\n", ":4:", "port"),
            ("policy: p\nselector: {container.name: x}\nfile: yes\n", ":3:", "list"),
        ]
        for i, (text, where, word) in enumerate(cases):
            path = os.path.join(tmp, "bad%d.yaml" % i)
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([VIGIL, "policy", "check", path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            err = p.stderr.decode()
            assert p.returncode == 1 and (path + where) in err and word in err.lower(), (i, err)
        # warnings: a glob matching nothing, a selector matching no workload
        path = os.path.join(tmp, "warn.yaml")
        with open(path, "w") as f:
            f.write("policy: w\nselector: {container.name: nobody-has-this-name}\nprocess:\n"
                    "  - {action: block, paths: [\"/nonexistent-dir/*\"]}\n")
        p = subprocess.run([VIGIL, "policy", "check", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0 and b"warning" in p.stderr and b"match" in p.stderr, p.stderr
        # the agent refuses to start with a broken policy, naming the place
        p = subprocess.run([VIGIL, "run", "--state-dir", state, "--policy",
                            os.path.join(tmp, "bad0.yaml")] + BASE + pin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert p.returncode != 0 and b"bad0.yaml:4:" in p.stderr, p.stderr[-500:]
    run_test("bad_policies_clear_errors_and_warnings", chk_bad_policies)

    v = Vigil(BASE + pin + ["--policy", policy_path], tmp=tmp, command="run",
              state=state).start()
    start_container(a_name)
    start_container(b_name)
    wait_err(v, "policy test-lockdown applied to cgroup")
    # the container's setup may copy the blocked binary in after the policy
    # applied: globs are expanded again each second
    time.sleep(2)
    log("policy applied to %s" % a_name)

    def chk_one_agent_per_directory():
        # a second agent on the same state directory, or on the same pins,
        # would send the webhook queue twice and sweep the other's entries
        other = os.path.join(tmp, "other-state")
        os.makedirs(other, exist_ok=True)
        for state_dir, extra, what in ((state, [], "state directory"),
                                       (other, pin, "pin directory")):
            p = subprocess.run([VIGIL, "run", "--state-dir", state_dir] + BASE + extra,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            err = p.stderr.decode()
            assert p.returncode != 0 and "another vigil agent is running with " + what in err, \
                (p.returncode, err[-400:])
        assert v.alive(), "the running agent died"
    run_test("second_agent_on_same_directories_refused", chk_one_agent_per_directory)

    def chk_exec():
        rc, ran = exec_killed(a_name, BLOCKED)
        assert not ran and rc == 137, "blocked executable ran (rc %d, marker %s)" % (rc, ran)
        rc, ran = exec_killed(a_name, ALLOWED)
        assert ran and rc == 0, "allowed executable did not run (rc %d)" % rc
        rc, ran = exec_killed(b_name, BLOCKED)
        assert ran and rc == 0, "the other container was blocked (rc %d)" % rc
        wait_for(lambda: blocks(v, "exec"), 5, "exec block alert")
        b = blocks(v, "exec")
        assert len(b) == 1, "expected one exec block, got %s" % [x["output"] for x in b]
        e = b[0]
        assert e["block"]["policy"] == "test-lockdown" and "process[0]" in e["block"]["rule"], e
        assert e["block"]["path"] == BLOCKED and e["priority"] == "Warning", e
        assert e["workload"]["name"] == a_name and e["rule"] == "Policy block", e
    run_test("blocked_exec_killed_before_it_runs_allowed_one_runs", chk_exec)

    def chk_parent():
        # the allowed/ shell may not start itself (the rule names it as its
        # own parent); started by the image's shell (another file) it runs.
        # Busybox runs its applets without execve, so a copy is the child.
        nested = "%s -c 'echo hi'; echo rc=$?" % ALLOWED
        r = in_container(a_name, ALLOWED, "-c", nested)
        assert b"rc=137" in r.stdout, "child under the named parent: %r" % r.stdout
        r = in_container(a_name, "sh", "-c", nested)
        assert b"hi\nrc=0" in r.stdout, "under another parent: %r %r" % (r.stdout, r.stderr)
        wait_for(lambda: [e for e in blocks(v, "exec") if "process[1]" in e["block"]["rule"]],
                     5, "parent-limited exec block alert")
        e = [e for e in blocks(v, "exec") if "process[1]" in e["block"]["rule"]][0]
        assert e["block"]["path"] == ALLOWED, e["block"]
    run_test("exec_blocked_only_under_the_named_parent", chk_parent)

    def chk_applet():
        # /bin/wget is a link to busybox; busybox's shell runs it by exec'ing
        # /proc/self/exe with argv[0] "wget": still refused, by the applet
        # name, while the shell itself (the same file) runs
        script = "wget --help >/dev/null 2>&1; echo rc=$?"
        r = in_container(a_name, "sh", "-c", script)
        assert b"rc=137" in r.stdout, "applet under busybox's shell: %r" % r.stdout
        r = in_container(a_name, "wget", "--help")
        assert r.returncode == 137, "wget by its path: rc %d" % r.returncode
        r = in_container(b_name, "sh", "-c", script)
        assert b"rc=" in r.stdout and b"rc=137" not in r.stdout, "the other container: %r" % (
            r.stdout)
        wait_for(lambda: [e for e in blocks(v, "exec") if "process[2]" in e["block"]["rule"]],
                 5, "applet block alert")
        e = [e for e in blocks(v, "exec") if "process[2]" in e["block"]["rule"]][0]
        assert e["block"]["path"] == "/bin/wget", e["block"]
    run_test("busybox_applet_blocked_by_name", chk_applet)

    def chk_connect():
        before = allowed_srv.accepted
        rc, out = connect_from(a_name, addr, blocked_srv.port)
        assert rc != 0 and "not permitted" in out, "blocked connect: rc %d %r" % (rc, out)
        assert blocked_srv.accepted == 0, "the blocked server got a connection"
        rc, out = connect_from(a_name, addr, allowed_srv.port)
        wait_for(lambda: allowed_srv.accepted > before, 5, "allowed connection")
        rc, out = connect_from(b_name, addr, blocked_srv.port)
        wait_for(lambda: blocked_srv.accepted == 1, 5, "the other container's connection")
        wait_for(lambda: blocks(v, "connect"), 5, "connect block alert")
        e = blocks(v, "connect")[0]
        assert e["block"]["peer"] == "%s:%d" % (addr, blocked_srv.port), e["block"]
        assert "network[0]" in e["block"]["rule"], e["block"]
    run_test("blocked_connect_eperm_allowed_connect_works", chk_connect)

    def chk_inbound():
        for port in (IN_BLOCKED, IN_OPEN):
            podman("exec", "-d", a_name, "sh", "-c",
                   "while true; do nc -l -p %d </dev/null; done" % port)
        wait_for(lambda: all(listening(p) for p in (IN_BLOCKED, IN_OPEN)), 10, "listeners")
        assert not connects_to(addr, IN_BLOCKED), "inbound connection to the blocked port"
        assert connects_to(addr, IN_OPEN), "inbound connection to the open port failed"
        wait_for(lambda: blocks(v, "accept"), 5, "accept block alert")
        e = blocks(v, "accept")[0]
        assert e["block"]["local_port"] == IN_BLOCKED and "network[1]" in e["block"]["rule"], e
        assert e["block"]["peer"].startswith(addr + ":") and e["workload"]["name"] == a_name, e
        assert e["block"]["enforced_by"].startswith("cgroup_skb"), e["block"]
    run_test("inbound_connection_to_blocked_port_dropped_open_port_accepts", chk_inbound)

    def chk_file():
        r = in_container(a_name, "cat", "/etc/shadow")
        assert r.returncode != 0 and b"not permitted" in r.stderr, (r.returncode, r.stderr)
        r = in_container(a_name, "sh", "-c", "echo x >> /etc/shadow")
        assert r.returncode != 0, "write to the protected file succeeded"
        r = in_container(a_name, "cat", "/etc/passwd")
        assert r.returncode == 0, r.stderr
        r = in_container(b_name, "cat", "/etc/shadow")
        assert r.returncode == 0, "the other container could not read its shadow"
        wait_for(lambda: len(blocks(v, "open")) >= 2, 5, "two open block alerts")
        e = blocks(v, "open")[0]
        assert e["block"]["path"] == "/etc/shadow" and e["block"]["access"] == "read", e["block"]
        assert "file[0]" in e["block"]["rule"], e["block"]
    run_test("protected_file_cannot_be_opened", chk_file)

    def chk_bad_reload_keeps_policy():
        with open(policy_path, "w") as f:
            f.write("policy: broken\nselector: {container.name: x}\nprocess:\n"
                    "  - {action: explode, paths: [/bin/sh]}\n")
        rc, out, err = vigil_cmd(state, "reload")
        assert rc == 0, err
        wait_err(v, "policies refused, the ones in force stay")
        assert "lockdown.yaml:4" in v._read_err(), v._read_err()[-500:]
        rc, ran = exec_killed(a_name, BLOCKED)
        assert not ran, "the policy in force was lost on a bad reload"
    run_test("invalid_reload_refused_policy_stays", chk_bad_reload_keeps_policy)

    def chk_good_reload():
        with open(policy_path, "w") as f:
            f.write((POLICY % (PREFIX, blocked_srv.port)).replace(
                "/usr/local/blocked/*", ALLOWED))
        n = v._read_err().count("applied to cgroup")
        os.kill(v.proc.pid, signal.SIGHUP)
        wait_for(lambda: v._read_err().count("applied to cgroup") > n, 10, "re-applied policy")
        rc, ran = exec_killed(a_name, BLOCKED)
        assert ran, "the old rule still blocks after reload"
        rc, ran = exec_killed(a_name, ALLOWED)
        assert not ran, "the new rule does not block"
    run_test("sighup_reload_applies_new_policy", chk_good_reload)

    # fail-closed: kill -9, the kernel part stays until `vigil enforce clear`
    def chk_fail_closed():
        v.proc.send_signal(signal.SIGKILL)
        v.proc.wait()
        rc, ran = exec_killed(a_name, ALLOWED)
        assert not ran, "fail-closed: the exec block went away with vigil"
        rc, out = connect_from(a_name, addr, blocked_srv.port)
        assert "not permitted" in out, "fail-closed: connect block went away: %r" % out
        r = in_container(a_name, "cat", "/etc/shadow")
        assert r.returncode == 0, "file protection should end with the process (fanotify)"
        rc, out, err = vigil_cmd(state, "enforce", "clear", "--pin-dir", PIN_DIR)
        assert rc == 0 and "removed 12" in out, (rc, out, err)
        rc, ran = exec_killed(a_name, ALLOWED)
        assert ran, "after clearing the pins the block is still there"
    run_test("fail_closed_keeps_kernel_enforcement_after_kill9", chk_fail_closed)

    def chk_fail_open():
        v2 = Vigil(BASE + pin + ["--policy", policy_path, "--set", "enforce.fail_mode=open"],
                   tmp=tmp, command="run", state=state).start()
        wait_err(v2, "policy test-lockdown applied to cgroup")
        rc, ran = exec_killed(a_name, ALLOWED)
        assert not ran, "policy not enforced in fail-open mode while running"
        v2.proc.send_signal(signal.SIGKILL)
        v2.proc.wait()
        time.sleep(0.5)
        rc, ran = exec_killed(a_name, ALLOWED)
        assert ran, "fail-open: enforcement outlived vigil"
        assert not os.path.exists(os.path.join(PIN_DIR, "link_exec")), "fail-open left pins"
    run_test("fail_open_drops_enforcement_with_the_process", chk_fail_open)

    def chk_dry_run():
        v3 = Vigil(BASE + pin + ["--policy", policy_path, "--set", "enforce.dry_run=true",
                                 "--set", "enforce.fail_mode=open"],
                   tmp=tmp, command="run", state=state).start()
        wait_err(v3, "policy test-lockdown applied to cgroup")
        rc, ran = exec_killed(a_name, ALLOWED)
        assert ran, "dry run blocked"
        wait_for(lambda: [e for e in lines(v3) if e.get("kind") == "block"], 5, "audit report")
        e = [e for e in lines(v3) if e.get("kind") == "block"][0]
        assert e["block"]["action"] == "audit" and e["rule"] == "Policy audit", e["block"]
        v3.stop()
    run_test("dry_run_reports_audit_without_blocking", chk_dry_run)

    # a policy from a learned model: the loop keeps running, a new binary is killed
    c_name = PREFIX + "c"
    v4 = Vigil(["--rules", "none", "--set", "output.events=false", "--set", "model.hosts=false",
                "--set", "model.save_interval=1s", "--learning-min", "6s",
                "--learning-quiet", "4s", "--set", "enforce.fail_mode=open"] + pin,
               tmp=tmp, command="run", state=state).start()
    start_container(c_name, LOOP, network="none")

    def chk_model_policy():
        wait_for(lambda: any(e.get("event") == "model_mode" and e["model"]["mode"] == "monitoring"
                             and e["model"]["name"] == c_name for e in lines(v4)),
                 60, "the model of %s monitoring" % c_name)
        rc, out, err = vigil_cmd(state, "policy", "from-model", c_name)
        assert rc == 0 and "block" in out and "/bin/busybox" in out, (rc, out, err)
        gen = os.path.join(tmp, "from-model.yaml")
        with open(gen, "w") as f:
            f.write(out)
        p = subprocess.run([VIGIL, "policy", "check", gen], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0 and b"ok: 1 polic" in p.stdout, (p.stdout, p.stderr)
        rc, out, err = vigil_cmd(state, "model", "protect", c_name)
        assert rc == 0, err
        wait_err(v4, "protected by its model", 15)
        wait_err(v4, "applied to cgroup", 10)
        before = counter(c_name)
        time.sleep(3)
        assert counter(c_name) >= before + 2, "the learned loop stopped under the model's policy"
        r = in_container(c_name, "/tmp/newsh", "-c", "echo ran > /tmp/newran")
        assert r.returncode == 137, "a binary the model never saw ran (rc %d)" % r.returncode
        assert in_container(c_name, "test", "-f", "/tmp/newran").returncode != 0
        time.sleep(2)
        assert counter(c_name) >= before + 3, "the loop stopped after the block"
        b = [e for e in lines(v4) if e.get("kind") == "block"]
        assert any(e["block"]["path"] == "/tmp/newsh" and "default process" in e["block"]["rule"]
                   for e in b), [e["output"] for e in b]
    run_test("policy_from_model_blocks_new_binary_loop_runs", chk_model_policy)
    v4.stop()


# The learned workload: execs, reads its config, a loopback server and
# client, a counter the test reads; /tmp/newsh is staged and never run.
LOOP = r"""
cp /bin/busybox /tmp/newsh
echo port=7000 > /etc/app.conf
nc -ll -p 7000 -e /bin/true &
i=0
while true; do
  cat /etc/app.conf > /dev/null
  nc -w 1 127.0.0.1 7000 < /dev/null > /dev/null 2>&1
  /bin/true
  i=$((i+1)); echo $i > /tmp/counter
  sleep 1
done
"""


def counter(name):
    """The loop's count; an empty file is being written (truncated, not yet
    filled): read again."""
    for _ in range(20):
        r = in_container(name, "cat", "/tmp/counter")
        try:
            return int(r.stdout.decode().strip())
        except ValueError:
            time.sleep(0.05)
    return -1


if __name__ == "__main__":
    main_guard(main)

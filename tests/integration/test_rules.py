#!/usr/bin/env python3
"""test_rules.py - vigil's default rules (rules/vigil_rules.yaml) against real activity.

For every rule of the built-in ruleset: one trigger that makes it fire for
real, and a benign twin of the same shape (same tool or path pattern, but
harmless) that must not fire it.  Rules about containers are triggered in
Podman containers of localhost/vigil-busybox:latest (runc, as DESIGN.md
says); the others on the host, each undoing what it did (files written
below /usr/local/bin, /etc, /root, /var/log are removed; accounts are added
in a private mount namespace whose /etc is a copy).

One `vigil run --set output.events=false` watches all of it; afterwards
every check looks for its alerts (JSON lines with a "rule" key) matched to
its own action by pid, by a unique vigil-rt-<pid> marker in a file name or
command line, or by container id, so that unrelated activity on the
machine can neither make a check pass nor fail.  Each alert must carry a
MITRE ATT&CK technique id in its tags.

Also: `vigil rules check` on the built-in rules (0 unavailable, no
warnings), the built-in rules loaded together with Falco's upstream files,
and `vigil run --rules FILE` running a custom file instead of the
built-in rules.

VIGIL_QUICK=1 (the sanitizer run) keeps a representative subset: the host
triggers that need no extra setup and the unprivileged container."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (DRAIN, HELPERS, QUICK, READY_TIMEOUT, REPO, VIGIL, Vigil,  # noqa: E402
                       at_cleanup, log, main_guard, mkdtemp, record, run_test)

IMAGE = "localhost/vigil-busybox:latest"
RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "none"]
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
TOOL_SRC = os.path.join(REPO, "tests", "integration", "helpers", "rules_tool.c")
TOOL = os.path.join(HELPERS, "rules_tool")
FALCO_DIRS = [os.path.join(REPO, "..", "shared", "compat"), "/work/shared/compat"]
FALCO_FILES = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]

M = "vigil-rt-%d" % os.getpid()            # the marker in names this run creates
CONTAINER_PREFIX = "vigil-test-rules-%d-" % os.getpid()
MITRE = re.compile(r"^T\d{4}(\.\d{3})?$")

_containers = []


# ---- vigil run ------------------------------------------------------------------

class VigilRun(Vigil):
    """`vigil run` (the agent with its rules) instead of `vigil trace`."""

    def start(self):
        state = tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        self.out_path = os.path.join(self.tmp, "vigil-run-%d.out" % id(self))
        self.err_path = os.path.join(self.tmp, "vigil-run-%d.err" % id(self))
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([VIGIL, "run", "--state-dir", state] + self.args,
                                         stdout=out, stderr=err, cwd=REPO,
                                         start_new_session=True)
        at_cleanup(self._kill)
        deadline = time.time() + READY_TIMEOUT
        while time.time() < deadline:
            text = self._read_err()
            if "vigil: sensor ready" in text:
                return self
            if self.proc.poll() is not None:
                raise AssertionError("vigil run exited with %s before ready: %s"
                                     % (self.proc.returncode, text.strip()[-800:]))
            time.sleep(0.05)
        raise AssertionError("no ready line within %ds: %s" % (READY_TIMEOUT, self._read_err()[-800:]))

    def alerts(self):
        return [e for e in self.events if "rule" in e]


# ---- small tools -----------------------------------------------------------------

def sh(cmd, *extra, **kw):
    """Run `sh -c cmd extra...` on the host; returns the Popen (finished)."""
    p = subprocess.Popen(["sh", "-c", cmd] + list(extra), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=REPO, **kw)
    _, err = p.communicate(timeout=60)
    p.err = err.decode("utf-8", "replace")
    return p


def run(argv, ok=True, timeout=60, **kw):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, cwd=REPO, **kw)
    out, err = p.communicate(timeout=timeout)
    p.out = out.decode("utf-8", "replace")
    p.err = err.decode("utf-8", "replace")
    if ok and p.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(argv[:4]), p.returncode, p.err.strip()[-300:]))
    return p


def remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def listener(family=socket.AF_INET, addr=("127.0.0.1", 0)):
    """A listening socket that accepts and drops connections until cleanup."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(addr)
    s.listen(16)
    stop = threading.Event()

    def loop():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                pass
    t = threading.Thread(target=loop, daemon=True)
    t.start()

    def close():
        stop.set()
        t.join(2)
        s.close()
    at_cleanup(close)
    return s


def podman(args, timeout=120, check=True):
    p = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("podman %s exited %d: %s" % (
            " ".join(args[:8]), p.returncode, p.stderr.decode("utf-8", "replace").strip()[-500:]))
    return p.stdout.decode("utf-8", "replace")


def run_container(tmp, name, cmd, extra=()):
    """podman run --rm (foreground); returns (full container id, output)."""
    _containers.append(name)
    cid = os.path.join(tmp, name + ".cid")
    out = podman(RUN[1:] + ["--rm", "--cidfile", cid, "--name", name] + list(extra) +
                 [IMAGE] + list(cmd))
    with open(cid) as f:
        return f.read().strip(), out


def remove_containers():
    for n in _containers:
        subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", n], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)


def falco_files():
    for d in FALCO_DIRS:
        if os.path.exists(os.path.join(d, FALCO_FILES[0])):
            return [os.path.join(d, f) for f in FALCO_FILES]
    return None


# ---- checks ----------------------------------------------------------------------
#
# A check is (name, rule, fire, match, needs): match(alert) says whether
# an alert of that rule was caused by the check's own action; needs names
# the actions it depends on.  Actions record what they did (pids, ids) in
# st; a check whose action failed fails with the action's error.

st = {}
errors = {}
done = set()
checks = []


def check(name, rule, fire, match, needs):
    checks.append((name, rule, fire, match, needs))


def trigger(name, rule, match, needs):
    check("rules_" + name, rule, True, match, needs)


def twin(name, rule, match, needs):
    check("rules_" + name + "_twin_silent", rule, False, match, needs)


def do(name, fn):
    """Run action name; its error goes to the checks that need it."""
    t = time.time()
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - reported by the checks that need it
        errors[name] = "%s: %s" % (type(e).__name__, e)
        log("# action %s failed: %s" % (name, errors[name]))
    done.add(name)
    if time.time() - t > 2:
        log("# action %s: %.1f s" % (name, time.time() - t))


def by_pid(key):
    return lambda a: a["proc"]["pid"] == st[key]


def by_file(path):
    return lambda a: a["output_fields"].get("fd.name") == path


def by_args(*words):
    return lambda a: all(w in a["proc"].get("args", []) for w in words)


def in_container(key, pred):
    return lambda a: a.get("workload", {}).get("id") == st[key] and pred(a)


def brief_alert(a):
    w = a.get("workload", {})
    return "%s pid=%s args=%s fields=%s workload=%s" % (
        a.get("rule"), a["proc"].get("pid"), a["proc"].get("args"),
        json.dumps(a.get("output_fields"))[:300], w.get("name") or w.get("kind"))


def rule_names():
    with open(os.path.join(REPO, "rules", "vigil_rules.yaml")) as f:
        return [m.group(1).strip() for m in re.finditer(r"^- rule: (.+)$", f.read(), re.M)]


def chk_every_rule_triggered():
    triggered = {rule for _, rule, fire, _, _ in checks if fire}
    silent = {rule for _, rule, fire, _, _ in checks if not fire}
    names = rule_names()
    assert len(names) >= 30, names
    missing = [r for r in names if r not in triggered]
    assert not missing, "rules without a trigger: %s" % missing
    missing = [r for r in names if r not in silent]
    assert not missing, "rules without a benign twin: %s" % missing
    unknown = sorted((triggered | silent) - set(names))
    assert not unknown, "checks name rules the file does not have: %s" % unknown


def evaluate(alerts):
    for name, rule, fire, match, needs in checks:
        def chk():
            missing = [n for n in needs if n in errors]
            assert not missing, "action failed: %s" % "; ".join(
                "%s: %s" % (n, errors[n]) for n in missing)
            absent = [n for n in needs if n not in done]
            assert not absent, "action did not run: %s" % ", ".join(absent)
            of_rule = [a for a in alerts if a.get("rule") == rule]
            hits = []
            for a in of_rule:
                try:
                    if match(a):
                        hits.append(a)
                except (KeyError, TypeError, AttributeError, IndexError):
                    pass
            if fire:
                assert hits, "no %r alert for the trigger; %d alerts of that rule: %s" % (
                    rule, len(of_rule), " | ".join(brief_alert(a) for a in of_rule[:5]))
                for a in hits:
                    tags = a.get("tags", [])
                    assert any(MITRE.match(t) for t in tags), "no MITRE technique in tags %r" % tags
                    assert any(t.startswith("mitre_") for t in tags), "no mitre_ tactic in tags %r" % tags
                    for k in ("time", "rule", "priority", "output", "output_fields", "source",
                              "hostname", "proc", "workload"):
                        assert k in a, "alert lacks %r: %s" % (k, brief_alert(a))
                    assert "<NA>" not in a["output"].split("|")[0], a["output"]
                    f = a["output_fields"]
                    for k in ("proc.name", "proc.cmdline", "proc.exe", "fd.name", "evt.type"):
                        assert f.get(k, "") not in (None, "<NA>"), \
                            "output field %s missing: %s" % (k, json.dumps(f))
            else:
                assert not hits, "twin raised %d %r alert(s): %s" % (
                    len(hits), rule, " | ".join(brief_alert(a) for a in hits[:3]))
        run_test(name, chk)


# ---- host actions ------------------------------------------------------------------

def host_actions(tmp):
    tdir = os.path.join(tmp, "twins")          # twins write the same shapes below here
    os.makedirs(tdir)

    # Read sensitive file: cat /etc/shadow; twin cat /etc/hostname.
    def sensitive():
        st["shadow"] = run(["cat", "/etc/shadow"]).pid
        st["hostname"] = run(["cat", "/etc/hostname"]).pid
    do("sensitive", sensitive)
    trigger("read_sensitive_file", "Read sensitive file", by_pid("shadow"), ["sensitive"])
    twin("read_sensitive_file", "Read sensitive file", by_pid("hostname"), ["sensitive"])

    # Files written into protected places (then removed), and the same
    # relative paths below a scratch directory as twins.
    def written(key, path, content="# vigil rules test\n"):
        def fn():
            at_cleanup(lambda: remove(path))
            tw = tdir + path
            os.makedirs(os.path.dirname(tw), exist_ok=True)
            p = sh('printf "%s" "$1" > "$2"', "w", content, path)
            remove(path)
            assert p.returncode == 0, "writing %s: %s" % (path, p.err)
            sh('printf "%s" "$1" > "$2"', "w", content, tw)
            st[key] = path
            st[key + "_twin"] = tw
        return fn

    files = [
        ("bin", "/usr/local/bin/%s-bin" % M, "Write below binary directory", "write_below_binary_dir"),
        ("etc", "/etc/%s.conf" % M, "Write below /etc", "write_below_etc"),
        ("root", "/root/%s" % M, "Write below /root", "write_below_root"),
        ("cron", "/etc/cron.d/%s" % M, "Cron job written", "cron_job_written"),
        ("unit", "/etc/systemd/system/%s.service" % M, "Systemd unit or init script written",
         "systemd_unit_written"),
        ("profile", "/etc/profile.d/%s.sh" % M, "Shell profile modified", "system_profile_modified"),
    ]
    for key, path, rule, name in files:
        d = os.path.dirname(path)
        if not os.path.isdir(d):        # made for the test, removed afterwards
            os.mkdir(d)
            at_cleanup(lambda d=d: os.rmdir(d))
        do(key, written(key, path))
        trigger(name, rule, lambda a, k=key: a["output_fields"].get("fd.name") == st[k], [key])
        twin(name, rule, lambda a, k=key: a["output_fields"].get("fd.name") == st[k + "_twin"], [key])

    # A file moved into a binary directory (rename, not open).
    def moved():
        src = os.path.join(tmp, M + "-mv")
        dst = "/usr/local/bin/%s-mv" % M
        at_cleanup(lambda: remove(dst))
        with open(src, "w") as f:
            f.write("#!/bin/sh\n")
        st["mv"] = run(["mv", src, dst]).pid
        remove(dst)
    do("mv", moved)
    trigger("write_below_binary_dir_by_rename", "Write below binary directory",
            lambda a: a["proc"]["pid"] == st["mv"] and a["output_fields"].get("evt.arg.newpath") ==
            "/usr/local/bin/%s-mv" % M, ["mv"])

    # Setuid bit: chmod u+s; twin chmod 755 (same tool, same file).
    def setuid():
        f = os.path.join(tmp, M + "-suid")
        open(f, "w").close()
        st["suid"] = run(["chmod", "u+s", f]).pid
        st["suid_twin"] = run(["chmod", "755", f]).pid
    do("suid", setuid)
    trigger("setuid_bit", "Set setuid or setgid bit", by_pid("suid"), ["suid"])
    twin("setuid_bit", "Set setuid or setgid bit", by_pid("suid_twin"), ["suid"])

    # Logs: append (twin), truncate and delete (triggers) a log of our own.
    def logs():
        path = "/var/log/%s.log" % M
        at_cleanup(lambda: remove(path))
        st["log_append"] = sh('echo start >> "$1"', "a", path).pid
        st["log_trunc"] = sh(': > "$1"', "t", path).pid
        st["log_rm"] = run(["rm", path]).pid
    do("logs", logs)
    trigger("log_truncated", "Log file tampered", by_pid("log_trunc"), ["logs"])
    trigger("log_deleted", "Log file tampered", by_pid("log_rm"), ["logs"])
    twin("log_appended", "Log file tampered", by_pid("log_append"), ["logs"])

    # Reverse shell: sh with its stdin/stdout on a TCP connection; twin: pipes.
    def revshell():
        srv = listener()
        cli = socket.create_connection(srv.getsockname())
        p = subprocess.Popen(["sh", "-c", "echo hello", M + "-revshell"], stdin=cli, stdout=cli,
                             stderr=subprocess.DEVNULL)
        p.wait(timeout=30)
        cli.close()
        st["revshell"] = p.pid
        p = subprocess.Popen(["sh", "-c", "echo hello", M + "-pipes"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.communicate(timeout=30)
        st["pipeshell"] = p.pid
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        p = subprocess.Popen(["sh", "-c", "echo hello", M + "-unixshell"], stdin=a, stdout=a,
                             stderr=subprocess.DEVNULL)
        p.wait(timeout=30)
        a.close()
        b.close()
        st["unixshell"] = p.pid
    do("revshell", revshell)
    trigger("reverse_shell", "Reverse shell", by_pid("revshell"), ["revshell"])
    trigger("reverse_shell_unix_socket", "Reverse shell", by_pid("unixshell"), ["revshell"])
    twin("reverse_shell", "Reverse shell", by_pid("pipeshell"), ["revshell"])

    # Ptrace: attach and seize a child of our own; twin: PTRACE_TRACEME.
    def ptrace():
        for how in ("attach", "seize", "traceme"):
            p = run([TOOL, "ptrace", how])
            st["ptrace_" + how] = p.pid
        d = os.path.join(tmp, "debugger")
        os.makedirs(d)
        shutil.copy(TOOL, os.path.join(d, "strace"))
        st["ptrace_strace"] = run([os.path.join(d, "strace"), "ptrace", "attach"]).pid
    do("ptrace", ptrace)
    twin("ptrace_by_debugger_on_host", "Ptrace attach to process", by_pid("ptrace_strace"), ["ptrace"])
    trigger("ptrace_attach", "Ptrace attach to process", by_pid("ptrace_attach"), ["ptrace"])
    trigger("ptrace_seize", "Ptrace attach to process", by_pid("ptrace_seize"), ["ptrace"])
    twin("ptrace_traceme", "Ptrace attach to process", by_pid("ptrace_traceme"), ["ptrace"])

    # Kernel module: finit_module(-1) (an attempt that cannot load
    # anything); twin: delete_module of a module that does not exist.
    def module():
        st["module_load"] = run([TOOL, "module", "load"]).pid
        st["module_unload"] = run([TOOL, "module", "unload"]).pid
    do("module", module)
    trigger("kernel_module", "Kernel module load attempt", by_pid("module_load"), ["module"])
    twin("kernel_module_unload", "Kernel module load attempt", by_pid("module_unload"), ["module"])

    # Fileless: /bin/true copied into a memfd and executed; twin: by path.
    def memfd():
        st["memfd"] = run([TOOL, "memfd", "/bin/true"]).pid
        st["memfd_twin"] = run([TOOL, "exec", "/bin/true"]).pid
    do("memfd", memfd)
    trigger("fileless_exec", "Fileless execution", by_pid("memfd"), ["memfd"])
    twin("fileless_exec", "Fileless execution", by_pid("memfd_twin"), ["memfd"])

    # A program named like coreutils (sleep) connects; twin: named curl.
    def never_net():
        srv = listener()
        port = str(srv.getsockname()[1])
        d = os.path.join(tmp, "bin")
        os.makedirs(d)
        for n in ("sleep", "curl"):
            shutil.copy(TOOL, os.path.join(d, n))
        st["sleep_net"] = run([os.path.join(d, "sleep"), "connect", "127.0.0.1", port]).pid
        st["curl_net"] = run([os.path.join(d, "curl"), "connect", "127.0.0.1", port]).pid
    do("never_net", never_net)
    trigger("never_networking_program_connects", "Network connection from a program that never networks",
            by_pid("sleep_net"), ["never_net"])
    twin("never_networking_program_connects", "Network connection from a program that never networks",
         by_pid("curl_net"), ["never_net"])

    if QUICK:
        return

    # Accounts: useradd, chpasswd, usermod, userdel for real, in a private
    # mount namespace whose /etc is a copy (the host's stays untouched);
    # twin: id, which only reads the account.
    def accounts():
        etc = os.path.join(tmp, "etc-copy")
        run(["cp", "-a", "/etc", etc])
        user = M.replace("-", "")[:28]
        st["user"] = user
        # /var/log, /var/mail, /var/spool: lastlog, faillog, mail spools
        script = ('mount --bind "$1" /etc && '
                  'for d in /var/log /var/mail /var/spool; do '
                  '[ ! -d $d ] || mount -t tmpfs tmpfs $d || exit 1; done && '
                  'useradd -M -l -s /usr/sbin/nologin "$2" && '
                  'echo "$2:vigil-rt-pw" | chpasswd && usermod -c vigil-rt "$2" && userdel "$2"')
        p = run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "acct",
                 etc, user])
        st["accounts"] = p.pid
        st["id"] = run(["id", "root"]).pid
    do("accounts", accounts)
    for tool in ("useradd", "chpasswd", "usermod", "userdel"):
        trigger("account_tool_" + tool, "Account management program run",
                lambda a, t=tool: a["proc"]["ppid"] == st["accounts"] and a["proc"]["comm"] == t,
                ["accounts"])
    twin("account_tool", "Account management program run", by_pid("id"), ["accounts"])


# ---- containers -------------------------------------------------------------------

# Steps run inside the unprivileged container, in order: (key, shell code).
C1_SCRIPT = r"""
T=/vigil-rt/rules_tool
# a shell that is not the container's entry point
sh -c 'true' MARK-shell
# package manager (busybox's dpkg applet); twin: ls
dpkg -l MARK-pkg 2>/dev/null
ls /MARK-pkgtwin 2>/dev/null
# network tool; twin: wc
nc -h MARK-nc 2>/dev/null
wc -c /etc/hostname MARK-nctwin 2>/dev/null
# mining pool port on a non-loopback address; twins: other port, loopback
ip addr add 198.51.100.7/32 dev lo
nc -l -p 3333 </dev/null >/dev/null 2>&1 &
L1=$!
nc -l -p 8080 </dev/null >/dev/null 2>&1 &
L2=$!
nc -l -p 3334 </dev/null >/dev/null 2>&1 &
L3=$!
sleep 0.3
$T connect 198.51.100.7 3333 >/dev/null
$T connect 198.51.100.7 8080 >/dev/null
$T connect 127.0.0.1 3334 >/dev/null
# miner by name; twin: another name; both are also drift
cp $T /tmp/xmrig && /tmp/xmrig noop MARK-xmrig >/dev/null
cp $T /tmp/xmlint && /tmp/xmlint noop MARK-xmlint >/dev/null
# drift: a program written after the start; twin: the image's busybox
cp $T /tmp/MARK-drift && /tmp/MARK-drift noop >/dev/null
/bin/busybox true MARK-image
# history: append (twin), truncate and remove (triggers)
sh -c 'echo ls >> /root/.ash_history' MARK-histappend
sh -c ': > /root/.ash_history' MARK-histtrunc
rm /root/.ash_history
# history replaced by a symlink to /dev/null; twin: another symlink to it
ln -s /dev/null /root/.zsh_history
ln -s /dev/null /tmp/MARK-link
# SSH private key; twins: the public key, and ssh itself reading the key
mkdir -p /root/.ssh
echo key > /root/.ssh/id_rsa
echo pub > /root/.ssh/id_rsa.pub
cat /root/.ssh/id_rsa >/dev/null
cat /root/.ssh/id_rsa.pub >/dev/null
cp $T /tmp/ssh && /tmp/ssh read /root/.ssh/id_rsa >/dev/null
# cloud credentials; twins: the aws config, and aws itself
mkdir -p /root/.aws
echo '[default]' > /root/.aws/credentials
echo '[default]' > /root/.aws/config
cat /root/.aws/credentials >/dev/null
cat /root/.aws/config >/dev/null
cp $T /tmp/aws && /tmp/aws read /root/.aws/credentials >/dev/null
# kubeconfig; twin: kubectl reading it
mkdir -p /root/.kube
echo 'apiVersion: v1' > /root/.kube/config
cat /root/.kube/config >/dev/null
cp $T /tmp/kubectl && /tmp/kubectl read /root/.kube/config >/dev/null
# account database written by hand; twin: read
sh -c 'echo "MARK:x:0:0::/:/bin/sh" >> /etc/passwd' MARK-passwd
cat /etc/passwd >/dev/null
# sudoers.d; twin: the same name below /tmp
mkdir -p /etc/sudoers.d /tmp/etc/sudoers.d
sh -c 'echo "MARK ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/MARK' MARK-sudo
sh -c 'echo "MARK ALL=(ALL) NOPASSWD: ALL" > /tmp/etc/sudoers.d/MARK' MARK-sudotwin
# .bashrc in root's home; twin: a .bashrc outside a home directory
sh -c 'echo "echo MARK" >> /root/.bashrc' MARK-bashrc
sh -c 'echo "echo MARK" >> /tmp/.bashrc' MARK-bashrctwin
# authorized_keys; twin: known_hosts next to it
sh -c 'echo "ssh-ed25519 AAAA MARK" >> /root/.ssh/authorized_keys' MARK-authkeys
sh -c 'echo "host ssh-ed25519 AAAA" >> /root/.ssh/known_hosts' MARK-knownhosts
# runtime socket; twin: another unix socket
$T unix /var/run/docker.sock >/dev/null
$T unix /vigil-rt/other.sock >/dev/null
kill $L1 $L2 $L3 2>/dev/null
echo done-MARK
"""

# Steps of the privileged container (--privileged --pid=host).
C2_SCRIPT = r"""
# setns into a host process's namespaces; twin: into our own
nsenter -t HOSTPID -u -n true MARK-setns
sh -c 'nsenter -t $$ -u -n true MARK-setnstwin'
# mount the host's disk (refused here, still an attempt); twin: a tmpfs
mkdir -p /tmp/MARK-blk /tmp/MARK-tmpfs
mount -o ro ROOTDEV /tmp/MARK-blk 2>/dev/null
umount /tmp/MARK-blk 2>/dev/null
mount -t tmpfs tmpfs /tmp/MARK-tmpfs
umount /tmp/MARK-tmpfs
# a cgroup v1 hierarchy of our own: open its release_agent for writing
# (nothing is written); twin: read it
mkdir -p /tmp/MARK-cg
mount -t cgroup -o none,name=MARKcg cgroup /tmp/MARK-cg
sh -c ': > /tmp/MARK-cg/release_agent' MARK-ra
cat /tmp/MARK-cg/release_agent >/dev/null
umount /tmp/MARK-cg
echo done-MARK
"""


def build_static_tool(dest):
    cc = os.environ.get("CC", "cc")
    run([cc, "-O2", "-static", TOOL_SRC, "-o", dest], timeout=120)


def root_device():
    try:
        src = run(["findmnt", "-n", "-o", "SOURCE", "/"]).out.strip()
    except (AssertionError, OSError):
        src = ""
    return src if src.startswith("/dev/") else "/dev/vda"


def container_actions(tmp):
    cdir = os.path.join(tmp, "c")          # mounted at /vigil-rt in the containers
    os.makedirs(cdir)
    os.chmod(cdir, 0o755)

    def c1():
        build_static_tool(os.path.join(cdir, "rules_tool"))
        with open(os.path.join(cdir, "c1.sh"), "w") as f:
            f.write(C1_SCRIPT.replace("MARK", M))
        sock = os.path.join(tmp, "docker.sock")
        listener(socket.AF_UNIX, sock)
        listener(socket.AF_UNIX, os.path.join(cdir, "other.sock"))
        cid, out = run_container(tmp, CONTAINER_PREFIX + "c1", ["sh", "/vigil-rt/c1.sh"],
                                 ["--cap-add", "NET_ADMIN", "-v", cdir + ":/vigil-rt:ro",
                                  "-v", sock + ":/var/run/docker.sock"])
        assert "done-" + M in out, "container script did not finish: %s" % out[-300:]
        st["c1"] = cid
    do("c1", c1)

    def c(pred):
        return in_container("c1", pred)

    def exe_is(path):
        return lambda a: a["output_fields"].get("proc.exepath") == path

    def args0(word):
        return lambda a: a["proc"]["args"][0] == word
    n = ["c1"]
    trigger("shell_in_container", "Shell in container", c(by_args(M + "-shell")), n)
    twin("shell_in_container_entrypoint", "Shell in container",
         c(lambda a: a["proc"]["args"] == ["sh", "/vigil-rt/c1.sh"]), n)
    twin("shell_in_container_busybox_applet", "Shell in container", c(by_args(M + "-image")), n)
    trigger("package_manager_in_container", "Package manager in container", c(by_args(M + "-pkg")), n)
    twin("package_manager_in_container", "Package manager in container", c(by_args("/%s-pkgtwin" % M)), n)
    trigger("network_tool_in_container", "Network tool in container", c(by_args(M + "-nc")), n)
    twin("network_tool_in_container", "Network tool in container", c(by_args(M + "-nctwin")), n)

    def conn_to(port):
        return lambda a: a["output_fields"].get("fd.name", "").endswith(port)
    trigger("mining_pool_port", "Connection to mining pool port", c(conn_to("198.51.100.7:3333")), n)
    twin("mining_pool_port_other_port", "Connection to mining pool port", c(conn_to(":8080")), n)
    twin("mining_pool_port_loopback", "Connection to mining pool port", c(conn_to("127.0.0.1:3334")), n)
    trigger("crypto_miner_name", "Crypto miner started", c(by_args(M + "-xmrig")), n)
    twin("crypto_miner_name", "Crypto miner started", c(by_args(M + "-xmlint")), n)
    trigger("container_drift", "Executable not in container image", c(exe_is("/tmp/%s-drift" % M)), n)
    twin("container_drift_image_binary", "Executable not in container image", c(by_args(M + "-image")), n)

    hist = "/root/.ash_history"
    trigger("history_truncated", "Shell history tampered",
            c(lambda a: by_args(M + "-histtrunc")(a) and by_file(hist)(a)), n)
    trigger("history_deleted", "Shell history tampered",
            c(lambda a: a["source_event"] == "unlink" and by_file(hist)(a)), n)
    twin("history_appended", "Shell history tampered", c(by_args(M + "-histappend")), n)
    # ln is one of the applets busybox's shell runs without an exec: its
    # args are the shell's, the new link's name is evt.arg.newpath
    def new_link(path):
        return lambda a: a["output_fields"].get("evt.arg.newpath") == path
    trigger("history_symlinked", "Shell history tampered", c(new_link("/root/.zsh_history")), n)
    twin("other_symlink", "Shell history tampered", c(new_link("/tmp/%s-link" % M)), n)

    trigger("read_ssh_private_key", "Read SSH private key",
            c(lambda a: args0("cat")(a) and by_file("/root/.ssh/id_rsa")(a)), n)
    twin("read_ssh_public_key", "Read SSH private key", c(by_file("/root/.ssh/id_rsa.pub")), n)
    twin("read_ssh_private_key_by_ssh", "Read SSH private key", c(args0("/tmp/ssh")), n)
    trigger("read_cloud_credentials", "Read cloud credentials",
            c(lambda a: args0("cat")(a) and by_file("/root/.aws/credentials")(a)), n)
    twin("read_cloud_config", "Read cloud credentials", c(by_file("/root/.aws/config")), n)
    twin("read_cloud_credentials_by_aws", "Read cloud credentials", c(args0("/tmp/aws")), n)
    trigger("read_kube_config", "Read Kubernetes credentials",
            c(lambda a: args0("cat")(a) and by_file("/root/.kube/config")(a)), n)
    twin("read_kube_config_by_kubectl", "Read Kubernetes credentials", c(args0("/tmp/kubectl")), n)

    trigger("account_database_written", "Account database modified", c(by_args(M + "-passwd")), n)
    twin("account_database_read", "Account database modified",
         c(lambda a: a["proc"]["args"] == ["cat", "/etc/passwd"]), n)
    trigger("sudoers_written", "Sudo configuration modified", c(by_args(M + "-sudo")), n)
    twin("sudoers_written", "Sudo configuration modified", c(by_args(M + "-sudotwin")), n)
    trigger("user_profile_modified", "Shell profile modified", c(by_args(M + "-bashrc")), n)
    twin("user_profile_modified", "Shell profile modified", c(by_args(M + "-bashrctwin")), n)
    trigger("authorized_keys_written", "SSH authorized keys modified", c(by_args(M + "-authkeys")), n)
    twin("authorized_keys_written", "SSH authorized keys modified", c(by_args(M + "-knownhosts")), n)

    trigger("runtime_socket_from_container", "Container runtime socket accessed from container",
            c(lambda a: a["output_fields"].get("fd.name") == "/var/run/docker.sock"), n)
    twin("runtime_socket_from_container", "Container runtime socket accessed from container",
         c(lambda a: a["output_fields"].get("fd.name") == "/vigil-rt/other.sock"), n)

    if QUICK:
        return

    def c2():
        with open(os.path.join(cdir, "c2.sh"), "w") as f:
            f.write(C2_SCRIPT.replace("MARK", M).replace("HOSTPID", str(os.getpid()))
                    .replace("ROOTDEV", root_device()))
        cid, out = run_container(tmp, CONTAINER_PREFIX + "c2", ["sh", "/vigil-rt/c2.sh"],
                                 ["--privileged", "--pid=host", "-v", cdir + ":/vigil-rt:ro"])
        assert "done-" + M in out, "container script did not finish: %s" % out[-300:]
        st["c2"] = cid
    do("c2", c2)

    def c_2(pred):
        return in_container("c2", pred)
    n = ["c2"]
    trigger("setns_to_host_namespace", "Container joined a host namespace", c_2(by_args(M + "-setns")), n)
    twin("setns_to_own_namespace", "Container joined a host namespace", c_2(by_args(M + "-setnstwin")), n)
    trigger("block_device_mount", "Host block device mounted in container",
            c_2(lambda a: a["output_fields"].get("evt.arg.dir") == "/tmp/%s-blk" % M), n)
    twin("tmpfs_mount", "Host block device mounted in container",
         c_2(lambda a: a["output_fields"].get("evt.arg.dir") == "/tmp/%s-tmpfs" % M), n)
    trigger("release_agent_written", "Cgroup release_agent written", c_2(by_args(M + "-ra")), n)
    twin("release_agent_read", "Cgroup release_agent written",
         c_2(lambda a: a["proc"]["args"][0] == "cat"), n)


# ---- the runs -----------------------------------------------------------------------

def main_run():
    tmp = mkdtemp(prefix="vigil-rt-")
    os.chmod(tmp, 0o755)
    # each rule on its own: the alert pipeline (dedup, rate limits) has its own tests
    v = VigilRun(["--set", "output.events=false", "--set", "alerts.enabled=false"], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("rules_main_start", False, e)
        return
    t0 = time.time()
    host_actions(tmp)
    log("# host actions: %.1f s" % (time.time() - t0))
    t1 = time.time()
    container_actions(tmp)
    log("# container actions: %.1f s" % (time.time() - t1))
    time.sleep(0.5)
    v.stop(signal.SIGINT, drain=DRAIN + 0.7)

    def chk_clean():
        assert v.rc == 0, "exit status %r: %s" % (v.rc, v.stderr.strip()[-500:])
        v.assert_valid_lines()
        assert "rules active (<built-in>/vigil_rules.yaml)" in v.stderr, v.stderr[:500]
        assert not [e for e in v.events if "rule" not in e], "events written with output.events=false"
    run_test("rules_run_clean_exit", chk_clean)
    alerts = v.alerts()
    if os.environ.get("VIGIL_RULES_DUMP"):
        shutil.copy(v.out_path, os.environ["VIGIL_RULES_DUMP"])
    log("# %d alerts in %.1f s: %s" % (len(alerts), time.time() - t0, ", ".join(
        "%s=%d" % (r, n) for r, n in sorted(count_by_rule(alerts).items()))))
    evaluate(alerts)
    if not QUICK:
        run_test("rules_every_rule_has_trigger_and_twin", chk_every_rule_triggered)


def count_by_rule(alerts):
    res = {}
    for a in alerts:
        res[a["rule"]] = res.get(a["rule"], 0) + 1
    return res


def rules_check():
    def chk_builtin():
        r = run([VIGIL, "rules", "check", "--verbose"], ok=False)
        assert r.returncode == 0, "exit %d: %s" % (r.returncode, r.err[-500:])
        text = (r.out + r.err).strip()
        m = re.search(r"(\d+) rules: (\d+) usable \((\d+) enabled\), (\d+) unavailable", text)
        assert m, text[:500]
        total, usable, _, unavailable = map(int, m.groups())
        assert unavailable == 0 and usable == total and total >= 30, text[:500]
        assert len(text.splitlines()) == 1, "warnings or unavailable rules: %s" % text[:800]
    run_test("rules_check_builtin_all_usable_no_warnings", chk_builtin)

    def chk_with_falco():
        files = falco_files()
        if files is None:
            return
        r = run([VIGIL, "rules", "check"] + files + [os.path.join(REPO, "rules", "vigil_rules.yaml")],
                ok=False)
        assert r.returncode == 0, "exit %d: %s" % (r.returncode, r.err[-500:])
        r2 = run([VIGIL, "rules", "check"] + files, ok=False)
        n_both = int(re.search(r"(\d+) rules:", r.out).group(1))
        n_falco = int(re.search(r"(\d+) rules:", r2.out).group(1))
        n_ours = int(re.search(r"(\d+) rules:", run([VIGIL, "rules", "check"]).out).group(1))
        assert n_both == n_falco + n_ours, "rules overlap: %d + %d != %d" % (n_falco, n_ours, n_both)
    run_test("rules_builtin_load_with_falco_rules", chk_with_falco)


def custom_rules_run():
    tmp = mkdtemp(prefix="vigil-rt-custom-")
    marker = os.path.join(tmp, M + "-custom")
    with open(marker, "w") as f:
        f.write("x\n")
    rules = os.path.join(tmp, "custom.yaml")
    with open(rules, "w") as f:
        f.write("""- rule: Custom marker read
  desc: the test's own marker file was read
  condition: evt.type in (open, openat) and evt.is_open_read = true and fd.name = %s
  output: "Marker read | file=%%fd.name pid=%%proc.pid"
  priority: notice
  tags: [test, T1005]
""" % marker)
    # the rules one by one: the alert pipeline (dedup, rate limits) is tested elsewhere
    v = VigilRun(["--rules", rules, "--set", "output.events=false", "--set", "alerts.enabled=false"],
                 tmp)
    try:
        v.start()
    except AssertionError as e:
        record("rules_run_with_custom_rules_file", False, e)
        return
    try:
        cat = run(["cat", marker]).pid
        shadow = run(["cat", "/etc/shadow"]).pid
    finally:
        v.stop(signal.SIGINT)

    def chk():
        assert v.rc == 0, "exit %r: %s" % (v.rc, v.stderr[-400:])
        assert "1 rules active (%s)" % rules in v.stderr, v.stderr[:400]
        mine = [a for a in v.alerts() if a["proc"]["pid"] == cat]
        assert [a["rule"] for a in mine] == ["Custom marker read"], [a["rule"] for a in mine]
        assert mine[0]["output_fields"]["fd.name"] == marker, mine[0]["output_fields"]
        other = [a for a in v.alerts() if a["proc"]["pid"] == shadow]
        assert not other, "the built-in rules ran too: %s" % [a["rule"] for a in other]
    run_test("rules_run_with_custom_rules_file", chk)


def main():
    if os.geteuid() != 0:
        record("root", False, "integration tests need root")
        return
    if not os.access(TOOL, os.X_OK):
        record("rules_helper", False, "%s missing (tests/run_integration.sh builds it)" % TOOL)
        return
    at_cleanup(remove_containers)
    p = subprocess.run(["sh", MAKE_IMAGE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    if p.returncode != 0:
        record("rules_image", False, "make-image.sh exited %d: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip()[-400:]))
        return
    t0 = time.time()
    rules_check()
    main_run()
    if not QUICK:
        custom_rules_run()
    log("# test_rules took %.0f s" % (time.time() - t0))


if __name__ == "__main__":
    main_guard(main)

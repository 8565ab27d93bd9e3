"""vigiltest.py - the small harness of the integration suites.

Starts `vigil trace` (binary from $VIGIL_BIN, default ./vigil, run from the
repo root) with a fresh --state-dir, waits for the ready line, stops it with
a signal, and parses what it printed.  Tests are plain functions; `report`
prints `PASS name` / `FAIL name: reason` and the final `N passed, N failed`.
Stdlib only."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
VIGIL = os.path.join(REPO, os.environ.get("VIGIL_BIN", "./vigil"))
HELPERS = os.environ.get("VIGIL_HELPERS", os.path.join(REPO, "build", "tests", "helpers"))
ACTIONS = os.path.realpath(os.path.join(HELPERS, "actions"))
BURST = os.path.realpath(os.path.join(HELPERS, "burst"))
QUICK = os.environ.get("VIGIL_QUICK", "") not in ("", "0")
READY_TIMEOUT = float(os.environ.get("VIGIL_READY_TIMEOUT", "30"))
STOP_TIMEOUT = 60.0
# events are drained every 10 ms; the sanitizer build is slower
DRAIN = 1.0 if "san" in os.environ.get("VIGIL_BIN", "") else 0.3

RFC3339_NS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$")

passed = 0
failed = 0
_cleanups = []


def log(msg):
    print(msg, flush=True)


def record(name, ok, reason=""):
    global passed, failed
    if ok:
        passed += 1
        log("PASS " + name)
    else:
        failed += 1
        reason = " ".join(str(reason).split("\n"))
        if len(reason) > 1500:
            reason = reason[:1500] + "..."
        log("FAIL %s: %s" % (name, reason))


def run_test(name, fn, *args):
    try:
        fn(*args)
    except AssertionError as e:
        record(name, False, e)
    except Exception as e:  # a bug in the test or an unexpected shape
        record(name, False, "%s: %s (%s)" % (type(e).__name__, e,
                                            traceback.format_exc(limit=3).strip().splitlines()[-3]))
    else:
        record(name, True)


def report():
    log("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def at_cleanup(fn):
    _cleanups.append(fn)


def cleanup_all():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:
            log("cleanup: %s" % e)


def mkdtemp(prefix="vigil-it-"):
    d = tempfile.mkdtemp(prefix=prefix)
    at_cleanup(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


# ---- bpftool ----------------------------------------------------------------

def progs_of_pid(pid):
    """Ids of the BPF programs process pid holds (prog and link fds)."""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    try:
        names = os.listdir(d)
    except OSError:
        return ids
    for n in names:
        try:
            with open(os.path.join(d, n)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except (OSError, ValueError):
            pass
    return ids


def vigil_progs():
    """{id: [owning pids]} of loaded BPF programs whose name starts with vigil_."""
    try:
        out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                             timeout=30).stdout
        progs = json.loads(out or b"[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    res = {}
    for p in progs:
        if str(p.get("name", "")).startswith("vigil_"):
            res[p["id"]] = [x.get("pid") for x in p.get("pids", [])]
    return res


# ---- vigil ------------------------------------------------------------------

class Vigil:
    """One `vigil trace` run."""

    def __init__(self, args=(), tmp=None, command="trace", state=None):
        self.tmp = tmp or mkdtemp()
        self.args = list(args)
        self.command = command
        self.state = state     # a state directory to use (kept), else a fresh one
        self.proc = None
        self.rc = None
        self.events = []       # parsed objects
        self.bad_lines = []    # (line number, reason, raw bytes)
        self.stderr = ""
        self.stats = None
        self.my_progs = set()
        self.progs_before = set()
        self.progs_after = {}

    def start(self):
        state = self.state or tempfile.mkdtemp(prefix="state-", dir=self.tmp)
        self.out_path = os.path.join(self.tmp, "vigil-%d.out" % id(self))
        self.err_path = os.path.join(self.tmp, "vigil-%d.err" % id(self))
        before = vigil_progs()
        self.progs_before = set(before or {})
        out = open(self.out_path, "wb")
        err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([VIGIL, self.command, "--state-dir", state] + self.args,
                                     stdout=out, stderr=err, cwd=REPO,
                                     start_new_session=True)
        out.close()
        err.close()
        at_cleanup(self._kill)
        deadline = time.time() + READY_TIMEOUT
        while time.time() < deadline:
            text = self._read_err()
            if "vigil: sensor ready" in text:
                break
            if self.proc.poll() is not None:
                raise AssertionError("vigil exited with %s before ready: %s"
                                     % (self.proc.returncode, text.strip()[-800:]))
            time.sleep(0.05)
        else:
            raise AssertionError("no ready line within %ds: %s" % (READY_TIMEOUT, self._read_err()[-800:]))
        now = vigil_progs() or {}
        # ours: vigil_ programs that the vigil process holds an fd of
        self.my_progs = set(now) & progs_of_pid(self.proc.pid)
        return self

    def _read_err(self):
        with open(self.err_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        # a sanitizer report goes first, whole, so that messages cut to
        # their tail still show what failed and where
        i = text.find("ERROR: AddressSanitizer")
        if i < 0:
            i = text.find("runtime error:")
        if i >= 0:
            report = text[i:i + 3000]
            sys.stderr.write("# sanitizer report:\n" + report + "\n")
            return report + "\n...\n" + text
        return text

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGINT, drain=DRAIN):
        time.sleep(drain)
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.rc = "hung (killed after %ds)" % STOP_TIMEOUT
        self.stderr = self._read_err()
        for line in self.stderr.splitlines():
            if line.startswith("vigil: stats "):
                try:
                    self.stats = json.loads(line[len("vigil: stats "):])
                except ValueError as e:
                    self.stats = {"_unparsable": line, "_error": str(e)}
        # programs are freed shortly after the last fd closes: allow a moment
        deadline = time.time() + 5
        while True:
            self.progs_after = vigil_progs() or {}
            if not (self.my_progs & set(self.progs_after)) or time.time() > deadline:
                break
            time.sleep(0.1)
        self._parse()
        return self

    def _parse(self):
        with open(self.out_path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        elif lines:
            self.bad_lines.append((len(lines), "last line not terminated", lines[-1][:200]))
        for n, raw in enumerate(lines, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                self.bad_lines.append((n, "invalid UTF-8: %s" % e, raw[:200]))
                continue
            try:
                obj = json.loads(text)
            except ValueError as e:
                self.bad_lines.append((n, "invalid JSON: %s" % e, raw[:200]))
                continue
            if not isinstance(obj, dict):
                self.bad_lines.append((n, "not an object", raw[:200]))
                continue
            self.events.append(obj)

    # -- queries --
    def find(self, event=None, pid=None, pred=None):
        res = []
        for e in self.events:
            if event is not None and e.get("event") != event:
                continue
            if pid is not None and e.get("proc", {}).get("pid") != pid:
                continue
            if pred is not None:
                try:
                    if not pred(e):
                        continue
                except (KeyError, TypeError, AttributeError):
                    continue
            res.append(e)
        return res

    def once(self, what, event=None, pid=None, pred=None):
        """The one event matching; fails when none or several."""
        res = self.find(event, pid, pred)
        if len(res) != 1:
            by_pid = self.find(None, pid) if pid is not None else []
            raise AssertionError("%s: expected exactly 1 %s event, got %d%s%s" % (
                what, event or "", len(res),
                ("; got: " + " | ".join(brief(e) for e in res[:4])) if res else "",
                ("; events of pid %s: %s" % (pid, " | ".join(brief(e) for e in by_pid[:30])))
                if not res and by_pid else ("; no events at all from pid %s" % pid
                                            if not res and pid is not None else "")))
        return res[0]

    # -- clean exit checks --
    def assert_clean_exit(self):
        assert self.rc == 0, "exit status %r, stderr tail: %s" % (self.rc, self.stderr.strip()[-600:])
        assert self.stats is not None, "no 'vigil: stats' line on stderr: %s" % self.stderr.strip()[-600:]
        for key in ("events", "kernel_events", "drops", "drops_per_cpu", "too_big",
                    "program_misses", "ring_buffer_size", "ring_buffer_max_fill",
                    "decode_errors", "processes"):
            assert key in self.stats, "stats lacks %r: %s" % (key, self.stats)
        left = self.my_progs & set(self.progs_after)
        assert self.my_progs, "no vigil_ BPF programs seen while vigil ran (bpftool prog show)"
        assert not left, "BPF programs still loaded 5 s after exit: %s" % sorted(left)

    def assert_valid_lines(self):
        assert not self.bad_lines, "%d bad output lines, first: %r" % (
            len(self.bad_lines), self.bad_lines[:3])


def brief(e):
    p = e.get("proc", {})
    keep = {k: v for k, v in e.items() if k not in ("proc", "time", "host", "cgroup_id")}
    s = "%s pid=%s comm=%s %s" % (e.get("event"), p.get("pid"), p.get("comm"),
                                  json.dumps(keep, ensure_ascii=False))
    return s[:400]


# ---- helpers run by the tests -------------------------------------------------

class Helper:
    """A finished helper process: pid, exit status, key=value output."""

    def __init__(self, argv, pid, rc, out, err):
        self.argv, self.pid, self.rc, self.err = argv, pid, rc, err
        self.out = {}
        for line in out.decode("utf-8", "replace").splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                self.out[k] = int(v) if re.fullmatch(r"-?\d+", v) else v

    def ok(self, expect=0):
        assert self.rc == expect, "helper %s exited %s (wanted %s): %s" % (
            self.argv[:3], self.rc, expect, self.err.decode("utf-8", "replace").strip()[:300])
        return self


def run_helper(args, binary=None, timeout=60, stdin=None):
    argv = [binary or ACTIONS] + list(args)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL if stdin is None else stdin, cwd=REPO)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return Helper(argv, p.pid, p.returncode, out, err)


def arg_text(a):
    if isinstance(a, bytes):
        return a.decode("utf-8", "replace")
    return a


def check_proc(e, pid, argv, exe=None, uid=0):
    """Fields of proc for a helper the suite itself started."""
    p = e["proc"]
    me = os.getpid()
    assert p["pid"] == pid, "proc.pid %s != %s" % (p["pid"], pid)
    assert p["tid"] == pid, "proc.tid %s != %s" % (p["tid"], pid)
    assert p["ppid"] == me, "proc.ppid %s != %s (the test runner)" % (p["ppid"], me)
    assert p["uid"] == uid and p["euid"] == uid, "proc uid/euid %s/%s != %s" % (p["uid"], p["euid"], uid)
    if uid == 0:
        assert p.get("user") == "root", "proc.user %r != root" % p.get("user")
    want_exe = exe or ACTIONS
    assert p.get("exe") == want_exe, "proc.exe %r != %r" % (p.get("exe"), want_exe)
    want_args = [arg_text(a) for a in argv]
    assert p.get("args") == want_args, "proc.args %r != %r" % (p.get("args"), want_args)
    assert p.get("comm") == os.path.basename(want_exe)[:15], "proc.comm %r" % p.get("comm")
    assert p.get("cwd") == REPO, "proc.cwd %r != %r" % (p.get("cwd"), REPO)
    check_ancestry(e, me)


def check_ancestry(e, parent_pid):
    """parent_exec_id and ancestors[0] are the parent; the chain goes up
    through the test runner (started before vigil) to pid 1."""
    p = e["proc"]
    anc = p.get("ancestors")
    assert isinstance(anc, list) and anc, "no ancestors: %r" % anc
    assert anc[0]["pid"] == parent_pid, "ancestors[0].pid %s != %s" % (anc[0]["pid"], parent_pid)
    assert p.get("parent_exec_id") and p["parent_exec_id"] == anc[0]["exec_id"], \
        "parent_exec_id %r != ancestors[0].exec_id %r" % (p.get("parent_exec_id"), anc[0]["exec_id"])
    assert p.get("exec_id") and p["exec_id"] != p["parent_exec_id"], "exec_id %r" % p.get("exec_id")
    pids = [a["pid"] for a in anc]
    me = os.getpid()
    assert me in pids, "test runner pid %s not among ancestors %s" % (me, pids)
    i = pids.index(me)
    assert anc[i]["exe"] == os.path.realpath(sys.executable), \
        "ancestor %s exe %r != %r" % (me, anc[i]["exe"], os.path.realpath(sys.executable))
    if i + 1 < len(anc):
        assert anc[i + 1]["pid"] == os.getppid(), \
            "ancestor above the runner %s != its parent %s" % (anc[i + 1]["pid"], os.getppid())
    else:
        raise AssertionError("ancestors stop at the test runner %s: %s" % (me, pids))
    assert pids[-1] == 1, "ancestors do not reach pid 1: %s" % pids
    for a in anc:
        assert a.get("exec_id"), "ancestor without exec_id: %r" % a


def check_syscall(e, names, ret=0):
    assert e.get("syscall") in names, "syscall %r not in %s" % (e.get("syscall"), names)
    if ret == ">=0":
        assert isinstance(e.get("ret"), int) and e["ret"] >= 0, "ret %r, error %r" % (e.get("ret"), e.get("error"))
        assert "error" not in e, "error %r on success" % e.get("error")
    else:
        assert e.get("ret") == ret, "ret %r != %r (error %r)" % (e.get("ret"), ret, e.get("error"))
        if ret >= 0:
            assert "error" not in e, "error %r on success" % e.get("error")


def main_guard(fn):
    """Run the suite function; always clean up and print the summary."""
    def handler(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, handler)
    try:
        fn()
    except KeyboardInterrupt as e:
        record("suite", False, "interrupted: %s" % e)
    except Exception as e:
        record("suite", False, "%s: %s" % (type(e).__name__, traceback.format_exc().strip()[-1000:]))
    finally:
        cleanup_all()
    sys.exit(report())

#!/usr/bin/env python3
"""test_sensor.py - every event family, from a known process, against the
real kernel.  One `vigil trace` run serves all the family tests: each
action runs in its own helper process (unique pid, unique temp paths), then
vigil is stopped with SIGINT and each test looks for its events.

Also here: hostile input (long paths, odd bytes, huge argv) in the same
run, and a second run with `--events open`."""
import calendar
import errno
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (ACTIONS, QUICK, REPO, RFC3339_NS, Vigil, arg_text,  # noqa: E402
                       check_ancestry, check_proc, check_syscall, log, main_guard,
                       mkdtemp, record, run_helper, run_test, at_cleanup)

EVENT_NAMES = set("exec fork exit open unlink rename chmod chown mkdir link symlink mount "
                  "memfd connect accept bind listen setuid capset ptrace module unshare "
                  "setns bpf kill".split())
O_CREAT = 0o100
CLONE_NEWUTS = 0x04000000
ENOENT, E2BIG, ENAMETOOLONG = 2, 7, 36

# Each case: name -> (action(tmp) -> state, [(test name, check(vigil, state), quick)]).
CASES = []


def case(quick=True):
    def deco(fn):
        CASES.append((fn.__name__, fn, quick))
        return fn
    return deco


def exec_event(v, pid):
    return v.once("exec of pid %d" % pid, "exec", pid, lambda e: e.get("ret", 0) >= 0)


# ---- process lifecycle ------------------------------------------------------------

@case()
def act_forkexec(tmp):
    d = os.path.join(tmp, "forkexec")
    os.mkdir(d)
    st = {"mkdir": os.path.join(d, "made-before-exec"), "touch": os.path.join(d, "touched-after-exec")}
    st["child_args"] = ["actions", "touch", st["touch"], "arg two", "\u00e4rg\"3"]
    st["argv"] = [ACTIONS, "forkexec", st["mkdir"]] + st["child_args"][2:]
    h = run_helper(st["argv"][1:]).ok()
    st["h"], st["child"] = h, h.out["child"]
    return st


def chk_exec(v, st):
    h, c = st["h"], st["child"]
    he = exec_event(v, h.pid)
    check_proc(he, h.pid, st["argv"])
    assert he["exec"]["filename"] == ACTIONS, "helper exec.filename %r" % he["exec"]
    assert he["exec"].get("argc") == len(st["argv"]), "helper exec.argc %r" % he["exec"]
    ce = exec_event(v, c)
    p = ce["proc"]
    assert p["exe"] == ACTIONS, "child exe %r" % p["exe"]
    assert p["args"] == st["child_args"], "child args %r != %r" % (p["args"], st["child_args"])
    assert ce["exec"]["argc"] == len(st["child_args"]), "child exec.argc %r" % ce["exec"]
    assert ce["exec"]["filename"] == ACTIONS, "child exec.filename %r" % ce["exec"]
    assert p["ppid"] == h.pid, "child ppid %s != %s" % (p["ppid"], h.pid)
    assert p["parent_exec_id"] == he["proc"]["exec_id"], \
        "child parent_exec_id %r != helper exec_id %r" % (p["parent_exec_id"], he["proc"]["exec_id"])
    anc = p["ancestors"]
    assert anc[0] == {"pid": h.pid, "exe": ACTIONS, "exec_id": he["proc"]["exec_id"]}, \
        "child ancestors[0] %r" % anc[0]
    check_ancestry(ce, h.pid)
    assert anc[1]["pid"] == os.getpid(), "child ancestors[1] %r" % anc[1]
    for k in ("syscall", "ret"):
        if k in ce:
            assert (ce["ret"] == 0 if k == "ret" else ce[k] in ("execve", "execveat")), \
                "successful exec has %s=%r" % (k, ce[k])
    assert "error" not in ce, "successful exec has error %r" % ce["error"]


def chk_fork(v, st):
    h, c = st["h"], st["child"]
    he = exec_event(v, h.pid)
    fe = v.once("fork by helper", "fork", h.pid, lambda e: e["child"]["pid"] == c)
    assert fe["proc"]["exec_id"] == he["proc"]["exec_id"], "fork event proc.exec_id != helper exec_id"
    cid = fe["child"].get("exec_id")
    assert cid, "fork child has no exec_id: %r" % fe["child"]
    me = v.once("mkdir by forked child before exec", "mkdir", c,
                lambda e: e["file"]["path"] == st["mkdir"])
    assert me["proc"]["exec_id"] == cid, \
        "child's pre-exec event exec_id %r != fork child.exec_id %r" % (me["proc"]["exec_id"], cid)
    assert me["proc"]["parent_exec_id"] == he["proc"]["exec_id"], "pre-exec parent_exec_id"
    assert me["proc"]["args"] == [arg_text(a) for a in st["argv"]], \
        "pre-exec child args %r (should be the parent's image)" % me["proc"]["args"]
    ce = exec_event(v, c)
    assert ce["proc"]["exec_id"] != cid, "exec did not change exec_id"
    oe = v.once("open by child after exec", "open", c, lambda e: e["file"]["path"] == st["touch"])
    assert oe["proc"]["exec_id"] == ce["proc"]["exec_id"], "post-exec open exec_id != exec event's"
    assert oe["proc"]["parent_exec_id"] == fe["proc"]["exec_id"], \
        "post-exec parent_exec_id %r != forking process exec_id %r" % (
            oe["proc"]["parent_exec_id"], fe["proc"]["exec_id"])
    xe = v.once("exit of child", "exit", c)
    assert xe["exit"]["code"] == 0 and "signal" not in xe["exit"], "child exit %r" % xe["exit"]
    assert xe["proc"]["exec_id"] == ce["proc"]["exec_id"], "exit exec_id != exec's"
    hx = v.once("exit of helper", "exit", h.pid)
    assert hx["exit"] == {"code": 0}, "helper exit %r" % hx["exit"]


@case()
def act_exit3(tmp):
    return run_helper(["exit", "3"]).ok(3)


def chk_exit3(v, h):
    e = v.once("exit 3", "exit", h.pid)
    check_proc(e, h.pid, h.argv)
    assert e["exit"] == {"code": 3}, "exit %r != {'code': 3}" % e["exit"]


@case(quick=False)
def act_sigkill(tmp):
    return run_helper(["sigkill"]).ok(-signal.SIGKILL)


def chk_sigkill(v, h):
    e = v.once("killed by SIGKILL", "exit", h.pid)
    assert e["exit"].get("signal") == 9, "exit %r has no signal 9" % e["exit"]
    assert e["exit"].get("code") == 0, "exit code %r" % e["exit"].get("code")


@case()
def act_badexec(tmp):
    st = {"path": os.path.join(tmp, "no-such-dir", "prog")}
    st["h"] = run_helper(["badexec", st["path"]]).ok()
    return st


def chk_badexec(v, st):
    h = st["h"]
    e = v.once("failing exec", "exec", h.pid, lambda e: e["ret"] < 0)
    check_syscall(e, ("execve",), -ENOENT)
    assert e.get("error") == "ENOENT", "error %r" % e.get("error")
    assert e["exec"]["filename"] == st["path"], "exec.filename %r != %r" % (e["exec"], st["path"])
    check_proc(e, h.pid, h.argv)


@case()
def act_prestarted(tmp):
    # started in main() before vigil; here it is told to go
    st = PRESTARTED
    st["proc"].stdin.write(b"go\n")
    st["proc"].stdin.close()
    st["rc"] = st["proc"].wait(timeout=30)
    return st


def chk_prestarted(v, st):
    assert st["rc"] == 0, "pre-started helper exited %s" % st["rc"]
    e = v.once("open by a process started before vigil", "open", st["proc"].pid,
               lambda e: e["file"]["path"] == st["path"])
    check_proc(e, st["proc"].pid, st["argv"])
    assert v.find("exec", st["proc"].pid) == [], "exec reported for a process exec'd before vigil"


# ---- files --------------------------------------------------------------------

@case()
def act_files(tmp):
    d = os.path.join(tmp, "files")
    os.mkdir(d)
    st = {"dir": d, "h": run_helper(["files", d]).ok()}
    for n in ("created", "renamed", "hardlink", "symlink", "subdir"):
        st[n] = os.path.join(d, n)
    return st


def _fe(v, st, event, path, key="path"):
    h = st["h"]
    e = v.once("%s %s" % (event, path), event, h.pid, lambda e: e["file"][key] == path)
    check_proc(e, h.pid, h.argv)
    return e


def chk_open_create(v, st):
    e = _fe(v, st, "open", st["created"])
    check_syscall(e, ("open", "openat", "openat2", "creat"), ">=0")
    assert e["file"]["flags"] & O_CREAT, "flags %o lack O_CREAT" % e["file"]["flags"]
    assert e["file"]["mode"] == 0o600, "mode %o != 600" % e["file"]["mode"]
    assert e["file"].get("fd") == e["ret"], "fd %r != ret %r" % (e["file"].get("fd"), e["ret"])


def chk_open_fail(v, st):
    e = _fe(v, st, "open", os.path.join(st["dir"], "no/such/file"))
    check_syscall(e, ("open", "openat", "openat2"), -ENOENT)
    assert e.get("error") == "ENOENT", "error %r" % e.get("error")
    assert "fd" not in e["file"], "failed open has fd %r" % e["file"].get("fd")


def chk_rename(v, st):
    e = _fe(v, st, "rename", st["created"])
    check_syscall(e, ("rename", "renameat", "renameat2"))
    assert e["file"].get("target") == st["renamed"], "target %r" % e["file"].get("target")


def chk_chmod(v, st):
    e = _fe(v, st, "chmod", st["renamed"])
    check_syscall(e, ("chmod", "fchmodat", "fchmodat2"))
    assert e["file"]["mode"] & 0o7777 == 0o640, "mode %o != 640" % e["file"]["mode"]


def chk_chown(v, st):
    e = _fe(v, st, "chown", st["renamed"])
    check_syscall(e, ("chown", "fchownat", "lchown"))
    assert (e["file"].get("uid"), e["file"].get("gid")) == (1234, 5678), "uid/gid %r" % e["file"]


def chk_link(v, st):
    e = _fe(v, st, "link", st["renamed"])
    check_syscall(e, ("link", "linkat"))
    assert e["file"].get("target") == st["hardlink"], "target %r" % e["file"].get("target")


def chk_symlink(v, st):
    e = _fe(v, st, "symlink", st["symlink"])
    check_syscall(e, ("symlink", "symlinkat"))
    assert e["file"].get("target") == "renamed", "target %r != 'renamed' (as written)" % e["file"].get("target")


def chk_mkdir(v, st):
    e = _fe(v, st, "mkdir", st["subdir"])
    check_syscall(e, ("mkdir", "mkdirat"))
    assert e["file"]["mode"] & 0o7777 == 0o750, "mode %o != 750" % e["file"]["mode"]


def chk_unlink(v, st):
    e = _fe(v, st, "unlink", st["hardlink"])
    check_syscall(e, ("unlink", "unlinkat"))


# ---- network ------------------------------------------------------------------

@case()
def act_tcp(tmp):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return {"port": port, "h": run_helper(["tcp", str(port)]).ok()}


def _addr(e, key, port):
    a = e["net"][key]
    assert a.get("addr") == "127.0.0.1" and a.get("port") == port, \
        "net.%s %r != 127.0.0.1:%s" % (key, a, port)


def _net(v, st, event):
    h = st["h"]
    e = v.once(event, event, h.pid)
    check_proc(e, h.pid, h.argv)
    assert e["net"]["family"] == "inet" and e["net"]["proto"] == "tcp", "net %r" % e["net"]
    return e


def chk_bind(v, st):
    e = _net(v, st, "bind")
    check_syscall(e, ("bind",))
    _addr(e, "local", st["port"])
    assert e["net"].get("fd") == st["h"].out["listen_fd"], "fd %r" % e["net"].get("fd")


def chk_listen(v, st):
    e = _net(v, st, "listen")
    check_syscall(e, ("listen",))
    _addr(e, "local", st["port"])
    assert e["net"].get("backlog") == 7, "backlog %r" % e["net"].get("backlog")


def chk_connect(v, st):
    e = _net(v, st, "connect")
    check_syscall(e, ("connect",))
    _addr(e, "remote", st["port"])
    _addr(e, "local", st["h"].out["client_port"])


def chk_accept(v, st):
    e = _net(v, st, "accept")
    check_syscall(e, ("accept", "accept4"), st["h"].out["accept_fd"])
    _addr(e, "local", st["port"])
    _addr(e, "remote", st["h"].out["client_port"])


# ---- privileges, namespaces, misc ---------------------------------------------------

@case()
def act_setuid(tmp):
    return run_helper(["setuid", "65534"]).ok()


def chk_setuid(v, h):
    e = v.once("setuid", "setuid", h.pid)
    check_syscall(e, ("setuid",))
    check_proc(e, h.pid, h.argv)  # proc holds the credentials from before: root
    c = e["cred"]
    for k in ("uid", "euid", "suid", "fsuid"):
        assert c.get(k) == 65534, "cred.%s %r != 65534 (after the call)" % (k, c.get(k))
    assert c.get("gid") == 0, "cred.gid %r" % c.get("gid")


@case(quick=False)
def act_capset(tmp):
    return run_helper(["capset"]).ok()


def chk_capset(v, h):
    e = v.once("capset", "capset", h.pid)
    check_syscall(e, ("capset",))
    check_proc(e, h.pid, h.argv)
    eff, prm = int(e["cred"]["cap_effective"], 16), int(e["cred"]["cap_permitted"], 16)
    assert not eff & (1 << 21), "CAP_SYS_ADMIN still in cap_effective %s" % e["cred"]["cap_effective"]
    assert prm & (1 << 21), "CAP_SYS_ADMIN not in cap_permitted %s" % e["cred"]["cap_permitted"]
    assert eff & 1, "CAP_CHOWN missing from cap_effective %s" % e["cred"]["cap_effective"]


@case()
def act_unshare(tmp):
    return run_helper(["unshare"]).ok()


def chk_unshare(v, h):
    e = v.once("unshare", "unshare", h.pid)
    check_syscall(e, ("unshare",))
    check_proc(e, h.pid, h.argv)
    assert int(e["ns"]["flags"], 16) == CLONE_NEWUTS, "ns.flags %r" % e["ns"]


@case(quick=False)
def act_setns(tmp):
    return run_helper(["setns"]).ok()


def chk_setns(v, h):
    e = v.once("setns", "setns", h.pid)
    check_syscall(e, ("setns",))
    check_proc(e, h.pid, h.argv)
    assert int(e["ns"]["flags"], 16) == CLONE_NEWUTS, "ns.flags %r" % e["ns"]
    assert "uts" in e["ns"].get("path", ""), "ns.path %r does not name the uts namespace" % e["ns"].get("path")


@case(quick=False)
def act_memfd(tmp):
    name = "vigil-it-memfd-%d" % os.getpid()
    return {"name": name, "h": run_helper(["memfd", name]).ok()}


def chk_memfd(v, st):
    h = st["h"]
    e = v.once("memfd_create", "memfd", h.pid)
    check_syscall(e, ("memfd_create",), h.out["fd"])
    check_proc(e, h.pid, h.argv)
    assert e["file"].get("name") == st["name"], "file.name %r != %r" % (e["file"].get("name"), st["name"])
    assert e["file"].get("fd") == h.out["fd"], "file.fd %r" % e["file"].get("fd")


@case(quick=False)
def act_kill(tmp):
    return run_helper(["kill"]).ok()


def chk_kill(v, h):
    c = h.out["child"]
    e = v.once("kill of the child", "kill", h.pid)
    check_syscall(e, ("kill",))
    check_proc(e, h.pid, h.argv)
    assert e["signal"] == {"target_pid": c, "signal": 15}, "signal %r != target %s SIGTERM" % (e["signal"], c)
    x = v.once("exit of the killed child", "exit", c)
    assert x["exit"].get("signal") == 15, "killed child's exit %r" % x["exit"]


@case(quick=False)
def act_ptrace(tmp):
    return run_helper(["ptrace"]).ok()


def chk_ptrace(v, h):
    t, victim = h.out["traceme"], h.out["victim"]
    e = v.once("PTRACE_TRACEME", "ptrace", t)
    check_syscall(e, ("ptrace",))
    assert e["ptrace"]["request"] == 0, "request %r" % e["ptrace"]
    e = v.once("PTRACE_ATTACH", "ptrace", h.pid)
    check_syscall(e, ("ptrace",))
    check_proc(e, h.pid, h.argv)
    assert e["ptrace"] == {"request": 16, "target_pid": victim}, "ptrace %r" % e["ptrace"]


@case(quick=False)
def act_mount(tmp):
    d = os.path.join(tmp, "mnt")
    os.mkdir(d)
    at_cleanup(lambda: subprocess.run(["umount", "-l", d], capture_output=True)
               if os.path.ismount(d) else None)
    return {"dir": d, "h": run_helper(["mount", d]).ok()}


def chk_mount(v, st):
    h = st["h"]
    e = v.once("mount", "mount", h.pid, lambda e: e["syscall"] == "mount")
    check_syscall(e, ("mount",))
    check_proc(e, h.pid, h.argv)
    f = e["file"]
    assert f.get("fstype") == "tmpfs", "fstype %r" % f.get("fstype")
    assert st["dir"] in (f.get("path"), f.get("target")), "mount point %r not in %r" % (st["dir"], f)
    e = v.once("umount2", "mount", h.pid, lambda e: e["syscall"] == "umount2")
    check_syscall(e, ("umount2",))
    assert e["file"].get("path") == st["dir"], "umount path %r" % e["file"].get("path")


@case(quick=False)
def act_module(tmp):
    return run_helper(["module"]).ok()


def chk_module(v, h):
    err = h.out.get("errno")  # EBADF, or ENOSYS on kernels without modules
    assert err in (errno.EBADF, errno.ENOSYS), "finit_module(-1) errno %r" % err
    e = v.once("finit_module", "module", h.pid)
    check_syscall(e, ("finit_module",), -err)
    assert e.get("error") == errno.errorcode[err], "error %r != %s" % (e.get("error"), errno.errorcode[err])
    check_proc(e, h.pid, h.argv)


@case(quick=False)
def act_bpf(tmp):
    return run_helper(["bpf"]).ok()


def chk_bpf(v, h):
    e = v.once("bpf map create", "bpf", h.pid)
    check_syscall(e, ("bpf",), h.out["fd"])
    check_proc(e, h.pid, h.argv)
    assert e["bpf"].get("cmd") == 0, "bpf.cmd %r != 0 (BPF_MAP_CREATE)" % e["bpf"]


# ---- facts of the new image (exec) ---------------------------------------------

TRUE = os.path.realpath("/bin/true")


def parse_rfc3339_ns(text):
    """"2026-11-28T02:30:01.123456789Z" -> ns since the epoch."""
    assert RFC3339_NS.match(text) and text.endswith("Z"), "time %r" % text
    secs = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(text[20:29])


def spawn(argv, **kw):
    """Run argv to completion; its pid is the pid of the exec event."""
    p = subprocess.Popen(argv, cwd=REPO, **kw)
    rc = p.wait(timeout=30)
    assert rc == 0, "%s exited %s" % (argv[:3], rc)
    return p.pid


def image_exec(v, pid, exe=None):
    """The successful exec of pid (of exe when the pid exec'd twice)."""
    return v.once("exec of pid %d%s" % (pid, " into " + exe if exe else ""), "exec", pid,
                  lambda e: e.get("ret", 0) >= 0 and (exe is None or e["proc"]["exe"] == exe))


@case()
def act_stdio(tmp):
    st = {}
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname())
    acc, _ = srv.accept()
    ua, ub = socket.socketpair(socket.AF_UNIX)
    try:
        # a shell whose stdin and stdout are a TCP connection (a reverse shell's shape)
        st["tcp"] = spawn(["/bin/sh", "-c", "exit 0"], stdin=acc.fileno(), stdout=acc.fileno(),
                          stderr=ua.fileno())
    finally:
        for s_ in (srv, cli, acc, ua, ub):
            s_.close()
    # stdin a pipe, stdout a regular file, stderr closed
    out = open(os.path.join(tmp, "stdio-out"), "wb")
    r, w = os.pipe()
    try:
        st["pipe"] = spawn([TRUE], stdin=r, stdout=out, preexec_fn=lambda: os.close(2))
    finally:
        os.close(r)
        os.close(w)
        out.close()
    # stdin a directory, stdout netlink, stderr IPv6 (when the host has ::1)
    d = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    six = None
    try:
        six = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        six.bind(("::1", 0))
    except OSError:
        if six:
            six.close()
        six = None
    try:
        st["v6"] = six is not None
        st["misc"] = spawn([TRUE], stdin=d, stdout=nl.fileno(),
                           stderr=six.fileno() if six else subprocess.DEVNULL)
    finally:
        os.close(d)
        nl.close()
        if six:
            six.close()
    return st


def chk_stdio_tcp(v, st):
    e = image_exec(v, st["tcp"])
    assert e["exec"].get("stdio") == ["ipv4", "ipv4", "unix"], "stdio %r" % e["exec"].get("stdio")


def chk_stdio_pipe_file_closed(v, st):
    e = image_exec(v, st["pipe"])
    assert e["exec"].get("stdio") == ["pipe", "file", None], "stdio %r" % e["exec"].get("stdio")


def chk_stdio_dir_netlink(v, st):
    e = image_exec(v, st["misc"])
    want = ["directory", "netlink", "ipv6" if st["v6"] else "char"]
    assert e["exec"].get("stdio") == want, "stdio %r != %r" % (e["exec"].get("stdio"), want)


@case(quick=False)
def act_exe_times(tmp):
    st = {"copy": os.path.join(tmp, "fresh-true")}
    st["before"] = time.time_ns()
    shutil.copyfile(TRUE, st["copy"])   # not copy2: the copy gets new times
    os.chmod(st["copy"], 0o755)
    st["after"] = time.time_ns()
    st["fresh"] = spawn([st["copy"]])
    st["old"] = spawn([TRUE])
    return st


def _check_inode(e, path):
    x, sb = e["exec"], os.stat(path)
    assert x.get("exe_ino") == sb.st_ino, "exe_ino %r != %r" % (x.get("exe_ino"), sb.st_ino)
    assert x.get("exe_dev") == sb.st_dev, "exe_dev %r != st_dev %r" % (x.get("exe_dev"), sb.st_dev)
    for key, want in (("exe_ctime", sb.st_ctime_ns), ("exe_mtime", sb.st_mtime_ns)):
        got = parse_rfc3339_ns(x.get(key, ""))
        assert got == want, "%s %s is %d ns from stat's" % (key, x.get(key), got - want)
    return parse_rfc3339_ns(x["exe_ctime"])


def chk_exe_times(v, st):
    slack = 5 * 10**9
    e = image_exec(v, st["fresh"])
    ctime = _check_inode(e, st["copy"])
    assert st["before"] - slack <= ctime <= st["after"] + slack, \
        "copied exe's ctime %s is not now" % e["exec"]["exe_ctime"]
    assert e["exec"].get("exe_flags") == [], "exe_flags %r" % e["exec"].get("exe_flags")
    e = image_exec(v, st["old"])
    assert e["proc"]["exe"] == TRUE, "exe %r" % e["proc"]["exe"]
    ctime = _check_inode(e, TRUE)
    assert ctime < st["before"] - slack, "%s ctime %s is recent" % (TRUE, e["exec"]["exe_ctime"])


# Runs /bin/true from a memfd, the way fileless malware does: by its
# /proc/self/fd path (execve) or by the descriptor itself (fexecve).
MEMFD_EXEC = """
import os, sys
fd = os.memfd_create(sys.argv[1])
os.write(fd, open(sys.argv[2], "rb").read())
if sys.argv[3] == "path":
    os.execv("/proc/self/fd/%d" % fd, ["memfd-true"])
os.execve(fd, ["memfd-true"], {})
"""

# Runs a copy of /bin/true that is unlinked before the exec.
DELETED_EXEC = """
import os, shutil, sys
shutil.copyfile(sys.argv[2], sys.argv[1])
os.chmod(sys.argv[1], 0o755)
fd = os.open(sys.argv[1], os.O_RDONLY)
os.unlink(sys.argv[1])
os.execve(fd, ["deleted-true"], {})
"""


@case()
def act_memfd_exec(tmp):
    st = {"name": "vigil-it-exe-%d" % os.getpid()}
    st["path"] = spawn([sys.executable, "-c", MEMFD_EXEC, st["name"], TRUE, "path"])
    st["fd"] = spawn([sys.executable, "-c", MEMFD_EXEC, st["name"], TRUE, "fd"])
    # an ordinary file that only looks like one
    st["fake_path"] = os.path.join(tmp, "memfd:fake")
    shutil.copyfile(TRUE, st["fake_path"])
    os.chmod(st["fake_path"], 0o755)
    st["fake"] = spawn([st["fake_path"]])
    st["deleted_path"] = os.path.join(tmp, "deleted-true")
    st["deleted"] = spawn([sys.executable, "-c", DELETED_EXEC, st["deleted_path"], TRUE])
    return st


def chk_memfd_exec(v, st):
    for how in ("path", "fd"):
        e = image_exec(v, st[how], "/memfd:" + st["name"])
        flags = e["exec"].get("exe_flags")
        assert flags == ["memfd", "deleted"], "exec of a memfd by %s: exe_flags %r" % (how, flags)
    e = image_exec(v, st["fake"])
    assert e["proc"]["exe"] == st["fake_path"], "exe %r" % e["proc"]["exe"]
    assert e["exec"].get("exe_flags") == [], "file named memfd:*: exe_flags %r" % e["exec"].get("exe_flags")


def chk_deleted_exec(v, st):
    execs = v.find("exec", st["deleted"], lambda e: e.get("ret", 0) >= 0)
    assert len(execs) == 2, "%d execs of pid %d" % (len(execs), st["deleted"])
    e = execs[1]
    assert e["proc"]["exe"].startswith(st["deleted_path"]), "exe %r" % e["proc"]["exe"]
    assert e["exec"].get("exe_flags") == ["deleted"], "exe_flags %r" % e["exec"].get("exe_flags")


def stat_tty_nr(pid):
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    return int(text[text.rindex(")") + 2:].split()[4])   # field 7


@case()
def act_tty(tmp):
    st = {}
    pid, master = pty.fork()
    if pid == 0:    # session leader with the pty as controlling terminal
        try:
            os.execv("/bin/sleep", ["sleep", "30"])
        finally:
            os._exit(127)
    try:
        deadline = time.time() + 10
        while os.readlink("/proc/%d/exe" % pid) != os.path.realpath("/bin/sleep"):
            assert time.time() < deadline, "pty child did not exec sleep"
            time.sleep(0.01)
        st["pty"], st["pty_tty_nr"] = pid, stat_tty_nr(pid)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(master)
    # a daemon: its own session, no terminal
    st["daemon"] = spawn([TRUE], start_new_session=True, stdin=subprocess.DEVNULL)
    return st


def chk_tty(v, st):
    assert st["pty_tty_nr"] != 0, "the pty child has no tty in /proc: test setup"
    e = image_exec(v, st["pty"], os.path.realpath("/bin/sleep"))
    assert e["exec"].get("tty") == st["pty_tty_nr"], \
        "tty %r != /proc/PID/stat tty_nr %r" % (e["exec"].get("tty"), st["pty_tty_nr"])
    assert e["exec"].get("stdio") == ["char", "char", "char"], "pty stdio %r" % e["exec"].get("stdio")
    e = image_exec(v, st["daemon"])
    assert e["exec"].get("tty") == 0, "daemon tty %r" % e["exec"].get("tty")


def proc_status_hex(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1], 16)
    raise AssertionError("no %s in /proc/self/status" % key)


@case(quick=False)
def act_caps(tmp):
    return {"root": spawn([TRUE]), "nobody": spawn([TRUE], user=65534, group=65534,
                                                   extra_groups=[]),
            "bounding": proc_status_hex("CapBnd")}


def chk_caps(v, st):
    e = image_exec(v, st["root"])
    x = e["exec"]
    # root exec'ing a file without file capabilities gets the bounding set
    for key in ("cap_effective", "cap_permitted"):
        assert int(x.get(key, "0"), 16) == st["bounding"], \
            "root %s %r != CapBnd %#x" % (key, x.get(key), st["bounding"])
    e = image_exec(v, st["nobody"])
    assert e["proc"]["uid"] == 65534, "uid %r" % e["proc"]["uid"]
    x = e["exec"]
    assert (x.get("cap_effective"), x.get("cap_permitted")) == ("0x0", "0x0"), \
        "nobody's caps %r/%r" % (x.get("cap_effective"), x.get("cap_permitted"))


@case(quick=False)
def act_overlay(tmp):
    base = os.path.join(tmp, "ovl")
    dirs = {n: os.path.join(base, n) for n in ("lower", "upper", "work", "merged")}
    for d in dirs.values():
        os.makedirs(d)
    shutil.copyfile(TRUE, os.path.join(dirs["lower"], "image-true"))
    os.chmod(os.path.join(dirs["lower"], "image-true"), 0o755)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=%(lower)s,upperdir=%(upper)s,workdir=%(work)s" % dirs,
                    dirs["merged"]], check=True, capture_output=True, timeout=30)
    at_cleanup(lambda: subprocess.run(["umount", "-l", dirs["merged"]], capture_output=True))
    st = {"image": os.path.join(dirs["merged"], "image-true"),
          "dropped": os.path.join(dirs["merged"], "dropped-true")}
    st["image_pid"] = spawn([st["image"]])
    # written after the overlay was made: lands in the upper layer
    shutil.copyfile(TRUE, st["dropped"])
    os.chmod(st["dropped"], 0o755)
    st["dropped_pid"] = spawn([st["dropped"]])
    return st


def chk_overlay(v, st):
    e = image_exec(v, st["image_pid"])
    assert e["proc"]["exe"] == st["image"], "exe %r" % e["proc"]["exe"]
    assert e["exec"].get("exe_flags") == ["overlay"], "image file: exe_flags %r" % e["exec"].get("exe_flags")
    e = image_exec(v, st["dropped_pid"])
    assert e["proc"]["exe"] == st["dropped"], "exe %r" % e["proc"]["exe"]
    assert e["exec"].get("exe_flags") == ["overlay", "upper_layer"], \
        "file written in the container: exe_flags %r" % e["exec"].get("exe_flags")


# ---- hostile input -----------------------------------------------------------

@case()
def act_hostile(tmp):
    d = os.path.join(tmp, "hostile")
    os.mkdir(d)
    st = {"dir": d}
    # a file name with a newline, a quote, a backslash, a control char and invalid UTF-8
    st["odd"] = os.fsencode(d) + b'/we"ird\nna\\me\x01\xff\xfe.txt'
    st["odd_h"] = run_helper(["touch", st["odd"]]).ok()
    # a path string of 4096 bytes: one past PATH_MAX with its NUL
    st["long_h"] = run_helper(["longpath", "4096"]).ok()
    # an existing file whose absolute path is about 4000 bytes
    deep = d
    while len(deep) < 3900:
        deep = os.path.join(deep, "d" * 200)
    os.makedirs(deep)
    st["deep"] = os.path.join(deep, "f" * (4090 - len(deep) - 1))
    st["deep_h"] = run_helper(["touch", st["deep"]]).ok()
    # exec with 5,000 arguments
    st["many_args"] = ["x%04d" % i for i in range(5000)]
    st["many_touch"] = os.path.join(d, "many-args")
    st["many_h"] = run_helper(["touch", st["many_touch"]] + st["many_args"]).ok()
    # a 1 MiB argument: the kernel refuses it (E2BIG, > MAX_ARG_STRLEN);
    # the largest the kernel takes (128 KiB - 1) goes through
    st["mib_touch"] = os.path.join(d, "mib-arg")
    st["mib_h"] = run_helper(["bigarg", str(1 << 20), st["mib_touch"]]).ok()
    st["big_touch"] = os.path.join(d, "big-arg")
    st["big_h"] = run_helper(["bigarg", str(128 * 1024 - 1), st["big_touch"]]).ok()
    # and after all that, a plain event
    st["later"] = os.path.join(d, "later")
    st["later_h"] = run_helper(["touch", st["later"]]).ok()
    return st


def chk_hostile_odd_name(v, st):
    h = st["odd_h"]
    prefix, suffix = st["dir"] + '/we"ird\nna\\me\x01', ".txt"
    e = v.once("open of the odd name", "open", h.pid,
               lambda e: e["file"]["path"].startswith(prefix))
    path = e["file"]["path"]
    assert path.endswith(suffix), "path %r" % path
    middle = path[len(prefix):-len(suffix)]
    assert middle and set(middle) == {"\ufffd"}, \
        "invalid bytes \\xff\\xfe became %r, not U+FFFD" % middle
    assert e["proc"]["args"][2].startswith(prefix), "args %r" % e["proc"]["args"]


def chk_hostile_long_path(v, st):
    h = st["long_h"]
    assert h.out.get("errno") == ENAMETOOLONG, "helper open errno %r" % h.out.get("errno")
    e = v.once("open of a 4096-byte path", "open", h.pid, lambda e: e["ret"] < 0)
    check_syscall(e, ("open", "openat"), -ENAMETOOLONG)
    f = e["file"]
    if not f.get("path_truncated"):
        assert f["path"].endswith("a/" * 2047 + "z"), \
            "path of %d chars neither complete nor marked truncated" % len(f["path"])


def chk_hostile_deep_path(v, st):
    h = st["deep_h"]
    e = v.once("open of a 4089-byte path", "open", h.pid,
               lambda e: e["file"]["path"].endswith("/" + os.path.basename(st["deep"]))
               or e["file"].get("path_truncated"))
    check_syscall(e, ("open", "openat"), ">=0")
    if not e["file"].get("path_truncated"):
        assert e["file"]["path"] == st["deep"], "path differs (len %d vs %d)" % (
            len(e["file"]["path"]), len(st["deep"]))


def chk_hostile_many_args(v, st):
    h = st["many_h"]
    e = exec_event(v, h.pid)
    p = e["proc"]
    assert e["exec"]["argc"] == 5003, "exec.argc %r != 5003" % e["exec"].get("argc")
    assert p.get("args_truncated") is True, "args_truncated %r with %d args shown" % (
        p.get("args_truncated"), len(p["args"]))
    want = [ACTIONS, "touch", st["many_touch"]] + st["many_args"]
    got = p["args"]
    assert 3 <= len(got) < len(want), "%d args shown" % len(got)
    assert got[:-1] == want[:len(got) - 1], "shown args are not a prefix of argv"
    assert want[len(got) - 1].startswith(got[-1]), "last shown arg %r" % got[-1]
    v.once("open after 5000-arg exec", "open", h.pid, lambda e: e["file"]["path"] == st["many_touch"])


def chk_hostile_mib_arg(v, st):
    h = st["mib_h"]
    assert h.out.get("errno") == E2BIG, "exec of a 1 MiB argument: errno %r" % h.out.get("errno")
    e = v.once("failed exec of a 1 MiB argument", "exec", h.pid, lambda e: e["ret"] < 0)
    check_syscall(e, ("execve",), -E2BIG)
    assert e.get("error") == "E2BIG", "error %r" % e.get("error")
    h = st["big_h"]
    e = v.once("exec with a 128 KiB argument", "exec", h.pid,
               lambda e: e.get("ret", 0) >= 0 and e["proc"]["args"][1] == "touch")
    p = e["proc"]
    assert p.get("args_truncated") is True, "128 KiB argument not marked truncated"
    assert p["args"][:3] == ["actions", "touch", st["big_touch"]], "args %r" % p["args"][:3]
    assert len(p["args"]) == 4 and set(p["args"][3]) <= {"A"} and len(p["args"][3]) < 128 * 1024 - 1, \
        "big argument shown as %d args, last of %d chars" % (len(p["args"]), len(p["args"][-1]))
    assert e["exec"]["argc"] == 4, "exec.argc %r" % e["exec"]


def chk_hostile_later_event(v, st):
    h = st["later_h"]
    e = v.once("open after the hostile input", "open", h.pid, lambda e: e["file"]["path"] == st["later"])
    check_proc(e, h.pid, h.argv)


CHECKS = {
    "act_forkexec": [("exec_args_parent_ancestors", chk_exec, True),
                     ("fork_child_exec_ids_and_exit", chk_fork, True)],
    "act_exit3": [("exit_code_3", chk_exit3, True)],
    "act_sigkill": [("exit_by_signal", chk_sigkill, False)],
    "act_badexec": [("exec_enoent_fails", chk_badexec, True)],
    "act_prestarted": [("process_started_before_vigil", chk_prestarted, True)],
    "act_files": [("open_create", chk_open_create, True), ("open_enoent", chk_open_fail, True),
                  ("rename", chk_rename, True), ("chmod", chk_chmod, True),
                  ("chown", chk_chown, False), ("link", chk_link, False),
                  ("symlink", chk_symlink, False), ("mkdir", chk_mkdir, False),
                  ("unlink", chk_unlink, True)],
    "act_tcp": [("bind", chk_bind, True), ("listen", chk_listen, True),
                ("connect", chk_connect, True), ("accept", chk_accept, True)],
    "act_setuid": [("setuid", chk_setuid, True)],
    "act_capset": [("capset", chk_capset, False)],
    "act_unshare": [("unshare", chk_unshare, True)],
    "act_setns": [("setns", chk_setns, False)],
    "act_memfd": [("memfd_create", chk_memfd, False)],
    "act_kill": [("kill_other_process", chk_kill, False)],
    "act_ptrace": [("ptrace_traceme_and_attach", chk_ptrace, False)],
    "act_mount": [("mount_umount_tmpfs", chk_mount, False)],
    "act_module": [("module_finit_fails", chk_module, False)],
    "act_bpf": [("bpf_map_create", chk_bpf, False)],
    "act_stdio": [("exec_stdio_tcp_socket", chk_stdio_tcp, True),
                  ("exec_stdio_pipe_file_closed", chk_stdio_pipe_file_closed, True),
                  ("exec_stdio_dir_netlink_ipv6", chk_stdio_dir_netlink, True)],
    "act_exe_times": [("exec_exe_inode_times", chk_exe_times, False)],
    "act_memfd_exec": [("exec_from_memfd", chk_memfd_exec, True),
                       ("exec_of_deleted_file", chk_deleted_exec, True)],
    "act_tty": [("exec_tty_pty_and_daemon", chk_tty, True)],
    "act_caps": [("exec_caps_root_and_nobody", chk_caps, False)],
    "act_overlay": [("exec_overlay_upper_layer", chk_overlay, False)],
    "act_hostile": [("hostile_odd_file_name", chk_hostile_odd_name, True),
                    ("hostile_4096_byte_path", chk_hostile_long_path, True),
                    ("hostile_deep_path", chk_hostile_deep_path, False),
                    ("hostile_5000_args", chk_hostile_many_args, True),
                    ("hostile_1mib_argument", chk_hostile_mib_arg, True),
                    ("hostile_later_event_reported", chk_hostile_later_event, True)],
}

PRESTARTED = {}


def check_envelope(v):
    host = socket.gethostname()
    for e in v.events:
        assert RFC3339_NS.match(e.get("time", "")), "time %r" % e.get("time")
        assert e.get("host") == host, "host %r != %r" % (e.get("host"), host)
        assert e.get("event") in EVENT_NAMES, "event %r" % e.get("event")
        p = e.get("proc")
        assert isinstance(p, dict) and isinstance(p.get("pid"), int), "proc %r" % p
        if isinstance(e.get("ret"), int) and e["ret"] < 0:
            assert "error" in e, "ret %d without error: %s" % (e["ret"], e)


def main_run():
    tmp = mkdtemp()
    cases = [(n, fn) for n, fn, q in CASES if not QUICK or q or any(c[2] for c in CHECKS[n])]
    # a process that exists before vigil starts; it opens a file when told
    pre_path = os.path.join(tmp, "prestarted-open")
    PRESTARTED["path"] = pre_path
    PRESTARTED["argv"] = [ACTIONS, "waitopen", pre_path]
    PRESTARTED["proc"] = subprocess.Popen(PRESTARTED["argv"], stdin=subprocess.PIPE, cwd=REPO)
    at_cleanup(lambda: (PRESTARTED["proc"].poll() is None and PRESTARTED["proc"].kill()))
    time.sleep(0.1)

    v = Vigil([], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("main_run_start", False, e)
        return
    states = {}
    for name, fn in cases:
        try:
            states[name] = (True, fn(tmp))
        except Exception as e:
            states[name] = (False, "%s: %s" % (type(e).__name__, e))
    alive = v.alive()
    v.stop(signal.SIGINT)
    log("# main run: %d events, %d bad lines, exit %r" % (len(v.events), len(v.bad_lines), v.rc))

    for name, _ in cases:
        ok, st = states[name]
        for tname, chk, quick in CHECKS[name]:
            if QUICK and not quick:
                continue
            if not ok:
                record(tname, False, "action failed: %s" % st)
                continue
            run_test(tname, chk, v, st)

    def chk_alive():
        assert alive, "vigil died during the actions: exit %r, stderr %s" % (v.rc, v.stderr.strip()[-600:])
    run_test("vigil_survives_hostile_input", chk_alive)
    run_test("every_line_valid_json", v.assert_valid_lines)
    run_test("event_envelope_fields", check_envelope, v)

    def chk_stats():
        v.assert_clean_exit()
        assert v.stats["decode_errors"] == 0, "decode_errors %r" % v.stats["decode_errors"]
        assert v.stats["drops"] == 0, "drops %r in a quiet run" % v.stats["drops"]
    run_test("sigint_clean_exit_and_stats", chk_stats)


def events_filter_run():
    tmp = mkdtemp()
    v = Vigil(["--events", "open"], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("events_open_only", False, e)
        return
    d = os.path.join(tmp, "files")
    os.mkdir(d)
    err = None
    try:
        h = run_helper(["files", d]).ok()
        run_helper(["unshare"]).ok()
    except AssertionError as e:
        err = e
    v.stop(signal.SIGINT)

    def chk():
        assert err is None, "action failed: %s" % err
        v.assert_valid_lines()
        assert v.rc == 0, "exit %r" % v.rc
        others = [e for e in v.events if e.get("event") != "open"]
        assert not others, "%d non-open events with --events open, e.g. %s" % (
            len(others), [e.get("event") for e in others[:10]])
        v.once("open with --events open", "open", h.pid,
               lambda e: e["file"]["path"] == os.path.join(d, "created"))
        v.once("failing open with --events open", "open", h.pid,
               lambda e: e["file"]["path"] == os.path.join(d, "no/such/file"))
    run_test("events_open_only", chk)


def main():
    if os.geteuid() != 0:
        record("root", False, "integration tests need root")
        return
    main_run()
    events_filter_run()


if __name__ == "__main__":
    main_guard(main)

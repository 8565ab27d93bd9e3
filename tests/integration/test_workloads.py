#!/usr/bin/env python3
"""test_workloads.py - workload attribution against real podman containers.

Every event line ends with a "workload" object: the host, or the container
(id, name, image, pod ...) whose cgroup the process runs in, marked
"entered" for processes that came in from outside (podman exec, nsenter).
Containers come from the local image localhost/vigil-busybox:latest
(tests/containers/make-image.sh) and run with runc as DESIGN.md says.

Runs of vigil:
  main     two containers of one image, a long-running container with a
           podman exec and an nsenter into it, a podman pod, a kube play
           pod, a host process; container_start/container_stop.
  churn    200 (VIGIL_QUICK: 20) short `podman run --rm /bin/true`: every
           exec attributed, memory (VmRSS) and registry sizes come back.
  off      --set workload.attribution=false: no "workload" key at all.

Containers and pods are named vigil-test-...; they are removed at the end,
whatever happened (own names first, then tests/containers/cleanup.sh)."""
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (QUICK, REPO, Vigil, at_cleanup, brief, log, main_guard,  # noqa: E402
                       mkdtemp, record, run_test)

IMAGE = "localhost/vigil-busybox:latest"
# crun fails on this kernel (hybrid cgroups); the default ulimits of a
# rootful container are refused by runc here, hence the explicit ones.
RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
       "--ulimit", "nproc=1024:1024", "--network", "none"]
PREFIX = "vigil-test-wl%d-" % os.getpid()
POD = "vigil-test-pod-%d" % os.getpid()
KUBE_POD = "vigil-test-kube-%d" % os.getpid()
CLEANUP = os.path.join(REPO, "tests", "containers", "cleanup.sh")
MAKE_IMAGE = os.path.join(REPO, "tests", "containers", "make-image.sh")
CHURN = 20 if QUICK else 200
CHURN_PARALLEL = 4
REAP_SETTLE = 8.0          # the registry forgets stopped containers 5 s after they stop
RSS_SLACK_KB = 2048        # VmRSS after the churn may exceed the level before by this much

_names = []                # containers we created (removed at cleanup)
_pods = []


def low_limits():
    """The pod infra container inherits podman's own limits (`podman pod
    create` has no --ulimit in 4.3); runc cannot raise NOFILE to podman's
    default here, so podman itself runs with the limits the containers get."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    resource.setrlimit(resource.RLIMIT_NPROC, (1024, 1024))


def podman(args, timeout=90, check=True, limits=False):
    p = subprocess.run(["podman"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout,
                       preexec_fn=low_limits if limits else None)
    if check and p.returncode != 0:
        raise AssertionError("podman %s exited %d: %s" % (
            " ".join(args[:6]), p.returncode, p.stderr.decode("utf-8", "replace").strip()[-500:]))
    return p.stdout.decode("utf-8", "replace").strip()


def run_container(tmp, name, cmd, extra=(), detach=False, rm=True, timeout=90):
    """podman run; returns the full container id (from --cidfile)."""
    _names.append(name)
    cid = os.path.join(tmp, name + ".cid")
    argv = list(RUN[1:])
    if rm:
        argv.append("--rm")
    if detach:
        argv.append("-d")
    argv += ["--cidfile", cid, "--name", name] + list(extra) + [IMAGE] + list(cmd)
    podman(argv, timeout=timeout)
    with open(cid) as f:
        return f.read().strip()


def remove_own():
    for n in _names:
        subprocess.run(["podman", "rm", "-f", "-t", "0", "--ignore", n], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    for p in _pods:
        subprocess.run(["podman", "pod", "rm", "-f", "-t", "0", "--ignore", p],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def cleanup_containers():
    try:
        remove_own()
    finally:
        subprocess.run(["sh", CLEANUP], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)


API_SOCKET = "/run/podman/podman.sock"   # the first socket vigil asks


def api_up():
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(API_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_api(tmp):
    """podman's pods and labels live in its database, which only its API
    serves: start `podman system service` on the socket vigil asks (unless
    one runs already); stopped at cleanup.  Returns whether it answers."""
    if api_up():
        return True
    os.makedirs(os.path.dirname(API_SOCKET), exist_ok=True)
    log_path = os.path.join(tmp, "podman-service.log")
    with open(log_path, "wb") as lf:
        p = subprocess.Popen(["podman", "system", "service", "--time=0", "unix://" + API_SOCKET],
                             stdout=lf, stderr=lf, stdin=subprocess.DEVNULL,
                             start_new_session=True, preexec_fn=low_limits)

    def stop():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        try:
            os.unlink(API_SOCKET)
        except OSError:
            pass
    at_cleanup(stop)
    deadline = time.time() + 15
    while time.time() < deadline:
        if api_up():
            return True
        if p.poll() is not None:
            break
        time.sleep(0.1)
    with open(log_path, "rb") as f:
        log("# podman system service did not come up: %s" % f.read()[-300:])
    return False


def count_cgroup_dirs():
    root = "/sys/fs/cgroup/unified"
    if not os.path.isdir(root):
        root = "/sys/fs/cgroup"
    return sum(1 for _ in os.walk(root))


def ev_time(e):
    """Seconds (float) of an event's RFC 3339 time with nanoseconds."""
    import datetime
    t = e["time"]
    base, frac = t[:19], t[20:29]
    d = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    off = t[29:]
    if off not in ("Z", ""):
        sign = 1 if off[0] == "+" else -1
        d -= sign * datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return d.timestamp() + int(frac) / 1e9


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def host_true():
    """A host process the test starts itself; returns its pid."""
    p = subprocess.Popen(["/bin/true"])
    p.wait()
    return p.pid


# ---- queries on a finished run ---------------------------------------------------

def wl(e):
    return e.get("workload")


def tagged_exec(v, tag, what):
    """The one successful exec whose last argument is tag (each container
    command and each entered command carries its own tag as $0)."""
    return v.once(what, "exec", None,
                  lambda e: e.get("ret", 0) >= 0 and e["proc"]["args"][-1] == tag and
                  e["proc"]["args"][:2] in (["sh", "-c"], ["/bin/sh", "-c"]))


def children_execs(v, ppid, args):
    return v.find("exec", None, lambda e: e["proc"]["ppid"] == ppid and e["proc"]["args"] == args)


def check_container_wl(e, cid, name=None, image=IMAGE, entered=False, what=""):
    w = wl(e)
    assert isinstance(w, dict), "%s: no workload object: %s" % (what, brief(e))
    assert w.get("kind") == "container", "%s: workload.kind %r != 'container': %s" % (
        what, w.get("kind"), json.dumps(w))
    assert w.get("id") == cid, "%s: workload.id %r != %r: %s" % (what, w.get("id"), cid, json.dumps(w))
    assert w.get("runtime") == "podman", "%s: workload.runtime %r != 'podman'" % (what, w.get("runtime"))
    assert not w.get("unresolved"), "%s: metadata unresolved: %s" % (what, json.dumps(w))
    if name is not None:
        assert w.get("name") == name, "%s: workload.name %r != %r: %s" % (
            what, w.get("name"), name, json.dumps(w))
    if image is not None:
        assert w.get("image") == image, "%s: workload.image %r != %r: %s" % (
            what, w.get("image"), image, json.dumps(w))
    if entered:
        assert w.get("entered") is True, "%s: expected \"entered\": true, got %s (event %s)" % (
            what, json.dumps(w), brief(e))
    else:
        assert "entered" not in w, "%s: \"entered\" set on a process the container started itself: %s" % (
            what, json.dumps(w))
    return w


def lifecycle(v, event, cid):
    return v.find(event, None, lambda e: wl(e)["id"] == cid)


# ---- main run --------------------------------------------------------------------

def main_run():
    tmp = mkdtemp()
    v = Vigil([], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("workloads_main_start", False, e)
        return None
    st = {}
    errors = []

    def step(name, fn):
        t = time.time()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported by the tests that need the step
            errors.append("%s: %s" % (name, e))
            st.setdefault("failed_steps", {})[name] = str(e)
        log("# step %s: %.1f s" % (name, time.time() - t))

    def host():
        st["host_pid"] = host_true()
    step("host", host)

    # A long-running container: its init (a shell, tag as $0) sleeps in a loop.
    def long_running():
        st["c_name"] = PREFIX + "long"
        st["c_id"] = run_container(tmp, st["c_name"],
                                   ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.3; done",
                                    "vigil-tag-long"], detach=True, rm=False)
        st["c_pid"] = int(podman(["inspect", "--format", "{{.State.Pid}}", st["c_name"]]))
    step("long_running", long_running)

    # Two containers of the same image at the same time.
    def two():
        res = {}

        def one(k):
            try:
                res[k] = run_container(tmp, PREFIX + k, ["sh", "-c", "cat /etc/hostname; sleep 1",
                                                         "vigil-tag-" + k])
            except Exception as e:  # noqa: BLE001
                res[k] = e
        ts = [threading.Thread(target=one, args=(k,)) for k in ("a", "b")]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for k in ("a", "b"):
            if isinstance(res[k], Exception):
                raise res[k]
            st[k] = res[k]
    step("two", two)

    time.sleep(0.5)   # the long container's init has run a few sleeps by now

    def podexec():
        podman(["exec", st["c_name"], "sh", "-c", "echo hi > /tmp/x", "vigil-tag-exec"])
    if "c_id" in st:
        step("podman_exec", podexec)

    def nsenter():
        p = subprocess.run(["nsenter", "-t", str(st["c_pid"]), "-m", "-u", "-i", "-n", "-p",
                            "/bin/sh", "-c", "echo ns > /tmp/y", "vigil-tag-nsenter"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0, "nsenter exited %d: %s" % (p.returncode, p.stderr[-300:])
    if "c_id" in st:
        step("nsenter", nsenter)

    # From here on podman's API answers (until now vigil had only the
    # bundle and containers/storage files, which is what a/b/long tested).
    st["api"] = start_api(tmp)

    # A podman pod (its infra container started with podman's limits lowered).
    def pod():
        _pods.append(POD)
        st["pod_id"] = podman(["pod", "create", "--name", POD, "--network", "none"], limits=True)
        podman(["pod", "start", POD], limits=True)
        st["pod_c"] = run_container(tmp, PREFIX + "inpod",
                                    # lives 1 s: long enough for the API to answer
                                    ["sh", "-c", "cat /etc/hostname; sleep 1", "vigil-tag-pod"],
                                    extra=["--pod", POD])
    step("pod", pod)

    # A Kubernetes-style pod from podman kube play.
    def kube():
        y = os.path.join(tmp, "pod.yaml")
        with open(y, "w") as f:
            f.write("""apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: vigil-ns
  labels:
    app: vigiltest
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: %s
    command: ["sh", "-c", "cat /etc/hostname; sleep 1", "vigil-tag-kube"]
""" % (KUBE_POD, IMAGE))
        _pods.append(KUBE_POD)
        podman(["kube", "play", "--network", "none", y], limits=True)
        st["kube_c_name"] = KUBE_POD + "-main"
        st["kube_c"] = podman(["inspect", "--format", "{{.Id}}", st["kube_c_name"]])
        st["kube_pod_id"] = podman(["pod", "inspect", "--format", "{{.Id}}", KUBE_POD])
        deadline = time.time() + 15
        while time.time() < deadline and podman(["inspect", "--format", "{{.State.Status}}",
                                                 st["kube_c_name"]]) == "running":
            time.sleep(0.2)
    step("kube", kube)

    # End the long-running container, then give vigil time to see the
    # cgroups go and to settle held events.
    def stop_long():
        podman(["rm", "-f", "-t", "2", st["c_name"]])
    if "c_id" in st:
        step("stop_long", stop_long)
    for p in (POD, KUBE_POD):
        subprocess.run(["podman", "pod", "rm", "-f", "-t", "0", "--ignore", p],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    time.sleep(1.5)
    t = time.time()
    v.stop(signal.SIGINT, drain=1.0)
    log("# main run: stop and parse %.1f s" % (time.time() - t))
    log("# main run: %d events, exit %r, stats %s" % (len(v.events), v.rc, v.stats))
    if errors:
        log("# main run steps failed: %s" % "; ".join(errors))

    def need(*keys):
        missing = [k for k in keys if k not in st]
        assert not missing, "setup did not finish (%s): %s" % (
            ", ".join(missing), "; ".join(errors) or "?")

    def chk_clean():
        v.assert_clean_exit()
        v.assert_valid_lines()
        for k in ("workloads", "cgroups", "held"):
            assert isinstance(v.stats.get(k), int), "stats lacks %r: %s" % (k, v.stats)
    run_test("workloads_main_clean_exit_and_stats", chk_clean)

    def chk_every_event():
        assert v.events, "no events"
        bad = [e for e in v.events if not isinstance(e.get("workload"), dict)]
        assert not bad, "%d of %d events without a workload object, e.g. %s" % (
            len(bad), len(v.events), brief(bad[0]))
        notlast = [e for e in v.events if list(e)[-1] != "workload"]
        assert not notlast, "%d events where workload is not the last key, e.g. keys %s" % (
            len(notlast), list(notlast[0]))
        kinds = [e for e in v.events if wl(e).get("kind") not in ("host", "container")]
        assert not kinds, "workload.kind not host/container: %s" % brief(kinds[0])
        noid = [e for e in v.events if wl(e)["kind"] == "container" and
                not (isinstance(wl(e).get("id"), str) and len(wl(e)["id"]) == 64 and
                     all(c in "0123456789abcdef" for c in wl(e)["id"]))]
        assert not noid, "container workload without a 64-hex id: %s" % brief(noid[0])
        hostid = [e for e in v.events if wl(e)["kind"] == "host" and "id" in wl(e)]
        assert not hostid, "host workload with an id: %s" % brief(hostid[0])
    run_test("workloads_every_event_has_workload_last", chk_every_event)

    def chk_host():
        need("host_pid")
        e = v.once("host /bin/true", "exec", st["host_pid"])
        w = wl(e)
        assert w and w.get("kind") == "host", "workload of the test's /bin/true: %s" % json.dumps(w)
        for k in ("id", "entered", "name", "image", "unresolved"):
            assert k not in w, "host workload has %r: %s" % (k, json.dumps(w))
        ex = v.find("exit", st["host_pid"])
        assert ex and all(wl(x)["kind"] == "host" for x in ex), \
            "exit of the host /bin/true: %s" % [brief(x) for x in ex]
    run_test("workloads_host_process_is_host", chk_host)

    def chk_two():
        need("a", "b")
        assert st["a"] != st["b"], "podman gave both containers id %s" % st["a"]
        ws = {}
        for k in ("a", "b"):
            init = tagged_exec(v, "vigil-tag-" + k, "init of container " + k)
            ws[k] = check_container_wl(init, st[k], PREFIX + k, what="init exec of container " + k)
            cats = children_execs(v, init["proc"]["pid"], ["cat", "/etc/hostname"])
            assert len(cats) == 1, "container %s: %d execs of 'cat /etc/hostname' by its init %s" % (
                k, len(cats), init["proc"]["pid"])
            check_container_wl(cats[0], st[k], PREFIX + k, what="cat in container " + k)
            opens = v.find("open", cats[0]["proc"]["pid"],
                           lambda e: e["file"]["path"] == "/etc/hostname")
            assert opens, "container %s: no open of /etc/hostname by cat (pid %s)" % (
                k, cats[0]["proc"]["pid"])
            for o in opens:
                check_container_wl(o, st[k], PREFIX + k, what="open /etc/hostname in container " + k)
            # all events in the container's cgroup name this one container
            cg = init["cgroup_id"]
            mine = v.find(None, None, lambda e: e["cgroup_id"] == cg and
                          e["event"] not in ("container_start", "container_stop"))
            other = [e for e in mine if wl(e).get("id") != st[k]]
            assert not other, "container %s: %d of %d events of its cgroup %s attributed elsewhere: %s" % (
                k, len(other), len(mine), cg, brief(other[0]))
        assert ws["a"]["id"] != ws["b"]["id"], "both containers have workload.id %s" % ws["a"]["id"]
        assert ws["a"]["name"] != ws["b"]["name"], "both containers named %s" % ws["a"]["name"]
        assert ws["a"]["image"] == ws["b"]["image"] == IMAGE, "images %r %r" % (
            ws["a"]["image"], ws["b"]["image"])
    run_test("workloads_two_containers_same_image", chk_two)

    def chk_exited():
        need("a", "b")
        for k in ("a", "b"):
            init = tagged_exec(v, "vigil-tag-" + k, "init of container " + k)
            pid = init["proc"]["pid"]
            # busybox sh execs its last command in place: sleep may be the init itself
            sleeps = v.find("exec", None, lambda e: e["proc"]["args"] == ["sleep", "1"] and
                            pid in (e["proc"]["pid"], e["proc"]["ppid"]))
            assert len(sleeps) == 1, "container %s: %d execs of 'sleep 1'" % (k, len(sleeps))
            check_container_wl(sleeps[0], st[k], PREFIX + k, what="exec of sleep 1 in container " + k)
            for p in sorted({sleeps[0]["proc"]["pid"], pid}):
                ex = v.once("exit of pid %s in container %s" % (p, k), "exit", p)
                check_container_wl(ex, st[k], PREFIX + k,
                                   what="exit of pid %s in exited container %s" % (p, k))
            # the very last events of the container's cgroup too
            cg = init["cgroup_id"]
            last = [e for e in v.events if e.get("cgroup_id") == cg and
                    e["event"] not in ("container_start", "container_stop")][-3:]
            for e in last:
                check_container_wl(e, st[k], PREFIX + k, entered=bool(wl(e).get("entered")),
                                   what="late event %s of container %s" % (e["event"], k))
    run_test("workloads_exited_container_keeps_attribution", chk_exited)

    def chk_lifecycle():
        need("a", "b")
        for k in ("a", "b"):
            starts = lifecycle(v, "container_start", st[k])
            stops = lifecycle(v, "container_stop", st[k])
            assert len(starts) == 1 and len(stops) == 1, \
                "container %s (--rm): %d container_start and %d container_stop, want 1 each: %s" % (
                    k, len(starts), len(stops), [brief(e) for e in starts + stops])
            for e in starts + stops:
                assert set(e) >= {"time", "host", "event", "cgroup_id", "workload"}, \
                    "%s keys %s" % (e["event"], list(e))
                assert not (set(e) - {"time", "host", "event", "cgroup_id", "workload"}), \
                    "%s has extra keys %s" % (e["event"], list(e))
                check_container_wl(e, st[k], PREFIX + k, what="%s of container %s" % (e["event"], k))
            init = tagged_exec(v, "vigil-tag-" + k, "init of container " + k)
            assert starts[0]["cgroup_id"] == stops[0]["cgroup_id"] == init["cgroup_id"], \
                "container %s: cgroup_id of start %s, stop %s, init exec %s" % (
                    k, starts[0]["cgroup_id"], stops[0]["cgroup_id"], init["cgroup_id"])
            i_start, i_init, i_stop = (v.events.index(starts[0]), v.events.index(init),
                                       v.events.index(stops[0]))
            assert starts[0]["time"] <= init["time"] <= stops[0]["time"], \
                "container %s: times start %s, init exec %s, stop %s" % (
                    k, starts[0]["time"], init["time"], stops[0]["time"])
            assert i_start < i_stop, "container %s: container_stop printed before container_start" % k
            del i_init
        need("c_id")
        starts = lifecycle(v, "container_start", st["c_id"])
        stops = lifecycle(v, "container_stop", st["c_id"])
        assert len(starts) == 1 and len(stops) == 1, \
            "long container (podman rm -f): %d container_start, %d container_stop" % (
                len(starts), len(stops))
    run_test("workloads_container_start_stop_once", chk_lifecycle)

    def chk_init_not_entered():
        need("c_id", "c_pid")
        init = tagged_exec(v, "vigil-tag-long", "init of the long container")
        assert init["proc"]["pid"] == st["c_pid"], "init exec pid %s != podman's State.Pid %s" % (
            init["proc"]["pid"], st["c_pid"])
        check_container_wl(init, st["c_id"], st["c_name"], what="init exec of the long container")
        own = v.find(None, st["c_pid"])
        for e in own:
            check_container_wl(e, st["c_id"], st["c_name"], what="%s of the init" % e["event"])
        sleeps = children_execs(v, st["c_pid"], ["sleep", "0.3"])
        assert len(sleeps) >= 2, "only %d 'sleep 0.3' execs by the init" % len(sleeps)
        for e in sleeps:
            check_container_wl(e, st["c_id"], st["c_name"], what="sleep started by the init")
    run_test("workloads_container_init_not_entered", chk_init_not_entered)

    def chk_podman_exec():
        need("c_id")
        assert "podman_exec" not in st.get("failed_steps", {}), st["failed_steps"].get("podman_exec")
        e = tagged_exec(v, "vigil-tag-exec", "podman exec sh")
        check_container_wl(e, st["c_id"], st["c_name"], entered=True, what="podman exec sh")
        opens = v.find("open", e["proc"]["pid"], lambda x: x["file"]["path"] == "/tmp/x")
        assert opens, "no open of /tmp/x by the podman exec shell (pid %s)" % e["proc"]["pid"]
        for o in opens:
            check_container_wl(o, st["c_id"], st["c_name"], entered=True,
                               what="open /tmp/x by the podman exec shell")
    run_test("workloads_podman_exec_entered", chk_podman_exec)

    def chk_nsenter():
        need("c_id")
        assert "nsenter" not in st.get("failed_steps", {}), st["failed_steps"].get("nsenter")
        e = tagged_exec(v, "vigil-tag-nsenter", "nsenter /bin/sh")
        # nsenter does not move the process into the container's cgroup
        init = tagged_exec(v, "vigil-tag-long", "init of the long container")
        assert e["cgroup_id"] != init["cgroup_id"], "the nsenter shell is in the container's cgroup?"
        check_container_wl(e, st["c_id"], st["c_name"], entered=True, what="shell run by nsenter")
        opens = v.find("open", e["proc"]["pid"], lambda x: x["file"]["path"] == "/tmp/y")
        assert opens, "no open of /tmp/y by the nsenter shell (pid %s)" % e["proc"]["pid"]
        for o in opens:
            check_container_wl(o, st["c_id"], st["c_name"], entered=True,
                               what="open /tmp/y by the nsenter shell")
        # nsenter itself, before it joined, is a host process
        ns = v.find("exec", None, lambda x: x["proc"]["args"][:1] == ["nsenter"] and
                    x["proc"]["args"][-1] == "vigil-tag-nsenter")
        assert len(ns) == 1, "%d execs of nsenter" % len(ns)
        assert wl(ns[0])["kind"] == "host", "nsenter before setns: %s" % json.dumps(wl(ns[0]))
    run_test("workloads_nsenter_entered", chk_nsenter)

    def chk_pod():
        need("pod_id", "pod_c")
        e = tagged_exec(v, "vigil-tag-pod", "init of the container in the pod")
        w = check_container_wl(e, st["pod_c"], PREFIX + "inpod", what="container in a podman pod")
        # The cgroup path (/libpod_parent/<pod id>/libpod-<id>) always names
        # the pod id.  podman keeps pod names in its own database, served only
        # by its API (running since the pod step); `podman pod create` has
        # no Kubernetes namespace at all.
        assert w.get("pod_id") == st["pod_id"], "workload.pod_id %r != pod id %r: %s" % (
            w.get("pod_id"), st["pod_id"], json.dumps(w))
        if st.get("api"):
            assert w.get("pod") == POD, "workload.pod %r != %r (podman API up): %s" % (
                w.get("pod"), POD, json.dumps(w))
        elif "pod" in w:
            assert w["pod"] == POD, "workload.pod %r != %r" % (w["pod"], POD)
        assert "namespace" not in w, "namespace %r for a podman pod that has none" % w["namespace"]
        log("# podman pod workload: %s" % json.dumps(w))
    run_test("workloads_podman_pod", chk_pod)

    def chk_kube():
        need("kube_c", "kube_pod_id")
        e = tagged_exec(v, "vigil-tag-kube", "init of the kube play container")
        w = check_container_wl(e, st["kube_c"], st["kube_c_name"],
                               what="container of a kube play pod")
        assert w.get("pod_id") == st["kube_pod_id"], "workload.pod_id %r != %r" % (
            w.get("pod_id"), st["kube_pod_id"])
        # podman kube play names the pod after metadata.name, the container
        # <pod>-<container>, and gives metadata.labels to the containers; it
        # drops metadata.namespace (stored nowhere: not in podman pod
        # inspect, not in the container's annotations), so vigil cannot
        # report it.  Pod name and labels come only from podman's API.
        if st.get("api"):
            assert w.get("pod") == KUBE_POD, "workload.pod %r != %r (podman API up): %s" % (
                w.get("pod"), KUBE_POD, json.dumps(w))
            assert (w.get("labels") or {}).get("app") == "vigiltest", \
                "workload.labels %r lack app=vigiltest (podman API up)" % w.get("labels")
        else:
            if "pod" in w:
                assert w["pod"] == KUBE_POD, "workload.pod %r != %r" % (w["pod"], KUBE_POD)
            if "labels" in w:
                assert w["labels"].get("app") == "vigiltest", "labels %r" % w["labels"]
        assert w.get("namespace") != "vigil-ns", "namespace vigil-ns: podman does not keep it?"
        log("# kube play workload: %s" % json.dumps(w))
    run_test("workloads_kube_play_pod", chk_kube)
    return v.stats if v.stats and "workloads" in v.stats else None


# ---- churn run -------------------------------------------------------------------

def churn_run(baseline):
    tmp = mkdtemp()
    v = Vigil(["--events", "exec,exit,container_start,container_stop"], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("workloads_churn_start", False, e)
        return
    warm = []
    err = []
    pre_running = podman(["ps", "-q", "--no-trunc"], check=False).split()
    cgroup_dirs_end = 0
    try:
        # Warm up: the first containers grow the caches to their working size.
        for i in range(3):
            warm.append(run_container(tmp, "%swarm%d" % (PREFIX, i), ["/bin/true"]))
        time.sleep(1.0)
        host_true()
        time.sleep(0.5)
        rss_before = vm_rss_kb(v.proc.pid)
        ids = {}
        lock = threading.Lock()
        todo = list(range(CHURN))

        def worker():
            while True:
                with lock:
                    if not todo or err:
                        return
                    i = todo.pop(0)
                try:
                    cid = run_container(tmp, "%schurn%d" % (PREFIX, i), ["/bin/true"])
                except Exception as e:  # noqa: BLE001
                    with lock:
                        err.append(str(e))
                    return
                with lock:
                    ids[cid] = "%schurn%d" % (PREFIX, i)
        t0 = time.time()
        ts = [threading.Thread(target=worker) for _ in range(CHURN_PARALLEL)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        churn_secs = time.time() - t0
        rss_peak = vm_rss_kb(v.proc.pid)
        time.sleep(REAP_SETTLE)
        host_true()          # one more event, so the loop runs its reaper
        time.sleep(1.0)
        rss_after = vm_rss_kb(v.proc.pid)
        alive = v.alive()
    except Exception as e:  # noqa: BLE001
        err.append("%s: %s" % (type(e).__name__, e))
        ids, rss_before, rss_peak, rss_after, churn_secs, alive = {}, 0, 0, 0, 0, v.alive()
    cgroup_dirs_end = count_cgroup_dirs()
    v.stop(signal.SIGINT)
    log("# churn: %d containers in %.1f s (%d in parallel); vigil VmRSS before %d kB, "
        "right after %d kB, after %.0f s settle %d kB (bound %d kB); exit stats %s" % (
            len(ids), churn_secs, CHURN_PARALLEL, rss_before, rss_peak, REAP_SETTLE, rss_after,
            rss_before + RSS_SLACK_KB, v.stats))

    def chk_attr():
        assert not err, "churn failed: %s" % err[:3]
        assert len(ids) == CHURN, "only %d of %d containers ran" % (len(ids), CHURN)
        assert alive, "vigil died during the churn: %s" % v.stderr.strip()[-600:]
        # /bin/true inside the image is busybox; the host's is coreutils
        inside = v.find("exec", None, lambda e: e["proc"]["args"] == ["/bin/true"] and
                        e.get("ret", 0) >= 0 and os.path.basename(e["proc"]["exe"]) == "busybox")
        bad = [e for e in inside if not (wl(e) and wl(e).get("kind") == "container" and
                                         wl(e).get("id"))]
        assert not bad, "%d of %d /bin/true execs inside containers not attributed to a container, " \
            "e.g. %s" % (len(bad), len(inside), brief(bad[0]))
        by_id = {}
        for e in inside:
            by_id.setdefault(wl(e)["id"], []).append(e)
        missing = [c for c in ids if c not in by_id]
        assert not missing, "%d of %d churn containers have no attributed /bin/true exec, e.g. %s (%s)" % (
            len(missing), len(ids), missing[0], ids[missing[0]])
        # (others may run containers of the same image meanwhile)
        stray = [c for c in by_id if c not in ids and c not in warm and
                 any(wl(e).get("name", "").startswith(PREFIX) for e in by_id[c])]
        assert not stray, "/bin/true execs attributed to unknown container ids %s named %s" % (
            stray[:3], wl(by_id[stray[0]][0]).get("name") if stray else "")
        wrong = []
        for c, name in ids.items():
            for e in by_id[c]:
                w = wl(e)
                if "entered" in w or w.get("runtime") != "podman" or \
                        ("name" in w and w["name"] != name):
                    wrong.append((name, w))
        assert not wrong, "%d churn execs with a wrong workload, e.g. %s: %s" % (
            len(wrong), wrong[0][0], json.dumps(wrong[0][1]))
        named = sum(1 for c in ids for e in by_id[c] if wl(e).get("name"))
        unresolved = sum(1 for c in ids for e in by_id[c] if wl(e).get("unresolved"))
        log("# churn: %d /bin/true execs attributed, %d with a name, %d unresolved" % (
            sum(len(by_id[c]) for c in ids), named, unresolved))
        starts = v.find("container_start", None, lambda e: wl(e)["id"] in ids)
        stops = v.find("container_stop", None, lambda e: wl(e)["id"] in ids)
        assert len(starts) == CHURN and len(stops) == CHURN and \
            len({wl(e)["id"] for e in starts}) == CHURN, \
            "%d container_start (%d ids), %d container_stop for %d containers" % (
                len(starts), len({wl(e)["id"] for e in starts}), len(stops), CHURN)
    run_test("workloads_churn_every_exec_attributed", chk_attr)

    def chk_rss():
        assert not err, "churn failed: %s" % err[:3]
        if os.environ.get("VIGIL_SANITIZER"):
            # ASan keeps freed memory in quarantine, so RSS says nothing
            # there; LeakSanitizer checks for leaks when vigil exits.
            log("# churn: RSS check skipped under ASan (LeakSanitizer runs at exit)")
            return
        assert rss_after <= rss_before + RSS_SLACK_KB, \
            "VmRSS %d kB after %d containers and %.0f s settle > %d kB before + %d kB" % (
                rss_after, CHURN, REAP_SETTLE, rss_before, RSS_SLACK_KB)
    run_test("workloads_churn_memory_returns", chk_rss)

    def chk_counts():
        v.assert_clean_exit()
        s = v.stats
        for k in ("workloads", "cgroups", "held"):
            assert isinstance(s.get(k), int), "stats lacks %r: %s" % (k, s)
        assert s["held"] == 0, "%d events still held at exit" % s["held"]
        # Others may run containers meanwhile, so the bound is what vigil may
        # rightly still hold: containers running before it started, started
        # and not stopped, or stopped less than the 5 s grace (+2 s) before
        # its last event; a few host workloads; cgroups: the v2 directories
        # that exist now, a cache slot per directory, and a few per live
        # container.  A leak of the churn adds CHURN workloads (2x cgroups).
        starts = {wl(e)["id"]: ev_time(e) for e in v.find("container_start")}
        stops = {wl(e)["id"]: ev_time(e) for e in v.find("container_stop")}
        end = max(ev_time(e) for e in v.events)
        live = set(pre_running)
        live |= {c for c in starts if c not in stops}
        live |= {c for c, t in stops.items() if t > end - 7.0}
        leaked_mine = [c for c in live if c in ids]
        lim_w = len(live) + 5
        lim_c = 2 * cgroup_dirs_end + 3 * len(live) + 10
        log("# churn registry: workloads %d (bound %d), cgroups %d (bound %d); live containers %d, "
            "v2 cgroup dirs %d; main run had workloads %s, cgroups %s" % (
                s["workloads"], lim_w, s["cgroups"], lim_c, len(live), cgroup_dirs_end,
                (baseline or {}).get("workloads"), (baseline or {}).get("cgroups")))
        assert not leaked_mine, "churn containers not stopped per container_stop: %s" % leaked_mine[:3]
        assert s["workloads"] <= lim_w and s["cgroups"] <= lim_c, \
            "after %d containers and %.0f s: workloads %d (bound %d), cgroups %d (bound %d), " \
            "with %d containers live or recently stopped and %d v2 cgroup directories" % (
                CHURN, REAP_SETTLE, s["workloads"], lim_w, s["cgroups"], lim_c, len(live),
                cgroup_dirs_end)
    run_test("workloads_churn_registry_reaped", chk_counts)


# ---- attribution off ---------------------------------------------------------------

def off_run():
    tmp = mkdtemp()
    v = Vigil(["--set", "workload.attribution=false"], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("workloads_off_no_workload_key", False, e)
        return
    err = None
    try:
        hp = host_true()
        cid = run_container(tmp, PREFIX + "off", ["sh", "-c", "cat /etc/hostname", "vigil-tag-off"])
    except Exception as e:  # noqa: BLE001
        err = e
    v.stop(signal.SIGINT)

    def chk():
        assert err is None, "setup failed: %s" % err
        assert v.rc == 0, "exit %r: %s" % (v.rc, v.stderr.strip()[-400:])
        v.assert_valid_lines()
        v.once("host /bin/true", "exec", hp)
        e = tagged_exec(v, "vigil-tag-off", "container init with attribution off")
        with_wl = [x for x in v.events if "workload" in x]
        assert not with_wl, "%d events have a workload key with attribution off, e.g. %s" % (
            len(with_wl), brief(with_wl[0]))
        lc = v.find(None, None, lambda x: x["event"] in ("container_start", "container_stop"))
        assert not lc, "container_start/stop with attribution off: %s" % brief(lc[0])
        assert e["cgroup_id"] and cid
    run_test("workloads_off_no_workload_key", chk)


def main():
    if os.geteuid() != 0:
        record("root", False, "integration tests need root")
        return
    at_cleanup(cleanup_containers)
    p = subprocess.run(["sh", MAKE_IMAGE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    if p.returncode != 0:
        record("workloads_image", False, "make-image.sh exited %d: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip()[-400:]))
        return
    t0 = time.time()
    baseline = main_run()
    log("# main run took %.0f s" % (time.time() - t0))
    t1 = time.time()
    churn_run(baseline)
    log("# churn run took %.0f s" % (time.time() - t1))
    off_run()
    log("# all runs took %.0f s" % (time.time() - t0))



if __name__ == "__main__":
    main_guard(main)

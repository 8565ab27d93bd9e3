#!/usr/bin/env python3
"""test_lifecycle.py - vigil under overload and at shutdown: a burst of
opens from many threads overflows a small ring buffer (drops counted and
warned about, nothing crashes, clean exit on SIGINT with no BPF programs
left), and SIGTERM exits just as cleanly."""
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigiltest import (BURST, QUICK, Vigil, log, main_guard, mkdtemp,  # noqa: E402
                       record, run_helper, run_test, ACTIONS)

WARN = re.compile(r"^vigil: warning: ring buffer full, (\d+) events lost \((\d+) in total\)$", re.M)


def overflow_run():
    tmp = mkdtemp()
    v = Vigil(["--set", "sensor.ring_buffer_size=64K", "--set", "sensor.wakeup_bytes=16K",
               "--set", "sensor.open_dedup_window=0"], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("ring_overflow_start", False, e)
        return
    d = os.path.join(tmp, "burst")
    os.mkdir(d)
    threads, per = (8, 5000) if QUICK else (16, 20000)
    b = run_helper([d, str(threads), str(per)], binary=BURST, timeout=300)
    later = os.path.join(tmp, "after-burst")
    h = run_helper(["touch", later])
    alive = v.alive()
    v.stop(signal.SIGINT, drain=0.5)
    log("# overflow run: %d events, exit %r, stats %s" % (len(v.events), v.rc, v.stats))

    def chk_drops():
        assert b.rc == 0, "burst helper exited %s: %s" % (b.rc, b.err[-300:])
        assert alive, "vigil died during the burst: exit %r, stderr %s" % (v.rc, v.stderr.strip()[-600:])
        assert v.stats is not None, "no stats line: %s" % v.stderr.strip()[-600:]
        s = v.stats
        assert s.get("ring_buffer_size") == 64 * 1024, "ring_buffer_size %r" % s.get("ring_buffer_size")
        assert isinstance(s.get("drops"), int) and s["drops"] > 0, \
            "no drops reported after %d x %d opens into a 64K ring: %s" % (threads, per, s)
        per_cpu = s.get("drops_per_cpu")
        assert isinstance(per_cpu, list) and sum(per_cpu) == s["drops"], \
            "drops_per_cpu %r does not add up to drops %r" % (per_cpu, s["drops"])
        assert s.get("ring_buffer_max_fill", 0) > 0, "ring_buffer_max_fill %r" % s.get("ring_buffer_max_fill")
        burst_opens = len(v.find("open", b.pid))
        assert burst_opens < threads * per, "all %d burst opens reported despite drops" % burst_opens
        warns = WARN.findall(v.stderr)
        assert warns, "no 'vigil: warning: ring buffer full, N events lost (M in total)' line: %s" % (
            v.stderr.strip()[-600:])
        last_total = int(warns[-1][1])
        assert all(int(n) > 0 for n, _ in warns), "warning with 0 events lost: %s" % warns
        assert last_total <= s["drops"], "warned total %d > stats drops %d" % (last_total, s["drops"])
        totals = [int(t) for _, t in warns]
        assert totals == sorted(totals), "warned totals not increasing: %s" % totals
    run_test("ring_overflow_drops_reported", chk_drops)

    def chk_after():
        v.assert_valid_lines()
        assert h.rc == 0, "touch helper failed"
        v.once("open after the burst", "open", h.pid, lambda e: e["file"]["path"] == later)
    run_test("ring_overflow_valid_output_and_later_event", chk_after)
    run_test("ring_overflow_sigint_clean_exit_no_programs_left", v.assert_clean_exit)


def sigterm_run():
    tmp = mkdtemp()
    v = Vigil([], tmp)
    try:
        v.start()
    except AssertionError as e:
        record("sigterm_clean_exit", False, e)
        return
    path = os.path.join(tmp, "before-sigterm")
    h = run_helper(["touch", path])
    v.stop(signal.SIGTERM)

    def chk():
        v.assert_clean_exit()
        v.assert_valid_lines()
        assert h.rc == 0
        v.once("open before SIGTERM", "open", h.pid, lambda e: e["file"]["path"] == path)
    run_test("sigterm_clean_exit", chk)


def main():
    if os.geteuid() != 0:
        record("root", False, "integration tests need root")
        return
    assert os.path.exists(ACTIONS) and os.path.exists(BURST), "helpers not built"
    overflow_run()
    sigterm_run()


if __name__ == "__main__":
    main_guard(main)

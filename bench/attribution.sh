#!/usr/bin/env bash
# bench/attribution.sh - what workload attribution costs vigil's throughput.
#
# Runs `vigil trace > /dev/null` with --set workload.attribution=true and
# =false, interleaved (the order alternates per round), while a load makes
# many reported events: the connect loop of bench/loops.c (TCP connect +
# accept + close to loopback, each a reported event), built into
# build/bench/loops if missing.  Per run:
#   events/s = kernel_events (vigil's exit stats) / seconds the load ran
# and prints the medians over rounds and their ratio as one line:
#   attribution: events/s with X, without Y, ratio Z
# (ratio = with / without; 1.00 means attribution costs nothing).  Drops
# are reported per run: a run that dropped events measured the ring, not
# vigil.  Root needed.  About a minute with the defaults.
#
# Environment:
#   ATTR_ROUNDS=5        rounds (each runs both modes)
#   ATTR_ITERS=20000     connect iterations per run
#   ATTR_MS=1500         time budget of the load per run, milliseconds
#   VIGIL_BIN=./vigil    the vigil binary
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
OUT=$ROOT/build/bench
ROUNDS=${ATTR_ROUNDS:-5}
ITERS=${ATTR_ITERS:-20000}
MS=${ATTR_MS:-1500}
VIGIL=${VIGIL_BIN:-$ROOT/vigil}
LOOPS=$OUT/loops
TMP=$(mktemp -d /tmp/vigil-attr.XXXXXX)
VPID=""

log() { printf 'attribution: %s\n' "$*" >&2; }

cleanup() {
	if [ -n "$VPID" ]; then
		kill -KILL "$VPID" 2>/dev/null
		wait "$VPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	log "needs root"
	exit 1
fi
if [ ! -x "$VIGIL" ]; then
	log "no vigil binary at $VIGIL (make vigil)"
	exit 1
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$OUT"
if [ ! -x "$LOOPS" ] || [ bench/loops.c -nt "$LOOPS" ]; then
	if ! cc -O2 -Wall -Wextra bench/loops.c -o "$LOOPS"; then
		log "cannot build bench/loops.c"
		exit 1
	fi
fi

now_ns() { date +%s%N; }
# user+system clock ticks a process has used (what vigil's own work costs)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_one MODE(true|false): prints "events seconds drops" or nothing on failure
run_one() {
	local mode=$1 err=$TMP/vigil-$mode.err state i t0 t1 c0 c1 stats
	state=$(mktemp -d "$TMP/state.XXXXXX")
	"$VIGIL" trace --state-dir "$state" --set "workload.attribution=$mode" \
		>/dev/null 2>"$err" &
	VPID=$!
	for i in $(seq 1 300); do
		grep -q 'vigil: sensor ready' "$err" 2>/dev/null && break
		if ! kill -0 "$VPID" 2>/dev/null; then
			log "vigil (attribution=$mode) exited before ready: $(tail -c 300 "$err")"
			VPID=""
			return 1
		fi
		sleep 0.1
	done
	sleep 0.5
	c0=$(cpu_ticks "$VPID")
	t0=$(now_ns)
	if ! "$LOOPS" connect "$ITERS" "$MS" >"$TMP/loops.out" 2>"$TMP/loops.err"; then
		log "load failed: $(cat "$TMP/loops.err")"
	fi
	t1=$(now_ns)
	sleep 0.3		# let vigil drain what the load produced
	c1=$(cpu_ticks "$VPID")
	kill -INT "$VPID"
	wait "$VPID"
	VPID=""
	stats=$(sed -n 's/^vigil: stats //p' "$err" | tail -n 1)
	if [ -z "$stats" ]; then
		log "no stats line (attribution=$mode): $(tail -c 300 "$err")"
		return 1
	fi
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
print(s["kernel_events"], (int(sys.argv[3]) - int(sys.argv[2])) / 1e9, s["drops"],
      int(sys.argv[5]) - int(sys.argv[4]))
' "$stats" "$t0" "$t1" "$c0" "$c1"
}

: >"$TMP/results"
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then order="true false"; else order="false true"; fi
	for mode in $order; do
		if line=$(run_one "$mode"); then
			read -r ev secs drops ticks <<<"$line"
			log "round $r attribution=$mode: $ev events in ${secs}s, drops $drops, vigil cpu $ticks ticks"
			echo "$mode $ev $secs $drops $ticks" >>"$TMP/results"
		fi
	done
done

python3 - "$TMP/results" <<'EOF'
import statistics, sys
import os
rates = {"true": [], "false": []}
cost = {"true": [], "false": []}	# vigil CPU microseconds per event
tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
for line in open(sys.argv[1]):
    mode, ev, secs, drops, ticks = line.split()
    if float(secs) > 0:
        rates[mode].append(int(ev) / float(secs))
    if int(ev) > 0:
        cost[mode].append(int(ticks) * tick_us / int(ev))
if not rates["true"] or not rates["false"]:
    print("attribution: no complete measurement")
    sys.exit(1)
w, wo = statistics.median(rates["true"]), statistics.median(rates["false"])
print("attribution: events/s with %.0f, without %.0f, ratio %.3f" % (w, wo, w / wo))
cw, cwo = statistics.median(cost["true"]), statistics.median(cost["false"])
if cwo > 0:
    print("attribution: vigil CPU per event with %.2f us, without %.2f us, ratio %.3f "
          "(events/s one vigil CPU can take: %.0f vs %.0f)" % (cw, cwo, cw / cwo, 1e6 / cw, 1e6 / cwo))
EOF

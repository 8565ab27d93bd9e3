#!/usr/bin/env bash
# bench/run.sh - `make bench`: what vigil costs a syscall, side by side.
#
# Three loops (bench/loops.c: open+close, spawn /bin/true, TCP
# connect+accept) run under each monitoring mode:
#   none      nothing attached
#   floor     no-op BPF programs on vigil's raw tracepoints (bench/floor.c)
#   vigil     ./vigil trace > /dev/null
#   auditd    auditd with audit rules for the same syscalls
#   bpftrace  bpftrace printing the same syscalls to /dev/null
# Runs are interleaved: every round starts each mode in turn (the order
# rotated per round), runs the three loops under it, stops it. The table
# shows, per mode and loop, the median over rounds of each run's median ns
# per operation, and the ratios between modes. Results also go to
# build/bench/results.json.
#
# Environment:
#   BENCH_ROUNDS=5      rounds
#   BENCH_MS=800        time budget of one loop measurement, milliseconds
#   BENCH_SETTLE=1      seconds a mode is left to settle once it is ready
#   BENCH_MODES="none floor vigil auditd bpftrace"   modes to run
#   BENCH_STRICT=1      exit 1 when a target is missed (default: report only)
#   VIGIL_BIN=./vigil   the vigil binary
#   VIGIL_ARGS="--set sensor.open_dedup_window=0"   extra vigil arguments (e.g. dedup off)
#
# A peer that is missing or fails to start is skipped with a message; the
# bench goes on without it. Everything started is stopped, and audit rules
# and settings restored, on every exit path.
# shellcheck disable=SC2317  # start_*/stop_* and cleanup are called indirectly
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
OUT=$ROOT/build/bench
ROUNDS=${BENCH_ROUNDS:-5}
MEASURE_MS=${BENCH_MS:-800}
SETTLE=${BENCH_SETTLE:-1}
MODES_WANTED=${BENCH_MODES:-"none floor vigil auditd bpftrace"}
VIGIL=${VIGIL_BIN:-$ROOT/vigil}
LOOPS="open exec connect"
MAX_ITERS=100000000        # loops stop on the time budget long before this
AUDIT_KEY=vigilbench
AUDIT_SYSCALLS=openat,open,openat2,execve,execveat,connect,accept,accept4,bind,listen

mkdir -p "$OUT"
RAW=$OUT/raw.tsv
: > "$RAW"

log() { printf 'bench: %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# Cleanup: every exit path goes through here. State it needs is global.
CUR_PID=""              # the monitor process of the running mode
AUDIT_RULES_ADDED=0
AUDITD_PID=""           # set only when we started auditd
AUDIT_ORIG_ENABLED=""
AUDIT_ORIG_BACKLOG=""
AUDIT_TOUCHED=0

stop_pid() {            # stop_pid PID: TERM, wait up to 10 s, then KILL
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

audit_restore() {
	if [ "$AUDIT_RULES_ADDED" = 1 ]; then
		auditctl -D -k "$AUDIT_KEY" >/dev/null 2>&1
		AUDIT_RULES_ADDED=0
	fi
	if [ -n "$AUDITD_PID" ]; then
		stop_pid "$AUDITD_PID"
		AUDITD_PID=""
		rm -rf "$OUT/audit"
	fi
	if [ "$AUDIT_TOUCHED" = 1 ]; then
		[ -n "$AUDIT_ORIG_BACKLOG" ] && auditctl -b "$AUDIT_ORIG_BACKLOG" >/dev/null 2>&1
		[ -n "$AUDIT_ORIG_ENABLED" ] && [ "$AUDIT_ORIG_ENABLED" != 2 ] &&
			auditctl -e "$AUDIT_ORIG_ENABLED" >/dev/null 2>&1
		AUDIT_TOUCHED=0
	fi
}

cleanup() {
	stop_pid "$CUR_PID"
	CUR_PID=""
	audit_restore
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------------------
# Build what the bench needs into build/bench.
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
CC=${CC:-cc}
CLANG=${CLANG:-clang}
log "building loops and the floor loader in build/bench"
if ! $CC -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	bench/loops.c -o "$OUT/loops"; then
	log "cannot build bench/loops.c"
	exit 1
fi
FLOOR_OK=1
if ! $CLANG -g -O2 -target bpf -I"$ARCH_INC" -Wall -Werror \
	-c bench/floor.bpf.c -o "$OUT/floor.bpf.o" ||
	! $CC -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	bench/floor.c -lbpf -lelf -lz -o "$OUT/floor"; then
	FLOOR_OK=0
fi

# Kernel file systems the monitors need (left mounted: others use them).
if [ "$(id -u)" = 0 ]; then
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
else
	log "not root: every mode but 'none' will be skipped"
fi

# ---------------------------------------------------------------------------
# Modes. start_MODE sets CUR_PID (if it starts a process) and returns 0 once
# the mode is attached and ready, or sets REASON and returns 1.
# stop_MODE undoes it.

# wait_line FILE REGEX PID SECONDS: until FILE has a line matching REGEX.
wait_line() {
	local file=$1 re=$2 pid=$3 secs=$4 i
	for i in $(seq 1 $((secs * 10))); do
		grep -q -- "$re" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

why() {                 # why FILE: last lines of a failed start's stderr
	[ -s "$1" ] && tail -n 3 "$1" | sed 's/^/    /' >&2
}

start_none() { return 0; }
stop_none() { return 0; }

start_floor() {
	if [ "$FLOOR_OK" != 1 ]; then
		REASON="floor loader did not build (clang -target bpf, libbpf-dev)"
		return 1
	fi
	"$OUT/floor" "$OUT/floor.bpf.o" 2>"$OUT/floor.err" &
	CUR_PID=$!
	if ! wait_line "$OUT/floor.err" ready "$CUR_PID" 30; then
		REASON="floor loader did not get ready"; why "$OUT/floor.err"
		return 1
	fi
}
stop_floor() { stop_pid "$CUR_PID"; CUR_PID=""; }

start_vigil() {
	if [ ! -x "$VIGIL" ]; then
		REASON="$VIGIL not built"
		return 1
	fi
	"$VIGIL" trace ${VIGIL_ARGS:-} >/dev/null 2>"$OUT/vigil.err" &
	CUR_PID=$!
	if ! wait_line "$OUT/vigil.err" ready "$CUR_PID" 60; then
		REASON="'$VIGIL trace' did not print a line containing 'ready'"
		why "$OUT/vigil.err"
		return 1
	fi
}
stop_vigil() { stop_pid "$CUR_PID"; CUR_PID=""; }

audit_field() { auditctl -s 2>/dev/null | awk -v k="$1" '$1 == k { print $2; exit }'; }

start_auditd() {
	local pid i dir
	if ! command -v auditctl >/dev/null || ! command -v auditd >/dev/null; then
		REASON="auditd/auditctl not installed"
		return 1
	fi
	if ! auditctl -s >/dev/null 2>&1; then
		REASON="auditctl -s fails (no audit support, or not root)"
		return 1
	fi
	if [ "$(audit_field enabled)" = 2 ]; then
		REASON="audit configuration is locked (enabled 2)"
		return 1
	fi
	if [ "$AUDIT_TOUCHED" = 0 ]; then
		AUDIT_ORIG_ENABLED=$(audit_field enabled)
		AUDIT_ORIG_BACKLOG=$(audit_field backlog_limit)
		AUDIT_TOUCHED=1
	fi
	pid=$(audit_field pid)
	if [ -z "$pid" ] || [ "$pid" = 0 ] || ! kill -0 "$pid" 2>/dev/null; then
		# Our own auditd: the system's configuration, but logging into
		# build/bench/audit so the system's audit log is left alone.
		dir=$OUT/audit
		rm -rf "$dir"
		mkdir -p "$dir/etc"
		chmod 0750 "$dir" "$dir/etc"
		if [ -r /etc/audit/auditd.conf ]; then
			grep -v '^[[:space:]]*log_file[[:space:]]*=' /etc/audit/auditd.conf >"$dir/etc/auditd.conf"
		else
			: >"$dir/etc/auditd.conf"
		fi
		echo "log_file = $dir/audit.log" >>"$dir/etc/auditd.conf"
		chmod 0640 "$dir/etc/auditd.conf"
		[ -d /etc/audit/plugins.d ] || mkdir -p "$dir/etc/plugins.d"
		auditd -n -c "$dir/etc" >"$dir/auditd.out" 2>&1 &
		AUDITD_PID=$!
		for i in $(seq 1 150); do
			[ "$(audit_field pid)" = "$AUDITD_PID" ] && break
			kill -0 "$AUDITD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if [ "$(audit_field pid)" != "$AUDITD_PID" ]; then
			REASON="auditd did not register with the kernel"; why "$dir/auditd.out"
			audit_restore
			return 1
		fi
	fi
	# What the distribution's audit.rules sets; the kernel default (64)
	# makes the loops wait on auditd instead of measuring it.
	auditctl -b 8192 >/dev/null 2>&1
	auditctl -e 1 >/dev/null 2>&1
	if ! auditctl -a always,exit -F arch=b64 -S "$AUDIT_SYSCALLS" -k "$AUDIT_KEY" \
		>"$OUT/auditctl.err" 2>&1; then
		REASON="auditctl -a failed"; why "$OUT/auditctl.err"
		audit_restore
		return 1
	fi
	AUDIT_RULES_ADDED=1
}
stop_auditd() { audit_restore; }

BT_SCRIPT=$OUT/trace.bt
cat >"$BT_SCRIPT" <<'EOF'
tracepoint:syscalls:sys_enter_openat { printf("openat %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:syscalls:sys_enter_open { printf("open %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:syscalls:sys_enter_openat2 { printf("openat2 %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:syscalls:sys_enter_execve { printf("execve %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:syscalls:sys_enter_execveat { printf("execveat %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:syscalls:sys_enter_connect { printf("connect %d %s fd=%d len=%d\n", pid, comm, args->fd, args->addrlen); }
tracepoint:syscalls:sys_enter_accept { printf("accept %d %s fd=%d\n", pid, comm, args->fd); }
tracepoint:syscalls:sys_enter_accept4 { printf("accept4 %d %s fd=%d\n", pid, comm, args->fd); }
tracepoint:syscalls:sys_enter_bind { printf("bind %d %s fd=%d\n", pid, comm, args->fd); }
tracepoint:syscalls:sys_enter_listen { printf("listen %d %s fd=%d\n", pid, comm, args->fd); }
EOF
BT_PROBES=$(grep -c '^tracepoint:' "$BT_SCRIPT")

start_bpftrace() {
	local i n
	if ! command -v bpftrace >/dev/null; then
		REASON="bpftrace not installed"
		return 1
	fi
	# Its lines go to /dev/null, so "Attaching N probes..." (stdout) cannot
	# be watched; instead wait until bpftool lists its tracepoints attached.
	bpftrace "$BT_SCRIPT" >/dev/null 2>"$OUT/bpftrace.err" &
	CUR_PID=$!
	for i in $(seq 1 600); do
		kill -0 "$CUR_PID" 2>/dev/null || break
		if command -v bpftool >/dev/null; then
			n=$(bpftool perf show 2>/dev/null | grep -c "^pid $CUR_PID .*tracepoint")
			[ "$n" -ge "$BT_PROBES" ] && return 0
		elif [ "$i" -ge 50 ]; then
			return 0        # no bpftool: give it 5 s
		fi
		sleep 0.1
	done
	REASON="bpftrace did not attach its $BT_PROBES probes"; why "$OUT/bpftrace.err"
	return 1
}
stop_bpftrace() { stop_pid "$CUR_PID"; CUR_PID=""; }

# ---------------------------------------------------------------------------
# The interleaved rounds.
MODES=()
declare -A SKIP=()
for m in $MODES_WANTED; do
	case $m in
	none | floor | vigil | auditd | bpftrace) MODES+=("$m") ;;
	*) log "unknown mode '$m' ignored" ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	for m in "${MODES[@]}"; do
		[ "$m" = none ] || SKIP[$m]="needs root"
	done
fi

# run_loops ROUND MODE: the three loops; rows go to $RAW only if the
# monitor (if any) is still alive afterwards.
run_loops() {
	local round=$1 mode=$2 loop line med rows="" summary=""
	for loop in $LOOPS; do
		if line=$("$OUT/loops" "$loop" "$MAX_ITERS" "$MEASURE_MS" 2>"$OUT/loops.err"); then
			med=${line#*median_ns=}
			med=${med%% *}
			rows+=$(printf '%s\t%s\t%s\t%s' "$round" "$mode" "$loop" "$med")$'\n'
			summary+=" $loop $(awk -v n="$med" 'BEGIN { printf "%.2fus", n / 1000 }')"
		else
			log "  $mode: $loop loop failed: $(tail -n 1 "$OUT/loops.err")"
		fi
		sleep 0.3   # let the monitor drain what the loop left behind
	done
	if [ -n "$CUR_PID" ] && ! kill -0 "$CUR_PID" 2>/dev/null; then
		log "  $mode: monitor exited during the loops; round $round dropped"
		return 1
	fi
	printf '%s' "$rows" >>"$RAW"
	log "  $mode:$summary"
}

log "$ROUNDS rounds; modes: ${MODES[*]}; loops: $LOOPS; ${MEASURE_MS} ms per measurement"
T0=$(date +%s)
NM=${#MODES[@]}
for round in $(seq 1 "$ROUNDS"); do
	order=()
	for k in $(seq 0 $((NM - 1))); do
		order+=("${MODES[$(((k + round - 1) % NM))]}")
	done
	log "round $round/$ROUNDS: ${order[*]}"
	for mode in "${order[@]}"; do
		[ -n "${SKIP[$mode]:-}" ] && continue
		REASON=""
		if ! "start_$mode"; then
			SKIP[$mode]=${REASON:-failed to start}
			log "skipping $mode: ${SKIP[$mode]}"
			"stop_$mode"
			continue
		fi
		sleep "$SETTLE"
		run_loops "$round" "$mode"
		"stop_$mode"
	done
done
ELAPSED=$(($(date +%s) - T0))

# ---------------------------------------------------------------------------
# Report.
median_of() {           # median_of MODE LOOP -> ns, or nothing
	awk -F'\t' -v m="$1" -v l="$2" '$2 == m && $3 == l { print $4 }' "$RAW" | sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) exit
			if (NR % 2) printf "%.1f\n", a[(NR + 1) / 2]
			else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
samples_of() {          # samples_of MODE LOOP -> "1,2,3" in round order
	awk -F'\t' -v m="$1" -v l="$2" '$2 == m && $3 == l { printf "%s%s", s, $4; s = "," }' "$RAW"
}
spread_of() {           # spread_of MODE LOOP -> max/min over rounds
	awk -F'\t' -v m="$1" -v l="$2" '$2 == m && $3 == l {
		if (n++ == 0 || $4 < lo) lo = $4; if ($4 > hi) hi = $4 }
		END { if (n > 1 && lo > 0) printf "%.3f\n", hi / lo }' "$RAW"
}
div() {                 # div A B -> A/B, or nothing
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 > 0) printf "%.3f\n", a / b }'
}
over() {                # over V F N -> (V-N)/(F-N), or nothing
	awk -v v="$1" -v f="$2" -v n="$3" 'BEGIN {
		if (v != "" && f != "" && n != "" && f - n > 0) printf "%.3f\n", (v - n) / (f - n) }'
}
num() { [ -n "$1" ] && printf '%s' "$1" || printf 'null'; }
show() { [ -n "$1" ] && printf '%s' "$1" || printf 'n/a'; }

declare -A MED=()
for mode in "${MODES[@]}"; do
	for loop in $LOOPS; do
		MED[$mode.$loop]=$(median_of "$mode" "$loop")
	done
done

RATIOS=("floor/none" "vigil/none" "vigil/floor" "(vigil-none)/(floor-none)"
	"auditd/none" "vigil/auditd" "bpftrace/none")
declare -A RAT=()
for loop in $LOOPS; do
	n=${MED[none.$loop]:-} f=${MED[floor.$loop]:-} v=${MED[vigil.$loop]:-}
	a=${MED[auditd.$loop]:-} b=${MED[bpftrace.$loop]:-}
	RAT["floor/none.$loop"]=$(div "$f" "$n")
	RAT["vigil/none.$loop"]=$(div "$v" "$n")
	RAT["vigil/floor.$loop"]=$(div "$v" "$f")
	RAT["(vigil-none)/(floor-none).$loop"]=$(over "$v" "$f" "$n")
	RAT["auditd/none.$loop"]=$(div "$a" "$n")
	RAT["vigil/auditd.$loop"]=$(div "$v" "$a")
	RAT["bpftrace/none.$loop"]=$(div "$b" "$n")
done

echo
echo "vigil bench: $ROUNDS interleaved rounds in ${ELAPSED}s; median over rounds of each run's median time per operation"
printf '%-10s' "us/op"
for mode in "${MODES[@]}"; do printf '%12s' "$mode"; done
echo
for loop in $LOOPS; do
	printf '%-10s' "$loop"
	for mode in "${MODES[@]}"; do
		v=${MED[$mode.$loop]:-}
		if [ -n "$v" ]; then
			printf '%12s' "$(awk -v n="$v" 'BEGIN { printf "%.2f", n / 1000 }')"
		else
			printf '%12s' "-"
		fi
	done
	echo
done
echo
printf '%-28s' "ratio"
for loop in $LOOPS; do printf '%10s' "$loop"; done
echo
for r in "${RATIOS[@]}"; do
	printf '%-28s' "$r"
	for loop in $LOOPS; do printf '%10s' "$(show "${RAT[$r.$loop]:-}")"; done
	echo
done
printf '%-28s' "spread of none (max/min)"
for loop in $LOOPS; do printf '%10s' "$(show "$(spread_of none "$loop")")"; done
echo
for mode in "${MODES[@]}"; do
	[ -n "${SKIP[$mode]:-}" ] && echo "skipped $mode: ${SKIP[$mode]}"
done
echo

# Targets: vigil's time within 1.3x of the floor's, and below auditd's,
# in every loop.
TARGET=1.3
floor_ok="" floor_worst="" audit_ok="" audit_detail=""
for loop in $LOOPS; do
	r=${RAT[vigil/floor.$loop]:-}
	if [ -z "$r" ]; then
		floor_ok=na
	else
		yes=$(awk -v r="$r" -v t="$TARGET" 'BEGIN { print (r <= t) ? "yes" : "no" }')
		printf '[%s] vigil within %sx of floor time: %s (%.2f)\n' "$loop" "$TARGET" "$yes" "$r"
		[ "$floor_ok" = na ] || { [ "$yes" = no ] && floor_ok=no || floor_ok=${floor_ok:-yes}; }
		floor_worst=$(awk -v a="$floor_worst" -v b="$r" 'BEGIN { print (a == "" || b > a) ? b : a }')
	fi
	r=${RAT[vigil/auditd.$loop]:-}
	if [ -z "$r" ]; then
		audit_ok=na
	else
		audit_detail+=" $loop $(printf '%.2f' "$r")"
		[ "$audit_ok" = na ] ||
			{ awk -v r="$r" 'BEGIN { exit !(r < 1) }' && audit_ok=${audit_ok:-yes} || audit_ok=no; }
	fi
done
if [ "$floor_ok" = na ] || [ -z "$floor_ok" ]; then
	floor_ok=na
	echo "vigil within ${TARGET}x of floor time: n/a (needs vigil and floor in every loop)"
else
	printf 'vigil within %sx of floor time: %s (%.2f)\n' "$TARGET" "$floor_ok" "$floor_worst"
fi
if [ "$audit_ok" = na ] || [ -z "$audit_ok" ]; then
	audit_ok=na
	echo "vigil cheaper than auditd: n/a (needs vigil and auditd in every loop)"
else
	echo "vigil cheaper than auditd: $audit_ok (vigil/auditd:$audit_detail)"
fi

# JSON.
{
	printf '{\n  "rounds": %s,\n  "measure_ms": %s,\n  "elapsed_s": %s,\n' "$ROUNDS" "$MEASURE_MS" "$ELAPSED"
	printf '  "kernel": "%s",\n  "cpus": %s,\n' "$(uname -r)" "$(nproc)"
	printf '  "unit": "ns per operation; median over rounds of each run'"'"'s median",\n'
	printf '  "modes": {'
	sep=""
	for mode in "${MODES[@]}"; do
		printf '%s\n    "%s": {' "$sep" "$mode"
		if [ -n "${SKIP[$mode]:-}" ]; then
			printf '"skipped": "%s"' "$(printf '%s' "${SKIP[$mode]}" | sed 's/\\/\\\\/g; s/"/\\"/g')"
		fi
		lsep=""
		[ -n "${SKIP[$mode]:-}" ] && lsep=", "
		for loop in $LOOPS; do
			printf '%s"%s": {"median_ns": %s, "samples_ns": [%s]}' "$lsep" "$loop" \
				"$(num "${MED[$mode.$loop]:-}")" "$(samples_of "$mode" "$loop")"
			lsep=", "
		done
		printf '}'
		sep=","
	done
	printf '\n  },\n  "ratios": {'
	sep=""
	for loop in $LOOPS; do
		printf '%s\n    "%s": {' "$sep" "$loop"
		rsep=""
		for r in "${RATIOS[@]}"; do
			printf '%s"%s": %s' "$rsep" "$r" "$(num "${RAT[$r.$loop]:-}")"
			rsep=", "
		done
		printf '}'
		sep=","
	done
	printf '\n  },\n  "targets": {\n'
	printf '    "vigil_within_%sx_of_floor": {"met": %s, "worst_vigil_over_floor": %s},\n' "$TARGET" \
		"$(case $floor_ok in yes) echo true ;; no) echo false ;; *) echo null ;; esac)" "$(num "$floor_worst")"
	printf '    "vigil_cheaper_than_auditd": {"met": %s}\n  }\n}\n' \
		"$(case $audit_ok in yes) echo true ;; no) echo false ;; *) echo null ;; esac)"
} >"$OUT/results.json"
echo "results: build/bench/results.json (raw runs: build/bench/raw.tsv)"

if [ "${BENCH_STRICT:-0}" = 1 ] && { [ "$floor_ok" != yes ] || [ "$audit_ok" != yes ]; }; then
	exit 1
fi
exit 0

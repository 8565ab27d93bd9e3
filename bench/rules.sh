#!/usr/bin/env bash
# bench/rules.sh - what the threat-rule engine costs, measured by replay.
#
# Records a realistic mix once (`vigil record`): a shell loop running
# small tools that read files (exec, fork, exit, open), opens of many
# distinct files, loopback TCP connects (bench/loops.c), and, when podman
# and the test image are there, a container doing the same shell loop.
# Then replays that one recording with no rules, with vigil's built-in
# rules and with Falco's upstream rules (../shared/compat), interleaved,
# ROUNDS times each, and prints the median events per second per core
# (replay CPU time) of each, with the ratio to "no rules":
#   rules: replay events/s/core: none X | vigil Y (ratio) | falco Z (ratio) [target 1000000]
# Behaviour models are off in the replays: this measures the rules.
# Root needed.  About a minute.
#
# Environment: RULES_ROUNDS=5, RULES_SECONDS=8 (length of the recorded mix),
# VIGIL_BIN=./vigil, FALCO_RULES_DIR (default ../shared/compat).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
OUT=$ROOT/build/bench
ROUNDS=${RULES_ROUNDS:-5}
SECONDS_MIX=${RULES_SECONDS:-8}
VIGIL=${VIGIL_BIN:-$ROOT/vigil}
FALCO_DIR=${FALCO_RULES_DIR:-$ROOT/../shared/compat}
[ -d "$FALCO_DIR" ] || FALCO_DIR=/work/shared/compat
LOOPS=$OUT/loops
TMP=$(mktemp -d /tmp/vigil-rules.XXXXXX)
VPID=""
CTR=vigil-bench-rules-$$

log() { printf 'rules: %s\n' "$*" >&2; }

cleanup() {
	[ -n "$VPID" ] && kill -KILL "$VPID" 2>/dev/null
	podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$OUT"
if [ ! -x "$LOOPS" ] || [ bench/loops.c -nt "$LOOPS" ]; then
	cc -O2 -Wall -Wextra bench/loops.c -o "$LOOPS" || { log "cannot build bench/loops.c"; exit 1; }
fi

# The mix: what a busy but ordinary host does, for SECONDS_MIX seconds.
shell_loop='end=$((SECONDS + '"$SECONDS_MIX"')); while [ $SECONDS -lt $end ]; do
	cat /etc/hostname >/dev/null; ls / >/dev/null; grep -c root /etc/passwd >/dev/null
	head -c 10 /etc/os-release >/dev/null; date >/dev/null; done'
many_files() {
	local dir=$TMP/files end=$((SECONDS + SECONDS_MIX))
	mkdir -p "$dir"
	for i in $(seq 200); do echo "$i" >"$dir/f$i"; done
	while [ $SECONDS -lt "$end" ]; do
		for i in $(seq 200); do read -r _ <"$dir/f$i"; done
	done
}

"$VIGIL" record "$TMP/mix.vrec" --rules none --set output.stdout=false \
	--set sensor.open_dedup_window=0 --state-dir "$TMP/state" 2>"$TMP/record.err" &
VPID=$!
for _ in $(seq 100); do
	grep -q "sensor ready" "$TMP/record.err" 2>/dev/null && break
	sleep 0.1
done
if command -v podman >/dev/null && podman image exists localhost/vigil-busybox:latest 2>/dev/null; then
	podman run -d --name "$CTR" --runtime runc --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/vigil-busybox:latest sh -c "$shell_loop" >/dev/null 2>&1 || log "no container in the mix"
else
	log "podman or localhost/vigil-busybox missing: no container in the mix"
fi
bash -c "$shell_loop" &
many_files &
"$LOOPS" connect 1000000 $((SECONDS_MIX * 1000)) >/dev/null 2>&1 &
wait %2 %3 %4 2>/dev/null
kill -INT "$VPID"
wait "$VPID"
VPID=""
grep -E "stats|recorded" "$TMP/record.err" | sed 's/^/rules: /' >&2
[ -s "$TMP/mix.vrec" ] || { log "no recording"; exit 1; }

falco_args=()
for f in falco_rules.yaml falco-incubating_rules.yaml falco-sandbox_rules.yaml; do
	[ -f "$FALCO_DIR/$f" ] && falco_args+=(--rules "$FALCO_DIR/$f")
done

replay_rate() {	# prints events/s per core of one replay
	"$VIGIL" replay "$TMP/mix.vrec" --set model.enabled=false "$@" >/dev/null 2>"$TMP/replay.err"
	grep -Eo '[0-9]+ events/s per core' "$TMP/replay.err" | grep -Eo '^[0-9]+'
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'; }

: >"$TMP/none"; : >"$TMP/vigil"; : >"$TMP/falco"; : >"$TMP/store"
for r in $(seq "$ROUNDS"); do
	modes="none vigil store falco"
	[ $((r % 2)) -eq 0 ] && modes="falco store vigil none"
	for m in $modes; do
		case $m in
		none) replay_rate --rules none >>"$TMP/none" ;;
		vigil) replay_rate >>"$TMP/vigil" ;;
		store) rm -f "$TMP"/store.db*; replay_rate --set store.path="$TMP/store.db" >>"$TMP/store" ;;
		falco) [ ${#falco_args[@]} -gt 0 ] && replay_rate "${falco_args[@]}" >>"$TMP/falco" ;;
		esac
	done
done
events=$(grep -Eo '^vigil replay: [0-9]+ events' "$TMP/replay.err" | grep -Eo '[0-9]+')
none=$(median <"$TMP/none"); vig=$(median <"$TMP/vigil"); fal=$(median <"$TMP/falco")
sto=$(median <"$TMP/store")
"$VIGIL" replay "$TMP/mix.vrec" --set model.enabled=false "${falco_args[@]}" 2>&1 >/dev/null | grep -Eo '[0-9]+ alerts from [0-9]+ active rules' | sed 's/^/rules: falco replay: /' >&2
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "rules: replay of $events events, median of $ROUNDS, events/s/core: none $none | vigil rules $vig ($(ratio "$vig" "$none")) | vigil rules + audit store ${sto:-n/a} ($(ratio "${sto:-0}" "$none")) | falco upstream ${fal:-n/a} ($(ratio "${fal:-0}" "$none")) [target 1000000]"

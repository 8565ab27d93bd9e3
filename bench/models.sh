#!/usr/bin/env bash
# bench/models.sh - false positives of the behaviour models.
#
# Starts steady benign workloads in podman containers, several replicas of
# each kind:
#   web    busybox httpd serving files, a client fetching random pages
#   kv     a key-value store kept in files (random keys set, get, deleted)
#          with its client loop
#   batch  a cron-like job that wakes every few seconds, archives and
#          checksums its data, and sleeps
# Each has normal variation (random keys, pages, sleep lengths).  vigil
# learns them (model.learning_min / learning_quiet short), then the run
# continues in monitoring; every anomaly alert of these containers is a
# false positive.  Prints:
#   models: N anomaly alerts over H workload-hours in monitoring: R per workload-hour (target < 0.1)
# Root and podman needed.  MODELS_LEARN=60 (s), MODELS_MONITOR=300 (s),
# MODELS_REPLICAS=3 (per kind), VIGIL_BIN=./vigil.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
VIGIL=${VIGIL_BIN:-$ROOT/vigil}
LEARN=${MODELS_LEARN:-60}
MONITOR=${MODELS_MONITOR:-300}
REPLICAS=${MODELS_REPLICAS:-3}
IMAGE=localhost/vigil-busybox:latest
TMP=$(mktemp -d /tmp/vigil-models.XXXXXX)
PREFIX=vigil-bench-model-$$
VPID=""

log() { printf 'models: %s\n' "$*" >&2; }
cleanup() {
	[ -n "$VPID" ] && kill -KILL "$VPID" 2>/dev/null
	podman ps -a --format '{{.Names}}' | grep "^$PREFIX" | xargs -r podman rm -f -t 0 >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

command -v podman >/dev/null || { log "podman missing: skipped"; exit 0; }
podman image exists "$IMAGE" || bash tests/containers/make-image.sh >/dev/null || exit 1

web='mkdir -p /www; for p in a b c d e f g h; do echo "page $p" > /www/$p.html; done
httpd -p 127.0.0.1:8080 -h /www
while true; do
  for n in $(seq $((RANDOM % 4 + 1))); do
    p=$(echo a b c d e f g h | tr " " "\n" | sed -n "$((RANDOM % 8 + 1))p")
    wget -q -O /dev/null http://127.0.0.1:8080/$p.html
  done
  sleep $((RANDOM % 3 + 1))
done'
kv='mkdir -p /data/kv
while true; do
  k=key$((RANDOM % 200))
  case $((RANDOM % 3)) in
  0) echo $RANDOM > /data/kv/$k ;;
  1) cat /data/kv/$k > /dev/null 2>&1 ;;
  2) rm -f /data/kv/$k ;;
  esac
  ls /data/kv > /dev/null
  sleep 0.$((RANDOM % 9 + 1))
done'
batch='mkdir -p /data/in /data/out
while true; do
  for i in $(seq $((RANDOM % 5 + 1))); do echo $RANDOM > /data/in/item-$RANDOM; done
  tar -cf /data/out/batch.tar /data/in 2> /dev/null
  md5sum /data/out/batch.tar > /data/out/batch.md5
  gzip -f /data/out/batch.tar
  rm -f /data/in/item-*
  sleep $((RANDOM % 6 + 3))
done'

mkdir -p "$TMP/state"
"$VIGIL" run --state-dir "$TMP/state" --rules none --set output.events=false \
	--set model.hosts=false --learning-min "${LEARN}s" --learning-quiet "$((LEARN / 2))s" \
	>"$TMP/out" 2>"$TMP/err" &
VPID=$!
for _ in $(seq 100); do grep -q "sensor ready" "$TMP/err" && break; sleep 0.1; done
for kind in web kv batch; do
	for r in $(seq "$REPLICAS"); do
		podman run -d --name "$PREFIX-$kind-$r" --runtime runc --network none \
			--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$IMAGE" \
			sh -c "${!kind}" >/dev/null || log "cannot start $kind-$r"
	done
done
workloads=$((3 * REPLICAS))
log "$workloads workloads learning for up to $((LEARN * 3)) s"
# wait until every model monitors (or give up after 3 learning periods)
deadline=$((SECONDS + LEARN * 3))
while [ $SECONDS -lt $deadline ]; do
	n=$(grep '"event":"model_mode"' "$TMP/out" | grep -c "$PREFIX")
	[ "${n:-0}" -ge "$workloads" ] && break
	sleep 2
done
monitoring=$(grep '"event":"model_mode"' "$TMP/out" | grep -c "$PREFIX")
start_line=$(wc -l <"$TMP/out")
log "$monitoring of $workloads models monitoring; measuring for $MONITOR s"
sleep "$MONITOR"
kill -INT "$VPID"; wait "$VPID"; VPID=""
# only this bench's containers count (other containers may run meanwhile)
tail -n +"$((start_line + 1))" "$TMP/out" | python3 -c 'import json,sys
n = 0
for l in sys.stdin:
    d = json.loads(l)
    if d.get("kind") == "anomaly" and d.get("workload", {}).get("name", "").startswith(sys.argv[1]):
        n += 1
        if n <= 5: print("models: false positive:", d["output"][:200], file=sys.stderr)
print(n)' "$PREFIX" >"$TMP/count"
alerts=$(cat "$TMP/count")
awk -v a="$alerts" -v w="$monitoring" -v s="$MONITOR" 'BEGIN {
	h = w * s / 3600; if (h <= 0) h = 1e-9; printf "models: %d anomaly alerts over %.2f workload-hours in monitoring: %.2f per workload-hour (target < 0.1)\n", a, h, a / h }'

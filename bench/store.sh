#!/bin/bash
# store.sh - the audit store's costs: store_append() per call on the
# agent's hot path (a kept ~1 KiB record, and a filtered one), and the
# writer's throughput in events/s (parse, index, commit in WAL mode).
# Medians of 5 runs; each run is a fresh database on the state disk.
# The filtered record is a plain read (O_RDONLY, not a sensitive path).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-store-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
BIN=$DIR/store_bench
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/store_bench.c src/store/*.c src/sensor/event_names.c \
	src/util/time_format.c -lsqlite3 -lcjson -lpthread -lm -o "$BIN"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$DIR/results"
for i in $(seq "$RUNS"); do
	rm -f "$DIR"/audit.db*
	"$BIN" "$DIR/audit.db" | tee -a "$DIR/results" | sed "s/^/  run $i: /"
done
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$DIR/results" | median; }
echo "store: append (kept, ~1 KiB) $(field append_ns) ns/call, append (filtered) $(field filtered_ns) ns/call, writer $(field events_per_s) events/s (medians of $RUNS)"

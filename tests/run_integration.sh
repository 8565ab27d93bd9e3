#!/usr/bin/env bash
# Integration tests: root, real kernel.  Builds the C helpers into
# build/tests/helpers/, mounts tracefs/bpffs if needed, runs every
# tests/integration/test_*.py and prints one total line "N passed, N failed".
#   VIGIL_BIN=path   the vigil binary to test (default ./vigil)
#   VIGIL_QUICK=1    a representative subset (for the slow sanitizer build)
set -u
cd "$(dirname "$0")/.."
export VIGIL_BIN="${VIGIL_BIN:-./vigil}"

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they load BPF programs)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ -f scripts/mount-kernel-fs.sh ]; then
	bash scripts/mount-kernel-fs.sh
else
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
fi
if [ ! -x "$VIGIL_BIN" ]; then
	echo "no vigil binary at $VIGIL_BIN (run make vigil)"
	echo "0 passed, 1 failed"
	exit 1
fi

helpers=build/tests/helpers
mkdir -p "$helpers"
CC="${CC:-cc}"
for src in tests/integration/helpers/*.c; do
	name=$(basename "$src" .c)
	if ! "$CC" -O2 -Wall -Wextra -Werror -pthread "$src" -o "$helpers/$name"; then
		echo "FAIL build helper $name"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

passed=0; failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for suite in tests/integration/test_*.py; do
	echo "# $suite"
	python3 "$suite" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
	else
		echo "FAIL $suite: ended without a summary (exit $rc)"
		p=0; f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

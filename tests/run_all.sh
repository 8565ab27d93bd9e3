#!/usr/bin/env bash
# `make test`: unit tests, integration tests against the real kernel, the
# same under ASan/UBSan, and a short run of every fuzz target.  Ends with
# one line "N passed, N failed" over everything.
set -u
cd "$(dirname "$0")/.."
total_passed=0; total_failed=0
log=$(mktemp)

stage() {
	local name=$1; shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		total_passed=$((total_passed + BASH_REMATCH[1]))
		total_failed=$((total_failed + BASH_REMATCH[2]))
		if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
			total_failed=$((total_failed + 1))
		fi
	else
		echo "stage $name ended without a summary (exit $rc)"
		total_failed=$((total_failed + 1))
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "make test needs root: the integration tests load BPF programs" >&2
	exit 1
fi
bash scripts/mount-kernel-fs.sh
if ! make -s vigil; then
	echo "0 passed, 1 failed"
	exit 1
fi
stage unit make -s unit
stage integration make -s integration
stage sanitize make -s sanitize
stage fuzz make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
rm -f "$log"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]

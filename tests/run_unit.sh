#!/usr/bin/env bash
# Run unit-test binaries from the repo root; each prints "N passed, N failed".
# Prints one total line in the same form.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0
for bin in "$@"; do
	out=$("$bin" 2>&1); rc=$?
	line=$(printf '%s\n' "$out" | tail -n 1)
	if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
	else
		p=0; f=1	# crashed before its summary
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 40
		echo "FAIL $(basename "$bin") (exit $rc)"
	else
		echo "ok   $(basename "$bin"): $p passed"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

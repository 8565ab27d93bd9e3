#!/usr/bin/env bash
# Run each fuzz target for SECONDS over its corpus (new inputs go to a
# scratch dir, never into the committed corpus).  One summary line.
set -u
cd "$(dirname "$0")/.."
seconds=$1; shift
passed=0; failed=0
for bin in "$@"; do
	name=$(basename "$bin"); name=${name#fuzz_}
	work=$(mktemp -d)
	if "$bin" -max_total_time="$seconds" -print_final_stats=0 "$work" \
		"tests/fuzz/corpus/$name" >"$work.log" 2>&1; then
		echo "ok   fuzz_$name: $(grep -Eo 'Done [0-9]+ runs' "$work.log" | tail -n 1)"
		passed=$((passed + 1))
	else
		tail -n 30 "$work.log"
		echo "FAIL fuzz_$name (crash input saved in the working directory)"
		failed=$((failed + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

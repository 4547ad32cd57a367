#!/bin/sh
# Runs every scenario in examples/ with `s2mt run`; each carries its own
# expectations, so exit status 0 means they all hold (docs/scenario.md).
set -u
bin=${1:?usage: run-examples.sh path/to/s2mt}
pass=0
fail=0
for f in examples/*.yaml; do
	out=$("$bin" run "$f" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok    %s (%s)\n' "$f" "$(printf '%s\n' "$out" | grep '^Expectations:' || echo 'no expectations')"
	else
		fail=$((fail + 1))
		printf 'FAIL  %s (exit %d)\n' "$f" "$rc"
		printf '%s\n' "$out" | grep -E 'FAILED|^ *Z[0-9]|^[^ ].*:[0-9]+:[0-9]+:' | sed 's/^/      /'
	fi
done
echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

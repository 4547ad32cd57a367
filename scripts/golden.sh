#!/bin/sh
# Golden-output tests: `s2mt run`, `compare`, `advise` and `designs`, text and JSON,
# for every example, compared with tests/golden/. The goldens were read
# and checked by hand against SPEC (and each example's expectations);
# after an intended change, `scripts/golden.sh BIN --update` rewrites them
# and `git diff tests/golden` shows what changed.
set -u
bin=${1:?usage: golden.sh path/to/s2mt [--update]}
update=${2:-}
dir=tests/golden
mkdir -p "$dir"
pass=0
fail=0
for f in examples/*.yaml; do
	base=$(basename "$f" .yaml)
	for cmd in run compare advise designs; do
		for fmt in text json; do
			golden="$dir/$base.$cmd.$fmt"
			[ "$fmt" = json ] && flag=--json || flag=
			# The exit status is part of the output.
			actual=$("$bin" "$cmd" $flag "$f" 2>&1; echo "[exit $?]")
			if [ "$update" = --update ]; then
				printf '%s\n' "$actual" >"$golden"
				continue
			fi
			if [ -f "$golden" ] &&
				printf '%s\n' "$actual" | diff -u "$golden" - >/tmp/s2mt-golden.diff; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "FAIL  $golden"
				head -40 /tmp/s2mt-golden.diff 2>/dev/null | sed 's/^/      /'
			fi
		done
	done
done
[ "$update" = --update ] && { echo "golden: rewritten in $dir"; exit 0; }
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# Instruction counts of the page table's hot paths, for `make bench`:
#
#     scripts/bench-callgrind.sh ./build/bench/bin/s2mt-bench
#
# Each workload runs once under callgrind in its own process
# (s2mt-bench --callgrind-MODE). Collection is off at the start and
# toggled only inside the function that holds the measured loop
# (--toggle-collect=bench_*_loop), so the count is that function and
# everything it calls, setup and checks excluded. Counts are exact and do
# not depend on the machine's noise or on cache state. The loop's own cost
# is measured with an empty loop over the same array (bench_empty_loop,
# bench_map1_empty_loop) and subtracted; both raw and net figures are
# printed. The bulk map is compared with its floor (bench_floor_loop: a
# volatile store per descriptor), unmap with a plain walk clearing the
# same leaves (bench_clear_loop).
#
# Exits 0 when the targets are missed (a benchmark, not a test); non-zero
# only when valgrind or the benchmark fails (the benchmark checks results).
set -eu

LOOKUP_TARGET=60 # instructions per warm lookup, net of the loop
MAP1_TARGET=300 # instructions per single-page map into existing tables, net
MAP_FLOOR_TARGET=1.5 # 4 KiB bulk map per page / the floor per descriptor

bin=${1:-}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "usage: $0 path/to/s2mt-bench" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench-callgrind: valgrind not found (make bench installs it)" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/s2mt-callgrind.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

# measure MODE FUNCTION: runs the workload; sets $ir (instructions counted)
# and $iters (iterations the benchmark reports).
measure() {
	mode=$1
	fn=$2
	out=$dir/cg.$mode
	if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
		--collect-atstart=no --toggle-collect="$fn" \
		"$bin" "--callgrind-$mode" >"$dir/out.$mode" \
		2>"$dir/err.$mode"; then
		echo "bench-callgrind: $bin --callgrind-$mode failed:" >&2
		cat "$dir/out.$mode" "$dir/err.$mode" >&2
		exit 1
	fi
	reported=$(awk '$1 == "function" { print $2 }' "$dir/out.$mode")
	if [ "$reported" != "$fn" ]; then
		echo "bench-callgrind: --callgrind-$mode measures '$reported'," \
			"expected '$fn'" >&2
		exit 1
	fi
	iters=$(awk '$1 == "iterations" { print $2 }' "$dir/out.$mode")
	# "totals:" (or the older "summary:") holds the collected Ir.
	ir=$(awk '$1 == "totals:" { t = $2 } $1 == "summary:" { s = $2 }
		END { print (t != "" ? t : s) }' "$out")
	if [ -z "$iters" ] || [ -z "$ir" ] || [ "$ir" -eq 0 ]; then
		echo "bench-callgrind: no count for $fn in $out" >&2
		exit 1
	fi
}

# per COUNT DIVISOR: COUNT / DIVISOR with two decimals.
per() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# measure_net MODE FUNCTION EMPTY-MODE EMPTY-FUNCTION: a workload and the
# same loop with nothing in it; sets $raw and $overhead (instructions per
# iteration), $net (their difference) and $iters.
measure_net() {
	measure "$3" "$4"
	empty_ir=$ir
	empty_n=$iters
	measure "$1" "$2"
	if [ "$iters" != "$empty_n" ]; then
		echo "bench-callgrind: $2 and $4 differ in length" >&2
		exit 1
	fi
	raw=$(per "$ir" "$iters")
	overhead=$(per "$empty_ir" "$empty_n")
	net=$(awk -v r="$raw" -v o="$overhead" 'BEGIN { printf "%.2f", r - o }')
}

# functions MODE: self instructions per iteration of each function called.
functions() {
	callgrind_annotate --inclusive=no --show-percs=no --threshold=100 \
		--auto=no "$dir/cg.$1" 2>/dev/null |
		awk -v n="$iters" '
		$1 ~ /^[0-9,]+$/ && $2 ~ /:/ && $2 !~ /PROGRAM/ {
			c = $1; gsub(",", "", c)
			f = $2; sub(/.*:/, "", f); sub(/\047[0-9]+$/, "", f)
			self[f] += c
		}
		END {
			for (f in self)
				if (self[f] / n >= 0.005)
					printf "%12.2f  %s\n", self[f] / n, f
		}' | sort -rn | awk '{ printf "      %s\n", $0 }'
}

# hot_lines MODE FILE N: the N source lines of FILE that cost the most,
# instructions per iteration (callgrind_annotate's line attribution).
hot_lines() {
	callgrind_annotate --auto=yes --show-percs=no --context=0 \
		"$dir/cg.$1" 2>/dev/null |
		awk -v n="$iters" -v file="$2" '
		/^-- Auto-annotated source: / { on = index($0, file) > 0; next }
		!on { next }
		/^-- line [0-9]+ / { ln = $3; next }
		/events annotated/ { on = 0; next }
		/^ *[0-9,]+ / && !/=>/ {
			c = $1; gsub(",", "", c)
			src = $0; sub(/^ *[0-9,]+ +/, "", src)
			gsub(/\t/, " ", src); gsub(/  +/, " ", src)
			printf "%12.2f  %s:%d: %s\n", c / n, file, ln, src
			ln++
		}' | sort -rn | head -n "$3" | awk '{ printf "      %s\n", $0 }'
}

echo "s2mt-bench callgrind: instruction counts ($(valgrind --version)," \
	"--toggle-collect on the measured function; exact, noise-free)"

# Map: 1 GiB at 4 KiB into an empty table (262144 pages, fwb=1).
measure map bench_map_loop
map_ir=$ir
map_n=$iters
echo "  map 1 GiB at 4 KiB ($map_n pages, fwb=1, mm_ops allocator" \
	"included): $(per "$map_ir" "$map_n") instructions per mapped 4K page"
echo "    self instructions per page, by function:"
functions map

# Its floor: the same number of descriptors stored one after the other
# into pre-touched memory (bench_floor_loop, a volatile store each).
measure floor bench_floor_loop
floor_ir=$ir
floor_n=$iters
mpp=$(per "$map_ir" "$map_n")
fpd=$(per "$floor_ir" "$floor_n")
ratio=$(per "$mpp" "$fpd")
v=$(awk -v x="$ratio" -v t="$MAP_FLOOR_TARGET" \
	'BEGIN { print (x <= t ? "PASS" : "FAIL") }')
echo "  floor ($floor_n descriptors, pa += 4K, pre-touched;" \
	"$(awk '$1 == "unit" { sub(/^unit [^(]*\(/, ""); sub(/\)$/, "");
		print }' "$dir/out.floor")):" \
	"$fpd instructions per descriptor"
echo "    map/floor: $mpp / $fpd = $ratio; target <= $MAP_FLOOR_TARGET: $v"

# A stage-2 fault's map: one 4 KiB page per s2mt_pgt_map call, into
# level-1/2/3 tables that already exist (the last page of each 2 MiB was
# mapped first); the loop's own cost (bench_map1_empty_loop) subtracted.
measure_net map1 bench_map1_loop map1-empty bench_map1_empty_loop
m1raw=$raw
m1over=$overhead
m1net=$net
v=$(awk -v x="$m1net" -v t="$MAP1_TARGET" \
	'BEGIN { print (x <= t ? "PASS" : "FAIL") }')
echo "  single-page map into existing tables (s2mt_pgt_map of 4 KiB," \
	"$iters calls, fwb=1):"
echo "    raw $m1raw instructions per call (bench_map1_loop)," \
	"loop overhead $m1over (bench_map1_empty_loop)"
echo "    net $m1net instructions per single-page map;" \
	"target <= $MAP1_TARGET: $v"
echo "    self instructions per call, by function:"
functions map1

# The same pages the way a fault handler embedding the core maps them:
# the fault's lookup leaves a cursor on the empty entry, and the page goes
# into it with a prot prepared once (no target: the lookup is included).
measure fault1 bench_fault1_loop
f1raw=$(per "$ir" "$iters")
f1net=$(awk -v a="$f1raw" -v b="$m1over" 'BEGIN { printf "%.2f", a - b }')
echo "  a fault's lookup and map (s2mt_pgt_get_leaf_cursor +" \
	"s2mt_pgt_map_page_at, prepared prot, $iters calls, fwb=1):"
echo "    raw $f1raw, net $f1net instructions per fault (lookup included;" \
	"informational)"
echo "    self instructions per call, by function:"
functions fault1

# Unmap of the same range, next to a plain walk clearing its leaves.
measure unmap bench_unmap_loop
unmap_pp=$(per "$ir" "$iters")
echo "  unmap 1 GiB at 4 KiB ($iters pages):" \
	"$unmap_pp instructions per unmapped 4K page"
echo "    self instructions per page, by function:"
functions unmap
measure clear bench_clear_loop
clear_pp=$(per "$ir" "$iters")
v=$(awk -v u="$unmap_pp" -v c="$clear_pp" \
	'BEGIN { print (u <= c ? "PASS" : "FAIL") }')
echo "  plain walk zeroing the same level-3 descriptors (bench_clear_loop," \
	"$iters pages): $clear_pp instructions per page"
echo "    unmap $unmap_pp <= plain walk $clear_pp: $v"

# Warm lookups: 1M random IPAs in the 1 GiB mapped at 4 KiB (3 levels).
measure_net lookup bench_lookup_loop lookup-empty bench_empty_loop
look_n=$iters
verdict=$(awk -v x="$net" -v t="$LOOKUP_TARGET" \
	'BEGIN { print (x < t ? "PASS" : "MISS") }')
echo "  warm lookup (s2mt_pgt_get_leaf), 4 KiB table (3 levels, $look_n random IPAs):"
echo "    raw $raw instructions per iteration (bench_lookup_loop)," \
	"loop overhead $overhead (bench_empty_loop)"
echo "    net $net instructions per warm lookup; target < $LOOKUP_TARGET:" \
	"$verdict"
echo "    self instructions per lookup, by function:"
functions lookup
echo "    hottest lines of src/core/pgtable.c, instructions per lookup:"
hot_lines lookup pgtable.c 12

# The same lookups with the whole leaf decoded (no target: informational).
measure lookup-full bench_lookup_full_loop
fraw=$(per "$ir" "$iters")
fnet=$(awk -v r="$fraw" -v o="$overhead" 'BEGIN { printf "%.2f", r - o }')
echo "  full lookup (s2mt_pgt_lookup, every leaf field decoded), 4 KiB table:"
echo "    raw $fraw, net $fnet instructions per lookup (informational)"

# Lookups on a table of 1 GiB blocks (1 level).
measure lookup-block bench_lookup_loop
braw=$(per "$ir" "$iters")
bnet=$(awk -v r="$braw" -v o="$overhead" 'BEGIN { printf "%.2f", r - o }')
bverdict=$(awk -v x="$bnet" -v t="$LOOKUP_TARGET" \
	'BEGIN { print (x < t ? "PASS" : "MISS") }')
echo "  warm lookup, 1 GiB block table (1 level, $iters random IPAs):"
echo "    raw $braw, net $bnet instructions per lookup;" \
	"target < $LOOKUP_TARGET: $bverdict"
echo "    self instructions per lookup, by function:"
functions lookup-block

# The model's fault path (s2mt_vm_guest_abort: memslot, VMA, policy, host
# fault, table), one fault per iteration on a page stage 2 does not map
# yet; the table pages it allocates are included (issue 13: < 400 for a
# 4 KiB fault). "terse" is the path s2mt_vm_touch() takes for every fault
# but its first (the same decisions, no sentence); the target is held to
# it, and the path with the sentence is shown beside it.
FAULT_TARGET=400
echo "  the model's fault path (s2mt_vm_guest_abort, write faults, grace-hopper 6.17):"
for kind in anon-terse anon anon-nofwb-terse hugetlb-terse pfnmap-terse; do
	measure "fault-$kind" bench_fault_loop
	case $kind in
	anon-terse) what="4 KiB anonymous fault, terse" ;;
	anon) what="4 KiB anonymous fault, with its sentence" ;;
	anon-nofwb-terse) what="4 KiB anonymous fault, terse, no-fwb host (K5 clean)" ;;
	hugetlb-terse) what="2 MiB hugetlb fault, terse" ;;
	*) what="PFNMAP fault, 1 GiB-congruent BAR (1 GiB leaf), terse" ;;
	esac
	pf=$(per "$ir" "$iters")
	if [ "$kind" = anon-terse ]; then
		v=$(awk -v x="$pf" -v t="$FAULT_TARGET" \
			'BEGIN { print (x < t ? "PASS" : "MISS") }')
		echo "    $what: $pf instructions per fault ($iters faults);" \
			"target < $FAULT_TARGET: $v"
	else
		echo "    $what: $pf instructions per fault ($iters faults)"
	fi
	echo "      self instructions per fault, by function:"
	functions "fault-$kind" | head -8
done

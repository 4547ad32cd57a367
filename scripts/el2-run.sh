#!/bin/sh
# Runs the EL2 harness on one QEMU CPU model and decides pass/fail from
# BOTH QEMU's exit status (the harness exits through semihosting with its
# status) AND the result marker line; a missing marker is a failure.
#
#   scripts/el2-run.sh CPU [ELF]      e.g. scripts/el2-run.sh cortex-a57
#
# Prints the run's counts (the lines tagged "S2MT-EL2 "); the full console
# log goes to $EL2_LOG_DIR/run-CPU.log. Environment: EL2_ELF (default
# build/el2/s2mt-el2.elf), EL2_LOG_DIR (default build/el2), EL2_TIMEOUT in
# seconds (default 60), QEMU (default qemu-system-aarch64).
#
# QEMU runs with -nic none (the virt machine's default NIC is a
# virtio-net-pci whose option ROM, efi-virtio.rom, comes only with
# ipxe-qemu, a Recommends of qemu-system-arm that is not installed) and with
# -L on an empty directory of its own, searched first for any ROM or
# firmware: the harness is loaded with -kernel and needs none.
set -u
cpu=${1:?usage: el2-run.sh CPU [ELF]}
elf=${2:-${EL2_ELF:-build/el2/s2mt-el2.elf}}
logdir=${EL2_LOG_DIR:-build/el2}
limit=${EL2_TIMEOUT:-60}
qemu=${QEMU:-qemu-system-aarch64}
log=$logdir/run-$cpu.log

if [ ! -f "$elf" ]; then
	echo "el2-run: $elf not found (make el2-build)" >&2
	exit 2
fi
mkdir -p "$logdir"
noroms=$logdir/qemu-no-roms-$cpu
rm -rf "$noroms"
mkdir -p "$noroms"
start=$(date +%s%N)
timeout "$limit" "$qemu" -M virt,virtualization=on,gic-version=3 \
	-cpu "$cpu" -m 512M -nographic -nic none -L "$noroms" \
	-semihosting -kernel "$elf" \
	</dev/null >"$log.raw" 2>&1
rc=$?
end=$(date +%s%N)
tr -d '\r' <"$log.raw" >"$log"
rm -f "$log.raw"
ms=$(((end - start) / 1000000))

marker=$(grep -E '^S2MT-EL2 RESULT: ' "$log" | tail -n 1)
echo "== el2 cpu=$cpu: QEMU exit status $rc, $ms ms, log $log"
grep '^S2MT-EL2 ' "$log" | grep -v '^S2MT-EL2 RESULT: ' |
	sed 's/^S2MT-EL2 /   /'
ok=1
if [ "$rc" -eq 124 ]; then
	echo "   timed out after $limit s"
	ok=0
elif [ "$rc" -ne 0 ]; then
	ok=0
fi
case "$marker" in
"S2MT-EL2 RESULT: PASS") ;;
"") echo "   result marker missing"; ok=0 ;;
*) ok=0 ;;
esac
if [ "$ok" -ne 1 ]; then
	grep '^FAIL' "$log" | head -n 40 | sed 's/^/   /'
	echo "   --- last lines of the log:"
	tail -n 15 "$log" | sed 's/^/   | /'
	echo "== el2 cpu=$cpu: FAIL (${marker:-no marker}, exit status $rc)"
	exit 1
fi
echo "== el2 cpu=$cpu: PASS ($marker, exit status $rc)"

#!/bin/sh
# Runs the EL2 harness on one QEMU CPU model and decides pass/fail from
# BOTH QEMU's exit status (the harness exits through semihosting with its
# status) AND the result marker line; a missing marker is a failure.
#
#   scripts/el2-run.sh CPU [ELF]      e.g. scripts/el2-run.sh cortex-a57
#   QEMU=build/qemu10/root/usr/bin/qemu-system-aarch64 EL2_CAPS=fwb,dic,idc \
#       scripts/el2-run.sh neoverse-v1
#
# Prints the run's counts (the lines tagged "S2MT-EL2 "); the console log
# goes to $EL2_LOG_DIR/run-qemuVERSION-CPU.log, QEMU's stderr beside it
# (.stderr: kept, never part of the verdict - QEMU 10 from
# scripts/fetch-qemu.sh warns there about the host's QEMU 7.2 modules).
# Environment: EL2_ELF (default build/el2/s2mt-el2.elf), EL2_LOG_DIR
# (default build/el2), EL2_TIMEOUT in seconds (default 60), QEMU (default
# qemu-system-aarch64, Debian 12's 7.2), EL2_CAPS (the host capabilities
# the CPU model must show: fwb, dic, idc comma-separated, or none; unset:
# not checked).
#
# The image is told which QEMU runs it: the version QEMU's --version
# prints goes on the semihosting command line (-append "qemu=X.Y.Z"),
# with caps=EL2_CAPS; the harness picks the deviation table's entries for
# that version and fails without one (el2/README.md).
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
caps=${EL2_CAPS:-}

if [ ! -f "$elf" ]; then
	echo "el2-run: $elf not found (make el2-build)" >&2
	exit 2
fi
if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "el2-run: $qemu not found" >&2
	exit 2
fi
ver=$("$qemu" --version 2>/dev/null |
	sed -n '1s/^QEMU emulator version \([0-9][0-9]*\.[0-9][0-9.]*\).*/\1/p')
if [ -z "$ver" ]; then
	echo "el2-run: cannot read a version from '$qemu --version'" >&2
	exit 2
fi
# A QEMU unpacked outside /usr (scripts/fetch-qemu.sh) loads its own
# modules rather than the host's (fewer warnings on stderr).
bindir=$(dirname "$(command -v "$qemu")")
case $bindir in
/usr/bin | /bin) ;;
*)
	for d in "$bindir"/../lib/*-linux-gnu/qemu; do
		if [ -d "$d" ]; then
			QEMU_MODULE_DIR=$(cd "$d" && pwd)
			export QEMU_MODULE_DIR
		fi
	done
	;;
esac
args="qemu=$ver"
[ -n "$caps" ] && args="$args caps=$caps"

name=qemu$ver-$cpu
log=$logdir/run-$name.log
mkdir -p "$logdir"
noroms=$logdir/qemu-no-roms-$name
rm -rf "$noroms"
mkdir -p "$noroms"
start=$(date +%s%N)
timeout "$limit" "$qemu" -M virt,virtualization=on,gic-version=3 \
	-cpu "$cpu" -m 512M -nographic -nic none -L "$noroms" \
	-semihosting -kernel "$elf" -append "$args" \
	</dev/null >"$log.raw" 2>"$log.stderr"
rc=$?
end=$(date +%s%N)
tr -d '\r' <"$log.raw" >"$log"
rm -f "$log.raw"
ms=$(((end - start) / 1000000))

marker=$(grep -E '^S2MT-EL2 RESULT: ' "$log" | tail -n 1)
echo "== el2 qemu=$ver cpu=$cpu: QEMU exit status $rc, $ms ms, log $log"
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
	if [ -s "$log.stderr" ]; then
		echo "   --- QEMU's stderr (not part of the verdict):"
		tail -n 5 "$log.stderr" | sed 's/^/   | /'
	fi
	echo "== el2 qemu=$ver cpu=$cpu: FAIL (${marker:-no marker}, exit status $rc)"
	exit 1
fi
echo "== el2 qemu=$ver cpu=$cpu: PASS ($marker, exit status $rc)"

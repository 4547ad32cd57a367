#!/bin/sh
# Holds the model to real KVM: boots Debian arm64 kernels under
# qemu-system-aarch64 (TCG, EL2 on) - Debian 12's QEMU 7.2 and QEMU 10 from
# bookworm-backports, whose CPU models cover every host class (FWB+DIC,
# FWB without DIC, no FWB) - runs tools/conformance/kvm.ops on each
# kernel's /dev/kvm (build/conformance/init as /init), then compares the
# answers with the model's for the matching era and host preset.
#
# Every boot has 1 GiB of RAM of which the kernel may use 768 MiB (mem=):
# the test module tools/conformance/cmem/, built for each kernel against
# its own headers (scripts/build-cmem.sh), maps the rest as a cacheable
# VM_PFNMAP outside the linear map (the script's cmem mmaps).
#
# usage: scripts/conformance.sh [--s2dump] [LABEL-GLOB...]
#   LABEL-GLOB  run only the boots whose label matches (e.g. '6.1*')
#   --s2dump    also read the real stage-2 tables of the script's first VM
#               after the script, through QEMU's gdbstub (gdb-multiarch):
#               build/conformance/LABEL.s2.txt, one line per leaf
#   env: CONF_OPS      the script (default tools/conformance/kvm.ops)
#        CONF_JOBS     boots run at once (default: the CPUs, at most 4)
#        CONF_TIMEOUT  seconds per boot (default 300)
#        CONF_BIN      the model's side (default build/normal/bin/s2mt-conformance)
#        CONF_QEMU10   0: only the QEMU 7.2 boots (default 1: all)
#
# Outputs in build/conformance/: LABEL.log (the serial console),
# LABEL.real.txt (the "ID RESULT" lines), LABEL.table (the comparison).
# Exits 0 when every boot finished its script and agreed with the model
# (up to tools/conformance/known-differences.txt).
set -eu

cd "$(dirname "$0")/.."
out=build/conformance
init=$out/init
mkcpio=$out/mkcpio
conf=${CONF_BIN:-build/normal/bin/s2mt-conformance}
ops=${CONF_OPS:-tools/conformance/kvm.ops}
known=tools/conformance/known-differences.txt
jobs=${CONF_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -gt 4 ] && jobs=4
tmo=${CONF_TIMEOUT:-300}
s2dump=
if [ "${1:-}" = --s2dump ]; then
	s2dump=1
	shift
fi
patterns=$*

for f in "$init" "$mkcpio" "$conf"; do
	if [ ! -x "$f" ]; then
		echo "conformance: $f missing (make conformance-init $conf)" >&2
		exit 1
	fi
done
command -v qemu-system-aarch64 >/dev/null || {
	echo "conformance: qemu-system-aarch64 missing (qemu-system-arm)" >&2
	exit 1
}
if [ -n "$s2dump" ] && ! command -v gdb-multiarch >/dev/null; then
	scripts/ensure-deps.sh gdb-multiarch
fi

# The boots: KERNEL (META[@SUITE]) ERA CPU PRESET QEMU (7: Debian 12's
# qemu-system-aarch64, 10: bookworm-backports'). The label is the kernel's
# major.minor and the CPU, e.g. 6.1-max, with -q10 for QEMU 10. Each
# preset describes what its CPU model reports (docs/presets.md). The
# Cortex-A57 as revision r1p3 is the control of a known difference: the
# kernel's erratum 834220 workaround, which r1p0 gets and r1p3 does not.
boots='
linux-image-cloud-arm64 6.8 max qemu-max 7
linux-image-6.12-cloud-arm64 6.9 max qemu-max 7
linux-image-cloud-arm64@sid 6.17 max qemu-max 7
linux-image-cloud-arm64@sid 6.17 cortex-a57 no-fwb 7
'
if [ "${CONF_QEMU10:-1}" != 0 ]; then
	boots="$boots
linux-image-cloud-arm64@sid 6.17 max qemu10-max 10
linux-image-cloud-arm64@sid 6.17 neoverse-v1 neoverse-v1 10
linux-image-cloud-arm64@sid 6.17 cortex-a710 cortex-a710 10
linux-image-cloud-arm64@sid 6.17 cortex-a57 no-fwb 10
linux-image-cloud-arm64@sid 6.17 cortex-a57,midr=0x411fd073 no-fwb 10
linux-image-6.12-cloud-arm64 6.9 max qemu10-max 10
"
fi

# QEMU 10 (bookworm-backports, unpacked, never installed): cached in
# build/qemu10 by scripts/fetch-qemu.sh, which prints the binary's path.
fetch_qemu10() {
	scripts/fetch-qemu.sh build/qemu10
}

t0=$(date +%s)
mkdir -p "$out"
# QEMU gets -nic none (the virt machine's default NIC wants efi-virtio.rom
# from ipxe-qemu, a Recommends that is not installed) and -L on this empty
# directory, searched first for ROMs and firmware: -kernel needs none.
noroms=$out/qemu-no-roms
rm -rf "$noroms"
mkdir -p "$noroms"
kernels=$out/kernels.$$
trap 'rm -f "$kernels"' EXIT

# Fetch (or find in the cache) each kernel once, and build the test
# module for it (without one the cmem operations answer -ENOENT and
# disagree with the model: the table says so).
for k in $(echo "$boots" | awk 'NF { print $1 }' | sort -u); do
	meta=${k%@*}
	suite=
	case $k in *@*) suite=${k#*@} ;; esac
	vmlinuz=$(scripts/fetch-kernel.sh build/kernels "$meta" ${suite:+"$suite"})
	dir=$(dirname "$vmlinuz")
	ver=$(sed -n 's/^linux-image-\([0-9]*\.[0-9]*\).*/\1/p' "$dir/package")
	ko=$(scripts/build-cmem.sh "$dir" "${suite:-bookworm}") || {
		echo "conformance: no test module for $k" >&2
		ko=-
	}
	echo "$k $dir $ver $ko" >>"$kernels"
done
qemu7=$(command -v qemu-system-aarch64)
qemu10=
if echo "$boots" | awk '$5 == 10 { f = 1 } END { exit !f }'; then
	qemu10=$(fetch_qemu10)
fi
t1=$(date +%s)

selected() { # label: matches a glob of the command line, or none given
	[ -z "$patterns" ] && return 0
	set -f
	for g in $patterns; do
		# shellcheck disable=SC2254
		case $1 in $g)
			set +f
			return 0
			;;
		esac
	done
	set +f
	return 1
}

# The gdb commands that print the parked VM's stage-2 leaves (4K granule,
# start level 1 or 2), one "S2LEAF IPA LEVEL DESC" line each. Names of
# gdb convenience variables must not be register names ($d1, $x2, $p3...).
s2walk_gdb() { # socket park-pc
	cat <<EOF
set pagination off
set confirm off
target remote $1
hbreak *$2
continue
delete
maint packet Qqemu.PhyMemMode:1
set \$hcr = \$HCR_EL2
set \$vtcr = \$VTCR_EL2
set \$root = \$VTTBR_EL2 & 0x0000fffffffffffe
set \$ipabits = 64 - (\$vtcr & 0x3f)
set \$start = 2 - ((\$vtcr >> 6) & 3)
printf "S2HDR vttbr=0x%lx vtcr=0x%lx hcr=0x%lx fwb=%d ipabits=%d start=%d ds=%d\n", \$VTTBR_EL2, \$vtcr, \$hcr, (\$hcr >> 46) & 1, \$ipabits, \$start, (\$vtcr >> 32) & 1
define s2read
  set \$desc = ((unsigned long long)*(unsigned int *)((\$arg0) + 4) << 32) | *(unsigned int *)(\$arg0)
end
set \$leaves = 0
set \$tabs1 = 0
set \$tabs2 = 0
if \$start == 1
  set \$tabs1 = \$root
  set \$cnt1 = 1 << (\$ipabits - 30)
end
if \$start == 2
  set \$tabs2 = \$root
  set \$cnt2 = 1 << (\$ipabits - 21)
end
set \$idx1 = 0
while \$tabs1 && \$idx1 < \$cnt1 && \$leaves < 4096
  s2read \$tabs1+8*\$idx1
  set \$desc1 = \$desc
  set \$base1 = (unsigned long long)\$idx1 << 30
  if (\$desc1 & 3) == 1
    printf "S2LEAF 0x%lx 1 0x%016lx\n", \$base1, \$desc1
    set \$leaves = \$leaves + 1
  end
  if (\$desc1 & 3) == 3
    set \$tab2 = \$desc1 & 0x0000fffffffff000
    set \$idx2 = 0
    while \$idx2 < 512 && \$leaves < 4096
      s2read \$tab2+8*\$idx2
      set \$desc2 = \$desc
      set \$base2 = \$base1 | ((unsigned long long)\$idx2 << 21)
      if (\$desc2 & 3) == 1
        printf "S2LEAF 0x%lx 2 0x%016lx\n", \$base2, \$desc2
        set \$leaves = \$leaves + 1
      end
      if (\$desc2 & 3) == 3
        set \$tab3 = \$desc2 & 0x0000fffffffff000
        set \$idx3 = 0
        while \$idx3 < 512 && \$leaves < 4096
          s2read \$tab3+8*\$idx3
          if (\$desc & 3) == 3
            printf "S2LEAF 0x%lx 3 0x%016lx\n", \$base2 | ((unsigned long long)\$idx3 << 12), \$desc
            set \$leaves = \$leaves + 1
          end
          set \$idx3 = \$idx3 + 1
        end
      end
      set \$idx2 = \$idx2 + 1
    end
  end
  set \$idx1 = \$idx1 + 1
end
if \$tabs2
  printf "S2HDR start level 2 not walked\n"
end
kill
EOF
}

# One S2LEAF line, decoded: IPA SIZE PA TYPE S2AP XN AF (fwb as given).
s2decode() { # fwb
	while read -r tag ipa level desc; do
		[ "$tag" = S2LEAF ] || continue
		ma=$(((desc >> 2) & 15))
		ap=$(((desc >> 6) & 3))
		xn=$(((desc >> 53) & 3))
		af=$(((desc >> 10) & 1))
		pa=$(((desc & 0x0000fffffffff000) & ~((1 << (39 - 9 * level)) - 1)))
		case $1:$ma in
		1:1 | 0:1) type=Device-nGnRE ;;
		1:0 | 0:0) type=Device-nGnRnE ;;
		1:5 | 0:5) type=Normal-NC ;;
		1:6) type=Normal-WB ;; # FWB: forced write-back
		1:7) type=as-stage-1 ;;
		0:15) type=Normal-WB ;;
		*) type=memattr-$ma ;;
		esac
		case $ap in 0) ap=none ;; 1) ap=r ;; 2) ap=w ;; 3) ap=rw ;; esac
		case $level in 1) size=1G ;; 2) size=2M ;; *) size=4K ;; esac
		printf '%-12s L%s %-3s pa=0x%-10x %-13s %-4s xn=%d af=%d %s\n' \
			"$ipa" "$level" "$size" "$pa" "$type" "$ap" "$xn" "$af" "$desc"
	done
}

# One boot: builds the initramfs, runs QEMU, keeps the result lines.
boot() { # label dir cpu qemu ko
	label=$1 dir=$2 cpu=$3 qemu=$4 ko=$5
	log=$out/$label.log
	set -- init="$init" ops.txt="$ops"
	for m in "$dir"/mods/*.ko; do
		[ -f "$m" ] && set -- "$@" "mods/$(basename "$m")=$m"
	done
	[ -f "$ko" ] && set -- "$@" "mods/90-s2mt_cmem.ko=$ko"
	[ -x "$out/s2mt-probe" ] && set -- "$@" "s2mt-probe=$out/s2mt-probe"
	"$mkcpio" "$out/$label.cpio" "$@"
	machine=virt,virtualization=on,gic-version=3,iommu=smmuv3
	case $cpu in
	max)
		# MTE on: the script's MTE VM needs it; nothing else changes
		machine=$machine,mte=on
		cpuopt=max,pauth-impdef=on
		;;
	*) cpuopt=$cpu ;;
	esac
	# 1 GiB at 0x40000000: the kernel gets the first 768 MiB, the test
	# module the last 256 MiB (at 0x70000000)
	append="console=ttyAMA0 panic=-1 quiet hugepages=16 s2mt.label=$label"
	append="$append mem=768M s2mt.cmem=0x70000000,0x10000000"
	start=$(date +%s)
	if [ -z "$s2dump" ]; then
		# stderr apart: QEMU 10 warns about the host's QEMU 7.2 modules
		timeout "$tmo" "$qemu" -M "$machine" -cpu "$cpuopt" \
			-smp 1 -m 1024 -nographic -no-reboot -nic none -L "$noroms" \
			-device edu -kernel "$dir/vmlinuz" \
			-initrd "$out/$label.cpio" -append "$append" \
			</dev/null >"$log" 2>"$out/$label.stderr" ||
			echo "qemu: exit $?" >>"$log"
	else
		sock=$out/$label.gdb.sock
		rm -f "$sock" "$out/$label.s2.txt"
		timeout "$tmo" "$qemu" -M "$machine" -cpu "$cpuopt" \
			-smp 1 -m 1024 -nographic -no-reboot -nic none -L "$noroms" \
			-device edu -kernel "$dir/vmlinuz" \
			-initrd "$out/$label.cpio" -append "$append s2mt.park=0" \
			-gdb "unix:$sock,server=on,wait=off" \
			</dev/null >"$log" 2>"$out/$label.stderr" &
		qemu=$!
		pc=
		while kill -0 "$qemu" 2>/dev/null; do
			pc=$(tr -d '\r' <"$log" |
				sed -n 's/^S2MT-PARKED [0-9]* pc=//p')
			[ -n "$pc" ] && break
			sleep 0.2
		done
		if [ -n "$pc" ]; then
			s2walk_gdb "$sock" "$pc" >"$out/$label.gdb"
			timeout 120 gdb-multiarch -batch -nx -x "$out/$label.gdb" \
				>"$out/$label.gdb.out" 2>&1 || true
			fwb=$(sed -n 's/^S2HDR.* fwb=\([01]\).*/\1/p' \
				"$out/$label.gdb.out")
			{
				grep '^S2HDR' "$out/$label.gdb.out" || true
				s2decode "${fwb:-0}" <"$out/$label.gdb.out"
			} >"$out/$label.s2.txt"
		fi
		kill "$qemu" 2>/dev/null || true
		wait "$qemu" || true
		rm -f "$sock"
	fi
	tr -d '\r' <"$log" | sed -n 's/^S2MT-CONF \([^ ]* .*\)$/\1/p' \
		>"$out/$label.real.txt"
	echo "$(($(date +%s) - start))" >"$out/$label.seconds"
}

labels=
running=0
while read -r k era cpu preset qv; do
	[ -n "$k" ] || continue
	# shellcheck disable=SC2046 # three words: directory, version, module
	set -- $(awk -v k="$k" '$1 == k { print $2, $3, $4 }' "$kernels")
	dir=$1 ver=$2 ko=$3
	case $cpu in
	cortex-a57,midr=0x411fd073) short=a57-r1p3 ;;
	cortex-*) short=${cpu#cortex-} ;;
	*) short=$cpu ;;
	esac
	label=$ver-$short
	qemu=$qemu7
	if [ "$qv" = 10 ]; then
		label=$label-q10
		qemu=$qemu10
	fi
	selected "$label" || continue
	labels="$labels $label:$era:$preset"
	boot "$label" "$dir" "$cpu" "$qemu" "$ko" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done <<EOF
$boots
EOF
wait
t2=$(date +%s)

# s2mt probe ran inside the boot (issue 12): its facts must be what the
# boot is, and a scenario from its fragment with a memslot over the edu
# BAR must give what the real kernel gave (acc-bar-read).
s2mt=${CONF_S2MT:-build/normal/bin/s2mt}
check_probe() { # label era preset: 0 or 1, saying why
	label=$1 era=$2 preset=$3
	p=$out/$label.probe.txt
	tr -d '\r' <"$out/$label.log" | sed -n 's/^S2MT-PROBE //p' >"$p"
	tr -d '\r' <"$out/$label.log" | sed -n 's/^S2MT-PROBE-SCN //p' \
		>"$out/$label.probe.yaml"
	if [ ! -s "$p" ]; then
		echo "probe $label: no output"
		return 1
	fi
	row=$("$s2mt" presets | awk -v p="$preset" '$1 == p')
	fwb=$(echo "$row" | awk '{ print $5 }')
	cap=0
	[ "$era" = 6.17 ] && cap=$(echo "$row" | awk '{ print $9 }')
	bad=
	grep -q "capability 243 *$cap on a VM" "$p" ||
		bad="$bad capability 243 is not $cap;"
	grep -q "FEAT_S2FWB *$fwb " "$p" || bad="$bad FEAT_S2FWB is not $fwb;"
	grep -q "vfio-pci .*: BAR0 1M" "$p" || bad="$bad no edu BAR0 1M;"
	grep -q "^  FAIL" "$p" && bad="$bad a FAIL line;"
	dev=$(sed -n 's/^  - name: //p' "$out/$label.probe.yaml" | head -1)
	{
		cat "$out/$label.probe.yaml"
		printf 'vmm:\n  mmaps:\n    - {name: bar, kind: vfio-bar, device: %s, bar: 0}\n' "$dev"
		printf '  memslots:\n    - {slot: 0, guest_phys_addr: 0x30000000, mmap: bar}\n'
		printf 'guest:\n  accesses:\n    - {name: read, ipa: 0x30000000, s1: device-ngnre}\n'
	} >"$out/$label.probe-run.yaml"
	real=$(awk '$1 == "acc-bar-read" { print $2 }' "$out/$label.real.txt")
	if "$s2mt" run "$out/$label.probe-run.yaml" >"$out/$label.probe-run.txt" 2>&1; then
		model=ok
	else
		model="exit $?"
	fi
	[ "$model" = "$real" ] ||
		bad="$bad the probe's scenario gives $model, the kernel $real;"
	if [ -n "$bad" ]; then
		echo "probe $label:$bad (see $p)"
		return 1
	fi
	echo "probe $label: capability 243 = $cap, FEAT_S2FWB $fwb, edu BAR0 1M; its scenario runs as the kernel did ($real)"
}

passed=0 failed=0
for l in $labels; do
	label=${l%%:*} rest=${l#*:}
	era=${rest%%:*} preset=${rest#*:}
	log=$out/$label.log
	kernel=$(tr -d '\r' <"$log" | sed -n 's/^S2MT-LOG kernel \([^ ]*\).*/\1/p')
	# H6: the boot's THP mode ([always] madvise never) and huge zero page.
	thp=$(tr -d '\r' <"$log" |
		sed -n 's/^S2MT-LOG mm transparent_hugepage\/enabled:.*\[\([a-z]*\)\].*/\1/p')
	zero=$(tr -d '\r' <"$log" |
		sed -n 's/^S2MT-LOG mm transparent_hugepage\/use_zero_page: \([01]\)$/\1/p')
	echo
	if ! tr -d '\r' <"$log" | grep -q '^S2MT-CONF-DONE'; then
		echo "conformance $label: the script did not finish; the console's end:"
		tr -d '\r' <"$log" | grep -v '^S2MT-CONF ' | tail -15 |
			sed 's/^/  | /'
		failed=$((failed + 1))
		continue
	fi
	if "$conf" compare --era "$era" --preset "$preset" ${kernel:+--kernel "$kernel"} \
		${thp:+--thp "$thp"} ${zero:+--thp-zero-page "$zero"} \
		--real "$out/$label.real.txt" --known "$known" \
		--label "$label" "$ops" >"$out/$label.table" 2>&1 &&
		check_probe "$label" "$era" "$preset" >>"$out/$label.table"; then
		passed=$((passed + 1))
	else
		check_probe "$label" "$era" "$preset" >>"$out/$label.table" || true
		failed=$((failed + 1))
	fi
	cat "$out/$label.table"
	echo "($label: kernel $kernel, boot $(cat "$out/$label.seconds") s," \
		"real answers in $out/$label.real.txt)"
	if [ -n "$s2dump" ]; then
		if [ -s "$out/$label.s2.txt" ]; then
			echo "stage-2 leaves of the first VM ($out/$label.s2.txt):"
			sed 's/^/  /' "$out/$label.s2.txt"
		else
			echo "stage-2 dump failed: see $out/$label.gdb.out"
		fi
	fi
done
# With every boot run, each listed difference must name a boot: one
# whose boot went away would never be checked again.
if [ -z "$patterns" ] && [ "${CONF_QEMU10:-1}" != 0 ]; then
	while read -r pat id _; do
		case $pat in '#'* | '') continue ;; esac
		hit=
		set -f
		for l in $labels; do
			# shellcheck disable=SC2254
			case ${l%%:*} in $pat) hit=1 ;; esac
		done
		set +f
		if [ -z "$hit" ]; then
			echo "conformance: $known: '$pat $id' matches no boot"
			failed=$((failed + 1))
		fi
	done <"$known"
fi
echo
echo "conformance: kernels ready in $((t1 - t0)) s, boots $((t2 - t1)) s"
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# Builds the conformance test module (tools/conformance/cmem/) for one
# Debian arm64 kernel fetched by scripts/fetch-kernel.sh, with Debian 12's
# aarch64 gcc 12 against that kernel's own headers
# (scripts/fetch-kheaders.sh), and prints the path of the .ko.
#
# usage: scripts/build-cmem.sh KERNEL-DIR SUITE
#   KERNEL-DIR  build/kernels/<suite>_<meta> (its "package" file names the
#               image package, and so the version)
#   SUITE       the kernel's suite (bookworm, sid, ...)
#
# The module is cached in build/cmem/VERSION/s2mt_cmem.ko and rebuilt only
# when its source is newer. Two things of a newer kernel's build are beyond
# gcc 12 and handled here: -fmin-function-alignment (cc-compat rewrites it
# to -falign-functions) and module BTF, which needs pahole: it is turned
# off for this module (CONFIG_DEBUG_INFO_BTF_MODULES=), which only means
# the module carries no BTF.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 KERNEL-DIR SUITE" >&2
	exit 2
fi
cd "$(dirname "$0")/.."
src=tools/conformance/cmem
img=$(cat "$1/package")
ver=$(echo "$img" | sed -n 's/^linux-\(image\|binary\)-\(.*\)-cloud-arm64$/\2/p')
out=build/cmem/$ver
ko=$out/s2mt_cmem.ko
if [ -f "$ko" ] && [ -z "$(find "$src" -newer "$ko" -type f)" ]; then
	echo "$ko"
	exit 0
fi
hdr=$(scripts/fetch-kheaders.sh build/kheaders "$img" "$2")
rm -rf "$out"
mkdir -p "$out"
cp "$src/s2mt_cmem.c" "$src/s2mt_cmem.h" "$src/Kbuild" "$out/"
abs=$(cd "$out" && pwd)
if ! make -C "$hdr" M="$abs" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
	CC="$(pwd)/$src/cc-compat" HOSTCC=gcc \
	CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	exit 1
fi
echo "build-cmem: $ko for $img" >&2
echo "$ko"

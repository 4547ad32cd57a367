#!/bin/sh
# Fetches the build tree for out-of-tree modules of one Debian arm64 kernel
# (the linux-headers-VERSION-cloud-arm64 and -common packages, and the
# amd64 linux-kbuild-VERSION tools that run on this machine), unpacks it
# without installing anything, makes it usable with Debian 12's own
# toolchain, and prints the directory to pass to make -C.
#
# usage: scripts/fetch-kheaders.sh WORKDIR IMAGE-PACKAGE SUITE
#   IMAGE-PACKAGE  the kernel's image package, as scripts/fetch-kernel.sh
#                  records it (e.g. linux-image-7.2.13+deb14-cloud-arm64)
#   SUITE          where it came from: bookworm (with -security and
#                  -backports) or sid, trixie ...
#
# Everything lives under WORKDIR/VERSION/ (a private apt state while
# fetching, as fetch-kernel.sh). A second run finds the tree and does not
# download again. Two things in the packages assume an installed Debian
# of the kernel's own release, and are fixed here:
#   - the headers' Makefile includes /usr/src/... by absolute path: the
#     paths are pointed at the unpacked copy;
#   - the kbuild tools of newer suites are linked against a newer glibc
#     than this machine's: each such tool is moved aside and started
#     through that suite's own dynamic loader and libc, fetched as well
#     (ELF binaries are not edited, only wrapped).
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 WORKDIR IMAGE-PACKAGE SUITE" >&2
	exit 2
fi
img=$2
suite=$3
ver=$(echo "$img" | sed -n 's/^linux-\(image\|binary\)-\(.*\)-cloud-arm64$/\2/p')
if [ -z "$ver" ]; then
	echo "fetch-kheaders: cannot read a version from '$img'" >&2
	exit 2
fi
mkdir -p "$1"
top=$(cd "$1" && pwd)/$ver
hdr=$top/root/usr/src/linux-headers-$ver-cloud-arm64
if [ -f "$top/complete" ]; then
	echo "$hdr"
	exit 0
fi

log() { echo "fetch-kheaders: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/apt-sources.sh
. "$here/apt-sources.sh"
apt_archives || exit 1

rm -rf "$top"
apt=$top/apt
apt_state_init "$apt" amd64 arm64
{
	src="deb [arch=amd64,arm64 signed-by=$apt_keyring]"
	if [ "$suite" = bookworm ]; then
		echo "$src $main_uri bookworm main"
		echo "$src $main_uri bookworm-backports main"
		[ -n "$sec_uri" ] && echo "$src $sec_uri bookworm-security main"
	else
		echo "$src $main_uri $suite main"
	fi
} >"$apt/etc/sources.list"
apt_update "$suite" arm64 || exit 1
# The kbuild tools' package is linux-kbuild-VERSION on newer kernels and
# linux-kbuild-MAJOR.MINOR on 6.1: the headers package names it.
kbuild=$(apt-cache depends "linux-headers-$ver-cloud-arm64:arm64" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-kbuild-[^:]*\).*/\1/p' | head -1)
pkgs="linux-headers-$ver-cloud-arm64:arm64 linux-headers-$ver-common
	${kbuild:-linux-kbuild-$ver}:amd64"
# The suite's own libc, for the kbuild tools built against it.
[ "$suite" = bookworm ] || pkgs="$pkgs libc6:amd64"
for p in $pkgs; do
	apt_download "$p" || exit 1
done
mkdir -p "$top/root" "$top/libc"
for d in "$apt/archives"/*.deb; do
	case $(basename "$d") in
	libc6_*) dpkg-deb -x "$d" "$top/libc" ;;
	*) dpkg-deb -x "$d" "$top/root" ;;
	esac
done
if [ ! -f "$hdr/Makefile" ]; then
	log "$ver: no $hdr/Makefile in the packages"
	exit 1
fi
# Absolute /usr/src paths (the -common tree, KBUILD_OUTPUT on newer
# kernels) lead into the unpacked copy.
for f in "$hdr/Makefile" "$top/root/usr/src/linux-headers-$ver-common/Makefile"; do
	[ -f "$f" ] && sed -i "s|/usr/src/|$top/root/usr/src/|g" "$f"
done

# Kbuild tools that need a glibc newer than this machine's.
mine=$(ldd --version 2>/dev/null | awk 'NR == 1 { print $NF }')
ld=$(find "$top/libc" -name 'ld-linux-x86-64.so.2' | head -1)
libdir=${ld%/*}
newer() { # tool: whether it asks for GLIBC_x.y newer than $mine
	objdump -T "$1" 2>/dev/null |
		sed -n 's/.*GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -uV |
		awk -v m="$mine" '
			{ split($1, a, "."); split(m, b, ".")
			  if (a[1] > b[1] || (a[1] == b[1] && a[2] > b[2])) n = 1 }
			END { exit !n }'
}
find "$top/root/usr/lib" -path '*linux-kbuild-*' -type f -perm -u+x |
	while read -r f; do
		head -c 4 "$f" | grep -q ELF || continue
		newer "$f" || continue
		if [ -z "$ld" ]; then
			log "$f needs a newer glibc than $mine; none was fetched"
			exit 1
		fi
		mv "$f" "$f.elf"
		# shellcheck disable=SC2016 # $0 and $@ are the wrapper's
		printf '#!/bin/sh\nexec %s --library-path %s "$0.elf" "$@"\n' \
			"$ld" "$libdir" >"$f"
		chmod +x "$f"
	done
wrapped=$(find "$top/root/usr/lib" -name '*.elf' | wc -l)
rm -rf "$apt"
touch "$top/complete"
log "$ver: headers in $hdr ($wrapped kbuild tools wrapped for glibc)"
echo "$hdr"

#!/bin/sh
# Fetches one Debian arm64 kernel for the conformance runs and prints the
# path of its vmlinuz (a plain arm64 Image that qemu -kernel boots).
#
# usage: scripts/fetch-kernel.sh WORKDIR META [SUITE]
#   META   a meta-package, e.g. linux-image-cloud-arm64
#   SUITE  a suite (e.g. sid); without it: bookworm + bookworm-security
#
# Everything lives under WORKDIR/<suite>_<meta>/: while fetching, a private
# apt state (the host's dpkg database, apt lists and lock are never
# touched); then only vmlinuz, package (the image package's name) and mods/
# with the vfio-pci modules and their dependencies, decompressed and named
# NN-name.ko in load order. A second run finds them and does not download
# again (remove the directory to fetch the archive's newest kernel). The archive addresses come from this machine's own apt
# sources (deb822 *.sources or the classic sources.list).
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 WORKDIR META [SUITE]" >&2
	exit 2
fi
meta=$2
suite=${3:-}
name=${suite:-bookworm}_$meta
mkdir -p "$1"
top=$(cd "$1" && pwd)/$name
mkdir -p "$top"

if [ -f "$top/vmlinuz" ] && [ -f "$top/complete" ]; then
	echo "$top/vmlinuz"
	exit 0
fi

log() { echo "fetch-kernel: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=scripts/apt-sources.sh
. "$here/apt-sources.sh"

apt_archives || exit 1

apt=$top/apt
apt_state_init "$apt" arm64
{
	if [ -n "$suite" ]; then
		echo "deb [arch=arm64 signed-by=$apt_keyring] $main_uri $suite main"
	else
		echo "deb [arch=arm64 signed-by=$apt_keyring] $main_uri bookworm main"
		if [ -n "$sec_uri" ]; then
			echo "deb [arch=arm64 signed-by=$apt_keyring] $sec_uri bookworm-security main"
		fi
	fi
} >"$apt/etc/sources.list"
apt_update "${suite:-bookworm}" arm64 || exit 1

# The meta-package depends on the versioned image package; on newer suites
# that one is split and depends on linux-binary-* (vmlinuz) and
# linux-modules-* (the modules).
depends() {
	apt-cache depends "$1" 2>/dev/null |
		awk -v re="$2" '$1 == "Depends:" && $2 ~ re { print $2 }'
}
img=$(depends "$meta" '^linux-(image|binary)-[0-9]' | head -1)
if [ -z "$img" ]; then
	log "cannot resolve $meta to a versioned image package"
	exit 1
fi
pkgs="$img $(depends "$img" '^linux-(binary|modules)-' | tr '\n' ' ')"

debs=
for p in $pkgs; do
	apt_download "$p" || exit 1
	for d in "$apt/archives/${p}_"*_arm64.deb; do :; done
	debs="$debs $d"
done

tree=$top/tree
rm -rf "$tree" "$top/mods"
mkdir -p "$tree" "$top/mods"
: >"$top/contents"
for d in $debs; do
	dpkg-deb -c "$d" | awk -v deb="$d" '{ print deb, $NF }' >>"$top/contents"
done

# bookworm: ./boot/vmlinuz-VERSION; newer: ./usr/lib/modules/VERSION/vmlinuz
# shellcheck disable=SC2046 # two words: the .deb, the path
set -- $(awk '$2 ~ /\/boot\/vmlinuz-|\/modules\/[^\/]+\/vmlinuz$/ { print $1, $2; exit }' "$top/contents")
if [ $# -ne 2 ]; then
	log "no vmlinuz in $pkgs"
	exit 1
fi
dpkg-deb --fsys-tarfile "$1" | tar -x -C "$tree" "$2"
cp "$tree/${2#./}" "$top/vmlinuz"

# The module closure of vfio-pci and vfio_iommu_type1 (a module's
# .modinfo names its dependencies), in load order: dependencies first.
modpath() { # module name -> "DEB PATH" of its .ko (names: - and _ alike)
	awk -v m="$1" '
		$2 ~ /\.ko(\.xz|\.zst|\.gz)?$/ {
			n = $2; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
			gsub(/-/, "_", n)
			if (n == m) { print $1, $2; exit }
		}' "$top/contents"
}
extract_ko() { # name -> path of the decompressed .ko, or nothing
	# shellcheck disable=SC2046 # two words: the .deb, the path
	set -- "$1" $(modpath "$1")
	[ $# -eq 3 ] || return 0
	[ -f "$tree/${3#./}" ] || dpkg-deb --fsys-tarfile "$2" | tar -x -C "$tree" "$3"
	f=$tree/${3#./}
	case $f in
	*.ko.xz) xz -dc "$f" >"$tree/$1.ko" ;;
	*.ko.zst)
		# no kernel of the runs ships these yet: zstd only when one does
		command -v zstd >/dev/null || "$here/ensure-deps.sh" zstd >&2
		zstd -qdc "$f" >"$tree/$1.ko"
		;;
	*.ko.gz) gzip -dc "$f" >"$tree/$1.ko" ;;
	*) cp "$f" "$tree/$1.ko" ;;
	esac
	echo "$tree/$1.ko"
}
order=
visit() {
	case " $order " in *" $1 "*) return 0 ;; esac
	ko=$(extract_ko "$1")
	if [ -z "$ko" ]; then
		log "$name: no module $1 (built in?)"
		return 0
	fi
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ')
	for d in $deps; do
		visit "$(echo "$d" | tr - _)"
	done
	case " $order " in *" $1 "*) ;; *) order="$order $1" ;; esac
}
for m in vfio_iommu_type1 vfio_pci; do
	visit $m
done
i=10
for m in $order; do
	mv "$tree/$m.ko" "$top/mods/$i-$m.ko"
	i=$((i + 1))
done
rm -rf "$tree" "$apt" "$top/contents"
echo "$img" >"$top/package"
touch "$top/complete"
log "$name: $(cat "$top/package"), modules:$order"
echo "$top/vmlinuz"

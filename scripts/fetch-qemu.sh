#!/bin/sh
# Fetches QEMU 10.0 from Debian's bookworm-backports without installing it,
# and prints the path of its qemu-system-aarch64.
#
# usage: scripts/fetch-qemu.sh [DIR]      (default build/qemu10)
#
# qemu-system-arm, qemu-system-common and qemu-system-data are downloaded
# with a private apt state (as scripts/fetch-kernel.sh: the host's dpkg
# database, apt lists and lock are never touched; the archive address comes
# from this machine's own apt sources) and unpacked with dpkg-deb -x into
# DIR/root. Run it as
#
#   DIR/root/usr/bin/qemu-system-aarch64 -L DIR/root/usr/share/qemu ...
#
# (-L an empty directory is fine too for a -kernel ELF). It runs with this
# machine's own libraries (those Debian 12's qemu-system-arm pulls in); it
# prints warnings about the host's QEMU 7.2 modules on stderr, which are
# harmless. A second run finds DIR/complete, checks the binary still runs
# and prints the path without downloading (remove DIR to fetch again).
# DIR/version holds the binary's --version line, DIR/packages the package
# versions.
set -eu

if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
dir=${1:-build/qemu10}
suite=bookworm-backports
pkgs="qemu-system-arm qemu-system-common qemu-system-data"
want=10.0

log() { echo "fetch-qemu: $*" >&2; }
die() {
	log "$*"
	exit 1
}

mkdir -p "$dir" || die "cannot create $dir"
top=$(cd "$dir" && pwd)
bin=$top/root/usr/bin/qemu-system-aarch64

# The binary must start and be the version asked for; a missing shared
# library is named.
verify() {
	if ! out=$("$bin" --version 2>"$top/verify.err"); then
		missing=$(ldd "$bin" 2>/dev/null | awk '/not found/ { print $1 }' |
			tr '\n' ' ')
		if [ -n "$missing" ]; then
			die "$bin does not run: missing shared libraries: $missing" \
				"(install Debian 12's qemu-system-arm, which pulls them in)"
		fi
		cat "$top/verify.err" >&2
		die "$bin --version failed"
	fi
	rm -f "$top/verify.err"
	line=$(echo "$out" | head -n 1)
	case "$line" in
	"QEMU emulator version $want".*) ;;
	*) die "$bin says '$line', expected QEMU $want" ;;
	esac
	echo "$line" >"$top/version"
}

if [ -f "$top/complete" ] && [ -x "$bin" ]; then
	verify
	echo "$bin"
	exit 0
fi

for tool in apt-get dpkg-deb; do
	command -v $tool >/dev/null || die "$tool not found (a Debian system is needed)"
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/apt-sources.sh
. "$here/apt-sources.sh"
[ -r "$apt_keyring" ] || die "$apt_keyring missing: install debian-archive-keyring"
apt_archives || exit 1
arch=$(dpkg --print-architecture)

rm -f "$top/complete"
apt=$top/apt
apt_state_init "$apt" "$arch"
echo "deb [arch=$arch signed-by=$apt_keyring] $main_uri $suite main" \
	>"$apt/etc/sources.list"
apt_update "$suite" "$arch" || die "no QEMU $want without the index of $suite"

debs=
for p in $pkgs; do
	apt_download "$p" || die "no $p from $suite"
	d=
	for f in "$apt/archives/${p}_"*.deb; do
		[ -f "$f" ] && d=$f
	done
	[ -n "$d" ] || die "apt-get download $p left no .deb"
	debs="$debs $d"
done

tmp=$top/root.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
: >"$top/packages"
for d in $debs; do
	dpkg-deb -x "$d" "$tmp" || die "dpkg-deb -x $d failed"
	# shellcheck disable=SC2016 # dpkg-deb's format, not the shell's
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$d" >>"$top/packages"
done
rm -rf "$top/root"
mv "$tmp" "$top/root"
rm -rf "$apt"
[ -x "$bin" ] || die "no usr/bin/qemu-system-aarch64 in $pkgs"
verify
touch "$top/complete"
log "$(cat "$top/version")"
echo "$bin"

#!/bin/sh
# Installs s2mt into a temporary DESTDIR and checks it as an embedder
# would: pkg-config finds it; a small program (tests/embed/embed.c) builds
# and runs against the shared library and against the static one; the
# shared library has its soname and exports only the public s2mt_* API;
# the command and the manual pages work from there; uninstall removes
# every file it installed.
#
# usage: scripts/install-check.sh [VARIANT]   (default normal)
set -eu
cd "$(dirname "$0")/.."
variant=${1:-normal}
variant=${variant#build/}
make=${MAKE:-make}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
prefix=/usr/local
fail() {
	echo "install-check: FAIL: $*" >&2
	exit 1
}

$make -s VARIANT="$variant" install DESTDIR="$dest" PREFIX="$prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install"; }
lib=$dest$prefix/lib
version=$(sed -n 's/^#define S2MT_VERSION "\(.*\)"/\1/p' include/s2mt/core.h)
major=$(sed -n 's/^#define S2MT_VERSION_MAJOR \([0-9]*\)/\1/p' include/s2mt/core.h)

export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
export PKG_CONFIG_LIBDIR="$lib/pkgconfig"
pkg-config --exists s2mt || fail "pkg-config does not find s2mt"
[ "$(pkg-config --modversion s2mt)" = "$version" ] ||
	fail "pkg-config version $(pkg-config --modversion s2mt), want $version"

# The shared library: soname, and nothing exported but the headers' API.
so=$lib/libs2mt.so.$version
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libs2mt.so.$major" ] || fail "soname '$soname'"
exports=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//')
bad=$(echo "$exports" | grep -v '^s2mt_' || true)
[ -z "$bad" ] || fail "exports outside s2mt_*: $bad"
api=$(cat include/s2mt/*.h | tr -s ' \t\n' ' ' | grep -o 's2mt_[a-z0-9_]*[ ]*[([]' |
	sed 's/[ ([]*$//' | sort -u)
extra=$(echo "$exports" | sort -u | comm -23 - "$(printf '%s\n' "$api" >"$tmp/api"; echo "$tmp/api")")
[ -z "$extra" ] || fail "exported but not in include/s2mt: $extra"
count=$(echo "$exports" | wc -l)

# The embedder, twice.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags s2mt) tests/embed/embed.c \
	$(pkg-config --libs s2mt) -o "$tmp/embed-shared" || fail "build against the shared library"
readelf -d "$tmp/embed-shared" | grep -q "NEEDED.*\[libs2mt.so.$major\]" ||
	fail "embed-shared does not need libs2mt.so.$major"
LD_LIBRARY_PATH=$lib "$tmp/embed-shared" >"$tmp/shared.out" || fail "embed-shared: $(cat "$tmp/shared.out")"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags s2mt) tests/embed/embed.c \
	$(pkg-config --libs-only-L s2mt) -Wl,-Bstatic -ls2mt -Wl,-Bdynamic \
	-o "$tmp/embed-static" || fail "build against the static library"
if readelf -d "$tmp/embed-static" | grep -q 'NEEDED.*libs2mt'; then
	fail "embed-static still needs libs2mt.so"
fi
"$tmp/embed-static" >"$tmp/static.out" || fail "embed-static: $(cat "$tmp/static.out")"
cmp -s "$tmp/shared.out" "$tmp/static.out" || fail "shared and static embedders disagree"

# The command and its manual pages, from the installed tree.
"$dest$prefix/bin/s2mt" --version | grep -qx "s2mt $version" || fail "s2mt --version"
for m in man1/s2mt.1 man5/s2mt-scenario.5 man3/libs2mt.3; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$dest$prefix/share/man/$m" >/dev/null 2>&1 ||
		fail "man -l $m"
done
[ -f "$dest$prefix/share/bash-completion/completions/s2mt" ] || fail "bash completion"

$make -s VARIANT="$variant" uninstall DESTDIR="$dest" PREFIX="$prefix" >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$dest" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"

echo "install-check: PASS: $(cat "$tmp/shared.out")"
echo "install-check: soname libs2mt.so.$major, $count symbols exported, all s2mt_* from include/s2mt; static and shared embedders agree; uninstall leaves nothing"

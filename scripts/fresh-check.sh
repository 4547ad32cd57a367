#!/bin/sh
# Holds the README's promise: `make demo` and `make check` work on a fresh
# Debian 12 machine with nothing installed by hand. A hidden dependency (a
# file or program that only a Recommends, or something installed earlier
# by hand, brings) passes on a developer's machine and fails here.
#
# usage: scripts/fresh-check.sh [DIR]        (as root)
#   DIR  where the machine lives (default /var/tmp/s2mt-fresh); never
#        inside the source tree. Made once: DIR/base, a debootstrap
#        --variant=minbase bookworm with only make, gcc, git and
#        ca-certificates added (--no-install-recommends), as a bare dev
#        machine has. Each run: DIR/root, a new copy of DIR/base; the
#        current tree (a git clone plus the work tree's uncommitted files,
#        no build/) at /src/s2mt and a read-only copy of ../shared beside
#        it; then `make demo` and `make check` run in it as root. Then, as
#        a proof that no ROM or firmware file is needed, the QEMU runs
#        again with QEMU's data directories moved away.
#   env: FRESH_TARGETS      the make targets, in order (default "demo check")
#        FRESH_ROM_PROOF=0  skip the proof
#        FRESH_REBUILD=1    make DIR/base again (e.g. after a point release)
#        FRESH_PATHS        take only these paths from the work tree, the
#                           rest as committed (HEAD); default: all of it
#
# The mirrors are this machine's own apt sources (deb822 *.sources or the
# classic sources.list), with the settings its apt uses to read them
# (freshness checks, proxies: apt-config). Downloaded .debs are kept in
# DIR/cache and shared by the runs; nothing else carries over from one run
# to the next, and the kernels of the conformance run are fetched again
# each time. Logs: DIR/logs/. Exits 0 when every stage passed.
set -eu

prog=scripts/fresh-check.sh
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ] || [ $# -gt 1 ]; then
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	[ $# -gt 1 ] && exit 2
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	cat >&2 <<EOF
$prog: must run as root. It builds a Debian root with debootstrap,
mounts /proc, /sys and /dev into it and runs \`make check\` there under
chroot (whose apt-get installs the project's packages), and none of that
works for another user. Run it as root, e.g.: sudo $prog ${1:-}
EOF
	exit 1
fi

tree=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-/var/tmp/s2mt-fresh}")
case "$dir/" in
"$tree"/*)
	echo "$prog: $dir is inside the source tree $tree; choose a DIR outside it" >&2
	exit 2
	;;
esac
[ "$dir" != / ] || { echo "$prog: DIR must not be /" >&2; exit 2; }
mkdir -p "$dir"
base=$dir/base
root=$dir/root
cache=$dir/cache/archives
logs=$dir/logs
targets=${FRESH_TARGETS:-demo check}
mkdir -p "$cache/partial" "$logs"

exec 9>"$dir/.lock"
if ! flock -n 9; then
	echo "$prog: another run holds $dir/.lock" >&2
	exit 1
fi

say() { echo "fresh-check: $*"; }
now() { date +%s; }
summary=
note() { # one line of the closing summary
	summary="$summary
fresh-check: $*"
	say "$*"
}

# Unmounts everything mounted below $1, deepest first.
unmount_below() {
	awk -v p="$1/" 'index($2 "/", p) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if awk -v p="$1/" 'index($2 "/", p) == 1 { f = 1 } END { exit !f }' \
		/proc/self/mounts; then
		echo "$prog: something is still mounted below $1" >&2
		return 1
	fi
}
# Removes a machine directory, never while anything is mounted in it.
remove_root() {
	[ -e "$1" ] || return 0
	unmount_below "$1"
	rm -rf "$1"
}
mounted=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	for m in $mounted; do
		unmount_below "$m" || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mount_machine() { # root: /proc, /sys, /dev and the shared .deb cache
	mounted="$mounted $1"
	mount -t proc proc "$1/proc"
	mount --rbind /sys "$1/sys"
	mount --make-rslave "$1/sys"
	mount --rbind /dev "$1/dev"
	mount --make-rslave "$1/dev"
	mount --bind "$cache" "$1/var/cache/apt/archives"
	cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
}
# Runs a shell command in the machine as a fresh login would: root, a
# plain PATH, none of this shell's environment.
in_machine() { # root command
	chroot "$1" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
		SHELL=/bin/sh TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "$2"
}

# host_sources: "URI SUITE" pairs of this machine's Debian sources.
. "$tree/scripts/apt-sources.sh"

# What this machine's apt needs to use its mirrors, and nothing else of its
# apt set-up: the same freshness checks (a mirror may serve a frozen
# snapshot whose Release files are past their Valid-Until, read here with
# Acquire::Check-Valid-Until "false") and proxies.
mirror_access() { # root
	apt-config dump 2>/dev/null |
		grep -E '^Acquire::(Check-Valid-Until|Check-Date|(https?|ftp)::Proxy)' \
			>"$1/etc/apt/apt.conf.d/99s2mt-fresh-mirror-access" || true
	if [ -s "$1/etc/apt/apt.conf.d/99s2mt-fresh-mirror-access" ]; then
		say "from this machine's apt set-up:" \
			"$(tr '\n' ' ' <"$1/etc/apt/apt.conf.d/99s2mt-fresh-mirror-access")"
	else
		rm -f "$1/etc/apt/apt.conf.d/99s2mt-fresh-mirror-access"
	fi
}

t_all=$(now)

# 1. The bare machine, once.
if [ -n "${FRESH_REBUILD:-}" ] || [ ! -f "$base/.s2mt-fresh-base" ]; then
	t=$(now)
	"$tree/scripts/ensure-deps.sh" debootstrap debian-archive-keyring
	sources=$(host_sources)
	main_uri=$(echo "$sources" | awk '$2 == "bookworm" { print $1; exit }')
	[ -n "$main_uri" ] ||
		main_uri=$(echo "$sources" | awk '$2 !~ /-/ { print $1; exit }')
	sec_uri=$(echo "$sources" | awk '$2 ~ /-security$/ { print $1; exit }')
	if [ -z "$main_uri" ]; then
		echo "$prog: no Debian mirror in this machine's apt sources" >&2
		exit 1
	fi
	say "making the bare machine in $base (debootstrap minbase bookworm from $main_uri)"
	remove_root "$base.new"
	remove_root "$base"
	if ! debootstrap --variant=minbase \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		bookworm "$base.new" "$main_uri" >"$logs/debootstrap.log" 2>&1; then
		tail -n 30 "$logs/debootstrap.log" >&2
		echo "$prog: debootstrap failed (log: $logs/debootstrap.log)" >&2
		exit 1
	fi
	{
		echo "deb $main_uri bookworm main"
		echo "deb $main_uri bookworm-updates main"
		[ -z "$sec_uri" ] || echo "deb $sec_uri bookworm-security main"
	} >"$base.new/etc/apt/sources.list"
	mirror_access "$base.new"
	mount_machine "$base.new"
	if ! in_machine "$base.new" '
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q &&
		apt-get -y -q upgrade &&
		apt-get install -y -q --no-install-recommends make gcc git ca-certificates' >"$logs/base-install.log" 2>&1; then
		tail -n 30 "$logs/base-install.log" >&2
		echo "$prog: installing make gcc git ca-certificates failed" >&2
		exit 1
	fi
	unmount_below "$base.new"
	date -u +%FT%TZ >"$base.new/.s2mt-fresh-base"
	mv "$base.new" "$base"
	note "bare machine made: $(($(now) - t)) s ($(chroot "$base" dpkg-query -W | wc -l) packages)"
else
	say "bare machine: $base (made $(cat "$base/.s2mt-fresh-base"); FRESH_REBUILD=1 to remake)"
fi

# 2. This run's machine: a new copy of the bare one, the tree as it is now.
t=$(now)
remove_root "$root"
cp -a "$base" "$root"
src=$root/src/s2mt
mkdir -p "$root/src"
git clone -q --no-hardlinks "$tree" "$src"
# The work tree's uncommitted state: changed and new (not ignored) files,
# and the deletions (only FRESH_PATHS, when given); then staged, as a
# commit of it would have them.
# shellcheck disable=SC2086 # FRESH_PATHS: a list of paths
(cd "$tree" && git ls-files -z -c -o --exclude-standard -- ${FRESH_PATHS:-}) |
	tar -C "$tree" --null -T - --ignore-failed-read -cf - 2>/dev/null |
	tar -C "$src" -xf -
# shellcheck disable=SC2086
(cd "$tree" && git ls-files -z -d -- ${FRESH_PATHS:-}) |
	(cd "$src" && xargs -0 -r rm -f --)
rm -rf "$src/build"
git -C "$src" add -A
if [ -d "$tree/../shared" ]; then
	cp -a "$tree/../shared" "$root/src/shared"
	chmod -R a-w "$root/src/shared"
fi
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f '${Package}\n' | sort >"$logs/packages-before"
chroot "$root" apt-mark showmanual | sort >"$logs/manual-before"
mirror_access "$root"
mount_machine "$root"
note "tree copied into $root/src: $(($(now) - t)) s ($(git -C "$src" status --porcelain | wc -l) paths differ from HEAD)"

# 3. The project's own targets, as a user on that machine runs them.
failed=0
for target in $targets; do
	t=$(now)
	say "make $target (log $logs/$target.log)"
	rc=0
	{
		in_machine "$root" "cd /src/s2mt && make $target" 2>&1 || echo $? >"$logs/$target.rc"
	} | tee "$logs/$target.log"
	[ ! -f "$logs/$target.rc" ] || { rc=$(cat "$logs/$target.rc"); rm -f "$logs/$target.rc"; }
	if [ "$rc" -eq 0 ]; then
		note "make $target: PASS ($(($(now) - t)) s)"
	else
		note "make $target: FAIL, exit status $rc ($(($(now) - t)) s; log $logs/$target.log)"
		failed=1
	fi
done
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f '${Package}\n' | sort >"$logs/packages-after"
added=$(comm -13 "$logs/packages-before" "$logs/packages-after" | wc -l)
asked=$(chroot "$root" apt-mark showmanual | sort |
	comm -13 "$logs/manual-before" - | tr '\n' ' ')
note "the project installed $added packages; it asked for: ${asked:-none}"

# 4. The proof that QEMU needs no ROM, firmware or other data file: with
# every directory QEMU searches for them moved away, the EL2 runs and one
# conformance boot again (after the targets built the harness and cached
# the kernels; whatever else failed).
if [ "${FRESH_ROM_PROOF:-1}" != 0 ] &&
	[ -x "$root/usr/bin/qemu-system-aarch64" ] &&
	[ -f "$root/src/s2mt/build/el2/s2mt-el2.elf" ]; then
	t=$(now)
	say "QEMU without its data directories (log $logs/rom-proof.log)"
	# shellcheck disable=SC2016 # expanded in the machine's shell
	if in_machine "$root" '
		set -e
		cd /src/s2mt
		hide=/var/tmp/qemu-data-hidden
		mkdir -p $hide
		: >$hide/map
		n=0
		for d in $(qemu-system-aarch64 -L help); do
			case $d in /usr/bin/../*) d=/usr/${d#/usr/bin/../} ;; esac
			[ -e "$d" ] || continue
			n=$((n + 1))
			mv "$d" $hide/$n
			echo "$n $d" >>$hide/map
			echo "hidden: $d"
		done
		echo "QEMU searches:" $(qemu-system-aarch64 -L help)
		scripts/el2-run.sh max
		scripts/el2-run.sh cortex-a57
		CONF_BIN=build/normal/bin/s2mt-conformance scripts/conformance.sh "6.1-*"
		while read -r n d; do mv $hide/$n "$d"; done <$hide/map' >"$logs/rom-proof.log" 2>&1; then
		note "QEMU with no data directory: PASS ($(($(now) - t)) s; $(grep -c '^hidden:' "$logs/rom-proof.log") directories hidden)"
	else
		tail -n 20 "$logs/rom-proof.log"
		note "QEMU with no data directory: FAIL ($(($(now) - t)) s; log $logs/rom-proof.log)"
		failed=1
	fi
fi

unmount_below "$root"
mounted=
echo "$summary"
if [ "$failed" -eq 0 ]; then
	say "all passed in $(($(now) - t_all)) s"
else
	say "FAILED after $(($(now) - t_all)) s (the machine stays in $root)"
fi
exit "$failed"

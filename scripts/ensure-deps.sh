#!/bin/sh
# Installs the Debian packages given as arguments when any is missing.
# As root it runs apt-get itself; otherwise it prints the exact command.
set -eu
missing=
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "s2mt: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "s2mt: not root; run this, then retry:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends $missing >&2

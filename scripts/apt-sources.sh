# shellcheck shell=sh
# Sourced by scripts/fetch-kernel.sh, fetch-qemu.sh, fetch-kheaders.sh and
# fresh-check.sh (POSIX sh). The fetch scripts define log() before use.

# "URI SUITE" pairs of this machine's Debian sources, deb822 (*.sources)
# and classic (sources.list), as its apt reads them.
host_sources() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush() {
				if (deb && uri != "")
					for (i = 1; i <= ns; i++)
						print uri, s[i]
				deb = 0; uri = ""; ns = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { ns = 0; for (i = 2; i <= NF; i++) s[++ns] = $i }
			END { flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
			$1 != "deb" { next }
			{
				i = 2
				if ($i ~ /^\[/) while (i <= NF && $i !~ /\]$/) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				print $i, $(i + 1)
			}
		' "$f"
	done
}

# apt_archives: sets main_uri (the URI that serves a plain codename, no
# "-" suffix) and sec_uri (the one that serves CODENAME-security, or "");
# status 1, said, when this machine has no Debian archive.
apt_archives() {
	sources=$(host_sources)
	main_uri=$(echo "$sources" | awk '$2 !~ /-/ { print $1; exit }')
	# shellcheck disable=SC2034 # read by the scripts that source this
	sec_uri=$(echo "$sources" | awk '$2 ~ /-security$/ { print $1; exit }')
	[ -n "$main_uri" ] && return 0
	log "no Debian archive in this machine's apt sources"
	return 1
}

# shellcheck disable=SC2034 # used by the scripts that source this one
apt_keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# apt_state_init DIR ARCH [ARCH...]
# A private apt state in DIR (created afresh): the host's dpkg database,
# apt lists and lock are never touched, so nothing is installed and no
# root is needed. The first ARCH is the native one. The caller writes
# DIR/etc/sources.list next. APT_CONFIG is exported for the apt-get calls
# that follow (so call it in the script's own shell, not in a pipeline).
apt_state_init() {
	apt_dir=$1
	shift
	apt_arch=$1
	rm -rf "$apt_dir"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" \
		"$apt_dir/etc/parts"
	: >"$apt_dir/status"
	: >"$apt_dir/etc/sources.list"
	archs=
	for a in "$@"; do
		archs="$archs \"$a\";"
	done
	cat >"$apt_dir/apt.conf" <<EOF
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir";
Dir::Cache::Archives "$apt_dir/archives";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/parts";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/parts";
APT::Architecture "$apt_arch";
APT::Architectures {$archs };
Debug::NoLocking "true";
EOF
	export APT_CONFIG="$apt_dir/apt.conf"
}

# A passing network fault should not fail a CI run: three attempts.
apt_retry() {
	for attempt in 1 2 3; do
		"$@" && return 0
		log "attempt $attempt failed: $*"
		[ "$attempt" -lt 3 ] && sleep $((attempt * 5))
	done
	return 1
}

# apt-get update exits 0 when an index could not be fetched (a warning):
# it succeeded only when SUITE's main package index for ARCH is there.
apt_update_once() {
	apt-get -q -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		update >"$apt_dir/update.log" 2>&1 || return 1
	for f in "$apt_dir/lists/"*"_dists_${1}_main_binary-${2}_Packages"*; do
		[ -f "$f" ] && return 0
	done
	return 1
}

# apt_update SUITE ARCH: in the state apt_state_init made; on failure the
# log is shown and the status is 1.
apt_update() {
	log "$1: apt-get update (private state in $apt_dir)"
	apt_retry apt_update_once "$1" "$2" && return 0
	cat "$apt_dir/update.log" >&2
	log "apt-get update got no package index of $1 for $2 (network or proxy?)"
	return 1
}

# apt_download PKG: into the state's archives/; on failure the log is
# shown and the status is 1.
apt_download() {
	log "downloading $1"
	(cd "$apt_dir/archives" && apt_retry apt-get -q \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		download "$1") >"$apt_dir/download.log" 2>&1 && return 0
	cat "$apt_dir/download.log" >&2
	log "apt-get download $1 failed"
	return 1
}

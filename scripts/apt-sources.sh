# Sourced by scripts/fetch-kernel.sh and scripts/fresh-check.sh (POSIX sh).

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

# SPDX-License-Identifier: MIT
# bash completion for s2mt(1)
_s2mt()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local commands='run compare designs advise map table combine explain help'

	if [ "$cword" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
		return
	fi
	case ${words[1]} in
	run) opts='--json --strict --help' ;;
	compare) opts='--json --kernels --help' ;;
	designs) opts='--json --matrix --out --help' ;;
	advise) opts='--json --help' ;;
	map) opts='-o --help' ;;
	table) opts='--fwb --arch --json --help' ;;
	combine) opts='--s1 --s2 --fwb --s1-sh --s2-sh --json --help' ;;
	explain)
		COMPREPLY=($(compgen -W "--all --markdown $(s2mt explain --all 2>/dev/null |
			awk '/^[A-Za-z0-9]+  / { print $1 }')" -- "$cur"))
		return
		;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
		;;
	*) return ;;
	esac
	case $prev in
	--arch)
		COMPREPLY=($(compgen -W 'arm64 x86-intel x86-amd' -- "$cur"))
		return
		;;
	--s1)
		COMPREPLY=($(compgen -W 'off device-ngnrne device-ngnre device-ngre device-gre normal-nc normal-wt normal-wb tagged' -- "$cur"))
		return
		;;
	--s2)
		COMPREPLY=($(compgen -W 'device-ngnrne device-ngnre device-ngre device-gre normal-nc normal-wt normal-wb force-wb as-s1' -- "$cur"))
		return
		;;
	--s1-sh | --s2-sh)
		COMPREPLY=($(compgen -W 'nsh osh ish' -- "$cur"))
		return
		;;
	--out)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	-o)
		COMPREPLY=($(compgen -f -X '!*.svg' -- "$cur"))
		return
		;;
	--kernels) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
	fi
}
complete -F _s2mt s2mt

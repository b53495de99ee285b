# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# KTAP counting shared by tools/check and selftests/run_tests.sh. Source it
# and set $count to a file: each result line printed appends its kind
# (pass, fail, skip) there, so results are renumbered into one sequence
# across calls.
# shellcheck disable=SC2154 # count: set by the caller

# ktap_line PREFIX LINE: print the KTAP result LINE ("ok 3 - x: y",
# "not ok 3 - x: y", "ok 3 - x: y # SKIP why") renumbered after the results
# in $count, its description prefixed with PREFIX; record its kind.
ktap_line()
{
	local prefix=$1 line=$2 desc kind n

	if [[ $line == "not ok "* ]]; then
		kind=fail; desc=${line#not ok }
	else
		kind=pass; desc=${line#ok }
	fi
	desc=$(sed -E 's/^ +//; s/^[0-9]+( |$)//; s/^- //' <<<"$desc")
	[[ $desc == *"# SKIP"* ]] && [ $kind = pass ] && kind=skip
	n=$(($(wc -l <"$count") + 1))
	echo "$kind" >>"$count"
	if [ $kind = fail ]; then
		echo "not ok $n $prefix$desc"
	else
		echo "ok $n $prefix$desc"
	fi
}

# ktap PREFIX: renumber KTAP result lines from stdin, pass the rest through
# as diagnostics.
ktap()
{
	local prefix=$1 line

	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*) ktap_line "$prefix" "$line" ;;
		"TAP version"* | "1.."* | *" passed, "*" failed"*) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
}

# ksft_ktap PREFIX: the output of the kernel's kselftest runner
# (run_kselftest.sh, kselftest/runner.sh) on stdin. Each script's own
# results, nested as "# ok N ..." under its header "# selftests: C: x.sh",
# are renumbered and counted one by one; the script's verdict line ("ok N
# selftests: C: x.sh", "not ok N ... # exit=R", "... # TIMEOUT S seconds")
# counts only when it says what those do not: a failure without a failing
# result (non-zero exit, a timeout: also after failures, the tests after it
# never ran), a skip or a pass without any result. Then a line with the
# scripts' durations, as lib.sh prints them ("# NAME: Ns").
ksft_ktap()
{
	local prefix=$1 line nres=0 nfail=0 skipwhy='' name why t
	local -a times=()

	while IFS= read -r line; do
		case $line in
		"# selftests: "*)
			nres=0 nfail=0 skipwhy=
			echo "$line"
			;;
		"# ok "* | "# not ok "*)
			nres=$((nres + 1))
			[[ $line == "# not ok "* ]] && nfail=$((nfail + 1))
			ktap_line "$prefix" "${line#\# }"
			;;
		"ok "*" selftests: "* | "not ok "*" selftests: "*)
			name=${line#* selftests: }
			why=
			[[ $name == *" # "* ]] && why=${name#* # } name=${name%% # *}
			if [[ $line == "not ok "* ]]; then
				if [[ $why == TIMEOUT* ]]; then
					ktap_line "$prefix" "not ok 0 $name: $why (killed by the kselftest runner)"
				elif [ "$nfail" -eq 0 ]; then
					ktap_line "$prefix" "not ok 0 $name: failed (${why:-the runner gave no reason}) without a failing test line"
				fi
			elif [ "$nres" -eq 0 ]; then
				if [[ $why == SKIP* ]]; then
					ktap_line "$prefix" "ok 0 $name # SKIP ${skipwhy:-${why#SKIP}}"
				else
					ktap_line "$prefix" "ok 0 $name (no test lines)"
				fi
			fi
			nres=0 nfail=0 skipwhy=
			;;
		"TAP version"* | "1.."* | "# timeout set to "* | "# overriding timeout to "*) ;;
		"#"*)
			case $line in
			"# # SKIP"*) skipwhy=${line#\# \# SKIP} skipwhy=${skipwhy#:} skipwhy=${skipwhy# } ;;
			esac
			if [[ $line =~ ^#\ #\ ([A-Za-z0-9_.-]+):\ ([0-9]+)s$ ]]; then
				times+=("${BASH_REMATCH[2]} ${BASH_REMATCH[1]}")
			fi
			echo "$line"
			;;
		*) echo "# $line" ;;
		esac
	done
	if [ ${#times[@]} -gt 0 ]; then
		t=$(printf '%s\n' "${times[@]}" | sort -rn | awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $2, $1 }')
		echo "# ${prefix}script durations: $t"
	fi
}

# ktap_summary: "N passed, N failed, N skipped" from $count.
ktap_summary()
{
	echo "$(grep -c '^pass$' "$count") passed, $(grep -c '^fail$' "$count") failed, $(grep -c '^skip$' "$count") skipped"
}

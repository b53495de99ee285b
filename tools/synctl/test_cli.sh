#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/synctl/test_cli.sh - argument parsing tests of synctl.
#
# Needs no module and sends nothing to the kernel: every case here must be
# refused (or answered, for help) before synctl opens a netlink socket.
# Prints KTAP; exits non-zero when a test fails.
#
#   SYNCTL=path     binary to test (default: ./synctl next to this script)
#   VALGRIND=0      skip the valgrind leak checks even if valgrind exists
set -u

here=$(cd -- "$(dirname -- "$0")" && pwd)
SYNCTL=${SYNCTL:-$here/synctl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/synctl-test.XXXXXX") || exit 1
trap 'rm -rf -- "$tmp"' EXIT

n=0
fails=0
results=()
rc=0

# result STATUS DESC [DIAGNOSTIC]: record one KTAP result (STATUS 0 = ok).
result()
{
	n=$((n + 1))
	if [ "${1:-0}" = 0 ]; then
		results+=("ok $n $2")
		return
	fi
	fails=$((fails + 1))
	results+=("not ok $n $2")
	[ -n "${3:-}" ] && results+=("# $3")
	[ -s "$tmp/err" ] && while IFS= read -r line; do
		results+=("#   stderr: $line")
	done < <(head -n 5 "$tmp/err")
}

skip()
{
	n=$((n + 1))
	results+=("ok $n $1 # SKIP $2")
}

# quote ARGS...: the arguments as a shell would need them, each plus a blank.
quote()
{
	local s

	[ $# -gt 0 ] || return 0
	s=$(printf '%q ' "$@")
	printf '%s' "${s//$tmp/\$TMP}"
}

# run ARGS...: run synctl, stdin from /dev/null unless STDIN names a file.
run()
{
	"$SYNCTL" "$@" <"${STDIN:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect_usage PATTERN ARGS...: exit status 1, empty stdout, and a stderr
# whose first line starts with "synctl: " and which contains PATTERN.
expect_usage()
{
	local pat=$1 why=
	shift

	run "$@"
	if [ "$rc" -ne 1 ]; then
		why="exit status $rc, expected 1"
	elif [ -s "$tmp/out" ]; then
		why="unexpected output on stdout"
	elif ! head -n 1 "$tmp/err" | grep -q '^synctl: '; then
		why="first line of stderr does not start with 'synctl: '"
	elif ! grep -qF -- "$pat" "$tmp/err"; then
		why="stderr lacks '$pat'"
	fi
	result "${why:+1}" "synctl $(quote "$@")fails: $pat" "$why"
}

# expect_help ARGS...: exit status 0, help on stdout, nothing on stderr.
expect_help()
{
	local why=

	run "$@"
	if [ "$rc" -ne 0 ]; then
		why="exit status $rc, expected 0"
	elif ! grep -q '^Usage: synctl' "$tmp/out"; then
		why="no 'Usage: synctl' on stdout"
	elif [ -s "$tmp/err" ]; then
		why="unexpected output on stderr"
	fi
	result "${why:+1}" "synctl $(quote "$@")prints help" "$why"
}

if [ ! -x "$SYNCTL" ]; then
	echo "KTAP version 1"
	echo "1..1"
	echo "not ok 1 synctl binary $SYNCTL exists (run make -C tools/synctl)"
	exit 1
fi

# ---- objects and commands ------------------------------------------------
expect_usage 'missing object'
expect_usage 'unknown object "frob"' frob
expect_usage 'Usage: synctl' frob
expect_usage 'unknown command "frob" for "ports"' ports frob
expect_usage 'Usage: synctl ports' ports frob
expect_usage 'unknown command "frob" for "salt"' salt frob
expect_usage 'unknown command "frob" for "budget"' budget frob
expect_usage 'unknown command "frob" for "stats"' stats frob
expect_usage 'unknown command "frob" for "cookie"' cookie frob
expect_usage 'missing command for "cookie"' cookie
expect_usage 'unknown object "frob"' help frob
expect_usage 'unexpected argument "now"' show now
expect_usage 'unexpected argument "now"' version now
expect_usage 'unexpected argument "x"' -j stats show x
expect_usage 'unexpected argument "x"' stats reset x

nonetns=synctl-test-no-such-netns
[ -e "/run/netns/$nonetns" ] && nonetns=$nonetns-$$

# ---- options ----------------------------------------------------------------
expect_usage 'unknown option "-x"' -x show
expect_usage 'unknown option "--bogus"' --bogus show
expect_usage 'needs an argument' -n
expect_usage 'invalid network namespace name' -n a/b show
expect_usage 'invalid network namespace name' -n .. show
expect_usage 'invalid network namespace name' -n '' show
expect_usage 'does not exist' -n "$nonetns" show

# ---- ports ------------------------------------------------------------------
for p in 0 70000 65536 abc 1x '' -5 +80 ' 80' '80 ' 0x50 1.5 99999999999999999999; do
	expect_usage "invalid port \"$p\"" ports add "$p"
done
expect_usage 'out of range' ports add 0
expect_usage 'out of range' ports add 70000
expect_usage 'not a number' ports add abc
expect_usage 'reversed range' ports add 100-90
expect_usage 'reversed range' ports del 100-90
expect_usage 'reversed range' ports set 100-90 on
for r in 1-2-3 1- 0-10 10-70000 a-b 1-x; do
	expect_usage "invalid port range \"$r\"" ports add "$r"
done
expect_usage 'missing' ports add
expect_usage 'usage: synctl ports add' ports add
expect_usage 'expected "on" or "off"' ports add 443 maybe
expect_usage 'unexpected argument "extra"' ports add 443 off extra
expect_usage 'missing' ports del
expect_usage 'invalid port "0"' ports del 0
expect_usage 'invalid port "alll"' ports del alll
expect_usage 'unexpected argument "443"' ports del all 443
expect_usage 'missing on|off' ports set 443
expect_usage 'expected "on" or "off"' ports set 443 1
expect_usage 'unexpected argument "x"' ports set 443 on x
expect_usage 'unexpected argument "x"' ports show x
expect_usage 'unexpected argument "x"' ports list x

# ---- salt ---------------------------------------------------------------------
key=0123456789abcdeffedcba9876543210
printf '%s\n' "$key" >"$tmp/key.hex"
printf '%s\n' "${key:0:31}" >"$tmp/short.hex"
printf '%s0\n' "$key" >"$tmp/long.hex"
printf '%s\n' "${key:0:31}g" >"$tmp/nonhex.hex"
printf '0123456789abcdefX' >"$tmp/17.raw"
: >"$tmp/empty"
expect_usage 'nothing to set' salt set
expect_usage 'usage: synctl salt set' salt set
expect_usage 'invalid epoch length "0"' salt set --epoch-len 0
expect_usage 'invalid epoch length "3601"' salt set --epoch-len 3601
expect_usage 'invalid epoch length "abc"' salt set --epoch-len abc
expect_usage 'invalid epoch length "-1"' salt set --epoch-len -1
expect_usage 'needs an argument' salt set --key-file
expect_usage 'needs an argument' salt set --epoch-len
expect_usage 'given twice' salt set --epoch-len 10 --epoch-len 20
expect_usage 'given twice' salt set --key-file "$tmp/key.hex" --key-file "$tmp/key.hex"
expect_usage 'unexpected argument "--bogus"' salt set --bogus 1
expect_usage 'cannot open key file' salt set --key-file "$tmp/none"
expect_usage 'bad key' salt set --key-file "$tmp/short.hex"
expect_usage 'bad key' salt set --key-file "$tmp/long.hex"
expect_usage 'bad key' salt set --key-file "$tmp/nonhex.hex"
expect_usage 'bad key' salt set --key-file "$tmp/17.raw"
expect_usage 'bad key' salt set --key-file "$tmp/empty"
STDIN=$tmp/short.hex expect_usage 'bad key in standard input' salt set --key-file -
expect_usage 'unexpected argument "x"' salt rotate x
expect_usage 'unexpected argument "x"' salt show x

# The key never shows, whatever goes wrong around it.
leak=0
for f in key.hex short.hex long.hex nonhex.hex; do
	for args in "--key-file $tmp/$f --epoch-len 0" "--key-file $tmp/$f"; do
		# shellcheck disable=SC2086
		run salt set $args
		grep -qi -e "${key:0:16}" -e "${key:16:16}" "$tmp/out" "$tmp/err" &&
			leak=1
	done
done
result $leak "salt set never prints the key" "key material in the output"

# ---- budget -------------------------------------------------------------------
expect_usage 'missing' budget set
expect_usage 'invalid budget "-1"' budget set -1
expect_usage 'invalid budget "abc"' budget set abc
expect_usage 'invalid budget "4294967296"' budget set 4294967296
expect_usage 'invalid budget "unlimitedx"' budget set unlimitedx
expect_usage 'unexpected argument "2"' budget set 1 2
expect_usage 'unexpected argument "x"' budget show x

# ---- cookie -------------------------------------------------------------------
m="10.0.0.1 1234 10.0.0.2 443"
# shellcheck disable=SC2086
{
expect_usage 'need SADDR SPORT DADDR DPORT ISN' cookie mint
expect_usage 'need SADDR SPORT DADDR DPORT ISN' cookie mint $m
expect_usage 'invalid address "10.0.0.256"' cookie mint 10.0.0.256 1 10.0.0.2 2 3
expect_usage 'invalid address "::g"' cookie mint 10.0.0.1 1 ::g 2 3
expect_usage 'not of one address family' cookie mint 10.0.0.1 1 ::1 2 3
expect_usage 'invalid port "0"' cookie mint 10.0.0.1 0 10.0.0.2 2 3
expect_usage 'invalid port "65536"' cookie mint 10.0.0.1 1 10.0.0.2 65536 3
expect_usage 'invalid ISN "4294967296"' cookie mint $m 4294967296
expect_usage 'invalid ISN "-1"' cookie mint $m -1
expect_usage 'invalid mss "65536"' cookie mint $m 1 mss 65536
expect_usage 'mss needs a value' cookie mint $m 1 mss
expect_usage 'invalid wscale "16"' cookie mint $m 1 wscale 16
expect_usage 'sack given twice' cookie mint $m 1 sack sack
expect_usage 'mss given twice' cookie mint $m 1 mss 1 mss 2
expect_usage 'unexpected argument "tstamp"' cookie mint $m 1 tstamp
}

# ---- help everywhere, generated from the one table --------------------------
expect_help help
expect_help -h
expect_help --help
expect_help -j help
expect_help help ports
expect_help help ports add
run help
objects=$(sed -n 's/^  synctl \([a-z]*\).*/\1/p' "$tmp/out" | sort -u)
[ -n "$objects" ]
result $? "help lists the objects" "no 'synctl OBJECT' lines in help"
for o in $objects; do
	expect_help "$o" help
	run help
	while IFS= read -r v; do
		[ -n "$v" ] || continue		# an object without verbs
		expect_help "$o" "$v" help
	done < <(sed -n "s/^  synctl $o \\([a-z]*\\).*/\\1/p" "$tmp/out")
done
run -V
[ "$rc" -eq 0 ] && grep -q '^synctl ' "$tmp/out"
result $? "synctl -V prints the version"

# ---- valgrind: no leak or error on the usage paths --------------------------
if [ "${VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --show-leak-kinds=all \
			--errors-for-leak-kinds=all --error-exitcode=99 \
			"$SYNCTL" $args </dev/null >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ "$rc" -ne 99 ] && ! grep -q '^==[0-9]*==' "$tmp/err"
		result $? "valgrind clean: synctl ${args//$tmp/\$TMP}" \
			"valgrind reported errors"
	done <<-EOF
		frob
		ports add 100-90
		ports add 443 maybe
		salt set --key-file $tmp/key.hex --epoch-len 0
		salt set --key-file $tmp/short.hex
		cookie mint 10.0.0.1 1 ::1 2 3
		-n $nonetns show
		-j help
	EOF
else
	skip "valgrind checks" "valgrind not installed or VALGRIND=0"
fi

echo "KTAP version 1"
echo "1..$n"
printf '%s\n' "${results[@]}"
echo "# Totals: pass:$((n - fails)) fail:$fails"
[ "$fails" -eq 0 ]

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
# Key files must be private (synctl refuses others): create them so.
umask 077

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

# expect_line PATTERN ARGS...: as expect_usage, and stderr is that one line.
expect_line()
{
	local pat=$1 why=
	shift

	run "$@"
	if [ "$rc" -ne 1 ]; then
		why="exit status $rc, expected 1"
	elif [ -s "$tmp/out" ]; then
		why="unexpected output on stdout"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		why="$(wc -l <"$tmp/err") lines on stderr, expected 1"
	elif [ "$(cat "$tmp/err")" != "$pat" ]; then
		why="stderr is not '$pat'"
	fi
	result "${why:+1}" "synctl $(quote "$@")prints one line: $pat" "$why"
}

# expect_parsed ARGS...: the arguments are accepted, which shows as synctl
# getting as far as entering the (missing) network namespace, and no
# further: nothing is ever sent to a kernel.
expect_parsed()
{
	local why=

	run -n "$nonetns" "$@"
	if [ "$rc" -ne 1 ]; then
		why="exit status $rc, expected 1"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	     ! grep -q "^synctl: network namespace \"$nonetns\" does not exist" "$tmp/err"; then
		why="did not get as far as the network namespace"
	fi
	result "${why:+1}" "synctl $(quote "$@")is accepted" "$why"
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

nonetns=synctl-test-no-such-netns
[ -e "/run/netns/$nonetns" ] && nonetns=$nonetns-$$

# ---- objects and commands ------------------------------------------------
# Unknown names get one line, as ip says it, not the whole help.
expect_usage 'missing object'
expect_line 'synctl: Object "frob" is unknown, try "synctl help".' frob
expect_line 'synctl: Object "frob" is unknown, try "synctl help".' help frob
for o in ports salt budget datapath stats cookie; do
	expect_line "synctl: Command \"frob\" is unknown, try \"synctl $o help\"." $o frob
done
expect_usage 'missing command for "cookie"' cookie
expect_usage 'unexpected argument "now"' show now
expect_usage 'unexpected argument "now"' version now
expect_usage 'unexpected argument "x"' -j stats show x
expect_usage 'unexpected argument "x"' stats reset x
expect_usage 'unexpected argument "x"' monitor x
expect_usage 'unexpected argument "x"' save x
expect_usage 'save prints commands, not JSON' -j save

# Abbreviations: unambiguous prefixes of objects and verbs, as ip takes them.
expect_parsed p a 443
expect_parsed po sh
expect_parsed po l
expect_parsed sh
expect_parsed st
expect_parsed sal r
expect_parsed sav
expect_parsed b se 10
expect_parsed c m 10.0.0.1 1 10.0.0.2 2 3
expect_parsed m
expect_help h
expect_help p h
expect_line 'synctl: Object "s" is ambiguous (show, salt, stats, save), try "synctl help".' s
expect_line 'synctl: Object "sa" is ambiguous (salt, save), try "synctl help".' sa rotate
expect_line 'synctl: Command "s" is ambiguous (set, show), try "synctl ports help".' ports s 443 on
expect_line 'synctl: Command "r" is unknown, try "synctl ports help".' p r

# ---- options ----------------------------------------------------------------
expect_line 'synctl: Option "-x" is unknown, try "synctl help".' -x show
expect_line 'synctl: Option "--bogus" is unknown, try "synctl help".' --bogus show
expect_line 'synctl: Option "-jsonx" is unknown, try "synctl help".' -jsonx show
expect_usage 'needs an argument' -n
expect_usage 'needs an argument' -netns
expect_usage 'needs an argument' -batch
expect_usage 'invalid network namespace name' -n a/b show
expect_usage 'invalid network namespace name' -n .. show
expect_usage 'invalid network namespace name' -n '' show
expect_usage 'does not exist' -n "$nonetns" show
# iproute2's long single-dash forms, and -n never glued to its value
for o in -j -json --json -js -p -pretty --pretty; do
	expect_parsed "$o" show
done
for o in -netns --netns -net; do
	run "$o" "$nonetns" show
	[ "$rc" = 1 ] && grep -q "network namespace \"$nonetns\" does not exist" "$tmp/err"
	result $? "synctl $o NAME targets namespace NAME"
done
expect_line 'synctl: Option "-nfoo" is unknown, try "synctl help".' -nfoo show
expect_line 'synctl: Option "-netnsfoo" is unknown, try "synctl help".' -netnsfoo show
for o in -V -Version --Version -Ver; do
	run "$o"
	[ "$rc" = 0 ] && grep -q '^synctl [0-9a-z.]*$' "$tmp/out" && [ ! -s "$tmp/err" ]
	result $? "synctl $o prints synctl's version"
done
for o in -h -help --help; do
	expect_help "$o"
done
# JSON options also after the object
run -n "$nonetns" stats -json
grep -q 'does not exist' "$tmp/err"
result $? "synctl stats -json is accepted"

# version: synctl's own version even when the module cannot be reached
run -n "$nonetns" version
[ "$rc" = 1 ] && [ "$(cat "$tmp/out")" = "synctl $("$SYNCTL" -V | cut -d' ' -f2)" ] &&
	grep -q 'does not exist' "$tmp/err"
result $? "synctl version prints synctl's version without a module"
run -n "$nonetns" -j version
[ "$rc" = 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert list(d) == ["synctl"]' "$tmp/out" 2>/dev/null
result $? "synctl -j version prints {\"synctl\": ...} without a module"

# ---- ports ------------------------------------------------------------------
for p in 0 70000 65536 abc 1x '' -5 +80 ' 80' '80 ' 0x 0xg 0x10000 0x0 1.5 \
	99999999999999999999 nosuchservice_xsp; do
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
# Numbers are decimal or 0x hex everywhere; ports may be service names.
expect_parsed ports add 0x1bb
expect_parsed ports add 0X1BB-0x1bc
expect_parsed ports add 08080
expect_parsed ports add https
expect_parsed ports add http-https
expect_parsed ports add 80,https,8000-8100
expect_parsed ports add 80,https,8000-8100 off
expect_parsed ports del 80,https
expect_parsed ports set 80,8000-8100 off
expect_usage 'reversed range' ports add https-http
expect_usage 'invalid port "nosuchservice_xsp"' ports add 80,nosuchservice_xsp
expect_usage 'not a number or a TCP service name' ports add 80,nosuchservice_xsp
expect_usage 'invalid port "" in list "80,,443": empty element' ports add 80,,443
expect_usage 'invalid port "" in list "80,": empty element' ports add 80,
expect_usage '"80" and "80-90" overlap' ports add 80-90,80
expect_usage '"http" and "80" overlap' ports add http,80
expect_usage '"400-500" and "https" overlap' ports del https,400-500
expect_usage 'out of range' ports add 80,0
# A range may be of one address family: "family F" after the ports, or -4/-6.
expect_parsed ports add 443 family inet
expect_parsed ports add 443 off family inet6
expect_parsed ports add 443 family inet6 off
expect_parsed -4 ports add 443
expect_parsed -6 ports del 443
expect_parsed ports set 443 on family all
expect_usage 'expected family "inet", "inet6" or "all", not "inet7"' ports add 443 family inet7
expect_usage 'family: missing inet, inet6 or all' ports del 443 family
expect_usage 'missing on|off' ports set 443 family inet
expect_usage 'unexpected argument "on"' ports add 443 off on
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
expect_parsed salt set --key-file "$tmp/key.hex"
expect_parsed salt set --epoch-len 0x3c
# A key file others may read or write is refused, as ssh refuses such keys.
for mode in 644 640 604 620 602 660 666; do
	cp "$tmp/key.hex" "$tmp/key.$mode" && chmod "$mode" "$tmp/key.$mode"
	expect_line "synctl: key file \"$tmp/key.$mode\" is readable or writable by group or others (mode 0$mode): refusing it, chmod 600 it first" \
		salt set --key-file "$tmp/key.$mode"
done
for mode in 600 400 700; do
	cp "$tmp/key.hex" "$tmp/key.$mode" && chmod "$mode" "$tmp/key.$mode"
	expect_parsed salt set --key-file "$tmp/key.$mode"
done
STDIN=$tmp/key.644 expect_parsed salt set --key-file -

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
expect_usage 'invalid budget "0x"' budget set 0x
expect_usage 'invalid budget "0x100000000"' budget set 0x100000000
expect_parsed budget set 0x186a0

# ---- datapath ---------------------------------------------------------------
expect_usage 'missing a setting' datapath set
expect_usage 'unexpected argument "fast"' datapath set fast
expect_usage 'missing "auto" or "copy"' datapath set synack
expect_usage '"fast" is not "auto" or "copy"' datapath set synack fast
expect_usage 'unexpected argument "x"' datapath set synack copy x
expect_usage 'unexpected argument "x"' datapath show x
expect_parsed datapath set synack copy

# ---- stats ------------------------------------------------------------------
expect_usage 'invalid interval "0"' stats -i 0
expect_usage 'invalid interval "x"' stats show -i x
expect_usage 'invalid count "0"' stats -i 1 -c 0
expect_usage '-c COUNT needs -i SEC' stats -c 2
expect_usage 'needs an argument' stats -i
expect_usage 'interval given twice' stats -i 1 -interval 2
expect_usage 'unexpected argument "-x"' stats -x
expect_parsed stats -i 1 -c 2
expect_parsed stats show -interval 0x2 -count 1
expect_parsed stats -i 1 -j

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
expect_line 'synctl: invalid mss "65536": out of range (0-65535)' -n "$nonetns" cookie mint $m 1 mss 65536
expect_line 'synctl: invalid mss "sack": not a number' -n "$nonetns" cookie mint $m 1 mss sack
expect_line 'synctl: invalid wscale "ts": not a number' -n "$nonetns" cookie mint $m 1 wscale ts sack
expect_parsed cookie mint $m 0x10 mss 0x5b4 wscale 0x7 sack ts
expect_parsed cookie mint 10.0.0.1 0x50 10.0.0.2 https 1
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

# Machine-parsable help: one "  synctl OBJECT [VERB] ARGS" line per command,
# its synopsis (up to two blanks) exactly what "synctl OBJECT VERB help" says.
run help
bad=0 ncmd=0
while IFS= read -r line; do
	syn=$(sed 's/^  \(synctl .*\S\)\(  .*\)\{0,1\}$/\1/; s/  .*//' <<<"$line")
	read -r -a w <<<"$syn"
	if [ "${w[1]}" = version ] || [ "${w[1]}" = show ] || [ "${w[1]}" = monitor ] ||
	   [ "${w[1]}" = save ]; then
		leaf=("${w[1]}")
	else
		leaf=("${w[1]}" "${w[2]%%|*}")
	fi
	ncmd=$((ncmd + 1))
	got=$("$SYNCTL" "${leaf[@]}" help | sed -n 's/^Usage: //p')
	[ "$got" = "$syn" ] || { bad=1; echo "# help line '$syn' but '${leaf[*]} help' says '$got'"; }
done < <(grep '^  synctl ' "$tmp/out")
[ "$ncmd" -ge 16 ] && [ "$bad" = 0 ]
result $? "help: one line per command ($ncmd), each as its own help says"
! grep -v -e '^  synctl ' -e '^Usage:' -e '^       synctl ' -e '^OPTIONS' -e '^PORTS' -e '^FAMILY' \
	-e '^             -' -e '^$' -e '^ \{40\}[a-z]' "$tmp/out" | grep -q .
result $? "help: no other kind of line" "unexpected line in help"

# ---- batch ------------------------------------------------------------------
printf '# comment\n\n   \nhelp  # trailing comment\nports add 0\nports add 70000\n' >"$tmp/b1"
run -b "$tmp/b1"
[ "$rc" = 1 ] && grep -q '^Usage: synctl' "$tmp/out" &&
	[ "$(cat "$tmp/err")" = "$tmp/b1:5: invalid port \"0\": out of range (1-65535)" ]
result $? "batch: comments and blanks skipped, FILE:LINE: error, stops at the first" \
	"rc $rc, stderr: $(cat "$tmp/err")"
run -force -batch "$tmp/b1"
[ "$rc" = 1 ] && [ "$(grep -c '^Usage: synctl' "$tmp/out")" = 1 ] &&
	[ "$(sed -n 1p "$tmp/err")" = "$tmp/b1:5: invalid port \"0\": out of range (1-65535)" ] &&
	[ "$(sed -n 2p "$tmp/err")" = "$tmp/b1:6: invalid port \"70000\": out of range (1-65535)" ] &&
	[ "$(wc -l <"$tmp/err")" = 2 ]
result $? "batch: -force goes on after errors" "rc $rc, stderr: $(cat "$tmp/err")"
printf 'help\nhelp ports\n' >"$tmp/b2"
run -b "$tmp/b2"
[ "$rc" = 0 ] && [ "$(grep -c '^Usage: synctl' "$tmp/out")" = 2 ] && [ ! -s "$tmp/err" ]
result $? "batch: every line runs, status 0 when all pass"
printf 'ports add 0\n' | "$SYNCTL" -b - >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && [ "$(cat "$tmp/err")" = '-:1: invalid port "0": out of range (1-65535)' ]
result $? "batch: FILE - is standard input"
printf 'help\nports add "80\n' >"$tmp/b3"
run -b "$tmp/b3"
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$tmp/b3:2: unterminated \" quote" ]
result $? "batch: unterminated quote" "stderr: $(cat "$tmp/err")"
printf -- '-j stats\n' >"$tmp/b4"
run -b "$tmp/b4"
[ "$rc" = 1 ] && grep -q "^$tmp/b4:1: option \"-j\" in a batch line" "$tmp/err"
result $? "batch: options belong on synctl's command line"
printf 'frob\n' >"$tmp/b5"
run -b "$tmp/b5"
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$tmp/b5:1: Object \"frob\" is unknown, try \"synctl help\"." ]
result $? "batch: unknown object named with FILE:LINE"
printf "ports add '80,443' on\nports add 80 \"on\"\n" >"$tmp/b6"
run -n "$nonetns" -b "$tmp/b6"
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$tmp/b6:1: network namespace \"$nonetns\" does not exist (no /run/netns/$nonetns)" ]
result $? "batch: quoted words, -n applies to the lines" "stderr: $(cat "$tmp/err")"
expect_usage 'cannot open batch file' -b "$tmp/none"
expect_usage '-batch takes no command: unexpected "show"' -b "$tmp/b2" show

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
		s
		ports add 100-90
		ports add 443 maybe
		ports add 80,https,8000-8100,80
		-n $nonetns ports add 80,https,8000-8100
		-n $nonetns ports del 80,https
		salt set --key-file $tmp/key.hex --epoch-len 0
		salt set --key-file $tmp/short.hex
		salt set --key-file $tmp/key.644
		cookie mint 10.0.0.1 1 ::1 2 3
		cookie mint 10.0.0.1 1 10.0.0.2 2 3 mss sack
		-n $nonetns show
		-n $nonetns version
		-n $nonetns stats -i 1 -c 1
		-json help
		-b $tmp/b1
		-force -b $tmp/b1
		-b $tmp/b3
		-n $nonetns -b $tmp/b6
	EOF
else
	skip "valgrind checks" "valgrind not installed or VALGRIND=0"
fi

echo "KTAP version 1"
echo "1..$n"
printf '%s\n' "${results[@]}"
echo "# Totals: pass:$((n - fails)) fail:$fails"
[ "$fails" -eq 0 ]

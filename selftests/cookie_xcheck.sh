#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module and userspace share one cookie: cookies minted by the module
# (synctl cookie mint) are checked by selftests/cookie/cookie_tool, built
# from the same kmod/xsp_cookie.c, with the same key.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_module_mints_userspace_checks
"

TOOL=$XSP_SELFTESTS/cookie_tool
KEY=000102030405060708090a0b0c0d0e0f

mint_check()
{
	local ns=$1 family=$2 sa=$3 da=$4 opts=$5 want=$6
	local out cookie tsval now res isn=$((RANDOM * 65536 + RANDOM))

	# shellcheck disable=SC2086
	out=$(synctl -n "$ns" -j cookie mint "$sa" 40000 "$da" 443 $isn $opts) || return 1
	now=$(date +%s%3N)	# cookie_tool takes milliseconds
	cookie=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cookie"])' <<<"$out")
	tsval=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("tsval", ""))' <<<"$out")
	res=$("$TOOL" check $KEY 60 "$now" "$sa" 40000 "$da" 443 $isn "$cookie" ${tsval:+tsecr $tsval})
	if [ "$res" != "$want" ]; then
		echo "# $family [$opts]: module cookie $cookie -> userspace '$res', want '$want'"
		return 1
	fi
	# Any other key must reject it.
	res=$("$TOOL" check 0f0e0d0c0b0a09080706050403020100 60 "$now" "$sa" 40000 "$da" 443 $isn "$cookie" ${tsval:+tsecr $tsval})
	[ "$res" = invalid ]
}

test_module_mints_userspace_checks()
{
	local ns

	[ -x "$TOOL" ] || { log_skip "module mints, userspace checks" "cookie_tool not built"; return; }
	xsp_load
	setup_ns ns
	echo $KEY | synctl -n "$ns" salt set --key-file -
	check_err $? "salt set from stdin failed"
	mint_check "$ns" v4 10.0.0.1 10.0.0.2 "" "valid mss 536 wscale 15 sack 0 ecn 0 ts 0"
	check_err $? "IPv4, no options"
	mint_check "$ns" v4 192.0.2.7 198.51.100.9 "mss 1460 wscale 7 sack ecn ts" \
		"valid mss 1460 wscale 7 sack 1 ecn 1 ts 1"
	check_err $? "IPv4, all options"
	mint_check "$ns" v4 10.1.2.3 10.3.2.1 "mss 9000 wscale 14 sack" \
		"valid mss 8960 wscale 14 sack 1 ecn 0 ts 0"
	check_err $? "IPv4, jumbo MSS"
	mint_check "$ns" v6 2001:db8::1 2001:db8::2 "mss 1440 wscale 0 ts" \
		"valid mss 1440 wscale 0 sack 0 ecn 0 ts 1"
	check_err $? "IPv6"
	log_test "cookies minted by the module validate in userspace (same source, same key)"
}

require_root
require_cmd synctl python3
run_tests

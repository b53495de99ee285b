#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A server that answers for a whole prefix through a local route, no
# address on any device (AnyIP: anycast and CDN nodes, transparent
# caches):
#
#   client 10.0.1.1 --- 10.0.1.2 server, ip route add local 10.0.5.0/24 dev lo
#          fd00:1::1      fd00:1::2    ip route add local fd00:5::/64 dev lo
#
# Every test runs over IPv4 and again over IPv6.
#
# Verdicts:
# - a wildcard listener: protected for every address of the prefix, as for
#   an address on a device. The cookie SYN-ACK leaves from the address the
#   SYN went to; a connection opened before `ports add` keeps working.
# - a listener bound to one address of the prefix (ip_nonlocal_bind, as
#   IPv6 needs for an address no device has): protected for that address; a
#   SYN to another address of the prefix has no listener, and the client
#   gets the stack's reset, as without the module (syn_no_listener).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_anyip_wildcard
	test_anyip_bound
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

# ANY: the prefix's addresses of the family being run, as ${ANY}N.
family_vars()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		ANY=fd00:5::
		LISTEN_OPTS=ipv6only=1,
	else
		ANY=10.0.5.
		LISTEN_OPTS=
	fi
}

# any_host N: ${ANY}N as socat wants it (IPv6 in brackets).
any_host()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		echo "[$ANY$1]"
	else
		echo "$ANY$1"
	fi
}

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	ip -n "$SERVER" route add local 10.0.5.0/24 dev lo || return 1
	ip -n "$SERVER" -6 route add local fd00:5::/64 dev lo || return 1
	ip -n "$CLIENT" route add 10.0.5.0/24 via $SERVER_IP4 || return 1
	ip -n "$CLIENT" -6 route add fd00:5::/64 via $SERVER_IP6 || return 1
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 "${ANY}7"
}

# echo_to N...: one echo to port 443 of each address ${ANY}N; how many of
# them came back.
echo_to()
{
	local a ok=0

	for a in "$@"; do
		tcp_echo "$CLIENT" "$(any_host "$a")" 443 "to-$a" && ok=$((ok + 1))
	done
	echo "$ok of $# echoes to addresses of the local route came back"
	[ "$ok" = $# ]
}

test_anyip_wildcard()
{
	local msg

	setup
	check_err $? "topology"
	bg "$SERVER" socat -T300 -t10 $SOCAT_LISTEN:443,${LISTEN_OPTS}reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	long_conn_open "$CLIENT" "$(any_host 3)" 443
	long_conn_echo before
	check_err $? "no echo before ports add"
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	long_conn_echo after
	check_err $? "the connection opened before ports add died"
	msg=$(echo_to 7 99 200 7 254)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "$msg"
	log_test "local route (AnyIP), wildcard listener: protected for the whole prefix"
}

test_anyip_bound()
{
	local msg out

	setup
	check_err $? "topology"
	ip netns exec "$SERVER" sysctl -qw net.ipv4.ip_nonlocal_bind=1 \
		net.ipv6.ip_nonlocal_bind=1
	bg "$SERVER" socat -T300 -t10 \
		$SOCAT_LISTEN:443,bind="$(any_host 9)",reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	msg=$(echo_to 9 9 9)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 3 "${PROTECTED[@]}")
	check_err $? "$msg"
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s1"
	out=$(echo x | ip netns exec "$CLIENT" socat -T10 - \
		"TCP:$(any_host 10):443,connect-timeout=10" 2>&1)
	grep -q "Connection refused" <<<"$out"
	check_err $? "to an address of the prefix with no listener: not refused: $out"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s1" 1 syn_recv syn_no_listener)
	check_err $? "$msg"
	log_test "local route (AnyIP), listener bound to one address: protected there, refused elsewhere"
}

require_root
require_cmd synctl socat
run_tests

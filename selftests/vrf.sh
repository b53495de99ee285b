#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A server whose protected port lives in a VRF.
#
#   client 10.0.1.1 --- 10.0.1.2 veth-s [vrf-blue, table 10] server
#          fd00:1::1       fd00:1::2
#
# Every test runs over IPv4 and again over IPv6.
#
# The server's main table has a decoy route to the client's subnet through
# a dummy device: a cookie SYN-ACK routed with the main table instead of
# the VRF's would vanish there, and the client would see no SYN-ACK.
#
# Verdicts:
# - Listener bound to the VRF (SO_BINDTODEVICE, as `ip vrf exec` does):
#   protected. The SYN-ACK is routed in the VRF, out of veth-s. Also with a
#   stateful ruleset and strict window tracking on the server (conntrack
#   sees VRF traffic on the slave and on the VRF device) -- the intended
#   verdict; test_vrf_stateful fails on 6.1 and 6.12 until the datapath
#   consumes the stack's SYN-ACK after conntrack has seen it (see there).
# - Listener in the default VRF with net.ipv4.tcp_l3mdev_accept=1 (the
#   stack hands it VRF traffic): protected, the same way.
# - Listener in the default VRF with tcp_l3mdev_accept=0: the stack has no
#   listener for the VRF's traffic and resets the client; the module
#   steps aside (syn_no_listener) and the client gets the same reset as
#   without the module.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_vrf_bound_listener
	test_vrf_stateful
	test_l3mdev_accept
	test_default_vrf_listener
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

setup()
{
	xsp_load || return 1
	setup_ns CLIENT SERVER || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-s \
		netns "$SERVER" || return 1
	ip -n "$SERVER" link add vrf-blue type vrf table 10 || return 1
	ip -n "$SERVER" link set vrf-blue up
	ip -n "$SERVER" link set veth-s master vrf-blue || return 1
	ip -n "$CLIENT" addr add $CLIENT_IP4/24 dev veth-c
	ip -n "$SERVER" addr add $SERVER_IP4/24 dev veth-s
	ip -n "$CLIENT" addr add $CLIENT_IP6/64 dev veth-c nodad
	ip -n "$SERVER" addr add $SERVER_IP6/64 dev veth-s nodad
	ip -n "$CLIENT" link set veth-c up
	ip -n "$SERVER" link set veth-s up
	ip netns exec "$CLIENT" ethtool -K veth-c tx off >/dev/null 2>&1
	ip netns exec "$SERVER" ethtool -K veth-s tx off >/dev/null 2>&1
	# The decoy: the main table reaches the client's subnet elsewhere.
	ip -n "$SERVER" link add dummy0 type dummy
	ip -n "$SERVER" link set dummy0 up
	ip -n "$SERVER" addr add 10.9.9.1/24 dev dummy0
	ip -n "$SERVER" route add 10.0.1.0/24 dev dummy0
	ip -n "$SERVER" route add fd00:1::/64 dev dummy0
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_l3mdev_accept="$1"
	[ "${2:-}" = stateful ] && { stateful || return 1; }
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $SERVER_IP
}

# stateful: a stateful ruleset with strict window tracking on the server.
stateful()
{
	modprobe nf_conntrack || return 1
	ip netns exec "$SERVER" nft -f - <<'NFT' || return 1
table inet xsp_fw {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iif lo accept
		icmp type echo-request accept
		meta l4proto ipv6-icmp accept
		tcp dport 443 ct state new accept
	}
	chain output {
		type filter hook output priority 0; policy accept;
		ct state invalid counter drop
	}
}
NFT
	ip netns exec "$SERVER" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=0
}

# cap_start: capture SYN-ACKs and resets on the client's link; cap_stop
# ends it; cap_count REGEX counts matching packets.
cap_start()
{
	xsp_cap_start "$CLIENT" veth-c \
		"tcp port 443 and $(tcp_flags_is '& (tcp-syn|tcp-rst) != 0')"
}

cap_stop()
{
	xsp_cap_stop >/dev/null
}

cap_count()
{
	grep -c -E "$1" "$XSP_TMP/cap.txt"
}

# protected_case DESC LISTENER_OPTS L3MDEV_ACCEPT [stateful]: a connection
# opened before ports add survives it, 5 after it are answered with
# cookies that reach the client through the VRF.
protected_case()
{
	local msg synacks answered invalid

	setup "$3" "${4:-}" || { check_err 1 "setup"; log_test "$1"; return; }
	bg "$SERVER" socat -T300 -t10 $SOCAT_LISTEN:443,reuseaddr,fork$2 EXEC:cat
	wait_listen "$SERVER" 443
	long_conn_open "$CLIENT" "$SERVER_HOST" 443
	long_conn_echo before
	check_err $? "no echo before ports add"
	synctl -n "$SERVER" ports add 443 && xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	check_err $? "ports add"
	long_conn_echo after
	check_err $? "the connection opened before ports add died"
	cap_start
	check_err $? "tcpdump did not start"
	msg=$(tcp_echoes "$CLIENT" "$SERVER_HOST" 443 5)
	check_err $? "$msg"
	cap_stop
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "$msg"
	synacks=$(cap_count "$SERVER_IP\.443 > .*Flags \[S\.")
	answered=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	log_info "client saw $synacks SYN-ACKs, module answered $answered SYNs"
	if [ "${4:-}" = stateful ]; then
		invalid=$(ip netns exec "$SERVER" nft list ruleset |
			grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}')
		[ "$invalid" = 0 ]
		check_err $? "$invalid packets were invalid for the server's conntrack (and dropped); the client saw $synacks SYN-ACKs for $answered cookies"
	fi
	[ "$synacks" -ge 5 ] && [ "$synacks" = "$answered" ]
	check_err $? "client saw $synacks SYN-ACKs for $answered cookie SYN-ACKs sent"
	[ "$(cap_count 'Flags \[R')" = 0 ]
	check_err $? "resets on the wire"
	log_test "$1"
}

test_vrf_bound_listener()
{
	protected_case "listener bound to the VRF: protected, SYN-ACKs routed in the VRF" \
		",so-bindtodevice=vrf-blue" 0
}

# With conntrack, the VRF driver sends a locally generated packet through
# LOCAL_OUT twice: first with the VRF device as output and marked
# untracked (so conntrack skips it), then with the slave device, tracked.
# The stack's SYN-ACK for a replayed SYN must be consumed only after
# conntrack has seen it, or conntrack's entry stays in SYN_SENT, the
# client's ACK and data are invalid, and the connection waits for the
# request socket's SYN-ACK retransmission (a second SYN-ACK on the wire).
test_vrf_stateful()
{
	protected_case "VRF-bound listener behind a stateful ruleset, be_liberal=0: protected" \
		",so-bindtodevice=vrf-blue" 0 stateful
}

test_l3mdev_accept()
{
	protected_case "default-VRF listener, tcp_l3mdev_accept=1: protected in the VRF" "" 1
}

# refused N: N connection attempts, each must be refused (a reset).
refused()
{
	local i

	for ((i = 0; i < $1; i++)); do
		ip netns exec "$CLIENT" socat -T5 - "TCP:$SERVER_HOST:443,connect-timeout=20" \
			</dev/null 2>&1 | grep -q 'Connection refused' || return 1
	done
}

# The stack does not hand VRF traffic to a default-VRF listener: the
# client is reset, with the port protected or not.
test_default_vrf_listener()
{
	local msg rst0 rst1 syn0

	setup 0 || { check_err 1 "setup"; log_test "default-VRF listener, l3mdev_accept=0"; return; }
	bg "$SERVER" socat -T300 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	cap_start
	refused 3
	check_err $? "unprotected: connection not refused"
	cap_stop
	rst0=$(cap_count "$SERVER_IP\.443 > .*Flags \[R")
	syn0=$(cap_count 'Flags \[S\.')
	synctl -n "$SERVER" ports add 443 && xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	check_err $? "ports add"
	cap_start
	refused 3
	check_err $? "protected: connection not refused"
	cap_stop
	rst1=$(cap_count "$SERVER_IP\.443 > .*Flags \[R")
	log_info "resets to the client: $rst0 unprotected, $rst1 protected"
	[ "$rst0" = 3 ] && [ "$rst1" = 3 ]
	check_err $? "resets: $rst0 unprotected, $rst1 protected, not 3 and 3"
	[ "$syn0" = 0 ] && [ "$(cap_count 'Flags \[S\.')" = 0 ]
	check_err $? "a SYN-ACK was sent for a port the stack refuses"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 3 syn_recv syn_no_listener)
	check_err $? "$msg"
	log_test "default-VRF listener, tcp_l3mdev_accept=0: reset as without the module (syn_no_listener)"
}

require_root
require_cmd synctl socat tcpdump ethtool python3
run_tests

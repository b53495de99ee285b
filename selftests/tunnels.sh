#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Servers whose clients come through a tunnel.
#
#   client 10.0.1.1 --- veth (underlay) --- 10.0.1.2 server
#     wg0  10.0.9.1, fd00:9::1     WireGuard     wg0  10.0.9.2, fd00:9::2
#     lo   198.51.100.1,           GRE, one way  lo   192.0.2.10,
#          2001:db8:51::1          ---------->        2001:db8:10::10
#     gre-c 172.16.0.1/30                        gre-s 172.16.0.2/30
#
# Every test runs over IPv4 and again over IPv6 (both tunnels over the
# IPv4 underlay).
#
# Verdicts:
# - WireGuard: protected on the server's tunnel address; the cookie
#   SYN-ACKs go back through the tunnel (nothing of port 443 crosses the
#   underlay in the clear, the tunnel's counters move); a connection
#   opened before `ports add` keeps working.
# - GRE delivery with a direct return path (a scrubbing service tunnels the
#   clean traffic in, the server answers over its own uplink) with loose
#   reverse-path filtering, as such services ask for: protected; the cookie
#   SYN-ACKs take the direct path, none goes into the tunnel.
# - The same with strict reverse-path filtering (IPv4): the stack drops the
#   SYNs before LOCAL_IN, so the module never sees one: no SYN-ACK, no
#   counter moves, as without it.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_wireguard
	test_gre_direct_return
	test_gre_strict_rpf
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

family_vars()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		WG_HOST="[fd00:9::2]"
		PUB_HOST="[2001:db8:10::10]"
		PUB_CLIENT=2001:db8:51::1
		LISTEN_OPTS=ipv6only=1,
	else
		WG_HOST=10.0.9.2
		PUB_HOST=192.0.2.10
		PUB_CLIENT=198.51.100.1
		LISTEN_OPTS=
	fi
}

# echo_server: a forking echo server on port 443 of every address.
echo_server()
{
	bg "$SERVER" socat -T300 -t10 $SOCAT_LISTEN:443,${LISTEN_OPTS}reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
}

setup_wg()
{
	local ckey skey

	xsp_load || return 1
	setup_pair || return 1
	ckey=$(wg genkey) && skey=$(wg genkey) || return 1
	ip -n "$CLIENT" link add wg0 type wireguard || return 1
	ip -n "$SERVER" link add wg0 type wireguard || return 1
	ip netns exec "$CLIENT" wg set wg0 private-key <(echo "$ckey") \
		peer "$(wg pubkey <<<"$skey")" endpoint $SERVER_IP4:51820 \
		allowed-ips 10.0.9.0/24,fd00:9::/64 || return 1
	ip netns exec "$SERVER" wg set wg0 private-key <(echo "$skey") \
		listen-port 51820 peer "$(wg pubkey <<<"$ckey")" \
		allowed-ips 10.0.9.0/24,fd00:9::/64 || return 1
	ip -n "$CLIENT" addr add 10.0.9.1/24 dev wg0
	ip -n "$SERVER" addr add 10.0.9.2/24 dev wg0
	ip -n "$CLIENT" addr add fd00:9::1/64 dev wg0 nodad
	ip -n "$SERVER" addr add fd00:9::2/64 dev wg0 nodad
	ip -n "$CLIENT" link set wg0 up
	ip -n "$SERVER" link set wg0 up
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 10.0.9.2 &&
		wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 fd00:9::2
}

# wg_rx: bytes the client's WireGuard interface received from its peer.
wg_rx()
{
	ip netns exec "$CLIENT" wg show wg0 transfer | awk '{ print $2 }'
}

test_wireguard()
{
	local msg clear rx

	require_cmd wg tcpdump
	setup_wg
	check_err $? "topology"
	echo_server
	long_conn_open "$CLIENT" "$WG_HOST" 443
	long_conn_echo before
	check_err $? "no echo through the tunnel before ports add"
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	long_conn_echo after
	check_err $? "the connection opened before ports add died"
	xsp_cap_start "$CLIENT" veth-c "tcp port 443"
	rx=$(wg_rx)
	msg=$(tcp_echoes "$CLIENT" "$WG_HOST" 443 5)
	check_err $? "$msg"
	clear=$(xsp_cap_stop)
	[ "$clear" = 0 ] && [ "$(wg_rx)" -gt "$rx" ]
	check_err $? "$clear packets of port 443 crossed the underlay in the clear, tunnel rx $rx -> $(wg_rx) bytes"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "$msg"
	log_test "WireGuard: protected on the tunnel address, SYN-ACKs through the tunnel"
}

# setup_gre RP_FILTER: clients' traffic to the server's public address
# tunnelled in over GRE, the server's replies routed straight back over the
# underlay; RP_FILTER on the server's GRE device and "all".
setup_gre()
{
	xsp_load || return 1
	setup_pair || return 1
	ip -n "$CLIENT" link add gre-c type gre local $CLIENT_IP4 \
		remote $SERVER_IP4 || return 1
	ip -n "$SERVER" link add gre-s type gre local $SERVER_IP4 \
		remote $CLIENT_IP4 || return 1
	# the tunnel's own link addresses: loose reverse-path filtering
	# refuses whatever arrives on a device without one
	ip -n "$CLIENT" addr add 172.16.0.1/30 dev gre-c
	ip -n "$SERVER" addr add 172.16.0.2/30 dev gre-s
	ip -n "$CLIENT" link set gre-c up
	ip -n "$SERVER" link set gre-s up
	ip -n "$CLIENT" link set lo up
	ip -n "$SERVER" link set lo up
	ip -n "$CLIENT" addr add 198.51.100.1/32 dev lo
	ip -n "$CLIENT" addr add 2001:db8:51::1/128 dev lo nodad
	ip -n "$SERVER" addr add 192.0.2.10/32 dev lo
	ip -n "$SERVER" addr add 2001:db8:10::10/128 dev lo nodad
	ip -n "$CLIENT" route add 192.0.2.10/32 dev gre-c src 198.51.100.1 ||
		return 1
	ip -n "$CLIENT" -6 route add 2001:db8:10::10/128 dev gre-c \
		src 2001:db8:51::1 || return 1
	ip -n "$SERVER" route add 198.51.100.1/32 via $CLIENT_IP4 dev veth-s ||
		return 1
	ip -n "$SERVER" -6 route add 2001:db8:51::1/128 via $CLIENT_IP6 \
		dev veth-s || return 1
	# The client sees the replies come in where it does not send to.
	ip netns exec "$CLIENT" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth-c.rp_filter=0 || return 1
	ip netns exec "$SERVER" sysctl -qw net.ipv4.conf.all.rp_filter="$1" \
		net.ipv4.conf.gre-s.rp_filter="$1" || return 1
	[ "$1" = 1 ] && return 0
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 192.0.2.10 &&
		wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 2001:db8:10::10
}

test_gre_direct_return()
{
	local msg syn_acks tunnelled

	require_cmd tcpdump
	setup_gre 2
	check_err $? "topology"
	echo_server
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	xsp_cap_start "$CLIENT" veth-c \
		"tcp src port 443 and $(tcp_flags_is '& (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)')"
	bg "$CLIENT" tcpdump -i gre-c -nn -U -w "$XSP_TMP/gre.pcap" \
		"tcp src port 443" 2>"$XSP_TMP/gre.err"
	wait_for grep -q listening "$XSP_TMP/gre.err"
	msg=$(tcp_echoes "$CLIENT" "$PUB_HOST" 443 5)
	check_err $? "$msg"
	syn_acks=$(xsp_cap_stop)
	tunnelled=$(tcpdump -r "$XSP_TMP/gre.pcap" -nn 2>/dev/null | wc -l)
	[ "$syn_acks" = 5 ] && [ "$tunnelled" = 0 ]
	check_err $? "$syn_acks SYN-ACKs on the direct path (not 5), $tunnelled segments from the server in the tunnel (not 0)"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "$msg"
	log_test "GRE in, direct path out (loose rp_filter): protected, SYN-ACKs on the direct path"
}

test_gre_strict_rpf()
{
	local msg syn_acks out

	[ "$XSP_FAMILY" = 6 ] && return	# IPv6 has no rp_filter
	require_cmd tcpdump
	setup_gre 1
	check_err $? "topology"
	echo_server
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	xsp_cap_start "$CLIENT" veth-c "tcp src port 443"
	out=$(echo x | ip netns exec "$CLIENT" socat -T5 - \
		"TCP:$PUB_HOST:443,connect-timeout=5" 2>&1)
	check_fail $? "connected through a tunnel strict rp_filter refuses: $out"
	syn_acks=$(xsp_cap_stop)
	[ "$syn_acks" = 0 ]
	check_err $? "$syn_acks segments from port 443 came back"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 0)
	check_err $? "$msg"
	log_test "GRE in, direct path out, strict rp_filter: the stack drops the SYNs, nothing answered or counted"
}

require_root
require_cmd synctl socat
run_tests

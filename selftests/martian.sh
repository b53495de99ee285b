#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sources and destinations the stack never answers: SYNs to the protected
# port from 255.255.255.255, the subnet broadcast, 224.0.0.1, 0.0.0.0,
# 127.0.0.1 and an address the server routes via another interface
# (dummy0, so it fails strict reverse-path filtering), and SYNs to the
# subnet broadcast (L2 broadcast and the server's own MAC), to
# 255.255.255.255 and to 224.0.0.1. With rp_filter=1 and rp_filter=0 (all
# and veth-s), each probe with the port unprotected (what the stack does)
# and protected; the cases and their KTAP lines are in martian.py.
#
# Over IPv6: SYNs from ff02::1, ::, ::1, the v4-mapped ::ffff:10.0.1.1 and
# an address the server routes via dummy0 (fd00:9::5); SYNs to ff02::1
# (all-nodes: its multicast MAC and the server's own), to the
# subnet-router anycast fd00:1:: (the server forwards IPv6, so it has that
# address) and, from the client's link-local address, to the server's.
# IPv6 has no rp_filter: each probe runs with nft's usual strict check,
# `fib saddr . iif oif missing drop` in PREROUTING, and without it. There
# martian.py also asserts which module counters the protected run moves.
#
# Verdict: stepped aside from all of them. The module answers SYNs in
# LOCAL_IN, so a SYN the stack's input route rejects never reaches it
# (martian and reverse-path-failing sources: no counter moves); a SYN to a
# broadcast or multicast destination reaches LOCAL_IN and is left to TCP,
# which drops it (syn_not_local); a SYN whose SYN-ACK would go to a
# broadcast address is left to the stack (syn_no_route). Where the stack
# itself answers, so does the protected port, the same way.
#
# What the stack does (6.1.0-56 and 6.12.117, measured by this test):
#   source 255.255.255.255, 224.0.0.1, 0.0.0.0, 127.0.0.1: dropped as
#     martian in ip_route_input_slow(), any rp_filter: no SYN-ACK.
#   source = the subnet broadcast: rp_filter=1 drops it
#     (fib_validate_source() finds a broadcast route back); rp_filter=0
#     skips that check (only local addresses are refused) and TCP answers
#     with a SYN-ACK to 10.0.1.255, an Ethernet broadcast. Protected, the
#     module refuses the broadcast route back (syn_no_route) and the stack
#     sends that same SYN-ACK itself.
#   source routed via another interface: rp_filter=1 drops it;
#     rp_filter=0 accepts it and TCP answers via that interface (dummy0);
#     protected, the module answers the same way (syn_answered).
#   destination subnet broadcast / 255.255.255.255 / 224.0.0.1: delivered
#     locally and dropped by TCP (tcp_v4_rcv() for frames not to our MAC,
#     tcp_v4_conn_request() for broadcast/multicast routes): no SYN-ACK;
#     protected: syn_not_local.
#
# What the stack does over IPv6 (6.1.0-56 and 6.12.117, measured by this
# test; with the fib rule or without unless said):
#   source ff02::1, ::1: dropped by ip6_rcv_core(): no SYN-ACK, no counter.
#   source ::: the fib rule drops it (no route to it; no counter); without
#     it TCP finds no route back (the server has no default route): no
#     SYN-ACK; protected: syn_no_route, the stack then fails the same way.
#   source ::ffff:10.0.1.1: the fib rule drops it (no counter); without
#     it, delivered and refused by tcp_v6_conn_request(): no SYN-ACK;
#     protected: syn_not_local.
#   source routed via dummy0: the fib rule drops it (no counter); without
#     it TCP answers via dummy0; protected, the module answers the same
#     way (syn_answered).
#   destination ff02::1, multicast MAC: tcp_v6_rcv() drops frames not to
#     our MAC; server's MAC: tcp_v6_conn_request() refuses a non-unicast
#     destination: no SYN-ACK; protected: syn_not_local.
#   destination fd00:1:: (subnet-router anycast): delivered locally,
#     refused by tcp_v6_conn_request() (ipv6_unicast_destination()): no
#     SYN-ACK; protected: syn_not_local.
#   link-local source to the server's link-local address: TCP answers via
#     veth-s; protected, the module answers it the same way (its SYN-ACK
#     routed out of the interface the SYN came in on): syn_answered.
source "$(dirname "$0")/lib.sh"

require_root
require_cmd synctl socat nft python3 tcpdump
python3 -c 'import scapy' 2>/dev/null || { echo "# SKIP: no scapy"; exit $KSFT_SKIP; }

xsp_load || exit $KSFT_FAIL
setup_pair || { echo "not ok 1 - $XSP_TEST_NAME: topology"; exit 1; }
# Another interface of the server, with its own subnet.
ip -n "$SERVER" link add dummy0 type dummy &&
	ip -n "$SERVER" addr add 10.0.9.1/24 dev dummy0 &&
	ip -n "$SERVER" link set dummy0 up ||
	{ echo "not ok 1 - $XSP_TEST_NAME: dummy0"; exit 1; }
# The client kernel must not reset the SYN-ACKs of the control probe.
client_drops_rsts "$CLIENT"
bg "$SERVER" socat -T60 -t10 TCP-LISTEN:443,reuseaddr,fork,backlog=128 EXEC:cat
wait_listen "$SERVER" 443

# The families to run: both, or those of XSP_FAMILIES.
fams=
for f in 4 6; do
	[[ " ${XSP_FAMILIES:-$f} " == *" $f "* ]] && fams+=" $f"
done
if [[ "$fams" == *6* ]]; then
	ip -n "$SERVER" addr add fd00:9::1/64 dev dummy0 nodad ||
		{ echo "not ok 1 - $XSP_TEST_NAME: dummy0 (IPv6)"; exit 1; }
	# A router has the subnet-router anycast address (fd00:1::).
	ip netns exec "$SERVER" sysctl -qw net.ipv6.conf.all.forwarding=1
	bg "$SERVER" socat -T60 -t10 TCP6-LISTEN:443,ipv6only=1,reuseaddr,fork,backlog=128 EXEC:cat
	# Both link-local addresses out of duplicate address detection.
	wait_for sh -c "! ip -n '$SERVER' -6 addr show dev veth-s | grep -q tentative && \
		! ip -n '$CLIENT' -6 addr show dev veth-c | grep -q tentative" &&
		wait_for sh -c "ip netns exec '$SERVER' ss -Htln 'sport = :443' | grep -q '\[::\]'" ||
		{ echo "not ok 1 - $XSP_TEST_NAME: IPv6 setup"; exit 1; }
fi
link_local()
{
	ip -n "$1" -6 -br addr show dev "$2" scope link | awk '{ sub("/.*", "", $3); print $3 }'
}

SERVER=$SERVER SERVER_IP=$SERVER_IP4 CLIENT_IP=$CLIENT_IP4 XSP_TMP=$XSP_TMP \
	SUBNET_BCAST=10.0.1.255 RPF_SRC=10.0.9.5 \
	SERVER_IP6=$SERVER_IP6 CLIENT_IP6=$CLIENT_IP6 RPF_SRC6=fd00:9::5 \
	ANYCAST6=fd00:1:: MARTIAN_FAMILIES="$fams" \
	SERVER_LL=$(link_local "$SERVER" veth-s) CLIENT_LL=$(link_local "$CLIENT" veth-c) \
	SERVER_MAC=$(ip -n "$SERVER" link show veth-s | awk '/link\/ether/ { print $2 }') \
	PYTHONPATH=$XSP_SELFTESTS XSP_TEST_NAME=$XSP_TEST_NAME \
	ip netns exec "$CLIENT" python3 "$XSP_SELFTESTS/martian.py"
rc=$?
echo "# server counters: $(synctl -n "$SERVER" -j stats)"
exit $rc

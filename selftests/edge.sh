#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Corners of the handshake the module must get as right as the stack:
#  - a first ACK that arrives in IP fragments (with and without conntrack's
#    defragmentation in front of the module) still completes the handshake;
#  - the SYN-ACK is routed as the stack routes the listener's: a listener
#    with SO_MARK whose replies only a fwmark rule can route is answered;
#  - a SYN whose SYN-ACK has no route is left to the stack (which drops it
#    and counts IpOutNoRoutes), not eaten;
#  - the window scale the SYN-ACK announced is what the server socket uses,
#    even when net.ipv4.tcp_rmem changes between the SYN and the ACK, and a
#    change reaches new SYN-ACKs within two epochs.
# Over IPv4 and IPv6 (an IPv6 first ACK behind a fragment header: the SYN
# rebuilt from its first fragment is an atomic fragment).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_frag_ack
	test_frag_ack_conntrack
	test_policy_routed_reply
	test_unroutable_reply
	test_wscale_race
"

scapy_client()
{
	SERVER=$SERVER SERVER_IP=$SERVER_IP PYTHONPATH=$XSP_SELFTESTS \
		ip netns exec "$CLIENT" python3 "$XSP_SELFTESTS/edge.py" "$@"
}

# A listener on PORT that keeps its connections; the client kernel must not
# reset the handshakes scapy drives.
setup_scapy()
{
	xsp_load || return 1
	setup_pair || return 1
	client_drops_rsts "$CLIENT" || return 1
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:$1,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" "$1" || return 1
	synctl -n "$SERVER" ports add "$1" || return 1
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
}

frag_case()
{
	local out

	out=$(scapy_client frag-ack 443)
	check_err $? "handshake with a fragmented first ACK failed: $out"
	log_info "$out"
	[ "$(xsp_stat_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" = 1 ]
	check_err $? "the module did not complete the handshake"
}

test_frag_ack()
{
	setup_scapy 443 || { check_err 1 "setup"; log_test "fragmented ACK"; return; }
	frag_case
	log_test "first ACK in IP fragments, no conntrack: handshake completes"
}

test_frag_ack_conntrack()
{
	setup_scapy 443 || { check_err 1 "setup"; log_test "fragmented ACK, conntrack"; return; }
	# Any conntrack rule starts conntrack and its defragmentation here.
	ip netns exec "$SERVER" nft -f - <<'NFT'
table inet xsp_ct {
	chain in {
		type filter hook input priority 0; policy accept;
		ct state invalid counter
	}
}
NFT
	check_err $? "nft failed"
	frag_case
	log_test "first ACK in IP fragments, conntrack defragments first: handshake completes"
}

# The client lives in 10.0.2.0/24 (fd00:2::/64), which the server only
# reaches with fwmark 7 (table 100); the listener marks its sockets with
# SO_MARK 7, so the stack's own SYN-ACKs (ir_mark) find the way and so must
# ours.
test_policy_routed_reply()
{
	local got moved ip=ip

	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "policy route"; return; }
	if [ "$XSP_FAMILY" = 6 ]; then
		local cnet=fd00:2::1/64 snet=fd00:9::/64 addr=fd00:9::2 host="[fd00:9::2]"
		local plen=64 rnet=fd00:2::/64 nodad=nodad
		ip="ip -6"
	else
		local cnet=10.0.2.1/24 snet=10.0.9.0/24 addr=10.0.9.2 host=10.0.9.2
		local plen=24 rnet=10.0.2.0/24 nodad=
	fi
	$ip -n "$CLIENT" addr add $cnet dev veth-c $nodad
	$ip -n "$CLIENT" route add $snet dev veth-c src ${cnet%/*}
	$ip -n "$SERVER" addr add $addr/$plen dev veth-s $nodad
	$ip -n "$SERVER" rule add fwmark 7 lookup 100
	$ip -n "$SERVER" route add $rnet dev veth-s table 100
	cat >"$XSP_TMP/mark.py" <<'PY'
import socket, sys
l = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 7)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 7200))
l.listen(16)
while True:
    c, _ = l.accept()
    c.sendall(c.recv(100))
    c.close()
PY
	bg "$SERVER" python3 "$XSP_TMP/mark.py" $addr
	wait_listen "$SERVER" 7200
	tcp_echo "$CLIENT" $host 7200 unprotected
	check_err $? "the stack itself cannot answer: topology broken"
	synctl -n "$SERVER" ports add 7200
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	got=0
	for i in 1 2 3; do
		tcp_echo "$CLIENT" $host 7200 "m$i" && got=$((got + 1))
	done
	[ $got = 3 ]
	check_err $? "$got of 3 connections to the SO_MARK listener worked"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" -ge 3 ]
	check_err $? "the module did not answer them"
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "SYN-ACK routed with the listener's mark (policy routing), as the stack's"
}

nstat_get()
{
	ip netns exec "$SERVER" nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'
}

# SYNs from 10.0.3.9 (fd00:3::9), to which the server has no route at all:
# nobody answers, and it is the stack that found no route.
test_unroutable_reply()
{
	local noroute0 noroute1 counter=IpOutNoRoutes src=10.0.3.9

	if [ "$XSP_FAMILY" = 6 ]; then
		counter=Ip6OutNoRoutes
		src=fd00:3::9
	fi
	setup_scapy 443 || { check_err 1 "setup"; log_test "unroutable"; return; }
	bg "$CLIENT" tcpdump -i veth-c -nn -U -w "$XSP_TMP/cap.pcap" 'tcp src port 443'
	sleep 2
	noroute0=$(nstat_get $counter)
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" $src <<'PY'
import sys
from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.sendrecv import send
conf.verb = 0
L3 = IPv6 if ":" in sys.argv[1] else IP
for i in range(3):
    send(L3(src=sys.argv[2], dst=sys.argv[1]) /
         TCP(sport=41000 + i, dport=443, flags="S", seq=5, options=[("MSS", 1460)]))
PY
	sleep 2
	kill "$XSP_BG_PID"
	sleep 1
	noroute1=$(nstat_get $counter)
	[ "$(tcpdump -r "$XSP_TMP/cap.pcap" -nn 2>/dev/null | grep -c 'Flags \[S\.')" = 0 ]
	check_err $? "a SYN-ACK went out"
	[ "$(xsp_fam_delta syn_no_route "$XSP_TMP/s0" "$SERVER")" = 3 ] &&
		[ "$(xsp_fam_delta syn_answered "$XSP_TMP/s0" "$SERVER")" = 0 ]
	check_err $? "syn_no_route did not count the 3 SYNs"
	log_info "$counter $noroute0 -> $noroute1"
	[ $((noroute1 - noroute0)) -ge 3 ]
	check_err $? "the stack did not get the SYNs to try ($counter +$((noroute1 - noroute0)))"
	log_test "SYN whose SYN-ACK has no route: left to the stack, counted, no SYN-ACK"
}

test_wscale_race()
{
	local out new

	setup_scapy 443 || { check_err 1 "setup"; log_test "wscale race"; return; }
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
	# Two-second epochs: the tcp_rmem sample is taken ahead, per epoch.
	synctl -n "$SERVER" salt set --epoch-len 2
	sleep 5
	out=$(scapy_client wscale-race 443 \
		"sysctl -qw net.ipv4.tcp_rmem='4096 131072 134217728'")
	check_err $? "server socket does not use the window scale of the SYN-ACK: $out"
	log_info "$out"
	# Within two epochs new SYN-ACKs announce the new scale (134217728: 12).
	sleep 5
	new=$(ip netns exec "$CLIENT" python3 - "$SERVER_IP" <<'PY'
import sys
from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.sendrecv import sr1
conf.verb = 0
L3 = IPv6 if ":" in sys.argv[1] else IP
sa = sr1(L3(dst=sys.argv[1]) / TCP(sport=42001, dport=443, flags="S", seq=9,
         options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]), timeout=6)
print([o[1] for o in sa[TCP].options if o[0] == "WScale"][0] if sa else "none")
PY
)
	[ "$new" = 12 ]
	check_err $? "new SYN-ACKs announce window scale $new, not 12"
	log_test "window scale: the SYN-ACK's is the socket's across a tcp_rmem change, which applies within two epochs"
}

require_root
require_cmd synctl socat nft python3 tcpdump nstat
python3 -c 'import scapy' 2>/dev/null || { echo "# SKIP: no scapy"; exit $KSFT_SKIP; }
run_tests

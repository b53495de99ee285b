#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Salts: rotation during a stream of connections loses none; short epochs
# expire cookies; two namespaces sharing a key validate each other's
# cookies (the ACK goes to the other one), and with different keys never.
# Over IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_rotate_under_load
	test_shared_key
"

test_rotate_under_load()
{
	local i ok=0 rotator moved

	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "rotate"; return; }
	# -t10: see sysctl.sh (socat's 0.5 s can lose the echo on a slow guest)
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
	synctl -n "$SERVER" salt set --epoch-len 2
	check_err $? "salt set --epoch-len 2 failed"
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	(
		while :; do
			synctl -n "$SERVER" salt rotate >/dev/null
			sleep 1
		done
	) &
	rotator=$!
	defer "kill $rotator 2>/dev/null"
	for i in $(seq 1 30); do
		if tcp_echo "$CLIENT" "$SERVER_HOST" 443 "c$i"; then
			ok=$((ok + 1))
		else
			log_info "connection $i failed; counters: $(synctl -n "$SERVER" -j stats)"
		fi
	done
	kill $rotator
	[ $ok = 30 ]
	check_err $? "$ok of 30 connections survived rotation every second"
	[ "$(xsp_stat cookie_invalid "$SERVER")" = 0 ] && [ "$(xsp_stat cookie_stale "$SERVER")" = 0 ]
	check_err $? "cookies rejected during rotation"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" -ge 30 ]
	check_err $? "not all 30 handshakes were the module's"
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "salt rotation every second with 2 s epochs loses no connection"
}

# Client with two links: veth-c to S1 and veth-c2 to S2, both servers with
# the same address (anycast). The SYN goes to S1, the ACK to S2.
test_shared_key()
{
	local S1 S2 out

	require_cmd python3
	python3 -c 'import scapy' 2>/dev/null || { log_skip "shared key" "no scapy"; return; }
	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "shared key"; return; }
	S1=$SERVER
	setup_ns S2
	ip link add veth-c2 netns "$CLIENT" type veth peer name veth-s netns "$S2"
	ip -n "$S2" addr add $SERVER_IP4/24 dev veth-s
	ip -n "$S2" addr add $SERVER_IP6/64 dev veth-s nodad
	ip -n "$S2" link set veth-s up
	ip -n "$CLIENT" link set veth-c2 up
	ip netns exec "$S2" ethtool -K veth-s tx off >/dev/null 2>&1
	ip netns exec "$CLIENT" nft add table inet t
	ip netns exec "$CLIENT" nft add chain inet t out '{ type filter hook output priority 0; }'
	ip netns exec "$CLIENT" nft add rule inet t out tcp flags rst drop
	for ns in "$S1" "$S2"; do
		bg "$ns" socat -T30 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
		wait_listen "$ns" 443
		synctl -n "$ns" ports add 443
	done
	echo 00112233445566778899aabbccddeeff >"$XSP_TMP/key"
	chmod 600 "$XSP_TMP/key"	# synctl refuses a key others may read
	synctl -n "$S1" salt set --key-file "$XSP_TMP/key" &&
		synctl -n "$S2" salt set --key-file "$XSP_TMP/key"
	check_err $? "salt set --key-file failed"
	[ "$(synctl -n "$S1" -j salt show | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')" = \
	  "$(synctl -n "$S2" -j salt show | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')" ]
	check_err $? "key ids differ for the same key"
	! synctl -n "$S1" -j salt show | grep -qi 00112233445566778899aabbccddeeff
	check_err $? "salt show echoes the key"

	synctl -n "$S2" -j stats >"$XSP_TMP/s0"
	out=$(S2MAC=$(ip -n "$S2" -br link show veth-s | awk '{print $3}') \
		SERVER=$S1 SERVER2=$S2 ip netns exec "$CLIENT" python3 - "$CLIENT_IP" "$SERVER_IP" <<'PY'
import os, random, subprocess, sys, time
from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.sendrecv import sendp, sr1
conf.verb = 0
L3 = IPv6 if ":" in sys.argv[2] else IP
def handshake():
    sp = random.randint(20000, 60000)
    isn = random.getrandbits(32)
    sa = sr1(L3(dst=sys.argv[2]) / TCP(sport=sp, dport=443, seq=isn, flags="S",
             options=[("MSS", 1460)]), timeout=6, iface="veth-c")
    if sa is None:
        return "nosynack"
    sendp(Ether(dst=os.environ["S2MAC"]) / L3(src=sys.argv[1], dst=sys.argv[2]) /
          TCP(sport=sp, dport=443, seq=isn + 1, ack=sa[TCP].seq + 1, flags="A"),
          iface="veth-c2")
    for _ in range(30):
        out = subprocess.run(["ip", "netns", "exec", os.environ["SERVER2"], "ss",
                              "-Htn", "state", "established", f"( dport = :{sp} )"],
                             capture_output=True, text=True).stdout
        if out.strip():
            return "established"
        time.sleep(0.3)
    return "none"
print(handshake())
PY
)
	[ "$out" = established ] && [ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$S2")" = 1 ]
	check_err $? "S2 did not accept S1's cookie with the same key: $out"
	log_test "two namespaces with one key validate each other's cookies"

	synctl -n "$S2" salt rotate >/dev/null
	synctl -n "$S2" salt rotate >/dev/null
	synctl -n "$S2" -j stats >"$XSP_TMP/s0"
	out=$(S2MAC=$(ip -n "$S2" -br link show veth-s | awk '{print $3}') \
		SERVER=$S1 SERVER2=$S2 ip netns exec "$CLIENT" python3 - "$CLIENT_IP" "$SERVER_IP" <<'PY'
import os, random, subprocess, sys, time
from scapy.config import conf
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.sendrecv import sendp, sr1
conf.verb = 0
L3 = IPv6 if ":" in sys.argv[2] else IP
sp = random.randint(20000, 60000)
isn = random.getrandbits(32)
sa = sr1(L3(dst=sys.argv[2]) / TCP(sport=sp, dport=443, seq=isn, flags="S",
         options=[("MSS", 1460)]), timeout=6, iface="veth-c")
sendp(Ether(dst=os.environ["S2MAC"]) / L3(src=sys.argv[1], dst=sys.argv[2]) /
      TCP(sport=sp, dport=443, seq=isn + 1, ack=sa[TCP].seq + 1, flags="A"),
      iface="veth-c2")
time.sleep(2)
out = subprocess.run(["ip", "netns", "exec", os.environ["SERVER2"], "ss",
                      "-Htn", "state", "established", f"( dport = :{sp} )"],
                     capture_output=True, text=True).stdout
print("established" if out.strip() else "none")
PY
)
	[ "$out" = none ] && [ "$(xsp_fam_delta cookie_invalid "$XSP_TMP/s0" "$S2")" = 1 ]
	check_err $? "S2 with another key accepted or miscounted: $out"
	log_test "with different keys the other namespace drops and counts the ACK"
}

require_root
require_cmd synctl socat
run_tests

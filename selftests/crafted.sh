#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Crafted packets (scapy) against a protected port, over IPv4 and then
# IPv6: every option combination, data on the ACK, lost pure ACK, forged
# ACKs (every ISN and TSecr bit), malformed SYNs; for IPv6 also extension
# header chains (answered behind hop-by-hop, destination options and a
# routing header with segments left 0; fragments never answered; truncated
# chains silently dropped; chains the stack refuses refused), and sources
# the stack never answers. The cases and their KTAP lines are in
# crafted.py, which runs them once per family on one dual-stack topology.
source "$(dirname "$0")/lib.sh"

require_root
require_cmd synctl socat nft python3
python3 -c 'import scapy' 2>/dev/null || { echo "# SKIP: no scapy"; exit $KSFT_SKIP; }

xsp_load || exit $KSFT_FAIL
setup_pair || { echo "not ok 1 - $XSP_TEST_NAME: topology"; exit 1; }
# The client kernel knows nothing of the handshakes scapy drives: keep it
# from resetting them.
client_drops_rsts "$CLIENT"
# 443 protected, 444 not (the stack's own SYN-ACKs, for comparison); one
# listener per family.
for port in 443 444; do
	bg "$SERVER" socat -T60 -t10 TCP4-LISTEN:$port,reuseaddr,fork,backlog=128 EXEC:cat
	bg "$SERVER" socat -T60 -t10 TCP6-LISTEN:$port,ipv6only=1,reuseaddr,fork,backlog=128 EXEC:cat
	wait_for sh -c "[ \$(ip netns exec '$SERVER' ss -Htln 'sport = :$port' | wc -l) = 2 ]"
done
synctl -n "$SERVER" ports add 443 || exit $KSFT_FAIL

pairs=
[[ " ${XSP_FAMILIES:-4} " == *" 4 "* ]] && pairs="$SERVER_IP4=$CLIENT_IP4"
[[ " ${XSP_FAMILIES:-6} " == *" 6 "* ]] && pairs="$pairs $SERVER_IP6=$CLIENT_IP6"
SERVER=$SERVER XSP_PAIRS="$pairs" \
	CLIENT_IP4=$CLIENT_IP4 \
	SERVER_MAC=$(ip -n "$SERVER" -br link show veth-s | awk '{print $3}') \
	PYTHONPATH=$XSP_SELFTESTS \
	ip netns exec "$CLIENT" python3 "$XSP_SELFTESTS/crafted.py"
rc=$?
echo "# server counters: $(synctl -n "$SERVER" -j stats)"
exit $rc

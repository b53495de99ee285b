#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Crafted packets (scapy) against a protected port: every option
# combination, data on the ACK, lost pure ACK, forged ACKs, malformed SYNs.
# The cases and their KTAP lines are in crafted.py.
source "$(dirname "$0")/lib.sh"

require_root
require_cmd synctl socat nft python3
python3 -c 'import scapy' 2>/dev/null || { echo "# SKIP: no scapy"; exit $KSFT_SKIP; }

xsp_load || exit $KSFT_FAIL
setup_pair || { echo "not ok 1 - $XSP_TEST_NAME: topology"; exit 1; }
# The client kernel knows nothing of the handshakes scapy drives: keep it
# from resetting them.
client_drops_rsts "$CLIENT"
bg "$SERVER" socat -T60 -t10 TCP-LISTEN:443,reuseaddr,fork,backlog=128 EXEC:cat
wait_listen "$SERVER" 443
synctl -n "$SERVER" ports add 443 || exit $KSFT_FAIL

SERVER=$SERVER SERVER_IP=$SERVER_IP PYTHONPATH=$XSP_SELFTESTS \
	ip netns exec "$CLIENT" python3 "$XSP_SELFTESTS/crafted.py"
rc=$?
echo "# server counters: $(synctl -n "$SERVER" -j stats)"
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A reuseport group steered by an eBPF program that reads the TCP header
# (even source ports to socket 0, odd ones to socket 1, anything that is not
# a TCP header to this port refused): the module must find the listener the
# way tcp_v[46]_rcv() does, with the program seeing the TCP header at its
# data pointer, so that protected connections land where the program sends
# them. The old datapath showed it the IP header: it refused the lookup
# and the client was reset.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_reuseport_ebpf
"

PROG=$XSP_SELFTESTS/reuseport_ebpf
OBJ=$XSP_SELFTESTS/reuseport_select.bpf.o
PORT=7300

# connect_from SPORT: one connection from that source port, closed by the
# server.
connect_from()
{
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" "$1" <<'PY'
import socket, sys
v6 = ":" in sys.argv[1]
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if v6 else "", int(sys.argv[2])))
s.settimeout(10)
s.connect((sys.argv[1], 7300))
s.recv(1)
PY
}

test_reuseport_ebpf()
{
	local sp want bad=0

	[ -x "$PROG" ] && [ -f "$OBJ" ] ||
		{ log_skip "reuseport eBPF" "reuseport helper not built"; return; }
	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "reuseport eBPF"; return; }
	ip netns exec "$SERVER" "$PROG" "$XSP_FAMILY" $PORT "$OBJ" >"$XSP_TMP/acc" &
	defer "kill $! 2>/dev/null"
	wait_for grep -q ready "$XSP_TMP/acc"
	check_err $? "the eBPF program did not load"
	synctl -n "$SERVER" ports add $PORT
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	for sp in 41000 41001 41002 41003; do
		connect_from $sp
		check_err $? "connection from port $sp failed"
	done
	sleep 1
	sed 's/^/# accepted: socket port: /' "$XSP_TMP/acc"
	for sp in 41000 41001 41002 41003; do
		want=$((sp & 1))
		grep -qx "$want $sp" "$XSP_TMP/acc" || bad=1
	done
	[ $bad = 0 ]
	check_err $? "connections did not land on the socket the program chose"
	[ "$(xsp_stat_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" = 4 ]
	check_err $? "the module did not complete the 4 handshakes"
	log_test "reuseport eBPF program sees the TCP header; protected connections land where it sends them"
}

require_root
require_cmd synctl python3
run_tests

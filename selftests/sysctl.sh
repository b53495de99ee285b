#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# net.ipv4.tcp_syncookies 0, 1 and 2, and a full accept queue: connections
# keep working, and every handshake the module cannot complete is counted.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_syncookies_0
	test_syncookies_1
	test_syncookies_2
	test_accept_queue_full
	test_synack_retransmit_dropped
"

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	bg "$SERVER" socat -T30 TCP-LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
}

echo_ok()
{
	[ "$(echo "$1" | ip netns exec "$CLIENT" socat -T10 - TCP:$SERVER_IP:443,shut-down)" = "$1" ]
}

syncookies_case()
{
	local val=$1 i ok=0 moved

	setup || { check_err 1 "setup"; log_test "tcp_syncookies=$val"; return; }
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_syncookies="$val"
	for i in 1 2 3 4 5; do
		echo_ok "m$i" && ok=$((ok + 1))
	done
	[ $ok = 5 ]
	check_err $? "$ok of 5 connections worked with tcp_syncookies=$val"
	if [ "$val" = 2 ]; then
		synctl -n "$SERVER" show | grep -qi bypass
		check_err $? "synctl show does not report bypass"
		moved=$(xsp_stat_delta syn_bypass "$XSP_TMP/s0" "$SERVER")
		[ "$moved" -ge 5 ]
		check_err $? "syn_bypass moved by $moved"
		[ "$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")" = 0 ]
		check_err $? "module answered SYNs in bypass"
	else
		moved=$(xsp_stat_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")
		[ "$moved" -ge 5 ]
		check_err $? "synack_rewritten moved by $moved"
	fi
	log_test "tcp_syncookies=$val: connections work$([ "$val" = 2 ] && echo ', module steps aside (bypass)')"
}

test_syncookies_0() { syncookies_case 0; }
test_syncookies_1() { syncookies_case 1; }
test_syncookies_2() { syncookies_case 2; }

test_accept_queue_full()
{
	local failed got

	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "accept queue"; return; }
	synctl -n "$SERVER" ports add 7777
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	# Listener with backlog 1 that accepts nothing for 8 seconds, then
	# collects what each client sent.
	cat >"$XSP_TMP/server.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7777))
s.listen(1)
time.sleep(8)
s.settimeout(60)
got = []
while len(got) < 4:
    c, _ = s.accept()
    c.settimeout(30)
    got.append(c.recv(100).decode())
    open(sys.argv[1], "w").write("\n".join(sorted(got)) + "\n")
PY
	bg "$SERVER" python3 "$XSP_TMP/server.py" "$XSP_TMP/got"
	wait_listen "$SERVER" 7777
	check_err $? "listener did not start"
	for i in 1 2 3 4; do
		ip netns exec "$CLIENT" python3 -c "
import socket, time
s = socket.create_connection(('$SERVER_IP', 7777), timeout=10)
s.sendall(b'client$i')
time.sleep(60)" &
		defer "kill $! 2>/dev/null"
	done
	XSP_WAIT=120 wait_for sh -c "[ \$(wc -l <'$XSP_TMP/got' 2>/dev/null || echo 0) -ge 4 ]"
	got=$(cat "$XSP_TMP/got" 2>/dev/null | tr '\n' ' ')
	[ "$got" = "client1 client2 client3 client4 " ]
	check_err $? "delivered after the queue drained: '$got'"
	failed=$(xsp_stat_delta replay_failed "$XSP_TMP/s0" "$SERVER")
	log_info "replay_failed +$failed"
	[ "$failed" -ge 1 ]
	check_err $? "replay_failed did not count the full accept queue"
	log_test "full accept queue: counted, and clients complete once it drains"
}

# TCP_DEFER_ACCEPT keeps the request socket after the pure ACK, so the stack
# retransmits its SYN-ACK: the module must consume it (the client already
# has ours), and the client's data must still complete the connection.
test_synack_retransmit_dropped()
{
	local dropped got

	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "SYN-ACK retransmit"; return; }
	synctl -n "$SERVER" ports add 7778
	cat >"$XSP_TMP/defer.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
s.bind(("0.0.0.0", 7778))
s.listen(8)
s.settimeout(60)
c, _ = s.accept()
c.settimeout(30)
open(sys.argv[1], "w").write(c.recv(100).decode())
PY
	bg "$SERVER" python3 "$XSP_TMP/defer.py" "$XSP_TMP/got"
	wait_listen "$SERVER" 7778
	check_err $? "listener did not start"
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	bg "$CLIENT" tcpdump -i veth-c -nn -U -w "$XSP_TMP/cap.pcap" 'tcp port 7778 and tcp[tcpflags] & tcp-syn != 0'
	sleep 2
	ip netns exec "$CLIENT" python3 -c "
import socket, time
s = socket.create_connection(('$SERVER_IP', 7778), timeout=10)
time.sleep(4)
s.sendall(b'late data')
time.sleep(3)"
	check_err $? "client failed"
	got=$(cat "$XSP_TMP/got" 2>/dev/null)
	[ "$got" = "late data" ]
	check_err $? "server got '$got'"
	dropped=$(xsp_stat_delta synack_dropped "$XSP_TMP/s0" "$SERVER")
	log_info "synack_dropped +$dropped"
	[ "$dropped" -ge 1 ]
	check_err $? "no retransmitted SYN-ACK was consumed"
	sleep 1
	kill "$XSP_BG_PID" 2>/dev/null
	sleep 1
	[ "$(tcpdump -r "$XSP_TMP/cap.pcap" -nn 2>/dev/null | grep -c 'Flags \[S\.')" = 1 ]
	check_err $? "the client saw more than our one SYN-ACK"
	log_test "stack SYN-ACK retransmissions are consumed; data completes the handshake"
}

require_root
require_cmd synctl socat python3
run_tests

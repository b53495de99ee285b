#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# net.ipv4.tcp_syncookies 0, 1 and 2, and a full accept queue: connections
# keep working, and every handshake the module cannot complete is counted.
# Over IPv4 and IPv6 (the net.ipv4.tcp_* sysctls govern both).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_syncookies_0
	test_syncookies_1
	test_syncookies_2
	test_accept_queue_full
	test_defer_accept_data
	test_defer_accept_last_chance
"

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	# -t10: after the client's EOF the child waits up to 10 s for cat's
	# echo (socat's default of 0.5 s is shorter than a fork and exec take
	# on a loaded emulated guest: the echo was lost).
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
}

echo_ok()
{
	tcp_echo "$CLIENT" "$SERVER_HOST" 443 "$1"
}

syncookies_case()
{
	local val=$1 i ok=0 moved other

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
		moved=$(xsp_fam_delta syn_bypass "$XSP_TMP/s0" "$SERVER")
		[ "$moved" -ge 5 ]
		check_err $? "syn_bypass moved by $moved"
		[ "$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")" = 0 ]
		check_err $? "module answered SYNs in bypass"
	else
		moved=$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")
		[ "$moved" -ge 5 ]
		check_err $? "synack_rewritten moved by $moved"
	fi
	other=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$other" ]
	check_err $? "the other family's counters moved: $other"
	log_test "tcp_syncookies=$val: connections work$([ "$val" = 2 ] && echo ', module steps aside (bypass)')"
}

test_syncookies_0() { syncookies_case 0; }
test_syncookies_1() { syncookies_case 1; }
test_syncookies_2() { syncookies_case 2; }

# replays_failed_moved: the module counted a replay the full queue refused.
replays_failed_moved()
{
	[ "$(xsp_fam_delta replay_failed "$XSP_TMP/s0" "$SERVER")" -ge 1 ]
}

test_accept_queue_full()
{
	local failed got replayed rewritten

	xsp_load
	setup_pair || { check_err 1 "setup"; log_test "accept queue"; return; }
	synctl -n "$SERVER" ports add 7777
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	# Listener with backlog 1 that accepts nothing until told to (once the
	# queue has refused a replay, or after 60 s), then collects what each
	# client sent. (A fixed wait raced the clients' start on a loaded guest.)
	cat >"$XSP_TMP/server.py" <<'PY'
import os, socket, sys, time
v6 = ":" in sys.argv[2]
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], 7777))
s.listen(1)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.2)
s.settimeout(60)
got = []
while len(got) < 4:
    c, _ = s.accept()
    c.settimeout(30)
    got.append(c.recv(100).decode())
    open(sys.argv[1], "w").write("\n".join(sorted(got)) + "\n")
PY
	bg "$SERVER" python3 "$XSP_TMP/server.py" "$XSP_TMP/got" $SERVER_IP "$XSP_TMP/go"
	wait_listen "$SERVER" 7777
	check_err $? "listener did not start"
	# One client at a time, each connected before the next starts: the
	# first two fill the queue (backlog 1 holds two), the others' replays
	# then meet a full queue. (Started together, all four replays could
	# make request sockets before the first child was queued, the stack
	# then dropping the overflowing ACKs instead, so nothing to count.)
	for i in 1 2 3 4; do
		ip netns exec "$CLIENT" python3 -c "
import socket, time
s = socket.create_connection(('$SERVER_IP', 7777), timeout=10)
open('$XSP_TMP/connected$i', 'w').close()
s.sendall(b'client$i')
time.sleep(60)" &
		defer "kill $! 2>/dev/null"
		XSP_WAIT=30 wait_for test -e "$XSP_TMP/connected$i"
	done
	XSP_WAIT=60 wait_for replays_failed_moved
	touch "$XSP_TMP/go"
	XSP_WAIT=120 wait_for sh -c "[ \$(wc -l <'$XSP_TMP/got' 2>/dev/null || echo 0) -ge 4 ]"
	got=$(cat "$XSP_TMP/got" 2>/dev/null | tr '\n' ' ')
	[ "$got" = "client1 client2 client3 client4 " ]
	check_err $? "delivered after the queue drained: '$got'"
	failed=$(xsp_fam_delta replay_failed "$XSP_TMP/s0" "$SERVER")
	replayed=$(xsp_fam_delta syn_replayed "$XSP_TMP/s0" "$SERVER")
	rewritten=$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")
	log_info "replay_failed +$failed; moved: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	# Every replay that made no request socket is counted, none other.
	[ "$failed" -eq $((replayed - rewritten)) ]
	check_err $? "replay_failed +$failed for $replayed replays, $rewritten of them answered"
	# The later clients' replays meet the full queue.
	[ "$failed" -ge 1 ]
	check_err $? "replay_failed did not count the full accept queue"
	log_test "full accept queue: counted, and clients complete once it drains"
}

# TCP_DEFER_ACCEPT keeps the request socket after the pure ACK, and the
# stack retransmits its SYN-ACK: that request socket carries the cookie ISN,
# so its retransmissions say what ours said and go to the client as they
# would without the module (the last one, after the defer period, is how a
# server-first protocol gets accepted). Either the client's data or its
# answer to the last SYN-ACK completes the handshake.
defer_server()
{
	cat >"$XSP_TMP/defer.py" <<'PY'
import socket, sys
v6 = ":" in sys.argv[3]
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
s.bind((sys.argv[3], 7778))
s.listen(8)
s.settimeout(60)
c, _ = s.accept()
c.settimeout(30)
if sys.argv[2] == "greet":
    c.sendall(b"hello\n")
    c.recv(100)
else:
    open(sys.argv[1], "w").write(c.recv(100).decode())
PY
	bg "$SERVER" python3 "$XSP_TMP/defer.py" "$XSP_TMP/got" "$1" $SERVER_IP
	wait_listen "$SERVER" 7778
}

# synack_isns PCAP: the sequence numbers of the server's SYN-ACKs.
synack_isns()
{
	tcpdump -r "$1" -nn -S 2>/dev/null | grep 'Flags \[S\.' |
		sed -E 's/.* seq ([0-9]+),.*/\1/'
}

defer_case()
{
	local mode=$1 isns n got

	xsp_load
	setup_pair || { check_err 1 "setup"; return 1; }
	synctl -n "$SERVER" ports add 7778
	defer_server "$mode"
	check_err $? "listener did not start"
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	bg "$CLIENT" tcpdump -i veth-c -nn -U -w "$XSP_TMP/cap.pcap" 'tcp src port 7778'
	sleep 2
	if [ "$mode" = greet ]; then
		got=$(ip netns exec "$CLIENT" python3 -c "
import socket
s = socket.create_connection(('$SERVER_IP', 7778), timeout=10)
s.settimeout(20)
print(s.recv(100).decode().strip())
s.sendall(b'bye')")
		[ "$got" = hello ]
		check_err $? "the server-first client got '$got'"
	else
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
	fi
	sleep 1
	kill "$XSP_BG_PID" 2>/dev/null
	sleep 1
	isns=$(synack_isns "$XSP_TMP/cap.pcap")
	n=$(wc -w <<<"$isns")
	log_info "SYN-ACKs the client saw: $n, ISNs $(sort -u <<<"$isns" | tr '\n' ' ')"
	[ "$n" -ge 2 ] && [ "$(sort -u <<<"$isns" | wc -l)" = 1 ]
	check_err $? "want our SYN-ACK and the stack's retransmissions, all with one ISN"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" = 1 ]
	check_err $? "synack_rewritten did not move by one"
	[ "$(xsp_stat_delta synack_dropped "$XSP_TMP/s0" "$SERVER")" = 0 ]
	check_err $? "a stack SYN-ACK was consumed"
}

test_defer_accept_data()
{
	defer_case data
	log_test "TCP_DEFER_ACCEPT: retransmitted SYN-ACKs carry the cookie ISN; data completes the handshake"
}

test_defer_accept_last_chance()
{
	defer_case greet
	log_test "TCP_DEFER_ACCEPT: the last-chance SYN-ACK reaches the client; a server-first protocol is accepted"
}

require_root
require_cmd synctl socat python3
run_tests

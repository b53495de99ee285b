#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real clients through protected ports: curl, socat, iperf3 (both
# directions), Python sockets, a TCP Fast Open client. The server's sockets
# must show what was negotiated, and the wire must show no sequence
# translation.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_curl
	test_socat
	test_python
	test_iperf3
	test_ss_options
	test_no_translation
	test_port_reuse
	test_fastopen
	test_dual_stack
"

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	synctl -n "$SERVER" ports add 80 || return 1
	synctl -n "$SERVER" ports add 5201 || return 1
	synctl -n "$SERVER" ports add 7000-7010 || return 1
	synctl -n "$SERVER" -j stats >"$XSP_TMP/stats0"
}

# counters_moved NAME...: each counter grew since setup.
counters_moved()
{
	local c d

	for c in "$@"; do
		d=$(xsp_stat_delta "$c" "$XSP_TMP/stats0" "$SERVER")
		if [ -z "$d" ] || [ "$d" -lt 1 ]; then
			echo "counter $c did not move ($d)"
			return 1
		fi
	done
}

test_curl()
{
	local msg

	setup || { check_err 1 "setup"; log_test "curl"; return; }
	mkdir -p "$XSP_TMP/www"
	head -c 300000 /dev/urandom >"$XSP_TMP/www/blob"
	bg "$SERVER" python3 -m http.server 80 --bind $SERVER_IP --directory "$XSP_TMP/www"
	wait_listen "$SERVER" 80
	ip netns exec "$CLIENT" curl -sf --max-time 60 -o "$XSP_TMP/got" \
		"http://$SERVER_HOST/blob"
	check_err $? "curl failed"
	cmp -s "$XSP_TMP/www/blob" "$XSP_TMP/got"
	check_err $? "curl fetched wrong content"
	msg=$(counters_moved syn_answered cookie_valid syn_replayed synack_rewritten)
	check_err $? "$msg"
	[ "$(xsp_stat_delta cookie_invalid "$XSP_TMP/stats0" "$SERVER")" = 0 ]
	check_err $? "cookie_invalid moved for a legitimate client"
	log_test "curl fetches 300 kB over a protected port"
}

test_socat()
{
	local i ok=0

	setup || { check_err 1 "setup"; log_test "socat"; return; }
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:7005,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 7005
	for i in $(seq 1 10); do
		tcp_echo "$CLIENT" "$SERVER_HOST" 7005 "msg$i" && ok=$((ok + 1))
	done
	[ $ok = 10 ]
	check_err $? "only $ok of 10 socat echoes came back"
	[ "$(xsp_stat_delta synack_rewritten "$XSP_TMP/stats0" "$SERVER")" -ge 10 ]
	check_err $? "fewer than 10 rewritten SYN-ACKs"
	log_test "10 socat echo connections in a range-protected port"
}

test_python()
{
	setup || { check_err 1 "setup"; log_test "python"; return; }
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:7000,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 7000
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" <<'PY'
import socket, sys, os
data = os.urandom(200000)
s = socket.create_connection((sys.argv[1], 7000), timeout=60)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
sys.exit(0 if got == data else 1)
PY
	check_err $? "python echo of 200 kB failed"
	log_test "Python sockets: 200 kB echo"
}

test_iperf3()
{
	local dir out

	setup || { check_err 1 "setup"; log_test "iperf3"; return; }
	bg "$SERVER" iperf3 -s -p 5201 -B $SERVER_IP
	wait_listen "$SERVER" 5201
	for dir in "" "-R"; do
		out=$(ip netns exec "$CLIENT" timeout 120 iperf3 -c $SERVER_IP -p 5201 -t 3 $dir -J)
		check_err $? "iperf3 $dir failed"
		python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if d["end"]["sum_received"]["bytes"] > 1000000 else 1)' <<<"$out"
		check_err $? "iperf3 $dir moved under 1 MB"
		log_info "iperf3 $dir: $(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(round(d["end"]["sum_received"]["bits_per_second"]/1e6,1), "Mbit/s")' <<<"$out" 2>/dev/null)"
	done
	log_test "iperf3 bulk transfer both directions"
}

test_ss_options()
{
	local line

	setup || { check_err 1 "setup"; log_test "ss"; return; }
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:7001,reuseaddr EXEC:cat
	wait_listen "$SERVER" 7001
	bg "$CLIENT" sh -c "sleep 30 | socat -T60 - TCP:$SERVER_HOST:7001"
	wait_for sh -c "ip netns exec $SERVER ss -Htine state established '( sport = :7001 )' | grep -q ."
	line=$(ip netns exec "$SERVER" ss -Htine state established '( sport = :7001 )')
	log_info "server: $line"
	grep -q ' ts ' <<<"$line" && grep -q ' sack ' <<<"$line"
	check_err $? "timestamps or SACK not negotiated: $line"
	grep -Eq 'wscale:[0-9]+,[0-9]+' <<<"$line"
	check_err $? "window scaling not negotiated: $line"
	# 1500-byte veth: MSS 1460 (IPv4) or 1440 (IPv6), less 12 for timestamps
	grep -Eq "\\bmss:$([ "$XSP_FAMILY" = 6 ] && echo 1428 || echo 1448)\\b" <<<"$line"
	check_err $? "MSS not the veth's, less timestamps: $line"
	log_test "ss -ti on the server shows wscale, SACK, timestamps, MSS"
}

test_no_translation()
{
	local synack data

	require_cmd tcpdump
	setup || { check_err 1 "setup"; log_test "capture"; return; }
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:7002,reuseaddr EXEC:'echo hello'
	wait_listen "$SERVER" 7002
	bg "$CLIENT" tcpdump -i veth-c -nn -S -U -w "$XSP_TMP/cap.pcap" 'tcp port 7002'
	sleep 3
	ip netns exec "$CLIENT" socat -T10 -t10 - TCP:$SERVER_HOST:7002 </dev/null >"$XSP_TMP/hello"
	sleep 2
	kill "$XSP_BG_PID"; sleep 1
	tcpdump -r "$XSP_TMP/cap.pcap" -nn -S 2>/dev/null >"$XSP_TMP/cap.txt"
	sed 's/^/# /' "$XSP_TMP/cap.txt" | head -8
	synack=$(grep -m1 'Flags \[S.E*\]' "$XSP_TMP/cap.txt" | sed -E 's/.* seq ([0-9]+),.*/\1/')
	data=$(grep "$SERVER_IP.7002 >" "$XSP_TMP/cap.txt" | grep -m1 'Flags \[P' | sed -E 's/.* seq ([0-9]+):.*/\1/')
	[ -n "$synack" ] && [ "$data" = $(((synack + 1) % 4294967296)) ]
	check_err $? "server data seq '$data' is not SYN-ACK ISN '$synack' + 1"
	grep -q hello "$XSP_TMP/hello"
	check_err $? "no greeting"
	log_test "capture: server data continues the cookie ISN (no translation)"
}

# A client that reuses its source port while the server still holds the
# previous connection in TIME_WAIT (the server closed first, as HTTP/1.0
# servers do) must connect as it would without the module: the stack lets
# such a SYN open a new connection (tcp_timewait_state_process), so the
# module must not answer it with a cookie whose ACK the TIME_WAIT socket
# would then swallow.
test_port_reuse()
{
	local tw i d

	setup || { check_err 1 "setup"; log_test "port reuse"; return; }
	bg "$SERVER" python3 -c '
import socket
l = socket.create_server(("::", 7003), family=socket.AF_INET6,
                         dualstack_ipv6=True)
while True:
    c, _ = l.accept()
    c.sendall(b"hello\n")
    c.close()'
	wait_listen "$SERVER" 7003
	for i in 1 2 3; do
		ip netns exec "$CLIENT" python3 - "$SERVER_IP" <<'PY'
import socket, sys, time
v6 = ":" in sys.argv[1]
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if v6 else "", 40123))
s.settimeout(5)
t = time.monotonic()
s.connect((sys.argv[1], 7003))
got = b""
while True:  # to the server's FIN: the server closes first
    b = s.recv(100)
    if not b:
        break
    got += b
s.close()
sys.exit(0 if got == b"hello\n" and time.monotonic() - t < 5 else 1)
PY
		check_err $? "connection $i from port 40123 failed or stalled"
		tw=$(ip netns exec "$SERVER" ss -Htan state time-wait '( sport = :7003 and dport = :40123 )' | wc -l)
		[ "$tw" = 1 ]
		check_err $? "after connection $i the server holds $tw TIME_WAIT sockets, not 1"
	done
	d=$(xsp_stat_delta syn_to_socket "$XSP_TMP/stats0" "$SERVER")
	[ "$d" = 2 ]
	check_err $? "syn_to_socket moved by $d, not 2 (the SYNs that met TIME_WAIT)"
	log_test "source port reused against the server's TIME_WAIT socket"
}

# tcpext NETNS NAME: TCP extended counter NAME of NETNS (/proc/net/netstat).
tcpext()
{
	ip netns exec "$1" awk -v n="$2" '$1 == "TcpExt:" {
		if (!h) { for (i = 2; i <= NF; i++) f[i] = $i; h = 1; next }
		for (i = 2; i <= NF; i++) if (f[i] == n) print $i }' /proc/net/netstat
}

# tfo_echoes N: N echo connections to port 7020 from a TCP Fast Open client
# (the request in the SYN when it holds a cookie); how many came back whole.
tfo_echoes()
{
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" "$1" <<'PY'
import os, socket, sys
host, n, ok = sys.argv[1], int(sys.argv[2]), 0
for i in range(n):
    data = b"tfo%d " % i + os.urandom(300)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        # blocking: connects, with the data in the SYN when it can
        s.sendto(data, socket.MSG_FASTOPEN, (host, 7020))
        s.settimeout(20)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        ok += got == data
    except OSError as e:
        print("# connection %d: %s" % (i, e))
    s.close()
print(ok)
PY
}

# TCP Fast Open clients. The cookie SYN-ACK carries no Fast Open cookie and
# acknowledges the SYN only, as the kernel's own cookies do: a client that
# holds a cookie from before sends its data in the SYN, sees it
# unacknowledged (TCPFastOpenActiveFail) and sends it again after the
# handshake, whole and once; the listener never takes data from a SYN (the
# replayed SYN has neither data nor the option). Unprotected again, the
# same client and listener are back to data in the SYN.
test_fastopen()
{
	local ns n msg tfo fail

	setup || { check_err 1 "setup"; log_test "TCP Fast Open"; return; }
	for ns in "$CLIENT" "$SERVER"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=3
	done
	# a Fast Open listener (queue of 16) echoing each connection
	bg "$SERVER" python3 -c '
import socket, sys, threading
def echo(c):
    with c:
        while True:
            b = c.recv(4096)
            if not b:
                break
            c.sendall(b)
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
l = socket.socket(fam)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
l.bind((sys.argv[1], 7020))
l.listen(128)
while True:
    threading.Thread(target=echo, args=(l.accept()[0],), daemon=True).start()
' "$SERVER_IP"
	wait_listen "$SERVER" 7020
	# unprotected: the first connection fetches a cookie, the others use it
	tfo=$(tcpext "$SERVER" TCPFastOpenPassive)
	n=$(tfo_echoes 3)
	[ "$n" = 3 ] && [ "$(tcpext "$SERVER" TCPFastOpenPassive)" = $((tfo + 2)) ]
	check_err $? "unprotected: $n of 3 echoes, TCPFastOpenPassive +$(($(tcpext "$SERVER" TCPFastOpenPassive) - tfo)), not 2"

	synctl -n "$SERVER" ports add 7020
	synctl -n "$SERVER" -j stats >"$XSP_TMP/stats1"
	tfo=$(tcpext "$SERVER" TCPFastOpenPassive)
	fail=$(tcpext "$CLIENT" TCPFastOpenActiveFail)
	n=$(tfo_echoes 5)
	[ "$n" = 5 ]
	check_err $? "protected: $n of 5 Fast Open echoes came back whole"
	[ "$(tcpext "$CLIENT" TCPFastOpenActiveFail)" = $((fail + 5)) ] &&
		[ "$(tcpext "$SERVER" TCPFastOpenPassive)" = "$tfo" ]
	check_err $? "protected: client TCPFastOpenActiveFail +$(($(tcpext "$CLIENT" TCPFastOpenActiveFail) - fail)) (not 5), server TCPFastOpenPassive +$(($(tcpext "$SERVER" TCPFastOpenPassive) - tfo)) (not 0)"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/stats1" 5 syn_recv \
		syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)
	check_err $? "$msg"

	synctl -n "$SERVER" ports del 7020
	tfo=$(tcpext "$SERVER" TCPFastOpenPassive)
	n=$(tfo_echoes 2)
	[ "$n" = 2 ] && [ "$(tcpext "$SERVER" TCPFastOpenPassive)" = $((tfo + 2)) ]
	check_err $? "unprotected again: $n of 2 echoes, TCPFastOpenPassive +$(($(tcpext "$SERVER" TCPFastOpenPassive) - tfo)), not 2"
	log_test "TCP Fast Open client: data in the SYN sent again after the cookie handshake, Fast Open back when unprotected"
}

# fam_delta FAMILY NAME: growth of one family's counter since stats0.
fam_delta()
{
	xsp_stat_delta "$1.$2" "$XSP_TMP/stats0" "$SERVER"
}

# One dual-stack listener (IPv6 socket, v4-mapped IPv4 clients): protected
# for both families by default, for one only with "family".
test_dual_stack()
{
	local fam

	[ "$XSP_FAMILY" = 6 ] && return	# covers both families itself
	setup || { check_err 1 "setup"; log_test "dual stack"; return; }
	bg "$SERVER" socat -T30 -t10 TCP6-LISTEN:7100,reuseaddr,fork,ipv6only=0 EXEC:cat
	wait_listen "$SERVER" 7100
	synctl -n "$SERVER" ports add 7100
	check_err $? "ports add 7100 failed"
	synctl -n "$SERVER" -j stats >"$XSP_TMP/stats0"
	tcp_echo "$CLIENT" $SERVER_IP4 7100 v4 && tcp_echo "$CLIENT" "[$SERVER_IP6]" 7100 v6
	check_err $? "a dual-stack connection failed"
	[ "$(fam_delta ipv4 synack_rewritten)" = 1 ] && [ "$(fam_delta ipv6 synack_rewritten)" = 1 ]
	check_err $? "both families not protected: ipv4 +$(fam_delta ipv4 synack_rewritten), ipv6 +$(fam_delta ipv6 synack_rewritten)"
	for fam in inet inet6; do
		synctl -n "$SERVER" ports del all
		synctl -n "$SERVER" ports add 7100 family $fam
		check_err $? "ports add 7100 family $fam failed"
		synctl -n "$SERVER" -j stats >"$XSP_TMP/stats0"
		tcp_echo "$CLIENT" $SERVER_IP4 7100 v4 && tcp_echo "$CLIENT" "[$SERVER_IP6]" 7100 v6
		check_err $? "with family $fam only, a connection failed"
		if [ $fam = inet ]; then
			[ "$(fam_delta ipv4 synack_rewritten)" = 1 ] && [ "$(fam_delta ipv6 syn_recv)" = 0 ]
		else
			[ "$(fam_delta ipv6 synack_rewritten)" = 1 ] && [ "$(fam_delta ipv4 syn_recv)" = 0 ]
		fi
		check_err $? "family $fam: the other family was not left to the stack: ipv4 syn_recv +$(fam_delta ipv4 syn_recv) synack_rewritten +$(fam_delta ipv4 synack_rewritten), ipv6 syn_recv +$(fam_delta ipv6 syn_recv) synack_rewritten +$(fam_delta ipv6 synack_rewritten)"
	done
	synctl -n "$SERVER" ports show | grep -q "7100 family inet6"
	check_err $? "ports show does not say the range is IPv6 only"
	log_test "dual-stack listener: both families protected; family inet or inet6 protects one"
}

require_root
require_cmd synctl socat curl iperf3 python3
run_tests

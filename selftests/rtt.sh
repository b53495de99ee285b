#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A protected handshake gives the server socket the path's RTT, not the
# microseconds between the stack's own (consumed) SYN-ACK and the ACK: with
# 100 ms of path delay, srtt and min_rtt at accept() are either >= 50 ms or
# "no sample yet" (srtt 0, min_rtt ~0U, as the kernel's own cookies leave
# them), with and without client timestamps. With timestamps the cookie's
# TSval says when our SYN-ACK left; without, there is no sample. Over IPv4
# and IPv6.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_unprotected
	test_timestamps
	test_no_timestamps
"

DELAY_MS=50	# each way

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	ip netns exec "$CLIENT" tc qdisc add dev veth-c root netem delay ${DELAY_MS}ms || return 1
	ip netns exec "$SERVER" tc qdisc add dev veth-s root netem delay ${DELAY_MS}ms || return 1
	cat >"$XSP_TMP/server.py" <<'PY'
import socket, struct, sys
# struct tcp_info: 8 bytes, 24 u32 (tcpi_rtt is the 16th), 4 u64, 4 u32
# (tcpi_min_rtt is the last).
v6 = ":" in sys.argv[3]
l = socket.create_server((sys.argv[3], int(sys.argv[1])),
                         family=socket.AF_INET6 if v6 else socket.AF_INET)
out = open(sys.argv[2], "w")
while True:
    c, peer = l.accept()
    info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    f = struct.unpack_from("=8B24I4Q4I", info)
    rtt, rttvar, min_rtt = f[8 + 15], f[8 + 16], f[8 + 24 + 4 + 3]
    out.write(f"{peer[1]} {rtt} {rttvar} {min_rtt}\n")
    out.flush()
    c.close()
PY
	bg "$SERVER" python3 "$XSP_TMP/server.py" 7100 "$XSP_TMP/info" $SERVER_IP
	wait_listen "$SERVER" 7100
}

# connect N: N connections from the client; the server records TCP_INFO
# at accept() for each.
connect()
{
	local i

	for ((i = 0; i < $1; i++)); do
		ip netns exec "$CLIENT" python3 -c "
import socket
s = socket.create_connection(('$SERVER_IP', 7100), timeout=20)
s.settimeout(20)
s.recv(1)" || return 1
	done
}

# check_rtt NOSAMPLE_OK: every recorded accept has srtt and min_rtt of at
# least half the path's RTT, or (if NOSAMPLE_OK) no sample at all.
check_rtt()
{
	local nosample_ok=$1 half=$((DELAY_MS * 1000))

	sed 's/^/# accept: port srtt rttvar min_rtt (us): /' "$XSP_TMP/info"
	[ "$(wc -l <"$XSP_TMP/info")" -ge 3 ] || return 1
	awk -v half="$half" -v nos="$nosample_ok" '
		{ ok = ($2 >= half && $4 >= half && $4 < 4294967295) ||
		       (nos && $2 == 0 && $4 == 4294967295) }
		!ok { bad++ }
		END { exit bad ? 1 : 0 }' "$XSP_TMP/info"
}

test_unprotected()
{
	setup || { check_err 1 "setup"; log_test "unprotected"; return; }
	connect 3
	check_err $? "connections failed"
	check_rtt 0
	check_err $? "the stack's own handshake RTT is not the path's: netem not in place?"
	log_test "unprotected port: the stack measures the 100 ms path (control)"
}

test_timestamps()
{
	setup || { check_err 1 "setup"; log_test "timestamps"; return; }
	synctl -n "$SERVER" ports add 7100
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	connect 3
	check_err $? "connections failed"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" -ge 3 ]
	check_err $? "the handshakes were not the module's"
	check_rtt 0
	check_err $? "srtt or min_rtt below half the path's RTT"
	log_test "with timestamps: srtt and min_rtt at accept() are the path's (>= 50 ms)"
}

test_no_timestamps()
{
	setup || { check_err 1 "setup"; log_test "no timestamps"; return; }
	ip netns exec "$CLIENT" sysctl -qw net.ipv4.tcp_timestamps=0
	synctl -n "$SERVER" ports add 7100
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	connect 3
	check_err $? "connections failed"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" -ge 3 ]
	check_err $? "the handshakes were not the module's"
	check_rtt 1
	check_err $? "srtt or min_rtt microseconds instead of the path's or none"
	log_test "without timestamps: no RTT sample at accept() (or the path's), never microseconds"
}

require_root
require_cmd synctl python3 tc
run_tests

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPsec transport mode between client and server: static ESP SAs
# (AES-CBC, HMAC-SHA1-96, fixed keys) and policies requiring ESP for all
# TCP between the two hosts, both ways (ICMP stays in the clear); and the
# same with AH (HMAC-SHA1-96). Every test over IPv4 and again over IPv6.
#
# Verdict: protected. The client's SYN arrives as ESP, is decrypted and
# walks PRE_ROUTING and LOCAL_IN with its secpath, so the module answers it
# (the inbound policy check passes), and the cookie SYN-ACK, routed as the
# stack routes its own, matches the outbound policy and leaves encrypted.
# The ACK's replayed SYN is rebuilt from the decrypted ACK (secpath kept)
# and handed to the transport-mode okfn, which queues it for the xfrm
# tasklet: the replay is deferred and the ACK follows it through the same
# queue.
# A plaintext SYN from the client's address (its outbound policy removed)
# is dropped by the stack's inbound policy check: with the port protected
# the module sees it at LOCAL_IN, counts syn_policy and leaves it to the
# stack, which drops it as it does with the port unprotected: no answer,
# encrypted or not.
# With AH, the module judges the segment once xfrm has checked and
# stripped AH, as with ESP: over IPv6, where AH is an extension header in
# front of TCP, the SYN is not judged (nor counted) on its first pass.
source "$(dirname "$0")/lib.sh"
source "$XSP_SELFTESTS/xsp_helpers.bash"

FAMILIES="4 6"
TESTS="
	test_transport
	test_transport_ah
	test_plaintext_syn
"

PORT=443
NCONN=5
# Client to server SA (SPI 0x100) and back (SPI 0x200).
ENC1=0x00112233445566778899aabbccddeeff
AUTH1=0x0102030405060708090a0b0c0d0e0f1011121314
ENC2=0xffeeddccbbaa99887766554433221100
AUTH2=0x1415161718191a1b1c1d1e1f2021222324252627

# xfrm_side NETNS LOCAL REMOTE [esp|ah]: the SAs and the TCP policies of
# one end (reqid 1: client to server, 2: back).
xfrm_side()
{
	local ns=$1 l=$2 r=$3 proto=${4:-esp} out=1 in=2 enc1=() enc2=()

	[ "$l" = $SERVER_IP ] && out=2 in=1
	[ "$proto" = esp ] && enc1=(enc 'cbc(aes)' "$ENC1") enc2=(enc 'cbc(aes)' "$ENC2")

	ip -n "$ns" xfrm state add src $CLIENT_IP dst $SERVER_IP proto "$proto" \
		spi 0x100 reqid 1 mode transport \
		"${enc1[@]}" auth-trunc 'hmac(sha1)' $AUTH1 96 || return 1
	ip -n "$ns" xfrm state add src $SERVER_IP dst $CLIENT_IP proto "$proto" \
		spi 0x200 reqid 2 mode transport \
		"${enc2[@]}" auth-trunc 'hmac(sha1)' $AUTH2 96 || return 1
	ip -n "$ns" xfrm policy add src "$l" dst "$r" proto tcp dir out \
		tmpl src "$l" dst "$r" proto "$proto" reqid $out mode transport || return 1
	ip -n "$ns" xfrm policy add src "$r" dst "$l" proto tcp dir in \
		tmpl src "$r" dst "$l" proto "$proto" reqid $in mode transport
}

# setup [esp|ah]
setup()
{
	xsp_load || return 1
	setup_pair || return 1
	xfrm_side "$CLIENT" $CLIENT_IP $SERVER_IP "${1:-esp}" || return 1
	xfrm_side "$SERVER" $SERVER_IP $CLIENT_IP "${1:-esp}" || return 1
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" $PORT
}

# esp_decrypt NAME FROM TO: the capture's packets in the window, ESP
# decrypted with the test's keys.
esp_decrypt()
{
	cap_read "$1" "$2" "$3" \
		-E "0x100@$SERVER_IP aes128-cbc-hmac96:$ENC1,0x200@$CLIENT_IP aes128-cbc-hmac96:$ENC2"
}

# counters_at_least N NAME...: each of the server's counters moved by at
# least N since the snapshot; counters_still NAME...: each did not move.
counters_at_least()
{
	local n=$1 c d

	shift
	for c in "$@"; do
		d=$(xsp_stat_delta "$c" "$XSP_TMP/s0" "$SERVER")
		[ "${d:-0}" -ge "$n" ]
		check_err $? "$c moved by ${d:-?}, want >= $n"
	done
}

counters_still()
{
	local c d

	for c in "$@"; do
		d=$(xsp_stat_delta "$c" "$XSP_TMP/s0" "$SERVER")
		[ "$d" = 0 ]
		check_err $? "$c moved by ${d:-?}"
	done
}

test_transport()
{
	local t0 t1 sum d plain esp synacks

	require_cmd tcpdump
	setup || { check_err 1 "setup"; log_test "transport mode"; return; }
	cap_start wire "$CLIENT" veth-c
	long_start before "$CLIENT" $SERVER_IP $PORT
	check_err $? "the connection before ports add did not echo over ESP"
	synctl -n "$SERVER" ports add $PORT || { check_err 1 "ports add"; log_test "transport mode"; return; }
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	t0=$(now)
	long_alive before
	check_err $? "the connection opened before ports add stopped echoing after it"
	sum=$(many_conns "$CLIENT" $SERVER_IP $PORT $NCONN)
	check_err $? "new connections over ESP failed: $sum"
	log_info "$NCONN connections: $sum"
	long_start after "$CLIENT" $SERVER_IP $PORT
	check_err $? "a connection after ports add did not echo"
	d=$(ip netns exec "$SERVER" ss -Htn state established "( sport = :$PORT )" | wc -l)
	[ "$d" -ge 2 ]
	check_err $? "$d established server sockets on port $PORT, want 2"
	long_stop after
	check_err $? "the connection after ports add lost an echo"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	t1=$(now)
	cap_stop wire

	# A SYN that came over ESP has a secpath: never the SYN-ACK's buffer.
	counters_at_least $((NCONN + 1)) syn_answered synack_rewritten synack_copy_ipsec
	counters_still cookie_invalid replay_failed syn_policy ack_rejected synack_reused
	log_info "module: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"

	plain=$(cap_count wire "$t0" "$t1" tcp)
	[ "$plain" = 0 ]
	check_err $? "$plain plaintext TCP packets on the wire"
	esp=$(cap_count wire "$t0" "$t1" "src $SERVER_IP and esp")
	synacks=$(esp_decrypt wire "$t0" "$t1" | grep -c "^[0-9.]* IP6\? $SERVER_IP > .*: $PORT > [0-9]*: Flags \[S\.\]")
	log_info "from the server after ports add: $esp ESP packets, $synacks of them SYN-ACKs (decrypted)"
	esp_decrypt wire "$t0" "$t1" | grep -m3 'Flags \[S\.\]' | sed 's/^/#   /'
	[ "$synacks" -ge $((NCONN + 1)) ]
	check_err $? "$synacks encrypted SYN-ACKs from the server, want >= $((NCONN + 1))"
	log_test "transport mode: before/after ports add, cookie SYN-ACKs leave encrypted"
}

# The same over AH: the segments are in the clear behind AH; the module
# answers each SYN once xfrm has checked it, and counts it once.
test_transport_ah()
{
	local t0 t1 sum synacks recv answered

	require_cmd tcpdump
	setup ah || { check_err 1 "setup"; log_test "transport mode, AH"; return; }
	cap_start wire "$CLIENT" veth-c
	synctl -n "$SERVER" ports add $PORT || { check_err 1 "ports add"; log_test "transport mode, AH"; return; }
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	t0=$(now)
	sum=$(many_conns "$CLIENT" $SERVER_IP $PORT $NCONN)
	check_err $? "new connections over AH failed: $sum"
	log_info "$NCONN connections: $sum"
	long_start after "$CLIENT" $SERVER_IP $PORT
	check_err $? "a connection after ports add did not echo"
	long_stop after
	check_err $? "the connection after ports add lost an echo"
	t1=$(now)
	cap_stop wire

	counters_at_least $((NCONN + 1)) syn_answered synack_rewritten
	counters_still cookie_invalid replay_failed syn_policy ack_rejected syn_unsupported synack_reused
	recv=$(xsp_stat_delta syn_recv "$XSP_TMP/s0" "$SERVER")
	answered=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	[ "$recv" = "$answered" ]
	check_err $? "syn_recv moved by $recv for $answered SYNs answered (counted twice?)"
	log_info "module: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	synacks=$(cap_read wire "$t0" "$t1" | grep -c "^[0-9.]* IP6\? $SERVER_IP > .*AH(.*: $PORT > [0-9]*: Flags \[S\.\]")
	log_info "SYN-ACKs from the server behind AH: $synacks"
	cap_read wire "$t0" "$t1" | grep -m2 'Flags \[S\.\]' | sed 's/^/#   /'
	[ "$synacks" -ge $((NCONN + 1)) ]
	check_err $? "$synacks SYN-ACKs behind AH from the server, want >= $((NCONN + 1))"
	log_test "transport mode, AH: cookie SYN-ACKs leave behind AH, each SYN judged (and counted) once"
}

# plain_probe: a connect from the client with its outbound TCP policy
# removed (the SYNs go out in the clear); true if it connected.
plain_probe()
{
	ip netns exec "$CLIENT" socat -T2 /dev/null \
		"TCP:$SERVER_HOST:$PORT,connect-timeout=2" 2>/dev/null
}

# client_syns: SYNs the client's stack has sent (connects and their SYN
# retransmissions), from its own counters: a capture can miss the last
# ones when tcpdump is stopped on a loaded guest.
client_syns()
{
	ip netns exec "$CLIENT" nstat -asz TcpActiveOpens TcpExtTCPSynRetrans |
		awk '/^Tcp/ { s += $2 } END { print s + 0 }'
}

test_plaintext_syn()
{
	local t0 t1 t2 from syns d sent syn

	require_cmd tcpdump
	syn=$(tcp_flags_is == tcp-syn)
	setup || { check_err 1 "setup"; log_test "plaintext SYN"; return; }
	ip -n "$CLIENT" xfrm policy del src $CLIENT_IP dst $SERVER_IP proto tcp dir out
	cap_start wire "$CLIENT" veth-c
	t0=$(now)
	plain_probe
	check_fail $? "unprotected port: a plaintext connection succeeded"
	t1=$(now)
	synctl -n "$SERVER" ports add $PORT
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	sent=$(client_syns)
	plain_probe
	check_fail $? "protected port: a plaintext connection succeeded"
	t2=$(now)
	sent=$(($(client_syns) - sent))
	cap_stop wire

	syns=$(cap_count wire "$t0" "$t1" "tcp dst port $PORT and $syn")
	from=$(cap_count wire "$t0" "$t1" "src $SERVER_IP and (tcp or esp)")
	log_info "unprotected: $syns plaintext SYNs, $from packets back"
	[ "$syns" -ge 1 ] && [ "$from" = 0 ]
	check_err $? "unprotected: $syns plaintext SYNs, $from packets from the server"
	syns=$(cap_count wire "$t1" "$t2" "tcp dst port $PORT and $syn")
	from=$(cap_count wire "$t1" "$t2" "src $SERVER_IP and (tcp or esp)")
	log_info "protected: $syns plaintext SYNs, $from packets back"
	[ "$syns" -ge 1 ] && [ "$from" = 0 ]
	check_err $? "protected: $syns plaintext SYNs, $from packets from the server (answered)"
	d=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	[ "$d" = 0 ]
	check_err $? "syn_answered moved by $d for plaintext SYNs"
	d=$(xsp_stat_delta syn_policy "$XSP_TMP/s0" "$SERVER")
	[ "$d" -ge 1 ] && [ "$d" -le "$sent" ]
	check_err $? "syn_policy moved by $d for $sent plaintext SYNs sent ($syns captured)"
	log_info "module: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	log_test "plaintext SYN where the policy requires ESP: no answer, with or without protection"
}

require_root
require_cmd synctl socat python3
run_tests

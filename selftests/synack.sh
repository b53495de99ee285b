#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SYN becomes its SYN-ACK: where nothing the SYN carries could leak into
# the reply, the module writes the cookie SYN-ACK into the SYN's own buffer
# (synack_reused), else into a new one (synack_copy_*); `synctl datapath set
# synack copy` forces the second. The packets must be the same either way.
#
#   same_synack      a fixed SYN (no options; MSS, SACK_PERM, TS, WS) gets
#                    the same SYN-ACK, byte for byte, with synack auto
#                    (reused) and synack copy (copy_forced); with TS but
#                    for the cookie ISN, TSval and checksum, both cookies
#                    valid (cookie_tool) and alike
#   checksums        TX checksum offload off: valid IP and TCP checksums on
#                    both paths; on: the TCP checksum is left to the device
#   capture_keeps_syn  a packet socket on the server's device that reads
#                    only after the SYN-ACK left (it held a clone of the
#                    SYN) gets the SYN byte for byte, data on it included
#   l3_options       IPv4 options (NOPs, Router Alert), IPv6 destination
#                    options and hop-by-hop headers: copy_opts, the SYN-ACK
#                    of the same SYN without them
#   syn_payload      100 and 1200 bytes of data on the SYN: trimmed, the
#                    SYN-ACK acknowledges ISN+1 only, has no payload
#   mark_tos_conntrack  SYN marked 0x77 in PREROUTING, sent with TOS 0xba:
#                    SYN-ACK mark 0 / 0x77 with tcp_fwmark_accept 0 / 1,
#                    TOS 0 / 0xb8 with tcp_reflect_tos 0 / 1, untracked,
#                    no conntrack entry (nft counters in POSTROUTING)
#   vlan             the server's address on 802.1Q VID 100 over the veth:
#                    real handshakes, one tag on every SYN-ACK
#   bridge, bond     the server's address on a bridge, on an active-backup
#                    bond: real handshakes and echoes
#   real_clients     20 echo connections with synack auto, 20 with copy:
#                    syn_answered == synack_reused + synack_copy_*
#   reply_route      the reply routed by a policy rule: completes on both
#                    paths; no route back: no SYN-ACK, syn_no_route, as the
#                    stack without the module
# Each asserts on counters (which moved, by how much, in which family),
# captured packets and the server's sockets; the crafted cases are in
# synack.py, the first five run as one test function (one setup, one
# scapy import) that gives a result for each. Every test runs for IPv4 and
# IPv6.
source "$(dirname "$0")/lib.sh"
source "$XSP_SELFTESTS/xsp_helpers.bash"

FAMILIES="4 6"
TESTS="
	test_crafted_cases
	test_mark_tos_conntrack
	test_vlan
	test_bridge
	test_bond
	test_real_clients
	test_reply_route
"

PORT=443
VID=100
KEY=00112233445566778899aabbccddeeff
EPOCH_LEN=3600
COOKIE_TOOL=$XSP_SELFTESTS/cookie/cookie_tool
SYNACK_PATHS="synack_reused synack_copy_forced synack_copy_opts synack_copy_ipsec synack_copy_other"

# --- crafted SYNs (synack.py) ----------------------------------------------

# setup_crafted: the pair, an echo server on PORT, protected with a known
# key (cookie_tool checks the cookies) and hour-long epochs (a cookie
# without timestamps stays the same for that long); flow labels off in the
# server, so IPv6 SYN-ACKs compare whole; the client kernel must not reset
# the handshakes scapy drives.
setup_crafted()
{
	xsp_load || return 1
	setup_pair || return 1
	client_drops_rsts "$CLIENT" || return 1
	ip netns exec "$SERVER" sysctl -qw net.ipv6.auto_flowlabels=0 || return 1
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" $PORT || return 1
	synctl -n "$SERVER" ports add $PORT || return 1
	echo $KEY | synctl -n "$SERVER" salt set --key-file - >/dev/null || return 1
	synctl -n "$SERVER" salt set --epoch-len $EPOCH_LEN >/dev/null
}

# py_run CASE...: synack.py CASE... in the client namespace; its output,
# every line a "# " line, in XSP_PY_OUT; its exit status.
py_run()
{
	XSP_PY_OUT=$(SERVER=$SERVER SERVER_IP=$SERVER_IP CLIENT_IP=$CLIENT_IP \
		SERVER_MAC=$(ip netns exec "$SERVER" cat /sys/class/net/veth-s/address) \
		COOKIE_TOOL=$COOKIE_TOOL XSP_KEY=$KEY XSP_EPOCH_LEN=$EPOCH_LEN \
		XSP_TMP=$XSP_TMP XSP_PORT=$PORT \
		ip netns exec "$CLIENT" python3 "$XSP_SELFTESTS/synack.py" "$@" 2>&1 |
		sed -e '/^#/!s/^/# /'; exit "${PIPESTATUS[0]}")
}

# py_cases CASE:DESC...: the cases in one synack.py run (one scapy import;
# every case has source ports of its own) on the setup made before, one
# test result each, each after its part of the log. A setup that failed
# (RET set) fails every case and runs none.
py_cases()
{
	local ret=$RET msg=$XSP_RETMSG c name seg n rc

	if [ "$ret" = 0 ]; then
		py_run "${@%%:*}"
		rc=$?
		sed '/^# case [a-z0-9]*$/,$d' <<<"$XSP_PY_OUT"
	fi
	for c; do
		name=${c%%:*}
		if [ "$ret" != 0 ]; then
			check_err "$ret" "$msg"
			log_test "${c#*:}"
			continue
		fi
		seg=$(awk -v c="# case $name" '
			$0 == c { on = 1; print; next }
			on && /^# case [a-z0-9]+$/ { on = 0 }
			on { print }
			on && index($0, c ": ") == 1 { on = 0 }' <<<"$XSP_PY_OUT")
		[ -z "$seg" ] || echo "$seg"
		n=$(sed -n "s/^# case $name: \([0-9]*\) problem.*/\1/p" <<<"$seg")
		if [ -z "$n" ]; then
			check_err 1 "synack.py did not finish case $name (exit $rc): $(tail -1 <<<"${seg:-$XSP_PY_OUT}")"
		elif [ "$n" != 0 ]; then
			check_err 1 "$(grep -m1 '^# FAIL: ' <<<"$seg" | cut -c9-)"
		fi
		log_test "${c#*:}"
	done
}

# synack.py's cases on one setup: the same SYN-ACK from both paths, the
# checksums, a capture on the input device, L3 options, data on the SYN.
test_crafted_cases()
{
	local what="IPv4 options (NOPs, Router Alert)"

	[ "$XSP_FAMILY" = 6 ] && what="destination options and hop-by-hop headers"
	setup_crafted
	check_err $? "setup"
	py_cases \
		"same:synack auto (reused) and copy send the same SYN-ACK to a fixed SYN, with and without options" \
		"csum:TX checksum offload off: valid IP and TCP checksums on both paths (on: left to the device)" \
		"tap:a packet socket on the input device reads the SYN byte for byte after it became the SYN-ACK" \
		"l3opts:SYN with $what: synack_copy_opts, the SYN-ACK of the same SYN without them" \
		"payload:data on the SYN (100, 1200 bytes): trimmed, SYN-ACK acknowledges ISN+1 only, no payload"
}

test_mark_tos_conntrack()
{
	setup_crafted || { check_err 1 "setup"; log_test "mark, TOS, conntrack"; return; }
	ip netns exec "$SERVER" nft -f - <<'NFT'
table inet xsp_t {
	counter syn_marked {
	}
	counter sa_all {
	}
	counter sa_mark77 {
	}
	counter sa_mark0 {
	}
	counter sa_untracked {
	}
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		tcp dport 443 tcp flags & (syn | ack) == syn meta mark set 0x77 counter name syn_marked
	}
	chain post {
		type filter hook postrouting priority mangle; policy accept;
		tcp sport 443 tcp flags & (syn | ack) == syn | ack jump synack
	}
	chain synack {
		counter name sa_all
		meta mark 0x77 counter name sa_mark77
		meta mark 0 counter name sa_mark0
		ct state untracked counter name sa_untracked
	}
}
NFT
	check_err $? "nft ruleset"
	py_cases "marktos:SYN-ACK mark (tcp_fwmark_accept), TOS (tcp_reflect_tos), untracked: the same on both paths"
}

# --- real clients over other devices ---------------------------------------

# setup_topo KIND: client and server joined by veth, their addresses (both
# families) on KIND: veth; vlan (802.1Q VID $VID on top of the veth, both
# ends); bridge (the server's on br0, veth-s enslaved); bond (the server's
# on bond0, active-backup, veth-s enslaved). An echo server on PORT,
# protected; TX checksum offload off everywhere so that captures show
# finished checksums.
setup_topo()
{
	local kind=$1 cdev=veth-c sdev=veth-s d

	xsp_load || return 1
	setup_ns CLIENT SERVER || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-s \
		netns "$SERVER" || return 1
	case $kind in
	vlan)
		ip -n "$CLIENT" link add link veth-c name veth-c.$VID type vlan id $VID &&
			ip -n "$SERVER" link add link veth-s name veth-s.$VID type vlan id $VID ||
			return 1
		cdev=veth-c.$VID sdev=veth-s.$VID
		;;
	bridge)
		ip -n "$SERVER" link add br0 type bridge &&
			ip -n "$SERVER" link set veth-s master br0 || return 1
		sdev=br0
		;;
	bond)
		ip -n "$SERVER" link add bond0 type bond mode active-backup miimon 100 &&
			ip -n "$SERVER" link set veth-s master bond0 || return 1
		sdev=bond0
		;;
	esac
	ip -n "$CLIENT" addr add $CLIENT_IP4/24 dev $cdev &&
		ip -n "$SERVER" addr add $SERVER_IP4/24 dev $sdev &&
		ip -n "$CLIENT" addr add $CLIENT_IP6/64 dev $cdev nodad &&
		ip -n "$SERVER" addr add $SERVER_IP6/64 dev $sdev nodad || return 1
	for d in veth-c $cdev; do
		ip -n "$CLIENT" link set $d up
		ip netns exec "$CLIENT" ethtool -K $d tx off >/dev/null 2>&1
	done
	for d in veth-s $sdev; do
		ip -n "$SERVER" link set $d up
		ip netns exec "$SERVER" ethtool -K $d tx off >/dev/null 2>&1
	done
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $SERVER_IP4 &&
		wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 $SERVER_IP6 || return 1
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" $PORT || return 1
	synctl -n "$SERVER" ports add $PORT
}

# paths_add_up BEFORE MODE N: since the snapshot, at least N SYN-ACKs were
# sent, handshakes completed, all in this test's family, each SYN-ACK
# counted in exactly one path, the one MODE wants: syn_answered ==
# synack_reused + synack_copy_* for the family and the totals, reused only
# with auto, copy_forced only with copy. Prints the deltas.
paths_add_up()
{
	synctl -n "$SERVER" -j stats | python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
a = json.load(sys.stdin)
mode, n = sys.argv[2], int(sys.argv[3])
fam, other = ("ipv6", "ipv4") if sys.argv[4] == "6" else ("ipv4", "ipv6")
paths = sys.argv[5].split()
want = "synack_reused" if mode == "auto" else "synack_copy_forced"
bad = []
def d(blk, k):
    return (a[blk] if blk else a)[k] - (b[blk] if blk else b)[k]
for blk, name in ((fam, fam), (None, "total")):
    ans = d(blk, "syn_answered")
    s = sum(d(blk, k) for k in paths)
    if ans != s:
        bad.append("%s: syn_answered +%d != sum of the paths +%d" % (name, ans, s))
if d(fam, want) != d(fam, "syn_answered") or d(fam, want) < n:
    bad.append("%s +%d, syn_answered +%d: want them equal, >= %d" %
               (want, d(fam, want), d(fam, "syn_answered"), n))
for k in ("cookie_valid", "syn_replayed", "synack_rewritten"):
    if d(fam, k) < n:
        bad.append("%s +%d < %d" % (k, d(fam, k), n))
for k in a[other]:
    if d(other, k):
        bad.append("%s %s +%d" % (other, k, d(other, k)))
print(mode + ": " + " ".join("%s+%d" % (k, d(fam, k)) for k in
      ["syn_answered", "cookie_valid"] + paths if d(fam, k)))
if bad:
    print("; ".join(bad))
    sys.exit(1)
' "$1" "$2" "$3" "$XSP_FAMILY" "$SYNACK_PATHS"
}

# synacks FROM TO: the SYN-ACKs from PORT in the capture "wire" between the
# timestamps FROM and TO, one tcpdump -e -vv line each.
synacks()
{
	tcpdump -r "$XSP_TMP/wire.pcap" -nn -tt -e -vv 2>/dev/null |
		sed -e ':a' -e 'N' -e '$!ba' -e 's/\n  */ /g' |
		awk -v a="$1" -v b="$2" '$1 >= a && $1 < b' |
		grep -E "${SERVER_IP//./\\.}\\.$PORT > .*Flags \\[S\\.\\]"
}

# real_run MODE N: N echo connections with synack MODE; the counters add
# up, the SYN-ACKs captured on the server's veth (cap_start wire) are
# there, with correct TCP checksums, and no request socket is left over.
# Sets XSP_SA_LINES to those SYN-ACKs.
real_run()
{
	local mode=$1 n=$2 msg cnt bad t0 t1

	synctl -n "$SERVER" datapath set synack "$mode" >/dev/null
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s-$mode"
	t0=$(now)
	msg=$(many_conns "$CLIENT" "$SERVER_IP" $PORT "$n" 2>"$XSP_TMP/conns-$mode")
	check_err $? "$mode: $msg"
	[ "$RET" = 0 ] || sed 's/^/# /' "$XSP_TMP/conns-$mode"
	log_info "$mode: $msg"
	t1=$(now)
	msg=$(paths_add_up "$XSP_TMP/s-$mode" "$mode" "$n")
	check_err $? "$msg"
	log_info "$msg"
	sleep 1		# tcpdump -U writes each packet at once, but not before it has it
	XSP_SA_LINES=$(synacks "$t0" "$t1")
	cnt=$(grep -c . <<<"$XSP_SA_LINES")
	[ "$cnt" -ge "$n" ]
	check_err $? "$mode: $cnt SYN-ACKs captured on veth-s for $n connections"
	bad=$(grep -v 'cksum 0x[0-9a-f]* (correct)' <<<"$XSP_SA_LINES" | grep -c .)
	[ "$bad" = 0 ]
	check_err $? "$mode: $bad SYN-ACKs without a correct TCP checksum: $(grep -v -m1 '(correct)' <<<"$XSP_SA_LINES")"
	[ -z "$(ip netns exec "$SERVER" ss -Htn state syn-recv "( sport = :$PORT )")" ]
	check_err $? "$mode: request sockets left on the server"
}

# real_test KIND N: the topology, then N connections with synack auto and N
# with copy, captured on the server's veth.
real_test()
{
	setup_topo "$1" || return 1
	cap_start wire "$SERVER" veth-s || return 1
	real_run auto "$2"
	real_run copy "$2"
}

# Every SYN-ACK of the last real_run carries one 802.1Q tag, of VID $VID
# (tcpdump -e: "ethertype 802.1Q (0x8100), length 78: vlan 100, p 0,
# ethertype IPv4"; a second tag would add another "vlan N, p N").
one_tag()
{
	local bad

	bad=$(awk '{ n = gsub(/vlan [0-9]+, p [0-9]/, "&"); if (n != 1 || !/vlan '$VID', p/) print }' <<<"$XSP_SA_LINES")
	[ -z "$bad" ]
	check_err $? "$1: SYN-ACK not tagged once with VID $VID: $(head -1 <<<"$bad")"
	log_info "$1: $(head -1 <<<"$XSP_SA_LINES" | grep -o 'ethertype 802.1Q.*ethertype [^,]*')"
}

test_vlan()
{
	setup_topo vlan && cap_start wire "$SERVER" veth-s ||
		{ check_err 1 "setup"; log_test "802.1Q VLAN"; return; }
	real_run auto 5
	one_tag auto
	real_run copy 5
	one_tag copy
	log_test "802.1Q VLAN over the veth: handshakes complete, one tag of VID $VID on every SYN-ACK, both paths"
}

test_bridge()
{
	real_test bridge 5 || { check_err 1 "setup"; log_test "bridge"; return; }
	log_test "the server's address on a bridge: handshakes and echoes complete, both paths"
}

test_bond()
{
	real_test bond 5 || { check_err 1 "setup"; log_test "bond"; return; }
	log_test "the server's address on an active-backup bond: handshakes and echoes complete, both paths"
}

test_real_clients()
{
	real_test veth 20 || { check_err 1 "setup"; log_test "real clients"; return; }
	log_test "20 echo connections with synack auto, 20 with copy: syn_answered == synack_reused + synack_copy_*"
}

# The reply to the client routed by a policy rule (table 100; the SYN's own
# input route is the local table's), then unroutable there: the first
# completes on both paths, the second gets no SYN-ACK and is counted
# (syn_no_route), as the stack, which the module leaves the SYN to, sends
# none either: checked again with the port unprotected.
test_reply_route()
{
	local ip=ip mode t0 t1 n msg="policy-routed and unroutable replies"

	setup_topo veth && cap_start wire "$SERVER" veth-s ||
		{ check_err 1 "setup"; log_test "$msg"; return; }
	[ "$XSP_FAMILY" = 6 ] && ip="ip -6"
	ip netns exec "$SERVER" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.veth-s.rp_filter=0
	$ip -n "$SERVER" rule add to "$CLIENT_IP" lookup 100 pref 100 &&
		$ip -n "$SERVER" route add "$CLIENT_IP" dev veth-s table 100 ||
		{ check_err 1 "policy rule and table 100"; log_test "$msg"; return; }
	real_run auto 5
	real_run copy 5

	$ip -n "$SERVER" route replace unreachable "$CLIENT_IP" table 100 ||
		{ check_err 1 "unreachable route"; log_test "$msg"; return; }
	for mode in auto copy none; do
		if [ $mode = none ]; then
			synctl -n "$SERVER" ports del $PORT
		else
			synctl -n "$SERVER" datapath set synack $mode >/dev/null
		fi
		xsp_stats_snapshot "$SERVER" "$XSP_TMP/s-unr"
		t0=$(now)
		ip netns exec "$CLIENT" socat -T3 - \
			"TCP:$SERVER_HOST:$PORT,connect-timeout=3" \
			</dev/null >/dev/null 2>&1
		[ $? != 0 ]
		check_err $? "$mode: connected with no route back to the client"
		t1=$(now)
		sleep 1
		n=$(synacks "$t0" "$t1" | grep -c .)
		[ "$n" = 0 ]
		check_err $? "$mode: $n SYN-ACKs on the wire with no route back"
		if [ $mode = none ]; then
			xsp_expect_moved "$SERVER" "$XSP_TMP/s-unr" 0
		else
			xsp_expect_moved "$SERVER" "$XSP_TMP/s-unr" 1 syn_recv syn_no_route
		fi
		check_err $? "$mode: $(xsp_stats_changed "$XSP_TMP/s-unr" "$SERVER")"
		log_info "no route back, $mode: $n SYN-ACKs, $(xsp_stats_changed "$XSP_TMP/s-unr" "$SERVER")"
	done
	log_test "policy-routed reply completes on both paths; unroutable: no SYN-ACK, syn_no_route, as without the module"
}

require_root
require_cmd synctl socat nft python3 tcpdump ethtool conntrack
python3 -c 'import scapy' 2>/dev/null || { echo "# SKIP: no scapy"; exit $KSFT_SKIP; }
run_tests

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inline IPS over NFQUEUE (Suricata-style "queue" rules): the server's TCP
# to the protected port goes through an NFQUEUE to a userspace verdict
# program (nfq_verdict, from nfq/) that accepts every packet after 50 ms, so
# whatever is queued comes back later, from the verdict's process context.
# Two positions of the queue rule:
#   input       filter INPUT, priority 0
#   prerouting  PREROUTING, priority -150 (mangle), before NAT, after
#               conntrack and the module's ACK hook (conntrack - 1)
# each without conntrack and with conntrack plus a stateful ruleset
# (be_liberal=0, policy drop, invalid counted and dropped), over IPv4 and
# again over IPv6.
#
# Verdict (what the datapath must do): protected. The client's SYN reaches
# the module's LOCAL_IN hook after the queue gave it back, and is answered
# with a cookie; the client's ACK replays the SYN, which meets the queue
# again (the replay walks PRE_ROUTING from its start and then INPUT), so
# the replay is deferred (replay_deferred) and the ACK has to follow it;
# the LOCAL_IN hook re-validates the cookie the queued SYN carries and
# arms the SYN-ACK rewrite when it is finally delivered.
# Each test shows: a connection opened before `ports add` keeps echoing
# through it; five connections after it echo; syn_answered,
# replay_deferred and synack_rewritten moved, cookie_invalid did not
# (unless by segments the capture shows came after the server had closed
# their connection: an ACK of a FIN sent again, which the stack would
# have answered with a reset); a
# protected connection is ESTABLISHED on the server; the IPS saw the
# client SYNs and the replayed SYNs (SYNs carrying an acknowledgment
# number). The connection times are logged, with and without conntrack.
source "$(dirname "$0")/lib.sh"
source "$XSP_SELFTESTS/xsp_helpers.bash"

FAMILIES="4 6"
TESTS="
	test_input
	test_prerouting
	test_input_ct
	test_prerouting_ct
"

PORT=443
NFQ=$XSP_SELFTESTS/nfq_verdict
NCONN=5

# nfq_stat NAME [FILE]: a counter of the verdict program, from its live
# stats file or from a snapshot of it.
nfq_stat()
{
	awk -v n="$1" '$1 == n { print $2 }' "${2:-$XSP_TMP/nfq.stats}"
}

# nfq_delta NAME: how far a counter of the verdict program moved since
# nfq_snapshot "$XSP_TMP/nfq.0"; nothing and failure if either is missing.
nfq_delta()
{
	local now was

	now=$(nfq_stat "$1")
	was=$(nfq_stat "$1" "$XSP_TMP/nfq.0")
	[[ "$now" =~ ^[0-9]+$ && "$was" =~ ^[0-9]+$ ]] || return 1
	echo $((now - was))
}

# nfq_snapshot DEST: copy the verdict program's stats. It replaces the file
# by rename after every verdict, which cp reports as "replaced while being
# copied" and skips; one open() and read of whichever file is there at
# that instant is consistent.
nfq_snapshot()
{
	cat "$XSP_TMP/nfq.stats" >"$1"
}

# setup POSITION CT: the pair, an echo server, the IPS queue rule at
# POSITION (input|prerouting) and, with CT=1, a stateful ruleset.
setup()
{
	local pos=$1 ct=$2 hook prio

	case $pos in
	input) hook=input prio=0 ;;
	prerouting) hook=prerouting prio=-150 ;;
	esac
	xsp_load || return 1
	setup_pair || return 1
	bg "$SERVER" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" $PORT || return 1
	bg "$SERVER" "$NFQ" -q 0 -d 50 -s "$XSP_TMP/nfq.stats"
	wait_for test -s "$XSP_TMP/nfq.stats" || return 1
	ip netns exec "$SERVER" nft -f - <<NFT || return 1
table inet ips {
	chain c {
		type filter hook $hook priority $prio; policy accept;
		tcp dport $PORT queue num 0
	}
}
NFT
	[ "$ct" = 1 ] || return 0
	modprobe nf_conntrack || return 1
	ip netns exec "$SERVER" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=0
	ip netns exec "$SERVER" nft -f - <<NFT || return 1
table inet fw {
	chain in {
		type filter hook input priority 10; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iif lo accept
		icmp type echo-request accept
		meta l4proto ipv6-icmp accept
		tcp dport $PORT ct state new accept
	}
	chain out {
		type filter hook output priority 10; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		oif lo accept
		icmp type echo-reply accept
		meta l4proto ipv6-icmp accept
	}
}
NFT
}

run_ips()
{
	local pos=$1 ct=$2 desc=$3 sum d c nfq_syn nfq_replay est invalid late
	local forged

	setup "$pos" "$ct" || { check_err 1 "setup"; log_test "$desc"; return; }
	long_start before "$CLIENT" $SERVER_IP $PORT
	check_err $? "connection before ports add did not echo through the IPS"
	nfq_snapshot "$XSP_TMP/nfq.0"
	check_err $? "reading the IPS's counters"
	synctl -n "$SERVER" ports add $PORT || { check_err 1 "ports add"; log_test "$desc"; return; }
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	cap_start wire "$SERVER" veth-s tcp port $PORT
	check_err $? "tcpdump on veth-s"
	long_alive before
	check_err $? "connection opened before ports add stopped echoing after it"

	sum=$(many_conns "$CLIENT" $SERVER_IP $PORT $NCONN)
	check_err $? "new connections through the IPS failed: $sum"
	log_info "$NCONN connections, conntrack=$ct: $sum"

	long_start after "$CLIENT" $SERVER_IP $PORT
	check_err $? "a connection after ports add did not echo"
	est=$(ip netns exec "$SERVER" ss -Htn state established "( sport = :$PORT )" | wc -l)
	[ "$est" -ge 2 ]
	check_err $? "$est established server sockets on port $PORT, want 2"
	long_stop after
	check_err $? "the connection after ports add lost an echo"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	# Read while the capture still runs: every ACK counted here is in it.
	forged=$(xsp_stat_delta cookie_invalid "$XSP_TMP/s0" "$SERVER")
	cap_stop wire

	for c in syn_answered replay_deferred synack_rewritten; do
		d=$(xsp_stat_delta $c "$XSP_TMP/s0" "$SERVER")
		[ "${d:-0}" -ge $((NCONN + 1)) ]
		check_err $? "$c moved by ${d:-?}, want >= $((NCONN + 1))"
	done
	d=$(xsp_stat_delta replay_failed "$XSP_TMP/s0" "$SERVER")
	[ "$d" = 0 ]
	check_err $? "replay_failed moved by ${d:-?}"
	# An ACK counted as forged must be a segment of a connection the
	# server had already closed (see late_acks.py), none of ours.
	late=$(python3 "$XSP_SELFTESTS/late_acks.py" "$XSP_TMP/wire.pcap" $PORT)
	check_err $? "reading the capture"
	grep '^#' <<<"$late"
	late=$(head -n1 <<<"$late")
	[ "${forged:-x}" -le "${late:-0}" ] 2>/dev/null
	check_err $? "cookie_invalid moved by ${forged:-?}, but only ${late:-?} segments came after their connection had closed"
	nfq_syn=$(nfq_delta syn)
	check_err $? "the IPS's syn counter is missing"
	nfq_replay=$(nfq_delta syn_ackseq)
	check_err $? "the IPS's syn_ackseq counter is missing"
	log_info "IPS saw $nfq_syn SYNs, $nfq_replay of them replays; $late late segments; module: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	[ $((nfq_syn - nfq_replay)) -ge $((NCONN + 1)) ] && [ "$nfq_replay" -ge $((NCONN + 1)) ]
	check_err $? "the IPS saw $((nfq_syn - nfq_replay)) client SYNs and $nfq_replay replayed SYNs"
	if [ "$ct" = 1 ]; then
		invalid=$(ip netns exec "$SERVER" nft list ruleset | grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}')
		log_info "ct state invalid drops: $invalid"
	fi
	log_test "$desc"
}

test_input()
{
	run_ips input 0 "IPS queue in INPUT: before/after ports add, SYNs answered, replays deferred"
}

test_prerouting()
{
	run_ips prerouting 0 "IPS queue in PREROUTING (mangle): before/after ports add, SYNs answered, replays deferred"
}

test_input_ct()
{
	run_ips input 1 "IPS queue in INPUT with conntrack and a stateful ruleset"
}

test_prerouting_ct()
{
	run_ips prerouting 1 "IPS queue in PREROUTING with conntrack and a stateful ruleset"
}

require_root
require_cmd synctl socat nft python3
if [ ! -x "$NFQ" ]; then
	echo "not ok 1 - $XSP_TEST_NAME: nfq_verdict is built (make -C selftests)"
	exit $KSFT_FAIL
fi
run_tests

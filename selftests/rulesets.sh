#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The user's own rulesets around a protected port. The module answers SYNs
# in LOCAL_IN after the filter table, so whatever the user's rules do to a
# SYN before that (INPUT, PREROUTING at any priority, netdev ingress, rate
# limits) they do with the module loaded too; its SYN-ACK is sent untracked
# to dst_output() (OUTPUT does not see it, POSTROUTING does and finds it
# untracked, not invalid); the stack's later packets are ESTABLISHED to
# conntrack.
#
#   drop_input       fail2ban-style INPUT drop of one source (a set):
#                    stepped aside by construction: the SYN never reaches
#                    the module; that source gets no SYN-ACK, no counter
#                    moves, other clients are protected.
#   drop_raw         the same drop in PREROUTING at raw priority (-300).
#   drop_ingress     the same drop in a netdev ingress chain.
#   egress_invalid   `ct state invalid drop` in OUTPUT and POSTROUTING,
#                    conntrack loaded: protected, 5 of 5 fetches.
#   output_policy    OUTPUT policy drop, only established,related and lo
#                    accepted: protected (the cookie SYN-ACK skips OUTPUT,
#                    the stack's own SYN-ACK is consumed before it).
#   pre_new_not_syn  the anti-DDoS recipes' PREROUTING rules at mangle
#                    priority, `ct state invalid drop` and `tcp flags != syn
#                    ct state new drop`, conntrack picking up mid-stream:
#                    protected, 5 of 5 fetches, neither rule counts a packet
#                    (the cookie ACK meets them after its replayed SYN).
#   pre_invalid_strict  `ct state invalid drop` at mangle priority with
#                    nf_conntrack_tcp_loose=0 (nf_synproxy's recipe):
#                    protected, 5 of 5 fetches, nothing invalid.
#   pre_mark_rpf     multi-homed policy routing: mangle PREROUTING marks
#                    what enters on veth-s, `ip rule fwmark` routes by the
#                    mark, strict reverse-path filtering judges by it
#                    (rp_filter=1 with src_valid_mark=1; over IPv6 nft's
#                    `fib saddr . mark . iif` check after mangle) and
#                    tcp_fwmark_accept gives connections the SYN's mark; a
#                    source that passes the check only with the mark:
#                    protected, 5 of 5 fetches, nothing rejected or
#                    reverse-path filtered (the cookie ACK is judged with
#                    the mark mangle gives it, as the stack judges it).
#   pre_mark_rpf_lost the same, the mark rule flushed between a SYN (by
#                    hand, scapy) and its ACK: the ACK is refused on its
#                    reverse path, the client gets no reset, nothing gets
#                    established, loaded or not; the module replays the
#                    SYN and sees it refused too: IPv4's input route
#                    refuses it and the module steps aside (ack_rejected
#                    1), IPv6's fib rule drops it and the ACK is dropped
#                    (replay_failed 1); replay_deferred 0 in both.
#   ban_between      a source banned in INPUT between its SYN (by hand,
#                    scapy) and its ACK: the ACK is dropped, no reset,
#                    nothing established, loaded or not; the module's
#                    replayed SYN is dropped by the ban too (replay_failed
#                    1, replay_deferred 0).
#   ct_limit         `ct state new limit rate` in INPUT: the module answers
#                    only the SYNs the rule lets in (a spoofed hping3 burst).
# Each runs the same probe with the port unprotected first (module loaded,
# no port) and asserts the protected run gives the same answer; each shows
# a connection opened before `ports add` survives it and new ones succeed.
#
# Over IPv6 the same rulesets, written for IPv6: `ip6 saddr` in the inet
# set, the ip6 raw table and the ingress chain; the egress chains let
# neighbour discovery, router solicitations and MLD reports out first (not
# connections: an IPv6 host's egress ruleset lets them through before any
# ct state rule), then the same rules; the spoofed burst comes
# from scapy (hping3 has no IPv6). The same assertions hold: a blocked
# source gets no SYN-ACK and moves no counter, egress rules pass every
# protected fetch, and no more SYNs are answered than the limit lets in.
source "$(dirname "$0")/lib.sh"
source "$XSP_SELFTESTS/xsp_helpers.bash"

FAMILIES="4 6"
TESTS="
	test_drop_input
	test_drop_raw
	test_drop_ingress
	test_egress_invalid
	test_output_policy
	test_pre_new_not_syn
	test_pre_invalid_strict
	test_pre_mark_rpf
	test_pre_mark_rpf_lost
	test_ban_between
	test_ct_limit
"

PORT=443

# family_vars: the addresses and nft words of the family being run
# (run_tests calls it as each family's run starts).
family_vars()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		BANNED=fd00:1::3	# a second address of the client, banned
		SPOOF=fd00:2::7		# the burst's spoofed source
		NFT_IP=ip6		# nft: the family's payload and table
		ADDR_TYPE=ipv6_addr
		LISTEN=TCP6-LISTEN:$PORT,ipv6only=1
		BANNED_HOST="[$BANNED]"
		# Neighbour discovery, router solicitations and MLD reports
		# are not connections: let them out first, as IPv6 egress
		# rulesets do.
		ND_ACCEPT='icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept'
		OTHER_ACCEPT='meta nfproto ipv4 accept'
	else
		BANNED=10.0.1.3		# a second address of the client, banned by the rules
		SPOOF=10.0.2.7		# hping3's spoofed source, routed back via the client
		NFT_IP=ip
		ADDR_TYPE=ipv4_addr
		LISTEN=TCP-LISTEN:$PORT
		BANNED_HOST=$BANNED
		ND_ACCEPT=
		OTHER_ACCEPT='meta nfproto ipv6 accept'
	fi
	SYNACK=$(tcp_flags_is '& (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)')
	SYN=$(tcp_flags_is '& (tcp-syn|tcp-ack) == tcp-syn')
}

# setup RULESET: the pair, the banned address on the client, an echo
# server and the user's ruleset (nft syntax); then a connection opened
# before anything is protected.
setup()
{
	xsp_load || return 1
	setup_pair || return 1
	if [ "$XSP_FAMILY" = 6 ]; then
		# Deprecated, so that the client's own connections do not
		# take it as their source (RFC 6724 rule 3: in one /64 the
		# longest-prefix rule cannot tell the two apart).
		ip -n "$CLIENT" addr add $BANNED/64 dev veth-c nodad preferred_lft 0 ||
			return 1
	else
		ip -n "$CLIENT" addr add $BANNED/24 dev veth-c || return 1
	fi
	bg "$SERVER" socat -T60 -t10 $LISTEN,reuseaddr,fork,backlog=128 EXEC:cat
	wait_listen "$SERVER" $PORT || return 1
	ip netns exec "$SERVER" nft -f - <<<"$1" || return 1
	if [ -n "$XSP_CT_LOOSE" ]; then
		ip netns exec "$SERVER" sysctl -qw \
			net.netfilter.nf_conntrack_tcp_loose=$XSP_CT_LOOSE || return 1
	fi
	long_start before "$CLIENT" $SERVER_IP $PORT
	check_err $? "the connection before ports add did not echo"
}

protect()
{
	synctl -n "$SERVER" ports add $PORT &&
		xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
}

# banned_probe: a connection attempt from the banned address; true if it
# connected.
banned_probe()
{
	ip netns exec "$CLIENT" socat -T2 /dev/null \
		TCP:$SERVER_HOST:$PORT,bind=$BANNED_HOST,connect-timeout=2 2>/dev/null
}

# conns N: N echo connections from the client's main address; the summary
# goes to the log.
conns()
{
	local sum rc

	sum=$(many_conns "$CLIENT" $SERVER_IP $PORT "$1")
	rc=$?
	log_info "$1 connections: $sum"
	return $rc
}

# moved_at_least N NAME...: each counter grew by N or more since s0.
moved_at_least()
{
	local n=$1 c d

	shift
	for c in "$@"; do
		d=$(xsp_stat_delta "$c" "$XSP_TMP/s0" "$SERVER")
		[ "${d:-0}" -ge "$n" ] || { echo "$c moved by ${d:-?}, want >= $n"; return 1; }
	done
}

# A source the user's rules drop: the stack's answer (none) and ours must
# be the same, and nothing may count it as answered.
run_drop()
{
	local desc=$1 ruleset=$2 t0 t1 t2 stack ours syns0 syns1 moved msg

	require_cmd tcpdump
	setup "$ruleset" || { check_err 1 "setup"; log_test "$desc"; return; }
	cap_start wire "$CLIENT" veth-c tcp
	t0=$(now)
	banned_probe
	check_fail $? "unprotected: the banned source connected"
	t1=$(now)
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	long_alive before
	check_err $? "the connection opened before ports add stopped echoing after it"
	banned_probe
	check_fail $? "protected: the banned source connected"
	t2=$(now)
	moved=$(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")
	conns 3
	check_err $? "other clients failed to connect"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	cap_stop wire

	stack=$(cap_count wire "$t0" "$t1" "dst host $BANNED and $SYNACK")
	ours=$(cap_count wire "$t1" "$t2" "dst host $BANNED and $SYNACK")
	syns0=$(cap_count wire "$t0" "$t1" "src host $BANNED and $SYN")
	syns1=$(cap_count wire "$t1" "$t2" "src host $BANNED and $SYN")
	log_info "SYN-ACKs to the banned source: unprotected $stack, protected $ours; counters during its probe: ${moved:-none}"
	[ "$syns0" -ge 1 ] && [ "$syns1" -ge 1 ]
	check_err $? "SYNs from the banned source on the wire: unprotected $syns0, protected $syns1"
	[ "$stack" = 0 ] && [ "$ours" = 0 ]
	check_err $? "SYN-ACKs to the banned source: unprotected $stack, protected $ours"
	[ -z "$moved" ]
	check_err $? "counters moved for the banned source: $moved"
	msg=$(moved_at_least 3 syn_answered synack_rewritten)
	check_err $? "$msg"
	log_test "$desc"
}

test_drop_input()
{
	run_drop "INPUT drop of one source (fail2ban): no SYN-ACK, no counter, others protected" "
table inet f2b {
	set banned { type $ADDR_TYPE; elements = { $BANNED } }
	chain input {
		type filter hook input priority filter; policy accept;
		$NFT_IP saddr @banned drop
	}
}"
}

test_drop_raw()
{
	run_drop "PREROUTING raw-priority drop of one source: no SYN-ACK, no counter, others protected" "
table $NFT_IP rawdrop {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		$NFT_IP saddr $BANNED drop
	}
}"
}

test_drop_ingress()
{
	run_drop "netdev ingress drop of one source: no SYN-ACK, no counter, others protected" "
table netdev ing {
	chain ingress {
		type filter hook ingress device \"veth-s\" priority 0; policy accept;
		$NFT_IP saddr $BANNED drop
	}
}"
}

# nft_counter TABLE NAME: packets of a named counter.
nft_counter()
{
	ip netns exec "$SERVER" nft list counter inet "$1" "$2" |
		awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# run_egress DESC RULESET COUNTERS [TABLE]: stateful rules (egress ones, or
# ingress ones in TABLE): the stack's packets and ours all pass, and none of
# the named counters of TABLE (default egress) counts a packet.
run_egress()
{
	local desc=$1 ruleset=$2 counters=$3 table=${4:-egress} c v msg

	setup "$ruleset" || { check_err 1 "setup"; log_test "$desc"; return; }
	conns 5
	check_err $? "unprotected: fetches failed"
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	long_alive before
	check_err $? "the connection opened before ports add stopped echoing after it"
	conns 5
	check_err $? "protected: fetches failed"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	msg=$(moved_at_least 5 syn_answered synack_rewritten)
	check_err $? "$msg"
	for c in $counters; do
		v=$(nft_counter "$table" "$c")
		log_info "counter $c: ${v:-?} packets"
		[ "$v" = 0 ]
		check_err $? "counter $c: ${v:-?} packets dropped"
	done
	log_test "$desc"
}

test_egress_invalid()
{
	run_egress "ct state invalid drop in OUTPUT and POSTROUTING: 5 of 5 protected fetches" "
table inet egress {
	counter out_invalid { }
	counter post_invalid { }
	chain out {
		type filter hook output priority filter; policy accept;
		$ND_ACCEPT
		ct state invalid counter name \"out_invalid\" drop
	}
	chain post {
		type filter hook postrouting priority filter; policy accept;
		$ND_ACCEPT
		ct state invalid counter name \"post_invalid\" drop
	}
}" "out_invalid post_invalid"
}

test_output_policy()
{
	run_egress "OUTPUT policy drop, established,related and lo accepted: protected connections pass" "
table inet egress {
	counter out_dropped { }
	chain out {
		type filter hook output priority filter; policy drop;
		ct state established,related accept
		oif lo accept
		$OTHER_ACCEPT
		$ND_ACCEPT
		counter name \"out_dropped\"
	}
}" "out_dropped"
}

# Stateful rules in PREROUTING, ahead of conntrack's other users and of
# the module's own PRE_ROUTING hook: the anti-DDoS recipes' "new and not a
# SYN" drop at mangle priority. The client's ACK of a cookie SYN-ACK is the
# first packet of its connection conntrack sees (a mid-stream pickup):
# such a rule must still see the handshake the stack's own SYN-ACK gives
# it, a SYN, then an established ACK.
test_pre_new_not_syn()
{
	run_egress "PREROUTING mangle: new and not SYN drop: protected connections pass" "
table inet pre {
	counter new_not_syn { }
	counter invalid { }
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ct state invalid counter name \"invalid\" drop
		tcp flags & (fin|syn|rst|ack) != syn ct state new counter name \"new_not_syn\" drop
	}
}" "new_not_syn invalid" pre
}

# The same with conntrack's mid-stream pickup off (what nf_synproxy's
# recipe sets): an ACK conntrack has no entry for is invalid.
test_pre_invalid_strict()
{
	XSP_CT_LOOSE=0 run_egress "PREROUTING mangle: invalid drop, nf_conntrack_tcp_loose=0: protected connections pass" "
table inet pre {
	counter invalid { }
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ct state invalid counter name \"invalid\" drop
	}
}" "invalid" pre
}

# mark_rpf_setup: the policy-routed source MARKED on the client: without
# the mark its reverse path is a dummy device. Mangle PREROUTING marks what
# enters on veth-s (chain set_mark), strict reverse-path filtering judges
# by the mark (rp_filter=1 and src_valid_mark=1; over IPv6 nft's fib check
# in chain check_rpf, after mangle, counted in "rpf"), fwmark 1 routes the
# source back the way it came and tcp_fwmark_accept gives connections the
# SYN's mark.
mark_rpf_setup()
{
	local net via rpf

	if [ "$XSP_FAMILY" = 6 ]; then
		MARKED=fd00:9::1 net=fd00:9::/64 via=$CLIENT_IP6
		rpf="fib saddr . mark . iif oif missing counter name \"rpf\" drop"
	else
		MARKED=10.0.9.1 net=10.0.9.0/24 via=$CLIENT_IP4
		rpf=	# the sysctl filters IPv4
	fi
	setup "
table inet pre {
	counter rpf { }
	chain set_mark {
		type filter hook prerouting priority mangle; policy accept;
		iifname \"veth-s\" meta mark set 1
	}
	chain check_rpf {
		type filter hook prerouting priority mangle + 10; policy accept;
		${rpf:+meta nfproto ipv6 $rpf}
	}
}" || return 1
	ip -n "$CLIENT" addr add $MARKED dev veth-c nodad 2>/dev/null ||
		ip -n "$CLIENT" addr add $MARKED dev veth-c || return 1
	ip -n "$SERVER" link add xsp-dummy type dummy &&
		ip -n "$SERVER" link set xsp-dummy up &&
		ip -n "$SERVER" route add $net dev xsp-dummy &&
		ip -n "$SERVER" route add $net via $via dev veth-s table 100 &&
		ip -n "$SERVER" -$XSP_FAMILY rule add fwmark 1 lookup 100 &&
		ip netns exec "$SERVER" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
			net.ipv4.conf.veth-s.rp_filter=1 \
			net.ipv4.conf.all.src_valid_mark=1 \
			net.ipv4.tcp_fwmark_accept=1
}

# rpf_drops: packets the server refused on their reverse path so far: the
# sysctl's count (IPv4) or nft's rpf counter (IPv6).
rpf_drops()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		nft_counter pre rpf
	else
		ip netns exec "$SERVER" nstat -saz TcpExtIPReversePathFilter |
			awk '/IPReversePathFilter/ { print $2 }'
	fi
}

# A source only the mark makes valid. The stack routes the SYN, the ACK
# and every later segment with mangle's mark; the module must judge the
# cookie ACK as the stack does, not by the mark it has before mangle.
test_pre_mark_rpf()
{
	local desc="PREROUTING mangle mark, fwmark routing, strict rp_filter by mark: protected connections pass"
	local v msg

	mark_rpf_setup || { check_err 1 "setup"; log_test "$desc"; return; }
	many_conns "$CLIENT" $SERVER_IP $PORT 5 2000 --src $MARKED >/dev/null
	check_err $? "unprotected: fetches from $MARKED failed"
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	many_conns "$CLIENT" $SERVER_IP $PORT 5 2000 --src $MARKED >/dev/null
	check_err $? "protected: fetches from $MARKED failed"
	msg=$(moved_at_least 5 syn_answered synack_rewritten)
	check_err $? "$msg"
	v=$(xsp_stat_delta ack_rejected "$XSP_TMP/s0" "$SERVER")
	[ "${v:-?}" = 0 ]
	check_err $? "ack_rejected moved by ${v:-?}"
	v=$(rpf_drops)
	log_info "refused on the reverse path: ${v:-?}"
	[ "${v:-?}" = 0 ]
	check_err $? "the server refused ${v:-?} packets on their reverse path"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	log_test "$desc"
}

# between_probe SRC NFT_ARGS...: from SRC, a SYN by hand; once its SYN-ACK
# is back, `nft NFT_ARGS...` on the server, then the ACK. Prints the flags
# of what answered the SYN and the ACK ("none" for nothing).
between_probe()
{
	local src=$1

	shift
	SERVER=$SERVER SERVER_IP=$SERVER_IP PORT=$PORT SRC=$src \
		PYTHONPATH=$XSP_SELFTESTS \
		ip netns exec "$CLIENT" python3 -c '
import os
import random
import sys
import xsp_scapy as x
from scapy.layers.inet import TCP
from scapy.sendrecv import sr1

src, port = os.environ["SRC"], int(os.environ["PORT"])
sp, isn = x.sport(), random.randint(0, 2**32 - 1)
sa = sr1(x.ip(src=src) / TCP(sport=sp, dport=port, seq=isn, flags="S",
                             options=[("MSS", 1460)], window=64240),
         timeout=x.REPLY_TIMEOUT)
if sa is None or not sa.haslayer(TCP):
    print("none none")
else:
    x.server(["nft"] + sys.argv[1:])
    r = sr1(x.ip(src=src) / TCP(sport=sp, dport=port, seq=isn + 1,
                                ack=sa[TCP].seq + 1, flags="A",
                                window=65535), timeout=3)
    print(sa[TCP].flags, r[TCP].flags if r is not None and r.haslayer(TCP)
          else "none")
' "$@"
}

# mark_lost_probe: between_probe from MARKED with the mark rule flushed
# between the SYN and the ACK; puts the rule back.
mark_lost_probe()
{
	between_probe $MARKED flush chain inet pre set_mark
	ip netns exec "$SERVER" nft add rule inet pre set_mark \
		iifname '"veth-s"' meta mark set 1
}

# The mark gone between a SYN and its ACK: loaded or not, the stack
# refuses the ACK on its reverse path and the client gets no reset. The
# module replays the SYN (its check before mangle cannot judge) and sees
# the stack refuse it as well: IPv4 steps aside (ack_rejected), IPv6's
# replayed SYN is dropped by a rule (replay_failed); nothing held back.
test_pre_mark_rpf_lost()
{
	local desc="PREROUTING mangle mark gone before the ACK: refused on the reverse path as without the module"
	local r0 r1 r2 v c

	mark_rpf_setup || { check_err 1 "setup"; log_test "$desc"; return; }
	client_drops_rsts "$CLIENT"
	r0=$(rpf_drops)
	v=$(mark_lost_probe)
	r1=$(rpf_drops)
	log_info "unprotected: SYN answered with ${v% *}, ACK with ${v#* }; refused on the reverse path: $((r1 - r0))"
	[[ $v == SA* && ${v#* } != *R* ]] && [ $((r1 - r0)) -ge 1 ]
	check_err $? "unprotected: SYN and ACK answered with $v, $((r1 - r0)) refused"
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	v=$(mark_lost_probe)
	r2=$(rpf_drops)
	log_info "protected: SYN answered with ${v% *}, ACK with ${v#* }; refused on the reverse path: $((r2 - r1)); counters: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	[[ $v == SA* && ${v#* } == none ]] && [ $((r2 - r1)) -ge 1 ]
	check_err $? "protected: SYN and ACK answered with $v, $((r2 - r1)) refused"
	v=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	[ "${v:-?}" = 1 ]
	check_err $? "syn_answered moved by ${v:-?}, want 1"
	# IPv4: the input route refuses the replayed SYN, the ACK is left to
	# the stack; IPv6: nft's fib rule drops the replayed SYN, the ACK goes
	# as after a failed replay. Neither is held back as queued.
	c=ack_rejected
	[ "$XSP_FAMILY" = 6 ] && c=replay_failed
	v=$(xsp_stat_delta $c "$XSP_TMP/s0" "$SERVER")/$(xsp_stat_delta replay_deferred "$XSP_TMP/s0" "$SERVER")
	[ "$v" = 1/0 ]
	check_err $? "$c/replay_deferred moved by $v, want 1/0"
	[ -z "$(ip netns exec "$SERVER" ss -Htn state established "( src $MARKED or dst $MARKED )")" ]
	check_err $? "a connection from $MARKED got established"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	log_test "$desc"
}

# burst BASE: 100 SYNs from the spoofed source, source ports BASE to
# BASE+99, 100 per second as far as hping3 can.
burst()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		# hping3 has no IPv6: scapy, one SYN every 10 ms or as fast as
		# it goes, to the server's MAC (no neighbour discovery of its
		# own).
		ip netns exec "$CLIENT" python3 -c "
from scapy.layers.inet import TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.sendrecv import sendp
sendp([Ether(dst='$SERVER_MAC') / IPv6(src='$SPOOF', dst='$SERVER_IP') /
       TCP(sport=p, dport=$PORT, flags='S', seq=p * 1000)
       for p in range($1, $1 + 100)], iface='veth-c', inter=0.01, verbose=0)
" >/dev/null || echo "# the scapy burst failed"
	else
		ip netns exec "$CLIENT" hping3 -q -c 100 -i u10000 -S -p $PORT -s "$1" \
			-a $SPOOF $SERVER_IP >/dev/null 2>&1
	fi
	sleep 1
}

# synacks_to FROM TO BASE: distinct SYN-ACKs (the stack retransmits its
# own) to the source ports of burst BASE.
synacks_to()
{
	cap_read wire "$1" "$2" | awk -v b="$3" '{
		n = split($5, a, "."); p = a[n] + 0
		if (p >= b && p < b + 100) print p }' | sort -u | wc -l
}

# A source banned between its SYN and its ACK (fail2ban acting on a log
# line): loaded or not, the ban drops the ACK, no reset comes back and
# nothing gets established. The module replays the SYN, which the ban
# drops too: replay_failed, nothing held back as queued.
test_ban_between()
{
	local desc="INPUT ban between a SYN and its ACK: the ACK dropped as without the module, replay_failed"
	local ruleset v

	ruleset="
table inet f2b {
	set banned { type $ADDR_TYPE; }
	chain input {
		type filter hook input priority filter; policy accept;
		$NFT_IP saddr @banned counter drop
	}
}"
	setup "$ruleset" || { check_err 1 "setup"; log_test "$desc"; return; }
	client_drops_rsts "$CLIENT"
	v=$(between_probe $BANNED add element inet f2b banned "{ $BANNED }")
	log_info "unprotected: SYN answered with ${v% *}, ACK with ${v#* }"
	[[ $v == SA* && ${v#* } == none ]]
	check_err $? "unprotected: SYN and ACK answered with $v"
	ip netns exec "$SERVER" nft flush set inet f2b banned
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	v=$(between_probe $BANNED add element inet f2b banned "{ $BANNED }")
	log_info "protected: SYN answered with ${v% *}, ACK with ${v#* }; counters: $(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")"
	[[ $v == SA* && ${v#* } == none ]]
	check_err $? "protected: SYN and ACK answered with $v"
	v=$(xsp_stat_delta syn_replayed "$XSP_TMP/s0" "$SERVER")/$(xsp_stat_delta replay_failed "$XSP_TMP/s0" "$SERVER")/$(xsp_stat_delta replay_deferred "$XSP_TMP/s0" "$SERVER")
	[ "$v" = 1/1/0 ]
	check_err $? "syn_replayed/replay_failed/replay_deferred moved by $v, want 1/1/0"
	[ -z "$(ip netns exec "$SERVER" ss -Htn "( src $BANNED or dst $BANNED )")" ]
	check_err $? "the banned source has a socket on the server"
	conns 3
	check_err $? "other clients failed to connect"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	log_test "$desc"
}

test_ct_limit()
{
	local desc="ct state new limit rate in INPUT: no more SYNs answered than the rule lets in"
	local t0 t1 t2 p0 p1 p2 stack ours passed recv answered msg

	require_cmd tcpdump
	if [ "$XSP_FAMILY" = 6 ]; then
		python3 -c 'import scapy' 2>/dev/null ||
			{ log_skip "$desc" "no scapy"; return; }
	else
		require_cmd hping3
	fi
	setup "
table inet lim {
	counter passed { }
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct state new limit rate 5/second burst 5 packets counter name \"passed\" accept
		tcp dport $PORT ct state new drop
	}
}" || { check_err 1 "setup"; log_test "$desc"; return; }
	if [ "$XSP_FAMILY" = 6 ]; then
		ip -n "$SERVER" route add ${SPOOF%::*}::/64 via $CLIENT_IP
		SERVER_MAC=$(ip -n "$SERVER" -br link show veth-s | awk '{ print $3 }')
	else
		ip -n "$SERVER" route add ${SPOOF%.*}.0/24 via $CLIENT_IP
	fi
	cap_start wire "$CLIENT" veth-c "dst host $SPOOF and $SYNACK"
	p0=$(nft_counter lim passed)
	t0=$(now)
	burst 20000
	t1=$(now)
	p1=$(nft_counter lim passed)
	protect || { check_err 1 "ports add"; log_test "$desc"; return; }
	long_alive before
	check_err $? "the connection opened before ports add stopped echoing after it"
	burst 30000
	t2=$(now)
	p2=$(nft_counter lim passed)
	recv=$(xsp_stat_delta syn_recv "$XSP_TMP/s0" "$SERVER")
	answered=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	sleep 2		# the limit refills before legitimate clients come
	conns 3
	check_err $? "clients failed to connect after the burst"
	long_stop before
	check_err $? "the connection before ports add lost an echo"
	cap_stop wire

	stack=$(synacks_to "$t0" "$t1" 20000)
	ours=$(synacks_to "$t1" "$t2" 30000)
	log_info "unprotected: $((p1 - p0)) of 100 SYNs let in, $stack answered"
	log_info "protected: $((p2 - p1)) of 100 SYNs let in, $recv reached the module, $answered answered, $ours SYN-ACKs seen"
	[ $((p1 - p0)) -lt 100 ] && [ "$stack" -le $((p1 - p0)) ]
	check_err $? "unprotected: $stack SYN-ACKs for $((p1 - p0)) SYNs let in"
	passed=$((p2 - p1))
	[ "$passed" -lt 100 ] && [ "$recv" -le "$passed" ] && [ "$answered" -le "$passed" ] &&
		[ "$ours" = "$answered" ] && [ "$answered" -ge 1 ]
	check_err $? "protected: $passed SYNs let in, $recv reached the module, $answered answered, $ours SYN-ACKs"
	msg=$(moved_at_least 3 synack_rewritten)
	check_err $? "$msg"
	log_test "$desc"
}

require_root
require_cmd synctl socat nft python3
run_tests

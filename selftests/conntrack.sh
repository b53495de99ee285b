#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interplay with conntrack and a typical stateful ruleset: protected
# connections pass and reach ESTABLISHED with strict window tracking, flood
# SYNs and forged ACKs create no conntrack entries (the module's ACK hook
# runs right before conntrack, and lets conntrack look first only to tell
# NATed connections; a forged ACK's pickup goes with the packet), and a
# connection the raw table puts in a zone, or leaves untracked, keeps that
# through the replay; over IPv4 and IPv6 (one inet
# ruleset; under policy drop it must let ICMPv6 neighbour discovery
# through, which conntrack leaves untracked). Also: nothing changes without
# conntrack loaded (covered by the other tests, which do not load it).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_stateful_ruleset
	test_flood_no_entries
	test_forged_acks
	test_zone
	test_notrack
"

# setup [RAW_RULES]: the pair, the stateful ruleset, RAW_RULES (nft lines)
# in a prerouting and an output chain at raw priority, an echo server.
setup()
{
	xsp_load || return 1
	modprobe nf_conntrack || return 1
	setup_pair || return 1
	ip netns exec "$SERVER" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=0
	ip netns exec "$SERVER" nft -f - <<'NFT' || return 1
table inet xsp_test {
	chain in {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iif lo accept
		icmp type echo-request accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		icmpv6 type echo-request accept
		tcp dport 443 ct state new accept
		tcp dport 443 ct state untracked accept
	}
	chain out {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		oif lo accept
		tcp sport 443 ct state untracked accept
		icmp type echo-reply accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		icmpv6 type echo-reply accept
	}
}
NFT
	if [ -n "$1" ]; then
		ip netns exec "$SERVER" nft -f - <<NFT || return 1
table inet xsp_raw {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 443 $1
	}
	chain out {
		type filter hook output priority raw; policy accept;
		tcp sport 443 $1
	}
}
NFT
	fi
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
}

# invalid_count: packets the ruleset's "ct state invalid" rules counted.
invalid_count()
{
	ip netns exec "$SERVER" nft list ruleset |
		grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}'
}

# echo_one BYTES HOLD: one echo of BYTES random bytes through the protected
# port, the connection then kept open HOLD seconds; true if all came back.
echo_one()
{
	head -c "$1" /dev/urandom >"$XSP_TMP/in"
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" "$XSP_TMP/in" "$2" <<'PY'
import socket, sys, time
data = open(sys.argv[2], "rb").read()
s = socket.create_connection((sys.argv[1], 443), timeout=60)
s.sendall(data)
got = b""
while len(got) < len(data):
    b = s.recv(65536)
    if not b:
        break
    got += b
time.sleep(float(sys.argv[3]))
sys.exit(0 if got == data else 1)
PY
}

test_stateful_ruleset()
{
	local entry invalid moved

	require_cmd conntrack
	setup || { check_err 1 "setup"; log_test "stateful ruleset"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	echo_one 500000 3
	check_err $? "500 kB echo through the stateful ruleset failed"
	entry=$(ip netns exec "$SERVER" conntrack -L -f ipv$XSP_FAMILY -p tcp --dport 443 2>/dev/null)
	log_info "conntrack: $entry"
	grep -q -e ESTABLISHED -e TIME_WAIT -e CLOSE <<<"$entry" && grep -q ASSURED <<<"$entry"
	check_err $? "no assured conntrack entry for the connection"
	invalid=$(invalid_count)
	[ "$invalid" = 0 ]
	check_err $? "$invalid packets were invalid for conntrack"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" = 1 ]
	check_err $? "the connection was not the module's (synack_rewritten +$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER"))"
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "stateful ruleset, be_liberal=0: connection passes and is ASSURED"
}

test_flood_no_entries()
{
	local c0 c1 answered recv moved

	[ "$XSP_FAMILY" = 4 ] && require_cmd hping3
	setup || { check_err 1 "setup"; log_test "flood conntrack"; return; }
	ip -n "$SERVER" route add default via $CLIENT_IP
	c0=$(ip netns exec "$SERVER" cat /proc/sys/net/netfilter/nf_conntrack_count)
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	if [ "$XSP_FAMILY" = 6 ]; then
		# hping3 has no IPv6: the benchmark's generator, sources in
		# 2001:2::/48, at hping3's pace here.
		xsp_synflood "$CLIENT" veth-c "$SERVER" veth-s -d $SERVER_IP \
			-p 443 -n 3000 -r 5000 -t 60 >/dev/null
	else
		ip netns exec "$CLIENT" hping3 -q -c 3000 -i u200 --rand-source -S -p 443 \
			$SERVER_IP >/dev/null 2>&1
	fi
	sleep 1
	c1=$(ip netns exec "$SERVER" cat /proc/sys/net/netfilter/nf_conntrack_count)
	answered=$(xsp_fam_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	recv=$(xsp_fam_delta syn_recv "$XSP_TMP/s0" "$SERVER")
	# Random IPv4 sources include martians (multicast, 0/8, 127/8, about
	# 7 %): the stack drops those before they reach the module.
	log_info "3000 spoofed SYNs: $recv reached the module, $answered answered, conntrack $c0 -> $c1"
	[ "$recv" -ge 2600 ] && [ "$answered" = "$recv" ]
	check_err $? "of $recv SYNs $answered answered"
	[ "$c1" -le "$c0" ]
	check_err $? "conntrack grew from $c0 to $c1"
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "spoofed SYNs create no conntrack entries"
}

# Forged ACKs to the protected port, random sources, conntrack loaded with
# its default mid-stream pickup: each would be a new entry, confirmed at
# LOCAL_IN, if it got there. The module drops them (cookie_invalid) and
# their pickups with them: the table does not grow.
test_forged_acks()
{
	local moved

	setup || { check_err 1 "setup"; log_test "forged ACKs, conntrack"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	xsp_ack_flood "$SERVER" veth-s $SERVER_IP 443
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "forged ACKs, conntrack with pickup: dropped, no conntrack entries"
}

# raw_echo RAW ZONE: the setup with RAW (nft statements) for the protected
# port in the raw table, and one echo through it; while it is open, its
# conntrack entries in ZONE go to $XSP_TMP/ct. Checks the echo, that
# conntrack found nothing invalid, and that the connection was the
# module's.
raw_echo()
{
	setup "$1" || { check_err 1 "setup"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	echo_one 100000 2 &
	sleep 1.5
	ip netns exec "$SERVER" conntrack -L -w "$2" -f ipv$XSP_FAMILY -p tcp \
		--dport 443 >"$XSP_TMP/ct" 2>/dev/null
	wait $!
	check_err $? "100 kB echo failed"
	log_info "conntrack, zone $2: $(cat "$XSP_TMP/ct")"
	[ "$(invalid_count)" = 0 ]
	check_err $? "$(invalid_count) packets were invalid for conntrack"
	[ "$(xsp_fam_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" = 1 ]
	check_err $? "the connection was not the module's"
}

# The raw table puts the protected port's connections in conntrack zone 7:
# the ACK's template (the zone) must survive the module's look at it, or
# conntrack would track the ACK in zone 0, apart from its SYN, and the
# stateful ruleset would drop it as new and not a SYN, or invalid.
test_zone()
{
	require_cmd conntrack
	raw_echo "ct zone set 7" 7
	grep -q ESTABLISHED "$XSP_TMP/ct" && grep -q ASSURED "$XSP_TMP/ct"
	check_err $? "no established, assured entry in zone 7"
	log_test "raw table ct zone 7: protected connection tracked in zone 7, ESTABLISHED"
}

# The raw table leaves the protected port untracked: the replay must not
# make conntrack track the ACK.
test_notrack()
{
	require_cmd conntrack
	raw_echo notrack 0
	[ ! -s "$XSP_TMP/ct" ]
	check_err $? "conntrack entries for the untracked port"
	log_test "raw table notrack: protected connection passes untracked"
}

require_root
require_cmd synctl socat nft python3
run_tests

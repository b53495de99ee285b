#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interplay with conntrack and a typical stateful ruleset: protected
# connections pass and reach ESTABLISHED with strict window tracking, and
# flood SYNs create no conntrack entries; over IPv4 and IPv6 (one inet
# ruleset; under policy drop it must let ICMPv6 neighbour discovery
# through, which conntrack leaves untracked). Also: nothing changes without
# conntrack loaded (covered by the other tests, which do not load it).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_stateful_ruleset
	test_flood_no_entries
"

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
	}
	chain out {
		type filter hook output priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		oif lo accept
		icmp type echo-reply accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		icmpv6 type echo-reply accept
	}
}
NFT
	bg "$SERVER" socat -T30 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
}

test_stateful_ruleset()
{
	local entry invalid moved

	require_cmd conntrack
	setup || { check_err 1 "setup"; log_test "stateful ruleset"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	head -c 500000 /dev/urandom >"$XSP_TMP/in"
	ip netns exec "$CLIENT" python3 - "$SERVER_IP" "$XSP_TMP/in" <<'PY'
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
time.sleep(3)          # keep it open while the test looks at conntrack
sys.exit(0 if got == data else 1)
PY
	check_err $? "500 kB echo through the stateful ruleset failed"
	entry=$(ip netns exec "$SERVER" conntrack -L -f ipv$XSP_FAMILY -p tcp --dport 443 2>/dev/null)
	log_info "conntrack: $entry"
	grep -q -e ESTABLISHED -e TIME_WAIT -e CLOSE <<<"$entry" && grep -q ASSURED <<<"$entry"
	check_err $? "no assured conntrack entry for the connection"
	invalid=$(ip netns exec "$SERVER" nft list ruleset | grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}')
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

require_root
require_cmd synctl socat nft python3
run_tests

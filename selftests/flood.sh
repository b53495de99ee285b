#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SYN flood with spoofed sources against a listener with a small backlog:
# legitimate clients still connect, the SYN queue stays empty, conntrack
# gains no entries, slab does not grow with the SYN count, and the reply
# budget caps SYN-ACKs. Over IPv4 (hping3) and IPv6 (bench/synflood:
# hping3 has no IPv6), legitimate clients of the same family.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_flood
	test_budget
	test_rmmod_during_flood
"

# The flood lasts as long as the legitimate fetches (20-30 s in the
# guest), this long at most.
FLOOD_SECS=${XSP_FLOOD_SECS:-60}

setup()
{
	xsp_load || return 1
	modprobe nf_conntrack 2>/dev/null
	setup_pair || return 1
	# Replies to spoofed sources leave through the client, which drops
	# them (not its addresses, no forwarding).
	ip -n "$SERVER" route add default via $CLIENT_IP
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_syncookies=1
	ip netns exec "$SERVER" nft -f - <<'NFT'
table inet xsp_test {
	chain in {
		type filter hook input priority 0; policy accept;
		ct state established,related accept
		ct state invalid drop
		tcp dport 80 ct state new accept
	}
}
NFT
	mkdir -p "$XSP_TMP/www"
	echo hello >"$XSP_TMP/www/index.html"
	# http.server listens with a backlog of 5.
	bg "$SERVER" python3 -m http.server 80 --bind $SERVER_IP --directory "$XSP_TMP/www"
	wait_listen "$SERVER" 80 || return 1
	synctl -n "$SERVER" ports add 80
}

ct_count()
{
	ip netns exec "$SERVER" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0
}

slab_kb()
{
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# flood SECS [hping3 option]: spoofed SYNs to port 80 for SECS seconds, as
# fast as the generator goes (hping3 --flood; synflood without a rate),
# sources random (IPv4: any; IPv6: in 2001:2::/48). Returns when done.
flood()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		# hping3 --flood's rate in the guest (about 20k/s), so that both
		# families meet the same flood: at synflood's full rate the
		# kernel's own SYN path, after rmmod, starves the one vCPU.
		xsp_synflood "$CLIENT" veth-c "$SERVER" veth-s -d $SERVER_IP -p 80 \
			-r 20000 -t "$1" >"$XSP_TMP/synflood.json"
	else
		ip netns exec "$CLIENT" timeout "$1" hping3 -q --flood --rand-source \
			-S -p 80 $SERVER_IP >/dev/null 2>&1
	fi
}

flood_tool()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		xsp_synflood_bin >/dev/null || { log_skip "$1" "cannot build bench/synflood"; return 1; }
	else
		require_cmd hping3
	fi
}

# legit N: N sequential fetches during the flood; prints the successes.
legit()
{
	local i ok=0

	for i in $(seq 1 "$1"); do
		ip netns exec "$CLIENT" curl -s --max-time 20 "http://$SERVER_HOST/" 2>/dev/null |
			grep -q hello && ok=$((ok + 1))
	done
	echo $ok
}

test_flood()
{
	local ct0 ct1 slab0 slab1 ok sampler flooder max_synrecv answered growth moved
	local secs

	require_cmd curl
	flood_tool flood || return
	setup || { check_err 1 "setup"; log_test "flood"; return; }
	sync; echo 3 >/proc/sys/vm/drop_caches
	ct0=$(ct_count)
	slab0=$(slab_kb)
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	secs=$SECONDS
	flood "$FLOOD_SECS" &
	flooder=$!
	defer "kill $flooder 2>/dev/null"
	sleep 2
	# Sample the SYN queue (SYN_RECV request sockets) while clients connect.
	(
		while :; do
			ip netns exec "$SERVER" ss -Htn state syn-recv | wc -l
			sleep 0.5
		done >"$XSP_TMP/synrecv"
	) &
	defer "kill $! 2>/dev/null"
	sampler=$!
	ok=$(legit 10)
	kill $sampler 2>/dev/null
	max_synrecv=$(sort -n "$XSP_TMP/synrecv" | tail -1)
	# Every fetch was made under the flood, which stops now (its tool
	# is the flood's child; timeout passes the signal on).
	kill -0 $flooder 2>/dev/null
	check_err $? "the flood ended (${FLOOD_SECS}s) before the fetches did"
	pkill -P $flooder
	wait $flooder
	secs=$((SECONDS - secs))
	sleep 1
	sync; echo 3 >/proc/sys/vm/drop_caches
	ct1=$(ct_count)
	slab1=$(slab_kb)
	answered=$(xsp_fam_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	moved=$(xsp_other_family_moved "$XSP_TMP/s0" "$SERVER")
	growth=$((slab1 - slab0))
	log_info "flood: $answered SYN-ACKs in ${secs}s, legit $ok/10," \
		"conntrack $ct0 -> $ct1, slab ${growth} kB, max SYN_RECV $max_synrecv"
	[ "$answered" -gt 1000 ]
	check_err $? "flood too weak to mean anything: $answered SYN-ACKs"
	[ "$ok" = 10 ]
	check_err $? "only $ok of 10 legitimate fetches succeeded under flood"
	[ "$max_synrecv" -le 2 ]
	check_err $? "SYN queue not empty under flood: $max_synrecv"
	[ $((ct1 - ct0)) -le 12 ]
	check_err $? "conntrack grew by $((ct1 - ct0)) entries (legit: 10)"
	# Stateless: nothing per SYN. 4 MiB allows for page cache churn.
	[ "$growth" -lt 4096 ]
	check_err $? "slab grew by ${growth} kB over $answered SYNs"
	[ -z "$moved" ]
	check_err $? "the other family's counters moved: $moved"
	log_test "SYN flood: legit clients connect, no SYN queue, no conntrack, no slab growth"
}

test_budget()
{
	local answered over secs=6

	flood_tool budget || return
	setup || { check_err 1 "setup"; log_test "budget"; return; }
	synctl -n "$SERVER" budget set 50
	check_err $? "budget set failed"
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	flood $secs
	answered=$(xsp_fam_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	over=$(xsp_fam_delta syn_over_budget "$XSP_TMP/s0" "$SERVER")
	log_info "budget 50/s for ${secs}s: answered $answered, over budget $over"
	[ "$answered" -le $((50 * (secs + 2))) ] && [ "$answered" -ge 50 ]
	check_err $? "answered $answered with a budget of 50/s over ${secs}s"
	[ "$over" -gt 0 ]
	check_err $? "syn_over_budget did not move"
	synctl -n "$SERVER" budget set unlimited
	log_test "reply budget caps SYN-ACKs per second and counts the rest"
}

test_rmmod_during_flood()
{
	local flooder

	require_cmd curl
	flood_tool "rmmod during flood" || return
	setup || { check_err 1 "setup"; log_test "rmmod during flood"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	flood 20 &
	flooder=$!
	defer "kill $flooder 2>/dev/null"
	sleep 3
	[ "$(xsp_fam_delta syn_answered "$XSP_TMP/s0" "$SERVER")" -gt 0 ]
	check_err $? "flood not answered before rmmod"
	modprobe -r xsynproxy
	check_err $? "rmmod during the flood failed"
	! xsp_loaded
	check_err $? "module still loaded"
	ip netns exec "$CLIENT" curl -s --max-time 30 "http://$SERVER_HOST/" | grep -q hello
	check_err $? "server unreachable after rmmod under flood"
	kill $flooder 2>/dev/null
	wait $flooder 2>/dev/null
	xsp_load
	log_test "rmmod during a flood is clean and the server keeps serving"
}

require_root
require_cmd synctl socat nft
run_tests

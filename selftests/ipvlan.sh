#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Containers on ipvlan and macvlan devices of the host's (Docker's ipvlan
# and macvlan drivers, the CNI plugins), the port protected on the host or
# in the container, the host and the container both listening on it:
#
#   client 10.0.1.1 --- veth-s 10.0.1.2 host, "host" on *:443
#          fd00:1::1         fd00:1::2
#                            ipvlan l3s slave: container 10.0.7.5/32
#                                                        fd00:7::5/128
#          10.0.8.1 --- veth-s2 (no address)
#          fd00:8::1         macvlan slave: container    10.0.8.9/24
#                                                        fd00:8::9/64
#   each container: an echo server on *:443
#
# In L3S mode ipvlan routes a slave's packets in the slave's namespace but
# runs them through the host's PRE_ROUTING and LOCAL_IN; its own LOCAL_IN
# hook, last, hands them to the slave, whose TCP takes them. macvlan (and
# ipvlan's L2 and L3 modes) hands them to the container's own stack, as a
# device of its own would.
#
# Verdicts, each over IPv4 and IPv6:
# - l3s, the host protects the port: the container's connections are not
#   the host's, they reach the container's listener as without the module
#   (syn_not_local); the host's own are still protected. A connection
#   conntrack picks up in the middle (conntrack turned on after it opened)
#   keeps working: its segments are not forged ACKs to the host's listener.
# - l3s, the container protects the port: its namespace runs no input hook
#   for those packets; connections work, nothing is counted there.
# - macvlan, the container protects the port: protected in the container,
#   not seen by the host.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_l3s_host_protects
	test_l3s_ct_pickup
	test_l3s_container_protects
	test_macvlan_container_protects
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

# L3S, MV: the containers' addresses of the family being run, as socat
# wants them.
family_vars()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		L3S="[fd00:7::5]"
		MV="[fd00:8::9]"
		LISTEN_OPTS=ipv6only=1,
	else
		L3S=10.0.7.5
		MV=10.0.8.9
		LISTEN_OPTS=
	fi
}

# setup KIND: the pair, the host's listener, and the container of KIND
# with its listener: l3s, an ipvlan L3S slave of veth-s in L3S_NS; macvlan,
# a macvlan (bridge mode) slave of a second veth pair's host end, veth-s2,
# in MV_NS (ipvlan's mode is the lower device's, one for all its slaves).
setup()
{
	local ns

	xsp_load || return 1
	setup_pair || return 1
	if [ "$1" = l3s ]; then
		setup_ns L3S_NS || return 1
		ns=$L3S_NS
		ip -n "$SERVER" link add link veth-s name ipvl type ipvlan \
			mode l3s || return 1
		ip -n "$SERVER" link set ipvl netns "$ns" || return 1
		ip -n "$ns" addr add 10.0.7.5/32 dev ipvl || return 1
		ip -n "$ns" addr add fd00:7::5/128 dev ipvl nodad || return 1
		ip -n "$ns" link set ipvl up || return 1
		ip -n "$ns" route add default dev ipvl || return 1
		ip -n "$ns" -6 route add default dev ipvl || return 1
		ip -n "$CLIENT" route add 10.0.7.0/24 via "$SERVER_IP4" || return 1
		ip -n "$CLIENT" -6 route add fd00:7::/64 via "$SERVER_IP6" ||
			return 1
	else
		setup_ns MV_NS || return 1
		ns=$MV_NS
		ip link add veth-c2 netns "$CLIENT" type veth peer name veth-s2 \
			netns "$SERVER" || return 1
		ip -n "$CLIENT" addr add 10.0.8.1/24 dev veth-c2 || return 1
		ip -n "$CLIENT" addr add fd00:8::1/64 dev veth-c2 nodad || return 1
		ip -n "$CLIENT" link set veth-c2 up || return 1
		ip -n "$SERVER" link set veth-s2 up || return 1
		ip -n "$SERVER" link add link veth-s2 name mv type macvlan \
			mode bridge || return 1
		ip -n "$SERVER" link set mv netns "$ns" || return 1
		ip -n "$ns" addr add 10.0.8.9/24 dev mv || return 1
		ip -n "$ns" addr add fd00:8::9/64 dev mv nodad || return 1
		ip -n "$ns" link set mv up || return 1
	fi

	bg "$SERVER" socat -T300 -t10 \
		"$SOCAT_LISTEN:443,${LISTEN_OPTS}reuseaddr,fork" SYSTEM:"echo host"
	bg "$ns" socat -T300 -t10 \
		"$SOCAT_LISTEN:443,${LISTEN_OPTS}reuseaddr,fork" EXEC:cat
	wait_listen "$SERVER" 443 && wait_listen "$ns" 443
}

# host_echoes N: N connections to the host's own address; how many got the
# host's answer.
host_echoes()
{
	local i ok=0

	for ((i = 1; i <= $1; i++)); do
		[ "$(ip netns exec "$CLIENT" socat -T10 -t10 - \
			"TCP:$SERVER_HOST:443,connect-timeout=20" </dev/null)" = host ] &&
			ok=$((ok + 1))
	done
	echo "$ok of $1 connections to the host's address got its answer"
	[ "$ok" = "$1" ]
}

test_l3s_host_protects()
{
	local msg

	setup l3s
	check_err $? "topology"
	msg=$(tcp_echoes "$CLIENT" "$L3S" 443 1)
	check_err $? "unprotected: $msg"
	synctl -n "$SERVER" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	# an echo: the host's listener would answer "host" instead
	msg=$(tcp_echoes "$CLIENT" "$L3S" 443 5)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s0" 5 syn_recv syn_not_local)
	check_err $? "the container's SYNs on the host: $msg"
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s1"
	msg=$(host_echoes 3)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$SERVER" "$XSP_TMP/s1" 3 "${PROTECTED[@]}")
	check_err $? "the host's own connections: $msg"
	log_test "ipvlan l3s, host protects the port: the container's connections are the container's"
}

test_l3s_ct_pickup()
{
	local msg n

	setup l3s
	check_err $? "topology"
	synctl -n "$SERVER" ports add 443
	long_conn_open "$CLIENT" "$L3S" 443
	long_conn_echo before
	check_err $? "no echo before conntrack"
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/s0"
	# conntrack on in the host: the next segments are picked up mid-stream
	ip netns exec "$SERVER" nft -f - <<-EOF
	table inet xsp_ct {
		chain input {
			type filter hook input priority 0; policy accept;
			ct state established counter
		}
	}
	EOF
	check_err $? "nft conntrack table"
	ip netns exec "$SERVER" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
	long_conn_echo after
	check_err $? "the container's connection died once conntrack picked it up"
	n=$(ip netns exec "$SERVER" nft list chain inet xsp_ct input |
		awk '/counter/ { print $(NF - 2) }')
	[ "${n:-0}" -ge 1 ]
	check_err $? "conntrack did not pick the connection up (established: ${n:-none})"
	msg=$(xsp_stats_changed "$XSP_TMP/s0" "$SERVER")
	[ -z "$msg" ]
	check_err $? "the host counted the container's segments: $msg"
	log_test "ipvlan l3s, conntrack picks a container's connection up: it keeps working"
}

test_l3s_container_protects()
{
	local msg

	setup l3s
	check_err $? "topology"
	synctl -n "$L3S_NS" ports add 443
	xsp_stats_snapshot "$L3S_NS" "$XSP_TMP/s0"
	msg=$(tcp_echoes "$CLIENT" "$L3S" 443 5)
	check_err $? "$msg"
	msg=$(xsp_stats_changed "$XSP_TMP/s0" "$L3S_NS")
	[ -z "$msg" ]
	check_err $? "the container's module saw its input: $msg"
	log_test "ipvlan l3s, the container protects the port: no input hook runs there, connections work"
}

test_macvlan_container_protects()
{
	local msg

	setup macvlan
	check_err $? "topology"
	synctl -n "$SERVER" ports add 443
	synctl -n "$MV_NS" ports add 443
	xsp_stats_snapshot "$SERVER" "$XSP_TMP/h0"
	xsp_stats_snapshot "$MV_NS" "$XSP_TMP/s0"
	msg=$(tcp_echoes "$CLIENT" "$MV" 443 5)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$MV_NS" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "in the container: $msg"
	msg=$(xsp_stats_changed "$XSP_TMP/h0" "$SERVER")
	[ -z "$msg" ]
	check_err $? "the host counted the container's packets: $msg"
	log_test "macvlan, the container protects the port: protected there, the host sees nothing"
}

require_root
require_cmd synctl socat nft
modprobe ipvlan 2>/dev/null
if [ ! -d /sys/module/ipvlan ]; then
	echo "# SKIP: no ipvlan module"
	exit $KSFT_SKIP
fi
run_tests

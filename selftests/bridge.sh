#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host's address on a bridge with br_netfilter, as on libvirt/KVM hosts
# and many Kubernetes nodes: bridged IPv4 goes through the IPv4 netfilter
# hooks (net.bridge.bridge-nf-call-iptables=1, per network namespace since
# Linux 5.3), and the host runs a stateful ruleset with strict window
# tracking (nf_conntrack_tcp_be_liberal=0) on both its input and what it
# bridges.
#
#   client 10.0.1.1 ---+ br0 10.0.1.2 (host, listens on :443, protects it)
#                      +--- 10.0.1.3 vm (listens on :443)
#
# Every test runs over IPv4 and again over IPv6 (fd00:1::1, ::2, ::3;
# bridged IPv6 through the IPv6 hooks: bridge-nf-call-ip6tables=1).
#
# Verdicts:
# - client -> host's bridge address: protected, with the stateful ruleset
#   and without any (no conntrack). The only IPv4 PRE_ROUTING pass of the
#   client's ACK is br_netfilter's; the SYN rebuilt from a copy of the ACK
#   keeps its bridge state and takes the same way up.
# - client -> vm (bridged, through the IPv4 hooks): stepped aside from.
#   The SYN is bridged (IPv4 FORWARD), never reaches LOCAL_IN; the ACKs are
#   not for a local address. No counter moves on the host.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_bridge_address
	test_bridge_address_no_conntrack
	test_bridged_vm
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

# setup [stateless]: the topology, with the stateful ruleset unless told.
setup()
{
	local l

	if [ "$XSP_FAMILY" = 6 ]; then
		HOST_IP=fd00:1::2 HOST_HOST="[fd00:1::2]" VM_IP=fd00:1::3 VM_HOST="[fd00:1::3]"
		NF_CALL=net.bridge.bridge-nf-call-ip6tables
	else
		HOST_IP=10.0.1.2 HOST_HOST=10.0.1.2 VM_IP=10.0.1.3 VM_HOST=10.0.1.3
		NF_CALL=net.bridge.bridge-nf-call-iptables
	fi
	xsp_load || return 1
	modprobe br_netfilter || return 1
	setup_ns CLIENT HOST VM || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-hc netns "$HOST" || return 1
	ip link add eth0 netns "$VM" type veth peer name vnet0 netns "$HOST" || return 1
	ip -n "$HOST" link add br0 type bridge || return 1
	ip -n "$HOST" link set veth-hc master br0
	ip -n "$HOST" link set vnet0 master br0
	ip -n "$CLIENT" addr add 10.0.1.1/24 dev veth-c
	ip -n "$HOST" addr add 10.0.1.2/24 dev br0
	ip -n "$VM" addr add 10.0.1.3/24 dev eth0
	ip -n "$CLIENT" addr add fd00:1::1/64 dev veth-c nodad
	ip -n "$HOST" addr add fd00:1::2/64 dev br0 nodad
	ip -n "$VM" addr add fd00:1::3/64 dev eth0 nodad
	for l in "$CLIENT veth-c" "$HOST veth-hc" "$HOST vnet0" "$HOST br0" "$VM eth0"; do
		ip -n "${l% *}" link set "${l#* }" up
		ip netns exec "${l% *}" ethtool -K "${l#* }" tx off >/dev/null 2>&1
	done
	ip netns exec "$HOST" sysctl -qw "$NF_CALL=1" || return 1
	[ "${1:-}" = stateless ] || ruleset || return 1
	bg "$HOST" socat -T300 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	bg "$VM" socat -T300 -t10 $SOCAT_LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$HOST" 443 && wait_listen "$VM" 443 || return 1
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $HOST_IP &&
		wait_for ip netns exec "$CLIENT" ping -c1 -W1 $VM_IP
}

ruleset()
{
	ip netns exec "$HOST" nft -f - <<'NFT' || return 1
table inet xsp_fw {
	counter bridged {
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iif lo accept
		icmp type echo-request accept
		meta l4proto ipv6-icmp accept
		tcp dport 443 ct state new accept
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		icmp type echo-request accept
		meta l4proto ipv6-icmp accept
		tcp dport 443 ct state new counter name bridged accept
	}
	chain output {
		type filter hook output priority 0; policy accept;
		ct state invalid counter drop
	}
}
NFT
	ip netns exec "$HOST" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=0
}

# invalid_packets: what the host's conntrack found invalid (and dropped).
invalid_packets()
{
	ip netns exec "$HOST" nft list ruleset |
		grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}'
}

# bridge_case DEST DEST_HOST: a connection to DEST (DEST_HOST as socat
# wants it) opened before ports add 443 on the host survives it, 5 new
# ones after it succeed.
bridge_case()
{
	local msg

	long_conn_open "$CLIENT" "$2" 443
	long_conn_echo before
	check_err $? "no echo from $1 before ports add"
	synctl -n "$HOST" ports add 443 && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add on the host"
	long_conn_echo after
	check_err $? "the connection to $1 opened before ports add died"
	msg=$(tcp_echoes "$CLIENT" "$2" 443 5)
	check_err $? "$msg"
	msg=$(invalid_packets)
	[ "$msg" = 0 ]
	check_err $? "$msg packets were invalid for the host's conntrack"
}

test_bridge_address()
{
	local msg v

	setup || { check_err 1 "setup"; log_test "host's address on a br_netfilter bridge"; return; }
	# The sysctl is the host namespace's own: changing another's leaves it.
	ip netns exec "$VM" sysctl -qw "$NF_CALL=0"
	v=$(ip netns exec "$HOST" sysctl -n "$NF_CALL")
	[ "$v" = 1 ]
	check_err $? "$NF_CALL is not per netns (host reads $v)"
	bridge_case $HOST_IP $HOST_HOST
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "host: $msg"
	log_test "host's address on a br_netfilter bridge: protected, old and new connections"
}

# br_netfilter with no ruleset at all: conntrack is not loaded in the
# host's namespace, the ACK and the replayed SYN carry no entry.
test_bridge_address_no_conntrack()
{
	local msg

	setup stateless || { check_err 1 "setup"; log_test "bridge address, no conntrack"; return; }
	bridge_case $HOST_IP $HOST_HOST
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 5 "${PROTECTED[@]}")
	check_err $? "host: $msg"
	log_test "host's address on a br_netfilter bridge, no ruleset: protected"
}

test_bridged_vm()
{
	local msg

	setup || { check_err 1 "setup"; log_test "bridged vm"; return; }
	bridge_case $VM_IP $VM_HOST
	# Proof that the bridged SYNs went through the family's FORWARD hook.
	msg=$(ip netns exec "$HOST" nft list counter inet xsp_fw bridged | grep -o 'packets [0-9]*' | awk '{print $2}')
	[ "${msg:-0}" -ge 6 ]
	check_err $? "${msg:-no} bridged SYNs seen by the FORWARD hook, not 6"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 0)
	check_err $? "host: $msg"
	log_test "bridged vm on the same port through br_netfilter: untouched, old and new connections"
}

require_root
require_cmd synctl socat nft ethtool python3
run_tests

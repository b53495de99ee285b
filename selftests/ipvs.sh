#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An IPVS director (keepalived, LVS, kube-proxy in IPVS mode) whose virtual
# service shares its port with a listener of the director's own: a local
# service on the wildcard address, as a hostNetwork ingress is on a
# Kubernetes node whose ClusterIPs IPVS serves.
#
#   client 10.0.1.1 --- 10.0.1.2 director (VIP), 10.0.1.3 --- 10.0.3.2 real
#                       ipvsadm -t VIP:443 -r real:443 -m   echo on :443
#                       own echo on *:443
#
# IPVS takes the SYNs to its virtual services in LOCAL_IN, before the
# module's SYN hook, and NATs them to the real server: no cookie is minted
# for them. The client's ACKs then meet the module's ACK hook in
# PRE_ROUTING, addressed to a local address and port the director's own
# listener would take, with the real server's sequence numbers, not a
# cookie. They are IPVS's: the module must leave them to it, not drop them
# as forged.
#
#   ipvs_nat     443 protected on the director, IPVS in NAT mode, no
#                conntrack, no NAT rules: 5 of 5 connections to the VIP
#                reach the real server, as unprotected; no cookie counted
#                invalid or stale, no SYN to the VIP answered; the
#                director's own service on 10.0.1.3:443 is protected
#                (answered and rewritten).
#   ipvs_nat_ct  the same with conntrack running (a `ct state` rule on
#                the director, net.ipv4.vs.conntrack=1 as kube-proxy sets
#                it): IPVS's connections are tracked.
#   ipvs_forged_acks  forged ACKs to the director's own service, conntrack
#                running: the PRE_ROUTING hook leaves them to IPVS, which
#                does not take them; LOCAL_IN drops them (cookie_invalid),
#                no conntrack entry is made, both services still serve.
#                Without conntrack such ACKs reach TCP and get its reset,
#                as without the module.
#
# Every test runs over IPv4 and again over IPv6 (fd00:1::2 the VIP,
# fd00:1::3 the director's own, fd00:3::2 the real server).
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_ipvs_nat
	test_ipvs_nat_ct
	test_ipvs_forged_acks
"

PORT=443
PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

addresses()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		VIP=fd00:1::2 VIP_HOST="[fd00:1::2]" OWN=fd00:1::3 OWN_HOST="[fd00:1::3]"
		REAL=fd00:3::2 REAL_HOST="[fd00:3::2]" PLEN=64
	else
		VIP=10.0.1.2 VIP_HOST=10.0.1.2 OWN=10.0.1.3 OWN_HOST=10.0.1.3
		REAL=10.0.3.2 REAL_HOST=10.0.3.2 PLEN=24
	fi
}

# setup [conntrack]: client, director and real server; the director's own
# echo server on *:PORT and the virtual service VIP:PORT, NATed to the real
# server's echo server, which logs each peer's address.
setup()
{
	rm -f "$XSP_TMP/peers"
	addresses
	xsp_load || return 1
	modprobe ip_vs || return 1
	setup_ns CLIENT HOST REAL_NS || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-h netns "$HOST" || return 1
	ip link add eth0 netns "$REAL_NS" type veth peer name veth-r netns "$HOST" || return 1
	ip -n "$CLIENT" addr add 10.0.1.1/24 dev veth-c
	ip -n "$HOST" addr add 10.0.1.2/24 dev veth-h
	ip -n "$HOST" addr add 10.0.1.3/24 dev veth-h
	ip -n "$HOST" addr add 10.0.3.1/24 dev veth-r
	ip -n "$REAL_NS" addr add 10.0.3.2/24 dev eth0
	ip -n "$CLIENT" addr add fd00:1::1/64 dev veth-c nodad
	ip -n "$HOST" addr add fd00:1::2/64 dev veth-h nodad
	ip -n "$HOST" addr add fd00:1::3/64 dev veth-h nodad
	ip -n "$HOST" addr add fd00:3::1/64 dev veth-r nodad
	ip -n "$REAL_NS" addr add fd00:3::2/64 dev eth0 nodad
	for l in "$CLIENT veth-c" "$HOST veth-h" "$HOST veth-r" "$REAL_NS eth0"; do
		ip -n "${l% *}" link set "${l#* }" up
		ip netns exec "${l% *}" ethtool -K "${l#* }" tx off >/dev/null 2>&1
	done
	ip -n "$REAL_NS" route add default via 10.0.3.1
	ip -n "$REAL_NS" -6 route add default via fd00:3::1
	ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	if [ "$1" = conntrack ]; then
		ip netns exec "$HOST" sysctl -qw net.ipv4.vs.conntrack=1 || return 1
		ip netns exec "$HOST" nft -f - <<'NFT' || return 1
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state invalid counter drop
	}
}
NFT
	fi
	ip netns exec "$HOST" ipvsadm -A -t "$VIP_HOST:$PORT" -s rr &&
		ip netns exec "$HOST" ipvsadm -a -t "$VIP_HOST:$PORT" -r "$REAL_HOST:$PORT" -m ||
		return 1
	bg "$REAL_NS" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork \
		SYSTEM:"echo \$SOCAT_PEERADDR >>$XSP_TMP/peers; exec cat"
	bg "$HOST" socat -T60 -t10 $SOCAT_LISTEN:$PORT,reuseaddr,fork EXEC:cat
	wait_listen "$REAL_NS" $PORT && wait_listen "$HOST" $PORT || return 1
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $VIP &&
		wait_for ip netns exec "$HOST" ping -c1 -W1 $REAL
}

# ipvs_case DESC [conntrack]
ipvs_case()
{
	local desc=$1 msg v c

	setup "$2" || { check_err 1 "setup"; log_test "$desc"; return; }
	msg=$(tcp_echoes "$CLIENT" "$VIP_HOST" $PORT 5)
	check_err $? "unprotected: $msg"
	long_conn_open "$CLIENT" "$VIP_HOST" $PORT
	long_conn_echo before
	check_err $? "no echo from the real server before ports add"
	synctl -n "$HOST" ports add $PORT && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add $PORT on the director"
	long_conn_echo after-1 && long_conn_echo after-2
	check_err $? "the connection through IPVS died after ports add"
	msg=$(tcp_echoes "$CLIENT" "$VIP_HOST" $PORT 5)
	check_err $? "protected: $msg"
	msg=$(xsp_peers_from "real server" $CLIENT_IP 11)
	check_err $? "$msg"
	for c in syn_answered cookie_invalid cookie_stale ack_rejected; do
		v=$(xsp_stat_delta $c "$XSP_TMP/s0" "$HOST")
		[ "${v:-?}" = 0 ]
		check_err $? "$c moved by ${v:-?} for connections IPVS took"
	done
	msg=$(tcp_echoes "$CLIENT" "$OWN_HOST" $PORT 3)
	check_err $? "the director's own service: $msg"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 3 "${PROTECTED[@]}")
	check_err $? "the director's own service: $msg"
	log_test "$desc"
}

test_ipvs_nat()
{
	ipvs_case "IPVS NAT on a protected port the director listens on too: connections reach the real server"
}

test_ipvs_nat_ct()
{
	ipvs_case "IPVS NAT with conntrack on a protected port the director listens on too: connections reach the real server" conntrack
}

# Leaving ACKs with no cookie to IPVS opens no way around the module for
# forged ones to the director's own service: those IPVS does not take
# LOCAL_IN drops, once conntrack has picked them up.
test_ipvs_forged_acks()
{
	local desc="IPVS with conntrack: forged ACKs to the director's own service dropped, no entries"
	local msg

	setup conntrack || { check_err 1 "setup"; log_test "$desc"; return; }
	synctl -n "$HOST" ports add $PORT && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add $PORT on the director"
	xsp_ack_flood "$HOST" veth-h $OWN $PORT
	msg=$(tcp_echoes "$CLIENT" "$OWN_HOST" $PORT 3)
	check_err $? "the director's own service after the flood: $msg"
	msg=$(tcp_echoes "$CLIENT" "$VIP_HOST" $PORT 3)
	check_err $? "the virtual service after the flood: $msg"
	log_test "$desc"
}

require_root
require_cmd synctl socat nft ipvsadm python3
run_tests

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A port published with destination NAT, as Docker, Podman and Kubernetes
# (NodePort, hostPort) publish them: host:8080 is DNATed to a container's
# port 80 behind a bridge, and a userland proxy listens on host:8080 too
# (docker-proxy, for connections the NAT rules do not see).
#
#   client 10.0.1.1 --- 10.0.1.2 host [docker0 172.17.0.1] --- 172.17.0.2 container
#                       dnat :8080 -> 172.17.0.2:80            echo on :80
#                       docker-proxy on :8080
#
# Every test runs over IPv4 and again over IPv6 (fd00:1::1, fd00:1::2,
# docker0 fd00:17::1/64, container fd00:17::2: Docker's ip6tables rules,
# Kubernetes' dual-stack services).
#
# Verdicts:
# - 8080 protected on the host: stepped aside from. The DNATed SYN is
#   routed to FORWARD and never reaches the LOCAL_IN hook, so not even
#   syn_recv or syn_nat moves; the ACKs, which the module's hook meets
#   before conntrack, have a DNATed conntrack entry once conntrack has
#   looked. No counter moves on the host, whether the rules are nft's or
#   iptables' (legacy x_tables too), also after `conntrack -F`, when the
#   next segment is a mid-stream pickup NAT has yet to DNAT.
# - A DNAT or REDIRECT to a local address (a transparent proxy, a service
#   redirected to a local listener): the SYN reaches LOCAL_IN with a DNATed
#   entry; the module steps aside (syn_nat) and the stack answers.
# - The recipe, and the recommended setup for published container ports:
#   protect the port inside the container's namespace, where the listener
#   lives (`synctl -n <container netns> ports add 80`). The cookie SYN-ACK
#   goes back through the host's conntrack and NAT like the container's
#   own would; the host here runs a stateful ruleset with
#   nf_conntrack_tcp_be_liberal=0, so a sequence or window inconsistency
#   would show as invalid packets. Measured: 20 connections of 20 succeed,
#   each answered with a cookie and rewritten in the container, 0 invalid.
source "$(dirname "$0")/lib.sh"

FAMILIES="4 6"
TESTS="
	test_dnat_established
	test_dnat_new
	test_dnat_iptables_legacy
	test_dnat_ct_flush
	test_forged_acks_nat
	test_redirect_local
	test_protect_in_container
"

PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

# The family's addresses: HOST_IP/HOST_HOST (the client's view; the second
# as socat wants it), CONT_IP/CONT_HOST, the bridge's BR_IP/BR_NET, and NAT
# the nft family of the NAT table.
addresses()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		HOST_IP=fd00:1::2 HOST_HOST="[fd00:1::2]"
		CONT_IP=fd00:17::2 CONT_HOST="[fd00:17::2]"
		BR_IP=fd00:17::1 BR_NET=fd00:17::/64 NAT=ip6 LO_NET=::1
	else
		HOST_IP=10.0.1.2 HOST_HOST=10.0.1.2
		CONT_IP=172.17.0.2 CONT_HOST=172.17.0.2
		BR_IP=172.17.0.1 BR_NET=172.17.0.0/16 NAT=ip LO_NET=127.0.0.0/8
	fi
}

# Docker's rules for `docker run -p 8080:80`, in nft.
nft_rules()
{
	ip netns exec "$HOST" nft -f - <<NFT
table $NAT xsp_nat {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		fib daddr type local iifname != "docker0" tcp dport 8080 dnat to $CONT_HOST:80
	}
	chain output {
		type nat hook output priority -100;
		$NAT daddr != $LO_NET fib daddr type local tcp dport 8080 dnat to $CONT_HOST:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		$NAT saddr $BR_NET oifname != "docker0" masquerade
	}
}
NFT
}

# The same as Docker writes them, with iptables-legacy (x_tables hooks).
iptables_legacy_rules()
{
	local ipt="ip netns exec $HOST iptables-legacy -w -t nat"

	[ "$XSP_FAMILY" = 6 ] && ipt="ip netns exec $HOST ip6tables-legacy -w -t nat"
	$ipt -N DOCKER &&
		$ipt -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER &&
		$ipt -A OUTPUT ! -d $LO_NET -m addrtype --dst-type LOCAL -j DOCKER &&
		$ipt -A POSTROUTING -s $BR_NET ! -o docker0 -j MASQUERADE &&
		$ipt -A DOCKER ! -i docker0 -p tcp --dport 8080 -j DNAT --to-destination $CONT_HOST:80
}

# setup nft|iptables-legacy: the host, its bridge, the container, the
# published port and docker-proxy. The container's echo server logs each
# peer's address, to tell the NAT path (client's address) from the proxy's.
setup()
{
	local rules=${1:-nft} l

	rm -f "$XSP_TMP/peers"
	addresses
	xsp_load || return 1
	modprobe nf_conntrack || return 1
	setup_ns CLIENT HOST CONT || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-h netns "$HOST" || return 1
	ip link add eth0 netns "$CONT" type veth peer name veth-ct netns "$HOST" || return 1
	ip -n "$HOST" link add docker0 type bridge || return 1
	ip -n "$HOST" link set veth-ct master docker0
	ip -n "$CLIENT" addr add 10.0.1.1/24 dev veth-c
	ip -n "$HOST" addr add 10.0.1.2/24 dev veth-h
	ip -n "$HOST" addr add 172.17.0.1/16 dev docker0
	ip -n "$CONT" addr add 172.17.0.2/16 dev eth0
	ip -n "$CLIENT" addr add fd00:1::1/64 dev veth-c nodad
	ip -n "$HOST" addr add fd00:1::2/64 dev veth-h nodad
	ip -n "$HOST" addr add fd00:17::1/64 dev docker0 nodad
	ip -n "$CONT" addr add fd00:17::2/64 dev eth0 nodad
	for l in "$CLIENT veth-c" "$HOST veth-h" "$HOST veth-ct" "$HOST docker0" "$CONT eth0"; do
		ip -n "${l% *}" link set "${l#* }" up
		ip netns exec "${l% *}" ethtool -K "${l#* }" tx off >/dev/null 2>&1
	done
	ip -n "$CONT" route add default via 172.17.0.1
	ip -n "$CONT" -6 route add default via fd00:17::1
	ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$HOST" sysctl -qw net.ipv6.conf.all.forwarding=1
	case $rules in
	nft) nft_rules || return 1 ;;
	iptables-legacy) iptables_legacy_rules || return 1 ;;
	esac
	bg "$CONT" socat -T300 -t10 $SOCAT_LISTEN:80,reuseaddr,fork \
		SYSTEM:"echo \$SOCAT_PEERADDR >>$XSP_TMP/peers; exec cat"
	bg "$HOST" socat -T300 -t10 $SOCAT_LISTEN:8080,reuseaddr,fork "TCP:$CONT_HOST:80"
	wait_listen "$CONT" 80 && wait_listen "$HOST" 8080 || return 1
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $HOST_IP &&
		wait_for ip netns exec "$HOST" ping -c1 -W1 $CONT_IP
}

# peers_from ADDR N: the container saw N connections, all from ADDR.
peers_from()
{
	xsp_peers_from container "$@"
}

# dnat_case nft|iptables-legacy: a connection open before ports add 8080
# on the host survives it; new ones after it are DNATed to the container;
# no counter moves on the host.
dnat_case()
{
	local msg

	setup "$1" || { check_err 1 "setup"; return; }
	long_conn_open "$CLIENT" "$HOST_HOST" 8080
	long_conn_echo before
	check_err $? "no echo through the DNAT before ports add"
	synctl -n "$HOST" ports add 8080 && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add 8080 on the host"
	long_conn_echo after-1 && long_conn_echo after-2
	check_err $? "the DNATed connection died after ports add"
	[ "$2" = established ] && return
	msg=$(tcp_echoes "$CLIENT" "$HOST_HOST" 8080 5)
	check_err $? "$msg"
	msg=$(peers_from $CLIENT_IP 6)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 0)
	check_err $? "host: $msg"
}

test_dnat_established()
{
	local msg

	dnat_case nft established
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 0)
	check_err $? "host: $msg"
	log_test "nft DNAT: connection opened before ports add on the host survives"
}

test_dnat_new()
{
	dnat_case nft new
	log_test "nft DNAT: 5 new connections reach the container, host counters still"
}

# `conntrack -F` on the host (Docker and Kubernetes operators do): the
# published connection's next segment from the client is the first of a
# connection conntrack picks up mid-stream, and NAT, after the module's
# ACK hook, DNATs it again. The module cannot know yet that it will: a
# segment without a socket, to a port docker-proxy listens on, with no
# cookie. It must leave it to NAT, not drop it as a forged ACK.
test_dnat_ct_flush()
{
	local msg

	require_cmd conntrack
	dnat_case nft established
	ip netns exec "$HOST" conntrack -F >/dev/null 2>&1
	check_err $? "conntrack -F on the host"
	long_conn_echo flushed-1 && long_conn_echo flushed-2
	check_err $? "the DNATed connection died after conntrack -F"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 0)
	check_err $? "host: $msg"
	log_test "nft DNAT, conntrack -F: the connection, picked up again, survives"
}

# out_rsts: resets the host's TCP has sent (both families share the MIB).
out_rsts()
{
	ip netns exec "$HOST" awk '$1 == "Tcp:" {
		if (!c) { for (i = 2; i <= NF; i++) if ($i == "OutRsts") c = i }
		else print $c }' /proc/net/snmp
}

# Forged ACKs to a port the host itself serves and protects (8443), on
# this host with NAT rules, conntrack picking up mid-stream: the module's
# PRE_ROUTING hook cannot tell yet whether NAT will send such an ACK to a
# container, and leaves it to NAT; NAT leaves it to the host, and the
# LOCAL_IN hook drops it (cookie_invalid) before conntrack confirms an
# entry for it, as PRE_ROUTING does where no NAT follows. Were it left to
# the stack, each would cost a conntrack entry made and killed and a
# reset sent to the spoofed source. 8443 still serves.
test_forged_acks_nat()
{
	local desc="forged ACKs to a protected host port on a NAT host: dropped in LOCAL_IN, no entries, no resets"
	local r0 r1 msg

	require_cmd conntrack
	setup nft || { check_err 1 "setup"; log_test "$desc"; return; }
	bg "$HOST" socat -T30 -t10 $SOCAT_LISTEN:8443,reuseaddr,fork EXEC:cat
	wait_listen "$HOST" 8443 || { check_err 1 "listener on 8443"; log_test "$desc"; return; }
	synctl -n "$HOST" ports add 8443 && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add 8443 on the host"
	r0=$(out_rsts)
	xsp_ack_flood "$HOST" veth-h $HOST_IP 8443
	r1=$(out_rsts)
	log_info "resets sent during the forged ACKs: $((r1 - r0))"
	[ $((r1 - r0)) -lt 10 ]
	check_err $? "the host sent $((r1 - r0)) resets"
	msg=$(tcp_echoes "$CLIENT" "$HOST_HOST" 8443 3)
	check_err $? "8443 after the forged ACKs: $msg"
	log_test "$desc"
}

test_dnat_iptables_legacy()
{
	require_cmd iptables-legacy ip6tables-legacy
	dnat_case iptables-legacy new
	log_test "iptables-legacy DNAT (Docker's rules): old and new connections, host counters still"
}

# A REDIRECT to the local proxy on a protected port (a transparent proxy):
# the SYN reaches LOCAL_IN DNATed; the stack answers it, not the module.
test_redirect_local()
{
	local msg

	setup nft || { check_err 1 "setup"; log_test "REDIRECT to a local listener"; return; }
	ip netns exec "$HOST" nft add rule $NAT xsp_nat prerouting tcp dport 81 redirect to :8080
	check_err $? "redirect rule"
	synctl -n "$HOST" ports add 8080 && xsp_stats_snapshot "$HOST" "$XSP_TMP/s0"
	check_err $? "ports add 8080 on the host"
	msg=$(tcp_echoes "$CLIENT" "$HOST_HOST" 81 3)
	check_err $? "redirected: $msg"
	# The proxy reached the container from the host's docker0 address.
	msg=$(peers_from $BR_IP 3)
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/s0" 3 syn_recv syn_nat)
	check_err $? "host: $msg"
	log_test "REDIRECT to a local listener on a protected port: syn_nat, stack answers"
}

# The recipe: protect the port in the container's namespace. The host runs
# a stateful ruleset with strict window tracking; a cookie SYN-ACK that
# conntrack did not accept, or a stack SYN-ACK leaking out, would show.
test_protect_in_container()
{
	local msg invalid n=20 t0 entries

	require_cmd conntrack
	setup nft || { check_err 1 "setup"; log_test "protected in the container"; return; }
	ip netns exec "$HOST" nft -f - <<'NFT'
table inet xsp_fw {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iifname "veth-h" oifname "docker0" tcp dport 80 ct status dnat ct state new accept
		iifname "docker0" oifname != "docker0" ct state new accept
	}
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		iif lo accept
		icmp type echo-request accept
		meta l4proto ipv6-icmp accept
		tcp dport 8080 ct state new accept
	}
}
NFT
	check_err $? "host ruleset"
	ip netns exec "$HOST" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=0
	check_err $? "be_liberal=0"
	long_conn_open "$CLIENT" "$HOST_HOST" 8080
	long_conn_echo before
	check_err $? "no echo through the DNAT before ports add"
	synctl -n "$CONT" ports add 80 && xsp_stats_snapshot "$CONT" "$XSP_TMP/s0" &&
		xsp_stats_snapshot "$HOST" "$XSP_TMP/h0"
	check_err $? "ports add 80 in the container"
	long_conn_echo after
	check_err $? "the connection opened before ports add in the container died"
	t0=$SECONDS
	msg=$(tcp_echoes "$CLIENT" "$HOST_HOST" 8080 $n)
	check_err $? "$msg"
	log_info "$msg in $((SECONDS - t0)) s"
	msg=$(peers_from $CLIENT_IP $((n + 1)))
	check_err $? "$msg"
	msg=$(xsp_expect_moved "$CONT" "$XSP_TMP/s0" $n "${PROTECTED[@]}")
	check_err $? "container: $msg"
	msg=$(xsp_expect_moved "$HOST" "$XSP_TMP/h0" 0)
	check_err $? "host: $msg"
	invalid=$(ip netns exec "$HOST" nft list ruleset | grep -o 'invalid counter packets [0-9]*' | awk '{s += $4} END {print s + 0}')
	[ "$invalid" = 0 ]
	check_err $? "$invalid packets were invalid for the host's conntrack"
	entries=$(ip netns exec "$HOST" conntrack -L -f ipv$XSP_FAMILY -p tcp --orig-port-dst 8080 \
		--status ASSURED 2>/dev/null | wc -l)
	[ "$entries" -ge "$n" ]
	check_err $? "only $entries of $n connections ASSURED in the host's conntrack"
	log_test "recipe: port protected in the container, $n connections through the host's DNAT and stateful ruleset"
}

require_root
require_cmd synctl socat nft python3 ethtool
run_tests

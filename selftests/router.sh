#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A router (or a host forwarding to its VMs and containers) that protects a
# port number its own listener uses, while it forwards traffic to the same
# port number on the machines behind it.
#
#   client 10.0.1.1 --- 10.0.1.254 router 10.0.2.254 --- 10.0.2.2 backend
#                       listens on :443, :80            listens on :443, :80
#                       synctl ports add 443, 80
#
# Verdicts:
# - client -> backend (forwarded): stepped aside. The SYN is routed to
#   FORWARD and never reaches the LOCAL_IN hook; the ACKs are not for a
#   local address. No counter moves on the router, connections opened
#   before and after `ports add` work as without the module.
# - client -> router (its own listener): protected, as on any server.
# - a host routing to a container over a veth with no address on its side
#   (/32 route and proxy ARP, the Calico way): the same as the router,
#   stepped aside from, no counter moves.
# - the same router over IPv6 (2001:db8:1::/64, 2001:db8:2::/64): forwarded
#   connections stepped aside from, its own listener protected.
# - the container over IPv6 (a /128 route to it, its default route via the
#   host's link-local address, the host's side without a global address):
#   stepped aside from, as over IPv4.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_forward_established
	test_forward_new
	test_router_listener
	test_container_veth
	test_ipv6
	test_container_veth6
"

CLIENT_IP=10.0.1.1
ROUTER_IP=10.0.1.254
ROUTER_IP6=2001:db8:1::fe
BACKEND_IP=10.0.2.2
PROTECTED=(syn_recv syn_answered ack_recv cookie_valid syn_replayed synack_rewritten)

# link NS1 IF1 NS2 IF2: a veth pair between two namespaces, up, no offloads.
link()
{
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	# Offloads would hand tcpdump unfinished checksums.
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
	ip netns exec "$3" ethtool -K "$4" tx off >/dev/null 2>&1
}

# echo_server NS PORT: a forking echo server on PORT, any address.
echo_server()
{
	bg "$1" socat -T300 -t10 TCP-LISTEN:"$2",reuseaddr,fork EXEC:cat
}

setup()
{
	xsp_load || return 1
	setup_ns CLIENT ROUTER BACKEND || return 1
	link "$CLIENT" veth-c "$ROUTER" veth-rc || return 1
	link "$ROUTER" veth-rb "$BACKEND" veth-b || return 1
	ip -n "$CLIENT" addr add $CLIENT_IP/24 dev veth-c
	ip -n "$ROUTER" addr add $ROUTER_IP/24 dev veth-rc
	ip -n "$ROUTER" addr add 10.0.2.254/24 dev veth-rb
	ip -n "$BACKEND" addr add $BACKEND_IP/24 dev veth-b
	ip -n "$CLIENT" route add default via $ROUTER_IP
	ip -n "$BACKEND" route add default via 10.0.2.254
	ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
	for ns in "$ROUTER" "$BACKEND"; do
		echo_server "$ns" 443
		mkdir -p "$XSP_TMP/www-$ns"
		echo "$ns" >"$XSP_TMP/www-$ns/who"
		bg "$ns" sh -c "exec python3 -m http.server 80 --directory '$XSP_TMP/www-$ns' >/dev/null 2>&1"
	done
	for ns in "$ROUTER" "$BACKEND"; do
		wait_listen "$ns" 443 && wait_listen "$ns" 80 || return 1
	done
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $BACKEND_IP
}

# echo_server6 NS: an IPv6-only echo server on 443 beside echo_server's.
echo_server6()
{
	bg "$1" socat -T300 -t10 TCP6-LISTEN:443,ipv6only=1,reuseaddr,fork EXEC:cat
}

# setup6: IPv6 on the client's side of setup's router, forwarding on, the
# router's own IPv6 echo server.
setup6()
{
	ip -n "$CLIENT" addr add 2001:db8:1::1/64 dev veth-c nodad &&
		ip -n "$ROUTER" addr add $ROUTER_IP6/64 dev veth-rc nodad &&
		ip -n "$CLIENT" -6 route add default via $ROUTER_IP6 &&
		ip netns exec "$ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
		echo_server6 "$ROUTER"
}

protect()
{
	synctl -n "$1" ports add 443 && synctl -n "$1" ports add 80 &&
		xsp_stats_snapshot "$1" "$XSP_TMP/s0"
}

# forwarded_and_own DEST N OWN M WHO: a connection through the router to
# DEST, opened before it protects the port, keeps echoing after, N new ones
# after it work too, and no counter of the router moves; then M echoes to
# its own listener at OWN are protected. WHO names DEST in messages.
forwarded_and_own()
{
	local dest=$1 n=$2 own=$3 m=$4 who=$5 msg

	long_conn_open "$CLIENT" "$dest" 443
	long_conn_echo before
	check_err $? "no echo from $who before ports add"
	protect "$ROUTER"
	check_err $? "ports add on the router"
	long_conn_echo after
	check_err $? "the connection to $who died after ports add on the router"
	msg=$(tcp_echoes "$CLIENT" "$dest" 443 "$n")
	check_err $? "to $who: $msg"
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s0" 0)
	check_err $? "router, forwarded: $msg"
	msg=$(tcp_echoes "$CLIENT" "$own" 443 "$m")
	check_err $? "router's own listener: $msg"
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s0" "$m" "${PROTECTED[@]}")
	check_err $? "router's own listener: $msg"
}

# A connection through the router, opened before the router protects the
# port, keeps exchanging data after; the router's counters do not move.
test_forward_established()
{
	local msg

	setup || { check_err 1 "setup"; log_test "forwarded connection across ports add"; return; }
	long_conn_open "$CLIENT" $BACKEND_IP 443
	long_conn_echo before
	check_err $? "no echo through the router before ports add"
	protect "$ROUTER"
	check_err $? "ports add on the router"
	long_conn_echo after-1 && long_conn_echo after-2
	check_err $? "the forwarded connection died after ports add on the router"
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s0" 0)
	check_err $? "router: $msg"
	log_test "forwarded connection opened before ports add keeps working"
}

# New connections through the router after ports add: echoes and HTTP to
# the backend, nothing counted, answered or dropped by the router.
test_forward_new()
{
	local i msg

	setup || { check_err 1 "setup"; log_test "new forwarded connections"; return; }
	protect "$ROUTER" || { check_err 1 "ports add"; log_test "new forwarded connections"; return; }
	msg=$(tcp_echoes "$CLIENT" $BACKEND_IP 443 5)
	check_err $? "$msg"
	for i in 1 2 3; do
		[ "$(ip netns exec "$CLIENT" curl -sf --connect-timeout 20 --max-time 30 http://$BACKEND_IP/who)" = "$BACKEND" ]
		check_err $? "curl $i to the backend through the router failed"
	done
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s0" 0)
	check_err $? "router: $msg"
	log_test "new forwarded connections after ports add: 5 echoes, 3 fetches, router counters still"
}

# The router's own listener on the same port numbers is protected.
test_router_listener()
{
	local msg

	setup || { check_err 1 "setup"; log_test "router's own listener"; return; }
	long_conn_open "$CLIENT" $ROUTER_IP 443
	long_conn_echo before
	check_err $? "no echo from the router before ports add"
	protect "$ROUTER"
	check_err $? "ports add on the router"
	msg=$(tcp_echoes "$CLIENT" $ROUTER_IP 443 3)
	check_err $? "router's own listener: $msg"
	[ "$(ip netns exec "$CLIENT" curl -sf --connect-timeout 20 --max-time 30 http://$ROUTER_IP/who)" = "$ROUTER" ]
	check_err $? "curl to the router's own server failed"
	long_conn_echo after
	check_err $? "the connection to the router died after ports add"
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s0" 4 "${PROTECTED[@]}")
	check_err $? "router: $msg"
	# And what it forwards meanwhile is still left alone.
	xsp_stats_snapshot "$ROUTER" "$XSP_TMP/s1"
	msg=$(tcp_echoes "$CLIENT" $BACKEND_IP 443 1)
	check_err $? "through the router: $msg"
	msg=$(xsp_expect_moved "$ROUTER" "$XSP_TMP/s1" 0)
	check_err $? "router, forwarded: $msg"
	log_test "router's own listener on the same ports is protected"
}

# A host routing to a container over a veth with no address on the host's
# side: a /32 route and proxy ARP (Calico), the host protecting the port
# number its own listener and the container's share.
test_container_veth()
{
	local cont=10.0.3.2

	setup || { check_err 1 "setup"; log_test "container behind a /32 veth"; return; }
	setup_ns CONT || { check_err 1 "setup"; log_test "container behind a /32 veth"; return; }
	link "$ROUTER" cali0 "$CONT" eth0
	ip -n "$CONT" addr add $cont/32 dev eth0
	ip -n "$ROUTER" link set cali0 address ee:ee:ee:ee:ee:ee
	ip -n "$CONT" route add 169.254.1.1 dev eth0 scope link
	ip -n "$CONT" route add default via 169.254.1.1 dev eth0
	ip -n "$CONT" neigh add 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent
	ip -n "$ROUTER" route add $cont/32 dev cali0
	ip netns exec "$ROUTER" sysctl -qw net.ipv4.conf.cali0.proxy_arp=1
	echo_server "$CONT" 443
	wait_listen "$CONT" 443
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $cont ||
		{ check_err 1 "container not reachable"; log_test "container behind a /32 veth"; return; }
	forwarded_and_own $cont 3 $ROUTER_IP 1 "the container"
	log_test "host forwarding to a container over a /32 veth (proxy ARP)"
}

# The router over IPv6: a connection forwarded to the backend across ports
# add and new ones after it are left alone (ip6_forward, never LOCAL_IN;
# the ACKs are not for a local address), the router's own IPv6 listener on
# the same port is protected.
test_ipv6()
{
	local b6=2001:db8:2::2

	setup || { check_err 1 "setup"; log_test "IPv6 router"; return; }
	setup6 || { check_err 1 "IPv6 setup"; log_test "IPv6 router"; return; }
	ip -n "$ROUTER" addr add 2001:db8:2::fe/64 dev veth-rb nodad
	ip -n "$BACKEND" addr add $b6/64 dev veth-b nodad
	ip -n "$BACKEND" -6 route add default via 2001:db8:2::fe
	echo_server6 "$BACKEND"
	wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 $b6 ||
		{ check_err 1 "backend not reachable over IPv6"; log_test "IPv6 router"; return; }
	forwarded_and_own "[$b6]" 5 "[$ROUTER_IP6]" 3 "the backend"
	log_test "IPv6: forwarded connections stepped aside from, the router's own listener protected"
}

# The container over IPv6, the Calico way: its address a /128 on its eth0,
# its default route via the link-local address of the host's side, which
# has no other address; the host routes the /128 to that veth.
test_container_veth6()
{
	local cont=2001:db8:3::2
	local what="IPv6 host forwarding to a container over a /128 veth route"

	setup || { check_err 1 "setup"; log_test "$what"; return; }
	setup6 || { check_err 1 "IPv6 setup"; log_test "$what"; return; }
	setup_ns CONT || { check_err 1 "setup"; log_test "$what"; return; }
	link "$ROUTER" cali0 "$CONT" eth0
	ip -n "$ROUTER" addr add fe80::ecee:eeff:feee:eeee/64 dev cali0 nodad
	ip -n "$CONT" addr add $cont/128 dev eth0 nodad
	ip -n "$CONT" -6 route add default via fe80::ecee:eeff:feee:eeee dev eth0
	ip -n "$ROUTER" -6 route add $cont/128 dev cali0
	echo_server6 "$CONT"
	wait_listen "$CONT" 443
	wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 $cont ||
		{ check_err 1 "container not reachable over IPv6"; log_test "$what"; return; }
	forwarded_and_own "[$cont]" 3 "[$ROUTER_IP6]" 1 "the container"
	log_test "$what"
}

require_root
require_cmd synctl socat curl python3 ethtool
run_tests

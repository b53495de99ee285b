#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading the module changes nothing for traffic it does not protect.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_no_ports
	test_other_port
"

# transfer CLIENT_NS PORT: send 1 MiB through an echo server, compare.
transfer()
{
	local ns=$1 port=$2

	head -c 1048576 /dev/urandom >"$XSP_TMP/in"
	ip netns exec "$ns" socat -T30 -u FILE:"$XSP_TMP/in" \
		TCP:$SERVER_IP:"$port" || return 1
	wait_for cmp -s "$XSP_TMP/in" "$XSP_TMP/out"
}

start_sink()
{
	rm -f "$XSP_TMP/out"
	bg "$SERVER" socat -T30 -u TCP-LISTEN:"$1",reuseaddr OPEN:"$XSP_TMP/out",creat,trunc
	wait_listen "$SERVER" "$1"
}

test_no_ports()
{
	xsp_load
	setup_pair
	check_err $? "topology"
	start_sink 8080
	transfer "$CLIENT" 8080
	check_err $? "1 MiB transfer failed with module loaded, no ports"
	[ "$(xsp_stat syn_recv "$SERVER")" = 0 ]
	check_err $? "module counted SYNs with no protected port"
	log_test "no protected ports: TCP transfer untouched"
}

test_other_port()
{
	xsp_load
	setup_pair
	check_err $? "topology"
	synctl -n "$SERVER" ports add 443
	synctl -n "$SERVER" ports add 9000-9100
	start_sink 8080
	transfer "$CLIENT" 8080
	check_err $? "1 MiB transfer to unprotected port failed"
	[ "$(xsp_stat syn_recv "$SERVER")" = 0 ] &&
		[ "$(xsp_stat ack_recv "$SERVER")" = 0 ]
	check_err $? "module touched traffic to an unprotected port"
	log_test "protected 443 and 9000-9100: port 8080 untouched"
}

require_root
require_cmd socat synctl
run_tests

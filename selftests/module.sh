#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifecycle: load and unload (also via modprobe and autoload through
# genetlink), repeated, and with namespaces holding state.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_modprobe
	test_reload_loop
	test_autoload
	test_unload_open_netns
	test_unload_keeps_connections
"

test_modprobe()
{
	xsp_unload 2>/dev/null
	modprobe xsynproxy
	check_err $? "modprobe xsynproxy failed"
	grep -q '^xsynproxy ' /proc/modules
	check_err $? "module not in /proc/modules"
	[ "$(cat /sys/module/xsynproxy/refcnt 2>/dev/null)" = 0 ]
	check_err $? "refcount not 0 after load"
	modprobe -r xsynproxy
	check_err $? "modprobe -r failed"
	! grep -q '^xsynproxy ' /proc/modules
	check_err $? "module still loaded after modprobe -r"
	log_test "modprobe loads and modprobe -r unloads"
}

test_reload_loop()
{
	local i slab_before slab_after

	for i in 1 2 3 4 5; do
		modprobe xsynproxy && modprobe -r xsynproxy
		check_err $? "load/unload cycle $i failed"
	done
	log_test "five load/unload cycles"
}

test_autoload()
{
	xsp_unload 2>/dev/null
	synctl show >/dev/null
	check_err $? "synctl show failed with module unloaded"
	xsp_loaded
	check_err $? "synctl did not autoload the module"
	log_test "first synctl request autoloads the module"
}

test_unload_open_netns()
{
	local ns1 ns2

	xsp_load
	setup_ns ns1 ns2
	synctl -n "$ns1" ports add 443
	check_err $? "ports add in $ns1 failed"
	synctl -n "$ns2" ports add 8000-8100
	check_err $? "ports add in $ns2 failed"
	synctl -n "$ns2" salt rotate >/dev/null
	check_err $? "salt rotate in $ns2 failed"
	modprobe -r xsynproxy
	check_err $? "unload with two configured namespaces failed"
	ip -n "$ns1" link show lo >/dev/null
	check_err $? "namespace broken after unload"
	xsp_load
	[ -z "$(synctl -n "$ns1" ports show)" ]
	check_err $? "state survived a reload"
	log_test "unload with open, configured namespaces"
}

test_unload_keeps_connections()
{
	local out

	xsp_load
	setup_pair || { check_err 1 "topology"; log_test "unload keeps connections"; return; }
	bg "$SERVER" socat -T30 -t10 TCP-LISTEN:8080,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 8080
	synctl -n "$SERVER" ports add 9000
	coproc CONN { ip netns exec "$CLIENT" socat -T30 - TCP:$SERVER_IP:8080; }
	echo before >&"${CONN[1]}"
	read -r -t 20 out <&"${CONN[0]}"
	[ "$out" = before ]
	check_err $? "echo before unload failed: '$out'"
	modprobe -r xsynproxy
	check_err $? "unload with an open connection failed"
	echo after >&"${CONN[1]}"
	read -r -t 20 out <&"${CONN[0]}"
	[ "$out" = after ]
	check_err $? "open connection broken by unload: '$out'"
	kill "$CONN_PID" 2>/dev/null
	log_test "unload keeps open connections working"
}

require_root
require_cmd modprobe synctl socat
run_tests

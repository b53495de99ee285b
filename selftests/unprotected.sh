#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading the module changes nothing for traffic it does not protect.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_no_ports
	test_other_port
	test_hooks_on_demand
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

# xsp_hooks NS: the module's netfilter hooks in NS, "family hook function"
# a line, sorted, from the kernel's own list (nft list hooks).
xsp_hooks()
{
	ip netns exec "$1" nft list hooks |
		awk '$1 == "family" { fam = $2 }
		     $1 == "hook" { hook = $2 }
		     { for (i = 1; i <= NF; i++) if ($i ~ /^xsp_/) print fam, hook, $i }' |
		sort
}

# A namespace that protects no port has none of the module's hooks, so
# its packets pay nothing for it; the first enabled port registers them,
# every one in both families, and they stay.
test_hooks_on_demand()
{
	local n want=4

	xsp_load
	setup_pair
	check_err $? "topology"
	# Without nfnetlink_hook (Debian's 6.1 does not build it) nft lists
	# no hook at all, and says nothing.
	if ! modprobe -q nfnetlink_hook 2>/dev/null &&
	   ! grep -qs '/nfnetlink_hook\.ko' \
		"/lib/modules/$(uname -r)/modules.builtin"; then
		log_skip "hooks registered with the first enabled port" \
			"no nfnetlink_hook in this kernel: nft list hooks shows nothing"
		return
	fi
	if ! ip netns exec "$SERVER" nft list hooks >/dev/null 2>&1; then
		log_skip "hooks registered with the first enabled port" \
			"nft list hooks fails here (or nft is not installed)"
		return
	fi
	[ -e /proc/sys/net/ipv6 ] && want=8
	n=$(xsp_hooks "$SERVER" | wc -l)
	[ "$n" = 0 ]
	check_err $? "$n hooks of the module in a namespace with no port"
	synctl -n "$SERVER" ports add 443 off
	n=$(xsp_hooks "$SERVER" | wc -l)
	[ "$n" = 0 ]
	check_err $? "$n hooks of the module with only a disabled port"
	synctl -n "$SERVER" ports set 443 on
	xsp_hooks "$SERVER" >"$XSP_TMP/hooks"
	n=$(wc -l <"$XSP_TMP/hooks")
	[ "$n" = $want ]
	check_err $? "$n hooks of the module with port 443 enabled, want $want: $(tr '\n' ' ' <"$XSP_TMP/hooks")"
	grep -q "^ip prerouting xsp_pre_routing$" "$XSP_TMP/hooks" &&
		grep -q "^ip input xsp_local_in$" "$XSP_TMP/hooks" &&
		grep -q "^ip output xsp_local_out$" "$XSP_TMP/hooks" &&
		grep -q "^ip output xsp_local_out_end$" "$XSP_TMP/hooks"
	check_err $? "IPv4 hooks missing: $(tr '\n' ' ' <"$XSP_TMP/hooks")"
	n=$(xsp_hooks "$CLIENT" | wc -l)
	[ "$n" = 0 ]
	check_err $? "$n hooks of the module in the client's namespace"
	synctl -n "$SERVER" ports del all
	n=$(xsp_hooks "$SERVER" | wc -l)
	[ "$n" = $want ]
	check_err $? "$n hooks of the module after the ports went, want $want"
	start_sink 8080
	transfer "$CLIENT" 8080
	check_err $? "1 MiB transfer failed after the ports went"
	log_test "hooks registered with the first enabled port, none elsewhere"
}

require_root
require_cmd socat synctl
run_tests

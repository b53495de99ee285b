#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# synctl monitor: every change of a namespace's configuration and state is
# told, once, in order, to that namespace's listeners and to no other
# namespace's; tcp_syncookies moving to and from 2 shows as a state change,
# and in the kernel log.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_events
	test_interrupt
"

# monitor NETNS FILE [-j]: synctl monitor in the background, output to FILE.
monitor()
{
	synctl -n "$1" ${3:-} monitor >"$2" 2>"$2.err" &
	defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
}

# ready NETNS FILE...: change the budget of NETNS until every FILE shows a
# budget event, so that the monitors are listening; then a last budget
# change, 4242, marks where the test's events begin.
ready()
{
	local ns=$1 i f ok

	shift
	for ((i = 1; i <= XSP_WAIT * 2; i++)); do
		synctl -n "$ns" budget set $((100000 + i))
		ok=1
		for f in "$@"; do
			grep -q 'budget' "$f" || ok=0
		done
		[ $ok = 1 ] && break
		sleep 0.5
	done
	[ $ok = 1 ] || return 1
	synctl -n "$ns" budget set 4242
}

# after_marker FILE: the lines from the 4242 budget event on.
after_marker()
{
	sed -n '/4242/,$p' "$1"
}

# syn NETNS: one SYN to the server's port 443 from NETNS (the connection
# itself does not matter: in bypass the stack refuses it).
syn()
{
	ip netns exec "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$SERVER_IP/443" 2>/dev/null
	return 0
}

key_id()
{
	synctl -n "$SERVER" -j salt show | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])'
}

test_events()
{
	local k0 k1 k2 other

	xsp_load
	setup_pair || { check_err 1 "topology"; log_test "events"; return; }
	setup_ns other
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_syncookies=1
	monitor "$SERVER" "$XSP_TMP/json" -j
	monitor "$SERVER" "$XSP_TMP/text"
	monitor "$other" "$XSP_TMP/other" -j
	monitor "$CLIENT" "$XSP_TMP/client" -j
	ready "$SERVER" "$XSP_TMP/json" "$XSP_TMP/text" &&
		ready "$other" "$XSP_TMP/other" && ready "$CLIENT" "$XSP_TMP/client"
	check_err $? "the monitors never saw an event"
	cp "$XSP_TMP/other" "$XSP_TMP/other.before"
	cp "$XSP_TMP/client" "$XSP_TMP/client.before"

	synctl -n "$SERVER" ports add 443
	synctl -n "$SERVER" ports add 8000-8100 off
	synctl -n "$SERVER" ports set 8000-8100 off	# no change, no event
	synctl -n "$SERVER" ports set 8000-8100 on
	synctl -n "$SERVER" ports del 8000-8100
	k0=$(key_id)
	synctl -n "$SERVER" salt rotate
	k1=$(key_id)
	echo 00112233445566778899aabbccddeeff | synctl -n "$SERVER" salt set --key-file -
	echo 00112233445566778899aabbccddeeff | synctl -n "$SERVER" salt set --key-file -
	k2=$(key_id)
	synctl -n "$SERVER" salt set --epoch-len 30
	synctl -n "$SERVER" budget set 4242		# no change, no event
	synctl -n "$SERVER" budget set unlimited
	synctl -n "$SERVER" datapath set synack auto	# no change, no event
	synctl -n "$SERVER" datapath set synack copy
	# tcp_syncookies=2 is noticed on the next SYN to a protected port (or
	# by the module's poll): one event each way
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_syncookies=2
	syn "$CLIENT"
	wait_for grep -q '"state":"bypass"' "$XSP_TMP/json"
	check_err $? "no state event for tcp_syncookies=2"
	ip netns exec "$SERVER" sysctl -qw net.ipv4.tcp_syncookies=1
	syn "$CLIENT"
	wait_for grep -q '"prev_state":"bypass"' "$XSP_TMP/json"
	check_err $? "no state event for tcp_syncookies=1"
	synctl -n "$SERVER" ports del all
	synctl -n "$SERVER" budget set 7		# the end
	wait_for grep -q '"budget":7' "$XSP_TMP/json"
	wait_for grep -q 'budget set 7' "$XSP_TMP/text"
	sleep 1						# anything late

	after_marker "$XSP_TMP/json" | python3 -c '
import json, sys
k0, k1, k2 = sys.argv[1:4]
want = [
    {"object": "budget", "action": "set", "budget": 4242},
    {"object": "ports", "action": "add", "lo": 443, "hi": 443, "enabled": True},
    {"object": "state", "action": "change", "prev_state": "idle", "state": "active"},
    {"object": "ports", "action": "add", "lo": 8000, "hi": 8100, "enabled": False},
    {"object": "ports", "action": "set", "lo": 8000, "hi": 8100, "enabled": True},
    {"object": "ports", "action": "del", "lo": 8000, "hi": 8100, "enabled": True},
    {"object": "salt", "action": "rotate", "key_id": k1, "prev_key_id": k0},
    {"object": "salt", "action": "set", "key_id": k2, "prev_key_id": k1},
    {"object": "salt", "action": "set", "epoch_len": 30},
    {"object": "budget", "action": "set", "budget": 0},
    {"object": "datapath", "action": "set", "synack": "copy"},
    {"object": "state", "action": "change", "prev_state": "active", "state": "bypass"},
    {"object": "state", "action": "change", "prev_state": "bypass", "state": "active"},
    {"object": "ports", "action": "flush", "ranges": 1},
    {"object": "state", "action": "change", "prev_state": "active", "state": "idle"},
    {"object": "budget", "action": "set", "budget": 7},
]
got = [json.loads(l) for l in sys.stdin]
if got != want:
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        print("#   %s %s | want %s" % ("  " if g == w else "!=", g, w))
    sys.exit(1)
' "$k0" "$k1" "$k2"
	check_err $? "monitor -j: not the events expected"

	after_marker "$XSP_TMP/text" >"$XSP_TMP/text.got"
	printf '%s\n' "budget set 4242" "ports add 443-443 on" "state idle -> active" \
		"ports add 8000-8100 off" "ports set 8000-8100 on" "ports del 8000-8100 on" \
		"salt rotate key_id $k1 prev_key_id $k0" "salt set key_id $k2 prev_key_id $k1" \
		"salt set epoch_len 30" "budget set unlimited" "datapath set synack copy" \
		"state active -> bypass" \
		"state bypass -> active" "ports flush ranges 1" "state active -> idle" \
		"budget set 7" | diff -u - "$XSP_TMP/text.got" | sed 's/^/#   /'
	check_err "${PIPESTATUS[1]}" "monitor (text): not the lines expected"

	# the other namespaces heard none of it
	cmp -s "$XSP_TMP/other" "$XSP_TMP/other.before" &&
		cmp -s "$XSP_TMP/client" "$XSP_TMP/client.before"
	check_err $? "another namespace got events: $(cat "$XSP_TMP/other" "$XSP_TMP/client")"
	! grep -q . "$XSP_TMP/json.err" "$XSP_TMP/text.err" "$XSP_TMP/other.err"
	check_err $? "monitor complained: $(cat "$XSP_TMP"/*.err)"

	dmesg | grep -q "xsynproxy: netns $(ip netns exec "$SERVER" readlink /proc/self/ns/net |
		tr -dc 0-9): state active -> bypass"
	check_err $? "no kernel log line for the bypass state"
	log_test "every change once, in order, to its namespace only (JSON and text)"
}

# monitor and stats -i run until SIGINT, then exit 0, leaking nothing.
test_interrupt()
{
	local ns vg=() pid rc

	xsp_load
	setup_ns ns
	command -v valgrind >/dev/null &&
		vg=(valgrind -q --leak-check=full --show-leak-kinds=all
		    --errors-for-leak-kinds=all --error-exitcode=99)
	"${vg[@]}" synctl -n "$ns" monitor >"$XSP_TMP/mon" 2>"$XSP_TMP/mon.err" &
	pid=$!
	ready "$ns" "$XSP_TMP/mon"
	check_err $? "monitor never listened"
	kill -INT $pid
	wait $pid
	rc=$?
	[ $rc = 0 ] && [ ! -s "$XSP_TMP/mon.err" ] && grep -q '^budget set 4242$' "$XSP_TMP/mon"
	check_err $? "monitor after SIGINT: rc $rc, $(cat "$XSP_TMP/mon.err")"

	"${vg[@]}" synctl -n "$ns" stats -i 1 >"$XSP_TMP/rates" 2>"$XSP_TMP/rates.err" &
	pid=$!
	wait_for grep -q 'rate/s' "$XSP_TMP/rates"
	kill -INT $pid
	wait $pid
	rc=$?
	[ $rc = 0 ] && [ ! -s "$XSP_TMP/rates.err" ]
	check_err $? "stats -i after SIGINT: rc $rc, $(cat "$XSP_TMP/rates.err")"
	log_test "monitor and stats -i end on SIGINT with status 0${vg:+, valgrind-clean}"
}

require_root
require_cmd synctl python3 timeout
run_tests

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What only shows with SYNs arriving on several CPUs at once (make check
# boots a two-CPU guest for this script; with one CPU it skips):
#  - the reply budget is the namespace's, however many CPUs share it: a
#    budget smaller than the number of CPUs still holds (each CPU used to
#    get at least one SYN-ACK per second of its own);
#  - the per-CPU replay state stays with its CPU: protected connections
#    opened from both CPUs at once all complete.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_budget_below_cpus
	test_parallel_handshakes
"

setup()
{
	xsp_load || return 1
	setup_pair || return 1
	# SYN-ACKs to the flood's random sources need a route back.
	ip -n "$SERVER" route add default via $CLIENT_IP4 || return 1
	bg "$SERVER" socat -T60 -t10 TCP4-LISTEN:443,reuseaddr,fork,backlog=256 EXEC:cat
	wait_listen "$SERVER" 443 || return 1
	synctl -n "$SERVER" ports add 443 || return 1
}

# flood_on_cpu CPU SECS: spoofed SYNs to 443 from a sender pinned to CPU;
# veth hands them to the server on the sender's CPU.
flood_on_cpu()
{
	ip netns exec "$CLIENT" timeout "$2" taskset -c "$1" hping3 -q -i u2000 \
		--rand-source -S -p 443 $SERVER_IP4 >/dev/null 2>&1
}

test_budget_below_cpus()
{
	local secs=8 answered over cpus pid

	setup || { check_err 1 "setup"; log_test "budget below CPUs"; return; }
	cpus=$(nproc)
	synctl -n "$SERVER" budget set 1
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	flood_on_cpu 0 $secs &
	pid=$!
	flood_on_cpu 1 $secs
	# (not a bare wait: it would wait for the server too)
	wait $pid
	answered=$(xsp_stat_delta syn_answered "$XSP_TMP/s0" "$SERVER")
	over=$(xsp_stat_delta syn_over_budget "$XSP_TMP/s0" "$SERVER")
	log_info "budget 1/s, $cpus CPUs flooding for ${secs}s: answered $answered, over budget $over"
	# The budget, plus what each CPU may have saved up (one SYN-ACK).
	[ "$answered" -le $((secs + 1 + cpus)) ] && [ "$answered" -ge $((secs / 2)) ]
	check_err $? "answered $answered with a budget of 1/s over ${secs}s on $cpus CPUs"
	[ "$over" -gt 100 ]
	check_err $? "the flood did not exceed the budget ($over over)"
	log_test "a budget below the CPU count holds for the namespace (1/s on $cpus CPUs)"
}

test_parallel_handshakes()
{
	local cpu ok pids=()

	setup || { check_err 1 "setup"; log_test "parallel handshakes"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/s0"
	for cpu in 0 1; do
		ip netns exec "$CLIENT" taskset -c $cpu python3 - "$SERVER_IP4" \
			>"$XSP_TMP/ok$cpu" <<'PY' &
import socket, sys
ok = 0
for i in range(20):
    try:
        s = socket.create_connection((sys.argv[1], 443), timeout=20)
        s.sendall(b"x")
        ok += s.recv(1) == b"x"
        s.close()
    except OSError:
        pass
print(ok)
PY
		pids+=($!)
	done
	wait "${pids[@]}"
	# A client that died printed nothing: it counts as 0, not as a crash.
	ok=$(cat "$XSP_TMP/ok0" "$XSP_TMP/ok1" 2>/dev/null |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$ok" = 40 ]
	check_err $? "$ok of 40 connections from two CPUs at once completed"
	[ "$(xsp_stat_delta synack_rewritten "$XSP_TMP/s0" "$SERVER")" -ge 40 ]
	check_err $? "the module did not complete them"
	log_test "40 protected handshakes from two CPUs at once all complete"
}

require_root
require_cmd synctl socat hping3 taskset python3
if [ "$(nproc)" -lt 2 ]; then
	echo "# SKIP: needs two CPUs (tools/vm/run --smp 2)"
	exit $KSFT_SKIP
fi
run_tests

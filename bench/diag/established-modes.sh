#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where an established 536-byte segment's cost goes with xsynproxy loaded:
# a diagnostic, not part of `make bench`. It needs the debug build of
# established-modes.patch (a module parameter, xsp_dbg_mode, that the
# product does not have), built and run in the guest:
#
#   git apply bench/diag/established-modes.patch && make vm-modules
#   tools/vm/run --kernel 6.12 --smp 2 --timeout 900 --env N=12 \
#           -- bench/diag/established-modes.sh
#   git checkout kmod/xsp_hooks.c && make vm-modules
#
# One iperf3 connection (MSS 536, GSO/TSO off on the client) through the
# benchmark's topology; every round measures 3 s in each state, the
# client stopped across each switch:
#   A   module not loaded
#   M0  loaded, ports 80 and 5201 protected (the product)
#   M1  ... PRE_ROUTING stops after the parse and port test (no lookup)
#   M3  ... PRE_ROUTING stops after reading the port set
# Output per state and round: Mbit/s, then CPU 1 (server) and CPU 0
# (client) busy ticks per MB received; compare each state with the A of
# its round.
set -u
BN_TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/lib.sh
source "$BN_TOP/bench/lib.sh"

P=/sys/module/xsynproxy/parameters/xsp_dbg_mode
rx() { ip netns exec $BN_S cat /sys/class/net/veth-s/statistics/rx_bytes; }
busy() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }

bn_pin_self
bn_modules
bn_setup xsynproxy || { echo "setup failed" >&2; exit 1; }
trap 'kill $cp 2>/dev/null; bn_teardown' EXIT
[ -w $P ] || { echo "not the debug build: no $P" >&2; exit 4; }
ip netns exec $BN_C ethtool -K veth-c gso off tso off >/dev/null 2>&1
ip netns exec $BN_C sysctl -qw net.ipv4.tcp_slow_start_after_idle=0
ip netns exec $BN_S taskset -c $BN_SRV_CPU iperf3 -s -B $BN_SIP -p $BN_IPERF_PORT >/dev/null 2>&1 &
sleep 1
ip netns exec $BN_C iperf3 -c $BN_SIP -p $BN_IPERF_PORT -t 900 -M 536 >/dev/null 2>&1 &
cp=$!
sleep 2
for ((i = 1; i <= ${N:-12}; i++)); do
	for st in A M0 M1 M3; do
		kill -STOP $cp
		sleep 0.3
		case $st in
		A) modprobe -r xsynproxy ;;
		M0) modprobe xsynproxy && synctl -n $BN_S ports add $BN_PORT &&
			synctl -n $BN_S ports add $BN_IPERF_PORT && echo 0 >$P ;;
		M*) echo "${st#M}" >$P ;;
		esac
		kill -CONT $cp
		sleep 0.3
		rx0=$(rx); c0=$(busy $BN_SRV_CPU); d0=$(busy $BN_GEN_CPU); t0=$EPOCHREALTIME
		sleep 3
		rx1=$(rx); c1=$(busy $BN_SRV_CPU); d1=$(busy $BN_GEN_CPU); t1=$EPOCHREALTIME
		awk -v i="$i" -v st="$st" -v a="$rx0" -v b="$rx1" -v t0="$t0" -v t1="$t1" \
			-v c0="$c0" -v c1="$c1" -v d0="$d0" -v d1="$d1" 'BEGIN {
			mb = (b - a) / 1e6
			printf "%d %s %.0f %.3f %.3f\n", i, st, mb * 8 / (t1 - t0),
				(c1 - c0) / mb, (d1 - d0) / mb }'
	done
done

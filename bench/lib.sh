#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Topology and counters shared by the benchmark (bench/guest.sh) and the demo
# (bench/demo-guest.sh). Runs inside the guest, as root.
#
#   client ns xspb-c  10.0.1.1/24 veth-c  <--veth-->  veth-s 10.0.1.2/24  server ns xspb-s
#                                                     dummy0 192.0.2.1/24: 198.18.0.0/15 via 192.0.2.2
#
# The flood comes from 198.18.0.0/15 (RFC 2544 benchmark range); the server
# routes that range to dummy0, so every answer to a spoofed SYN is counted by
# dummy0's TX counter and freed there, whoever sent it (the stack, nft
# synproxy or xsynproxy). Legitimate clients (10.0.1.1) get their answers
# over the veth.
#
# CPUs: whoever sources this pins itself (and so its children: generator,
# clients) to CPU 0; server processes are started on CPU 1, and RPS on
# veth-s puts the server's whole receive path (softirq) on CPU 1. RPS on
# veth-c keeps the client's receive path on CPU 0. Device IRQs go to CPU 0.

BN_TOP=${BN_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BN_BIN=${BN_BIN:-$BN_TOP/build/bench}
BN_C=xspb-c
BN_S=xspb-s
BN_CIP=10.0.1.1
BN_SIP=10.0.1.2
BN_FLOODNET=198.18.0.0/15
BN_GEN_CPU=0
BN_SRV_CPU=1
BN_BACKLOG=${BN_BACKLOG:-128}
BN_PORT=80
BN_IPERF_PORT=5201

BN_PIDS=()

bn_log() { printf '%s\n' "$*" >&2; }

bn_pin_self()
{
	local f

	taskset -pc $BN_GEN_CPU $$ >/dev/null
	for f in /proc/irq/*/smp_affinity_list; do
		echo $BN_GEN_CPU >"$f" 2>/dev/null
	done
}

bn_modules()
{
	local m

	for m in veth dummy nf_conntrack nf_synproxy_core nft_synproxy nft_ct; do
		modprobe -q $m 2>/dev/null
	done
}

# bn_contender_sysctls NAME: the server namespace's settings for a contender.
bn_syncookies_for()
{
	case $1 in
	none) echo 0 ;;	# no defense at all: the SYN queue alone
	syncookies) echo 2 ;;	# cookies for every SYN
	*) echo 1 ;;		# kernel default (cookies on queue overflow)
	esac
}

# The window scale the stack picks (tcp_select_initial_window): the one the
# nft synproxy rule must be told, as its documentation says.
bn_backend_wscale()
{
	local rmem2 rmax space ws=0

	rmem2=$(ip netns exec $BN_S awk '{ print $3 }' /proc/sys/net/ipv4/tcp_rmem)
	rmax=$(cat /proc/sys/net/core/rmem_max)
	space=$((rmem2 > rmax ? rmem2 : rmax))
	while [ $space -gt 65535 ] && [ $ws -lt 14 ]; do
		space=$((space >> 1))
		ws=$((ws + 1))
	done
	echo $ws
}

# bn_setup CONTENDER: fresh namespaces, the contender's defense, the listener.
# Sets BN_DMAC (veth-s MAC), BN_SRV_PID (httpd), BN_CL_PID (anchor process in
# the client ns), BN_CONTENDER.
bn_setup()
{
	local c=$1 ws

	BN_CONTENDER=$c
	bn_teardown
	if [ "$c" = xsynproxy ]; then
		modprobe xsynproxy || return 1
	else
		modprobe -r xsynproxy 2>/dev/null
	fi
	ip netns add $BN_C && ip netns add $BN_S || return 1
	ip -n $BN_C link set lo up
	ip -n $BN_S link set lo up
	ip link add veth-c netns $BN_C type veth peer name veth-s netns $BN_S || return 1
	ip -n $BN_C addr add $BN_CIP/24 dev veth-c
	ip -n $BN_S addr add $BN_SIP/24 dev veth-s
	ip -n $BN_S link add dummy0 type dummy
	ip -n $BN_C link set veth-c up
	ip -n $BN_S link set veth-s up
	ip -n $BN_S link set dummy0 up arp off
	# Answers to spoofed sources leave through one "gateway" with a permanent
	# neighbour entry, as on a real server (a route straight onto dummy0
	# would create and garbage-collect a neighbour per spoofed address).
	ip -n $BN_S addr add 192.0.2.1/24 dev dummy0
	ip -n $BN_S neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev dummy0 nud permanent
	ip -n $BN_S route add $BN_FLOODNET via 192.0.2.2 dev dummy0
	# tcp_no_metrics_save: every legitimate client is a new peer. Otherwise
	# the one client address of the benchmark becomes "proven"
	# (tcp_peer_is_proven) and gets the quarter of tcp_max_syn_backlog the
	# kernel keeps for known peers, past the unprotected server's full queue.
	ip netns exec $BN_S sh -c "
		echo $((1 << BN_SRV_CPU)) > /sys/class/net/veth-s/queues/rx-0/rps_cpus
		sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.veth-s.rp_filter=0 \
			net.ipv4.tcp_no_metrics_save=1 \
			net.ipv4.tcp_syncookies=$(bn_syncookies_for "$c")" || return 1
	ip netns exec $BN_C sh -c \
		"echo $((1 << BN_GEN_CPU)) > /sys/class/net/veth-c/queues/rx-0/rps_cpus" || return 1
	BN_DMAC=$(ip -n $BN_S -br link show veth-s | awk '{ print $3 }')

	case $c in
	nft)
		ws=$(bn_backend_wscale)
		ip netns exec $BN_S sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || return 1
		# The ruleset of nft(8), "Example ruleset for synproxy statement",
		# limited to the benchmark's ports.
		ip netns exec $BN_S nft -f - <<EOF || return 1
table ip xspbench {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport { $BN_PORT, $BN_IPERF_PORT } tcp flags syn notrack
	}
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport { $BN_PORT, $BN_IPERF_PORT } ct state invalid,untracked synproxy mss 1460 wscale $ws timestamp sack-perm
		ct state invalid drop
	}
}
EOF
		ip netns exec $BN_S sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || return 1
		;;
	xsynproxy)
		synctl -n $BN_S ports add $BN_PORT >/dev/null || return 1
		synctl -n $BN_S ports add $BN_IPERF_PORT >/dev/null || return 1
		;;
	esac

	ip netns exec $BN_C sleep 1000000 &
	BN_CL_PID=$!
	BN_PIDS+=($BN_CL_PID)
	bn_start_httpd || return 1
	# ARP for the client, so the first measured fetch does not pay it
	ip netns exec $BN_C ping -c1 -W2 $BN_SIP >/dev/null || return 1
}

bn_start_httpd()
{
	local i

	ip netns exec $BN_S taskset -c $BN_SRV_CPU "$BN_BIN/httpd" -a $BN_SIP \
		-p $BN_PORT -b $BN_BACKLOG -s 1024 >/dev/null &
	BN_SRV_PID=$!
	BN_PIDS+=($BN_SRV_PID)
	for ((i = 0; i < 100; i++)); do
		grep -q ":0050 00000000:0000 0A" /proc/$BN_SRV_PID/net/tcp 2>/dev/null && return 0
		sleep 0.05
	done
	bn_log "httpd did not start"
	return 1
}

bn_teardown()
{
	local p

	for p in "${BN_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BN_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	BN_PIDS=()
	ip netns del $BN_C 2>/dev/null
	ip netns del $BN_S 2>/dev/null
	true
}

# bn_flood ARGS...: start the generator in the client ns (background),
# sets BN_GEN_PID; its JSON line goes to $BN_GEN_OUT.
bn_flood()
{
	ip netns exec $BN_C "$BN_BIN/synflood" -i veth-c -D "$BN_DMAC" -d $BN_SIP \
		-p $BN_PORT -S $BN_FLOODNET "$@" >"${BN_GEN_OUT:-/dev/null}" 2>&1 &
	BN_GEN_PID=$!
}

bn_flood_stop()
{
	[ -n "${BN_GEN_PID:-}" ] || return 0
	kill "$BN_GEN_PID" 2>/dev/null
	wait "$BN_GEN_PID" 2>/dev/null
	BN_GEN_PID=
}

# Field names of bn_snap, in order. gen_* are veth-c's TX counters (frames
# the generator handed over / that the server's backlog queue refused),
# srv_* veth-s's, answered is dummy0's TX (replies to spoofed sources);
# cpu*_ are /proc/stat (USER_HZ ticks; busy/softirq/sys are tick-sampled,
# idle is measured); v*_ and host_* come from the host (bench/hostcpu.py):
# ns the vCPU threads ran / waited for a host CPU, and the host's /proc/stat.
BN_FIELDS=(t_us gen_tx gen_drop srv_rx answered srv_veth_tx cpu1_busy cpu1_total
	cpu1_softirq cpu1_sys cpu0_busy cpu0_total srv_rx_bytes cpu1_idle
	v0_run_ns v0_wait_ns v1_run_ns v1_wait_ns qemu_run_ns host_busy host_total)

# bn_snap: one line of counters (BN_FIELDS), read without forking.
bn_snap()
{
	local f name rest cpu u n s idle iow irq sirq st host
	local gtx=0 gdrop=0 srx=0 srxb=0 dtx=0 stx=0 c1b=0 c1t=0 c1si=0 c1sy=0 c1i=0 c0b=0 c0t=0

	while read -r name rest; do
		case $name in
		veth-c:) f=($rest); gtx=${f[9]}; gdrop=${f[11]} ;;
		esac
	done </proc/$BN_CL_PID/net/dev
	while read -r name rest; do
		case $name in
		veth-s:) f=($rest); srxb=${f[0]}; srx=${f[1]}; stx=${f[9]} ;;
		dummy0:) f=($rest); dtx=${f[9]} ;;
		esac
	done </proc/$BN_SRV_PID/net/dev
	while read -r cpu u n s idle iow irq sirq st rest; do
		case $cpu in
		cpu$BN_SRV_CPU)
			c1t=$((u + n + s + idle + iow + irq + sirq + st))
			c1b=$((c1t - idle - iow)); c1si=$sirq; c1sy=$s; c1i=$((idle + iow)) ;;
		cpu$BN_GEN_CPU)
			c0t=$((u + n + s + idle + iow + irq + sirq + st))
			c0b=$((c0t - idle - iow)) ;;
		esac
	done </proc/stat
	host="0 0 0 0 0 0 0"
	[ -n "${XSP_RESULTS:-}" ] && [ -r "$XSP_RESULTS/hostcpu" ] &&
		read -r host <"$XSP_RESULTS/hostcpu"
	echo "${EPOCHREALTIME/./} $gtx $gdrop $srx $dtx $stx $c1b $c1t $c1si $c1sy $c0b $c0t $srxb $c1i $host"
}

# bn_delta A B: B - A field by field (t in microseconds -> ms)
bn_delta()
{
	local -a a=($1) b=($2)
	local i out=$(((b[0] - a[0]) / 1000))

	for ((i = 1; i < ${#a[@]}; i++)); do
		out+=" $((b[i] - a[i]))"
	done
	echo "$out"
}

bn_slab_kb()
{
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

bn_ct_count()
{
	ip netns exec $BN_S cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0
}

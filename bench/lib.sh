#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Topology and counters shared by the benchmark (bench/guest.sh) and the demo
# (bench/demo-guest.sh). Runs inside the guest, as root.
#
#   client ns xspb-c                              server ns xspb-s
#   veth-c 10.0.1.1/24 2001:db8:1::1/64  <---->  veth-s 10.0.1.2/24 2001:db8:1::2/64
#   veth-f (the generator's, no address) ---->  veth-fs (GRO on: NAPI, threaded)
#                                                dummy0 192.0.2.1/24 2001:db8:2::1/64
#                                                  198.18.0.0/15 via 192.0.2.2
#                                                  2001:db8:ff00::/40 via 2001:db8:2::2
#
# Legitimate clients and iperf3 use veth-c/veth-s; RPS on veth-s puts the
# server's receive path for them in CPU 1's backlog queue. The flood has its
# own pair: veth-fs has GRO on, which makes veth deliver through its NAPI
# instance (a ring of 256 frames, frames past it dropped and counted on
# veth-f's TX), and the NAPI runs threaded, its kthread pinned to CPU 1 - as
# a NIC's receive queue would, and not through the per-CPU backlog queue the
# legitimate clients use. The server answers on any interface for its
# addresses (rp_filter off). The flood comes from 198.18.0.0/15 (RFC 2544)
# or 2001:db8:ff00::/40; the server routes both to dummy0 through a gateway
# with a permanent neighbour entry, so every answer to a spoofed SYN is
# counted by dummy0's TX counter and freed there, whoever sent it (the
# stack, nft synproxy or xsynproxy). Legitimate clients get their answers
# over veth-s.
#
# CPUs: whoever sources this pins itself (and so its children: generator,
# clients) to CPU 0; server processes are started on CPU 1, with the flood's
# NAPI thread and RPS of veth-s. RPS on veth-c keeps the client's receive
# path on CPU 0. Device IRQs go to CPU 0.

BN_TOP=${BN_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BN_BIN=${BN_BIN:-$BN_TOP/build/bench}
BN_C=xspb-c
BN_S=xspb-s
BN_CIP=10.0.1.1
BN_SIP=10.0.1.2
BN_FLOODNET=198.18.0.0/15
BN_CIP6=2001:db8:1::1
BN_SIP6=2001:db8:1::2
BN_FLOODNET6=2001:db8:ff00::/40
BN_FAMILY=4	# bn_flood, bn_start_httpd: the family of the flood
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

	# shellcheck disable=SC2034 # used by the scripts that source this
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
	ip link add veth-f netns $BN_C type veth peer name veth-fs netns $BN_S || return 1
	ip -n $BN_C addr add $BN_CIP/24 dev veth-c
	ip -n $BN_S addr add $BN_SIP/24 dev veth-s
	ip -n $BN_C addr add $BN_CIP6/64 dev veth-c nodad
	ip -n $BN_S addr add $BN_SIP6/64 dev veth-s nodad
	ip -n $BN_S link add dummy0 type dummy
	ip -n $BN_C link set veth-c up
	ip -n $BN_S link set veth-s up
	ip -n $BN_C link set veth-f up
	ip -n $BN_S link set veth-fs up
	ip -n $BN_S link set dummy0 up arp off
	# Answers to spoofed sources leave through one "gateway" with a permanent
	# neighbour entry, as on a real server (a route straight onto dummy0
	# would create and garbage-collect a neighbour per spoofed address).
	ip -n $BN_S addr add 192.0.2.1/24 dev dummy0
	ip -n $BN_S neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev dummy0 nud permanent
	ip -n $BN_S route add $BN_FLOODNET via 192.0.2.2 dev dummy0
	ip -n $BN_S addr add 2001:db8:2::1/64 dev dummy0 nodad
	ip -n $BN_S -6 neigh add 2001:db8:2::2 lladdr 02:00:00:00:00:02 dev dummy0 nud permanent
	ip -n $BN_S -6 route add $BN_FLOODNET6 via 2001:db8:2::2 dev dummy0 || return 1
	# The flood's pair: veth only queues to its peer's NAPI with GRO on at
	# the receiver and TSO off at the sender (veth_skb_is_eligible_for_gro).
	ip netns exec $BN_C ethtool -K veth-f tso off >/dev/null 2>&1 || return 1
	ip netns exec $BN_S ethtool -K veth-fs gro on >/dev/null 2>&1 || return 1
	bn_napi_thread || return 1
	# tcp_no_metrics_save: every legitimate client is a new peer. Otherwise
	# the one client address of the benchmark becomes "proven"
	# (tcp_peer_is_proven) and gets the quarter of tcp_max_syn_backlog the
	# kernel keeps for known peers, past the unprotected server's full queue.
	ip netns exec $BN_S sh -c "
		echo $((1 << BN_SRV_CPU)) > /sys/class/net/veth-s/queues/rx-0/rps_cpus
		echo 0 > /sys/class/net/veth-fs/queues/rx-0/rps_cpus
		sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.veth-s.rp_filter=0 net.ipv4.conf.veth-fs.rp_filter=0 \
			net.ipv4.tcp_no_metrics_save=1 \
			net.ipv4.tcp_syncookies=$(bn_syncookies_for "$c")" || return 1
	ip netns exec $BN_C sh -c \
		"echo $((1 << BN_GEN_CPU)) > /sys/class/net/veth-c/queues/rx-0/rps_cpus" || return 1
	BN_DMAC=$(ip -n $BN_S -br link show veth-fs | awk '{ print $3 }')

	case $c in
	nft)
		ws=$(bn_backend_wscale)
		ip netns exec $BN_S sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || return 1
		# The ruleset of nft(8), "Example ruleset for synproxy statement",
		# limited to the benchmark's ports, in an inet table: the same
		# rules for IPv4 and IPv6.
		ip netns exec $BN_S nft -f - <<EOF || return 1
table inet xspbench {
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
	BN_PIDS+=("$BN_CL_PID")
	bn_start_httpd || return 1
	# ARP and ND for the client, so the first measured fetch does not pay it
	ip netns exec $BN_C ping -c1 -W2 $BN_SIP >/dev/null || return 1
	ip netns exec $BN_C ping -6 -c1 -W2 $BN_SIP6 >/dev/null || return 1
}

# bn_napi_thread: veth-fs's NAPI in its own kthread, pinned to the server's
# CPU (every "napi/veth-fs-*": one of a namespace still being dismantled may
# be there too)
bn_napi_thread()
{
	local f p n=0 comm

	ip netns exec $BN_S sh -c 'echo 1 > /sys/class/net/veth-fs/threaded' || {
		bn_log "veth-fs: threaded NAPI not available"
		return 1
	}
	for f in /proc/[0-9]*/comm; do
		read -r comm 2>/dev/null <"$f" || continue
		case $comm in
		napi/veth-fs-*)
			p=${f#/proc/}
			taskset -pc $BN_SRV_CPU "${p%/comm}" >/dev/null && n=$((n + 1))
			;;
		esac
	done
	[ $n -gt 0 ] || { bn_log "veth-fs: no NAPI thread"; return 1; }
}

# bn_start_httpd: the listener on port 80 for each family (one process each,
# backlog BN_BACKLOG, on the server's CPU); BN_SRV_PID is the IPv4 one.
bn_start_httpd()
{
	local i

	ip netns exec $BN_S taskset -c $BN_SRV_CPU "$BN_BIN/httpd" -a $BN_SIP \
		-p $BN_PORT -b $BN_BACKLOG -s 1024 >/dev/null &
	BN_SRV_PID=$!
	ip netns exec $BN_S taskset -c $BN_SRV_CPU "$BN_BIN/httpd" -a $BN_SIP6 \
		-p $BN_PORT -b $BN_BACKLOG -s 1024 >/dev/null &
	BN_SRV6_PID=$!
	BN_PIDS+=("$BN_SRV_PID" "$BN_SRV6_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q ":0050 00000000:0000 0A" /proc/$BN_SRV_PID/net/tcp 2>/dev/null &&
			grep -q ":0050 00000000000000000000000000000000:0000 0A" \
				/proc/$BN_SRV6_PID/net/tcp6 2>/dev/null && return 0
		sleep 0.05
	done
	bn_log "httpd did not start"
	return 1
}

bn_stop_httpd()
{
	kill "$BN_SRV_PID" "$BN_SRV6_PID" 2>/dev/null
	wait "$BN_SRV_PID" "$BN_SRV6_PID" 2>/dev/null
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

# bn_flood ARGS...: start the generator in the client ns (background), into
# veth-f, in family BN_FAMILY; sets BN_GEN_PID; its JSON line goes to
# $BN_GEN_OUT.
bn_flood()
{
	local dst=$BN_SIP net=$BN_FLOODNET

	[ "$BN_FAMILY" = 6 ] && dst=$BN_SIP6 net=$BN_FLOODNET6
	ip netns exec $BN_C "$BN_BIN/synflood" -i veth-f -D "$BN_DMAC" -d $dst \
		-p $BN_PORT -S $net "$@" >"${BN_GEN_OUT:-/dev/null}" 2>&1 &
	BN_GEN_PID=$!
}

bn_flood_stop()
{
	[ -n "${BN_GEN_PID:-}" ] || return 0
	kill "$BN_GEN_PID" 2>/dev/null
	wait "$BN_GEN_PID" 2>/dev/null
	BN_GEN_PID=
}

# Field names of bn_snap, in order. gen_* are veth-f's TX counters (frames
# the server's NAPI took / that did not fit its ring), srv_rx veth-fs's RX
# (the flood delivered), srv_veth_tx and srv_rx_bytes veth-s's (legitimate
# traffic, iperf3), answered is dummy0's TX (replies to spoofed sources);
# cpu*_ are /proc/stat (USER_HZ ticks; busy/softirq/sys are tick-sampled,
# idle is measured); v*_ and host_* come from the host (bench/hostcpu.py):
# ns the vCPU threads ran / waited for a host CPU, the host's /proc/stat, and
# host_ns, the host's clock when it wrote the sample (all 0 when the sample
# file is missing: bench/report.py then refuses the window).
# shellcheck disable=SC2034 # used by the scripts that source this
BN_FIELDS=(t_us gen_tx gen_drop srv_rx answered srv_veth_tx cpu1_busy cpu1_total
	cpu1_softirq cpu1_sys cpu0_busy cpu0_total srv_rx_bytes cpu1_idle
	v0_run_ns v0_wait_ns v1_run_ns v1_wait_ns qemu_run_ns host_busy host_total host_ns)

# bn_snap: one line of counters (BN_FIELDS), read without forking.
# shellcheck disable=SC2206 # the fields are numbers, split on purpose
bn_snap()
{
	local f name rest cpu u n s idle iow irq sirq st host
	local gtx=0 gdrop=0 srx=0 srxb=0 dtx=0 stx=0 c1b=0 c1t=0 c1si=0 c1sy=0 c1i=0 c0b=0 c0t=0

	while read -r name rest; do
		case $name in
		veth-f:) f=($rest); gtx=${f[9]}; gdrop=${f[11]} ;;
		esac
	done </proc/$BN_CL_PID/net/dev
	while read -r name rest; do
		case $name in
		veth-s:) f=($rest); srxb=${f[0]}; stx=${f[9]} ;;
		veth-fs:) f=($rest); srx=${f[1]} ;;
		dummy0:) f=($rest); dtx=${f[9]} ;;
		esac
	done </proc/$BN_SRV_PID/net/dev
	while read -r cpu u n s idle iow irq sirq st rest; do
		case $cpu in
		"cpu$BN_SRV_CPU")
			c1t=$((u + n + s + idle + iow + irq + sirq + st))
			c1b=$((c1t - idle - iow)); c1si=$sirq; c1sy=$s; c1i=$((idle + iow)) ;;
		"cpu$BN_GEN_CPU")
			c0t=$((u + n + s + idle + iow + irq + sirq + st))
			c0b=$((c0t - idle - iow)) ;;
		esac
	done </proc/stat
	host="0 0 0 0 0 0 0 0"
	[ -n "${XSP_RESULTS:-}" ] && [ -r "$XSP_RESULTS/hostcpu" ] &&
		read -r host <"$XSP_RESULTS/hostcpu"
	f=($host)
	[ ${#f[@]} = 8 ] || host="0 0 0 0 0 0 0 0"
	echo "${EPOCHREALTIME/./} $gtx $gdrop $srx $dtx $stx $c1b $c1t $c1si $c1sy $c0b $c0t $srxb $c1i $host"
}

# bn_delta A B: B - A field by field (t in microseconds -> ms)
# shellcheck disable=SC2206 # the fields are numbers, split on purpose
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

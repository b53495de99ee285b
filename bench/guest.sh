#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's guest side (tools/bench boots the VM and runs this in it).
# For each run and each contender (the order rotated from run to run) it
# builds the topology of bench/lib.sh and measures, for IPv4 and for IPv6
# (the family order alternates from run to run):
#
#   legit_base  legitimate fetches, no flood
#   syn         spoofed SYNs at each offered rate of SWEEP (SYN/s; 0 = the
#               generator flat out, last); the first rate is the "fixed"
#               rate, below every defense's saturation; during the flat-out
#               window the same open-loop legitimate fetches run
#   ack         forged ACKs at the fixed rate + a few real fetches during it
#
# and, IPv4 only:
#
#   mem         slab and conntrack before/after MEM_SYNS delivered SYNs, and
#               the peak of /proc/meminfo Slab sampled every 100 ms during
#               the flood (runs MEM_RUNS only)
#   iperf       iperf3 through the protected port 5201, once with the
#               veths' GSO segments ("big") and once with 536-byte segments
#               and GSO/TSO off ("small"); xsynproxy's cell only, segments
#               cycling through the module loaded with the port protected,
#               (small only) loaded with its hooks registered and no port
#               protected, and not loaded
#
# Every measurement is one JSON line in $XSP_RESULTS/raw.jsonl; the host
# (bench/report.py) checks them, computes per-run ratios and their medians
# and writes the report.
#
#   bench/guest.sh [--quick] [--runs N] [--contenders "a b ..."]
#
# Environment (tools/vm/run passes XSP_* on): XSP_BENCH_SWEEP (offered
# rates, the first the fixed rate, the last 0), XSP_BENCH_WIN (window of a
# full run, s), XSP_BENCH_IPERF_SEGS.
set -u
BN_TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$BN_TOP/bench/lib.sh"

QUICK=0
RUNS=5
CONTENDERS="none syncookies nft xsynproxy"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--runs) RUNS=$2; shift ;;
	--contenders) CONTENDERS=$2; shift ;;
	*) bn_log "guest.sh: unknown argument $1"; exit 2 ;;
	esac
	shift
done

SWEEP=${XSP_BENCH_SWEEP:-10000 50000 0}	# offered SYN/s, 0 = flat out (last)
# "no protection" answers almost nothing and enters no ratio: measured in
# these runs only (a full run must fit in 30 minutes); the memory flood
# for these contenders only (the slab target is xsynproxy's)
NONE_RUNS=${XSP_BENCH_NONE_RUNS:-1}
if [ $QUICK = 1 ]; then
	WARM=0.2	# generator start -> first counter snapshot
	WIN=0.8		# measurement window, seconds
	LEGIT_N=20	# open-loop legitimate fetches during the flat-out window
	LEGIT_BASE_N=10	# ... and without a flood
	LEGIT_T=2000	# per-fetch timeout, ms (one SYN retransmission at 1 s)
	MEM_SYNS=100000
	MEM_RUNS="1"
	MEM_CONTENDERS="xsynproxy"
	IPERF_SEGS=3	# iperf3 segments, small segments (see phase_iperf)
	IPERF_SEGS_BIG=2	# ... GSO segments (no "hooks" state)
	IPERF_SEG=0.5	# seconds each
	PROFILE_S=0	# perf record seconds per contender (0: no profile)
else
	WARM=0.3
	WIN=${XSP_BENCH_WIN:-1.0}
	LEGIT_N=40
	LEGIT_BASE_N=20
	LEGIT_T=2000
	MEM_SYNS=1000000
	MEM_RUNS="1"
	MEM_CONTENDERS=${XSP_BENCH_MEM_CONTENDERS:-xsynproxy}
	IPERF_SEGS=${XSP_BENCH_IPERF_SEGS:-6}
	IPERF_SEGS_BIG=$((IPERF_SEGS * 2 / 3))
	IPERF_SEG=0.8
	PROFILE_S=2
fi
# the fetches at a fixed schedule over the window
LEGIT_I=$(awk -v w=$WIN -v n=$LEGIT_N 'BEGIN { printf "%.1f", w * 1000 / n }')
FIXED_BATCH=64	# frames per burst at the fixed rate (one wakeup of CPU 1 each)
SMALL_MSS=536	# iperf3 -M for the small-segment test
IPERF_QUIET=0.1	# s without a packet on veth-s before a module switch
IPERF_SETTLE=0.2	# s from the client's restart to the next segment

OUT=${XSP_RESULTS:-/tmp}
RAW=$OUT/raw.jsonl
TMPD=$(mktemp -d)
KERNEL=${XSP_KERNEL:-$(uname -r)}
SLAB_PID=
trap 'bn_flood_stop; slab_stop; bn_teardown; rm -rf "$TMPD"' EXIT

T_START=$EPOCHSECONDS
RUN=0
SLOT=0

die() { bn_log "bench[$KERNEL] FAILED: $*"; exit 1; }

# fail MSG: a measurement failed: an "error" line in raw.jsonl (the report
# refuses the run and lists it), and the run goes on with the next one
fail()
{
	local msg="$*"

	msg=${msg//[^A-Za-z0-9 .,:\/_+=()-]/ }
	bn_log "bench[$KERNEL] run $RUN ${BN_CONTENDER:-} v$BN_FAMILY FAILED: $*"
	printf '{"kernel":"%s","run":%d,"contender":"%s","family":%d,"phase":"error","msg":"%s"}\n' \
		"$KERNEL" "$RUN" "${BN_CONTENDER:-}" "$BN_FAMILY" "$msg" >>"$RAW"
	return 1
}

# emit PHASE DELTA [EXTRA_JSON]: one line of raw.jsonl
emit()
{
	local phase=$1 extra=${3:-} i line
	local -a d
	read -r -a d <<<"$2"

	line=$(printf '{"kernel":"%s","run":%d,"slot":%d,"contender":"%s","family":%d,"phase":"%s","t":%d,"window_ms":%d' \
		"$KERNEL" "$RUN" "$SLOT" "$BN_CONTENDER" "$BN_FAMILY" "$phase" $((EPOCHSECONDS - T_START)) "${d[0]}")
	for ((i = 1; i < ${#BN_FIELDS[@]}; i++)); do
		line+=",\"${BN_FIELDS[i]}\":${d[i]:-0}"
	done
	echo "$line${extra:+,$extra}}" >>"$RAW"
}

# progress line: rates over the window; server CPU 1 busy as the guest sees
# it (1 - idle) and as host CPU time of its vCPU thread
say()
{
	local phase=$1 more=${3:-}
	local -a d
	read -r -a d <<<"$2"

	awk -v k="$KERNEL" -v r=$RUN -v c="$BN_CONTENDER" -v p="$phase" -v f="$BN_FAMILY" \
		-v ms="${d[0]}" -v off="$((d[1] + d[2]))" -v rx="${d[3]}" \
		-v ans="${d[4]}" -v idle="${d[13]}" -v v1="${d[16]}" -v m="$more" 'BEGIN {
		s = ms / 1000; if (s <= 0) s = 1
		b = 100 * (1 - idle / 100 / s); if (b < 0) b = 0
		printf "bench[%s] run %d %-10s v%s %-10s offered %6.0f/s delivered %6.0f/s answered %6.0f/s cpu1 %3.0f%% (host %3.0f%%) %s\n",
			k, r, c, f, p, off / s, rx / s, ans / s, b, v1 / 1e7 / s, m }' >&2
}

# jget KEY JSON: a top-level number of a one-line JSON object
jget()
{
	echo "$2" | grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2
}

restart_httpd()
{
	bn_stop_httpd
	bn_start_httpd || fail "httpd did not restart"
}

sip()
{
	if [ "$BN_FAMILY" = 6 ]; then echo $BN_SIP6; else echo $BN_SIP; fi
}

# legit N [ARGS...]: N open-loop fetches spread over the window
legit()
{
	local n=$1
	shift
	ip netns exec $BN_C "$BN_BIN/client" -d "$(sip)" -p $BN_PORT -n "$n" -o \
		-T $LEGIT_T -i "$(awk -v w=$WIN -v n="$n" 'BEGIN { printf "%.1f", w * 1000 / n }')" "$@"
}

# flood_check: the generator must still be running at the end of a window
flood_check()
{
	kill -0 "$BN_GEN_PID" 2>/dev/null ||
		fail "$1: the generator died: $(cat "$TMPD/gen" 2>/dev/null)"
}

phase_legit_base()
{
	local a b j

	a=$(bn_snap)
	j=$(legit $LEGIT_BASE_N)
	b=$(bn_snap)
	[ -n "$j" ] || { fail "legit_base: no client output"; return 1; }
	emit legit_base "$(bn_delta "$a" "$b")" "\"legit\":$j"
}

# phase_syn RATE: one point of the sweep (RATE 0: flat out, with the
# legitimate fetches)
phase_syn()
{
	local rate=$1 a b j='' g d lp='' args=(-r "$1" -t 600)

	[ "$rate" != 0 ] && args+=(-b "$FIXED_BATCH")
	restart_httpd || return 1
	BN_GEN_OUT=$TMPD/gen bn_flood "${args[@]}"
	sleep $WARM
	a=$(bn_snap)
	if [ "$rate" = 0 ]; then
		legit $LEGIT_N >$TMPD/legit &
		lp=$!
	fi
	sleep $WIN
	b=$(bn_snap)
	if ! flood_check "syn $rate"; then
		[ -n "$lp" ] && wait $lp
		bn_flood_stop
		return 1
	fi
	if [ -n "$lp" ]; then
		wait $lp
		j=$(cat $TMPD/legit)
		[ -n "$j" ] || { bn_flood_stop; fail "syn $rate: no client output"; return 1; }
	fi
	bn_flood_stop
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit syn "$d" "\"rate\":$rate${j:+,\"legit\":$j},\"gen\":${g:-null}"
	say "syn $rate" "$d" "${j:+legit $(jget ok "$j")/$(jget attempted "$j")}"
}

phase_ack()
{
	local a b g d j t0 left

	restart_httpd || return 1
	BN_GEN_OUT=$TMPD/gen bn_flood -m ack -r "$FIXED" -b $FIXED_BATCH -t 600
	sleep $WARM
	a=$(bn_snap)
	t0=${EPOCHREALTIME/./}
	# real connections during the flood
	j=$(ip netns exec $BN_C "$BN_BIN/client" -d "$(sip)" -p $BN_PORT -n 3 -i 100 -o -T $LEGIT_T)
	left=$(awk -v w=$WIN -v e=$(((${EPOCHREALTIME/./} - t0) / 1000)) \
		'BEGIN { l = w - e / 1000; print (l > 0) ? l : 0 }')
	sleep "$left"
	b=$(bn_snap)
	flood_check ack || { bn_flood_stop; return 1; }
	bn_flood_stop
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit ack "$d" "\"rate\":$FIXED,\"real\":${j:-null},\"gen\":${g:-null}"
	say ack "$d" "real fetches $(jget ok "$j")/$(jget attempted "$j")"
}

drop_caches()
{
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 0.3
	echo 3 >/proc/sys/vm/drop_caches
}

# The peak of /proc/meminfo Slab, sampled every 100 ms (no fork but sleep),
# printed with the number of samples when stopped.
slab_sampler()
{
	local peak=0 n=0 k v rest

	trap 'echo "$peak $n"; exit 0' TERM
	while :; do
		while read -r k v rest; do
			if [ "$k" = Slab: ]; then
				[ "$v" -gt "$peak" ] && peak=$v
				n=$((n + 1))
				break
			fi
		done </proc/meminfo
		sleep 0.1
	done
}

slab_stop()
{
	[ -n "$SLAB_PID" ] || return 0
	kill "$SLAB_PID" 2>/dev/null
	wait "$SLAB_PID" 2>/dev/null
	SLAB_PID=
}

phase_mem()
{
	local a b g d s0 s1 u0 u1 c0 c1 peak

	restart_httpd || return 1
	drop_caches
	s0=$(bn_slab_kb)
	u0=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	c0=$(bn_ct_count)
	slab_sampler >"$TMPD/slab" &
	SLAB_PID=$!
	a=$(bn_snap)
	BN_GEN_OUT=$TMPD/gen bn_flood -r 0 -N $MEM_SYNS -t 600
	wait "$BN_GEN_PID"
	BN_GEN_PID=
	b=$(bn_snap)
	c1=$(bn_ct_count)
	slab_stop
	peak=$(cat "$TMPD/slab" 2>/dev/null)
	drop_caches
	s1=$(bn_slab_kb)
	u1=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	read -r -a peak <<<"$peak"
	[ "${peak[1]:-0}" -gt 0 ] || { fail "mem: no slab sample during the flood"; return 1; }
	emit mem "$d" "\"target\":$MEM_SYNS,\"slab_kb\":[$s0,$s1],\"slab_peak_kb\":${peak[0]},\"slab_samples\":${peak[1]},\"sunreclaim_kb\":[$u0,$u1],\"conntrack\":[$c0,$c1],\"gen\":${g:-null}"
	say mem "$d" "slab $((s1 - s0)) kB after, peak +$((peak[0] - s0)) kB, conntrack $c0 -> $c1"
}

xsp_on()
{
	modprobe xsynproxy && synctl -n $BN_S ports add $BN_PORT >/dev/null &&
		synctl -n $BN_S ports add $BN_IPERF_PORT >/dev/null
}

# veth-s's packets, both ways
iperf_packets()
{
	local name rest f

	while read -r name rest; do
		# shellcheck disable=SC2206 # numbers, split on purpose
		[ "$name" = veth-s: ] && { f=($rest); echo $((f[1] + f[9])); }
	done <"/proc/$BN_SRV_PID/net/dev"
}

# iperf_quiet: wait until veth-s has carried no packet for IPERF_QUIET s
# (the client's send buffer drained, the last ACKs sent), so that no packet
# crosses a netfilter static-branch site while loading or unloading the
# module patches it: in a multi-CPU TCG guest that can leave a vCPU stuck
# in the stale site (Documentation/testing.rst). The client is stopped
# first (SIGSTOP), or gone; the pause costs the measurement nothing: each
# segment starts IPERF_SETTLE s after the client goes on again, and slow
# start after idle is off in its namespace.
iperf_quiet()
{
	local n0 n1 i

	n0=$(iperf_packets)
	for ((i = 0; i < 100; i++)); do
		sleep $IPERF_QUIET
		n1=$(iperf_packets)
		[ "$n1" = "$n0" ] && return 0
		n0=$n1
	done
	fail "iperf3: veth-s not quiet for $IPERF_QUIET s in $i tries with the client stopped"
	return 1
}

# phase_iperf big|small: one iperf3 connection through the protected port,
# cut into segments of IPERF_SEG seconds measured from the server's counters
# (veth-s RX bytes, CPU 1). The segments cycle through three states of the
# module: "on" (loaded, the port protected), "hooks" (loaded, its hooks
# registered, no port protected: every packet pays the hooks' dispatch and
# their first test, nothing else) and "off" (not loaded), all measured on
# the same established connection, interleaved, so connection-to-connection
# and slow drifts of the emulator cancel out. "small": GSO and TSO off on
# the client's veth and MSS 536, so every segment is its own packet. "big"
# skips the hooks state (IPERF_SEGS_BIG segments): one hook dispatch per
# 64 kB aggregate cannot show, and each module switch costs seconds here.
phase_iperf()
{
	local size=$1 a b d sp cp i state=on seg mss=() nseg=$IPERF_SEGS_BIG
	local states=(on off) si=0 ni

	if [ "$size" = small ]; then
		nseg=$IPERF_SEGS
		states=(on hooks off)
		ip netns exec $BN_C ethtool -K veth-c gso off tso off >/dev/null 2>&1 ||
			{ fail "ethtool -K veth-c gso off tso off failed"; return 1; }
		mss=(-M "$SMALL_MSS")
	fi
	ip netns exec $BN_C sysctl -qw net.ipv4.tcp_slow_start_after_idle=0 ||
		{ fail "sysctl tcp_slow_start_after_idle=0 failed"; return 1; }
	ip netns exec $BN_S taskset -c $BN_SRV_CPU iperf3 -s -1 -B $BN_SIP -p $BN_IPERF_PORT \
		>/dev/null 2>&1 &
	sp=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ":1451 00000000:0000 0A" /proc/$sp/net/tcp 2>/dev/null && break
		sleep 0.05
	done
	# runs until killed after the last segment
	ip netns exec $BN_C iperf3 -c $BN_SIP -p $BN_IPERF_PORT -t 600 "${mss[@]}" >$TMPD/iperf 2>&1 &
	cp=$!
	sleep 1
	for ((seg = 0; seg < nseg; seg++)); do
		a=$(bn_snap)
		sleep $IPERF_SEG
		b=$(bn_snap)
		if ! kill -0 $cp 2>/dev/null; then
			fail "iperf3 $size: the client died: $(tail -3 $TMPD/iperf | tr '\n' ' ')"
			break
		fi
		d=$(bn_delta "$a" "$b")
		emit iperf "$d" "\"size\":\"$size\",\"segment\":$seg,\"module\":\"$state\""
		say "iperf $size" "$d" "$(awk -v b="$(echo "$d" | cut -d' ' -f13)" -v ms="$(echo "$d" | cut -d' ' -f1)" \
			'BEGIN { printf "%.0f Mbit/s", b * 8 / ms / 1000 }') module $state"
		[ $((seg + 1)) = "$nseg" ] && break
		kill -STOP $cp
		if ! iperf_quiet; then
			kill -CONT $cp
			break
		fi
		# The next state of the cycle; a failed switch is tried again
		# after the next segment. The hooks stay registered once a port
		# was enabled (until the namespace goes): "ports del all" leaves
		# exactly them.
		ni=$(((si + 1) % ${#states[@]}))
		case ${states[ni]} in
		hooks) synctl -n $BN_S ports del all >/dev/null ;;
		off) modprobe -r xsynproxy ;;
		on) xsp_on ;;
		esac && si=$ni
		state=${states[si]}
		kill -CONT $cp
		sleep $IPERF_SETTLE
	done
	kill $cp $sp 2>/dev/null
	wait $cp $sp 2>/dev/null
	if [ "$state" != on ]; then
		iperf_quiet
		xsp_on || die "modprobe xsynproxy failed"
	fi
	if [ "$size" = small ]; then
		ip netns exec $BN_C ethtool -K veth-c gso on tso on >/dev/null 2>&1
	fi
}

xsp_stats()
{
	[ "$BN_CONTENDER" = xsynproxy ] || return 0
	printf '{"kernel":"%s","run":%d,"contender":"xsynproxy","phase":"xsp_stats","stats":%s}\n' \
		"$KERNEL" "$RUN" "$(synctl -n $BN_S -j stats | tr -d '\n')" >>"$RAW"
}

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# --- main ------------------------------------------------------------------

bn_pin_self
bn_modules
mkdir -p "$OUT"
: >"$RAW"
FIXED=${SWEEP%% *}
{
	printf '{"phase":"meta","kernel":"%s","abi":"%s","quick":%d,"runs":%d,"contenders":"%s",' \
		"$KERNEL" "$(uname -r)" $QUICK "$RUNS" "$CONTENDERS"
	printf '"families":[4,6],"sweep":[%s],"fixed_rate":%d,' "${SWEEP// /,}" "$FIXED"
	printf '"window_s":%s,"warm_s":%s,"legit_n":%d,"legit_base_n":%d,"legit_timeout_ms":%d,"legit_interval_ms":%s,' \
		$WIN $WARM $LEGIT_N $LEGIT_BASE_N $LEGIT_T "$LEGIT_I"
	printf '"none_runs":[%s],"mem_contenders":"%s",' "${NONE_RUNS// /,}" "$MEM_CONTENDERS"
	printf '"mem_syns":%d,"mem_runs":[%s],"iperf_segs":%d,"iperf_segs_big":%d,"iperf_seg_s":%s,"small_mss":%d,' \
		$MEM_SYNS "${MEM_RUNS// /,}" $IPERF_SEGS $IPERF_SEGS_BIG $IPERF_SEG $SMALL_MSS
	printf '"backlog":%d,"fixed_batch":%d,"guest_cpu":"%s",' \
		"$BN_BACKLOG" $FIXED_BATCH "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf '"nproc":%d,"hz_user":%d}\n' "$(nproc --all)" "$(getconf CLK_TCK)"
} >>"$RAW"

read -r -a clist <<<"$CONTENDERS"
n=${#clist[@]}
for ((RUN = 1; RUN <= RUNS; RUN++)); do
	order=()
	for ((i = 0; i < n; i++)); do
		order+=("${clist[(i + RUN - 1) % n]}")
	done
	fams="4 6"
	[ $((RUN % 2)) = 0 ] && fams="6 4"
	SLOT=0
	for c in "${order[@]}"; do
		[ "$c" = none ] && ! in_list $RUN "$NONE_RUNS" && continue
		SLOT=$((SLOT + 1))
		t0=$EPOCHREALTIME
		BN_FAMILY=4
		if ! bn_setup "$c"; then
			fail "setup of $c failed"
			continue
		fi
		for BN_FAMILY in $fams; do
			phase_legit_base
			for r in $SWEEP; do
				phase_syn "$r"
			done
			phase_ack
		done
		BN_FAMILY=4
		in_list $RUN "$MEM_RUNS" && in_list "$c" "$MEM_CONTENDERS" && phase_mem
		xsp_stats
		if [ "$c" = xsynproxy ]; then
			phase_iperf big
			phase_iperf small
		fi
		bn_log "bench[$KERNEL] run $RUN $c done in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	done
done
# Where the server's time goes: perf (cpu-clock sampling, there is no PMU
# under TCG) on CPU 1 during a saturating IPv4 SYN flood, per contender.
if [ "$PROFILE_S" != 0 ] && command -v perf >/dev/null; then
	RUN=0
	BN_FAMILY=4
	for c in $CONTENDERS; do
		bn_setup "$c" || continue
		bn_flood -r 0 -t 600
		sleep $WARM
		perf record -q -o $TMPD/perf.data -C $BN_SRV_CPU -e cpu-clock -F 1999 \
			-- sleep $PROFILE_S >/dev/null 2>&1
		bn_flood_stop
		perf report -i $TMPD/perf.data --no-children --sort sym --stdio -g none \
			--percent-limit 0.2 2>/dev/null | grep -v '^#' | grep -v '^$' >"$OUT/perf-$c.txt"
		bn_log "bench[$KERNEL] profile $c: $(head -3 "$OUT/perf-$c.txt" | awk '{ printf "%s %s  ", $1, $3 }')"
	done
fi
bn_teardown
modprobe -r xsynproxy 2>/dev/null
bn_log "bench[$KERNEL] guest part took $((EPOCHSECONDS - T_START)) s"

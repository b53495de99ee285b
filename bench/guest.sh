#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's guest side (tools/bench boots the VM and runs this in it).
# For each run and each contender (rotated order) it builds the topology of
# bench/lib.sh and measures:
#
#   legit_base  legitimate fetches, no flood
#   syn_sat     spoofed SYNs as fast as the generator goes (CPU-saturating)
#               + the same legitimate fetches during it
#   syn_fixed   spoofed SYNs at a fixed offered rate below saturation
#   ack_fixed   forged ACKs at that rate + a few real fetches during it
#   mem         slab and conntrack before/after MEM_SYNS delivered SYNs
#   iperf       iperf3 throughput through the protected port 5201
#
# Every measurement is one JSON line in $XSP_RESULTS/raw.jsonl; the host
# (bench/report.py) computes medians and writes the report.
#
#   bench/guest.sh [--quick] [--runs N] [--contenders "a b ..."]
set -u
BN_TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$BN_TOP/bench/lib.sh"

QUICK=0
RUNS=3
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

if [ $QUICK = 1 ]; then
	WARM=0.3	# generator start -> first counter snapshot
	WIN=1.2		# measurement window, seconds
	LEGIT_N=30	# legitimate fetches per phase
	LEGIT_C=10	# at most this many at once
	LEGIT_T=3000	# per-fetch timeout, ms (SYN retransmits at 1 s, 3 s...)
	MEM_SYNS=100000
	IPERF_SEGS=4	# iperf3 segments (see phase_iperf)
	IPERF_SEG=0.5	# seconds each
	PROFILE_S=0	# perf record seconds per contender (0: no profile)
else
	WARM=0.5
	WIN=4
	LEGIT_N=200
	LEGIT_C=20
	LEGIT_T=5000
	MEM_SYNS=1000000
	IPERF_SEGS=8
	IPERF_SEG=1
	PROFILE_S=3
fi
# spread the fetches over the window
LEGIT_I=$(awk -v w=$WIN -v n=$LEGIT_N 'BEGIN { printf "%.1f", w * 1000 / n }')
LEGIT_D=$(awk -v w=$WIN 'BEGIN { printf "%d", w * 1000 }')
FIXED_BATCH=64	# frames per burst at the fixed rate (one wakeup of CPU 1 each)

OUT=${XSP_RESULTS:-/tmp}
RAW=$OUT/raw.jsonl
TMPD=$(mktemp -d)
KERNEL=${XSP_KERNEL:-$(uname -r)}
trap 'bn_flood_stop; bn_teardown; rm -rf "$TMPD"' EXIT

T_START=$EPOCHSECONDS

# emit PHASE DELTA [EXTRA_JSON]: one line of raw.jsonl
emit()
{
	local phase=$1 d=($2) extra=${3:-} i line

	line=$(printf '{"kernel":"%s","run":%d,"contender":"%s","phase":"%s","t":%d,"window_ms":%d' \
		"$KERNEL" "$RUN" "$BN_CONTENDER" "$phase" $((EPOCHSECONDS - T_START)) "${d[0]}")
	for ((i = 1; i < ${#BN_FIELDS[@]}; i++)); do
		line+=",\"${BN_FIELDS[i]}\":${d[i]:-0}"
	done
	echo "$line${extra:+,$extra}}" >>"$RAW"
}

# progress line: rates over the window; server CPU 1 busy as the guest sees
# it (1 - idle) and as host CPU time of its vCPU thread
say()
{
	local phase=$1 d=($2) more=${3:-}

	awk -v k="$KERNEL" -v r=$RUN -v c="$BN_CONTENDER" -v p="$phase" \
		-v ms="${d[0]}" -v off="$((d[1] + d[2]))" -v rx="${d[3]}" \
		-v ans="${d[4]}" -v idle="${d[13]}" -v v1="${d[16]}" -v m="$more" 'BEGIN {
		s = ms / 1000; if (s <= 0) s = 1
		b = 100 * (1 - idle / 100 / s); if (b < 0) b = 0
		printf "bench[%s] run %d %-10s %-10s offered %6.0f/s delivered %6.0f/s answered %6.0f/s cpu1 %3.0f%% (host %3.0f%%) %s\n",
			k, r, c, p, off / s, rx / s, ans / s, b, v1 / 1e7 / s, m }' >&2
}

# jget KEY JSON: a top-level number of a one-line JSON object
jget()
{
	echo "$2" | grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2
}

restart_httpd()
{
	kill "$BN_SRV_PID" 2>/dev/null
	wait "$BN_SRV_PID" 2>/dev/null
	bn_start_httpd
}

legit()
{
	ip netns exec $BN_C "$BN_BIN/client" -d $BN_SIP -p $BN_PORT -n $LEGIT_N \
		-c $LEGIT_C -T $LEGIT_T -i $LEGIT_I "$@"
}

phase_legit_base()
{
	local a b j

	a=$(bn_snap)
	j=$(legit)
	b=$(bn_snap)
	emit legit_base "$(bn_delta "$a" "$b")" "\"legit\":$j"
}

phase_syn_sat()
{
	local a b j g d

	restart_httpd
	BN_GEN_OUT=$TMPD/gen bn_flood -r 0 -t 600
	sleep $WARM
	a=$(bn_snap)
	legit -D $LEGIT_D >$TMPD/legit &
	local lp=$!
	sleep $WIN
	b=$(bn_snap)
	wait $lp
	bn_flood_stop
	j=$(cat $TMPD/legit)
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit syn_sat "$d" "\"legit\":${j:-null},\"gen\":${g:-null}"
	say syn_sat "$d" "legit $(jget ok "$j")/$(jget attempted "$j")"
}

phase_syn_fixed()
{
	local a b g d j

	restart_httpd
	BN_GEN_OUT=$TMPD/gen bn_flood -r $RATE -b $FIXED_BATCH -t 600
	sleep $WARM
	a=$(bn_snap)
	legit -D $LEGIT_D >$TMPD/legit &
	local lp=$!
	sleep $WIN
	b=$(bn_snap)
	wait $lp
	bn_flood_stop
	j=$(cat $TMPD/legit)
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit syn_fixed "$d" "\"rate\":$RATE,\"legit\":${j:-null},\"gen\":${g:-null}"
	say syn_fixed "$d" "legit $(jget ok "$j")/$(jget attempted "$j")"
}

phase_ack_fixed()
{
	local a b g d j t0 left

	restart_httpd
	BN_GEN_OUT=$TMPD/gen bn_flood -m ack -r $RATE -b $FIXED_BATCH -t 600
	sleep $WARM
	a=$(bn_snap)
	t0=${EPOCHREALTIME/./}
	# real connections during the flood
	j=$(ip netns exec $BN_C "$BN_BIN/client" -d $BN_SIP -p $BN_PORT -n 3 -c 1 -T $LEGIT_T)
	left=$(awk -v w=$WIN -v e=$(((${EPOCHREALTIME/./} - t0) / 1000)) \
		'BEGIN { l = w - e / 1000; print (l > 0) ? l : 0 }')
	sleep $left
	b=$(bn_snap)
	bn_flood_stop
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit ack_fixed "$d" "\"rate\":$RATE,\"real\":${j:-null},\"gen\":${g:-null}"
	say ack_fixed "$d" "real fetches $(jget ok "$j")/$(jget attempted "$j")"
}

drop_caches()
{
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 0.3
	echo 3 >/proc/sys/vm/drop_caches
}

phase_mem()
{
	local a b g d s0 s1 u0 u1 c0 c1

	restart_httpd
	drop_caches
	s0=$(bn_slab_kb)
	u0=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	c0=$(bn_ct_count)
	a=$(bn_snap)
	BN_GEN_OUT=$TMPD/gen bn_flood -r 0 -N $MEM_SYNS -t 600
	wait $BN_GEN_PID
	BN_GEN_PID=
	b=$(bn_snap)
	c1=$(bn_ct_count)
	drop_caches
	s1=$(bn_slab_kb)
	u1=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	g=$(cat $TMPD/gen)
	d=$(bn_delta "$a" "$b")
	emit mem "$d" "\"target\":$MEM_SYNS,\"slab_kb\":[$s0,$s1],\"sunreclaim_kb\":[$u0,$u1],\"conntrack\":[$c0,$c1],\"gen\":${g:-null}"
	say mem "$d" "slab $((s1 - s0)) kB, conntrack $c0 -> $c1"
}

# One iperf3 connection through the protected port, cut into segments of
# IPERF_SEG seconds measured from the server's counters (veth-s RX bytes,
# CPU 1). In the xsynproxy cell the module is unloaded and reloaded between
# segments (on, off, on, off...): "loaded" and "not loaded" are measured on the
# same established connection, interleaved, so connection-to-connection and
# slow drifts of the emulator cancel out.
phase_iperf()
{
	local a b d sp cp i state=on seg

	ip netns exec $BN_S taskset -c $BN_SRV_CPU iperf3 -s -1 -B $BN_SIP -p $BN_IPERF_PORT \
		>/dev/null 2>&1 &
	sp=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ":1451 00000000:0000 0A" /proc/$sp/net/tcp 2>/dev/null && break
		sleep 0.05
	done
	# runs until killed after the last segment
	ip netns exec $BN_C iperf3 -c $BN_SIP -p $BN_IPERF_PORT -t 600 >$TMPD/iperf 2>&1 &
	cp=$!
	sleep 1
	for ((seg = 0; seg < IPERF_SEGS; seg++)); do
		[ "$BN_CONTENDER" = xsynproxy ] || state=
		a=$(bn_snap)
		sleep $IPERF_SEG
		b=$(bn_snap)
		d=$(bn_delta "$a" "$b")
		emit iperf "$d" "\"segment\":$seg,\"module\":\"${state:-n/a}\""
		say iperf "$d" "$(awk -v b=$(echo $d | cut -d' ' -f13) -v ms=$(echo $d | cut -d' ' -f1) \
			'BEGIN { printf "%.0f Mbit/s", b * 8 / ms / 1000 }') ${state:+module $state}"
		if [ "$state" = on ]; then
			modprobe -r xsynproxy && state=off
		elif [ "$state" = off ]; then
			modprobe xsynproxy && synctl -n $BN_S ports add $BN_PORT >/dev/null &&
				synctl -n $BN_S ports add $BN_IPERF_PORT >/dev/null && state=on
		fi
	done
	kill $cp $sp 2>/dev/null
	wait $cp $sp 2>/dev/null
	if [ "$BN_CONTENDER" = xsynproxy ] && [ "$state" = off ]; then
		modprobe xsynproxy && synctl -n $BN_S ports add $BN_PORT >/dev/null
	fi
}

xsp_stats()
{
	[ "$BN_CONTENDER" = xsynproxy ] || return 0
	printf '{"kernel":"%s","run":%d,"contender":"xsynproxy","phase":"xsp_stats","stats":%s}\n' \
		"$KERNEL" "$RUN" "$(synctl -n $BN_S -j stats | tr -d '\n')" >>"$RAW"
}

# --- main ------------------------------------------------------------------

bn_pin_self
bn_modules
mkdir -p "$OUT"
: >"$RAW"
{
	printf '{"phase":"meta","kernel":"%s","abi":"%s","quick":%d,"runs":%d,' \
		"$KERNEL" "$(uname -r)" $QUICK $RUNS
	printf '"window_s":%s,"warm_s":%s,"legit_n":%d,"legit_c":%d,"legit_timeout_ms":%d,' \
		$WIN $WARM $LEGIT_N $LEGIT_C $LEGIT_T
	printf '"mem_syns":%d,"iperf_segs":%d,"iperf_seg_s":%s,"backlog":%d,"fixed_batch":%d,"guest_cpu":"%s",' \
		$MEM_SYNS $IPERF_SEGS $IPERF_SEG $BN_BACKLOG $FIXED_BATCH \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf '"nproc":%d,"hz_user":%d}\n' "$(nproc)" "$(getconf CLK_TCK)"
} >>"$RAW"

# The fixed offered rate: the same for every contender and kernel, well
# below the slowest defense's saturation under TCG (about 25,000 SYN/s on an
# idle host; the report flags a contender whose CPU 1 was over 80 % busy).
RATE=${XSP_BENCH_RATE:-10000}
RUN=0
printf '{"phase":"rate","kernel":"%s","rate":%d}\n' "$KERNEL" $RATE >>"$RAW"

set -- $CONTENDERS
n=$#
for ((RUN = 1; RUN <= RUNS; RUN++)); do
	order=()
	for ((i = 0; i < n; i++)); do
		j=$(((i + RUN - 1) % n + 1))
		order+=("${!j}")
	done
	for c in "${order[@]}"; do
		t0=$EPOCHREALTIME
		bn_setup "$c" || { bn_log "setup $c failed"; exit 1; }
		phase_legit_base
		phase_syn_sat
		phase_syn_fixed
		phase_ack_fixed
		phase_mem
		xsp_stats
		phase_iperf
		bn_log "bench[$KERNEL] run $RUN $c done in $(awk -v a=$t0 -v b=$EPOCHREALTIME 'BEGIN { printf "%.1f", b - a }') s"
	done
done
# Where the server's time goes: perf (cpu-clock sampling, there is no PMU
# under TCG) on CPU 1 during a saturating SYN flood, per contender.
if [ "$PROFILE_S" != 0 ] && command -v perf >/dev/null; then
	RUN=0
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

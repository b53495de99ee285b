#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's guest side (tools/demo boots the VM and runs this in it): a web
# server under a spoofed SYN flood, first without protection, then with
# xsynproxy, shown live once per second, then a summary.
#
#   bench/demo-guest.sh [--rate PPS] [--phases BASE,FLOOD,PROTECTED,AFTER]
#
#   --rate PPS      offered flood rate (default 0: as fast as the generator
#                   goes)
#   --phases ...    seconds of each phase (default 10,37,37,10): no flood;
#                   flood, no protection; flood, `synctl ports add 80`;
#                   flood stopped
#
# Topology, CPUs and counters: bench/lib.sh. The server (bench/httpd, port 80,
# a small listen backlog) runs with tcp_syncookies=0, so without protection
# the flood fills its SYN queue and legitimate SYNs are dropped. A
# legitimate client loop (bench/client, one fetch per process, a few per
# second, each with a timeout) runs in the client namespace all along.
#
# Internal: bench/demo-guest.sh --legit-loop LOG PHASEFILE runs that loop
# (started in the client namespace by the main script).
set -u
BN_TOP=$(cd "$(dirname "$0")/.." && pwd)
BN_BACKLOG=${DEMO_BACKLOG:-64}
# shellcheck source=bench/lib.sh
source "$BN_TOP/bench/lib.sh"
BN_PORT=80

FETCH_GAP_MS=250	# a legitimate fetch every 250 ms
FETCH_TIMEOUT_MS=2500	# SYN retransmitted at 1 s; a second loss fails
# After `ports add`, the flood's request sockets already in the SYN queue
# keep it full for a few seconds: while it is over half full the kernel
# prunes them after two SYN-ACK retransmissions (1 + 2 + 4 s,
# reqsk_timer_handler); the last half expire after all their
# retransmissions, about a minute later, but leave room. Replayed SYNs that
# meet a full queue fail (replay_failed) and the client's retransmission
# replays again. The summary shows these seconds on a line of their own.
SETTLE_S=8
RATE=0
PHASES=10,37,37,10

# --- the legitimate client loop (runs in the client namespace) --------------

# fetch PHASEFILE: one fetch; prints "PHASE START_US OK CONNECT_MS TOTAL_MS
# PHASE_AT_END WHY" (WHY: ok, timeout, refused, error)
fetch()
{
	local ph t=${EPOCHREALTIME/./} j ok=0 conn=- total=- end why=error

	read -r ph <"$1"
	j=$("$BN_BIN/client" -d "$BN_SIP" -p $BN_PORT -n 1 -c 1 -T $FETCH_TIMEOUT_MS)
	if [[ $j =~ \"ok\":1, ]]; then
		ok=1
		[[ $j =~ \"connect_ms\":\{\"p50\":([0-9.]+) ]] && conn=${BASH_REMATCH[1]}
		[[ $j =~ \"total_ms\":\{\"p50\":([0-9.]+) ]] && total=${BASH_REMATCH[1]}
		why=ok
	elif [[ $j =~ \"timeouts\":1, ]]; then
		why=timeout
	elif [[ $j =~ \"refused\":1, ]]; then
		why=refused
	fi
	read -r end <"$1" 2>/dev/null
	echo "$ph $t $ok $conn $total $end $why"
}

legit_loop()
{
	local log=$1 pf=$2 next now d fd

	trap 'exit 0' TERM
	mkfifo "$log.tick" && exec {fd}<>"$log.tick" && rm -f "$log.tick"
	next=${EPOCHREALTIME/./}
	while :; do
		fetch "$pf" >>"$log" &
		next=$((next + FETCH_GAP_MS * 1000))
		now=${EPOCHREALTIME/./}
		d=$((next - now))
		if [ $d -gt 0 ]; then
			read -r -t "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))" -u "$fd"
		fi
	done
}

if [ "${1:-}" = --legit-loop ]; then
	legit_loop "$2" "$3"
	exit 0
fi

while [ $# -gt 0 ]; do
	case $1 in
	--rate) RATE=$2; shift ;;
	--phases) PHASES=$2; shift ;;
	*) bn_log "demo-guest.sh: unknown argument $1"; exit 2 ;;
	esac
	shift
done
IFS=, read -r P_BASE P_FLOOD P_PROT P_AFTER <<<"$PHASES"

# --- output -------------------------------------------------------------------

if [ "${DEMO_COLOR:-0}" = 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'
else
	B='' G='' R='' N=''
fi

# grp N: N with thousands separators, in REPLY
grp()
{
	local n=$1 out=

	while [ "$n" -ge 1000 ]; do
		printf -v out ',%03d%s' $((n % 1000)) "$out"
		n=$((n / 1000))
	done
	REPLY=$n$out
}

banner() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }

header()
{
	printf '%s%5s  %-12s %11s %10s %9s %8s %8s %8s%s\n' "$B" time phase \
		"flood SYN/s" SYN-ACK/s cookies/s fetches connect SYN-RECV "$N"
}

# --- sampling -----------------------------------------------------------------

TMPD=$(mktemp -d)
LEGIT_LOG=$TMPD/legit
TICKS=$TMPD/ticks
PHASEFILE=$TMPD/phase
LEGIT_PID=

cleanup()
{
	# DEMO_KEEP=1: the raw logs to the results directory (tools/vm/run --results)
	if [ "${DEMO_KEEP:-0}" = 1 ] && [ -n "${XSP_RESULTS:-}" ]; then
		cp "$LEGIT_LOG" "$TICKS" "$XSP_RESULTS/" 2>/dev/null
		ip netns exec "$BN_S" nstat -az >"$XSP_RESULTS/nstat-s" 2>&1
		ip netns exec "$BN_C" nstat -az >"$XSP_RESULTS/nstat-c" 2>&1
	fi
	[ -n "$LEGIT_PID" ] && kill "$LEGIT_PID" 2>/dev/null && wait "$LEGIT_PID" 2>/dev/null
	bn_flood_stop
	bn_teardown
	modprobe -r xsynproxy 2>/dev/null
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# xsp_stats: cookie_valid of the server namespace (0 while the module has
# no port), in XSP; the whole line in XSP_JSON
xsp_stats()
{
	XSP=0
	XSP_JSON=$(synctl -n "$BN_S" -j stats 2>/dev/null) || return 0
	[[ $XSP_JSON =~ \"cookie_valid\":([0-9]+) ]] && XSP=${BASH_REMATCH[1]}
}

# synrecv: the server's half-open connections on port 80 (what
# `ss state syn-recv` lists), in REPLY; read without forking
synrecv()
{
	local -a l
	local x n=0

	mapfile -t l <"/proc/$BN_SRV_PID/net/tcp"
	for x in "${l[@]}"; do
		[[ $x == *:0050\ *\ 03\ * ]] && n=$((n + 1))
	done
	REPLY=$n
}

# legit_new: fetches that finished since the last call: LOK LDONE LCONN
# (median connect time of the successful ones, ms, or -)
LSEEN=0
legit_new()
{
	local -a lines conns=()
	local l f

	LOK=0 LDONE=0 LCONN=-
	[ -s "$LEGIT_LOG" ] || return 0
	mapfile -t -s $LSEEN lines <"$LEGIT_LOG"
	LSEEN=$((LSEEN + ${#lines[@]}))
	for l in "${lines[@]}"; do
		read -r -a f <<<"$l"
		[ ${#f[@]} -eq 7 ] || continue
		LDONE=$((LDONE + 1))
		if [ "${f[2]}" = 1 ]; then
			LOK=$((LOK + 1))
			conns+=("${f[3]}")
		fi
	done
	if [ ${#conns[@]} -gt 0 ]; then
		mapfile -t conns < <(printf '%s\n' "${conns[@]}" | sort -n)
		LCONN=${conns[$(((${#conns[@]} - 1) / 2))]}
	fi
}

# Phase switches (NEXT_ACTION) run right after a second's counter snapshot,
# so that every line is measured in one state.
FLOOD_ON=0
NEXT_ACTION=
set_phase() { echo "$1" >"$PHASEFILE.new" && mv "$PHASEFILE.new" "$PHASEFILE"; }
# The generator runs without a time limit (-t 0) and stop_flood ends it
# after the last protected second: the phases count ticks, which drift on a
# slow guest, so no duration given up front can match them.
start_flood()
{
	BN_GEN_OUT=$TMPD/gen bn_flood -r "$RATE" -t 0
	FLOOD_ON=1
	set_phase flood
}
protect()
{
	synctl -n "$BN_S" ports add $BN_PORT >/dev/null || return 1
	set_phase settling
}
settled() { set_phase protected; }
stop_flood()
{
	bn_flood_stop
	FLOOD_ON=0
	set_phase after
}

# tick PHASE LABEL: wait for the next second, print its line
TICK=0
tick()
{
	local ph=$1 label=$2 flood=$FLOOD_ON now d snap s offered=0 answered cookies col
	local fetches conn sr o a c
	local -a dd

	TICK=$((TICK + 1))
	now=${EPOCHREALTIME/./}
	d=$((T0 + TICK * 1000000 - now))
	if [ $d -gt 0 ]; then
		read -r -t "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))" -u "$SLEEP_FD"
	fi
	# counters, then at once the phase switch if any
	xsp_stats
	synrecv
	sr=$REPLY
	snap=$(bn_snap)
	if [ "$flood" = 1 ] && ! kill -0 "$BN_GEN_PID" 2>/dev/null; then
		bn_log "demo: the flood generator died: $(cat "$TMPD/gen" 2>/dev/null)"
		exit 1
	fi
	if [ -n "$NEXT_ACTION" ]; then
		$NEXT_ACTION || { bn_log "demo: $NEXT_ACTION failed"; exit 1; }
		NEXT_ACTION=
	fi
	read -r -a dd <<<"$(bn_delta "$PREV_SNAP" "$snap")"
	# veth-f's TX (+ frames its peer's ring refused) while the flood ran: the
	# flood alone (the legitimate fetches use veth-c)
	[ "$flood" = 1 ] && offered=$((dd[1] + dd[2]))
	s=${dd[0]}
	[ "$s" -gt 0 ] || s=1
	answered=${dd[4]}
	cookies=$((XSP - PREV_XSP))
	legit_new
	echo "$ph $s $offered $answered $cookies $sr $TICK ${snap// /,} ${XSP_JSON//[$'\n' ]/}" >>"$TICKS"
	PREV_SNAP=$snap
	PREV_XSP=$XSP

	fetches="$LOK/$LDONE"
	col=$G
	[ $LOK -lt $LDONE ] && col=$R
	[ $LDONE = 0 ] && col=
	conn=-
	[ "$LCONN" != - ] && printf -v conn '%.0f ms' "$LCONN"
	grp $((offered * 1000 / s)); o=$REPLY
	grp $((answered * 1000 / s)); a=$REPLY
	grp $((cookies * 1000 / s)); c=$REPLY
	printf '%4ds  %-12s %11s %10s %9s %s%8s%s %8s %8s\n' $((TICK)) "$label" "$o" "$a" "$c" \
		"$col" "$fetches" "${col:+$N}" "$conn" "$sr"
}

# run_phase PHASE LABEL SECONDS [ACTION]: ACTION (the next phase's switch)
# after the last second's snapshot
run_phase()
{
	local ph=$1 label=$2 secs=$3 i

	for ((i = 1; i <= secs; i++)); do
		[ $i = "$secs" ] && NEXT_ACTION=${4:-}
		tick "$ph" "$label"
	done
}

# --- main -----------------------------------------------------------------------

printf '%sxsynproxy demo%s: kernel %s, %d vCPUs\n' "$B" "$N" "$(uname -r)" "$(nproc)"
bn_pin_self
bn_modules
modprobe -r xsynproxy 2>/dev/null
mkfifo "$TMPD/sleep" && exec {SLEEP_FD}<>"$TMPD/sleep"
bn_setup none || { bn_log "demo: network setup failed"; exit 1; }
printf 'server  %s:%d in netns %s: bench/httpd, listen backlog %d, tcp_syncookies=%s\n' \
	"$BN_SIP" $BN_PORT "$BN_S" "$BN_BACKLOG" \
	"$(ip netns exec "$BN_S" cat /proc/sys/net/ipv4/tcp_syncookies)"
printf 'clients %s in netns %s: a fetch every %d ms, %d.%d s timeout each\n' \
	"$BN_CIP" "$BN_C" $FETCH_GAP_MS $((FETCH_TIMEOUT_MS / 1000)) $((FETCH_TIMEOUT_MS % 1000 / 100))
printf 'flood   spoofed SYNs from %s to port %d, %s (generator on CPU %d, server on CPU %d)\n' \
	"$BN_FLOODNET" $BN_PORT "$([ "$RATE" = 0 ] && echo "as fast as it goes" || echo "$RATE/s")" \
	"$BN_GEN_CPU" "$BN_SRV_CPU"
printf '%s# modprobe xsynproxy%s\n' "$B" "$N"
modprobe xsynproxy || { bn_log "demo: modprobe xsynproxy failed"; exit 1; }
printf '%s# synctl -n %s show%s\n' "$B" "$BN_S" "$N"
printf '  %s   (loaded, no port protected yet)\n' "$(synctl -n "$BN_S" show | head -1)"

cat <<EOF

Once per second:
  flood SYN/s   spoofed SYNs offered to the server (veth counters)
  SYN-ACK/s     SYN-ACKs the server sent back to the spoofed sources
  cookies/s     ACKs whose SYN cookie xsynproxy validated (synctl stats)
  fetches       legitimate HTTP fetches finished that second: ok/all
  connect       their median connect time
  SYN-RECV      half-open connections in the server's SYN queue
EOF

: >"$LEGIT_LOG"
set_phase baseline
ip netns exec "$BN_C" "$BN_TOP/bench/demo-guest.sh" --legit-loop "$LEGIT_LOG" "$PHASEFILE" &
LEGIT_PID=$!
T0=${EPOCHREALTIME/./}
PREV_SNAP=$(bn_snap)
xsp_stats
PREV_XSP=$XSP

banner "1. No flood: the web server answers at once"
header
run_phase baseline "no flood" "$P_BASE" start_flood

banner "2. SYN flood, no protection: the SYN queue fills, legitimate SYNs are dropped"
header
run_phase flood "unprotected" "$P_FLOOD" protect

banner "3. Same flood, port 80 protected by xsynproxy"
printf '%s# synctl -n %s ports add %d%s\n' "$B" "$BN_S" $BN_PORT "$N"
echo "(the flood's half-open connections already queued are pruned to half the queue within"
echo " seconds; the rest expire about a minute later, and meanwhile leave room)"
header
settle=$((SETTLE_S < P_PROT ? SETTLE_S : P_PROT - 1))
run_phase settling "xsynproxy" "$settle" settled
run_phase protected "xsynproxy" $((P_PROT - settle)) stop_flood

banner "4. Flood stopped"
header
run_phase after "flood over" "$P_AFTER"

kill "$LEGIT_PID" 2>/dev/null
wait "$LEGIT_PID" 2>/dev/null
LEGIT_PID=
sleep 0.5	# the last fetches (no flood: milliseconds)

# --- summary ------------------------------------------------------------------

banner "Summary"
printf '%s# synctl -n %s stats%s\n' "$B" "$BN_S" "$N"
synctl -n "$BN_S" stats | awk '$2 != 0' | sed 's/^/  /'
echo
# rates are per-phase averages
awk -v B="$B" -v N="$N" '
function grp(n,   s) {
	n = sprintf("%d", n + 0.5); s = ""
	while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
	return n s
}
function ms(v) { return v == "" ? "-" : v < 10 ? sprintf("%.1f ms", v) : sprintf("%.0f ms", v) }
FILENAME ~ /ticks$/ {
	secs[$1] += $2 / 1000; syn[$1] += $3; ack[$1] += $4; cookie[$1] += $5
	next
}
# fetches that straddle a phase switch count in neither phase
NF == 7 && $1 == $6 {
	n[$1]++
	if ($3 == 1) { ok[$1]++; c[$1, ok[$1]] = $4 }
}
END {
	split("baseline flood settling protected after", ph, " ")
	name["baseline"] = "no flood"; name["flood"] = "flood, no protection"
	st = sprintf("%d", secs["settling"] + 0.5); pt = sprintf("%d", st + secs["protected"] + 0.5)
	name["settling"] = "flood, xsynproxy 0-" st " s"
	name["protected"] = "flood, xsynproxy " st "-" pt " s"; name["after"] = "flood over"
	printf "%s%-23s %14s %8s %8s %11s %10s %8s%s\n", B, "phase", "fetches ok",
		"connect", "p99", "flood SYN/s", "SYN-ACK/s", "cookies", N
	for (i = 1; i <= 5; i++) {
		p = ph[i]; k = ok[p] + 0
		# sort the connect times (insertion sort: a few hundred values)
		for (a = 2; a <= k; a++) {
			v = c[p, a]
			for (b = a - 1; b >= 1 && c[p, b] + 0 > v + 0; b--)
				c[p, b + 1] = c[p, b]
			c[p, b + 1] = v
		}
		pct[p] = n[p] ? 100 * k / n[p] : 0
		s = secs[p] > 0 ? secs[p] : 1
		printf "%-23s %8s %3.0f %% %8s %8s %11s %10s %8d\n", name[p],
			k "/" n[p] + 0, pct[p],
			ms(k ? c[p, int(0.5 * (k - 1) + 0.5) + 1] : ""),
			ms(k ? c[p, int(0.99 * (k - 1) + 0.5) + 1] : ""),
			grp(syn[p] / s), grp(ack[p] / s), cookie[p]
	}
	printf "(connect: median of the successful fetches; fetches across a phase switch left out)\n"
	both = n["settling"] + n["protected"]
	all = both ? 100 * (ok["settling"] + ok["protected"]) / both : 0
	printf "\n%sUnder the SYN flood, without protection %.0f %% of the legitimate fetches succeeded;\n" \
		"with xsynproxy, %.0f %%%s", B, pct["flood"], pct["protected"], N
	if (sprintf("%.0f", all) == sprintf("%.0f", pct["protected"]))
		printf ".\n"
	else
		printf " once the half-open connections of the flood, queued before\n" \
			"ports add, had timed out (%.0f %% counting those first %d s).\n", all, st
}' "$TICKS" "$LEGIT_LOG"

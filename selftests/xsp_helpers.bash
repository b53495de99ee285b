# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the topology selftests, sourced after lib.sh (not a test
# itself: run_tests.sh only runs *.sh): long-lived connections, batches of
# timed connections (both driven by xsp_conn.py) and packet captures read
# back by time window.

XSP_CONN_PY=$XSP_SELFTESTS/xsp_conn.py

# long_start NAME NETNS HOST PORT: open long-lived connection NAME and wait
# until two echoes came back over it.
long_start()
{
	local d=$XSP_TMP/long-$1

	mkdir -p "$d" && rm -f "$d/stop" "$d/progress"
	bg "$2" python3 "$XSP_CONN_PY" long "$3" "$4" "$d"
	eval "XSP_LONG_PID_$1=$XSP_BG_PID"
	long_wait "$1" 2
}

# long_wait NAME N: wait until N echoes came back over NAME; false at once
# when its client has given up.
long_wait()
{
	local i pid

	pid=$(eval echo "\$XSP_LONG_PID_$1")
	for ((i = 0; i < XSP_WAIT * 5; i++)); do
		long_progress_ge "$1" "$2" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# long_progress NAME: echoes that came back so far.
long_progress()
{
	cat "$XSP_TMP/long-$1/progress" 2>/dev/null || echo 0
}

long_progress_ge()
{
	[ "$(long_progress "$1")" -ge "$2" ]
}

# long_alive NAME: five more echoes come back over NAME from now on.
long_alive()
{
	long_wait "$1" $(($(long_progress "$1") + 5))
}

# long_stop NAME: end NAME; true if its client saw every echo intact.
long_stop()
{
	local pid

	pid=$(eval echo "\$XSP_LONG_PID_$1")
	touch "$XSP_TMP/long-$1/stop"
	wait "$pid"
}

# many_conns NETNS HOST PORT N [ARGS...]: N echo connections one after the
# other (xsp_conn.py many); the per-connection times go to the log, the
# summary line "ok=K of N, seconds min/median/max ..." to stdout.
many_conns()
{
	local ns=$1 out rc

	shift
	out=$(ip netns exec "$ns" python3 "$XSP_CONN_PY" many "$@")
	rc=$?
	grep '^#' <<<"$out" >&2
	grep -v '^#' <<<"$out"
	return $rc
}

# cap_start NAME NETNS IFACE [FILTER...]: capture into $XSP_TMP/NAME.pcap
# until cap_stop NAME; returns once tcpdump listens.
cap_start()
{
	local name=$1 ns=$2 dev=$3

	shift 3
	rm -f "$XSP_TMP/$name.pcap" "$XSP_TMP/$name.err"
	bg "$ns" tcpdump -i "$dev" -nn -U -w "$XSP_TMP/$name.pcap" "$@" 2>"$XSP_TMP/$name.err"
	eval "XSP_CAP_PID_$name=$XSP_BG_PID"
	wait_for grep -q 'listening on' "$XSP_TMP/$name.err"
}

cap_stop()
{
	local pid

	pid=$(eval echo "\$XSP_CAP_PID_$1")
	sleep 0.5
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# now: a timestamp on the clock tcpdump -tt prints.
now()
{
	echo "${EPOCHREALTIME/,/.}"
}

# cap_read NAME [FROM [TO [FILTER...]]]: the packets of capture NAME
# (tcpdump -nn -S -tt lines) between the timestamps FROM and TO.
cap_read()
{
	local name=$1 from=${2:-0} to=${3:-9999999999}

	shift 3 2>/dev/null || shift $#
	tcpdump -r "$XSP_TMP/$name.pcap" -nn -S -tt "$@" 2>/dev/null |
		awk -v a="$from" -v b="$to" '$1 >= a && $1 < b'
}

# cap_count NAME FROM TO [FILTER...]: how many such packets.
cap_count()
{
	cap_read "$@" | wc -l
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the xsynproxy selftests, after the kernel's
# tools/testing/selftests/net/lib.sh: namespace setup with cleanup on every
# path, check_err/check_fail/log_test, KTAP result lines.
#
# A test script sources this file, defines its test functions, lists them in
# TESTS and calls run_tests. Each test prints one KTAP line:
#   ok N - <script>: <description>
#   not ok N - <script>: <description>
#   ok N - <script>: <description> # SKIP <reason>
# The script exits 0 when everything passed, 1 on any failure, 4 (KSFT_SKIP)
# when everything was skipped.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

XSP_TEST_NAME=${XSP_TEST_NAME:-$(basename "$0" .sh)}
# The scripts, their helpers and the programs they run: this file's
# directory (selftests/ in the repository, or wherever the kselftest target
# is installed, e.g. build/ksft/xsynproxy).
XSP_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# xsp_find_repo: the xsynproxy repository, for the few tests that read its
# files (require_repo): $XSP_REPO (tools/vm/run sets it), else the parent
# of this directory when that is the repository, else the one the target
# was built from (xsp_repo, installed with it). Nothing when none is there.
xsp_find_repo()
{
	local d

	for d in "${XSP_REPO:-}" "$XSP_SELFTESTS/.." "$(cat "$XSP_SELFTESTS/xsp_repo" 2>/dev/null)"; do
		if [ -n "$d" ] && [ -f "$d/kmod/xsp.h" ]; then
			(cd "$d" && pwd)
			return 0
		fi
	done
	return 1
}
XSP_TOP=$(xsp_find_repo)
# The script's scratch directory; run_tests gives each test run its own
# directory under it in XSP_TMP, removed after the test, so that no test
# finds a file an earlier one left behind.
XSP_TMP_ROOT=$(mktemp -d /tmp/xsp-test.XXXXXX)
XSP_TMP=$XSP_TMP_ROOT

RET=0
XSP_NTEST=0
XSP_NFAIL=0
XSP_NSKIP=0
XSP_RETMSG=
XSP_NS_LIST=()
XSP_DEFER=()
VERBOSE=${VERBOSE:-0}

# Generous: everything in the emulated guest runs 10-50x slower than native.
XSP_WAIT=${XSP_WAIT:-30}

# --- cleanup ---------------------------------------------------------------

# defer CMD...: run CMD at cleanup, last deferred first.
defer()
{
	XSP_DEFER+=("$*")
}

cleanup_all_ns()
{
	local ns

	for ns in "${XSP_NS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	XSP_NS_LIST=()
}

# At exit: clean up, and say how long the script took (the kselftest
# runner gives no timings; make check shows these lines).
xsp_cleanup()
{
	xsp_cleanup_between
	rm -rf "$XSP_TMP_ROOT"
	echo "# $XSP_TEST_NAME: ${SECONDS}s"
}
trap xsp_cleanup EXIT
trap 'exit 130' INT TERM

# setup_ns VAR...: create a namespace per VAR with a unique name, lo up,
# and store the name in VAR. All are deleted at exit.
setup_ns()
{
	local var name

	for var in "$@"; do
		name=$var-$(mktemp -u XXXXXX)
		ip netns add "$name" || return 1
		ip -n "$name" link set lo up || return 1
		XSP_NS_LIST+=("$name")
		eval "$var=$name"
	done
}

# --- results ---------------------------------------------------------------

check_err()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -ne 0 ]; then
		RET=$err
		XSP_RETMSG=$msg
	fi
}

check_fail()
{
	local err=$1 msg=$2

	if [ "$RET" -eq 0 ] && [ "$err" -eq 0 ]; then
		RET=1
		XSP_RETMSG=$msg
	fi
}

# log_test DESC: print the KTAP line for the checks since the last call.
log_test()
{
	local desc="$XSP_TEST_NAME: ${XSP_FAMILY_TAG:-}$1"

	XSP_NTEST=$((XSP_NTEST + 1))
	if [ "$RET" -eq "$KSFT_SKIP" ]; then
		XSP_NSKIP=$((XSP_NSKIP + 1))
		echo "ok $XSP_NTEST - $desc # SKIP ${XSP_RETMSG}"
	elif [ "$RET" -ne 0 ]; then
		XSP_NFAIL=$((XSP_NFAIL + 1))
		echo "not ok $XSP_NTEST - $desc"
		[ -n "$XSP_RETMSG" ] && echo "#   $XSP_RETMSG"
	else
		echo "ok $XSP_NTEST - $desc"
	fi
	RET=0
	XSP_RETMSG=
}

log_skip()
{
	RET=$KSFT_SKIP
	XSP_RETMSG=$2
	log_test "$1"
}

log_info()
{
	echo "# $*"
}

# run_tests: run every function named in $TESTS, each in a fresh set of
# namespaces, once per family of $FAMILIES (default 4) that is also in
# $XSP_FAMILIES when that is set (XSP_FAMILIES=6: the IPv6 runs only), and
# of those only the ones in $XSP_TESTS when that is set (a developer's
# shortcut: XSP_TESTS=test_zone tools/vm/run -- selftests/run_tests.sh
# conntrack.sh), then exit with the KSFT code. A script's family_vars
# function, when it has one, is called at the start of each family's run. Each test gets an
# empty XSP_TMP, and its time is logged.
run_tests()
{
	local f t t0

	for f in ${FAMILIES:-4}; do
		[[ " ${XSP_FAMILIES:-$f} " == *" $f "* ]] || continue
		set_family "$f"
		! declare -F family_vars >/dev/null || family_vars
		XSP_FAMILY_TAG=
		[ "$f" = 6 ] && XSP_FAMILY_TAG="IPv6: "
		for t in $TESTS; do
			[[ " ${XSP_TESTS:-$t} " == *" $t "* ]] || continue
			RET=0
			t0=$SECONDS
			XSP_TMP=$XSP_TMP_ROOT/$f.$t
			mkdir "$XSP_TMP"
			"$t"
			xsp_cleanup_between
			rm -rf "$XSP_TMP"
			XSP_TMP=$XSP_TMP_ROOT
			log_info "$XSP_FAMILY_TAG$t took $((SECONDS - t0))s"
		done
	done
	if [ "$XSP_NFAIL" -gt 0 ]; then
		exit $KSFT_FAIL
	elif [ "$XSP_NTEST" -gt 0 ] && [ "$XSP_NSKIP" -eq "$XSP_NTEST" ]; then
		exit $KSFT_SKIP
	fi
	exit $KSFT_PASS
}

# Undo what one test set up: deferred actions, last first, then namespaces.
xsp_cleanup_between()
{
	local i

	for ((i = ${#XSP_DEFER[@]} - 1; i >= 0; i--)); do
		eval "${XSP_DEFER[$i]}" >/dev/null 2>&1
	done
	XSP_DEFER=()
	cleanup_all_ns
}

# --- requirements ----------------------------------------------------------

require_cmd()
{
	local c

	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			echo "# SKIP: $c not available"
			exit $KSFT_SKIP
		fi
	done
}

# require_repo FILE...: skip the script unless the xsynproxy repository
# (XSP_TOP) has every FILE (paths relative to its top).
require_repo()
{
	local f

	for f in "$@"; do
		if [ -z "$XSP_TOP" ] || [ ! -e "$XSP_TOP/$f" ]; then
			echo "# SKIP: needs $f of the xsynproxy repository (set XSP_REPO)"
			exit $KSFT_SKIP
		fi
	done
}

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "# SKIP: need root"
		exit $KSFT_SKIP
	fi
}

# --- module and counters ---------------------------------------------------

xsp_load()
{
	modprobe xsynproxy
}

xsp_unload()
{
	modprobe -r xsynproxy
}

xsp_loaded()
{
	grep -q '^xsynproxy ' /proc/modules
}

# The counters of synctl -j stats in awk: the first file read fills
# a["NAME"] and a["ipv4.NAME"], a["ipv6.NAME"] (its keys in order in
# ka[1..na]), the second one b[]. awk rather than python for these helpers:
# they run hundreds of times, and python takes a third of a second to start
# in the test guest, awk a tenth.
XSP_STATS_AWK='
FNR == 1 { pre = ""; f++ }
{
	s = $0
	while (match(s, /"[a-z0-9_]+": *([{]|[0-9]+)|[}]/)) {
		t = substr(s, RSTART, RLENGTH)
		s = substr(s, RSTART + RLENGTH)
		if (t == "}") {
			pre = ""
			continue
		}
		k = t
		sub(/^"/, "", k)
		sub(/".*/, "", k)
		v = t
		sub(/^[^:]*: */, "", v)
		if (v == "{")
			pre = k "."
		else if (f == 1) {
			a[pre k] = v
			ka[++na] = pre k
		} else
			b[pre k] = v
	}
}'

# xsp_stat NAME [NETNS]: print one counter (lower-case name, e.g. syn_answered).
xsp_stat()
{
	local name=$1 ns=${2:-}

	synctl ${ns:+-n "$ns"} -j stats |
		awk -v n="$name" "$XSP_STATS_AWK"'
		END { if (!(n in a)) exit 1; print a[n] }'
}

# xsp_stats_snapshot NETNS FILE: save all counters as JSON.
xsp_stats_snapshot()
{
	synctl ${1:+-n "$1"} -j stats >"$2"
}

# xsp_stat_delta KEY BEFORE_FILE [NETNS]: growth of the counter KEY
# ("name", or "ipv6.name" for a family's) since the snapshot.
xsp_stat_delta()
{
	local key=$1 before=$2 ns=${3:-}
	local now

	now=$(synctl ${ns:+-n "$ns"} -j stats) || return 1
	awk -v n="$key" "$XSP_STATS_AWK"'
	END { if (!(n in a) || !(n in b)) exit 1; printf "%d\n", b[n] - a[n] }' \
		"$before" - <<<"$now"
}

# xsp_fam_delta NAME BEFORE_FILE [NETNS]: growth of the counter of the
# family being run (its "ipv4" or "ipv6" object) since the snapshot.
xsp_fam_delta()
{
	xsp_stat_delta "ipv$XSP_FAMILY.$1" "${@:2}"
}

# xsp_other_family_moved BEFORE_FILE [NETNS]: print the counters of the
# other family (not the one being run) that moved since the snapshot;
# nothing when none did.
xsp_other_family_moved()
{
	local before=$1 ns=${2:-} now other=ipv6.

	[ "$XSP_FAMILY" = 6 ] && other=ipv4.
	now=$(synctl ${ns:+-n "$ns"} -j stats) || return 1
	awk -v p="$other" "$XSP_STATS_AWK"'
	END {
		for (i = 1; i <= na; i++) {
			k = ka[i]
			if (index(k, p) == 1 && b[k] != a[k])
				out = out sep substr(k, length(p) + 1) "+" b[k] - a[k]
			if (out != "")
				sep = " "
		}
		print out
	}' "$before" - <<<"$now"
}

# --- flood -----------------------------------------------------------------

# xsp_synflood_bin: the benchmark's SYN generator (bench/synflood.c): the
# one make bench-bin built, or, when that is missing or older than its
# source, one built here.
xsp_synflood_bin()
{
	local bin=$XSP_TOP/build/bench/synflood src=$XSP_TOP/bench/synflood.c

	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		bin=$XSP_TMP_ROOT/synflood
		[ -x "$bin" ] || cc -O2 -o "$bin" "$src" || return 1
	fi
	echo "$bin"
}

# xsp_synflood NETNS DEV PEER_NETNS PEER_DEV ARGS...: run synflood in NETNS
# out of DEV to the MAC of PEER_DEV in PEER_NETNS, with ARGS (-d DST -p
# PORT ...). Spoofed sources: 2001:2::/48 (IPv6), 198.18.0.0/15 (IPv4)
# unless -S says otherwise. Its JSON line goes to stdout.
xsp_synflood()
{
	local ns=$1 dev=$2 pns=$3 pdev=$4 bin mac

	shift 4
	bin=$(xsp_synflood_bin) || return 1
	mac=$(ip -n "$pns" -br link show "$pdev" | awk '{print $3}')
	ip netns exec "$ns" "$bin" -i "$dev" -D "$mac" "$@"
}

# xsp_ack_flood NETNS DEV DST PORT: 2000 forged ACKs from $CLIENT's veth-c
# to DST:PORT (DEV in NETNS), from random sources NETNS routes back via
# $CLIENT_IP, conntrack picking up mid-stream in NETNS. Asserts that the
# module counted them all invalid since the snapshot $XSP_TMP/s0 and that
# NETNS's conntrack table did not grow.
xsp_ack_flood()
{
	local ns=$1 dev=$2 net=198.18.0.0/15 c0 c1 recv invalid

	[ "$XSP_FAMILY" = 6 ] && net=2001:2::/48
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1 &&
		ip -n "$ns" route add $net via $CLIENT_IP
	check_err $? "conntrack pickup on, a route back to $net"
	c0=$(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_count)
	xsp_synflood "$CLIENT" veth-c "$ns" "$dev" -d "$3" -p "$4" -m ack \
		-n 2000 -r 5000 -t 60 >/dev/null
	sleep 1
	c1=$(ip netns exec "$ns" cat /proc/sys/net/netfilter/nf_conntrack_count)
	recv=$(xsp_fam_delta ack_recv "$XSP_TMP/s0" "$ns")
	invalid=$(xsp_fam_delta cookie_invalid "$XSP_TMP/s0" "$ns")
	log_info "2000 forged ACKs: $recv reached the module, $invalid invalid, conntrack $c0 -> $c1"
	[ "$recv" -ge 1900 ] && [ "$invalid" = "$recv" ]
	check_err $? "of $recv forged ACKs $invalid counted invalid"
	[ "$c1" -le "$c0" ]
	check_err $? "conntrack grew from $c0 to $c1"
}

# xsp_peers_from WHO ADDR N: the echo server that logs each peer's address
# to $XSP_TMP/peers (WHO, for the message) saw N connections, all from ADDR
# (socat writes an IPv6 peer in full, in brackets).
xsp_peers_from()
{
	local got want=$2

	[ "$XSP_FAMILY" = 6 ] &&
		want=[$(python3 -c "import ipaddress; print(ipaddress.ip_address('$2').exploded)")]
	got=$(sort "$XSP_TMP/peers" 2>/dev/null | uniq -c | awk '{print $2 "x" $1}' | xargs)
	[ "$got" = "${want}x$3" ] && return 0
	echo "the $1 saw connections from: ${got:-nobody}, not $3 from $2"
	return 1
}

# client_drops_rsts NETNS: the namespace's kernel sends no RST, so that it
# does not reset the handshakes scapy drives from it.
client_drops_rsts()
{
	ip netns exec "$1" nft -f - <<'NFT'
table inet xsp_test {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp flags rst drop
	}
}
NFT
}

# --- topology --------------------------------------------------------------

# The address family a test runs in: 4 or 6. A script that mirrors its
# tests for IPv6 sets FAMILIES="4 6"; run_tests then runs every test once
# per family, with CLIENT_IP, SERVER_IP (and SERVER_HOST, the address as
# URLs and socat want it: in brackets for IPv6) of that family, and "IPv6: "
# in front of the IPv6 results. setup_pair gives both namespaces both
# families' addresses whatever the test's family (dual stack).
CLIENT_IP4=10.0.1.1
SERVER_IP4=10.0.1.2
CLIENT_IP6=fd00:1::1
SERVER_IP6=fd00:1::2

set_family()
{
	XSP_FAMILY=$1
	if [ "$1" = 6 ]; then
		CLIENT_IP=$CLIENT_IP6
		SERVER_IP=$SERVER_IP6
		SERVER_HOST="[$SERVER_IP6]"
		SOCAT_LISTEN=TCP6-LISTEN	# with ipv6only=1 where it matters
	else
		CLIENT_IP=$CLIENT_IP4
		SERVER_IP=$SERVER_IP4
		SERVER_HOST=$SERVER_IP4
		SOCAT_LISTEN=TCP4-LISTEN
	fi
}
set_family "${XSP_FAMILY:-4}"

# Two namespaces, client and server, joined by veth, each with an IPv4
# (10.0.1.1, 10.0.1.2/24) and an IPv6 address (fd00:1::1, fd00:1::2/64).
# Sets CLIENT, SERVER.
setup_pair()
{
	setup_ns CLIENT SERVER || return 1
	ip link add veth-c netns "$CLIENT" type veth peer name veth-s \
		netns "$SERVER" || return 1
	ip -n "$CLIENT" addr add $CLIENT_IP4/24 dev veth-c
	ip -n "$SERVER" addr add $SERVER_IP4/24 dev veth-s
	ip -n "$CLIENT" addr add $CLIENT_IP6/64 dev veth-c nodad
	ip -n "$SERVER" addr add $SERVER_IP6/64 dev veth-s nodad
	ip -n "$CLIENT" link set veth-c up
	ip -n "$SERVER" link set veth-s up
	# Offloads would hand tcpdump and scapy unfinished checksums.
	ip netns exec "$CLIENT" ethtool -K veth-c tx off >/dev/null 2>&1
	ip netns exec "$SERVER" ethtool -K veth-s tx off >/dev/null 2>&1
	wait_for ip netns exec "$CLIENT" ping -c1 -W1 $SERVER_IP4 &&
		wait_for ip netns exec "$CLIENT" ping -6 -c1 -W1 $SERVER_IP6
}

# tcp_flags_is TEST: a capture filter that is true when the TCP flags of
# a packet of the family being run pass TEST ("& (tcp-syn|tcp-ack) ==
# tcp-syn"). pcap-filter's tcp[] reaches IPv4's TCP header only: over IPv6
# it is the byte behind a bare IPv6 header (ours carry no extension
# header), once the next header says TCP.
tcp_flags_is()
{
	if [ "$XSP_FAMILY" = 6 ]; then
		echo "(ip6[6] == 6 and ip6[53] $*)"
	else
		echo "(tcp[tcpflags] $*)"
	fi
}

# wait_for CMD...: retry CMD for up to XSP_WAIT seconds.
wait_for()
{
	local i

	for ((i = 0; i < XSP_WAIT * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# wait_listen NETNS PORT: wait until a TCP listener is on PORT in NETNS.
wait_listen()
{
	wait_for sh -c "ip netns exec '$1' ss -Htln 'sport = :$2' | grep -q ."
}

# tcp_echo NETNS HOST PORT MSG: send MSG from NETNS to an echo server at
# HOST:PORT (an IPv6 HOST in brackets) and check that it comes back. socat
# waits up to 10 s for the echo after its own EOF: its default of 0.5 s is
# shorter than a forking echo server takes on a loaded emulated guest.
tcp_echo()
{
	[ "$(echo "$4" | ip netns exec "$1" socat -T10 -t10 - "TCP:$2:$3,shut-down")" = "$4" ]
}

# bg NETNS CMD...: start CMD in NETNS in the background, killed at cleanup.
bg()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$@" &
	defer "kill $! 2>/dev/null; wait $! 2>/dev/null"
	XSP_BG_PID=$!
}

# xsp_cap_start NETNS IFACE FILTER: capture on IFACE in NETNS, from when
# tcpdump says it listens; xsp_cap_stop ends the capture, leaves it as text
# in $XSP_TMP/cap.txt and prints how many packets it holds. One at a time.
xsp_cap_start()
{
	rm -f "$XSP_TMP/cap.err"
	bg "$1" tcpdump -i "$2" -nn -U -w "$XSP_TMP/cap.pcap" "$3" \
		2>"$XSP_TMP/cap.err"
	XSP_CAP_PID=$XSP_BG_PID
	wait_for grep -q listening "$XSP_TMP/cap.err"
}

xsp_cap_stop()
{
	sleep 1
	kill "$XSP_CAP_PID" 2>/dev/null
	wait "$XSP_CAP_PID" 2>/dev/null
	tcpdump -r "$XSP_TMP/cap.pcap" -nn 2>/dev/null >"$XSP_TMP/cap.txt"
	wc -l <"$XSP_TMP/cap.txt"
}

# --- long-lived connections and counter sets (topology tests) --------------

# long_conn_open NETNS HOST PORT: open a connection from NETNS to an echo
# server at HOST:PORT and keep it open; long_conn_echo MSG sends a line over
# that same connection and waits for its echo; long_conn_close ends it. One
# at a time; closed at cleanup.
long_conn_open()
{
	local fifo=$XSP_TMP/long.in

	rm -f "$fifo" "$XSP_TMP/long.out"
	mkfifo "$fifo" || return 1
	bg "$1" sh -c "exec socat -T300 - 'TCP:$2:$3,connect-timeout=20' <'$fifo' >'$XSP_TMP/long.out'"
	XSP_LONG_PID=$XSP_BG_PID
	# Read-write: opening does not wait for the reader (which may fail).
	exec {XSP_LONG_FD}<>"$fifo"
	defer long_conn_close
}

long_conn_echo()
{
	kill -0 "$XSP_LONG_PID" 2>/dev/null &&
		(trap '' PIPE; echo "$1" >&"$XSP_LONG_FD") 2>/dev/null &&
		wait_for grep -qx "$1" "$XSP_TMP/long.out"
}

long_conn_close()
{
	[ -n "${XSP_LONG_FD:-}" ] && exec {XSP_LONG_FD}>&-
	XSP_LONG_FD=
}

# xsp_stats_changed BEFORE_FILE [NETNS]: the counters that moved since the
# snapshot, as "name+delta ..." in name order, empty when none did. The
# totals only: the per-family counters add up to them.
xsp_stats_changed()
{
	local now

	now=$(synctl ${2:+-n "$2"} -j stats) || return 1
	# the current counters first: one the snapshot lacks counts from 0
	awk "$XSP_STATS_AWK"'
	END {
		for (i = 1; i <= na; i++) {
			k = ka[i]
			if (index(k, ".") || a[k] == b[k] + 0)
				continue
			for (j = m++; j > 0 && names[j - 1] > k; j--)
				names[j] = names[j - 1]
			names[j] = k
		}
		for (j = 0; j < m; j++)
			out = out (j ? " " : "") names[j] "+" a[names[j]] - b[names[j]]
		print out
	}' - "$1" <<<"$now"
}

# xsp_expect_moved NETNS BEFORE_FILE N NAME...: each NAME grew by N or more
# since the snapshot and no other counter moved; prints what differs. The
# counters of the path each SYN-ACK took (synack_reused, synack_copy_*, see
# synack.sh) may move too, as long as they add up to the SYN-ACKs built.
xsp_expect_moved()
{
	local ns=$1 before=$2 n=$3 moved c bad= paths=0
	local -A d=()

	shift 3
	moved=$(xsp_stats_changed "$before" "$ns") || return 1
	for c in $moved; do
		d[${c%+*}]=${c##*+}
		case ${c%+*} in
		synack_reused | synack_copy_*)
			paths=$((paths + ${c##*+}))
			continue
			;;
		esac
		[[ " $* " == *" ${c%+*} "* ]] || bad+=" $c"
	done
	for c in "$@"; do
		[ "${d[$c]:-0}" -ge "$n" ] || bad+=" $c+${d[$c]:-0}<$n"
	done
	[ "$paths" -eq $((${d[syn_answered]:-0} + ${d[syn_send_failed]:-0})) ] ||
		bad+=" synack_*+$paths!=syn_answered+syn_send_failed"
	[ -z "$bad" ] && return 0
	echo "unexpected counters:$bad (moved: ${moved:-none})"
	return 1
}

# tcp_echoes NETNS HOST PORT N: N connections in turn, each an echo as
# tcp_echo's, each given 20 s to connect; stops at the first failure and
# says how many came back.
tcp_echoes()
{
	local i

	for ((i = 1; i <= $4; i++)); do
		[ "$(echo "echo$i" | ip netns exec "$1" socat -T10 -t10 - \
			"TCP:$2:$3,connect-timeout=20,shut-down")" = "echo$i" ] || break
	done
	echo "$((i - 1)) of $4 echoes to $2:$3 came back"
	[ "$i" -gt "$4" ]
}

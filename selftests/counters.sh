#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Counters where admins look: /proc/net/stat/xsynproxy per namespace, read
# by lnstat, agreeing with synctl; per-family counters adding up to the
# totals; synctl stats -i rates; the /proc file's lifetime.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_lnstat
	test_families
	test_rates
	test_proc_lifetime
"

SYNS=6

# setup: client/server pair, port 443 protected (no listener: every SYN is
# answered with a cookie, which is all the counters need), SYNS SYNs sent.
setup()
{
	xsp_load || return 1
	setup_pair || return 1
	# Only SYNs to a listener are answered (without one the stack refuses).
	bg "$SERVER" socat -T60 -t10 TCP-LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443 || return 1
	synctl -n "$SERVER" ports add 443 || return 1
	ip netns exec "$CLIENT" hping3 -q -S -p 443 -c $SYNS -i u100000 $SERVER_IP \
		>/dev/null 2>&1
	wait_for sh -c "[ \"\$(synctl -n $SERVER -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"syn_answered\"])')\" -ge $SYNS ]"
}

test_lnstat()
{
	local cpus

	setup || { check_err 1 "setup"; log_test "lnstat"; return; }
	synctl -n "$SERVER" -j stats >"$XSP_TMP/synctl"
	ip netns exec "$SERVER" cat /proc/net/stat/xsynproxy >"$XSP_TMP/proc"
	# lnstat exits 1 even when all went well (iproute2 6.1): judge its output.
	ip netns exec "$SERVER" lnstat -j -f xsynproxy -c 1 -i 1 >"$XSP_TMP/lnstat"
	ip netns exec "$CLIENT" lnstat -j -f xsynproxy -c 1 -i 1 >"$XSP_TMP/lnstat.client"
	cpus=$(python3 -c '
import sys
n = 0
for r in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = r.partition("-")
    n += int(b or a) - int(a) + 1
print(n)')
	python3 - "$XSP_TMP" "$cpus" "$SYNS" <<-'EOF'
	import json, sys
	d, cpus, syns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	st = json.load(open(d + "/synctl"))
	totals = {k: v for k, v in st.items() if not isinstance(v, dict)}
	ok = True
	def fail(msg):
	    global ok
	    ok = False
	    print("#   " + msg)
	# /proc: "entries" then the counters, one hex line per possible CPU
	lines = open(d + "/proc").read().splitlines()
	head = lines[0].split("\t")
	if head != ["entries"] + list(totals):
	    fail("proc header %s, synctl %s" % (head, list(totals)))
	if len(lines) - 1 != cpus:
	    fail("%d CPU lines for %d possible CPUs" % (len(lines) - 1, cpus))
	sums = [0] * len(head)
	for l in lines[1:]:
	    for i, v in enumerate(l.split("\t")):
	        sums[i] += int(v, 16)
	if dict(zip(head[1:], sums[1:])) != totals:
	    fail("proc sums %s != synctl %s" % (sums, totals))
	# lnstat: the same, summed over CPUs, "entries" 0
	ln = json.load(open(d + "/lnstat"))
	if ln.pop("entries", None) != 0 or ln != totals:
	    fail("lnstat %s != synctl %s" % (ln, totals))
	if totals["syn_recv"] < syns or totals["syn_answered"] < syns:
	    fail("the %d SYNs are not counted: %s" % (syns, totals))
	# per namespace: the client's namespace saw nothing
	lc = json.load(open(d + "/lnstat.client"))
	if set(lc) != set(ln) | {"entries"} or any(lc.values()):
	    fail("client namespace: %s" % lc)
	sys.exit(0 if ok else 1)
	EOF
	check_err $? "/proc/net/stat/xsynproxy, lnstat and synctl disagree"
	ip netns exec "$SERVER" lnstat -f xsynproxy -c 1 -i 1 >"$XSP_TMP/lnstat.txt"
	[ "$(head -n 1 "$XSP_TMP/lnstat.txt" | grep -o 'xsynprox|' | wc -l)" = \
		"$(head -n 1 "$XSP_TMP/proc" | wc -w)" ] &&
		[ "$(tail -n 1 "$XSP_TMP/lnstat.txt" | tr '|' '\n' | sed -n 2p | tr -d ' ')" = \
		"$(python3 -c 'import json,sys; print(json.load(sys.stdin)["syn_recv"])' <"$XSP_TMP/synctl")" ]
	check_err $? "lnstat (text) does not show every field or syn_recv: $(cat "$XSP_TMP/lnstat.txt")"
	log_test "lnstat reads /proc/net/stat/xsynproxy per namespace; it agrees with synctl"
}

test_families()
{
	setup || { check_err 1 "setup"; log_test "families"; return; }
	synctl -n "$SERVER" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
v4, v6 = d.pop("ipv4"), d.pop("ipv6")
assert all(d[k] == v4[k] + v6[k] for k in d), "total != ipv4 + ipv6"
assert v4["syn_answered"] >= int(sys.argv[1]), "IPv4 SYNs not in ipv4: %s" % v4
assert not any(v6.values()), "IPv4 SYNs counted in ipv6: %s" % v6
' $SYNS
	check_err $? "per-family counters"
	log_test "per-family counters: IPv4 SYNs in ipv4, totals are the sum"
}

test_rates()
{
	local flooder t0 t1

	setup || { check_err 1 "setup"; log_test "rates"; return; }
	# SYNs all along the two rounds
	ip netns exec "$CLIENT" timeout 8 hping3 -q -S -p 443 -i u50000 $SERVER_IP \
		>/dev/null 2>&1 &
	flooder=$!
	defer "kill $flooder 2>/dev/null"
	sleep 1
	t0=$SECONDS
	synctl -n "$SERVER" -j stats -i 1 -c 2 >"$XSP_TMP/rates"
	check_err $? "stats -i 1 -c 2 failed"
	t1=$SECONDS
	synctl -n "$SERVER" -j stats >"$XSP_TMP/after"
	[ $((t1 - t0)) -ge 2 ]
	check_err $? "two 1 s rounds took $((t1 - t0)) s"
	python3 - "$XSP_TMP/rates" "$XSP_TMP/after" <<-'EOF'
	import json, sys
	rounds = [json.loads(l) for l in open(sys.argv[1])]
	after = json.load(open(sys.argv[2]))
	assert len(rounds) == 2, "%d rounds" % len(rounds)
	for r in rounds:
	    assert r["interval"] == 1 and set(r) == {"interval", "counters"}, r
	    for name, c in r["counters"].items():
	        assert name in after, name
	        assert c["delta"] > 0 and c["rate"] == c["delta"], c
	        assert c["total"] <= after[name], (name, c, after[name])
	a, b = (r["counters"]["syn_recv"] for r in rounds)
	assert b["total"] - a["total"] == b["delta"], (a, b)
	assert "syn_answered" in rounds[1]["counters"], rounds[1]
	EOF
	check_err $? "stats -i rates: $(cat "$XSP_TMP/rates")"
	synctl -n "$SERVER" stats -i 1 -c 1 >"$XSP_TMP/text"
	head -n 1 "$XSP_TMP/text" | grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} +rate/s +total$' &&
		grep -qE '^syn_recv +[0-9.]+ +[0-9]+$' "$XSP_TMP/text"
	check_err $? "stats -i (text): $(cat "$XSP_TMP/text")"
	log_test "stats -i 1 -c 2: two rounds of rates that add up to the totals"
}

test_proc_lifetime()
{
	local ns

	xsp_load
	setup_ns ns
	ip netns exec "$ns" test -r /proc/net/stat/xsynproxy && test -r /proc/net/stat/xsynproxy
	check_err $? "no /proc/net/stat/xsynproxy in a namespace"
	xsp_unload
	check_err $? "module unload failed"
	! ip netns exec "$ns" test -e /proc/net/stat/xsynproxy && ! test -e /proc/net/stat/xsynproxy
	check_err $? "/proc/net/stat/xsynproxy outlived the module"
	xsp_load
	ip netns exec "$ns" test -r /proc/net/stat/xsynproxy
	check_err $? "no /proc/net/stat/xsynproxy in an existing namespace after loading"
	log_test "/proc/net/stat/xsynproxy comes and goes with the module, in every namespace"
}

require_root
require_cmd synctl python3 lnstat hping3
run_tests

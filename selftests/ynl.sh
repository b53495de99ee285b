#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink spec (Documentation/netlink/specs/xsynproxy.yaml) against the
# module, read by the kernel's own YNL CLI from Debian's linux-source-6.12
# (fetched by tools/deps through tools/ynl-fetch, never from this tree):
# the spec validates against the kernel's schema and matches the UAPI
# header; a port dump, the counters, the info and the events decoded by
# YNL are what synctl shows.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_spec
	test_ports_dump
	test_stats_info
	test_events
"

SPEC=$XSP_TOP/Documentation/netlink/specs/xsynproxy.yaml

# ynl NETNS ARGS...: the kernel's YNL CLI in NETNS, JSON output.
ynl()
{
	local ns=$1

	shift
	ip netns exec "$ns" env PYTHONDONTWRITEBYTECODE=1 python3 "$YNL/tools/net/ynl/cli.py" \
		--spec "$SPEC" --schema "$SCHEMA" --output-json "$@"
}

test_spec()
{
	sed 's/^\(        type: \)u16$/\1u17/' "$SPEC" >"$XSP_TMP/bad.yaml"
	python3 - "$SPEC" "$SCHEMA" "$XSP_TMP/bad.yaml" "$XSP_TOP/include/uapi/linux/xsynproxy.h" <<-'EOF'
	import re, sys, yaml, jsonschema
	spec_path, schema_path, bad_path, uapi_path = sys.argv[1:]
	schema = yaml.safe_load(open(schema_path))
	spec = yaml.safe_load(open(spec_path))
	jsonschema.validate(spec, schema)
	# the validator does refuse a broken spec
	try:
	    jsonschema.validate(yaml.safe_load(open(bad_path)), schema)
	    sys.exit("a spec with a u17 attribute validated")
	except jsonschema.ValidationError:
	    pass
	# every enum of the UAPI header, in order, is in the spec, in order
	uapi = open(uapi_path).read()
	def enum(name, prefix):
	    body = re.search(r"enum %s \{(.*?)\};" % name, uapi, re.S).group(1)
	    names = re.findall(r"^\t%s([A-Z0-9_]+),$" % prefix, body, re.M)
	    return [n.lower().replace("_", "-") for n in names]
	def attrs(set_name):
	    s = next(a for a in spec["attribute-sets"] if a["name"] == set_name)
	    return [a["name"] for a in s["attributes"]]
	states = next(d for d in spec["definitions"] if d["name"] == "state")
	checks = [
	    ("commands", enum("xsynproxy_cmd", "XSYNPROXY_CMD_")[1:],
	     [o["name"] for o in spec["operations"]["list"]]),
	    ("attributes", enum("xsynproxy_attr", "XSYNPROXY_A_")[1:], attrs("xsynproxy")),
	    ("counters", enum("xsynproxy_stat", "XSYNPROXY_STAT_")[1:], attrs("stats")),
	    ("counter names", enum("xsynproxy_stat", "XSYNPROXY_STAT_")[1:], attrs("stat-names")),
	    ("states", enum("xsynproxy_state", "XSYNPROXY_STATE_"),
	     [e["name"] for e in states["entries"]]),
	]
	bad = [(what, u, s) for what, u, s in checks if u != s]
	for what, u, s in bad:
	    print("#   %s: uapi %s, spec %s" % (what, u, s))
	if [g["name"] for g in spec["mcast-groups"]["list"]] != ["monitor"]:
	    bad.append("mcast")
	    print("#   multicast groups", spec["mcast-groups"])
	sys.exit(1 if bad else 0)
	EOF
	check_err $? "the spec is not valid, or not the UAPI header's"
	log_test "the spec validates against genetlink-legacy.yaml and matches xsynproxy.h"
}

test_ports_dump()
{
	local ns

	xsp_load
	setup_ns ns
	synctl -n "$ns" ports add 22 off && synctl -n "$ns" ports add 443 &&
		synctl -n "$ns" ports add 8000-8100
	synctl -n "$ns" -j ports show >"$XSP_TMP/synctl"
	ynl "$ns" --dump port-get >"$XSP_TMP/ynl"
	check_err $? "ynl --dump port-get failed"
	python3 - "$XSP_TMP/synctl" "$XSP_TMP/ynl" <<-'EOF'
	import json, sys
	s, y = (json.load(open(p)) for p in sys.argv[1:])
	want = [{"port-lo": r["lo"], "port-hi": r["hi"], "port-enabled": int(r["enabled"])}
	        for r in s]
	assert len(s) == 3 and y == want, "synctl %s, ynl %s" % (s, y)
	EOF
	check_err $? "ynl and synctl see different ports"
	log_test "ynl --dump port-get: the ranges synctl shows"
}

test_stats_info()
{
	xsp_load
	setup_pair || { check_err 1 "topology"; log_test "stats"; return; }
	bg "$SERVER" socat -T60 -t10 TCP-LISTEN:443,reuseaddr,fork EXEC:cat
	wait_listen "$SERVER" 443
	synctl -n "$SERVER" ports add 443
	ip netns exec "$CLIENT" hping3 -q -S -p 443 -c 4 -i u100000 $SERVER_IP >/dev/null 2>&1
	sleep 1
	synctl -n "$SERVER" -j stats >"$XSP_TMP/synctl"
	synctl -n "$SERVER" -j show >"$XSP_TMP/show"
	ynl "$SERVER" --do stats-get >"$XSP_TMP/ynl" &&
		ynl "$SERVER" --do stats-get --json '{"family": "inet"}' >"$XSP_TMP/ynl4" &&
		ynl "$SERVER" --do stats-get --json '{"family": "inet6"}' >"$XSP_TMP/ynl6" &&
		ynl "$SERVER" --do info-get >"$XSP_TMP/info"
	check_err $? "ynl --do stats-get / info-get failed"
	python3 - "$XSP_TMP" <<-'EOF'
	import json, sys
	d = sys.argv[1]
	s, y, y4, y6, info, show = (json.load(open(d + "/" + f)) for f in
	                            ("synctl", "ynl", "ynl4", "ynl6", "info", "show"))
	fam = {"ipv4": s.pop("ipv4"), "ipv6": s.pop("ipv6")}
	def names(stats):
	    return {k.replace("-", "_"): v for k, v in stats.items()}
	assert names(y["stats"]) == s, "totals: ynl %s, synctl %s" % (y["stats"], s)
	assert s["syn_answered"] >= 4, s
	# the kernel names its counters as the spec does, - for _
	assert {k.replace("-", "_"): v for k, v in y["stat-names"].items()} == \
	    {k: k for k in s}, y["stat-names"]
	fs = {f["family"]: names(f["stats"]) for f in y["family-stats"]}
	assert fs == {"inet": fam["ipv4"], "inet6": fam["ipv6"]}, fs
	assert y4["family"] == "inet" and names(y4["stats"]) == fam["ipv4"], y4
	assert y6["family"] == "inet6" and names(y6["stats"]) == fam["ipv6"], y6
	assert "family-stats" not in y4, y4
	assert info["state"] == show["state"] == "active", (info, show)
	assert info["port-count"] == show["port_ranges"] == 1, (info, show)
	assert info["budget"] == show["budget"], (info, show)
	assert int(info["key-id"], 16) == int(show["key_id"], 16), (info, show)
	assert info["version"] == show["version"], (info, show)
	EOF
	check_err $? "ynl and synctl disagree on counters or info"
	ynl "$SERVER" --do stats-get --json '{"family": 7}' >/dev/null 2>"$XSP_TMP/err"
	check_fail $? "stats-get for family 7 succeeded"
	log_test "ynl --do stats-get (all, inet, inet6) and info-get: what synctl shows"
}

test_events()
{
	local ns pid i

	xsp_load
	setup_ns ns
	synctl -n "$ns" ports add 443
	ynl "$ns" --subscribe monitor --sleep 10 >"$XSP_TMP/ntf" 2>"$XSP_TMP/ntf.err" &
	pid=$!
	defer "kill $pid 2>/dev/null"
	# YNL takes a while to start under emulation: change things until it ends
	for ((i = 0; i < 100 && $(kill -0 $pid 2>/dev/null; echo $?) == 0; i++)); do
		synctl -n "$ns" ports set 443 off
		synctl -n "$ns" ports set 443 on
		sleep 0.3
	done
	wait $pid
	check_err $? "ynl --subscribe monitor failed: $(cat "$XSP_TMP/ntf.err")"
	python3 - "$XSP_TMP/ntf" <<-'EOF'
	import json, sys
	ev = json.load(open(sys.argv[1]))
	assert len(ev) >= 4, ev
	# in pairs: the port event, then the state it caused
	if ev[0]["name"] == "state-ntf":
	    ev = ev[1:]
	for p, s in zip(ev[0::2], ev[1::2]):
	    assert p["name"] == "port-set-ntf" and s["name"] == "state-ntf", (p, s)
	    m = p["msg"]
	    assert m["port-lo"] == m["port-hi"] == 443, m
	    want = "active" if m["port-enabled"] else "idle"
	    assert s["msg"]["state"] == want and s["msg"]["prev-state"] != want, (p, s)
	EOF
	check_err $? "ynl decoded other events: $(head -c 600 "$XSP_TMP/ntf")"
	log_test "ynl --subscribe monitor decodes the module's events"
}

require_root
require_cmd synctl python3 hping3
require_repo Documentation/netlink/specs/xsynproxy.yaml include/uapi/linux/xsynproxy.h \
	tools/ynl-fetch
YNL=$("$XSP_TOP/tools/ynl-fetch" --dir 2>/dev/null) || {
	echo "# SKIP: the kernel's YNL CLI is not fetched (run tools/deps)"
	exit $KSFT_SKIP
}
SCHEMA=$YNL/Documentation/netlink/genetlink-legacy.yaml
python3 -c 'import yaml, jsonschema' 2>/dev/null || {
	echo "# SKIP: python3-yaml or python3-jsonschema missing (run tools/deps)"
	exit $KSFT_SKIP
}
log_info "YNL CLI from $(cat "$YNL/.complete")"
run_tests

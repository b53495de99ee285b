#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# synctl against the module: what it shows is what the module holds, bad
# input is refused with a clear error and changes nothing, lists of ports
# apply whole or not at all, save and batch files recreate a namespace's
# settings, permissions follow the namespace's owning user namespace.
source "$(dirname "$0")/lib.sh"

TESTS="
	test_version_show
	test_ports
	test_bad_input_changes_nothing
	test_port_lists
	test_salt
	test_budget_stats
	test_datapath
	test_save_batch
	test_permissions
	test_not_loadable
"

NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"

jget()
{
	python3 -c 'import json,sys; v=json.load(sys.stdin)'"$1"'; print(json.dumps(v) if isinstance(v,(list,dict)) else v)'
}

test_version_show()
{
	local ns v

	xsp_load
	setup_ns ns
	v=$(synctl -j version | jget '["module"]')
	[ "$v" = "$(cat /sys/module/xsynproxy/version)" ]
	check_err $? "synctl reports module version '$v', sysfs says '$(cat /sys/module/xsynproxy/version)'"
	[ "$(synctl -n "$ns" -j show | jget '["state"]')" = idle ]
	check_err $? "fresh namespace is not idle"
	synctl -n "$ns" ports add 443
	[ "$(synctl -n "$ns" -j show | jget '["state"]')" = active ]
	check_err $? "state not active after ports add"
	synctl -n "$ns" ports set 443 off
	[ "$(synctl -n "$ns" -j show | jget '["state"]')" = idle ]
	check_err $? "state not idle with the only range off"
	[ "$(synctl -n "$ns" -j show | jget '["port_ranges"]')" = 1 ]
	check_err $? "port_ranges not 1"
	synctl -n "$ns" show | grep -q '^state idle'
	check_err $? "plain show output"
	log_test "version and show report the module's state"
}

test_ports()
{
	local ns out

	xsp_load
	setup_ns ns
	synctl -n "$ns" ports add 443 && synctl -n "$ns" ports add 8000-8100 &&
		synctl -n "$ns" ports add 22 off
	check_err $? "ports add failed"
	out=$(synctl -n "$ns" ports show | tr '\n' ' ')
	[ "$out" = "22 off 443 8000-8100 " ]
	check_err $? "ports show: '$out'"
	out=$(synctl -n "$ns" -j ports show)
	[ "$out" = '[{"lo":22,"hi":22,"enabled":false},{"lo":443,"hi":443,"enabled":true},{"lo":8000,"hi":8100,"enabled":true}]' ]
	check_err $? "ports show -j: $out"
	synctl -n "$ns" ports set 22 on && synctl -n "$ns" ports del 8000-8100
	check_err $? "set/del failed"
	out=$(synctl -n "$ns" ports show | tr '\n' ' ')
	[ "$out" = "22 443 " ]
	check_err $? "after set/del: '$out'"
	synctl -n "$ns" ports del all
	[ -z "$(synctl -n "$ns" ports show)" ]
	check_err $? "ports del all left ranges"
	log_test "ports add/set/del/show, plain and JSON"
}

# refused EXPECTED_RC PATTERN CMD...: CMD fails with that code and message.
refused()
{
	local want=$1 pat=$2 err rc

	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne "$want" ] || ! grep -qi -- "$pat" <<<"$err"; then
		echo "#   '$*' -> rc $rc, '$err' (want rc $want, /$pat/)"
		return 1
	fi
}

test_bad_input_changes_nothing()
{
	local ns before

	xsp_load
	setup_ns ns
	synctl -n "$ns" ports add 443 && synctl -n "$ns" ports add 1000-2000
	before=$(synctl -n "$ns" -j ports show)
	refused 1 "out of range" synctl -n "$ns" ports add 0
	check_err $? "port 0"
	refused 1 "out of range" synctl -n "$ns" ports add 70000
	check_err $? "port 70000"
	refused 1 "invalid port" synctl -n "$ns" ports add abc
	check_err $? "port abc"
	refused 1 "reversed" synctl -n "$ns" ports add 100-90
	check_err $? "reversed range"
	refused 2 "overlap" synctl -n "$ns" ports add 1500-2500
	check_err $? "overlapping range"
	refused 2 "no configured range" synctl -n "$ns" ports del 1000-1500
	check_err $? "del of a partial range"
	refused 1 "unknown" synctl -n "$ns" bogus show
	check_err $? "unknown object"
	refused 1 "" synctl -n "$ns" ports frobnicate
	check_err $? "unknown command"
	refused 1 "" synctl -n "$ns" budget set -5
	check_err $? "negative budget"
	[ "$(synctl -n "$ns" -j ports show)" = "$before" ]
	check_err $? "a refused command changed the ports"
	log_test "bad input: clear errors, non-zero exit, nothing half-applied"
}

# ports show of NETNS on one line
ports_line()
{
	synctl -n "$1" ports show | tr '\n' ' '
}

test_port_lists()
{
	local ns before out

	xsp_load
	setup_ns ns
	# lists, service names, hex, abbreviations
	synctl -n "$ns" ports add 80,https,0x1f40-0x1f44 off
	check_err $? "ports add of a list failed"
	out=$(ports_line "$ns")
	[ "$out" = "80 off 443 off 8000-8004 off " ]
	check_err $? "after ports add 80,https,0x1f40-0x1f44 off: '$out'"
	synctl -n "$ns" p se 80,443 on
	out=$(ports_line "$ns")
	[ "$out" = "80 443 8000-8004 off " ]
	check_err $? "after p se 80,443 on: '$out'"
	out=$(synctl -n "$ns" -j ports add 22,23)
	[ "$out" = '[{"lo":22,"hi":22,"enabled":true},{"lo":23,"hi":23,"enabled":true}]' ]
	check_err $? "ports add -j of a list: $out"

	# all or nothing: the kernel refuses the third, the first two go again
	before=$(synctl -n "$ns" -j ports show)
	refused 2 '"8002-8003" failed; 2 changes before it undone, nothing changed' \
		synctl -n "$ns" ports add 1000,2000,8002-8003
	check_err $? "ports add of a list with an overlapping range"
	refused 2 'overlap.* configured range' \
		synctl -n "$ns" ports add 1000,2000,8002-8003
	check_err $? "the kernel's reason (6.1: no range in it) is not given"
	[ "$(synctl -n "$ns" -j ports show)" = "$before" ]
	check_err $? "a refused list left a change: $(ports_line "$ns")"
	refused 2 'no configured range 9999-9999 ("9999"): nothing changed' \
		synctl -n "$ns" ports del 80,9999
	check_err $? "ports del of a list with a missing range"
	refused 2 'no configured range 9999-9999' synctl -n "$ns" ports set 80,9999 off
	check_err $? "ports set of a list with a missing range"
	refused 1 '"80" and "80-90" overlap' synctl -n "$ns" ports add 80,80-90
	check_err $? "overlap inside a list"
	[ "$(synctl -n "$ns" -j ports show)" = "$before" ]
	check_err $? "a refused del or set changed the ports: $(ports_line "$ns")"
	synctl -n "$ns" po d 80,https,22,23
	out=$(ports_line "$ns")
	[ "$out" = "8000-8004 off " ]
	check_err $? "after po d 80,https,22,23: '$out'"
	log_test "port lists, service names, hex, abbreviations; a list applies whole or not at all"
}

test_salt()
{
	local ns id1 id2 out

	xsp_load
	setup_ns ns
	id1=$(synctl -n "$ns" -j salt show | jget '["key_id"]')
	synctl -n "$ns" salt rotate >/dev/null
	id2=$(synctl -n "$ns" -j salt show | jget '["key_id"]')
	[ "$id1" != "$id2" ] && [ "$(synctl -n "$ns" -j salt show | jget '["prev_key_id"]')" = "$id1" ]
	check_err $? "rotate: key id $id1 -> $id2, previous not reported"
	printf '%s\n' 0123456789abcdef0123456789abcdef >"$XSP_TMP/k"
	# a key file others can read is refused, and nothing is sent
	chmod 644 "$XSP_TMP/k"
	refused 1 "readable or writable by group or others" \
		synctl -n "$ns" salt set --key-file "$XSP_TMP/k"
	check_err $? "key file of mode 644 accepted"
	[ "$(synctl -n "$ns" -j salt show | jget '["key_id"]')" = "$id2" ]
	check_err $? "a refused key file changed the key"
	chmod 600 "$XSP_TMP/k"
	out=$(synctl -n "$ns" salt set --key-file "$XSP_TMP/k" 2>&1; synctl -n "$ns" -j salt show; synctl -n "$ns" show)
	! grep -qi 0123456789abcdef <<<"$out"
	check_err $? "the key was echoed"
	[ "$(synctl -n "$ns" -j salt show | jget '["shared"]')" = True ]
	check_err $? "key not marked shared"
	printf 'abcd\n' >"$XSP_TMP/short"
	chmod 600 "$XSP_TMP/short"
	refused 1 "bad key" synctl -n "$ns" salt set --key-file "$XSP_TMP/short"
	check_err $? "short key accepted"
	refused 1 "" synctl -n "$ns" salt set --key-file "$XSP_TMP/nonexistent"
	check_err $? "missing key file accepted"
	synctl -n "$ns" salt set --epoch-len 30
	[ "$(synctl -n "$ns" -j salt show | jget '["epoch_len"]')" = 30 ]
	check_err $? "epoch length not set"
	refused 1 "out of range" synctl -n "$ns" salt set --epoch-len 0
	check_err $? "epoch length 0 accepted"
	log_test "salt show/rotate/set: key never echoed, bad or exposed keys refused"
}

test_budget_stats()
{
	local ns uapi kernel out

	xsp_load
	setup_ns ns
	synctl -n "$ns" budget set 1000
	[ "$(synctl -n "$ns" -j budget show | jget '["budget"]')" = 1000 ]
	check_err $? "budget not 1000"
	synctl -n "$ns" budget set unlimited
	[ "$(synctl -n "$ns" -j budget show | jget '["budget"]')" = 0 ]
	check_err $? "budget not unlimited"
	# Every counter the kernel has (the names heading its /proc file, in
	# its order; as many as the UAPI enum has, named after it) is in
	# synctl -j stats, in total and per family, and all are 0.
	kernel=$(ip netns exec "$ns" head -n 1 /proc/net/stat/xsynproxy | tr '\t' '\n' | tail -n +2)
	if [ -f "$XSP_TOP/include/uapi/linux/xsynproxy.h" ]; then
		uapi=$(sed -n '/^enum xsynproxy_stat {/,/__XSYNPROXY_STAT_MAX/s/^\tXSYNPROXY_STAT_\([A-Z0-9_]*\),$/\1/p' \
			"$XSP_TOP/include/uapi/linux/xsynproxy.h" | grep -v -x -e UNSPEC -e PAD | tr 'A-Z' 'a-z')
	else
		log_info "no xsynproxy repository (XSP_REPO): counters not compared with the UAPI header"
		uapi=$kernel
	fi
	[ -n "$kernel" ] && [ "$kernel" = "$uapi" ]
	check_err $? "the kernel's counters ($(echo $kernel)) are not the UAPI's ($(echo $uapi))"
	synctl -n "$ns" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
kernel = sys.argv[1].split()
fams = [d.pop("ipv4"), d.pop("ipv6")]
assert list(d) == kernel, "totals %s" % list(d)
for f in fams:
    assert list(f) == kernel, "family %s" % list(f)
assert all(v == 0 for v in d.values()) and all(v == 0 for f in fams for v in f.values())
' "$kernel"
	check_err $? "stats of a fresh namespace: not every kernel counter, or not 0"
	out=$(synctl -n "$ns" stats)
	[ "$(head -n 1 <<<"$out" | tr -s ' ')" = "counter total ipv4 ipv6" ] &&
		[ "$(tail -n +2 <<<"$out" | awk '{ print $1 }')" = "$kernel" ] &&
		[ -z "$(tail -n +2 <<<"$out" | awk '$2 != 0 || $3 != 0 || $4 != 0')" ]
	check_err $? "text stats: '$out'"
	synctl -n "$ns" stats reset
	check_err $? "stats reset failed"
	log_test "budget set/show, stats show/reset: the kernel's counters, in total and per family"
}

test_datapath()
{
	local ns

	xsp_load
	setup_ns ns
	[ "$(synctl -n "$ns" datapath)" = "synack auto" ] &&
		[ "$(synctl -n "$ns" -j show | jget '["synack"]')" = auto ]
	check_err $? "default is not synack auto"
	synctl -n "$ns" datapath set synack copy &&
		[ "$(synctl -n "$ns" -j datapath show | jget '["synack"]')" = copy ] &&
		synctl -n "$ns" show | grep -qx "synack copy"
	check_err $? "synack copy not set"
	[ "$(synctl datapath show)" = "synack auto" ]
	check_err $? "the setting leaked into the init namespace"
	refused 1 "not \"auto\" or \"copy\"" synctl -n "$ns" datapath set synack fast
	check_err $? "synack fast accepted"
	refused 1 "missing" synctl -n "$ns" datapath set synack
	check_err $? "missing mode accepted"
	refused 1 "" synctl -n "$ns" datapath set wobble copy
	check_err $? "unknown setting accepted"
	refused 1 "" synctl -n "$ns" datapath set synack auto extra
	check_err $? "trailing argument accepted"
	[ "$(synctl -n "$ns" datapath)" = "synack copy" ]
	check_err $? "a refused command changed the setting"
	synctl -n "$ns" datapath set synack auto
	[ "$(synctl -n "$ns" datapath)" = "synack auto" ]
	check_err $? "synack auto not set back"
	log_test "datapath set/show synack auto|copy, per namespace, bad input refused"
}

test_save_batch()
{
	local ns key out

	xsp_load
	setup_ns ns
	synctl -n "$ns" ports add 22 off && synctl -n "$ns" ports add 443 &&
		synctl -n "$ns" ports add 8000-8100 && synctl -n "$ns" salt set --epoch-len 30 &&
		synctl -n "$ns" budget set 5000 &&
		synctl -n "$ns" datapath set synack copy
	check_err $? "configuration failed"
	key=00112233445566778899aabbccddeeff
	echo $key | synctl -n "$ns" salt set --key-file -
	synctl -n "$ns" save >"$XSP_TMP/saved"
	check_err $? "save failed"
	grep -v '^#' "$XSP_TMP/saved" >"$XSP_TMP/cmds"
	printf '%s\n' "salt set --epoch-len 30" "budget set 5000" \
		"datapath set synack copy" "ports del all" \
		"ports add 22 off" "ports add 443" "ports add 8000-8100" | cmp -s - "$XSP_TMP/cmds"
	check_err $? "save printed: $(cat "$XSP_TMP/saved")"
	! grep -qi -e "${key:0:8}" -e "${key:8:8}" -e "${key:16:8}" -e "${key:24:8}" "$XSP_TMP/saved"
	check_err $? "save printed the key"

	# back to defaults, then the saved file recreates the same settings
	synctl -n "$ns" ports del all && synctl -n "$ns" budget set unlimited &&
		synctl -n "$ns" salt set --epoch-len 60 &&
		synctl -n "$ns" datapath set synack auto
	synctl -n "$ns" -b "$XSP_TMP/saved"
	check_err $? "synctl -b of the saved file failed"
	synctl -n "$ns" save >"$XSP_TMP/saved2"
	cmp -s "$XSP_TMP/saved" "$XSP_TMP/saved2"
	check_err $? "save after restore differs: $(diff "$XSP_TMP/saved" "$XSP_TMP/saved2")"
	# a saved file starts from scratch: applying it again is no error
	synctl -n "$ns" -b "$XSP_TMP/saved" && synctl -n "$ns" save | cmp -s "$XSP_TMP/saved" -
	check_err $? "applying the saved file twice"

	# a failing line stops the batch (FILE:LINE: error); -force goes on
	printf 'ports add 9000\nports add 443\nports add 9001\n' >"$XSP_TMP/b"
	out=$(synctl -n "$ns" -b "$XSP_TMP/b" 2>&1)
	[ $? = 2 ] && grep -q "^$XSP_TMP/b:2: File exists: .*overlap" <<<"$out" &&
		[ "$(ports_line "$ns")" = "22 off 443 8000-8100 9000 " ]
	check_err $? "batch with a failing line: '$out', ports $(ports_line "$ns")"
	synctl -n "$ns" ports del 9000
	out=$(synctl -n "$ns" -force -b "$XSP_TMP/b" 2>&1)
	[ $? = 2 ] && [ "$(ports_line "$ns")" = "22 off 443 8000-8100 9000 9001 " ]
	check_err $? "batch -force: '$out', ports $(ports_line "$ns")"
	printf 'ports del 9000,9001\nsalt show\n' | synctl -n "$ns" -j -b - >"$XSP_TMP/o"
	[ $? = 0 ] && [ "$(ports_line "$ns")" = "22 off 443 8000-8100 " ] &&
		[ "$(jget '["epoch_len"]' <"$XSP_TMP/o")" = 30 ]
	check_err $? "batch from stdin with -j: $(cat "$XSP_TMP/o")"
	log_test "save prints what batch (-b) recreates, never the key; batch stops at errors unless -force"
}

test_permissions()
{
	local ns out

	xsp_load
	setup_ns ns
	refused 2 "permission denied" $NOBODY synctl ports add 80
	check_err $? "unprivileged user changed the init namespace"
	$NOBODY synctl show >/dev/null
	check_err $? "unprivileged user cannot read"
	out=$($NOBODY unshare -Urn sh -c 'synctl ports add 80 && synctl ports show' 2>&1)
	[ "$out" = 80 ]
	check_err $? "admin of an own user+net namespace refused: $out"
	[ -z "$(synctl ports show)" ]
	check_err $? "the user namespace's change leaked into the init namespace"
	log_test "CAP_NET_ADMIN over the namespace's user namespace is required and enough"
}

test_not_loadable()
{
	local err out rc

	xsp_unload 2>/dev/null
	echo "install xsynproxy /bin/false" >/etc/modprobe.d/xsp-test-block.conf
	defer rm -f /etc/modprobe.d/xsp-test-block.conf
	refused 2 "not loaded" synctl show
	check_err $? "missing module not reported"
	out=$(synctl version 2>"$XSP_TMP/err")
	rc=$?
	[ $rc = 2 ] && [ "$out" = "synctl $(synctl -V | cut -d' ' -f2)" ] &&
		grep -q "not loaded" "$XSP_TMP/err"
	check_err $? "synctl version without a module: rc $rc, '$out', '$(cat "$XSP_TMP/err")'"
	rm -f /etc/modprobe.d/xsp-test-block.conf
	log_test "module not loadable: clear error, exit 2; version still gives synctl's"
}

require_root
require_cmd synctl python3 setpriv unshare
run_tests

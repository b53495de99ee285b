#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run xsynproxy selftests (all, or the scripts named) and print their KTAP
# lines followed by "N passed, N failed, N skipped". Meant to run inside the
# test guest (tools/vm/run), as root:
#   tools/vm/run --kernel 6.12 -- selftests/run_tests.sh [test.sh ...]
cd "$(dirname "$0")" || exit 1

per_test_timeout=${XSP_TEST_TIMEOUT:-900}
pass=0 fail=0 skip=0

if [ $# -eq 0 ]; then
	set -- $(ls *.sh | grep -v -e '^lib\.sh$' -e '^run_tests\.sh$')
fi

echo "TAP version 13"
for t in "$@"; do
	t=${t#selftests/}
	name=${t%.sh}
	log=$(mktemp)
	start=$SECONDS
	echo "# running $name"
	XSP_TEST_NAME=$name timeout -k 10 "$per_test_timeout" bash "./$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok .*' "$log" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		[ "$rc" -eq 124 ] && why="timed out after ${per_test_timeout}s" || why="exited with $rc"
		echo "not ok - $name: $why"
		f=1
	elif [ "$rc" -eq 4 ] && [ $((p + s + f)) -eq 0 ]; then
		echo "ok - $name # SKIP $(grep -m1 '# SKIP' "$log" | sed 's/^# SKIP:* *//')"
		s=1
	fi
	echo "# $name: $((SECONDS - start))s"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	rm -f "$log"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Driver of "make check": the unit test groups of test_cookie, then one line
# each for the sanitizer run, the fuzz run and the benchmark. KTAP output;
# exits non-zero on any failure. HAVE_SAN, HAVE_FUZZER and FUZZ_SECONDS come
# from the Makefile.
set -u
cd "$(dirname "$0")" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-15}
ntests=$(./test_cookie --count) || exit 1
echo "TAP version 13"
echo "1..$((ntests + 3))"

fail=0
./test_cookie --start 1 --vectors vectors.txt || fail=1
i=$((ntests + 1))

# 1. the unit tests once more, under AddressSanitizer and UBSan
if [ "${HAVE_SAN:-}" != 1 ]; then
	echo "ok $i unit tests under ASan+UBSan # SKIP no sanitizer runtime"
elif out=$(./test_cookie_san --start 1 --vectors vectors.txt 2>&1); then
	echo "ok $i unit tests under ASan+UBSan ($(echo "$out" | grep -c '^ok') groups)"
else
	echo "$out" | grep -v '^ok ' | tail -n 40 | sed 's/^/# /'
	echo "not ok $i unit tests under ASan+UBSan"
	fail=1
fi
i=$((i + 1))

# 2. a short libFuzzer run of xsp_cookie_check()
if [ "${HAVE_FUZZER:-}" != 1 ]; then
	echo "ok $i fuzz xsp_cookie_check # SKIP no libFuzzer"
else
	mkdir -p fuzz-artifacts
	if ./fuzz_check -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-artifact_prefix=fuzz-artifacts/ >fuzz.log 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' fuzz.log)
		echo "ok $i fuzz xsp_cookie_check ${FUZZ_SECONDS}s, ${runs:-?} runs"
	else
		tail -n 30 fuzz.log | sed 's/^/# /'
		echo "not ok $i fuzz xsp_cookie_check (see fuzz.log, fuzz-artifacts/)"
		fail=1
	fi
fi
i=$((i + 1))

# 3. instruction counts (never fails)
sh ./bench.sh "$i"

exit $fail

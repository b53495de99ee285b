#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Instructions per xsp_cookie_mint()/xsp_cookie_check(), counted by
# callgrind over one bench_cookie function at a time (loop overhead of a
# few instructions included).
#
#   ./bench.sh      plain report
#   ./bench.sh N    report as KTAP test N; reports MISS but never fails
set -u
cd "$(dirname "$0")" || exit 1

n=${1:-}
target=400

if ! command -v valgrind >/dev/null 2>&1; then
	if [ -n "$n" ]; then
		echo "ok $n bench # SKIP valgrind not installed"
	else
		echo "valgrind not installed; wall-clock timing instead:"
		./bench_cookie 200
	fi
	exit 0
fi

iters=$(./bench_cookie | sed -n 's/^iterations //p')
tmp=$(mktemp -d) || exit 0
trap 'rm -rf "$tmp"' EXIT

count() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/$1.out" \
		--collect-atstart=no --toggle-collect="$1" \
		./bench_cookie >/dev/null 2>"$tmp/$1.log" || return 1
	awk -v n="$iters" '/^(summary|totals):/ {
		printf "%.1f", $2 / n; found = 1; exit }
		END { if (!found) exit 1 }' "$tmp/$1.out"
}

mint4=$(count bench_mint_v4) || mint4=
if [ -z "$mint4" ]; then
	[ -n "$n" ] && echo "ok $n bench # SKIP callgrind failed"
	sed 's/^/# /' "$tmp/bench_mint_v4.log" | tail -n 5
	exit 0
fi
mint6=$(count bench_mint_v6)
check4=$(count bench_check_v4)
check6=$(count bench_check_v6)
bad4=$(count bench_check_bad_v4)
bad6=$(count bench_check_bad_v6)

verdict=$(awk -v x="$mint4" -v t="$target" 'BEGIN { print (x <= t) ? "PASS" : "MISS" }')
p=
[ -n "$n" ] && p="# "
echo "${p}callgrind instructions per call (cached salts, $iters calls each):"
echo "${p}  mint  ipv4            $mint4"
echo "${p}  mint  ipv6            $mint6"
echo "${p}  check ipv4 valid      $check4"
echo "${p}  check ipv6 valid      $check6"
echo "${p}  check ipv4 forged     $bad4   (second MAC tells stale from forged)"
echo "${p}  check ipv6 forged     $bad6"
if [ -n "$n" ]; then
	echo "ok $n bench mint ipv4 $mint4 instructions, target <= $target: $verdict"
else
	echo "mint ipv4 target <= $target: $verdict"
fi
exit 0

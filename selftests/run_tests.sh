#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the xsynproxy selftests (all, or the scripts named) with the kernel's
# kselftest runner, from the target installed in build/ksft (make ksft, or
# make check, installs it: tools/ksft-install), and end with "N passed,
# N failed, N skipped" counted from the scripts' own KTAP lines. Meant to
# run inside the test guest, as root:
#
#   make ksft && tools/vm/run --kernel 6.12 -- selftests/run_tests.sh [x.sh ...]
#
# which is
#   tools/vm/run -- build/ksft/run_kselftest.sh [-t xsynproxy:x.sh ...]
# plus the count. smp.sh wants two CPUs (tools/vm/run --smp 2); it skips
# with one. KSFT_INSTALL_PATH=DIR: another install.
top=$(cd "$(dirname "$0")/.." && pwd)
ksft=${KSFT_INSTALL_PATH:-$top/build/ksft}

if [ ! -x "$ksft/run_kselftest.sh" ] || [ ! -d "$ksft/xsynproxy" ]; then
	echo "$0: no kselftest install in $ksft: run make ksft (on the host) first" >&2
	exit 1
fi
# An install older than the scripts would test yesterday's scripts.
for f in "$ksft"/xsynproxy/*.sh "$ksft"/xsynproxy/*.py "$ksft"/xsynproxy/*.bash "$ksft"/xsynproxy/settings; do
	src=$top/selftests/${f##*/}
	if [ -f "$src" ] && ! cmp -s "$f" "$src"; then
		echo "$0: selftests/${f##*/} differs from its copy in $ksft: run make ksft (on the host) first" >&2
		exit 1
	fi
done

args=()
for t in "$@"; do
	t=${t#selftests/}
	args+=(-t "xsynproxy:$t")
done
[ $# -gt 0 ] || args=(-c xsynproxy)

# shellcheck source=../tools/ktap.sh source-path=SCRIPTDIR
. "$top/tools/ktap.sh"
log=$(mktemp)
count=$(mktemp)
trap 'rm -f "$log" "$count"' EXIT
"$ksft/run_kselftest.sh" "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
ksft_ktap "" <"$log" | grep '^# script durations'
ktap_summary
[ "$rc" -eq 0 ] && ! grep -q '^fail$' "$count"

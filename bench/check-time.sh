#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/check-time.sh [BASELINE_REV] [ROUNDS] - how long `make check` takes
# on a built tree, against the suite of an earlier revision, side by side:
# both trees are built first, then their `make check` runs alternate
# (baseline, current, baseline, ...) ROUNDS times each, so that whatever
# else the machine does falls on both alike.  Prints each run, the medians
# and their ratio (current / baseline).  A benchmark, not a test: the
# suite's speed is never asserted by a timed test.
#
# BASELINE_REV defaults to 6837bc2, the last commit before the suite ran
# in parallel (issue 15); ROUNDS to 3.
set -eu
rev=${1:-6837bc2}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/baseline" >/dev/null 2>&1; rm -rf "$work"' EXIT
git -C "$here" worktree add --detach "$work/baseline" "$rev" >/dev/null 2>&1

echo "building the baseline ($rev) and the current tree"
make -C "$work/baseline" -s -j2 all > /dev/null
make -C "$here" -s -j2 all > /dev/null

now() { date +%s.%N; }
# run_check DIR LABEL: one make check; prints and records its seconds
run_check() {
  t0=$(now)
  if make -C "$1" -s check > "$work/$2.log" 2>&1; then rc=0; else rc=$?; fi
  t1=$(now)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  echo "$s" >> "$work/$2.times"
  printf '  %-8s %7.1f s  (%s, exit %d)\n' "$2" "$s" "$(tail -n 1 "$work/$2.log")" "$rc"
}

i=1
while [ "$i" -le "$rounds" ]; do
  echo "round $i"
  run_check "$work/baseline" baseline
  run_check "$here" current
  i=$((i + 1))
done

median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
b=$(median "$work/baseline.times")
c=$(median "$work/current.times")
awk -v b="$b" -v c="$c" -v n="$(getconf _NPROCESSORS_ONLN)" 'BEGIN {
  printf "median: baseline %.1f s, current %.1f s, ratio %.2fx (%d cores)\n", b, c, c / b, n }'

# SPDX-License-Identifier: MIT
# bench/common.sh - how bench/run.sh, cli.sh and streams.sh begin, sourced
# (". common.sh") with their arguments after they set prog (their name)
# and USAGE: die and say, their one argument (the program they measure)
# made absolute in BIN and checked, the paths HERE (bench/), ROOT and B
# (build/bench/, created), and the helpers below.  POSIX sh.
die() {
  echo "$prog: $*" >&2
  exit 1
}
say() { echo "bench: $*" >&2; }

[ $# -eq 1 ] || die "usage: $USAGE"
BIN=$1
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || die "$1: no such executable (run make first)"
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || die "cannot find bench/"
ROOT=$(dirname -- "$HERE")
B=$ROOT/build/bench
mkdir -p "$B/logs" || die "cannot create build/bench"
LC_ALL=C
export LC_ALL

# rotate ROUND LIST...: LIST starting at its (ROUND-1 mod k)-th member, so
# no implementation always runs first or after the same neighbour.
rotate() {
  r_round=$1
  shift
  r_skip=$(((r_round - 1) % $#))
  r_head= r_tail= r_i=0
  for r_m; do
    if [ $r_i -lt $r_skip ]; then r_tail="$r_tail $r_m"; else r_head="$r_head $r_m"; fi
    r_i=$((r_i + 1))
  done
  echo $r_head $r_tail
}

# median: the median of the numbers on stdin (nothing if none)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# per_round KEY A B -> the median over the rounds of A's time / B's, from
# $RES, whose lines are "KEY IMPL ROUND TIME ..."
per_round() {
  awk -v k="$1" -v a="$2" -v b="$3" '$1 == k && $2 == a { ta[$3] = $4 }
    $1 == k && $2 == b { tb[$3] = $4 }
    END { for (r in ta) if (r in tb && tb[r] > 0) print ta[r] / tb[r] }' "$RES" |
    median | awk '{ printf "%.3f", $1 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b; else print "-" }'; }

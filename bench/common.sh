# SPDX-License-Identifier: MIT
# bench/common.sh - how bench/run.sh, cli.sh and streams.sh begin, sourced
# (". common.sh") with their arguments after they set prog (their name)
# and USAGE: die and say, their one argument (the program they measure)
# made absolute in BIN and checked, and the paths HERE (bench/), ROOT and
# B (build/bench/, created).  POSIX sh.
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

#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/chart.sh [REPORT.md [CHART.svg]] - draw the benchmark chart: for
# every workload of the report, each implementation's median time as a
# multiple of the workload's floor, libtempfile in red, its goals against
# the floor as black bars.  POSIX sh.
#
#   sh bench/chart.sh           # BENCHMARKS.md -> BENCHMARKS.svg
#
# REPORT.md defaults to the project's BENCHMARKS.md, CHART.svg to the
# report's name with .svg.  bench/run.sh runs it after writing the
# report.  The numbers are the report's own: bench/chart-data.py reads its
# tables into build/bench/chart.tsv (tab-separated, kept for anyone who
# wants them), which bench/chart.gp draws with gnuplot's svg terminal.
# gnuplot (5.2 or later) is installed with apt-get when missing and this
# runs as root; otherwise this exits 1 and draws nothing.

set -u

prog=bench/chart.sh
die() {
  echo "$prog: $*" >&2
  exit 1
}

[ $# -le 2 ] || die "usage: sh bench/chart.sh [REPORT.md [CHART.svg]]"
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) || die "cannot find bench/"
ROOT=$(dirname -- "$HERE")
REPORT=${1:-$ROOT/BENCHMARKS.md}
case $REPORT in
*.md) SVG=${2:-${REPORT%.md}.svg} ;;
*) SVG=${2:-$REPORT.svg} ;;
esac
[ -f "$REPORT" ] || die "$REPORT: no such report (run make bench)"
B=$ROOT/build/bench
DATA=$B/chart.tsv
# gnuplot gets the file names inside quotes
case $SVG$DATA in
*"'"*) die "file names with a ' are not supported" ;;
esac
mkdir -p "$B/logs" || die "cannot create build/bench"

# gnuplot: Debian's gnuplot-nox (no X), apt-get update only if the
# install fails without it.
if ! command -v gnuplot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: apt-get install gnuplot-nox" >&2
    inst() {
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        gnuplot-nox >>"$B/logs/apt.log" 2>&1
    }
    inst || { apt-get update >>"$B/logs/apt.log" 2>&1 && inst; }
  fi
  command -v gnuplot >/dev/null 2>&1 ||
    die "gnuplot is missing and could not be installed (as root: apt-get install gnuplot-nox); no chart drawn"
fi

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "python3 is missing (apt-get install python3); no chart drawn"

"$PY" "$HERE/chart-data.py" "$REPORT" >"$DATA.tmp" || {
  rm -f "$DATA.tmp"
  die "cannot read the tables of $REPORT; no chart drawn"
}
mv "$DATA.tmp" "$DATA" || die "cannot write $DATA"
gnuplot -e "data='$DATA'; out='$SVG.tmp'" "$HERE/chart.gp" || {
  rm -f "$SVG.tmp"
  die "gnuplot failed; no chart drawn"
}
mv "$SVG.tmp" "$SVG" || die "cannot write $SVG"
echo "bench: wrote ${SVG#"$ROOT/"}" >&2

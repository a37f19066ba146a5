#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every CLI test script in tests/cli against the tmpf binary:
#
#   sh tests/cli/run.sh BUILD [WORD]
#
# (only the scripts whose label contains WORD; TF_TEST_JOBS > 1 runs them
# at once) and prints their "ok   NAME" / "FAIL NAME" / "skip NAME" lines
# (and the indented details under a FAIL or skip), without a total of its
# own.  Exit status 0 only if every script passed.
#
# Conventions for the scripts (each runnable alone with sh):
#   NAME_diff.sh   differential: sh NAME_diff.sh REFERENCE CANDIDATE...
#                  REFERENCE is the system's NAME, CANDIDATE "$BUILD/tmpf NAME".
#                  mktemp_diff.sh runs a second time with the candidate
#                  being a symlink named mktemp to tmpf (mktemp mode by name).
#   other *.sh     sh SCRIPT TMPF (the path of the binary); they report
#                  through check.sh, which they source (not a test)
# Every script ends with the line "N passed, M failed", which is not
# repeated here; a script that ends without it counts as a failure.
BUILD=${1:-build/cc}
here=$(dirname "$0")
tmpf=$BUILD/tmpf
case $tmpf in /*) ;; *) tmpf=$PWD/$tmpf ;; esac

if [ ! -x "$tmpf" ]; then
  echo "FAIL cli_tmpf_binary_missing"
  echo "    not found or not executable: $BUILD/tmpf"
  exit 1
fi

only=${2:-}
jobs=${TF_TEST_JOBS:-1}

status=0
work=$(mktemp -d) || exit 1
links=$work/links
mkdir "$links" || exit 1
trap 'rm -rf "$work"' EXIT
ln -s "$tmpf" "$links/mktemp"

# start LABEL COMMAND...: runs a script (in the background when there are
# several jobs) into its own output file, named after the order it began in
n=0
start() {
  label=$1
  shift
  case $label in *"$only"*) ;; *) return 0 ;; esac
  n=$((n + 1))
  echo "$label" > "$work/$n.label"
  if [ "$jobs" -gt 1 ]; then
    ( "$@" > "$work/$n.out" 2>&1; echo $? > "$work/$n.rc" ) &
  else
    "$@" > "$work/$n.out" 2>&1; echo $? > "$work/$n.rc"
  fi
}

for script in "$here"/*.sh; do
  base=${script##*/}
  case $base in
    run.sh | check.sh) ;; # the driver, and the library the scripts source
    *_diff.sh)
      prog=${base%_diff.sh}
      ref=$(command -v "$prog" 2>/dev/null)
      [ -z "$ref" ] && [ -x "/usr/bin/$prog" ] && ref=/usr/bin/$prog
      if [ -z "$ref" ]; then
        echo "skip cli_${prog}_diff"
        echo "    skipped: no $prog on PATH to compare with"
        continue
      fi
      start "${prog}_diff" sh "$script" "$ref" "$tmpf" "$prog"
      if [ "$prog" = mktemp ]; then
        start mktemp_diff_symlink env MKTEMP_DIFF_NAME=mktemp_diff_symlink \
          sh "$script" "$ref" "$links/mktemp"
      fi
      ;;
    *) start "${base%.sh}" sh "$script" "$tmpf" ;;
  esac
done
wait

# Relay each script's lines minus its total, in the order they began.
i=1
while [ "$i" -le "$n" ]; do
  label=$(cat "$work/$i.label")
  rc=$(cat "$work/$i.rc" 2>/dev/null || echo 1)
  grep -v -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$work/$i.out"
  if ! grep -q -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$work/$i.out"; then
    echo "FAIL cli_${label}_did_not_finish"
    echo "    exit status $rc, no 'N passed, M failed' line"
    rc=1
  fi
  [ "$rc" -eq 0 ] || status=1
  i=$((i + 1))
done
exit $status

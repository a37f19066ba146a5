#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every CLI test script in tests/cli against the tmpf binary:
#
#   sh tests/cli/run.sh BUILD
#
# and prints their "ok   NAME" / "FAIL NAME" lines (and the indented
# details under a FAIL), without a total of its own.  Exit status 0 only
# if every script passed.
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

status=0
out=$(mktemp) || exit 1
links=$(mktemp -d) || { rm -f "$out"; exit 1; }
trap 'rm -rf "$out" "$links"' EXIT
ln -s "$tmpf" "$links/mktemp"

# run LABEL COMMAND...: runs a script, relays its lines minus the total
run() {
  label=$1
  shift
  "$@" > "$out" 2>&1
  rc=$?
  grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$out"
  if ! grep -q -E '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
    echo "FAIL cli_${label}_did_not_finish"
    echo "    exit status $rc, no 'N passed, M failed' line"
    rc=1
  fi
  [ "$rc" -eq 0 ] || status=1
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
        echo "FAIL cli_${prog}_diff_reference_missing"
        echo "    no $prog on PATH to compare with"
        status=1
        continue
      fi
      run "${prog}_diff" sh "$script" "$ref" "$tmpf" "$prog"
      if [ "$prog" = mktemp ]; then
        MKTEMP_DIFF_NAME=mktemp_diff_symlink \
          run mktemp_diff_symlink sh "$script" "$ref" "$links/mktemp"
      fi
      ;;
    *) run "${base%.sh}" sh "$script" "$tmpf" ;;
  esac
done
exit $status

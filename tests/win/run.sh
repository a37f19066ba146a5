#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/win/run.sh - runs the Windows tests (or, with --tour, the tour
# programs) under $TF_TEST_WRAP (wine64 on Linux; empty on Windows), each
# run with a fresh WINEPREFIX that is removed afterwards.  The unit test
# program starts one process per test itself and prints the last line,
# "N passed, N failed, N skipped".
set -u
prefix=$(mktemp -d) || exit 1
work=$(mktemp -d) || exit 1
trap 'rm -rf "$prefix" "$work"' EXIT
export WINEPREFIX="$prefix" WINEDEBUG=-all
wrap=${TF_TEST_WRAP:-}
if [ "${1:-}" = "--tour" ]; then
  # The tour's temporary directory must be empty at the end: every
  # example removes what it made.  The programs get it as TMPDIR through
  # the prefix's registry (HKCU\Environment): Wine puts its own TEMP and
  # TMP there, and its server would take a Unix TMPDIR for itself.
  shift
  tmp="$work/tour"
  mkdir "$tmp"
  wtmp="Z:$(printf '%s' "$tmp" | tr / '\\')"
  $wrap reg add 'HKCU\Environment' /v TMPDIR /d "$wtmp" /f > /dev/null 2>&1 || exit 1
  for e in "$@"; do
    printf '\n##### %s\n' "$(basename "$e" .exe)"
    $wrap "$e" || exit 1
  done
  if [ -n "$(ls -A "$tmp")" ]; then
    echo "tour: left behind in the temp dir:"; ls -lAR "$tmp"; exit 1
  fi
  echo "tour: nothing left behind in the temp dir"
  exit 0
fi
unit=$1
case $unit in /*) ;; *) unit="$PWD/$unit" ;; esac
cd "$work" && $wrap "$unit"

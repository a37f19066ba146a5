#!/bin/sh
# SPDX-License-Identifier: MIT
# abi/check.sh: the shared library keeps its ABI.  Run from the top of
# the tree (the Makefile's abi-baseline and abi-check, tests/run-all.sh).
#
#   check.sh baseline LIB         write abi/libtempfile.so.MAJOR.abi from LIB
#   check.sh [--require] all LIB  both checks below; one ok/FAIL/skip line
#                                 each, then "N passed, N failed[, N skipped]"
#
# The checks:
#   abi_exports_versioned_symbols_and_soname (readelf): LIB's soname is
#     libtempfile.so.MAJOR; it exports exactly the functions that
#     include/tempfile.h declares TF_EXTERN (tests/contract/list.sh),
#     each with a version node of src/libtempfile.map (LIBTEMPFILE_1.0).
#   abi_matches_the_baseline (libabigail's abidiff): LIB against the
#     committed baseline.  abidiff's exit status is a bit set: 1 error,
#     2 usage, 4 an ABI change, 8 an incompatible change (a function or
#     variable removed).  Every bit fails: 8 and 1/2 obviously; 4 too,
#     because it is both an ABI that grew (an added function, to be
#     recorded: run `make abi-baseline` and commit the baseline in the
#     same change) and a changed public type (tf_opts grew in the middle:
#     incompatible for the programs built before, although abidiff only
#     says "change").  The libc's FILE, only ever passed by pointer, is
#     not ours (abi/libtempfile.abignore): so the musl build compares
#     too.  A build for another architecture, or without debug
#     information (-g), is skipped with the reason.
#
# A check whose tool is missing is skipped with the reason, unless
# --require (make abi-check, CI): then it fails.
set -u
require=0
if [ "${1:-}" = --require ]; then require=1; shift; fi
mode=${1:?usage: check.sh [--require] all|baseline LIB}
lib=${2:?usage: check.sh [--require] all|baseline LIB}

header=include/tempfile.h
map=src/libtempfile.map
suppr=abi/libtempfile.abignore
major=$(sed -n 's/^#define TF_VERSION_MAJOR \([0-9]*\).*/\1/p' "$header")
baseline=abi/libtempfile.so.$major.abi

# abidw's options for a baseline that depends on neither the machine
# nor the checkout: no paths (corpus, compilation directory) and no line
# numbers, only the symbols the library defines, and only the types of
# the public header (the handles' structs stay opaque: their layout is
# private and may change).
ABIDW_OPTS="--no-corpus-path --no-comp-dir-path --no-show-locs
  --drop-undefined-syms --headers-dir include --drop-private-types"

if [ "$mode" = baseline ]; then
  command -v abidw > /dev/null 2>&1 || {
    echo "abi/check.sh: abidw (libabigail, Debian package abigail-tools) is not installed" >&2
    exit 1
  }
  readelf -S "$lib" 2> /dev/null | grep -q '\.debug_info' || {
    echo "abi/check.sh: $lib has no debug information: build it with -g (the default CFLAGS)" >&2
    exit 1
  }
  # shellcheck disable=SC2086
  abidw $ABIDW_OPTS --out-file "$baseline.tmp" "$lib" &&
    mv "$baseline.tmp" "$baseline" || { rm -f "$baseline.tmp"; exit 1; }
  echo "wrote $baseline from $lib: commit it with the change that made it"
  exit 0
fi
[ "$mode" = all ] || { echo "abi/check.sh: unknown mode $mode" >&2; exit 2; }

passed=0 failed=0 skipped=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; failed=$((failed + 1)); }
skip() {
  if [ "$require" -eq 1 ]; then fail "$1" "required here, but: $2"; return; fi
  echo "skip $1"; echo "    skipped: $2"; skipped=$((skipped + 1))
}
scratch=$(mktemp -d) || exit 2
trap 'rm -rf "$scratch"' EXIT

# --- symbols and soname
name=abi_exports_versioned_symbols_and_soname
if ! command -v readelf > /dev/null 2>&1; then
  skip $name "no readelf (binutils) to read the library with"
elif [ ! -f "$lib" ]; then
  fail $name "$lib does not exist (make lib)"
else
  problems=
  soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
  [ "$soname" = "libtempfile.so.$major" ] ||
    problems="soname is '$soname', not libtempfile.so.$major"
  nodes=$(sed -n 's/^\(LIBTEMPFILE_[0-9.]*\)[ \t]*{.*/\1/p' "$map")
  # defined dynamic symbols named tf_*: NAME@@VERSION (or NAME alone)
  readelf --dyn-syms -W "$lib" |
    awk '$7 != "UND" && $8 ~ /^tf_/ {print $8}' | sort > "$scratch/exported"
  sed 's/@.*//' "$scratch/exported" > "$scratch/exported_names"
  sh tests/contract/list.sh "$header" | sort > "$scratch/declared" || problems="$problems; tests/contract/list.sh failed"
  unversioned=$(while read -r sym; do
      v=${sym#*@@}
      [ "$v" != "$sym" ] && printf '%s\n' $nodes | grep -qx -- "$v" || echo "$sym"
    done < "$scratch/exported")
  [ -z "$unversioned" ] ||
    problems="$problems; not at a version node of $map: $(echo $unversioned)"
  extra=$(comm -23 "$scratch/exported_names" "$scratch/declared")
  missing=$(comm -13 "$scratch/exported_names" "$scratch/declared")
  [ -z "$extra" ] || problems="$problems; exported but not in $header: $(echo $extra)"
  [ -z "$missing" ] || problems="$problems; declared in $header but not exported: $(echo $missing)"
  if [ -z "$problems" ]; then
    ok $name
  else
    fail $name "$lib: ${problems#; }"
  fi
fi

# --- abidiff against the baseline
name=abi_matches_the_baseline
if ! command -v abidiff > /dev/null 2>&1; then
  skip $name "no abidiff (libabigail, Debian package abigail-tools) to compare the ABI with"
elif [ ! -f "$baseline" ]; then
  fail $name "there is no baseline $baseline: make abi-baseline, and commit it"
elif ! readelf -S "$lib" 2> /dev/null | grep -q '\.debug_info'; then
  skip $name "$lib has no debug information (built without -g), which abidiff compares types with"
else
  abidiff --suppressions "$suppr" "$baseline" "$lib" > "$scratch/abidiff" 2>&1
  rc=$?
  if grep -q 'architecture changed' "$scratch/abidiff"; then
    skip $name "the baseline is of $(sed -n "s/.*architecture='\([^']*\)'.*/\1/p;q" "$baseline"), this build is another architecture"
  elif [ "$rc" -eq 0 ]; then
    ok $name
  else
    if [ $((rc & 8)) -ne 0 ]; then
      why="incompatible ABI change (abidiff status $rc): programs linked against libtempfile.so.$major would break"
    elif [ $((rc & 4)) -ne 0 ]; then
      why="the ABI changed (abidiff status $rc): if it only grew, run make abi-baseline and commit $baseline in the same change; a changed public type breaks existing programs"
    else
      why="abidiff failed (status $rc)"
    fi
    set -- "$why"
    head -n 80 "$scratch/abidiff" > "$scratch/abidiff.head"
    while IFS= read -r l; do set -- "$@" "$l"; done < "$scratch/abidiff.head"
    fail $name "$@"
  fi
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

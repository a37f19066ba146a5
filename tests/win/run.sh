#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/win/run.sh - runs the Windows tests (or, with --tour, the tour
# programs) under $TF_TEST_WRAP (wine64 on Linux; empty on Windows), each
# run with a fresh WINEPREFIX that is removed afterwards.  The unit test
# program starts one process per test itself; this script adds the checks
# of the built files (the DLL's exports and imports) and prints the last
# line, "N passed, N failed, N skipped".
set -u
prefix=$(mktemp -d) || exit 1
work=$(mktemp -d) || exit 1
# Wine's server outlives the programs by a moment: wait for it to save
# and leave before its prefix goes.
server=$(command -v wineserver || ls /usr/lib/wine/wineserver64 2>/dev/null)
trap '[ -n "$server" ] && "$server" -w 2>/dev/null; rm -rf "$prefix" "$work"' EXIT
export WINEPREFIX="$prefix" WINEDEBUG=-all
wrap=${TF_TEST_WRAP:-}
# A new prefix is made quietly before the first program runs.
[ -n "$wrap" ] && $wrap wineboot > /dev/null 2>&1
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
  # The command line's tour: examples/22_tmpf.cmd, 22_tmpf.sh for
  # cmd.exe, given tmpf.exe ($TF_TOUR_TMPF), when the build has one.
  printf '\n##### 22_tmpf.cmd\n'
  tmpf=${TF_TOUR_TMPF:-}
  if [ -n "$tmpf" ] && [ -f "$tmpf" ]; then
    case $tmpf in /*) ;; *) tmpf="$PWD/$tmpf" ;; esac
    $wrap cmd /c "Z:$(printf '%s' "$PWD/examples/22_tmpf.cmd" | tr / '\\')" \
      "Z:$(printf '%s' "$tmpf" | tr / '\\')" || exit 1
  else
    echo "not run: this build has no tmpf.exe (${tmpf:-TF_TOUR_TMPF unset})"
  fi
  if [ -n "$(ls -A "$tmp")" ]; then
    echo "tour: left behind in the temp dir:"; ls -lAR "$tmp"; exit 1
  fi
  echo "tour: nothing left behind in the temp dir"
  exit 0
fi

if [ "${1:-}" = "--bench" ]; then
  bench=$2
  case $bench in /*) ;; *) bench="$PWD/$bench" ;; esac
  (cd "$work" && $wrap "$bench") | tr -d '\r'
  exit
fi

unit=$1 dll=$2 cc=$3
case $unit in /*) ;; *) unit="$PWD/$unit" ;; esac
passed=0 failed=0 skipped=0
result() { # name status [reason]
  case $2 in
    0) echo "PASS $1"; passed=$((passed + 1)) ;;
    77) echo "SKIP $1: $3"; skipped=$((skipped + 1)) ;;
    *) echo "FAIL $1"; failed=$((failed + 1)) ;;
  esac
}

# The DLL exports the header's functions (those declared on Windows)
# and nothing else: no tf__ internals.
objdump=${cc%gcc}objdump
if command -v "$objdump" > /dev/null 2>&1; then
  echo '#include "tempfile.h"' | $cc -E -P -Iinclude -x c - | tr '\n' ' ' | tr ';' '\n' |
    sed -n 's/.*[^a-z0-9_]\(tf_[a-z0-9_]*\) *(.*/\1/p' | sort -u > "$work/declared"
  "$objdump" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
    grep -v 'Ordinal' | sed -n 's/.*\] *\([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' | sort -u > "$work/exported"
  if [ -s "$work/declared" ] && diff "$work/declared" "$work/exported"; then st=0; else st=1; fi
  result dll_exports_exactly_the_header_functions $st
  # It needs only the system's own DLLs and the C runtime.
  "$objdump" -p "$dll" | sed -n 's/^[ \t]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u > "$work/imports"
  if grep -v -x -e kernel32.dll -e ntdll.dll -e advapi32.dll -e bcrypt.dll \
      -e msvcrt.dll -e 'api-ms-win-crt-.*' -e ucrtbase.dll "$work/imports"; then st=1; else st=0; fi
  result dll_imports_only_system_libraries $st
else
  result dll_exports_exactly_the_header_functions 77 "no $objdump"
  result dll_imports_only_system_libraries 77 "no $objdump"
fi

# A program linked with the DLL's import library (as a distribution's
# users link it) runs with the DLL beside it: makes a file, a directory,
# an atomic replacement, and cleans up.
if command -v "$cc" > /dev/null 2>&1; then
  mkdir "$work/dll"
  cat > "$work/dll/smoke.c" <<'SMOKE'
#include <stdio.h>
#include <tempfile.h>
int main(void) {
  tf_file *f = NULL;
  tf_dir *d = NULL;
  char target[4096];
  if (tf_file_create(&f, NULL) != 0 || tf_dir_create(&d, NULL) != 0)
    return 1;
  snprintf(target, sizeof(target), "%s\\config", tf_dir_path(d));
  if (tf_write_file(target, "v1", 2, NULL) != 0 || tf_file_free(f) != 0 ||
      tf_dir_free(d) != 0)
    return 2;
  puts(tf_version_string());
  return 0;
}
SMOKE
  st=1
  if $cc -Iinclude -o "$work/dll/smoke.exe" "$work/dll/smoke.c" -L"$(dirname "$dll")" -ltempfile &&
     cp "$dll" "$work/dll/" &&
     out=$(cd "$work/dll" && TMPDIR= $wrap ./smoke.exe | tr -d '\r') &&
     [ "$out" = "$(sed -n 's/^#define TF_VERSION_STRING "\(.*\)"/\1/p' include/tempfile.h)" ]; then
    st=0
  fi
  result dll_import_library_links_and_runs $st
fi

# The CLI's tests run tmpf.exe (TF_TMPF, from make check), named as the
# programs see paths: under Wine through its drive Z:.
if [ -n "${TF_TMPF:-}" ]; then
  case $TF_TMPF in /*) ;; *) TF_TMPF="$PWD/$TF_TMPF" ;; esac
  [ -n "$wrap" ] && TF_TMPF="Z:$(printf '%s' "$TF_TMPF" | tr / '\\')"
  export TF_TMPF
fi
# (Wine's console ends lines with CR LF.)
(cd "$work" && $wrap "$unit") 2>&1 | tr -d '\r' > "$work/unit.log"
rc=$(grep -c '^FAIL' "$work/unit.log")
grep -v -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/unit.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/unit.log" | tail -n 1)
if [ -z "$line" ]; then
  echo "FAIL unit: no summary (exit $rc)"
  failed=$((failed + 1))
else
  set -- $(echo "$line" | tr -d ',')
  passed=$((passed + $1)); failed=$((failed + $3)); skipped=$((skipped + $5))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]

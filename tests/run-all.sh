#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every suite and ends with one line "N passed, N failed":
# the unit tests (tests/unit), the header test (tempfile.h alone as C89
# -pedantic and as C++), the check of what the libraries export, and the
# command line's tests (tests/cli/run.sh, against the system's tools).
# Environment: BUILD (build dir), CC, TF_TEST_WRAP (e.g. valgrind ...).
BUILD=${BUILD:-build/cc}
CC=${CC:-cc}
passed=0
failed=0

result() { # name status
  if [ "$2" -eq 0 ]; then echo "ok   $1"; passed=$((passed + 1));
  else echo "FAIL $1"; failed=$((failed + 1)); fi
}

# --- unit tests
out=$(mktemp)
$TF_TEST_WRAP "$BUILD/tests/unit" "$@" 2>&1 | tee "$out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
rm -f "$out"
p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then echo "FAIL unit tests did not finish"; failed=$((failed + 1));
else passed=$((passed + p)); failed=$((failed + f)); fi

if [ $# -eq 0 ]; then
  # --- the public header alone, strict C89 and C++
  echo '#include "tempfile.h"' > "$BUILD/header_c89.c"
  $CC -std=c89 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$BUILD/header_c89.c"
  result header_compiles_as_c89_pedantic $?
  CXX=${CXX:-c++}
  printf '#include "tempfile.h"\nint main() { tf_opts o = TF_OPTS_INIT; (void)o; return tf_version() == 0; }\n' > "$BUILD/header_cxx.cc"
  $CXX -std=c++98 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$BUILD/header_cxx.cc"
  result header_compiles_as_cxx98_pedantic $?

  # --- exports: only tf_* from the shared library, no test hooks anywhere
  so="$BUILD/libtempfile.so"
  # (_init and _fini come from the toolchain's crt files)
  bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' |
        grep -v -e '^tf_[a-z]' -e '^_init$' -e '^_fini$' ; \
        nm -D --defined-only "$so" | awk '{print $3}' | grep '^tf__')
  [ -z "$bad" ] && nm -D --defined-only "$so" | grep -q ' tf_mkstemp$'
  result shared_library_exports_only_public_tf_symbols $?
  ! nm "$BUILD/libtempfile.a" | grep -q -E 'tf__(fault|test_names|alloc_outstanding)'
  result test_hooks_absent_from_user_build $?
  readelf -d "$BUILD/libtempfile.so" | grep -q 'SONAME.*libtempfile\.so\.[0-9]*\]'
  result shared_library_has_soname $?

  # --- the command line (tests/cli/): each of its ok/FAIL lines counts
  out=$(mktemp)
  sh tests/cli/run.sh "$BUILD" > "$out" 2>&1
  grep -E '^(ok  |FAIL)' "$out" | grep -v '^ok  ' | head -n 200
  sed -n '/^FAIL/,/^ok  /p' "$out" | grep '^    ' | head -n 60
  p=$(grep -c '^ok  ' "$out")
  f=$(grep -c '^FAIL' "$out")
  passed=$((passed + p)); failed=$((failed + f))
  echo "cli: $p passed, $f failed"
  rm -f "$out"

  # --- every manual page (and every link page's target) renders cleanly
  mandir=$(mktemp -d)
  ln -s "$(pwd)/man" "$mandir/man3"
  bad=0
  for page in man/*.3; do
    out=$(cd "$mandir" && groff -t -man -ww -z "man3/${page##*/}" 2>&1)
    if [ -n "$out" ]; then echo "$out"; bad=1; fi
  done
  out=$(groff -t -man -ww -z man/tmpf.1 2>&1)
  if [ -n "$out" ]; then echo "$out"; bad=1; fi
  rm -rf "$mandir"
  result man_pages_render_without_warnings $bad

  # --- install into a staging root, use it, uninstall
  dest=$(mktemp -d)
  inst="$dest/opt/tf"
  make -s BUILD="$BUILD" CC="$CC" PREFIX=/opt/tf DESTDIR="$dest" install >/dev/null &&
    test -f "$inst/include/tempfile.h" && test -f "$inst/lib/libtempfile.a" &&
    test -L "$inst/lib/libtempfile.so" && test -f "$inst/share/man/man3/tempfile.3" &&
    test -x "$inst/bin/tmpf" && test -f "$inst/share/man/man1/tmpf.1" &&
    grep -q '^prefix=/opt/tf$' "$inst/lib/pkgconfig/tempfile.pc" &&
    printf '#include <tempfile.h>\nint main(void) { return tf_version_hex() != TF_VERSION_HEX; }\n' > "$dest/use.c" &&
    $CC $SAN -I"$inst/include" -o "$dest/use" "$dest/use.c" -L"$inst/lib" -ltempfile -pthread &&
    LD_LIBRARY_PATH="$inst/lib" "$dest/use"
  result install_honours_prefix_and_destdir_and_links $?
  rm -f "$dest/use" "$dest/use.c"
  make -s BUILD="$BUILD" CC="$CC" PREFIX=/opt/tf DESTDIR="$dest" uninstall >/dev/null &&
    [ -z "$(find "$dest" -type f -o -type l)" ]
  result uninstall_removes_everything_installed $?
  rm -rf "$dest"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

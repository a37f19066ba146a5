#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every suite and ends with one line "N passed, N failed" (and
# ", N skipped" when some checks could not run here, each with its reason):
# the unit tests (tests/unit), the command line's tests (tests/cli/run.sh,
# against the system's tools), the crash checker's quick form
# (tests/crash), the header test (tests/header_c89.c, which
# uses every macro, as C89 with gcc and clang and as C++98, linked and
# run), the check of what the libraries export, the ABI against its
# baseline (abi/check.sh), the man
# pages, the agreement of the header and the man pages (tests/doc_check.sh),
# the call graph of src/ (tests/callgraph.sh), and install/uninstall.
#
# Environment (set by make check):
#   BUILD          the build directory (build/cc)
#   CC, SAN        the compiler and sanitizer flags of that build
#   TF_TEST_JOBS   how many tests run at once (default: every core)
#   TF_TEST_ONLY   run only the unit tests and suites whose name contains it
#   TF_TEST_WRAP   a command the unit tests run under (valgrind ...); a
#                  qemu-user emulator (make CROSS_RUN=...) makes a cross build
#   PROFILE        the build's profile (make PROFILE=posix), and
#   TF_TEST_LIBS   what a program linked with libtempfile.a also needs
BUILD=${BUILD:-build/cc}
CC=${CC:-cc}
MAKE=${MAKE:-make}
PROFILE=${PROFILE:-}
TF_TEST_LIBS=${TF_TEST_LIBS:-}
only=${TF_TEST_ONLY:-}
jobs=${TF_TEST_JOBS:-}
[ -n "$jobs" ] || jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
export TF_TEST_JOBS=$jobs

# A cross build (TF_TEST_WRAP is qemu-user: make CC=s390x-linux-gnu-gcc
# CROSS_RUN="qemu-s390x -L /usr/s390x-linux-gnu"): the build's programs
# run only under the emulator.  The unit tests, and the programs they
# run ($TF_TEST_EMULATOR), the header's and install's programs run under
# it (xrun); the command line's scripts, which run tmpf itself, are
# skipped.  binfmt_misc, which might run them, is not relied on.
cross=
case ${TF_TEST_WRAP%% *} in qemu-* | */qemu-*) cross=1 ;; esac
xrun=${cross:+$TF_TEST_WRAP}
TF_TEST_EMULATOR=$xrun
export TF_TEST_EMULATOR

# The build's platform switches, as TF_HAVE_NAME=0|1 for the command
# line's tests of one code path (make writes $BUILD/features).
if [ -f "$BUILD/features" ]; then
  while IFS='=' read -r name value; do
    export "TF_HAVE_$name=$value"
  done < "$BUILD/features"
fi

passed=0
failed=0
skipped=0
scratch=$(mktemp -d) || exit 2
trap 'rm -rf "$scratch"' EXIT

result() { # name status
  if [ "$2" -eq 0 ]; then echo "ok   $1"; passed=$((passed + 1));
  else echo "FAIL $1"; failed=$((failed + 1)); fi
}

skip() { # name reason
  echo "skip $1"; echo "    skipped: $2"; skipped=$((skipped + 1))
}

wanted() { # suite name: selected by TF_TEST_ONLY?
  [ -z "$only" ] && return 0
  case $1 in *"$only"*) return 0 ;; esac
  return 1
}

# add_counts FILE: adds the last "N passed, N failed[, N skipped]" of FILE;
# 1 if there is none (the suite did not finish).
add_counts() {
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1)
  [ -n "$line" ] || return 1
  set -- $(echo "$line" | tr -d ',')
  passed=$((passed + $1)); failed=$((failed + $3)); skipped=$((skipped + ${5:-0}))
}

# --- the command line's tests, beside the unit tests when there are cores
# to spare (their scripts run in parallel among themselves as well)
cli_out=$scratch/cli
cli_pid=
run_cli() {
  if [ -n "$cross" ]; then
    printf 'skip cli\n    skipped: %s\n' "a cross build: the scripts run tmpf (and peak_rss, default-signals) directly, which this kernel can not" > "$cli_out"
    return
  fi
  "$BUILD/tests/default-signals" sh tests/cli/run.sh "$BUILD" "$only" > "$cli_out" 2>&1
}
if [ "$jobs" -gt 1 ]; then run_cli & cli_pid=$!; fi

# --- unit tests (the filter: only the tests whose name contains it)
out=$scratch/unit
unit=$BUILD/tests/unit  # by its whole path: qemu-user reads /proc/self/exe
case $unit in /*) ;; *) unit=$PWD/$unit ;; esac  # from it, in the test's cwd
$TF_TEST_WRAP "$unit" -j "$jobs" $only > "$out" 2>&1
cat "$out"
if ! add_counts "$out"; then
  echo "FAIL unit tests did not finish"; failed=$((failed + 1))
fi

if wanted crash; then
  # --- the crash checker's quick form (tests/crash/README.md; make
  # crashcheck runs it in full): one check per scenario and persistence
  # model, the states a power cut could leave against the man pages'
  # promises; a violation is shown with the calls that persisted
  crash=$BUILD/tests/crashcheck
  case $crash in /*) ;; *) crash=$PWD/$crash ;; esac
  $TF_TEST_WRAP "$crash" --quick > "$scratch/crash" 2>&1
  grep -v -e ' 0 violations  \[' -e '^[0-9]* passed, ' "$scratch/crash"
  if ! add_counts "$scratch/crash"; then
    echo "FAIL crashcheck did not finish"; failed=$((failed + 1))
  fi
fi

if wanted header; then
  # --- the header keeps its word: tests/header_c89.c uses every macro of
  # tempfile.h (tests/contract/macros.sh fails when one is not used), and
  # compiles as C89 with gcc and clang and as C++98, each -pedantic
  # -Werror; each object is linked with the static library and run (the
  # KEEP_ON_ERROR scopes keep or delete, the flags work, ...).
  sh tests/contract/macros.sh include/tempfile.h tests/header_c89.c
  result header_test_uses_every_macro_of_the_header $?
  CXX=${CXX:-c++}
  hdir=$scratch/header
  mkdir "$hdir"
  arch=${CC#"${CC%% *}"}   # the options in CC (gcc -m32: -m32)
  strict="-pedantic -Wall -Wextra -Werror -Iinclude"
  # (a build for another target, cross or -m32: the user's CPPFLAGS may
  # say where its headers are)
  [ -n "$cross$arch" ] && strict="$strict ${CPPFLAGS:-}"
  musl=
  case ${CC%% *} in *musl*) musl=1 ;; esac
  # header_case NAME LINKER COMPILER OPTIONS...: compile (with the
  # options $harch), then link with LINKER (empty: compile only,
  # LINKER_WHY says why) and run.
  harch=$arch
  header_case() {
    hname=$1 hlink=$2; shift 2
    if ! command -v "$1" > /dev/null 2>&1; then
      skip "header_${hname}_compiles" "no $1 to compile tests/header_c89.c with"
      return
    fi
    "$@" $harch $strict -c tests/header_c89.c -o "$hdir/$hname.o"
    result "header_${hname}_compiles" $?
    [ -f "$hdir/$hname.o" ] || return
    if [ -z "$hlink" ]; then
      skip "header_${hname}_links_and_runs" "$LINKER_WHY"
      return
    fi
    $hlink $harch $SAN -o "$hdir/$hname" "$hdir/$hname.o" "$BUILD/libtempfile.a" -pthread $TF_TEST_LIBS &&
      TMPDIR=$hdir $TF_TEST_WRAP "$hdir/$hname" > /dev/null
    result "header_${hname}_links_and_runs" $?
  }
  # The C objects link with the library's own compiler driver (its libc,
  # its sanitizer runtime).  A musl library: gcc is musl-gcc itself, and
  # clang's and the C++ compiler's objects (glibc's headers) only compile.
  LINKER_WHY="the library is built for musl; this object is compiled against glibc's headers"
  if [ -n "$musl" ]; then
    header_case c89_gcc "${CC%% *}" "${CC%% *}" -std=c89
    header_case c89_clang "" clang -std=c89
    header_case cxx98 "" "$CXX" -x c++ -std=c++98
  else
    # (a cross build: gcc is the target's gcc, clang compiles for its target)
    hgcc=gcc hclang=clang
    if [ -n "$cross" ]; then
      hgcc=${CC%% *} hclang="clang --target=$($hgcc -dumpmachine)"
    fi
    header_case c89_gcc "${CC%% *}" $hgcc -std=c89
    header_case c89_clang "${CC%% *}" $hclang -std=c89
    # C++: linked by the C++ compiler, where it has headers and a runtime
    # for $arch (g++ -m32 needs g++-multilib); else compiled for the host.
    echo 'int main() { return 0; }' > "$hdir/empty.cc"
    if $CXX $arch -o "$hdir/empty" "$hdir/empty.cc" > /dev/null 2>&1 &&
       $xrun "$hdir/empty" > /dev/null 2>&1; then
      header_case cxx98 "$CXX" "$CXX" -x c++ -std=c++98
    else
      LINKER_WHY="$CXX has no C++ headers or runtime${arch:+ for$arch} here: compiled for the host instead"
      [ -n "$cross" ] && [ -z "$arch" ] && LINKER_WHY="$CXX makes no program that $TF_TEST_WRAP runs (CXX=${hgcc%gcc}g++, a C++ cross compiler, would): compiled for the host instead"
      harch=
      header_case cxx98 "" "$CXX" -x c++ -std=c++98
      harch=$arch
    fi
  fi
fi

if wanted abi; then
  # --- the ABI: soname, versioned exports, abidiff against the baseline
  # (abi/check.sh; each check skipped with its reason without its tool)
  sh abi/check.sh all "$BUILD/libtempfile.so" > "$scratch/abi" 2>&1
  grep -v -E '^[0-9]+ passed, ' "$scratch/abi"
  if ! add_counts "$scratch/abi"; then
    echo "FAIL abi/check.sh did not finish"; failed=$((failed + 1))
  fi
fi

if wanted exports; then
  # --- exports: only tf_* from the shared library, no test hooks anywhere
  so="$BUILD/libtempfile.so"
  if command -v nm > /dev/null 2>&1 && command -v readelf > /dev/null 2>&1; then
    # (_init and _fini come from the toolchain's crt files)
    bad=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' |
          grep -v -e '^tf_[a-z]' -e '^_init$' -e '^_fini$' ; \
          nm -D --defined-only "$so" | awk '{print $3}' | grep '^tf__')
    [ -z "$bad" ] && nm -D --defined-only "$so" | grep -q -E ' tf_mkstemp(@@LIBTEMPFILE_[0-9.]+)?$'
    result exports_shared_library_only_public_tf_symbols $?
    ! nm "$BUILD/libtempfile.a" | grep -q -E 'tf__(fault|test_names|alloc_outstanding)'
    result exports_no_test_hooks_in_user_build $?
    readelf -d "$so" | grep -q 'SONAME.*libtempfile\.so\.[0-9]*\]'
    result exports_shared_library_has_soname $?
    readelf -d "$BUILD/dist/tmpf" | grep -q 'NEEDED.*libtempfile\.so\.[0-9]*\]' &&
      ! readelf -d "$BUILD/dist/tmpf" | grep -q -E 'RPATH|RUNPATH'
    result exports_installed_tmpf_links_the_shared_library_without_rpath $?
    if [ "$PROFILE" = posix ]; then
      # The portable profile calls none of the Linux-only functions (nor
      # any raw system call): what a BSD or macOS libc lacks.
      linux_only='fopencookie|getrandom|renameat2|statx|[fl]?[gs]etxattr|f?removexattr|secure_getenv|syscall|copy_file_range|sync_file_range|prctl|fstatfs|__fsetlocking'
      bad=$(nm -u "$BUILD/libtempfile.a" "$BUILD/tmpf" 2>/dev/null |
            awk '{print $NF}' | sed 's/@.*//' | grep -E -x "$linux_only" | sort -u | tr '\n' ' ')
      [ -z "$bad" ]
      result exports_posix_profile_calls_no_linux_only_function $?
      [ -n "$bad" ] && echo "    called: $bad"
    fi
  else
    skip exports "no nm or readelf (binutils) to read the libraries with"
  fi
fi

if wanted callgraph; then
  # --- src/ files call each other without a cycle; none over 600 lines
  if command -v nm > /dev/null 2>&1 && command -v bash > /dev/null 2>&1; then
    bash tests/callgraph.sh "$BUILD"
    result callgraph_src_files_call_without_cycles_and_stay_short $?
  else
    skip callgraph_src_files_call_without_cycles_and_stay_short "no nm (binutils) or bash to read the objects' symbols with"
  fi
fi

if wanted man; then
  # --- every manual page (and every link page's target) renders cleanly
  if command -v groff > /dev/null 2>&1; then
    mandir=$scratch/man
    mkdir "$mandir" && ln -s "$(pwd)/man" "$mandir/man3"
    bad=0
    for page in man/*.3; do
      out=$(cd "$mandir" && groff -t -man -ww -z "man3/${page##*/}" 2>&1)
      if [ -n "$out" ]; then echo "$out"; bad=1; fi
    done
    out=$(groff -t -man -ww -z man/tmpf.1 2>&1)
    if [ -n "$out" ]; then echo "$out"; bad=1; fi
    result man_pages_render_without_warnings $bad
  else
    skip man_pages_render_without_warnings "no groff to render the manual pages with"
  fi
fi

if wanted docs; then
  # --- the header and the manual pages agree: each TF_EXTERN function has
  # a page with its prototype, its errnos and "Since 1.0" (tests/doc_check.sh)
  if command -v bash > /dev/null 2>&1; then
    out=$(bash tests/doc_check.sh 2>&1)
    st=$?
    [ -n "$out" ] && echo "$out"
    result docs_header_and_man_pages_agree $st
  else
    skip docs_header_and_man_pages_agree "no bash to run tests/doc_check.sh with"
  fi
fi

if wanted install; then
  # --- install into a staging root, use it, uninstall
  dest=$scratch/install
  inst="$dest/opt/tf"
  mkdir "$dest"
  $MAKE -s BUILD="$BUILD" CC="$CC" SAN="$SAN" PROFILE="$PROFILE" PREFIX=/opt/tf DESTDIR="$dest" install >/dev/null &&
    test -f "$inst/include/tempfile.h" && test -f "$inst/lib/libtempfile.a" &&
    test -L "$inst/lib/libtempfile.so" && test -f "$inst/share/man/man3/tempfile.3" &&
    test -x "$inst/bin/tmpf" && test -f "$inst/share/man/man1/tmpf.1" &&
    grep -q '^prefix=/opt/tf$' "$inst/lib/pkgconfig/tempfile.pc" &&
    printf '#include <tempfile.h>\nint main(void) { return tf_version() != TF_VERSION_HEX; }\n' > "$dest/use.c" &&
    $CC $SAN -I"$inst/include" -o "$dest/use" "$dest/use.c" -L"$inst/lib" -ltempfile -pthread &&
    LD_LIBRARY_PATH="$inst/lib" $xrun "$dest/use" &&
    LD_LIBRARY_PATH="$inst/lib" $xrun "$inst/bin/tmpf" mktemp -u > /dev/null
  result install_honours_prefix_and_destdir_and_links $?
  rm -f "$dest/use" "$dest/use.c"
  $MAKE -s BUILD="$BUILD" CC="$CC" SAN="$SAN" PROFILE="$PROFILE" PREFIX=/opt/tf DESTDIR="$dest" uninstall >/dev/null &&
    [ -z "$(find "$dest" -type f -o -type l)" ]
  result install_uninstall_removes_everything_installed $?
fi

# --- the command line: each of its ok/FAIL/skip lines counts
[ -n "$cli_pid" ] && wait "$cli_pid"
[ -n "$cli_pid" ] || run_cli
# (each FAIL or skip with the indented lines under it; ok lines only count)
awk '/^(FAIL|skip)/ {show = 1; print; next} /^    / {if (show) print; next}
     {show = 0}' "$cli_out" | head -n 300
p=$(grep -c '^ok  ' "$cli_out")
f=$(grep -c '^FAIL' "$cli_out")
s=$(grep -c '^skip' "$cli_out")
passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
echo "cli: $p passed, $f failed, $s skipped"

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh BENCH_BIN - measure libtempfile against the raw system calls
# it stands on and against its peers (glibc, CPython, Rust's tempfile crate,
# Go, and rm -rf for the tree removal; GLib, Go's renameio and Python's
# atomicwrites for the atomic replacement), then write BENCHMARKS.md at the
# project root.  `make bench` runs
# `sh bench/run.sh build/cc/bench/tfbench`.  POSIX sh.
#
# What it does:
#   1. installs what is missing with apt-get (python3, golang-go,
#      librust-tempfile-dev, cargo if no cargo works offline, strace; for
#      the atomic group libglib2.0-dev, golang-github-google-renameio-dev,
#      python3-atomicwrites);
#   2. builds the peers into build/bench/ (the Rust one offline, from
#      Debian's crate registry);
#   3. calibrates N per workload so one run of the floor (for pool, which
#      has none, of named-write) takes about
#      BENCH_TARGET_MS (every implementation does the same N; tree has a
#      fixed N, BENCH_TREE_N files per subdirectory, and so have spool-mem and
#      spool, BENCH_SPOOL_N spools of 64 MiB, and atomic, BENCH_ATOMIC_N
#      replacements), then for each workload runs every implementation in
#      turn (rotating the order each round) for BENCH_ROUNDS rounds, each
#      run in a fresh directory under BENCH_DIR (default /dev/shm, a tmpfs;
#      for atomic BENCH_ATOMIC_DIR, default /tmp, which must be on a disk)
#      that must be empty afterwards;
#   4. counts system calls per operation with strace -c, from the
#      difference of two runs with different N, so start-up and warm-up
#      cancel out;
#   5. writes BENCHMARKS.md (medians, ratios, goals, system calls).
#
# The group first-call (a fresh process that makes one file, against the
# same with glibc's mkstemp) times whole processes: tfspawn, found next
# to BENCH_BIN with the two programs it spawns (first-call-tf and
# first-call-glibc, built by make), runs them in paired rounds.
#
# The group spool-stream (stdio on a spool's stream, and on a tf_file's
# and a tf_atomic's against fdopen on the same fd, issue 18) is
# bench/streams.sh's, which runs build/cc/bench/tfstream (found next to
# BENCH_BIN) and the Python and Rust peers built here, and writes its own
# section of the report; so are the command line's groups sponge-1g and
# mktemp bench/cli.sh's.  They run after the others.
#
# Environment: BENCH_ROUNDS (11), BENCH_TARGET_MS (400), BENCH_TREE_N (100),
# BENCH_SPOOL_N (1), BENCH_ATOMIC_N (200), BENCH_DIR (/dev/shm),
# BENCH_ATOMIC_DIR (/tmp), BENCH_FIRSTCALL_ROUNDS (21) and BENCH_FIRSTCALL_N
# (200: processes of each program per round) for first-call, BENCH_GROUPS (all: the groups to run, e.g.
# "atomic"; sponge-1g and mktemp are bench/cli.sh's, spool-stream is
# bench/streams.sh's, see there for their knobs (BENCH_SPONGE_*,
# BENCH_MKTEMP_*, BENCH_STREAM_*); a run of some groups only writes its report to
# build/bench/BENCHMARKS.md and leaves the project's BENCHMARKS.md alone),
# BENCH_STRICT=1 to exit 1 when a goal is missed or
# unclear, CC (cc) for the glibc peer.  Raw results stay in build/bench/ (results.txt, logs/).

set -u

prog=bench/run.sh
USAGE="sh bench/run.sh BENCH_BIN (e.g. build/cc/bench/tfbench)"
. "$(dirname -- "$0")/common.sh"
LOG=$B/logs
OUT=$ROOT/BENCHMARKS.md
PY=/usr/bin/python3

ROUNDS=${BENCH_ROUNDS:-11}
TARGET_MS=${BENCH_TARGET_MS:-400}
TREE_N=${BENCH_TREE_N:-100}
case $TREE_N in
'' | *[!0-9]*) die "BENCH_TREE_N must be a number of files from 1 to 99999" ;;
esac
[ "$TREE_N" -ge 1 ] && [ "$TREE_N" -le 99999 ] ||
  die "BENCH_TREE_N must be a number of files from 1 to 99999"
TREE_ENTRIES=$((100 * TREE_N + 101))
# spool-mem and spool: N spools of 64 MiB per repetition, not calibrated
# (the calibration's N >= 100 would be 100 x 64 MiB); one operation is one
# 4 KiB write, SPOOL_OPS per spool.
SPOOL_N=${BENCH_SPOOL_N:-1}
case $SPOOL_N in
'' | *[!0-9]*) die "BENCH_SPOOL_N must be a number of spools from 1 to 1000" ;;
esac
[ "$SPOOL_N" -ge 1 ] && [ "$SPOOL_N" -le 1000 ] ||
  die "BENCH_SPOOL_N must be a number of spools from 1 to 1000"
SPOOL_OPS=16384
# atomic: N durable replacements of one 4 KiB file per repetition, not
# calibrated (each costs an fsync of the file and one of the directory,
# about a millisecond on a disk), in a directory on a disk-backed file
# system: on tmpfs fsync does nothing.
ATOMIC_N=${BENCH_ATOMIC_N:-200}
case $ATOMIC_N in
'' | *[!0-9]*) die "BENCH_ATOMIC_N must be a number of replacements from 1 to 100000" ;;
esac
[ "$ATOMIC_N" -ge 1 ] && [ "$ATOMIC_N" -le 100000 ] ||
  die "BENCH_ATOMIC_N must be a number of replacements from 1 to 100000"
ATOMIC_BASE=${BENCH_ATOMIC_DIR:-/tmp}
# first-call: FC_ROUNDS paired rounds of FC_N processes of each program.
FC_ROUNDS=${BENCH_FIRSTCALL_ROUNDS:-21}
FC_N=${BENCH_FIRSTCALL_N:-200}
case $FC_ROUNDS$FC_N in
*[!0-9]*) die "BENCH_FIRSTCALL_ROUNDS and BENCH_FIRSTCALL_N must be numbers" ;;
esac
[ "$FC_ROUNDS" -ge 1 ] && [ "$FC_ROUNDS" -le 1000 ] ||
  die "BENCH_FIRSTCALL_ROUNDS must be a number of rounds from 1 to 1000"
[ "$FC_N" -ge 1 ] && [ "$FC_N" -le 100000 ] ||
  die "BENCH_FIRSTCALL_N must be a number of processes from 1 to 100000"
BASE=${BENCH_DIR:-/dev/shm}
REPS=11
TFBENCH_REPS=$REPS
export TFBENCH_REPS

GROUPS_ALL="named named-at unnamed mkdtemp named-handle named-handle-untracked dir-handle-empty dir-handle-3 first-call tree spool-mem spool atomic pool"
# The command line's groups, whole tmpf processes: bench/cli.sh.
CLI_GROUPS_ALL="sponge-1g mktemp"
# stdio on a spool's stream: bench/streams.sh.
STREAM_GROUPS_ALL="spool-stream"
RUN_GROUPS=
CLI_GROUPS=
STREAM_GROUPS=
for g in ${BENCH_GROUPS:-$GROUPS_ALL $CLI_GROUPS_ALL $STREAM_GROUPS_ALL}; do
  case " $GROUPS_ALL " in
  *" $g "*)
    case " $RUN_GROUPS " in
    *" $g "*) ;;
    *) RUN_GROUPS="${RUN_GROUPS:+$RUN_GROUPS }$g" ;;
    esac
    continue
    ;;
  esac
  case " $STREAM_GROUPS_ALL " in
  *" $g "*)
    STREAM_GROUPS=$STREAM_GROUPS_ALL
    continue
    ;;
  esac
  case " $CLI_GROUPS_ALL " in
  *" $g "*) ;;
  *) die "BENCH_GROUPS: unknown group '$g' (groups: $GROUPS_ALL $CLI_GROUPS_ALL $STREAM_GROUPS_ALL)" ;;
  esac
  case " $CLI_GROUPS " in
  *" $g "*) ;;
  *) CLI_GROUPS="${CLI_GROUPS:+$CLI_GROUPS }$g" ;;
  esac
done
[ -n "$RUN_GROUPS$CLI_GROUPS$STREAM_GROUPS" ] ||
  die "BENCH_GROUPS names no group (groups: $GROUPS_ALL $CLI_GROUPS_ALL $STREAM_GROUPS_ALL)"
TMPF=$(dirname "$(dirname "$BIN")")/tmpf
TFSTREAM=$(dirname "$BIN")/tfstream
[ -z "$STREAM_GROUPS" ] || [ -x "$TFSTREAM" ] ||
  die "${TFSTREAM#"$ROOT/"}: no such executable (run make first)"
run_cli() { # the command line's groups, into build/bench/cli.md
  BENCH_CLI_GROUPS=$CLI_GROUPS sh "$HERE/cli.sh" "$TMPF" || die "bench/cli.sh failed"
}
run_streams() { # spool-stream, into build/bench/streams.md, with the peers built here
  BENCH_STREAM_PEERS=$PEERS sh "$HERE/streams.sh" "$TFSTREAM" || die "bench/streams.sh failed"
}
if [ -z "$RUN_GROUPS$STREAM_GROUPS" ]; then # only the command line's: its report alone
  run_cli
  cp "$B/cli.md" "$B/BENCHMARKS.md" && say "wrote build/bench/BENCHMARKS.md"
  exit 0
fi
selected() { # GROUP: is it measured in this run?
  case " $RUN_GROUPS " in *" $1 "*) return 0 ;; esac
  return 1
}
# first-call's programs, built by make next to tfbench.
FC_SPAWN=$(dirname "$BIN")/tfspawn
FC_TF=$(dirname "$BIN")/first-call-tf
FC_GLIBC=$(dirname "$BIN")/first-call-glibc
if selected first-call; then
  for p in "$FC_SPAWN" "$FC_TF" "$FC_GLIBC"; do
    [ -x "$p" ] || die "${p#"$ROOT/"}: no such executable (run make first)"
  done
fi
# A run of some groups only is no full report: it goes to build/bench/.
PARTIAL=
[ "$RUN_GROUPS" = "$GROUPS_ALL" ] && [ "$CLI_GROUPS" = "$CLI_GROUPS_ALL" ] &&
  [ "$STREAM_GROUPS" = "$STREAM_GROUPS_ALL" ] || PARTIAL=1
[ -z "$PARTIAL" ] || OUT=$ROOT/build/bench/BENCHMARKS.md

mkdir -p "$LOG" || die "cannot create build/bench"
[ -d "$BASE" ] && [ -w "$BASE" ] || die "$BASE: not a writable directory"
if selected atomic; then
  [ -d "$ATOMIC_BASE" ] && [ -w "$ATOMIC_BASE" ] || die "$ATOMIC_BASE: not a writable directory"
fi
base_of() { # GROUP -> the directory its runs make their directories in
  case $1 in
  atomic) echo "$ATOMIC_BASE" ;;
  *) echo "$BASE" ;;
  esac
}
: >"$B/notes.txt"
: >"$B/results.txt"
: >"$LOG/errors.log"
RUST_USED=

note() {
  say "$*"
  echo "$*" >>"$B/notes.txt"
}

# ------------------------------------------------------------- installing

APT_UPDATED=
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    note "cannot install $* (no apt-get)"
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    note "cannot install $* (not root)"
    return 1
  fi
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    apt-get update >>"$LOG/apt.log" 2>&1 || say "apt-get update failed (see build/bench/logs/apt.log)"
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
    >>"$LOG/apt.log" 2>&1 || {
    note "apt-get install $* failed (see build/bench/logs/apt.log)"
    return 1
  }
}

have_rust_tempfile() {
  for d in /usr/share/cargo/registry/tempfile-3.*; do
    [ -d "$d" ] && return 0
  done
  return 1
}

[ -x "$PY" ] || apt_install python3
[ -z "$RUN_GROUPS" ] || command -v go >/dev/null 2>&1 || apt_install golang-go
have_rust_tempfile || apt_install librust-tempfile-dev
[ -z "$RUN_GROUPS" ] || command -v strace >/dev/null 2>&1 || apt_install strace
# The atomic group's peers: GLib (built with pkg-config), Go's renameio
# (Debian's source package, found offline through GOPATH) and Python's
# atomicwrites.
RENAMEIO_SRC=/usr/share/gocode/src/github.com/google/renameio
if selected atomic; then
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists glib-2.0 ||
    apt_install libglib2.0-dev pkg-config
  [ -f "$RENAMEIO_SRC/writefile.go" ] || apt_install golang-github-google-renameio-dev
  "$PY" -c 'import atomicwrites' >/dev/null 2>&1 || apt_install python3-atomicwrites
  if [ "$(stat -f -c %T "$ATOMIC_BASE" 2>/dev/null)" = tmpfs ]; then
    note "BENCH_ATOMIC_DIR $ATOMIC_BASE is a tmpfs: fsync does nothing there, the atomic numbers are not a disk's"
  fi
fi

# --------------------------------------------------------------- building

PEERS=

say "building the glibc peer"
if ${CC:-cc} -std=c99 -O2 -g -Wall -Wextra -o "$B/glibc-peer" "$HERE/peers/glibc.c" \
  >"$LOG/glibc-build.log" 2>&1; then
  PEERS="$PEERS glibc"
  # rm -rf is spawned by the glibc peer (its tree-rm workload).
  if command -v rm >/dev/null 2>&1; then
    PEERS="$PEERS rm"
  else
    note "rm peer: no rm in PATH"
  fi
else
  note "glibc peer: build failed (see build/bench/logs/glibc-build.log)"
fi

if selected atomic; then
  say "building the GLib peer"
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists glib-2.0; then
    # (pkg-config's words are meant to be split)
    if ${CC:-cc} -std=c99 -O2 -g -Wall -Wextra -o "$B/glib-peer" "$HERE/peers/glib.c" \
      $(pkg-config --cflags --libs glib-2.0) >"$LOG/glib-build.log" 2>&1; then
      PEERS="$PEERS glib glib-consistent"
    else
      note "glib peer: build failed (see build/bench/logs/glib-build.log)"
    fi
  else
    note "glib peer: pkg-config cannot find glib-2.0 (libglib2.0-dev)"
  fi
fi

if [ -x "$PY" ] && "$PY" -c 'import tempfile' >"$LOG/python-check.log" 2>&1; then
  PEERS="$PEERS python"
  if selected atomic; then
    if "$PY" -c 'import atomicwrites' >>"$LOG/python-check.log" 2>&1; then
      PEERS="$PEERS atomicwrites"
    else
      note "atomicwrites peer: $PY cannot import atomicwrites (python3-atomicwrites)"
    fi
  fi
else
  note "python peer: $PY not usable"
fi

# Rust: the project is copied into the build directory, where a generated
# .cargo/config.toml replaces crates.io with Debian's registry directory
# (the standard Debian way), so nothing is fetched and the source tree
# gets no Cargo.lock.
build_rust() { # CARGO [RUSTC]
  RB=$B/rust
  rm -rf "$RB/src" "$RB/Cargo.lock" "$RB/.cargo"
  mkdir -p "$RB/src" "$RB/.cargo" || return 1
  cp "$HERE/peers/rust/Cargo.toml" "$RB/" &&
    cp "$HERE/peers/rust/src/main.rs" "$RB/src/" || return 1
  cat >"$RB/.cargo/config.toml" <<'EOF'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
EOF
  (
    cd "$RB" || exit 1
    if [ $# -gt 1 ]; then
      RUSTC=$2
      export RUSTC
    fi
    CARGO_TARGET_DIR="$RB/target" "$1" build --release --offline
  ) >"$LOG/rust-build.log" 2>&1 && RUST_USED=$("${2:-rustc}" --version 2>/dev/null | awk '{ print $1, $2 }')
}

if have_rust_tempfile; then
  say "building the Rust peer (offline, Debian's crates)"
  rust_ok=
  if command -v cargo >/dev/null 2>&1 && build_rust cargo; then
    rust_ok=1
  else
    # The cargo in PATH is missing or cannot build offline against the
    # Debian registry: Debian's own cargo can.
    # Its own rustc goes with it (the PATH may have another one first).
    [ -x /usr/bin/cargo ] || apt_install cargo
    if [ -x /usr/bin/cargo ] && build_rust /usr/bin/cargo /usr/bin/rustc; then
      rust_ok=1
    fi
  fi
  if [ -n "$rust_ok" ]; then
    PEERS="$PEERS rust"
  else
    note "rust peer: build failed (see build/bench/logs/rust-build.log)"
  fi
else
  note "rust peer: Debian's librust-tempfile-dev is not installed"
fi

# Only bench/streams.sh's group (and the command line's): their sections
# alone, with the problems met here, into build/bench/BENCHMARKS.md.
if [ -z "$RUN_GROUPS" ]; then
  [ -z "$CLI_GROUPS" ] || run_cli
  run_streams
  {
    [ -z "$CLI_GROUPS" ] || { cat "$B/cli.md" && echo; }
    cat "$B/streams.md"
    if [ -s "$B/notes.txt" ]; then
      echo
      echo "## Problems during this run"
      echo
      sed 's/^/- /' "$B/notes.txt"
    fi
  } | sed -e "s|$ROOT/||g" >"$B/BENCHMARKS.md" || die "cannot write build/bench/BENCHMARKS.md"
  missed=0 unclear=0
  for f in ${CLI_GROUPS:+cli-goals.txt} streams-goals.txt; do
    read -r m u <"$B/$f"
    missed=$((missed + m)) unclear=$((unclear + u))
  done
  say "wrote build/bench/BENCHMARKS.md ($missed goal(s) missed, $unclear unclear)"
  [ "${BENCH_STRICT:-0}" = 1 ] && [ $((missed + unclear)) -gt 0 ] && exit 1
  exit 0
fi

# Go, without modules: main.go alone, or with atomic.go (build tag
# renameio) for the atomic group.  renameio v2 is imported as
# github.com/google/renameio/v2, a path GOPATH mode resolves only through
# a directory of that name, so the build's own GOPATH gets one: a link to
# Debian's source.
go_build() { # OUTPUT [TAGS]
  env GOCACHE="$B/go-cache" GOPATH="$B/gopath" GO111MODULE=off GOFLAGS= \
    GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    go build ${2:+-tags "$2"} -o "$1" "$HERE/peers/go/main.go" \
    ${2:+"$HERE/peers/go/atomic.go"}
}
if command -v go >/dev/null 2>&1; then
  say "building the Go peer"
  go_ok=
  : >"$LOG/go-build.log"
  if selected atomic; then
    if [ -f "$RENAMEIO_SRC/writefile.go" ]; then
      mkdir -p "$B/gopath/src/github.com/google/renameio" &&
        ln -sfn "$RENAMEIO_SRC" "$B/gopath/src/github.com/google/renameio/v2" &&
        go_build "$B/go-peer" renameio >>"$LOG/go-build.log" 2>&1 && go_ok=1
      if [ -n "$go_ok" ]; then
        PEERS="$PEERS renameio"
      else
        note "renameio peer: build failed (see build/bench/logs/go-build.log)"
      fi
    else
      note "renameio peer: $RENAMEIO_SRC missing (golang-github-google-renameio-dev)"
    fi
  fi
  if [ -z "$go_ok" ] && go_build "$B/go-peer" >>"$LOG/go-build.log" 2>&1; then
    go_ok=1
  fi
  if [ -n "$go_ok" ]; then
    PEERS="$PEERS go"
  else
    note "go peer: build failed (see build/bench/logs/go-build.log)"
  fi
else
  note "go peer: no go toolchain"
fi

# ---------------------------------------------------------------- running

# invoke IMPL WORKLOAD N DIR [WRAPPER...]: run one implementation.  The
# floor of a group is tfbench's WORKLOAD-floor (named-floor for the
# handle).  "handle" is libtempfile's tf_dir (tfbench tree-handle), "rm"
# is rm -rf spawned by the glibc peer (glibc-peer tree-rm), and "malloc"
# and "hot" are spool-mem's two other memory baselines (tfbench
# spool-mem-malloc and spool-mem-hot); "named-write" is the pool group's
# comparison, the same use of a scratch file without a pool (tfbench
# named-write).  For atomic, "glib" and
# "glib-consistent" are the GLib peer's atomic and atomic-consistent,
# "renameio" the Go peer's atomic and "atomicwrites" the Python peer's.
invoke() {
  i_impl=$1 i_w=$2 i_n=$3 i_d=$4
  shift 4
  i_pw=$(peer_workload_of "$i_w")
  case $i_impl in
  libtempfile) "$@" "$BIN" "$i_w" "$i_n" "$i_d" ;;
  floor) "$@" "$BIN" "$(floor_of "$i_w")" "$i_n" "$i_d" ;;
  handle) "$@" "$BIN" "$i_w-handle" "$i_n" "$i_d" ;;
  dir) "$@" "$BIN" "$i_w-dir" "$i_n" "$i_d" ;;
  malloc) "$@" "$BIN" "$i_w-malloc" "$i_n" "$i_d" ;;
  hot) "$@" "$BIN" "$i_w-hot" "$i_n" "$i_d" ;;
  named-write) "$@" "$BIN" named-write "$i_n" "$i_d" ;;
  rm) "$@" "$B/glibc-peer" "$i_pw-rm" "$i_n" "$i_d" ;;
  glibc) "$@" "$B/glibc-peer" "$i_pw" "$i_n" "$i_d" ;;
  python) "$@" "$PY" "$HERE/peers/python.py" "$i_pw" "$i_n" "$i_d" ;;
  rust) "$@" "$B/rust/target/release/rust-peer" "$i_pw" "$i_n" "$i_d" ;;
  go | renameio) "$@" "$B/go-peer" "$i_pw" "$i_n" "$i_d" ;;
  glib) "$@" "$B/glib-peer" "$i_pw" "$i_n" "$i_d" ;;
  glib-consistent) "$@" "$B/glib-peer" "$i_pw-consistent" "$i_n" "$i_d" ;;
  atomicwrites) "$@" "$PY" "$HERE/peers/python.py" "$i_pw" "$i_n" "$i_d" ;;
  *) return 2 ;;
  esac
}

# The peers have no form anchored on a directory fd: for named-at they
# run their named workload.
peer_workload_of() {
  case $1 in
  named-at) echo named ;;
  *) echo "$1" ;;
  esac
}

floor_of() {
  case $1 in
  named-handle | named-handle-untracked) echo named-floor ;;
  *) echo "$1-floor" ;;
  esac
}

label_of() { # IMPL WORKLOAD: what the program prints as "WORKLOAD NAME"
  case $1 in
  libtempfile) echo "$2 libtempfile" ;;
  floor) echo "$(floor_of "$2") libtempfile" ;;
  handle) echo "$2-handle libtempfile" ;;
  dir) echo "$2-dir libtempfile" ;;
  malloc) echo "$2-malloc libtempfile" ;;
  hot) echo "$2-hot libtempfile" ;;
  named-write) echo "named-write libtempfile" ;;
  rm) echo "$(peer_workload_of "$2")-rm glibc" ;;
  glib-consistent) echo "$(peer_workload_of "$2")-consistent glib" ;;
  renameio) echo "$(peer_workload_of "$2") go" ;;
  atomicwrites) echo "$(peer_workload_of "$2") python" ;;
  *) echo "$(peer_workload_of "$2") $1" ;;
  esac
}

# measure IMPL WORKLOAD N: one run in a fresh directory; prints ns/op.
measure() {
  m_base=$(base_of "$2")
  m_dir=$(mktemp -d "$m_base/tfbench.XXXXXX") || die "mktemp in $m_base failed"
  m_out=$(invoke "$1" "$2" "$3" "$m_dir" 2>>"$LOG/errors.log")
  m_rc=$?
  if ! rmdir "$m_dir" 2>/dev/null; then
    note "$1 $2 left files behind in its directory"
    rm -rf "$m_dir"
  fi
  if [ $m_rc -ne 0 ]; then
    say "$1 $2 N=$3 failed (exit $m_rc, see build/bench/logs/errors.log)"
    return 1
  fi
  echo "$m_out" | awk -v want="$(label_of "$1" "$2")" '
    NR == 1 && NF == 4 && $1 " " $2 == want && $3 ~ /^[0-9]+(\.[0-9]+)?$/ &&
      $4 == "ns/op" { ns = $3; ok = 1; next }
    { ok = 0 }
    END { if (!ok) exit 1; print ns }' || {
    say "$1 $2: unexpected output: $m_out"
    return 1
  }
}

members() { # GROUP -> the implementations measured for it
  case $1 in
  # "dir": libtempfile's handle with opts.dir instead of the temporary
  # directory (informational).
  named-handle) m_list="libtempfile dir floor python rust go" ;;
  # The peers' handles are those of named-handle: not run again.
  named-handle-untracked) m_list="libtempfile floor" ;;
  dir-handle-empty | dir-handle-3) m_list="libtempfile dir floor python rust go" ;;
  # Whole processes (tfspawn): libtempfile's and glibc's mkstemp's.
  first-call) m_list="libtempfile mkstemp" ;;
  tree) m_list="libtempfile handle floor glibc rm python rust go" ;;
  # glibc and Go have no spooled file.
  spool-mem) m_list="libtempfile floor malloc hot python rust" ;;
  spool) m_list="libtempfile floor python rust" ;;
  atomic) m_list="libtempfile floor glib glib-consistent renameio atomicwrites" ;;
  # No floor and no peer: the pool against a named file used the same way.
  pool) m_list="libtempfile named-write" ;;
  *) m_list="libtempfile floor glibc python rust go" ;;
  esac
  for m in $m_list; do
    case " libtempfile floor handle dir malloc hot named-write mkstemp $PEERS " in
    *" $m "*) printf '%s ' "$m" ;;
    esac
  done
}

is_peer() {
  case $1 in libtempfile | floor | handle | dir | malloc | hot | named-write) return 1 ;; *) return 0 ;; esac
}

# N per workload: a short calibration run of the floor gives its ns/op,
# and N is set so the floor's (REPS + 1) repetitions take about TARGET_MS.
# Every implementation of the workload then does the same N operations
# per repetition (slower ones take longer), so all of them leave the same
# number of names behind in their directory's history.  tree is not
# calibrated: N is files per subdirectory, fixed (BENCH_TREE_N), and one
# operation is one entry (100 N + 101 per tree), so ns/op is per entry.
# Nor are spool-mem and spool: N is spools of 64 MiB, fixed
# (BENCH_SPOOL_N), and one operation is one 4 KiB write (16384 per spool).
# Nor is atomic: N replacements (BENCH_ATOMIC_N), each of which waits for
# the disk.  pool has no floor: it is calibrated on named-write, the
# slower of its two.  Nor is first-call: N is processes of each program
# per round (BENCH_FIRSTCALL_N).
: >"$B/n.txt"
for g in $RUN_GROUPS; do
  fixed=
  case $g in
  tree) fixed=$TREE_N ;;
  first-call) fixed=$FC_N ;;
  spool-mem | spool) fixed=$SPOOL_N ;;
  atomic) fixed=$ATOMIC_N ;;
  esac
  if [ -n "$fixed" ]; then
    for m in $(members "$g"); do
      echo "$g $m $fixed" >>"$B/n.txt"
    done
    continue
  fi
  cal=floor
  [ "$g" = pool ] && cal=named-write
  ns=$(TFBENCH_REPS=1 measure "$cal" "$g" 500) || {
    note "$cal $g: calibration failed; $g not measured"
    continue
  }
  n=$(awk -v ns="$ns" -v t="$TARGET_MS" -v r="$REPS" 'BEGIN {
    n = int(t * 1e6 / ((r + 1) * ns)); if (n < 100) n = 100
    if (n > 200000) n = 200000; print n }')
  for m in $(members "$g"); do
    echo "$g $m $n" >>"$B/n.txt"
  done
done
n_of() { awk -v g="$1" -v m="$2" '$1 == g && $2 == m { print $3 }' "$B/n.txt"; }

# first-call: tfspawn runs its FC_ROUNDS paired rounds itself, in one
# fresh directory (TMPDIR for libtempfile's program, the argument of
# both), and prints "round R NS_A NS_B", the mean ns per process of each
# program in round R; kept as us per process.
run_first_call() {
  say "first-call: $FC_ROUNDS rounds of $FC_N processes of each program, interleaved"
  fc_dir=$(mktemp -d "$BASE/tfbench.XXXXXX") || die "mktemp in $BASE failed"
  "$FC_SPAWN" "$FC_ROUNDS" "$FC_N" "$fc_dir" "$FC_TF" "$FC_GLIBC" \
    >"$B/first-call.txt" 2>>"$LOG/errors.log"
  fc_rc=$?
  if ! rmdir "$fc_dir" 2>/dev/null; then
    note "first-call left files behind in its directory"
    rm -rf "$fc_dir"
  fi
  if [ $fc_rc -ne 0 ]; then
    note "first-call: tfspawn failed (exit $fc_rc, see build/bench/logs/errors.log)"
    return
  fi
  awk -v n="$FC_N" '$1 == "round" && NF == 4 {
      printf "first-call libtempfile %d %.3f %d\n", $2, $3 / 1000, n
      printf "first-call mkstemp %d %.3f %d\n", $2, $4 / 1000, n }' \
    "$B/first-call.txt" >>"$B/results.txt"
  awk '$1 == "round" { printf "bench: first-call round %d/%d: libtempfile %.0f us, mkstemp %.0f us per process\n",
      $2, r, $3 / 1000, $4 / 1000 }' r="$FC_ROUNDS" "$B/first-call.txt" >&2
}

START=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
for g in $RUN_GROUPS; do
  if [ "$g" = first-call ]; then
    run_first_call
    continue
  fi
  list=
  for m in $(members "$g"); do
    [ -n "$(n_of "$g" "$m")" ] && list="$list $m"
  done
  k=$(echo $list | wc -w)
  [ "$k" -gt 0 ] || continue
  r=1
  while [ "$r" -le "$ROUNDS" ]; do
    # Rotate the order each round so no implementation always runs first
    # or always follows the same neighbour.
    skip=$(((r - 1) % k))
    head= tail= i=0
    for m in $list; do
      if [ $i -lt $skip ]; then tail="$tail $m"; else head="$head $m"; fi
      i=$((i + 1))
    done
    for m in $head $tail; do
      n=$(n_of "$g" "$m")
      if ns=$(measure "$m" "$g" "$n"); then
        echo "$g $m $r $ns $n" >>"$B/results.txt"
        say "$g round $r/$ROUNDS: $m $ns ns/op (N=$n)"
      fi
    done
    r=$((r + 1))
  done
done
ELAPSED=$(($(date +%s) - START))
[ -z "$CLI_GROUPS" ] || run_cli
[ -z "$STREAM_GROUPS" ] || run_streams
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

# ------------------------------------------------------------- system calls

# The floor goals of tree, the spools and atomic, also paired inside one
# process: this machine's speed drifts from one process to the next by
# more than the 5-15% at stake.
PAIRS=${BENCH_TREE_PAIRS:-31}
SPOOL_PAIRS=${BENCH_SPOOL_PAIRS:-21}
ATOMIC_PAIRS=${BENCH_ATOMIC_PAIRS:-21}
for pw in tree spool-mem spool atomic; do
  selected "$pw" || continue
  case $pw in
  tree) pn=$TREE_N pp=$PAIRS ;;
  atomic) pn=$ATOMIC_N pp=$ATOMIC_PAIRS ;;
  *) pn=$SPOOL_N pp=$SPOOL_PAIRS ;;
  esac
  say "$pw-paired: $pp alternating pairs of libtempfile and the floor"
  p_base=$(base_of "$pw")
  p_dir=$(mktemp -d "$p_base/tfbench.XXXXXX") || die "mktemp in $p_base failed"
  line=$(TFBENCH_REPS=$pp "$BIN" "$pw-paired" "$pn" "$p_dir" 2>>"$LOG/errors.log") || line=
  rmdir "$p_dir" 2>/dev/null || { note "$pw-paired left files behind"; rm -rf "$p_dir"; }
  echo "$line" >>"$B/results.txt"
done
paired_line() { grep "^$1-paired ratio " "$B/results.txt" | tail -n 1; }

# Per-operation counts from strace -c: runs with N1 and N2 operations per
# repetition (TFBENCH_REPS=1: a warm-up and one timed repetition, so 2N
# operations), difference divided by 2 * (N2 - N1).  For tree, T1 and T2
# files per subdirectory: the difference is 2 * 100 * (T2 - T1) files, so
# the counts are per entry, with the per-directory calls (the same 101
# directories in both runs) cancelled out; those are counted per tree
# from the T1 runs, libtempfile against the floor (the same program,
# building the same tree).  The untimed building of the trees is counted
# too (per file one openat, write and close in the C programs).  For the
# spools, S1 and S2 spools of SPOOL_OPS 4 KiB writes: the difference
# divided by 2 * (S2 - S1) * SPOOL_OPS is per 4 KiB write.  For atomic,
# A1 and A2 replacements (each waits for the disk twice), per replacement;
# for the directory handles D1 and D2 directories, per directory.  For
# first-call, one process of each program, all its calls.
N1=1000
N2=3000
T1=20
T2=60
S1=1
S2=2
A1=50
A2=150
# The directory handles: fewer, as each life makes a dozen or more calls
# (slow under strace) and their counts are whole numbers.
D1=300
D2=900
strace_ns() { # GROUP -> the two N of its strace runs
  case $1 in
  tree) echo "$T1 $T2" ;;
  dir-handle-*) echo "$D1 $D2" ;;
  spool-mem | spool) echo "$S1 $S2" ;;
  atomic) echo "$A1 $A2" ;;
  *) echo "$N1 $N2" ;;
  esac
}
TFBENCH_REPS=1 # nothing is timed from here on
: >"$B/strace.txt"
: >"$B/strace-firstcall.txt"
if command -v strace >/dev/null 2>&1; then
  for g in $RUN_GROUPS; do
    # first-call: one process of each program, all its calls ("IMPL
    # SYSCALL CALLS"), start-up and exit included.
    if [ "$g" = first-call ]; then
      for m in libtempfile mkstemp; do
        p=$FC_TF
        [ $m = mkstemp ] && p=$FC_GLIBC
        d=$(mktemp -d "$BASE/tfbench-strace.XXXXXX") || die "mktemp failed"
        raw=$B/strace-raw.txt
        if env TMPDIR="$d" strace -f -c -o "$raw" "$p" "$d" >/dev/null 2>>"$LOG/errors.log"; then
          awk -v m="$m" 'NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" { print m, $NF, $4 }' \
            "$raw" >>"$B/strace-firstcall.txt"
        else
          note "strace of $m $g failed"
        fi
        rm -rf "$d"
      done
      continue
    fi
    for m in $(members "$g"); do
      for n in $(strace_ns "$g"); do
        d=$(mktemp -d "$(base_of "$g")/tfbench-strace.XXXXXX") || die "mktemp failed"
        raw=$B/strace-raw.txt
        if invoke "$m" "$g" $n "$d" strace -f -c -o "$raw" \
          >/dev/null 2>>"$LOG/errors.log"; then
          awk -v g="$g" -v m="$m" -v n="$n" '
            NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" {
              print g, m, n, $NF, $4 }' "$raw" >>"$B/strace.txt"
        else
          note "strace of $m $g failed"
        fi
        rm -rf "$d"
      done
    done
  done
else
  note "strace is not installed: no system-call counts"
fi

# per-op table: "group impl syscall per_op" for every non-zero difference
# (per entry for tree: 100 files per unit of N; per 4 KiB write for the
# spools: SPOOL_OPS per unit of N, where one call per spool is 0.00006, so
# every difference of a call or more is kept, with nine digits; per
# replacement for atomic)
awk -v n1=$N1 -v n2=$N2 -v t1=$T1 -v t2=$T2 -v s1=$S1 -v s2=$S2 -v so=$SPOOL_OPS \
  -v a1=$A1 -v a2=$A2 -v d1=$D1 -v d2=$D2 '
  function spool(g) { return g == "spool-mem" || g == "spool" }
  function dirh(g) { return g ~ /^dir-handle-/ }
  { key = $1 " " $2 " " $4
    lo = $1 == "tree" ? t1 : spool($1) ? s1 : $1 == "atomic" ? a1 : dirh($1) ? d1 : n1
    if ($3 == lo) a[key] = $5; else b[key] = $5; k[key] = 1 }
  END { for (x in k) { split(x, f, " ")
          if (spool(f[1])) {
            if (b[x] - a[x] >= 1 || b[x] - a[x] <= -1)
              printf "%s %.9g\n", x, (b[x] - a[x]) / (2 * (s2 - s1) * so)
            continue
          }
          div = f[1] == "tree" ? 2 * 100 * (t2 - t1) : \
            f[1] == "atomic" ? 2 * (a2 - a1) : dirh(f[1]) ? 2 * (d2 - d1) : 2 * (n2 - n1)
          d = (b[x] - a[x]) / div
          if (d >= 0.0005 || d <= -0.0005) printf "%s %.3f\n", x, d } }' \
  "$B/strace.txt" | sort >"$B/strace-perop.txt"
# per tree, libtempfile and its tf_dir handle beyond the floor: "impl
# syscall calls" from the T1 runs (two trees each), halved
awk -v t1=$T1 '$1 == "tree" && $3 == t1 { c[$2 " " $4] = $5; s[$4] = 1 }
  END { for (x in s) for (m = 1; m <= 2; m++) {
          impl = m == 1 ? "libtempfile" : "handle"
          if (!((impl " " x) in c) && !(("floor " x) in c)) continue
          d = (c[impl " " x] - c["floor " x]) / 2
          if (d != 0) printf "%s %s %g\n", impl, x, d } }' \
  "$B/strace.txt" | sort >"$B/strace-pertree.txt"

# ------------------------------------------------------------- the report

median_of() { # GROUP IMPL -> median ns/op over the rounds
  awk -v g="$1" -v m="$2" '$1 == g && $2 == m { print $4 }' "$B/results.txt" |
    sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) exit 1
      if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range_of() {
  awk -v g="$1" -v m="$2" '$1 == g && $2 == m { print $4 }' "$B/results.txt" |
    sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.0f-%.0f", lo, hi }'
}
paired_ratio() { # GROUP A B -> median over rounds of A/B in the same round
  awk -v g="$1" -v a="$2" -v b="$3" '$1 == g && $2 == a { x[$3] = $4 }
    $1 == g && $2 == b { y[$3] = $4 }
    END { for (r in x) if (r in y && y[r] > 0) printf "%.4f\n", x[r] / y[r] }' \
    "$B/results.txt" | sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.3f", m }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

impl_name() { # IMPL [GROUP]
  case $1:${2:-} in
  libtempfile:*) echo "**libtempfile**" ;;
  floor:spool-mem) echo "floor: fresh memory at its final size" ;;
  floor:spool) echo "floor: stdio (64 KiB buffer) on an O_TMPFILE file" ;;
  floor:atomic) echo "floor: the durable replacement by hand" ;;
  floor:*) echo "floor: raw system calls" ;;
  handle:*) echo "libtempfile tf_dir handle" ;;
  dir:*) echo "libtempfile, opts.dir = DIR" ;;
  malloc:*) echo "baseline: malloc(64 MiB)" ;;
  hot:*) echo "baseline: hot buffer (copies only)" ;;
  named-write:*) echo "libtempfile, no pool: a named file per use" ;;
  esac
  case $1 in
  rm) echo "rm -rf ($(rm --version 2>/dev/null | awk 'NR == 1 { print $2, $3, $4 }' | tr -d '()'))" ;;
  glibc) echo "glibc $(ldd --version 2>/dev/null | awk 'NR == 1 { print $NF }')" ;;
  mkstemp) echo "glibc $(ldd --version 2>/dev/null | awk 'NR == 1 { print $NF }') mkstemp, the same process" ;;
  python) echo "CPython $("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null)" ;;
  rust) echo "Rust tempfile $(rust_tempfile_version) (${RUST_USED:-rustc})" ;;
  go) echo "Go $(go env GOVERSION 2>/dev/null | sed 's/^go//')" ;;
  glib) echo "GLib $(pkg-config --modversion glib-2.0 2>/dev/null) (CONSISTENT + DURABLE)" ;;
  glib-consistent) echo "GLib $(pkg-config --modversion glib-2.0 2>/dev/null) (CONSISTENT only)" ;;
  renameio) echo "Go renameio $(dpkg-query -W -f '${Version}' golang-github-google-renameio-dev 2>/dev/null | sed 's/-[^-]*$//') (Go $(go env GOVERSION 2>/dev/null | sed 's/^go//'))" ;;
  atomicwrites) echo "Python atomicwrites $("$PY" -c 'import atomicwrites; print(atomicwrites.__version__)' 2>/dev/null) (CPython $("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null))" ;;
  esac
}
fc_libs() { # PROGRAM -> its shared objects, as ldd lists them (no addresses)
  ldd "$1" 2>/dev/null | awk '{ printf "%s%s", sep, $1; sep = ", " }'
}
rust_tempfile_version() {
  awk '/^name = "tempfile"/ { f = 1; next } f && /^version/ { gsub(/"/, "", $3); print $3; exit }' \
    "$B/rust/Cargo.lock" 2>/dev/null
}

what_of() { # GROUP IMPL -> the calls one operation makes
  case $1:$2 in
  named:libtempfile) echo 'tf_mkstemp, close, unlinkat, free' ;;
  named:floor) echo 'openat(O_CREAT|O_EXCL|...), close, unlinkat' ;;
  named:glibc) echo 'mkostemp(O_CLOEXEC), close, unlink' ;;
  named:python) echo 'tempfile.mkstemp, os.close, os.unlink' ;;
  named:rust) echo 'NamedTempFile::new_in, drop' ;;
  named:go) echo 'os.CreateTemp, Close, os.Remove' ;;
  unnamed:libtempfile) echo 'tf_tmpfile, close' ;;
  unnamed:floor) echo 'openat(O_TMPFILE|O_EXCL), close' ;;
  unnamed:glibc) echo 'mkostemp, unlink, close' ;;
  unnamed:python) echo 'tempfile.TemporaryFile, close' ;;
  unnamed:rust) echo 'tempfile::tempfile_in, drop' ;;
  unnamed:go) echo 'os.CreateTemp, os.Remove, Close (no unnamed API)' ;;
  mkdtemp:libtempfile) echo 'tf_mkdtemp, rmdir, free' ;;
  mkdtemp:floor) echo 'mkdirat, rmdir' ;;
  mkdtemp:glibc) echo 'mkdtemp, rmdir' ;;
  mkdtemp:python) echo 'tempfile.mkdtemp, os.rmdir' ;;
  mkdtemp:rust) echo 'TempDir::new_in, drop' ;;
  mkdtemp:go) echo 'os.MkdirTemp, os.Remove' ;;
  named-at:libtempfile) echo 'tf_mkstempat(dirfd), close, unlinkat(dirfd), free' ;;
  named-at:floor) echo 'openat(dirfd, name), close, unlinkat(dirfd, name)' ;;
  named-at:glibc) echo 'named: mkostemp(O_CLOEXEC), close, unlink' ;;
  named-at:python) echo 'named: tempfile.mkstemp, os.close, os.unlink' ;;
  named-at:rust) echo 'named: NamedTempFile::new_in, drop' ;;
  named-at:go) echo 'named: os.CreateTemp, Close, os.Remove' ;;
  named-handle:libtempfile) echo 'tf_file_create(NULL) in the temporary directory, tf_file_free' ;;
  named-handle:dir) echo 'tf_file_create({.dir = DIR}), tf_file_free' ;;
  named-handle:floor) echo 'named-floor: openat, close, unlinkat' ;;
  named-handle:python) echo 'tempfile.NamedTemporaryFile(), close' ;;
  named-handle:rust) echo 'NamedTempFile::new(), drop' ;;
  named-handle:go) echo 'os.CreateTemp(""), Close, os.Remove (no handle that deletes)' ;;
  named-handle-untracked:libtempfile) echo 'tf_file_create({.flags = TF_UNTRACKED}) in the temporary directory, tf_file_free' ;;
  named-handle-untracked:floor) echo 'named-floor: openat, close, unlinkat' ;;
  dir-handle-empty:libtempfile) echo 'tf_dir_create(NULL) in the temporary directory, tf_dir_free' ;;
  dir-handle-empty:dir) echo 'tf_dir_create({.dir = DIR}), tf_dir_free' ;;
  dir-handle-empty:floor) echo 'mkdirat, rmdir' ;;
  dir-handle-empty:python) echo 'tempfile.TemporaryDirectory(), cleanup()' ;;
  dir-handle-empty:rust) echo 'TempDir::new(), drop' ;;
  dir-handle-empty:go) echo 'os.MkdirTemp(""), os.RemoveAll' ;;
  dir-handle-3:libtempfile) echo 'tf_dir_create(NULL); 3 x (openat(tf_dir_path + "/fK"), write 1 byte, close); tf_dir_free' ;;
  dir-handle-3:dir) echo 'the same with tf_dir_create({.dir = DIR})' ;;
  dir-handle-3:floor) echo 'mkdirat; 3 x (openat by path, write 1 byte, close); 3 x unlinkat by path; rmdir' ;;
  dir-handle-3:python) echo 'tempfile.TemporaryDirectory(); 3 x (os.open(os.path.join), os.write, os.close); cleanup()' ;;
  dir-handle-3:rust) echo 'TempDir::new(); 3 x (OpenOptions::open(path.join), write_all, drop); drop' ;;
  dir-handle-3:go) echo 'os.MkdirTemp(""); 3 x (os.OpenFile(filepath.Join), Write, Close); os.RemoveAll' ;;
  first-call:libtempfile) echo 'a process: tf_mkstemp(&path, NULL) with TMPDIR=DIR, unlink, close, free, exit' ;;
  first-call:mkstemp) echo 'a process: mkstemp("DIR/tmpXXXXXX"), unlink, close, exit' ;;
  tree:libtempfile) echo 'tf_rmtreeat(dirfd, "tree", 0)' ;;
  tree:handle) echo 'tf_dir_cleanup (tf_dir_create, filled through tf_dir_fd)' ;;
  tree:floor) echo 'per file unlinkat(subdirfd, name); per directory openat, close, unlinkat(AT_REMOVEDIR); names known' ;;
  tree:glibc) echo 'nftw(FTW_DEPTH|FTW_PHYS), unlink/rmdir of each path' ;;
  tree:rm) echo 'rm -rf -- DIR/tree, spawned (time includes the spawn)' ;;
  tree:python) echo 'TemporaryDirectory(dir=DIR).cleanup() (shutil.rmtree)' ;;
  tree:rust) echo 'TempDir::new_in(DIR).close() (std::fs::remove_dir_all)' ;;
  tree:go) echo 'os.MkdirTemp, os.RemoveAll' ;;
  spool-mem:libtempfile) echo 'tf_spool_write of 4 KiB to a tf_spool_create(max_size 128 MiB), read back with tf_spool_read; tf_spool_free' ;;
  spool-mem:floor) echo 'memcpy into a 64 MiB mmap made for the spool (2 MiB aligned, MADV_HUGEPAGE), memcpy out; munmap' ;;
  spool-mem:malloc) echo 'memcpy into malloc(64 MiB), memcpy out; free' ;;
  spool-mem:hot) echo 'memcpy into one pre-touched 64 MiB buffer, reused, memcpy out' ;;
  spool-mem:python) echo 'SpooledTemporaryFile(max_size=128 MiB).write (a BytesIO), read back; close' ;;
  spool-mem:rust) echo 'spooled_tempfile(128 MiB) write (a Cursor<Vec<u8>>), read back; drop' ;;
  spool:libtempfile) echo 'tf_spool_write of 4 KiB, max_size 1 MiB, opts.dir DIR (rolls over to an unnamed file), read back; tf_spool_free' ;;
  spool:floor) echo 'fwrite to fdopen(openat(DIR, O_TMPFILE)) with a 64 KiB buffer, fseek, fread; fclose' ;;
  spool:python) echo 'SpooledTemporaryFile(max_size=1 MiB, dir=DIR) (rolls over to a TemporaryFile), read back; close' ;;
  spool:rust) echo 'spooled_tempfile(1 MiB) with TMPDIR=DIR (rolls over to tempfile()), read back; drop' ;;
  atomic:libtempfile) echo 'tf_write_file(DIR/target, buf, 4096, {.mode = 0644, .flags = TF_SYNC_DURABLE})' ;;
  atomic:floor) echo 'open(DIR/.target.tmp, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC), write, fsync, close, rename, open(DIR), fsync, close' ;;
  atomic:glib) echo 'g_file_set_contents_full(DIR/target, buf, 4096, CONSISTENT|DURABLE, 0644)' ;;
  atomic:glib-consistent) echo 'g_file_set_contents_full(DIR/target, buf, 4096, CONSISTENT, 0644)' ;;
  atomic:renameio) echo 'renameio.WriteFile(DIR/target, buf, 0644): no directory fsync' ;;
  atomic:atomicwrites) echo 'with atomic_write(DIR/target, mode="wb", overwrite=True) as f: f.write(buf)' ;;
  pool:libtempfile) echo 'tf_pool_acquire (capacity 1, {.dir = DIR}), write 4 KiB, tf_pool_release (ftruncate, lseek)' ;;
  pool:named-write) echo 'tf_file_create({.dir = DIR}), write 4 KiB, tf_file_close (unlink, close), tf_file_free' ;;
  esac
}

fastest_peer() { # GROUP -> "impl ns" of the fastest peer
  for m in $(members "$1"); do
    is_peer "$m" || continue
    v=$(median_of "$1" "$m") && echo "$m $v"
  done | sort -g -k2 | head -n 1
}

# floor_goal G LIMIT: the goal row "libtempfile at most LIMIT x G's
# floor" (named by floor_of: G-floor, or named-floor for the handles).
floor_goal() {
  fg_g=$1 fg_lim=$2
  fg_text="\`$fg_g\` <= $fg_lim x \`$(floor_of "$fg_g")\`"
  lib=$(median_of "$fg_g" libtempfile) || lib=
  fl=$(median_of "$fg_g" floor) || fl=
  if [ -n "$lib" ] && [ -n "$fl" ]; then
    ratio=$(div "$lib" "$fl")
    pr=$(paired_ratio "$fg_g" libtempfile floor)
    goal_row "$fg_text" "$ratio x (per-round $pr x)" "$(hits "$fg_lim" "$ratio" "$pr" 0)"
  else
    goal_row "$fg_text" "not measured" 0
  fi
}
# peer_goal G PEER_GOAL STRICT [floor]: the goal row of libtempfile
# against G's fastest peer (STRICT 1: faster than it; 0: no slower);
# "floor" adds its time over the floor's to the measured cell.
peer_goal() {
  pg_g=$1 pg_text=$2 pg_strict=$3 pg_floor=${4:-}
  lib=$(median_of "$pg_g" libtempfile) || lib=
  fp=$(fastest_peer "$pg_g")
  if [ -n "$lib" ] && [ -n "$fp" ]; then
    set -- $fp
    ratio=$(div "$lib" "$2")
    pr=$(paired_ratio "$pg_g" libtempfile "$1")
    extra=
    if [ -n "$pg_floor" ] && fl=$(median_of "$pg_g" floor); then
      extra="; $(div "$lib" "$fl") x the floor (per-round $(paired_ratio "$pg_g" libtempfile floor) x)"
    fi
    goal_row "\`$pg_g\` $pg_text" "$ratio x the fastest peer, $1 (per-round $pr x)$extra" \
      "$(hits 1 "$ratio" "$pr" "$pg_strict")"
  else
    goal_row "\`$pg_g\` $pg_text" "not measured" 0
  fi
}
# floor_and_peer_goals G PEER_GOAL STRICT: the two goal rows of group G:
# libtempfile at most 1.05 x G-floor, and against the fastest peer.
floor_and_peer_goals() {
  floor_goal "$1" 1.05
  peer_goal "$@"
}

GOALS_MISSED=0
GOALS_UNCLEAR=0
# goal_row TEXT MEASURED HITS: HITS is how many of the two measures (ratio
# of the medians, median of the per-round ratios) meet the goal.
goal_row() {
  case $3 in
  2) r=met ;;
  1)
    r="**unclear**: only one of the two measures meets it (within the noise)"
    GOALS_UNCLEAR=$((GOALS_UNCLEAR + 1))
    ;;
  *)
    r="**missed**"
    GOALS_MISSED=$((GOALS_MISSED + 1))
    ;;
  esac
  echo "| $1 | $2 | $r |"
}
hits_min() { # LIMIT RATIO PAIRED STRICT(1: must be above LIMIT)
  awk -v l="$1" -v a="$2" -v b="$3" -v s="$4" 'BEGIN {
    n = 0
    if (a != "-" && (s ? a > l : a >= l)) n++
    if (b != "-" && (s ? b > l : b >= l)) n++
    print n }'
}
hits() { # LIMIT RATIO PAIRED STRICT(1: must be below LIMIT)
  awk -v l="$1" -v a="$2" -v b="$3" -v s="$4" 'BEGIN {
    n = 0
    if (a != "-" && (s ? a < l : a <= l)) n++
    if (b != "-" && (s ? b < l : b <= l)) n++
    print n }'
}

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
fstype=$(stat -f -c %T "$BASE" 2>/dev/null)
fs_of() { # DIR -> "TYPE on DEVICE" (df knows ext4 where stat -f says ext2/ext3)
  df -PT "$1" 2>/dev/null | awk 'NR == 2 { print $2 " on " $1 }'
}
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (bench/run.sh; see bench/README.md) on"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Rerun it rather than editing this file."
  echo
  # The chart, drawn from this report's tables by bench/chart.sh at the
  # end; if it cannot be drawn, the lines from <!-- chart --> to
  # <!-- /chart --> are taken out again.
  echo "<!-- chart -->"
  echo
  echo "![Each implementation's median time as a multiple of its workload's floor, one row per workload; libtempfile in red, its goals as black bars](BENCHMARKS.svg)"
  echo
  echo "How to read the chart (drawn from the tables below by \`sh bench/chart.sh\`):"
  echo "each row is a workload, each marker one implementation's median time"
  echo "divided by the median time of that workload's floor, its bare minimum"
  echo "(described in its section). 1x, the dashed line, is the floor: left of"
  echo "it is faster than the floor, right of it slower. The scale is widened"
  echo "near 1x and compressed far from it, so read the values off the tick"
  echo "marks. **libtempfile** (\`tmpf\` for the command line's workloads) is the"
  echo "big red dot, and its value and goal are printed in red under the"
  echo "workload's name. The black bar is libtempfile's goal against the floor"
  echo "(at most that many times the floor's time): a red dot left of its bar"
  echo "meets the goal by the ratio of the medians (the Goals table also judges"
  echo "the per-round ratio). Rows without a bar have goals against the peers"
  echo "only, or none. The peers are the muted markers (legend under the chart);"
  echo "hollow markers are other forms of the same implementation and grey"
  echo "crosses baselines that are not peers, both labelled. A workload without"
  echo "a floor (\`pool\`) is not drawn."
  echo
  echo "<!-- /chart -->"
  echo
  echo "## Machine"
  echo
  echo "- CPU: ${cpu:-unknown}, $(nproc) online CPUs; memory: ${mem:-unknown}"
  echo "- kernel: Linux $(uname -r) ($(uname -m)); transparent huge pages: ${thp:-unknown}"
  echo "- file system: $BASE ($fstype), a fresh directory for every run"
  if selected atomic; then
    echo "- file system for \`atomic\`: $ATOMIC_BASE ($(fs_of "$ATOMIC_BASE")), a fresh directory for every run"
  fi
  echo "- load average (1, 5, 15 min) before measuring: ${LOAD_BEFORE:-?}; after: ${LOAD_AFTER:-?} (the benchmark itself adds about 1)"
  echo "- compiler: $(${CC:-cc} --version 2>/dev/null | head -n 1); libtempfile and tfbench built by make (-O2)"
  features=$(dirname -- "$(dirname -- "$BIN")")/features
  if [ -f "$features" ]; then
    echo "- the build's platform features (\`make features\`, src/platform.h): used: $(sed -n 's/=1$//p' "$features" | tr '\n' ' ' | sed 's/ $//'); done without: $(sed -n 's/=0$//p' "$features" | tr '\n' ' ' | sed 's/ $//')"
  fi
  echo "- peers: $(for p in $PEERS; do printf '%s; ' "$(impl_name "$p")"; done | sed 's/; $//')"
  echo
  echo "## Method"
  echo
  echo "Every program (tfbench and one per peer) does one untimed repetition of"
  echo "N operations, then $REPS timed ones (CLOCK_MONOTONIC or the language's"
  echo "monotonic clock), and prints the median time per operation. N is set"
  echo "per workload so one run of the floor lasts about $TARGET_MS ms (except"
  echo "where fixed, below), and every"
  echo "implementation of that workload does the same N. Each workload runs every"
  echo "implementation in turn for $ROUNDS rounds (the order rotates every round),"
  echo "each run in a fresh directory that must be empty afterwards; the tables"
  echo "give the median of the rounds and the range of the $ROUNDS per-round values."
  echo "The floor is the same system calls made directly on names (DIR/tmp + 12"
  echo "characters) computed before the timer starts."
  [ -n "$PARTIAL" ] && {
    echo
    echo "This run measured only these groups (BENCH_GROUPS): $RUN_GROUPS."
  }
  selected tree && {
  echo
  echo "\`tree\` differs: N ($TREE_N) is fixed and counts the files in each of the"
  echo "100 subdirectories of the tree, every repetition first builds the same"
  echo "tree the same way (untimed: same names, same order, one byte per file),"
  echo "then times only its removal, and the time is divided by the entries"
  echo "removed, $TREE_ENTRIES per tree (100 x $TREE_N files, 100 subdirectories"
  echo "and the top): ns per entry."
  }
  { selected spool-mem || selected spool; } && {
  echo
  echo "\`spool-mem\` and \`spool\` differ too: N ($SPOOL_N) is fixed and counts"
  echo "spools per repetition. Each spool is written 64 MiB in 4 KiB writes (one"
  echo "4 KiB source buffer, its first byte set to the write's index), then read"
  echo "back from the start in 64 KiB reads, checking the first byte of every"
  echo "4 KiB and the whole of one in 16, then ended; the time, creation and end"
  echo "included, is divided by the $SPOOL_OPS writes: ns per 4 KiB written and"
  echo "read back. \`spool-mem\` never reaches its max_size (128 MiB), so it stays"
  echo "in memory (checked); \`spool\` has max_size 1 MiB and rolls over to an"
  echo "unnamed file in the run's directory (checked). Python and Rust run the"
  echo "same pattern with their spooled files; glibc and Go have none."
  }
  selected atomic && {
    echo
    echo "\`atomic\` differs too: N ($ATOMIC_N) is fixed and counts replacements"
    echo "per repetition, made in a directory on a disk ($ATOMIC_BASE, not the tmpfs,"
    echo "where fsync does nothing). One operation is one complete replacement of"
    echo "the same file, DIR/target, with 4 KiB of new contents (a 4 KiB buffer, its"
    echo "first byte set to the operation's index), at the durable level: the new"
    echo "contents and the new name on the disk when the call returns. The target"
    echo "is created once before the warm-up (untimed), so every operation replaces"
    echo "an existing file; after the last repetition its contents are checked and"
    echo "it is removed. The floor is what a careful C programmer writes by hand:"
    echo "open a sibling temporary name (O_CREAT|O_EXCL), write, fsync, close,"
    echo "rename over the target, open the directory, fsync it, close it."
  }
  selected pool && {
    echo
    echo "\`pool\` has no floor and no peer: one operation is one use of a scratch"
    echo "file for 4 KiB in the run's directory, through a pool (tf_pool_acquire,"
    echo "write, tf_pool_release, which truncates the file and seeks to 0 for the"
    echo "next use) and, as \`named-write\`, without one (tf_file_create, write,"
    echo "tf_file_close, which unlinks, tf_file_free). The pool, capacity 1, is"
    echo "made before the warm-up, whose first acquire makes its one file. N is"
    echo "calibrated on \`named-write\`."
  }
  selected first-call && {
    echo
    echo "\`first-call\` times whole processes, not operations inside one: tfspawn"
    echo "spawns a program that makes one file and exits, libtempfile's and one"
    echo "with glibc's mkstemp, $FC_N of each per round, interleaved, for $FC_ROUNDS"
    echo "rounds (BENCH_FIRSTCALL_N, BENCH_FIRSTCALL_ROUNDS); the table gives the median"
    echo "of the rounds' mean times per process, in microseconds."
  }
  echo "Measuring took ${ELAPSED} s."
  echo
  echo "## Goals"
  echo
  echo "| goal | measured | result |"
  echo "| --- | --- | --- |"
  for g in named unnamed tree; do
    selected "$g" && floor_and_peer_goals "$g" "faster than every peer" 1
  done
  # The handles (issue 19): as cheap as the bare calls, and faster than
  # the peers' handles.
  if selected named-handle; then
    floor_goal named-handle 1.2
    peer_goal named-handle "faster than every peer's handle" 1
  fi
  selected named-handle-untracked && floor_goal named-handle-untracked 1.1
  for g in dir-handle-empty dir-handle-3; do
    selected "$g" && peer_goal "$g" "faster than every peer" 1 floor
  done
  # first-call: whole processes, libtempfile's against glibc's mkstemp's.
  if selected first-call; then
    text="\`first-call\` <= 1.05 x glibc's (a process making one file with mkstemp)"
    lib=$(median_of first-call libtempfile) || lib=
    gl=$(median_of first-call mkstemp) || gl=
    if [ -n "$lib" ] && [ -n "$gl" ]; then
      ratio=$(div "$lib" "$gl")
      pr=$(paired_ratio first-call libtempfile mkstemp)
      goal_row "$text" "$ratio x (per-round $pr x); $(printf '%.0f vs %.0f' "$lib" "$gl") us per process" \
        "$(hits 1.05 "$ratio" "$pr" 0)"
    else
      goal_row "$text" "not measured" 0
    fi
  fi
  for gl in tree:1.05:entry spool-mem:1.15:write spool:1.2:write atomic:1.05:replacement; do
    g=${gl%%:*}
    selected "$g" || continue
    lim=${gl#*:}
    unit=${lim#*:}
    lim=${lim%%:*}
    set -- $(paired_line "$g")
    if [ "${1:-}" = "$g-paired" ]; then
      goal_row "\`$g\` <= $lim x \`$g-floor\`, paired in one process" \
        "$3 x (median of $9 alternating pairs; $5 vs $7 ns/$unit)" \
        "$(awk -v r="$3" -v l="$lim" 'BEGIN { print (r <= l) ? 2 : 0 }')"
    else
      goal_row "\`$g\` <= $lim x \`$g-floor\`, paired in one process" "not measured" 0
    fi
  done
  # The spools: at most LIM x the floor, and FAC x faster than both peers,
  # as the fastest peer's time over libtempfile's (FAC 1: strictly faster).
  # Both python and rust must have been measured.
  for gl in spool-mem:1.15:1.25 spool:1.2:1; do
    g=${gl%%:*}
    selected "$g" || continue
    gl=${gl#*:}
    lim=${gl%%:*}
    fac=${gl#*:}
    lib=$(median_of "$g" libtempfile) || lib=
    fl=$(median_of "$g" floor) || fl=
    if [ -n "$lib" ] && [ -n "$fl" ]; then
      ratio=$(div "$lib" "$fl")
      pr=$(paired_ratio "$g" libtempfile floor)
      goal_row "\`$g\` <= $lim x \`$g-floor\`" "$ratio x (per-round $pr x)" \
        "$(hits "$lim" "$ratio" "$pr" 0)"
    else
      goal_row "\`$g\` <= $lim x \`$g-floor\`" "not measured" 0
    fi
    if [ "$fac" = 1 ]; then
      text="\`$g\` faster than both peers (Python, Rust)" strict=1
    else
      text="\`$g\` at least $fac x faster than both peers (Python, Rust): peer / libtempfile >= $fac" strict=0
    fi
    missing=
    for m in python rust; do
      median_of "$g" "$m" >/dev/null || missing="$missing $m"
    done
    fp=$(fastest_peer "$g")
    if [ -n "$lib" ] && [ -n "$fp" ] && [ -z "$missing" ]; then
      set -- $fp
      sp=$(div "$2" "$lib")
      pr=$(paired_ratio "$g" "$1" libtempfile)
      goal_row "$text" "the fastest peer, $1, takes $sp x libtempfile's time (per-round $pr x)" \
        "$(hits_min "$fac" "$sp" "$pr" "$strict")"
    else
      goal_row "$text" "not measured${missing:+ (no$missing)}" 0
    fi
  done
  # atomic: no slower than any peer (the peers that do less, renameio
  # with no directory fsync, included).
  selected atomic && floor_and_peer_goals atomic "no slower than any peer" 0
  # pool: judged on the ratio of the two medians of this run alone; the
  # per-round ratio is shown for information.
  if selected pool; then
    text="\`pool\` at least 2x faster than \`named-write\` (median ratio)"
    lib=$(median_of pool libtempfile) || lib=
    nw=$(median_of pool named-write) || nw=
    if [ -n "$lib" ] && [ -n "$nw" ]; then
      sp=$(div "$nw" "$lib")
      pr=$(paired_ratio pool named-write libtempfile)
      goal_row "$text" "named-write takes $sp x the pool's time (per-round $pr x)" \
        "$(awk -v r="$sp" 'BEGIN { print (r >= 2) ? 2 : 0 }')"
    else
      goal_row "$text" "not measured" 0
    fi
  fi
  # Beyond the issue's goals: the anchored form against the peers' named.
  lib=
  selected named-at && { lib=$(median_of named-at libtempfile) || lib=; }
  fp=$(fastest_peer named-at)
  if [ -n "$lib" ] && [ -n "$fp" ]; then
    set -- $fp
    ratio=$(div "$lib" "$2")
    pr=$(paired_ratio named-at libtempfile "$1")
    goal_row "\`named-at\` (tf_mkstempat) faster than every peer's \`named\`" \
      "$ratio x the fastest peer, $1 (per-round $pr x)" "$(hits 1 "$ratio" "$pr" 1)"
  fi
  echo
  echo "A goal is met when both measures meet it: the ratio of the medians, and"
  echo "the per-round ratio (the median over the rounds of libtempfile's time"
  echo "divided by the other's time in the same round, when the two ran a few"
  echo "seconds apart). Only one of the two means the difference is within the"
  echo "noise of this machine.  The paired rows are one measure each: tfbench"
  echo "W-paired runs libtempfile and the floor alternately in one process (a"
  echo "fresh tree before each for tree; the order swapped every pair) and takes"
  echo "the median of the per-pair ratios, which the drift of this machine's"
  echo "speed from one process to the next (up to 30%) cannot move."
  echo "For the spools' peer goals the ratio is the other way up, the fastest"
  echo "peer's time divided by libtempfile's (per round likewise), and both"
  echo "Python and Rust must have been measured."
  echo
  echo "## Results (ns per operation, lower is better)"
  for g in $RUN_GROUPS; do
    echo
    echo "### $g"
    echo
    [ "$g" = named-at ] && {
      echo "The same life through the form anchored on a directory fd, opened once"
      echo "(tf_mkstempat, unlinkat): the kernel resolves one name instead of the"
      echo "whole path. No peer has such a form, so the peers run their path-based"
      echo "named workload here; the floor is the same anchored system calls."
      echo
    }
    [ "$g" = pool ] && {
      echo "A scratch file used for 4 KiB, through a pool and without one: the pool"
      echo "reuses one unnamed file (no creation, no name, no unlink: acquire makes"
      echo "no system call, release an ftruncate and an lseek), \`named-write\`"
      echo "makes and removes a named file every time. No floor, no peer; the"
      echo "goal is the ratio of the two medians."
      echo
    }
    [ "$g" = named-handle ] && {
      echo "The handle that deletes on close, with the default policy (tracked:"
      echo "registered for cleanup at exit and on signals, with the liveness mark"
      echo "tf_reap() respects), made in the temporary directory, which each"
      echo "implementation is told is DIR the way a program tells it"
      echo "(tf_settempdir(DIR); tempfile.tempdir = DIR; TMPDIR=DIR for Rust's"
      echo "env::temp_dir() and Go's os.TempDir()), against the peers' handles:"
      echo "CPython's NamedTemporaryFile(), Rust's NamedTempFile::new(), and Go's"
      echo "*os.File from os.CreateTemp(\"\"), removed with os.Remove (Go has no"
      echo "handle that deletes). The row \"libtempfile, opts.dir = DIR\" is the same"
      echo "handle given the directory in its options, which the library looks up"
      echo "again (one stat) before it uses the descriptor it keeps for it"
      echo "(informational). The floor is named-floor. Goals: at most 1.2 x the"
      echo "floor, and faster than every peer."
      echo
    }
    [ "$g" = named-handle-untracked ] && {
      echo "The same handle made with TF_UNTRACKED: not registered for cleanup at"
      echo "exit or on signals, no liveness mark. The floor is named-floor; the goal,"
      echo "at most 1.1 x it. The peers' handles are those of \`named-handle\`"
      echo "above (not run again)."
      echo
    }
    [ "$g" = dir-handle-empty ] && {
      echo "A temporary directory's whole life through its handle, made and removed"
      echo "empty, in the temporary directory DIR (as in named-handle):"
      echo "tf_dir_create(NULL), tf_dir_free. The peers do the same with CPython's"
      echo "TemporaryDirectory() and cleanup(), Rust's TempDir::new() and drop, and"
      echo "Go's os.MkdirTemp(\"\", \"tmp*\") and os.RemoveAll. The row \"libtempfile,"
      echo "opts.dir = DIR\" is informational, as in named-handle. The floor is"
      echo "mkdirat and rmdir on names made beforehand. Goal: faster than every peer."
      echo
    }
    [ "$g" = dir-handle-3 ] && {
      echo "The same with three one-byte files, f0 f1 f2, made inside the directory by"
      echo "path between its creation and its end, all timed: the path is the"
      echo "directory's (tf_dir_path()) + \"/f0\", opened O_WRONLY|O_CREAT|O_CLOEXEC"
      echo "(0600), one byte written, closed; the peers make them with their own"
      echo "calls, and their end removes them, as tf_dir_free() does. The floor:"
      echo "mkdirat, the same three files by path, three unlinkat by path and rmdir,"
      echo "on names made beforehand (a removal that knows the names and lists"
      echo "nothing). Goal: faster than every peer."
      echo
    }
    unit=ns/op
    [ "$g" = first-call ] && {
      unit=us/process
      echo "A fresh process that makes one temporary file and exits, against the same"
      echo "process with glibc's mkstemp: what a short-lived program pays for the"
      echo "library, its first call included (libtempfile finds the temporary"
      echo "directory, TMPDIR here, on that call). The two programs"
      echo "(bench/first-call-tf.c, bench/first-call-glibc.c) are built and linked by"
      echo "make the same way: both dynamically linked against libc and given"
      echo "libtempfile.a, from which only libtempfile's takes anything, so neither"
      echo "loads a shared object beyond libc's and the row measures the library's"
      echo "code, not the loading of libtempfile.so. Shared objects (ldd):"
      echo "libtempfile's $(fc_libs "$FC_TF"); glibc's $(fc_libs "$FC_GLIBC")."
      echo "tfspawn spawns them (posix_spawn, then waitpid: a process is timed from"
      echo "the spawn to the end of the wait), each with TMPDIR=DIR and the argument"
      echo "DIR, $FC_N of each per round, interleaved in pairs whose order alternates"
      echo "(and starts the other way every other round), after 10 of each untimed;"
      echo "$FC_ROUNDS rounds. A round's value is the mean time of one process of that"
      echo "program in the round; N is processes per round."
      echo
    }
    [ "$g" = tree ] && {
      unit=ns/entry
      echo "Removal of a directory holding 100 subdirectories of N one-byte files,"
      echo "$TREE_ENTRIES entries, timed per entry removed (the building is untimed)."
      echo "The floor opens each directory once, to anchor the unlinkat() of its"
      echo "entries, and makes one unlinkat() per file and one unlinkat(AT_REMOVEDIR)"
      echo "per directory on names known in advance: no listing, no stat. The"
      echo "tf_dir handle row is informational (no goal). rm -rf is a new process"
      echo "per tree: its time includes the fork and exec of rm (spread over"
      echo "$TREE_ENTRIES entries). Python, Rust and Go remove a directory made by"
      echo "their own TemporaryDirectory, TempDir, MkdirTemp, filled with the same"
      echo "tree; N is files per subdirectory."
      echo
    }
    case $g in spool-mem | spool) unit="ns/4 KiB" ;; esac
    [ "$g" = atomic ] && {
      unit=ns/replacement
      echo "One durable replacement of a 4 KiB file that exists, in a directory on"
      echo "a disk ($ATOMIC_BASE, $(fs_of "$ATOMIC_BASE")): each costs two waits for the disk in"
      echo "the floor (the file's fsync and the directory's), which is most of the"
      echo "time. libtempfile is tf_write_file() with TF_SYNC_DURABLE. GLib's"
      echo "g_file_set_contents_full() is measured twice: with CONSISTENT|DURABLE,"
      echo "and with CONSISTENT only, which in this GLib still fsyncs the directory"
      echo "after the rename (see the system calls below), so the two do the same."
      echo "Go's renameio.WriteFile() fsyncs the file but, by design, never the"
      echo "directory: it does less than the others (atomic, not durable), and"
      echo "called without WithTempDir it first probes, on every call, whether"
      echo "os.TempDir() (${TMPDIR:-/tmp}) is on the target's file system, by creating"
      echo "a test file there and one in DIR and renaming one onto the other; when"
      echo "it is, the temporary file is made there and renamed into DIR."
      echo "Python's atomicwrites.atomic_write(overwrite=True) (mode \"wb\") makes"
      echo "the temporary file with tempfile.mkstemp, reopens it by name, writes,"
      echo "fsyncs, renames and fsyncs the directory; the file it leaves has mkstemp's"
      echo "mode 0600, not the target's."
      echo
    }
    [ "$g" = spool-mem ] && {
      echo "A spool that stays in memory: 64 MiB written in 4 KiB writes and read"
      echo "back, timed per 4 KiB write, creation and end included. The three"
      echo "baselines are not spools; each does the same copies in and out. The"
      echo "floor (\`spool-mem-floor\`) copies into 64 MiB of fresh memory mapped"
      echo "for each spool at its final size, 2 MiB aligned with huge pages advised"
      echo "(MADV_HUGEPAGE), unmapped after: the copies and the faulting and zeroing"
      echo "of fresh memory, with no growth at all, which a spool, not knowing its"
      echo "final size, cannot have. \`malloc\` does the same into malloc(64 MiB),"
      echo "freed after (fresh memory without the huge-page advice). \`hot\` copies"
      echo "into one buffer touched before the timer starts and reused for every"
      echo "spool: the copies alone, no fault, no zeroing, which no spool that gives"
      echo "its memory back when it ends can reach. The goal is against the floor;"
      echo "the ratios to the other two, and to each peer, are given below the table."
      echo
    }
    [ "$g" = spool ] && {
      echo "A spool that rolls over: max_size 1 MiB, so after its first 1 MiB it"
      echo "moves to an unnamed file in the run's directory and the rest of the"
      echo "64 MiB goes to the file; timed per 4 KiB write, creation and end"
      echo "included. The floor is the same data with no spool at all: openat(DIR,"
      echo "O_TMPFILE), fdopen with a 64 KiB stdio buffer (the size of the spool's"
      echo "own), 16384 fwrite of 4 KiB, fseek to 0, 1024 fread of 64 KiB, fclose:"
      echo "the file from the first byte (no memory phase, no copy at the rollover),"
      echo "one write(2) per 64 KiB as the spool's pwrite(2) (see the system calls"
      echo "below). With stdio's default buffer (st_blksize, 4 KiB on tmpfs) it"
      echo "would make one system call per fwrite and be slower. Python rolls over to a"
      echo "TemporaryFile in DIR (buffered io). Rust's tempfile 3.3 has no"
      echo "directory argument for its spooled file: its rollover calls"
      echo "tempfile::tempfile(), which creates in std::env::temp_dir(), so the"
      echo "peer sets TMPDIR to DIR; its file writes are unbuffered (a write"
      echo "system call per 4 KiB)."
      echo
    }
    fl=$(median_of "$g" floor) || fl=0
    fp=$(fastest_peer "$g")
    fpv=0
    [ -n "$fp" ] && fpv=${fp#* }
    echo "| implementation | one operation | median $unit | rounds min-max | x floor | x fastest peer | N |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for m in $(members "$g"); do
      v=$(median_of "$g" "$m") || continue
      # (a | in a cell would end it: escaped)
      printf '| %s | %s | %.0f | %s | %s | %s | %s |\n' "$(impl_name "$m" "$g")" "$(what_of "$g" "$m" | sed 's/|/\\|/g')" \
        "$v" "$(range_of "$g" "$m")" "$(div "$v" "$fl")" "$(div "$v" "$fpv")" "$(n_of "$g" "$m")"
    done
    # The spools: libtempfile against each baseline, and each peer's time
    # over libtempfile's (the way up of the peer goals); the pool against
    # named-write; first-call's difference.
    case $g in
    first-call)
      if lib=$(median_of first-call libtempfile) && gl=$(median_of first-call mkstemp); then
        echo
        echo "- libtempfile - glibc: $(awk -v a="$lib" -v b="$gl" 'BEGIN { printf "%+.0f", a - b }') us per process (the medians; per-round ratio $(paired_ratio first-call libtempfile mkstemp) x)"
      fi
      ;;
    pool)
      if lib=$(median_of pool libtempfile) && nw=$(median_of pool named-write); then
        echo
        echo "- named-write / pool: $(div "$nw" "$lib") x (per-round $(paired_ratio pool named-write libtempfile) x): the pool is that many times as fast"
      fi
      ;;
    spool-mem | spool)
      if lib=$(median_of "$g" libtempfile); then
        echo
        for m in $(members "$g"); do
          v=$(median_of "$g" "$m") || continue
          case $m in
          libtempfile) ;;
          floor) echo "- libtempfile / the floor: $(div "$lib" "$v") x (per-round $(paired_ratio "$g" libtempfile floor) x)" ;;
          hot) echo "- libtempfile / the hot buffer (the copies alone): $(div "$lib" "$v") x (per-round $(paired_ratio "$g" libtempfile hot) x)" ;;
          malloc) echo "- libtempfile / malloc(64 MiB): $(div "$lib" "$v") x (per-round $(paired_ratio "$g" libtempfile malloc) x)" ;;
          *) echo "- $m / libtempfile: $(div "$v" "$lib") x (per-round $(paired_ratio "$g" "$m" libtempfile) x): libtempfile is that many times as fast" ;;
          esac
        done
      fi
      ;;
    esac
  done
  echo
  echo "## System calls per operation"
  echo
  echo "Counted with \`strace -f -c\` on two runs of every program with"
  echo "TFBENCH_REPS=1 (a warm-up and one timed repetition, so 2N operations) and"
  echo "N = $N1 and $N2; the difference divided by 2 x ($N2 - $N1) operations is"
  echo "what one operation costs, with start-up and warm-up cancelled out. Only"
  echo "non-zero values are listed. The benchmark loop's own close/unlink/rmdir are"
  echo "included (\`unlink(3)\` and \`rmdir(3)\` are the unlink and rmdir system"
  echo "calls on this architecture). Fractions in the Go column come from its"
  echo "runtime's background threads (-f follows them)."
  { selected dir-handle-empty || selected dir-handle-3; } && {
  echo
  echo "\`dir-handle-empty\` and \`dir-handle-3\` are counted the same way from"
  echo "runs with N = $D1 and $D2 directories."
  }
  selected tree && {
  echo
  echo "\`tree\` is counted per entry: runs with N = $T1 and $T2 files per"
  echo "subdirectory, so the difference is 2 x 100 x ($T2 - $T1) files and the"
  echo "calls made once per directory (the same 101 in both runs) cancel out;"
  echo "they are counted per tree below. The untimed building is included in"
  echo "every column: the C programs make each file with openat, write and"
  echo "close (the floor's and libtempfile's building is the same code), the"
  echo "others with their language's calls. The rows for unlinkat, getdents64,"
  echo "openat and the stat family are always shown."
  }
  { selected spool-mem || selected spool; } && {
  echo
  echo "\`spool-mem\` and \`spool\` are counted per 4 KiB write: runs with N = $S1"
  echo "and $S2 spools, so the difference is 2 x ($S2 - $S1) x $SPOOL_OPS writes; each"
  echo "cell gives the count per 4 KiB write and, in parentheses, per spool"
  echo "(one call per spool is 0.0001 per write). Every call that differs by"
  echo "one or more between the two runs is listed."
  }
  selected first-call && {
  echo
  echo "\`first-call\` is counted per process: all the calls of one process of"
  echo "each program (strace -c of one run), start-up and exit included."
  }
  selected atomic && {
  echo
  echo "\`atomic\` is counted per replacement: runs with N = $A1 and $A2"
  echo "replacements, so the difference is 2 x ($A2 - $A1) replacements; the"
  echo "creation of the target and its check and removal cancel out. A summary"
  echo "per implementation follows the table."
  }
  if [ -s "$B/strace-perop.txt" ] || [ -s "$B/strace-firstcall.txt" ]; then
    for g in $RUN_GROUPS; do
      if [ "$g" = first-call ]; then
        echo
        echo "### first-call"
        echo
        echo "| system call | libtempfile | glibc mkstemp | difference |"
        echo "| --- | ---: | ---: | ---: |"
        awk '{ c[$1 " " $2] = $3; s[$2] = 1 }
          END { for (x in s) { a = c["libtempfile " x] + 0; b = c["mkstemp " x] + 0
                  printf "| %s | %d | %d | %+d |\n", x, a, b, a - b } }' \
          "$B/strace-firstcall.txt" | sort
        awk '{ t[$1] += $3 } END { printf "| all | %d | %d | %+d |\n", t["libtempfile"],
          t["mkstemp"], t["libtempfile"] - t["mkstemp"] }' "$B/strace-firstcall.txt"
        continue
      fi
      cols=$(members "$g")
      always=
      [ "$g" = tree ] && always="unlinkat getdents64 openat newfstatat statx fstat"
      echo
      echo "### $g"
      echo
      printf '| system call |'
      for m in $cols; do printf ' %s |' "$m"; done
      echo
      printf '| --- |'
      for m in $cols; do printf ' ---: |'; done
      echo
      for sc in $( (awk -v g="$g" '$1 == g { print $3 }' "$B/strace-perop.txt"
        for a in $always; do echo "$a"; done) | sort -u); do
        printf '| %s |' "$sc"
        for m in $cols; do
          v=$(awk -v g="$g" -v m="$m" -v s="$sc" -v so=$SPOOL_OPS '
            $1 == g && $2 == m && $3 == s {
              if (g != "spool-mem" && g != "spool") { print $4; exit }
              ps = $4 * so
              ps = (ps < 0 ? -int(-ps * 100 + 0.5) : int(ps * 100 + 0.5)) / 100
              printf "%.4f (%g)\n", $4, ps; exit }' "$B/strace-perop.txt")
          printf ' %s |' "${v:-0}"
        done
        echo
      done
      [ "$g" = atomic ] || continue
      echo
      echo "Per replacement, all system calls (fractions of futex and the like are"
      echo "runtime threads, and the interpreter's own work):"
      echo
      echo "| implementation | system calls per replacement | of which fsync | breakdown |"
      echo "| --- | ---: | ---: | --- |"
      for m in $cols; do
        awk -v g="$g" -v m="$m" -v name="$(impl_name "$m" "$g")" '
          $1 == g && $2 == m { n[$3] = $4; tot += $4; c++ }
          END {
            if (!c) exit
            k = 0
            for (s in n) names[++k] = s
            for (i = 2; i <= k; i++)  # insertion sort by name
              for (j = i; j > 1 && names[j - 1] > names[j]; j--) {
                t = names[j]; names[j] = names[j - 1]; names[j - 1] = t }
            b = ""
            for (i = 1; i <= k; i++)
              b = b (i > 1 ? ", " : "") names[i] " " (n[names[i]] + 0)
            printf "| %s | %.2f | %g | %s |\n", name, tot, n["fsync"] + n["fdatasync"], b
          }' "$B/strace-perop.txt"
      done
      echo
      # The issue's goal: fewer system calls than every peer.
      awk -v g="$g" '$1 == g { t[$2] += $4 }
        END {
          if (!("libtempfile" in t)) exit
          best = ""
          for (m in t)
            if (m != "libtempfile" && m != "floor" && (best == "" || t[m] < t[best]))
              best = m
          if (best == "") exit
          printf "Goal: fewer system calls than every peer: libtempfile %.2f, the fewest of a peer %.2f (%s): %s.\n",
            t["libtempfile"], t[best], best, t["libtempfile"] < t[best] ? "met" : "**missed**"
        }' "$B/strace-perop.txt"
      echo
      echo "Where libtempfile's calls go beyond the floor's 8: the stat of the"
      echo "target (its mode, its owner, and whether it is a symlink to follow or"
      echo "a directory to refuse), fchown and fchmod (the old file's owner and mode"
      echo "on the new one: the umask makes the mode impossible to predict at"
      echo "creation), linkat (the O_TMPFILE file gets its name only at commit,"
      echo "so a process killed mid-write leaves no name) and flock (the hidden"
      echo "name is locked until the rename, so tf_reap never takes a live one)."
      echo "GLib's 9 keep none of these: it"
      echo "applies the caller's mode, drops the owner and replaces a symlink."
      echo "The steps those semantics need (open the directory, stat the target,"
      echo "open O_TMPFILE, fchmod, write, fsync, flock, linkat, renameat, close,"
      echo "fsync and close the directory) are 12 calls; fchown, to keep the"
      echo "owner, is the 13th."
    done
    selected named && {
    echo
    echo "### Check: one \`named\` life"
    echo
    awk '$1 == "named" && $2 == "libtempfile" { v[$3] = $4 }
      END {
        o = v["openat"] + 0; c = v["close"] + 0; u = v["unlink"] + v["unlinkat"]; r = v["getrandom"] + 0
        other = ""
        for (s in v)
          if (s != "openat" && s != "close" && s != "unlink" && s != "unlinkat" && s != "getrandom")
            other = other " " s " " v[s]
        one = "exactly one each (met)"
        if (o != 1 || c != 1 || u != 1) one = "**not one each**"
        rnd = "at most one per 16 names (met)"
        if (r > 1 / 16) rnd = "**more than one per 16 names**"
        per = "-"
        if (r > 0) per = sprintf("%.1f", 1 / r)
        if (other == "") other = " none"
        printf "- openat %.3f, close %.3f, unlink(at) %.3f per name: %s\n", o, c, u, one
        printf "- getrandom %.3f per name (one call per %s names): %s\n", r, per, rnd
        printf "- other system calls per name:%s\n", other
      }' "$B/strace-perop.txt"
    }
    if grep -q '^tree libtempfile ' "$B/strace-perop.txt" 2>/dev/null; then
      echo
      echo "### Check: the tree walk"
      echo
      awk '$1 == "tree" && ($2 == "libtempfile" || $2 == "floor") { v[$2 " " $3] = $4 }
        END {
          split("newfstatat fstat statx lstat stat fstatat64", st, " ")
          for (i in st) { ls += v["libtempfile " st[i]]; fs += v["floor " st[i]] }
          printf "- stat family (newfstatat, fstat, statx, lstat, stat) per entry: libtempfile %.3f, floor %.3f: %s\n",
            ls, fs, ls < 0.0005 ? "no per-entry stat (met)" : "**the walk stats entries**"
          printf "- unlinkat per entry: libtempfile %.3f, floor %.3f\n",
            v["libtempfile unlinkat"], v["floor unlinkat"]
          printf "- getdents64 per entry: libtempfile %.3f (one call lists a whole 32 KiB buffer of names)\n",
            v["libtempfile getdents64"]
          printf "- openat per entry: libtempfile %.3f, floor %.3f (the building opens each file once)\n",
            v["libtempfile openat"], v["floor openat"]
        }' "$B/strace-perop.txt"
      if [ -s "$B/strace-pertree.txt" ]; then
        echo
        echo "Per tree (101 directories), the calls beyond the floor's, from the"
        echo "N = $T1 runs (same program, same building, two trees each). The"
        echo "handle's also include tf_dir_create and tf_dir_free (untimed)."
        echo
        echo "| system call | libtempfile per tree | per directory | tf_dir handle per tree |"
        echo "| --- | ---: | ---: | ---: |"
        awk '{ c[$1 " " $2] = $3; s[$2] = 1 }
          END { for (x in s) printf "| %s | %g | %.2f | %g |\n", x, c["libtempfile " x] + 0,
                  (c["libtempfile " x] + 0) / 101, c["handle " x] + 0 }' \
          "$B/strace-pertree.txt" | sort
      fi
    fi
  else
    echo
    echo "Not available (strace missing or failed)."
  fi
  if [ -n "$CLI_GROUPS" ] && [ -s "$B/cli.md" ]; then
    echo
    cat "$B/cli.md"
    read -r cli_missed cli_unclear <"$B/cli-goals.txt"
    GOALS_MISSED=$((GOALS_MISSED + cli_missed))
    GOALS_UNCLEAR=$((GOALS_UNCLEAR + cli_unclear))
  fi
  if [ -n "$STREAM_GROUPS" ] && [ -s "$B/streams.md" ]; then
    echo
    cat "$B/streams.md"
    read -r st_missed st_unclear <"$B/streams-goals.txt"
    GOALS_MISSED=$((GOALS_MISSED + st_missed))
    GOALS_UNCLEAR=$((GOALS_UNCLEAR + st_unclear))
  fi
  if [ -s "$B/notes.txt" ]; then
    echo
    echo "## Problems during this run"
    echo
    sed 's/^/- /' "$B/notes.txt"
  fi
} >"$B/BENCHMARKS.md.tmp" || die "cannot write the report"
# No absolute path of this machine in the report.
sed -e "s|$ROOT/||g" "$B/BENCHMARKS.md.tmp" >"$OUT" || die "cannot write $OUT"
rm -f "$B/BENCHMARKS.md.tmp"
say "wrote ${OUT#"$ROOT/"} ($GOALS_MISSED goal(s) missed, $GOALS_UNCLEAR unclear)"
# The chart beside the report (BENCHMARKS.svg), from its tables.  If it
# cannot be drawn, the report loses its chart header and an older chart
# is removed (it would show other numbers); the benchmark's own exit
# status is unchanged.
CHART=${OUT%.md}.svg
if ! sh "$HERE/chart.sh" "$OUT" "$CHART"; then
  sed '/^<!-- chart -->$/,/^<!-- \/chart -->$/d' "$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  rm -f "$CHART"
  say "no chart: ${OUT#"$ROOT/"} written without it"
fi
if [ "${BENCH_STRICT:-0}" = 1 ] && [ $((GOALS_MISSED + GOALS_UNCLEAR)) -gt 0 ]; then
  exit 1
fi
exit 0

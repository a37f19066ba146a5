#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/streams.sh TFSTREAM - stdio on a spool's stream (tf_spool_stream)
# against the same stdio calls on a plain file (the floor), glibc's
# memory streams and the peers' spooled files (CPython, Rust's tempfile),
# and stdio on a tf_file's and a replacement's streams (tf_file_stream,
# tf_atomic_stream) against fdopen on the same fd: the group spool-stream
# of bench/run.sh (issue 18).
#
# Ten workloads, spool-stream-PATTERN-MODE: PATTERN read (fread of 1 MiB
# blocks), lines (fgets), write (fwrite of 80-byte records), putc (fputc
# of every byte), printf (fprintf of every record), over 8,000,000 bytes
# (100,000 records of 80 bytes); MODE mem (a spool that never rolls over)
# or rolled (max_size 1 MiB: it rolls over to an unnamed file).  See
# bench/tfstream.c.  Each workload runs every implementation
# (libtempfile, its floor, glibc's memory stream for mem, CPython for
# read, lines and write, Rust) for BENCH_STREAM_ROUNDS rounds, the order
# rotating, each run a process of its own in a fresh directory under
# BENCH_STREAM_DIR that must be empty afterwards; then tfstream
# WORKLOAD-paired, libtempfile and its floor alternately in one process.
#
# Eight more workloads, libtempfile and its floor only (no peers), for
# BENCH_STREAM_FD_ROUNDS rounds and then paired the same way:
# file-stream-PATTERN (the five patterns on tf_file_stream() of a
# tf_file_create()d file in the run's directory; the floor is
# fdopen(dup(tf_file_fd()), "r+") of such a file) and
# atomic-stream-{write,putc,printf} (tf_atomic_stream() of a
# tf_atomic_begin(DIR/target) that is aborted after each pass; the floor
# is fdopen(dup(tf_atomic_fd()), "w")).  read and lines fill the file
# before the warm-up, the writes time the creation of the file and its
# stream, the writes and the fflush, not the check or the end.
#
# Writes build/bench/streams.md (a section of BENCHMARKS.md, with its
# goals), build/bench/streams-results.txt (raw) and
# build/bench/streams-goals.txt ("MISSED UNCLEAR").  bench/run.sh calls
# it for the group spool-stream, with the peers it built; it also runs
# alone (sh bench/streams.sh build/cc/bench/tfstream), using
# /usr/bin/python3 and the Rust peer run.sh built in build/bench/rust/
# if there is one.  POSIX sh.
#
# Environment: BENCH_STREAM_ROUNDS (7), BENCH_STREAM_FD_ROUNDS (the
# rounds of the file-stream and atomic-stream workloads; by default
# BENCH_STREAM_ROUNDS),
# BENCH_STREAM_PAIRS (11, for every workload),
# BENCH_STREAM_N (1: passes over the 8 MB per repetition),
# BENCH_STREAM_DIR (/tmp: a disk-backed file system, as a user's TMPDIR
# usually is, so the rolled-over spools and the floors' files live in
# the page cache of a real disk, not in a tmpfs), TFBENCH_REPS (11:
# repetitions per run), BENCH_STREAM_PEERS (the peers to run, from
# "python rust"; by default those that are found).
set -u

prog=bench/streams.sh
USAGE="sh bench/streams.sh TFSTREAM (e.g. build/cc/bench/tfstream)"
. "$(dirname -- "$0")/common.sh"
TFSTREAM=$BIN

num() { # NAME VALUE MIN MAX: VALUE, a whole number from MIN to MAX
  case $2 in
  '' | *[!0-9]*) die "$1 must be a number from $3 to $4" ;;
  esac
  [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || die "$1 must be a number from $3 to $4"
  echo "$2"
}
ROUNDS=$(num BENCH_STREAM_ROUNDS "${BENCH_STREAM_ROUNDS:-7}" 1 101) || exit 1
FD_ROUNDS=$(num BENCH_STREAM_FD_ROUNDS "${BENCH_STREAM_FD_ROUNDS:-$ROUNDS}" 1 101) || exit 1
PAIRS=$(num BENCH_STREAM_PAIRS "${BENCH_STREAM_PAIRS:-11}" 1 101) || exit 1
N=$(num BENCH_STREAM_N "${BENCH_STREAM_N:-1}" 1 1000) || exit 1
REPS=$(num TFBENCH_REPS "${TFBENCH_REPS:-11}" 1 101) || exit 1
TFBENCH_REPS=$REPS
export TFBENCH_REPS
DIR=${BENCH_STREAM_DIR:-/tmp}
[ -d "$DIR" ] && [ -w "$DIR" ] || die "BENCH_STREAM_DIR=$DIR: not a writable directory"
PY=/usr/bin/python3
RUST=$B/rust/target/release/rust-peer
LIMIT=1.25 # libtempfile's time at most LIMIT x its floor's, paired

RES=$B/streams-results.txt
ERR=$B/logs/streams-errors.log
: >"$RES"
: >"$ERR"
: >"$B/streams-notes.txt"
note() {
  say "$*"
  echo "$*" >>"$B/streams-notes.txt"
}

if [ -n "${BENCH_STREAM_PEERS+set}" ]; then
  PEERS=$BENCH_STREAM_PEERS
else
  PEERS=
  if [ -x "$PY" ] && "$PY" -c 'import tempfile' >/dev/null 2>&1; then
    PEERS=python
  else
    note "python peer: $PY not usable"
  fi
  if [ -x "$RUST" ]; then
    PEERS="$PEERS rust"
  else
    note "rust peer: not built (bench/run.sh builds it in build/bench/rust/)"
  fi
fi
has_peer() { case " $PEERS " in *" $1 "*) return 0 ;; esac; return 1; }

PATTERNS="read lines write putc printf"
WORKLOADS=
for p in $PATTERNS; do
  WORKLOADS="$WORKLOADS spool-stream-$p-mem spool-stream-$p-rolled"
done
# tf_file's and tf_atomic's streams against fdopen on the same fd
FD_WORKLOADS=
for p in $PATTERNS; do
  FD_WORKLOADS="$FD_WORKLOADS file-stream-$p"
done
for p in write putc printf; do
  FD_WORKLOADS="$FD_WORKLOADS atomic-stream-$p"
done

# members WORKLOAD -> the implementations it is measured with
members() {
  m_list="libtempfile floor"
  case $1 in file-stream-* | atomic-stream-*)
    echo $m_list
    return
    ;;
  esac
  case $1 in *-mem) m_list="$m_list memstream" ;; esac
  case $1 in
  *-read-* | *-lines-* | *-write-*) has_peer python && m_list="$m_list python" ;;
  esac
  has_peer rust && m_list="$m_list rust"
  echo $m_list
}


invoke() { # IMPL WORKLOAD DIR
  case $1 in
  libtempfile) "$TFSTREAM" "$2" "$N" "$3" ;;
  floor) "$TFSTREAM" "$2-floor" "$N" "$3" ;;
  memstream) "$TFSTREAM" "$2-memstream" "$N" "$3" ;;
  python) "$PY" "$HERE/peers/python.py" "$2" "$N" "$3" ;;
  rust) "$RUST" "$2" "$N" "$3" ;;
  esac
}

label_of() { # IMPL WORKLOAD -> what the program prints before NS
  case $1 in
  libtempfile) echo "$2 libtempfile" ;;
  floor | memstream) echo "$2-$1 libtempfile" ;;
  *) echo "$2 $1" ;;
  esac
}

fresh_dir() {
  mktemp -d "$DIR/tfstream.XXXXXX" || die "mktemp in $DIR failed"
}

empty_after() { # DIR WHAT: DIR must be empty; it is removed
  if ! rmdir "$1" 2>/dev/null; then
    note "$2 left files behind in its directory"
    rm -rf "$1"
  fi
}

# measure IMPL WORKLOAD ROUND ROUNDS: one run; appends "WORKLOAD IMPL ROUND NS".
measure() {
  d=$(fresh_dir) || exit 1
  out=$(invoke "$1" "$2" "$d" 2>>"$ERR")
  rc=$?
  empty_after "$d" "$1 $2"
  if [ $rc -ne 0 ]; then
    note "$2 $1 failed (exit $rc, see build/bench/logs/streams-errors.log)"
    return 1
  fi
  ns=$(echo "$out" | awk -v want="$(label_of "$1" "$2")" '
    NR == 1 && NF == 4 && $1 " " $2 == want && $3 ~ /^[0-9]+(\.[0-9]+)?$/ &&
      $4 == "ns/op" { ns = $3; ok = 1; next }
    { ok = 0 }
    END { if (!ok) exit 1; print ns }') || {
    note "$2 $1: unexpected output: $out"
    return 1
  }
  echo "$2 $1 $3 $ns" >>"$RES"
  say "$2 round $3/$4: $1 $ns ns/op"
}

START=$(date +%s)
say "spool-stream: ${ROUNDS} rounds of $(echo $WORKLOADS | wc -w) workloads and $FD_ROUNDS of $(echo $FD_WORKLOADS | wc -w) in $DIR, then $PAIRS pairs each"
rounds_of() { # WORKLOAD -> its number of rounds
  case $1 in
  spool-stream-*) echo "$ROUNDS" ;;
  *) echo "$FD_ROUNDS" ;;
  esac
}
for w in $WORKLOADS $FD_WORKLOADS; do
  w_rounds=$(rounds_of "$w")
  r=1
  while [ $r -le "$w_rounds" ]; do
    for m in $(rotate $r $(members "$w")); do
      measure "$m" "$w" $r "$w_rounds"
    done
    r=$((r + 1))
  done
done
for w in $WORKLOADS $FD_WORKLOADS; do
  say "$w-paired: $PAIRS alternating pairs of libtempfile and the floor"
  d=$(fresh_dir) || exit 1
  line=$(TFBENCH_REPS=$PAIRS "$TFSTREAM" "$w-paired" "$N" "$d" 2>>"$ERR") || {
    note "$w-paired failed (see build/bench/logs/streams-errors.log)"
    line=
  }
  empty_after "$d" "$w-paired"
  case $line in
  "$w-paired ratio "*) echo "$line" >>"$RES" ;;
  *) [ -z "$line" ] || note "$w-paired: unexpected output: $line" ;;
  esac
done
ELAPSED=$(($(date +%s) - START))

# ---------------------------------------------------------------- report

text() { printf '%s\n' "$1"; } # (echo may expand backslashes)
col() { awk -v w="$1" -v m="$2" '$1 == w && $2 == m { print $4 }' "$RES"; }
med() { col "$1" "$2" | median; }
mbs() { awk -v n="$1" 'BEGIN { if (n > 0) printf "%.0f", 80000 / n; else print "-" }'; }
# ns/op as printed: two decimals below 10, one above
ns1() { awk -v n="$1" 'BEGIN { f = n < 10 ? "%.2f" : "%.1f"; if (n == "") print "-"; else printf f, n }'; }
range() {
  col "$1" "$2" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
    END { f = hi < 10 ? "%.2f" : "%.1f"; if (NR) printf f "-" f, lo, hi; else print "-" }'
}
paired() { # WORKLOAD -> "R L F P" or nothing
  awk -v w="$1-paired" '$1 == w && $2 == "ratio" { l = $3 " " $5 " " $7 " " $9 } END { if (l != "") print l }' "$RES"
}

impl_name() { # IMPL WORKLOAD
  case $1:$2 in
  libtempfile:*) echo "**libtempfile**" ;;
  floor:file-stream-*) echo "floor: the same stdio calls on fdopen(dup(tf_file_fd)) of a tf_file (default buffer)" ;;
  floor:atomic-stream-*) echo "floor: the same stdio calls on fdopen(dup(tf_atomic_fd)) of a tf_atomic (default buffer)" ;;
  floor:*) echo "floor: the same stdio calls on an unnamed file (default buffer)" ;;
  esac
  case $1 in
  memstream)
    case $2 in
    *-read-* | *-lines-*) echo "baseline: glibc fmemopen over the data" ;;
    *) echo "baseline: glibc open_memstream" ;;
    esac
    ;;
  python) echo "CPython $("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null)" ;;
  rust) echo "Rust tempfile $(awk '/^name = "tempfile"/ { f = 1; next } f && /^version/ { gsub(/"/, "", $3); print $3; exit }' "$B/rust/Cargo.lock" 2>/dev/null)" ;;
  esac
}

what_of() { # IMPL PATTERN [KIND] -> the calls of one pass; KIND spool
  # (the default), file or atomic
  case ${3:-spool}:$1:$2 in
  file:libtempfile:read) text 'tf_file_stream, rewind, fread of 1 MiB until EOF' ;;
  file:libtempfile:lines) text 'tf_file_stream, rewind, fgets (256-byte buffer) until EOF' ;;
  file:libtempfile:write) text 'tf_file_create(dir DIR), tf_file_stream, fwrite of each 80-byte record, fflush' ;;
  file:libtempfile:putc) text 'tf_file_create(dir DIR), tf_file_stream, fputc of each byte, fflush' ;;
  file:libtempfile:printf) text 'tf_file_create(dir DIR), tf_file_stream, fprintf("%08ld %s\n") of each record, fflush' ;;
  file:floor:read | file:floor:lines) text 'the same on fdopen(dup(tf_file_fd), "r+") of a tf_file made and filled before' ;;
  file:floor:*) text 'tf_file_create(dir DIR), fdopen(dup(tf_file_fd), "r+"), then the same' ;;
  atomic:libtempfile:write) text 'tf_atomic_begin(DIR/target), tf_atomic_stream, fwrite of each 80-byte record, fflush' ;;
  atomic:libtempfile:putc) text 'tf_atomic_begin(DIR/target), tf_atomic_stream, fputc of each byte, fflush' ;;
  atomic:libtempfile:printf) text 'tf_atomic_begin(DIR/target), tf_atomic_stream, fprintf("%08ld %s\n") of each record, fflush' ;;
  atomic:floor:*) text 'tf_atomic_begin(DIR/target), fdopen(dup(tf_atomic_fd), "w"), then the same' ;;
  spool:libtempfile:read) text 'tf_spool_stream, rewind, fread of 1 MiB until EOF' ;;
  spool:libtempfile:lines) text 'tf_spool_stream, rewind, fgets (256-byte buffer) until EOF' ;;
  spool:libtempfile:write) text 'tf_spool_create, tf_spool_stream, fwrite of each 80-byte record, fflush' ;;
  spool:libtempfile:putc) text 'tf_spool_create, tf_spool_stream, fputc of each byte, fflush' ;;
  spool:libtempfile:printf) text 'tf_spool_create, tf_spool_stream, fprintf("%08ld %s\n") of each record, fflush' ;;
  spool:floor:read | spool:floor:lines) text "the same on fdopen(openat(DIR, O_TMPFILE)), filled before" ;;
  spool:floor:*) text "openat(DIR, O_TMPFILE), fdopen, then the same" ;;
  spool:memstream:read | spool:memstream:lines) text "the same on fmemopen(data, 8000000, \"r\")" ;;
  spool:memstream:*) text "open_memstream, then the same" ;;
  spool:python:read) text 'seek(0), read(1 MiB) until empty' ;;
  spool:python:lines) text 'seek(0), for line in f (counted)' ;;
  spool:python:write) text 'SpooledTemporaryFile(mode="w+b", dir=DIR), write(record) for each, flush()' ;;
  spool:python:*) text "CPython's files have no putc or printf: not run" ;;
  spool:rust:read) text 'seek to 0, BufReader, read into 1 MiB until 0' ;;
  spool:rust:lines) text "seek to 0, BufReader, read_until(b'\\n') into a reused Vec" ;;
  spool:rust:write) text 'spooled_tempfile, BufWriter, write_all of each record, flush' ;;
  spool:rust:putc) text 'spooled_tempfile, BufWriter, write_all of each byte, flush' ;;
  spool:rust:printf) text 'spooled_tempfile, BufWriter, write!("{:08} {}\n") of each record, flush' ;;
  esac
}

MISSED=0 UNCLEAR=0
row() { # TEXT MEASURED HITS(2 met, 1 unclear, 0 missed) [HOW MUCH]
  case $3 in
  2) r=met ;;
  1) r="**unclear**: only one of the two measures meets it (within the noise)"; UNCLEAR=$((UNCLEAR + 1)) ;;
  *) r="**missed**${4:+: $4}"; MISSED=$((MISSED + 1)) ;;
  esac
  text "| $1 | $2 | $r |"
}

# The sentence the report gives after the goals when one is missed: why.
WHY_MISSED="Why: glibc runs every read of a stream made by fopencookie() (its own
fmemopen() streams too) through the stream's buffer, however large the
fread(), so each byte is copied twice, into the buffer and out of it,
where an fread() of 1 MiB on a file stream is one read(2) straight into
the caller's memory. At 8 MB the data can stay in the CPU's last-level
cache, where the floor's one copy runs at tens of GB/s: the second copy
costs nearly as much again, and rolled over every refill of the buffer
is one more pread(2). In memory the spool's own copy out of its chunks
takes the place of the kernel's, which is why read-mem comes out even.
CPython's read(1 MiB) is one copy into a bytes object it reuses. The
spool's stream buffer was sized against this (64 KiB: 2.3 x the floor,
128 KiB: 1.8 x, 256 KiB: 1.6 x, paired, rolled over); no size removes
the second copy. tf_file_stream() misses for the same reason with its
64 KiB buffer (a larger one would be a mmap(2) per stream under glibc's
malloc, for what are mostly small files). What avoids it: tf_spool_read()
copies once, and so does read(2) on tf_file_fd(); musl's fread() reads
large requests straight into the caller's buffer."

summary() { # WORKLOAD...: the table of the medians
  echo "| workload | libtempfile | floor | memstream | CPython | Rust | paired libtempfile / floor |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for w; do
    printf '| %s |' "$w"
    for m in libtempfile floor memstream python rust; do
      v=$(med "$w" "$m")
      if [ -n "$v" ]; then printf ' %s (%s) |' "$(ns1 "$v")" "$(mbs "$v")"; else printf ' - |'; fi
    done
    set -- $(paired "$w")
    echo " ${1:--} |"
  done
}

details() { # MARK KIND WORKLOAD: WORKLOAD's section, its heading MARK
  # ("###"), KIND spool, file or atomic
  d_kind=$2 w=$3
  case $d_kind in
  spool)
    p=${w#spool-stream-}
    p=${p%-*}
    ;;
  *) p=${w#*-stream-} ;;
  esac
  echo
  echo "$1 $w"
  echo
  fl=$(med "$w" floor)
  echo "| implementation | one pass | median ns/op | MB/s | x floor | per-round x floor | min-max ns/op |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
  for m in libtempfile floor memstream python rust; do
    case $d_kind:$m in spool:* | *:libtempfile | *:floor) ;; *) continue ;; esac
    case $m:$w in memstream:*-rolled) continue ;; esac
    case $m in python | rust) has_peer "$m" || continue ;; esac
    v=$(med "$w" "$m")
    what=$(what_of "$m" "$p" "$d_kind" | sed 's/|/\\|/g')
    if [ -z "$v" ]; then
      text "| $(impl_name "$m" "$w") | $what | - | - | - | - | - |"
      continue
    fi
    pr=-
    [ "$m" = floor ] || pr=$(per_round "$w" "$m" floor)
    text "| $(impl_name "$m" "$w") | $what | $(ns1 "$v") | $(mbs "$v") | $(div "$v" "$fl") | ${pr:--} | $(range "$w" "$m") |"
  done
  set -- $(paired "$w")
  if [ $# -eq 4 ]; then
    echo
    echo "Paired in one process: libtempfile / floor $1 x (median of $4 pairs; $2 vs $3 ns/op)."
  fi
}

report() {
  echo "## Spool streams"
  echo
  echo "Measured by bench/streams.sh in $ELAPSED s (issue 18: a spool's stdio"
  echo "stream, tf_spool_stream(), at the speed of stdio on a plain file; the"
  echo "streams of tf_file_stream() and tf_atomic_stream() at the speed of"
  echo "fdopen() on the same fd)."
  echo
  echo "Every run is a process (bench/tfstream.c, and the peers) that moves"
  text '8,000,000 bytes, 100,000 records of 80 bytes (`"%08ld %s\n"`: the'
  echo "index and one of 101 texts of 70 printable characters), $N time(s) per"
  echo "repetition, one untimed repetition then $REPS timed ones, and prints the"
  echo "median time per record (ns/op; MB/s = 80,000 / ns/op). Each workload"
  echo "runs every implementation in turn for $ROUNDS rounds, the order rotating,"
  echo "each run in a fresh directory on $DIR ($(df -PT "$DIR" 2>/dev/null | awk 'NR == 2 { print $2 }')), which"
  echo "must be empty afterwards. \`-mem\`: tf_spool_create(max_size 0), the"
  echo "spool never rolls over; \`-rolled\`: max_size 1 MiB and opts.dir the"
  echo "run's directory, so it rolls over to an unnamed file there (both"
  echo "checked at the end). read and lines fill the spool once, untimed"
  echo "(tf_spool_write, tf_spool_seek to 0); a pass is timed from"
  echo "tf_spool_stream() to EOF, and checks the bytes (a sum of the bytes at"
  echo "every 4096th offset, the count; for lines each line's length and its"
  echo "10th byte) after the clock stops. write, putc and printf time a"
  echo "fresh spool's creation, its stream, the writes and the fflush; every"
  echo "byte is then checked (tf_spool_seek, tf_spool_read) and the spool"
  echo "freed, untimed."
  echo
  echo "The floor is the same stdio calls on a FILE * with stdio's default"
  echo "buffer over an unnamed file in the same directory (openat(DIR,"
  echo "O_TMPFILE) and fdopen, what tmpfile() gives), for \`-mem\` too: a"
  echo "program's alternative to a spool is a temporary file; for the writes"
  echo "its creation is timed, its fclose not, as the spool's. The memory"
  echo "streams of glibc (fmemopen over the data for reading, open_memstream"
  echo "for writing) are shown for \`-mem\` as a baseline, with no goal. CPython"
  echo "(SpooledTemporaryFile(max_size=0 or 1 MiB, mode=\"w+b\", dir=DIR)) runs"
  echo "read, lines and write; it has no putc or printf on a file. Rust's"
  echo "tempfile (spooled_tempfile through BufReader and BufWriter; max_size"
  echo "1 GiB for \`-mem\`, as 0 rolls over at the first byte there, and"
  echo "TMPDIR set to the run's directory for \`-rolled\`, the crate having no"
  echo "directory argument) runs all five. The paired row is tfstream"
  echo "W-paired: libtempfile and the floor alternately in one process, the"
  echo "order swapped every pair, $PAIRS pairs; the median of the per-pair"
  echo "ratios."
  echo
  echo "Medians in ns/op (MB/s in parentheses; lower ns is better):"
  echo
  summary $WORKLOADS
  for w in $WORKLOADS; do
    details "###" spool "$w"
  done
  echo
  echo "### tf_file and tf_atomic streams against fdopen on the same fd"
  echo
  echo "The same patterns on the stream of a tf_file (tf_file_stream():"
  echo "\`file-stream-PATTERN\`) and of a replacement being written"
  echo "(tf_atomic_stream(): \`atomic-stream-PATTERN\`, the three writes; reading"
  echo "does not apply), against the same stdio calls on fdopen() of a dup() of"
  echo "the same kind of handle's fd, with stdio's default buffer (issue 18:"
  echo "\"fdopen on the same fd\"). The tf_file is tf_file_create() with"
  echo "opts.dir the run's directory (a named file, deleted when freed). For"
  echo "read and lines it is made and filled (pwrite to its fd) before the"
  echo "warm-up, the floor's fdopened \"r+\" then too; a pass is timed from"
  echo "tf_file_stream() (the floor: rewind) to EOF, with the same checks. The"
  echo "writes time tf_file_create() or tf_atomic_begin(DIR/target), the stream"
  echo "(tf_file_stream() or tf_atomic_stream(); the floor: dup and fdopen"
  echo "\"r+\" or \"w\"), the writes and the fflush; the size and every byte are"
  echo "then checked with pread through the handle's fd, the floor's FILE *"
  echo "fclosed, and the file freed (tf_file_free) or the replacement aborted"
  echo "(tf_atomic_abort, tf_atomic_free: the target is never made), untimed."
  echo "libtempfile and its floor only, $FD_ROUNDS rounds, the order rotating,"
  echo "then $PAIRS pairs in one process as above."
  echo
  summary $FD_WORKLOADS
  for w in $FD_WORKLOADS; do
    case $w in file-stream-*) details "####" file "$w" ;; *) details "####" atomic "$w" ;; esac
  done
  echo
  echo "### Goals (streams)"
  echo
  echo "| goal | measured | result |"
  echo "| --- | --- | --- |"
  for w in $WORKLOADS $FD_WORKLOADS; do
    text="\`$w\`: libtempfile at most $LIMIT x its floor, paired in one process"
    set -- $(paired "$w")
    if [ $# -eq 4 ]; then
      hits=$(awk -v r="$1" -v l="$LIMIT" 'BEGIN { print (r <= l) ? 2 : 0 }')
      row "$text" "$1 x (median of $4 pairs; $2 vs $3 ns/op)" "$hits" \
        "$(awk -v r="$1" -v l="$LIMIT" 'BEGIN {
          if (r / l >= 2) printf "%s x the floor, %.1f times the %s x allowed", r, r / l, l
          else printf "%s x the floor, %.0f%% over the %s x allowed", r, (r / l - 1) * 100, l }')"
    else
      row "$text" "not measured" 0
    fi
  done
  for w in $WORKLOADS; do
    case $w in *-read-* | *-lines-*) ;; *) continue ;; esac
    text="\`$w\`: libtempfile faster than CPython"
    lib=$(med "$w" libtempfile) py=$(med "$w" python)
    if [ -n "$lib" ] && [ -n "$py" ]; then
      ratio=$(div "$lib" "$py") pr=$(per_round "$w" libtempfile python)
      hits=$(awk -v a="$ratio" -v b="$pr" 'BEGIN { print (a != "-" && a < 1) + (b != "" && b < 1) }')
      row "$text" "libtempfile takes $ratio x CPython's time (per-round ${pr:--} x)" "$hits" \
        "libtempfile takes $ratio x CPython's time"
    else
      row "$text" "not measured" 0
    fi
  done
  echo
  echo "The paired goals are one measure each (met or missed). Against CPython"
  echo "a goal is met when both the ratio of the medians and the median of the"
  echo "per-round ratios are below 1, unclear when only one is. A missed goal"
  echo "says by how much: for the paired ones libtempfile's time over the"
  echo "floor's and how far that is over the $LIMIT x allowed, against CPython"
  echo "libtempfile's time over CPython's."
  if [ "$MISSED" -gt 0 ]; then
    echo
    echo "$WHY_MISSED"
  fi
  if [ -s "$B/streams-notes.txt" ]; then
    echo
    echo "Problems during this run:"
    echo
    sed 's/^/- /' "$B/streams-notes.txt"
  fi
  echo
}

report >"$B/streams.md.tmp" || die "cannot write the report"
sed -e "s|$ROOT/||g" "$B/streams.md.tmp" >"$B/streams.md" && rm -f "$B/streams.md.tmp"
echo "$MISSED $UNCLEAR" >"$B/streams-goals.txt"
say "wrote build/bench/streams.md ($MISSED goal(s) missed, $UNCLEAR unclear)"

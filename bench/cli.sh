#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/cli.sh TMPF - the command line's benchmarks, whole processes timed
# from start to exit, side by side with the peers and the floor in one run:
#
#   sponge-1g  1 GiB from a pipe (cat INPUT | ...) into a file on a disk:
#              tmpf sponge (synced, the default, and --no-sync), moreutils
#              sponge with TMPDIR on the same file system and on /dev/shm,
#              and the floors `cat INPUT > FILE` and the same followed by
#              `sync FILE`; also peak memory (/usr/bin/time) and bytes
#              written to the disk (write_bytes of /proc/PID/io).
#   mktemp     tmpf mktemp (as a command and through a link named mktemp)
#              against GNU /usr/bin/mktemp, N runs in a row; the floor is
#              /usr/bin/true, a process that does nothing.
#
# Writes build/bench/cli.md (a section of BENCHMARKS.md, with its goals),
# build/bench/cli-results.txt (raw) and build/bench/cli-goals.txt
# ("MISSED UNCLEAR").  bench/run.sh calls it for these groups; it also
# runs alone.  POSIX sh.
#
# Environment: BENCH_CLI_GROUPS ("sponge-1g mktemp"), BENCH_SPONGE_ROUNDS
# (5), BENCH_SPONGE_DIR (/tmp: must be on a disk, not a tmpfs),
# BENCH_MKTEMP_ROUNDS (11), BENCH_MKTEMP_N (300).
set -u

prog=bench/cli.sh
USAGE="sh bench/cli.sh TMPF (e.g. build/cc/tmpf)"
. "$(dirname -- "$0")/common.sh"
TMPF=$BIN

GROUPS=${BENCH_CLI_GROUPS:-sponge-1g mktemp}
S_ROUNDS=${BENCH_SPONGE_ROUNDS:-5}
S_DIR=${BENCH_SPONGE_DIR:-/tmp}
M_ROUNDS=${BENCH_MKTEMP_ROUNDS:-11}
M_N=${BENCH_MKTEMP_N:-300}
SIZE=1073741824
MEMORY_LIMIT_KIB=$(((64 + 16) * 1024)) # sponge's default spool + 16 MiB
RES=$B/cli-results.txt
: >"$RES"
: >"$B/cli-notes.txt"
note() {
  say "$*"
  echo "$*" >>"$B/cli-notes.txt"
}
now_ns() { date +%s%N; }
has() { case " $GROUPS " in *" $1 "*) return 0 ;; esac; return 1; }

install_missing() { # COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  say "apt-get install $2"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends "$2"; } >>"$B/logs/apt.log" 2>&1
  command -v "$1" >/dev/null 2>&1
}


# ------------------------------------------------------------- sponge-1g

S_IMPLS="floor floor-pipe floor-sync tmpf tmpf-no-sync sponge-samefs sponge-shm"
TIME=/usr/bin/time

sponge_cmd() { # IMPL DIR RSSFILE -> the pipeline, for sh -c
  src=$INPUT out=$2/out rss="$TIME -f %M -o $3"
  case $1 in
  floor) echo "cat '$src' > '$out'" ;;
  floor-pipe) echo "cat '$src' | cat > '$out'" ;;
  floor-sync) echo "cat '$src' > '$out' && sync '$out'" ;;
  tmpf) echo "cat '$src' | $rss '$TMPF' sponge '$out'" ;;
  tmpf-no-sync) echo "cat '$src' | $rss '$TMPF' sponge --no-sync '$out'" ;;
  sponge-samefs) echo "cat '$src' | TMPDIR='$2' $rss sponge '$out'" ;;
  sponge-shm) echo "cat '$src' | TMPDIR=/dev/shm $rss sponge '$out'" ;;
  esac
}

# sponge_run IMPL ROUND: one run in a fresh directory; appends
# "sponge-1g IMPL ROUND NS WRITE_BYTES RSS_KIB" to the results.
sponge_run() {
  d=$(mktemp -d "$S_DIR/tfcli.XXXXXX") || die "mktemp in $S_DIR failed"
  rssf=$d.rss
  : >"$rssf"
  cmd=$(sponge_cmd "$1" "$d" "$rssf")
  sync # start from a clean page cache: no earlier run's writeback
  t0=$(now_ns)
  # The shell's write_bytes counts its reaped children's: the pipeline's.
  wb=$(sh -c "$cmd && awk '/^write_bytes/ { print \$2 }' /proc/\$\$/io" 2>>"$B/logs/cli-errors.log")
  rc=$?
  t1=$(now_ns)
  got=$(stat -c %s "$d/out" 2>/dev/null)
  if [ $rc -ne 0 ] || [ "$got" != "$SIZE" ]; then
    note "sponge-1g $1 failed (exit $rc, output size ${got:-none})"
  elif [ "$2" = 1 ] && ! cmp -s "$INPUT" "$d/out"; then
    note "sponge-1g $1 wrote wrong contents"
  else
    rss=$(cat "$rssf")
    echo "sponge-1g $1 $2 $((t1 - t0)) ${wb:-0} ${rss:--}" >>"$RES"
    say "sponge-1g round $2/$S_ROUNDS: $1 $(((t1 - t0) / 1000000)) ms, write_bytes ${wb:-?}, rss ${rss:--} KiB"
  fi
  rm -rf "$d" "$rssf"
  left=$(ls -A /dev/shm | grep -c '^sponge') || true
  [ "$left" -eq 0 ] || note "sponge-1g $1 left $left files in /dev/shm"
}

bench_sponge() {
  install_missing sponge moreutils || note "moreutils sponge missing: its columns are empty"
  install_missing "$TIME" time || die "$TIME missing (apt-get install time)"
  fs=$(df -PT "$S_DIR" | awk 'NR == 2 { print $2 }')
  [ "$fs" != tmpfs ] || die "BENCH_SPONGE_DIR=$S_DIR is a tmpfs; sponge-1g needs a disk"
  INPUT=$S_DIR/tfcli-input.$$
  say "sponge-1g: writing 1 GiB of random input to $INPUT"
  head -c $SIZE /dev/urandom >"$INPUT" || die "cannot write $INPUT"
  # Untimed: the first run after writing the input was 4x slower (its
  # writeback still going), whichever implementation it was.
  sync && cat "$INPUT" >"$INPUT.warm" && rm -f "$INPUT.warm" && sync
  list=
  for m in $S_IMPLS; do
    case $m in sponge-*) command -v sponge >/dev/null 2>&1 || continue ;; esac
    list="$list $m"
  done
  r=1
  while [ $r -le "$S_ROUNDS" ]; do
    for m in $(rotate $r $list); do sponge_run "$m" $r; done
    r=$((r + 1))
  done
  rm -f "$INPUT"
}

# ---------------------------------------------------------------- mktemp

# In the C locale, and in C.UTF-8 (-utf8: Debian's default), where GNU
# mktemp loads the locale's data at start and tmpf, which has no
# translations, does not.
M_IMPLS="tmpf link gnu true tmpf-utf8 gnu-utf8"

mktemp_run() { # IMPL ROUND: N runs in a row in a fresh directory
  d=$(mktemp -d "/dev/shm/tfcli.XXXXXX") || die "mktemp in /dev/shm failed"
  LC_ALL=C
  case $1 in
  *-utf8) LC_ALL=C.UTF-8 ;;
  esac
  case $1 in
  tmpf | tmpf-utf8) set -- "$1" "$2" "$bin/tmpf" mktemp -p "$d" ;;
  link) set -- "$1" "$2" "$bin/mktemp" -p "$d" ;;
  gnu | gnu-utf8) set -- "$1" "$2" "$bin/gnu/mktemp" -p "$d" ;;
  true) set -- "$1" "$2" "$bin/true" ;;
  esac
  impl=$1 round=$2
  shift 2
  i=0 ok=1
  t0=$(now_ns)
  while [ $i -lt "$M_N" ]; do
    "$@" >/dev/null || { ok=; break; }
    i=$((i + 1))
  done
  t1=$(now_ns)
  LC_ALL=C
  made=$(ls -A "$d" | wc -l)
  rm -rf "$d"
  # Let the kernel finish freeing those inodes before the next run starts
  # its clock: their cost landed on whichever command came next.
  sleep 0.3
  want=$M_N
  [ "$impl" = true ] && want=0
  [ "$impl" != "${impl%-utf8}" ] && ! locale -a 2>/dev/null | grep -qix 'c.utf-\{0,1\}8' &&
    note "mktemp $impl: no C.UTF-8 locale here, measured in C"
  if [ -z "$ok" ] || [ "$made" -ne "$want" ]; then
    note "mktemp $impl failed (made $made files of $want)"
    return
  fi
  echo "mktemp $impl $round $(((t1 - t0) / M_N))" >>"$RES"
  say "mktemp round $round/$M_ROUNDS: $impl $(((t1 - t0) / M_N / 1000)) us per run"
}

bench_mktemp() {
  [ -x /usr/bin/mktemp ] || die "/usr/bin/mktemp missing"
  # Every command runs from a copy in one directory: where a binary lies
  # (how deep, which directory) moved its start-up by more than the 5%
  # at stake here.
  bin=$B/cli-bin
  rm -rf "$bin" && mkdir -p "$bin/gnu" || die "cannot create $bin"
  cp "$TMPF" "$bin/tmpf" && ln -s tmpf "$bin/mktemp" &&
    cp /usr/bin/mktemp "$bin/gnu/mktemp" && cp /usr/bin/true "$bin/true" ||
    die "cannot copy the binaries to $bin"
  r=1
  while [ $r -le "$M_ROUNDS" ]; do
    # Reversed every other round, so each command follows each other one.
    order=$(rotate $r $M_IMPLS)
    [ $((r % 2)) -eq 0 ] && order=$(echo $order | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
    for m in $order; do mktemp_run "$m" $r; done
    r=$((r + 1))
  done
}

# ---------------------------------------------------------------- report

col() { # GROUP IMPL COLUMN -> the values of that column, one per round
  awk -v g="$1" -v m="$2" -v c="$3" '$1 == g && $2 == m { print $c }' "$RES"
}
max() { sort -n | tail -n 1; }
med() { col "$1" "$2" 4 | median; }
ms() { awk -v n="$1" 'BEGIN { if (n == "") print "-"; else printf "%.0f", n / 1e6 }'; }
us() { awk -v n="$1" 'BEGIN { if (n == "") print "-"; else printf "%.0f", n / 1e3 }'; }

MISSED=0 UNCLEAR=0
# row TEXT MEASURED HITS (HITS: how many of the two measures meet it, or
# "1of1" for a goal with one measure that is met)
row() {
  case $3 in
  2 | 1of1) r=met ;;
  1) r="**unclear**: only one of the two measures meets it (within the noise)"; UNCLEAR=$((UNCLEAR + 1)) ;;
  *) r="**missed**"; MISSED=$((MISSED + 1)) ;;
  esac
  echo "| $1 | $2 | $r |"
}
# at_most A B LIMIT: A's time at most LIMIT x B's, by both measures
at_most() {
  ma=$(med sponge-1g "$1") mb=$(med sponge-1g "$2")
  ratio=$(div "$ma" "$mb") pr=$(per_round sponge-1g "$1" "$2")
  hits=$(awk -v a="$ratio" -v b="$pr" -v l="$3" 'BEGIN { print (a != "-" && a <= l) + (b != "" && b <= l) }')
  echo "$ratio x (per-round ${pr:--} x)|$hits"
}
faster_by() { # A B FACTOR: B's time at least FACTOR x A's, by both measures
  ma=$(med sponge-1g "$1") mb=$(med sponge-1g "$2")
  ratio=$(div "$mb" "$ma") pr=$(per_round sponge-1g "$2" "$1")
  hits=$(awk -v a="$ratio" -v b="$pr" -v l="$3" 'BEGIN { print (a != "-" && a >= l) + (b != "" && b >= l) }')
  echo "$ratio x (per-round ${pr:--} x)|$hits"
}

report_sponge() {
  s_name() {
    case $1 in
    floor) echo "floor: \`cat INPUT > FILE\`" ;;
    floor-pipe) echo "the floor through a pipe, as sponge reads: \`cat INPUT \\| cat > FILE\` (informational)" ;;
    floor-sync) echo "floor, synced: \`cat INPUT > FILE && sync FILE\`" ;;
    tmpf) echo "\`tmpf sponge FILE\` (default: the file synced)" ;;
    tmpf-no-sync) echo "\`tmpf sponge --no-sync FILE\`" ;;
    sponge-samefs) echo "moreutils \`sponge FILE\`, TMPDIR on the same file system" ;;
    sponge-shm) echo "moreutils \`sponge FILE\`, TMPDIR=/dev/shm (tmpfs)" ;;
    esac
  }
  echo "### sponge-1g"
  echo
  echo "1 GiB of random bytes (a file in the page cache) from a pipe,"
  echo "\`cat INPUT | ...\`, into FILE on $S_DIR ($(df -PT "$S_DIR" | awk 'NR == 2 { print $2 }')), a fresh"
  echo "directory per run, after a \`sync\` so no earlier run's writeback is"
  echo "counted, and after an untimed warm-up copy; $S_ROUNDS rounds, the order rotating. The time is the whole"
  echo "pipeline's, start to exit. Peak memory is the sponge process's"
  echo "maximum resident set (\`/usr/bin/time -f %M\`, the number \`-v\` prints);"
  echo "bytes written are the pipeline's \`write_bytes\` (/proc/PID/io of the"
  echo "shell that ran it, which adds its reaped children's). The first round's"
  echo "output is compared with the input."
  echo
  echo "| implementation | median ms | x floor | min-max ms | peak memory (max, MiB) | written (max, MiB) |"
  echo "| --- | ---: | ---: | --- | ---: | ---: |"
  fl=$(med sponge-1g floor)
  for m in $S_IMPLS; do
    v=$(med sponge-1g "$m")
    [ -n "$v" ] || { echo "| $(s_name "$m") | not measured | | | | |"; continue; }
    lo=$(col sponge-1g "$m" 4 | sort -n | head -n 1) hi=$(col sponge-1g "$m" 4 | max)
    rss=$(col sponge-1g "$m" 6 | grep -v -- - | max)
    wb=$(col sponge-1g "$m" 5 | max)
    echo "| $(s_name "$m") | $(ms "$v") | $(div "$v" "$fl") | $(ms "$lo")-$(ms "$hi") | $(awk -v k="$rss" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k / 1024 }') | $(awk -v b="$wb" 'BEGIN { printf "%.1f", b / 1048576 }') |"
  done
  echo
  echo "Goals (the issue's), each judged by the ratio of the medians and by the"
  echo "median of the per-round ratios:"
  echo
  echo "| goal | measured | result |"
  echo "| --- | --- | --- |"
  x=$(at_most tmpf-no-sync floor 1.5)
  row "\`tmpf sponge --no-sync\` <= 1.5 x the floor (same work: neither syncs)" "${x%|*}" "${x#*|}"
  x=$(at_most tmpf floor-sync 1.5)
  row "\`tmpf sponge\` (synced) <= 1.5 x the synced floor" "${x%|*}" "${x#*|}"
  x=$(at_most tmpf floor 1.5)
  row "\`tmpf sponge\` (synced) <= 1.5 x the floor, which does not sync" "${x%|*}" "${x#*|}"
  for p in sponge-samefs sponge-shm; do
    x=$(faster_by tmpf "$p" 4)
    row "\`tmpf sponge\` (synced) at least 4 x faster than $(s_name "$p")" "moreutils takes ${x%|*} tmpf's time" "${x#*|}"
    x=$(faster_by tmpf-no-sync "$p" 4)
    row "\`tmpf sponge --no-sync\` (no sync, as moreutils) at least 4 x faster than $(s_name "$p")" "moreutils takes ${x%|*} tmpf's time" "${x#*|}"
  done
  for m in tmpf tmpf-no-sync; do
    rss=$(col sponge-1g "$m" 6 | max)
    row "peak memory of $(s_name "$m") <= 64 MiB (its spool) + 16 MiB" \
      "$(awk -v k="$rss" 'BEGIN { printf "%.1f MiB (the most of %s rounds)", k / 1024, '"$S_ROUNDS"' }')" \
      "$(awk -v k="$rss" -v l="$MEMORY_LIMIT_KIB" 'BEGIN { print (k != "" && k <= l) ? "1of1" : 0 }')"
    wb=$(col sponge-1g "$m" 5 | max)
    row "bytes written by $(s_name "$m") <= 1.05 x the input" \
      "$(div "$wb" "$SIZE") x (the most of $S_ROUNDS rounds)" \
      "$(awk -v w="$wb" -v s="$SIZE" 'BEGIN { print (w != "" && w <= 1.05 * s) ? "1of1" : 0 }')"
  done
  echo
}

report_mktemp() {
  echo "### mktemp"
  echo
  echo "$M_N runs in a row of each command, creating a file in a fresh"
  echo "directory on /dev/shm and printing its name to /dev/null, timed from"
  echo "the first start to the last exit, divided by $M_N (so the shell's fork"
  echo "and exec are included, the same for all); $M_ROUNDS rounds, the order"
  echo "rotating and reversed every other round, with a pause after each run's"
  echo "removal of its files (their freeing otherwise lands on the next run)."
  echo "\`/usr/bin/true\` is the floor: a process that does nothing. All four"
  echo "run from copies in one directory, build/bench/cli-bin/ (gnu/mktemp for GNU's)."
  echo
  echo "Every command runs with LC_ALL=C, except the two C.UTF-8 rows (x GNU"
  echo "mktemp is against GNU's in the same locale)."
  echo
  echo "| command | median us per run | x GNU mktemp | min-max us |"
  echo "| --- | ---: | ---: | --- |"
  for m in $M_IMPLS; do
    g=$(med mktemp gnu)
    [ "$m" = "${m%-utf8}" ] || g=$(med mktemp gnu-utf8)
    case $m in
    tmpf) n="\`tmpf mktemp -p DIR\`" ;;
    link) n="\`mktemp -p DIR\`, a link to tmpf" ;;
    gnu) n="GNU \`/usr/bin/mktemp -p DIR\` ($(/usr/bin/mktemp --version | head -n 1))" ;;
    true) n="floor: \`/usr/bin/true\`" ;;
    tmpf-utf8) n="\`tmpf mktemp -p DIR\`, LC_ALL=C.UTF-8" ;;
    gnu-utf8) n="GNU \`/usr/bin/mktemp -p DIR\`, LC_ALL=C.UTF-8" ;;
    esac
    v=$(med mktemp "$m")
    echo "| $n | $(us "$v") | $(div "$v" "$g") | $(us "$(col mktemp "$m" 4 | sort -n | head -n 1)")-$(us "$(col mktemp "$m" 4 | max)") |"
  done
  echo
  echo "| goal | measured | result |"
  echo "| --- | --- | --- |"
  for m in tmpf link tmpf-utf8; do
    ref=gnu
    [ "$m" = tmpf-utf8 ] && ref=gnu-utf8
    v=$(med mktemp "$m") g=$(med mktemp $ref)
    ratio=$(div "$v" "$g") pr=$(per_round mktemp "$m" $ref)
    hits=$(awk -v a="$ratio" -v b="$pr" 'BEGIN { print (a != "-" && a <= 1) + (b != "" && b <= 1) }')
    case $m in
    tmpf) n="\`tmpf mktemp\` no slower than GNU mktemp (C locale)" ;;
    link) n="\`mktemp\` through the link no slower than GNU mktemp (C locale)" ;;
    *) n="\`tmpf mktemp\` no slower than GNU mktemp (C.UTF-8)" ;;
    esac
    row "$n" "$ratio x (per-round ${pr:--} x)" "$hits"
  done
  echo
}

START=$(date +%s)
has sponge-1g && bench_sponge
has mktemp && bench_mktemp
{
  echo "## The command line (tmpf)"
  echo
  echo "Measured by bench/cli.sh in $(($(date +%s) - START)) s."
  echo
  has sponge-1g && report_sponge
  has mktemp && report_mktemp
  if [ -s "$B/cli-notes.txt" ]; then
    echo "Problems during this run:"
    echo
    sed 's/^/- /' "$B/cli-notes.txt"
    echo
  fi
} >"$B/cli.md.tmp" || die "cannot write the report"
sed -e "s|$ROOT/||g" "$B/cli.md.tmp" >"$B/cli.md" && rm -f "$B/cli.md.tmp"
echo "$MISSED $UNCLEAR" >"$B/cli-goals.txt"
say "wrote build/bench/cli.md ($MISSED goal(s) missed, $UNCLEAR unclear)"

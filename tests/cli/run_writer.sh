#!/bin/sh
# SPDX-License-Identifier: MIT
# `tmpf run` while processes COMMAND started keep adding entries to the
# private directory after COMMAND ended: the removal lists a directory
# again while entries keep coming (a bounded number of rounds, see
# tf_rmtreeat(3)), so the directory is removed; or, if the writers win,
# the message names the directory that stays, and once they are gone
# `tmpf reap` removes it.
#
#   sh tests/cli/run_writer.sh TMPF
#
# One "ok   run_writer_NAME" / "FAIL run_writer_NAME" line per check, then
# "N passed, M failed" (", K skipped").
TMPF=$1
CHECK_PREFIX=run_writer_
. "$(dirname "$0")/check.sh"
case $TMPF in /*) ;; *) echo "usage: sh $0 /ABSOLUTE/PATH/TO/tmpf" >&2; exit 2 ;; esac
scratch=$(mktemp -d) || exit 1
cleanup() {
  : > "$scratch/stop" # the writers end within a moment
  i=0
  while ls "$scratch"/wpid.* > /dev/null 2>&1 && [ $i -lt 100 ]; do
    sleep 0.05; i=$((i + 1))
  done
  chmod -R u+rwx "$scratch" 2> /dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export LC_ALL=C
unset TEMP TMP
mkdir "$scratch/p" "$scratch/bin"
export STOP="$scratch/stop" WPID="$scratch/wpid"

# A writer: in TMPDIR (its current directory), adds files, and a
# directory holding a file every 8th time, until STOP exists, 2 s have
# passed, or its directory is gone.  $WPID.PID exists while it runs.
cat > "$scratch/bin/writer" << 'EOS'
cd "$TMPDIR" || exit 0
trap 'rm -f "$WPID.$$"' EXIT
echo $$ > "$WPID.$$"
end=$(($(date +%s) + 2)) # (no timer process: it would hold the directory)
i=0
while [ ! -e "$STOP" ]; do
  { true > "f$i"; } 2> /dev/null || break
  if [ $((i % 8)) -eq 0 ]; then
    { mkdir "d$i" && true > "d$i/x"; } 2> /dev/null || break
    [ "$(date +%s)" -lt $end ] || break
  fi
  i=$((i + 1))
done
EOS
# COMMAND: starts three writers, lets them write for a moment, and ends.
cat > "$scratch/bin/command" << EOS
for k in 1 2 3; do sh "$scratch/bin/writer" < /dev/null > /dev/null 2>&1 & done
sleep 0.2
EOS

# writers_gone: wait (up to 5 s) until every writer has ended
writers_gone() {
  i=0
  while ls "$scratch"/wpid.* > /dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && return 1
    sleep 0.05
  done
}

ROUNDS=8
removed=0 kept=0 bad=0 details=
reaped=0 reap_skipped=0
r=0
while [ $r -lt $ROUNDS ]; do
  r=$((r + 1))
  rm -f "$STOP"
  { "$TMPF" run -p "$scratch/p" sh "$scratch/bin/command" < /dev/null \
      > /dev/null 2> "$scratch/err"; rc=$?; } 2> /dev/null
  err=$(cat "$scratch/err")
  left=$(ls -A "$scratch/p")
  if [ $rc -eq 0 ] && [ -z "$left" ] && [ -z "$err" ]; then
    removed=$((removed + 1))
  elif [ $rc -eq 1 ] && [ -n "$left" ] &&
    [ "$err" = "tmpf: run: cannot remove the temporary directory '$scratch/p/$left': Directory not empty (it is still there)" ]; then
    kept=$((kept + 1))
    # tmpf is gone; once the writers are too, nothing holds it
    : > "$STOP"
    writers_gone
    { out=$("$TMPF" reap "$scratch/p" 2>&1); rrc=$?; } 2> /dev/null
    if [ $rrc -eq 0 ] && [ -z "$(ls -A "$scratch/p")" ]; then
      reaped=$((reaped + 1))
    elif [ $rrc -eq 0 ] && [ "$(ls -A "$scratch/p")" = "$left" ] &&
      case $out in *"0 leftovers"*|"") true ;; *) false ;; esac; then
      reap_skipped=$((reap_skipped + 1)) # no liveness mark (user xattrs?)
      rm -rf "$scratch/p/$left"
    else
      bad=$((bad + 1))
      details="$details [round $r: reap status $rrc, printed: $out; left: $(ls -A "$scratch/p")]"
      rm -rf "$scratch/p"/* 2> /dev/null
    fi
  else
    bad=$((bad + 1))
    details="$details [round $r: status $rc, stderr: $err; left: $left]"
    rm -rf "$scratch/p"/* 2> /dev/null
  fi
  : > "$STOP"
  writers_gone || { bad=$((bad + 1)); details="$details [round $r: a writer did not end]"; }
done
[ $bad -eq 0 ] && [ $((removed + kept)) -eq $ROUNDS ] && [ $reap_skipped -eq 0 -o $kept -gt 0 ]
check removed_or_named_and_reaped_later $? "$removed removed, $kept kept (named; $reaped reaped later, $reap_skipped not reapable here)$details"
[ $bad -eq 0 ] && echo "    of $ROUNDS runs, $removed removed, $kept kept and named ($reaped reaped later)"
if [ $reap_skipped -gt 0 ]; then
  skip kept_directory_reaped "no liveness mark on the kept directory here (user xattrs?)"
fi

check_summary

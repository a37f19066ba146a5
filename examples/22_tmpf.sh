#!/bin/sh
# SPDX-License-Identifier: MIT
# 22_tmpf.sh - the tour's last stop: the same guarantees for shell
# scripts, through the tmpf command.  mktemp as GNU's; sponge rewriting a
# file in place atomically, and leaving it alone when its input fails;
# run giving a command a private TMPDIR that is removed however the
# command ends; reap taking what a killed tmpf left.
#
#   sh examples/22_tmpf.sh TMPF     (make demo runs it)
set -u
TMPF=$1
fail() { echo "tour: FAILED: $*" >&2; exit 1; }
step() { printf '\n-- %s\n' "$*"; }
base=${TMPDIR:-/tmp}

echo "=== tmpf: the same guarantees for shell scripts ==="
step "tmpf mktemp: GNU mktemp's options, names from the CSPRNG"
f=$("$TMPF" mktemp) || fail "mktemp"
d=$("$TMPF" mktemp -d --suffix=.work) || fail "mktemp -d"
echo "file $f ($(stat -c %a "$f")), directory $d ($(stat -c %a "$d"))"
rm -f "$f" && rmdir "$d"

step "tmpf sponge: sort a file in place (moreutils' sponge, made atomic)"
list=$base/names.txt
printf 'carol\nalice\nbob\nalice\n' >"$list" && chmod 640 "$list"
before=$(stat -c %i "$list")
sort -u "$list" | "$TMPF" sponge "$list" || fail "sponge"
echo "sorted: $(paste -s -d ' ' "$list"); mode $(stat -c %a "$list") kept; inode $before -> $(stat -c %i "$list") (a new file took the name)"

step "tmpf sponge: a failing input leaves the file as it was"
"$TMPF" sponge "$list" <"$base" && fail "sponge read a directory"
echo "the file still holds: $(paste -s -d ' ' "$list")"
rm -f "$list"

step "tmpf run: a private TMPDIR for one command, removed afterwards"
"$TMPF" run sh -c 'echo "TMPDIR=$TMPDIR"; mkdir "$TMPDIR/deep"; ln -s / "$TMPDIR/root-link"; echo "$TMPDIR" >"$0"' \
  "$base/run-dir" || fail "run"
ran=$(cat "$base/run-dir")
[ ! -e "$ran" ] || fail "$ran left behind"
echo "afterwards $ran is gone (the symlink to / in it was removed, not followed)"
"$TMPF" run sh -c 'exit 3'
echo "the command's exit status is passed through: $?"
"$TMPF" run --keep-on-failure sh -c 'echo partial >"$TMPDIR/log"; exit 1' 2>"$base/run-err"
kept=$(sed -n 's/^tmpf: run: kept //p' "$base/run-err")
echo "with --keep-on-failure a failed command's directory is kept: $kept, its log holds '$(cat "$kept/log")'"
rm -rf "$kept" "$base/run-dir" "$base/run-err"

step "tmpf reap: what a killed tmpf run left behind"
"$TMPF" run sh -c 'echo "$$ $TMPDIR" >"$0.tmp" && mv "$0.tmp" "$0"; exec sleep 60' "$base/run-dir" &
runner=$!
while [ ! -s "$base/run-dir" ]; do sleep 0.05; done
read -r command left <"$base/run-dir"
kill -KILL $runner && wait $runner 2>/dev/null
kill $command # the command, orphaned: tmpf can no longer end it
[ -d "$left" ] || fail "no leftover $left"
echo "tmpf run was killed by SIGKILL and left $left behind"
"$TMPF" reap "$base" || fail "reap"
[ ! -e "$left" ] || fail "reap left $left"
rm -f "$base/run-dir"
echo "after tmpf reap, $left is gone"

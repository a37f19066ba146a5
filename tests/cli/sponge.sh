#!/bin/sh
# SPDX-License-Identifier: MIT
# `tmpf sponge`: in-place rewrites, symlinks, -a, standard output, exact
# bytes around the memory limit, modes and owners, syncs, failures that
# must leave FILE as it was, signals, a full disk, a 2 GiB input in
# bounded memory, and FILEs that are no regular files.
#
#   sh tests/cli/sponge.sh TMPF
#
# One "ok   sponge_NAME" / "FAIL sponge_NAME" line per check (with an
# indented detail line under a FAIL), then "N passed, M failed" (", K
# skipped" when some could not run here, each with its reason).
# Designed to run as root (CI): the unprivileged checks then drop to
# uid/gid 65534 with setpriv, and the full-disk checks mount a tmpfs in
# a private mount namespace (unshare -m).  Without root, the unprivileged
# checks run as the current user, the full disk is tried in a user
# namespace (unshare -r -m; skipped where there is none), and what needs
# root otherwise (files of other users) is skipped saying why.  Without
# strace the sync counts are skipped.
# Pipes from cat are deliberate: standard input is then a pipe, not a file.
# shellcheck disable=SC2002
TMPF=$1
PEAK_RSS=$(dirname "$TMPF")/tests/peak_rss
CHECK_PREFIX=sponge_
. "$(dirname "$0")/check.sh"
export LC_ALL=C
umask 022

if [ ! -x "$TMPF" ]; then
  echo "FAIL sponge_tmpf_binary_missing"
  echo "    not an executable: $TMPF"
  echo "0 passed, 1 failed"
  exit 1
fi

scratch=$(mktemp -d /tmp/sponge-test.XXXXXXXXXX) || exit 1
# The unprivileged user must reach what is inside.
chmod 755 "$scratch"
# Background processes not yet waited for (only those: a waited one's
# pid may belong to someone else by now).
bg_pids=""
cleanup() {
  for p in $bg_pids; do kill -9 "$p" 2>/dev/null; done
  chmod -R u+rwx "$scratch" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# A temporary directory of our own, so that what the spool leaves in it
# can be seen; writable by the unprivileged user too.
TMPDIR=$scratch/tmp
export TMPDIR
mkdir "$TMPDIR" && chmod 1777 "$TMPDIR"

if [ "$(id -u)" -eq 0 ]; then root=1; else root=0; fi


# as_nobody COMMAND...: runs it as uid/gid 65534 (root), or as we are
as_nobody() {
  if [ $root -eq 1 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
  else
    "$@"
  fi
}

ino() { stat -c %i "$1"; }
mode_of() { stat -c %a "$1"; }
# one_error FILE: FILE holds exactly one line, starting "tmpf: sponge: "
# and ending with the C library's strerror() text (capitalised, as
# coreutils prints it: "No such file or directory")
one_error() {
  [ "$(wc -l < "$1")" -eq 1 ] && head -n 1 "$1" | grep -q '^tmpf: sponge: .*: [A-Z][^:]*$'
}
# A directory's entries, one line (for "nothing new" comparisons)
entries() { ls -A "$1" | tr '\n' ' '; }
errtext() { tr '\n' '|' < "$1"; }

# Test data, made once.
data=$scratch/data
mkdir "$data"
for n in 0 1 4095 4096 4097 1048579; do
  head -c "$n" /dev/urandom > "$data/r$n"
done
# binary with NULs and no trailing newline
{ printf 'a\000b\000\000\n'; head -c 5000 /dev/urandom; printf '\000\000end'; } > "$data/nul"
head -c 100000 /dev/urandom > "$data/r100k"
head -c 3145731 /dev/urandom > "$data/r3m"
printf 'c\nb\na\nb\n' > "$data/unsorted"
printf 'a\nb\nb\nc\n' > "$data/sorted"

# =====================================================================
# 1. sort f | tmpf sponge f
d=$scratch/inplace
mkdir "$d"
for mode in 0640 0600 0755 0444 0000 4755 2750 1644; do
  cp "$data/unsorted" "$d/f$mode"
  chmod "$mode" "$d/f$mode"
  i0=$(ino "$d/f$mode")
  # (a mode-0000 file is read through the data when not root)
  src=$d/f$mode
  [ $mode = 0000 ] && [ $root -eq 0 ] && src=$data/unsorted
  sort "$src" | "$TMPF" sponge "$d/f$mode" 2> "$d/err"
  rc=$?
  m=$(stat -c %04a "$d/f$mode")
  i1=$(ino "$d/f$mode")
  [ $root -eq 0 ] && chmod u+r "$d/f$mode" # to compare, when not root
  [ $rc -eq 0 ] && cmp -s "$d/f$mode" "$data/sorted" && [ "$i0" != "$i1" ] &&
    [ "$m" = "$mode" ] && [ ! -s "$d/err" ]
  check "sort_in_place_mode_$mode" $? "status $rc, mode $m, inode $i0 -> $i1, stderr: $(errtext "$d/err")"
done
[ "$(entries "$d")" = "err f0000 f0444 f0600 f0640 f0755 f1644 f2750 f4755 " ]
check sort_in_place_leaves_nothing_else $? "entries: $(entries "$d")"

# same, with the input spilled into the new file (-m 0, -m 1)
for m in 0 1; do
  cp "$data/unsorted" "$d/g$m"; chmod 0640 "$d/g$m"; i0=$(ino "$d/g$m")
  sort "$d/g$m" | "$TMPF" sponge -m "$m" "$d/g$m"; rc=$?
  [ $rc -eq 0 ] && cmp -s "$d/g$m" "$data/sorted" && [ "$(ino "$d/g$m")" != "$i0" ] &&
    [ "$(mode_of "$d/g$m")" = 640 ]
  check "sort_in_place_spilled_m$m" $? "status $rc, mode $(mode_of "$d/g$m")"
done

# owner and group (root)
if [ $root -eq 1 ]; then
  for mode in 0640 2755 4750; do
    f=$d/own$mode
    cp "$data/unsorted" "$f"; chown 1234:5678 "$f"; chmod "$mode" "$f"; i0=$(ino "$f")
    sort "$f" | "$TMPF" sponge "$f"; rc=$?
    o=$(stat -c %u:%g:%a "$f")
    [ $rc -eq 0 ] && cmp -s "$f" "$data/sorted" && [ "$o" = "1234:5678:${mode#0}" ] &&
      [ "$(ino "$f")" != "$i0" ]
    check "keeps_owner_group_mode_$mode" $? "status $rc, got $o, wanted 1234:5678:${mode#0}"
  done
  f=$d/ownbig
  head -c 200000 /dev/urandom > "$f"; chown 1234:5678 "$f"; chmod 0604 "$f"
  "$TMPF" sponge -m 1K "$f" < "$data/r100k"; rc=$?
  o=$(stat -c %u:%g:%a "$f")
  [ $rc -eq 0 ] && cmp -s "$f" "$data/r100k" && [ "$o" = "1234:5678:604" ]
  check keeps_owner_group_mode_spilled $? "status $rc, got $o"
else
  skip keeps_owner_group_mode "needs root: to chown a file to 1234:5678"
fi

# unprivileged: replacing a file owned by someone else, in a directory
# it may write (group-writable; sticky and its own)
if [ $root -eq 1 ]; then
  g=$scratch/groupdir
  mkdir "$g"; chown 0:65534 "$g"; chmod 0775 "$g"
  cp "$data/unsorted" "$g/f"; chown 1234:5678 "$g/f"; chmod 0644 "$g/f"; i0=$(ino "$g/f")
  sort "$g/f" | as_nobody "$TMPF" sponge "$g/f" 2> "$scratch/err"; rc=$?
  o=$(stat -c %u:%g:%a "$g/f")
  [ $rc -eq 0 ] && cmp -s "$g/f" "$data/sorted" && [ "$(ino "$g/f")" != "$i0" ] &&
    [ "$o" = "65534:65534:644" ] && [ "$(entries "$g")" = "f " ]
  check unprivileged_group_dir_replaces_others_file $? "status $rc, owner:group:mode $o, stderr: $(errtext "$scratch/err"), entries: $(entries "$g")"

  s=$scratch/stickydir
  mkdir "$s"; chown 65534:65534 "$s"; chmod 1777 "$s"
  cp "$data/unsorted" "$s/f"; chown 1234:5678 "$s/f"; chmod 0640 "$s/f"; i0=$(ino "$s/f")
  chmod o+r "$s/f" # readable for sort, still someone else's
  sort "$s/f" | as_nobody "$TMPF" sponge -m 0 "$s/f" 2> "$scratch/err"; rc=$?
  o=$(stat -c %u:%a "$s/f")
  [ $rc -eq 0 ] && cmp -s "$s/f" "$data/sorted" && [ "$o" = "65534:644" ] && [ "$(entries "$s")" = "f " ]
  check unprivileged_sticky_dir_replaces_others_file $? "status $rc, owner:mode $o, stderr: $(errtext "$scratch/err")"

  # a sticky directory neither owns (as /tmp): the rename over another
  # user's FILE is refused, even where FILE itself is writable (moreutils
  # would write it in place); FILE untouched, nothing left (tmpf(1))
  t=$scratch/stickyroot
  mkdir "$t"; chmod 1777 "$t"
  printf 'old\n' > "$t/f"; chown 1234:5678 "$t/f"; chmod 0666 "$t/f"; i0=$(ino "$t/f")
  for m in 64M 0; do
    printf 'new\n' | as_nobody "$TMPF" sponge -m $m "$t/f" 2> "$scratch/err"; rc=$?
    [ $rc -eq 1 ] && [ "$(cat "$t/f")" = old ] && [ "$(ino "$t/f")" = "$i0" ] && [ "$(entries "$t")" = "f " ] &&
      [ "$(cat "$scratch/err")" = "tmpf: sponge: cannot replace '$t/f': Operation not permitted" ]
    check "refuses_others_file_in_sticky_dir_m$m" $? "status $rc, f: $(cat "$t/f"), entries: $(entries "$t"), stderr: $(errtext "$scratch/err")"
  done

  # a member of the file's group keeps the group
  cp "$data/unsorted" "$g/h"; chown 1234:5678 "$g/h"; chmod 0664 "$g/h"
  sort "$g/h" | setpriv --reuid=65534 --regid=65534 --groups=5678 -- "$TMPF" sponge "$g/h" 2> "$scratch/err"; rc=$?
  o=$(stat -c %u:%g:%a "$g/h")
  [ $rc -eq 0 ] && cmp -s "$g/h" "$data/sorted" && [ "$o" = "65534:5678:664" ]
  check unprivileged_group_member_keeps_group $? "status $rc, got $o, wanted 65534:5678:664, stderr: $(errtext "$scratch/err")"
else
  for name in unprivileged_group_dir_replaces_others_file unprivileged_sticky_dir_replaces_others_file refuses_others_file_in_sticky_dir unprivileged_group_member_keeps_group; do
    skip $name "needs root: to make a file that another user (1234) owns"
  done
fi

# its own set-ID file keeps its mode (writing the new file must not
# cost it the set-ID bits); as uid 65534, or not root, as we are
o=$scratch/owndir
mkdir "$o"
if [ $root -eq 1 ]; then chown 65534:65534 "$o"; fi
for mode in 4755 2755 6750; do
  as_nobody sh -c 'cp "$1" "$2" && chmod "$3" "$2"' sh "$data/unsorted" "$o/f$mode" "$mode"
  sort "$o/f$mode" | as_nobody "$TMPF" sponge "$o/f$mode" 2> "$scratch/err"; rc=$?
  got=$(stat -c %04a "$o/f$mode")
  [ $rc -eq 0 ] && cmp -s "$o/f$mode" "$data/sorted" && [ "$got" = "$mode" ]
  check "unprivileged_own_file_keeps_mode_$mode" $? "status $rc, mode $got, wanted $mode, stderr: $(errtext "$scratch/err")"
done

# =====================================================================
# 2. symlinks
d=$scratch/links
mkdir "$d" "$d/sub" "$d/other"
printf 'old\n' > "$d/sub/t"; chmod 0640 "$d/sub/t"
ln -s sub/t "$d/l"
i0=$(ino "$d/sub/t")
printf 'new\n' | "$TMPF" sponge "$d/l"; rc=$?
[ $rc -eq 0 ] && [ -L "$d/l" ] && [ "$(readlink "$d/l")" = sub/t ] &&
  [ "$(cat "$d/sub/t")" = new ] && [ "$(mode_of "$d/sub/t")" = 640 ] &&
  [ "$(ino "$d/sub/t")" != "$i0" ] && [ "$(entries "$d")" = "l other sub " ] &&
  [ "$(entries "$d/sub")" = "t " ]
check symlink_followed_and_kept $? "status $rc, link -> $(readlink "$d/l"), target: $(cat "$d/sub/t"), mode $(mode_of "$d/sub/t"), entries: $(entries "$d") / $(entries "$d/sub")"

# a chain of links, relative to each link's own directory
printf 'old\n' > "$d/other/t2"
ln -s ../other/t2 "$d/sub/l1"
ln -s sub/l1 "$d/l2"
"$TMPF" sponge -m 0 "$d/l2" < "$data/r4097"; rc=$?
[ $rc -eq 0 ] && [ -L "$d/l2" ] && [ -L "$d/sub/l1" ] && cmp -s "$d/other/t2" "$data/r4097" &&
  [ "$(entries "$d/other")" = "t2 " ]
check symlink_chain_relative $? "status $rc, entries of other: $(entries "$d/other")"

# dangling: the target is created, the link kept
ln -s sub/new "$d/dl"
printf 'fresh' | "$TMPF" sponge "$d/dl"; rc=$?
[ $rc -eq 0 ] && [ -L "$d/dl" ] && [ "$(readlink "$d/dl")" = sub/new ] &&
  [ "$(cat "$d/sub/new")" = fresh ] && [ "$(mode_of "$d/sub/new")" = 644 ]
check symlink_dangling_creates_target $? "status $rc, link -> $(readlink "$d/dl"), target mode $(mode_of "$d/sub/new" 2>&1)"
ln -s sub/new2 "$d/dl2"
"$TMPF" sponge -m 1K "$d/dl2" < "$data/r100k"; rc=$?
[ $rc -eq 0 ] && [ -L "$d/dl2" ] && cmp -s "$d/sub/new2" "$data/r100k"
check symlink_dangling_spilled $? "status $rc"

# a link loop, and a dangling link into a missing directory: status 1,
# nothing made
ln -s loop "$d/loop"
ln -s nodir/x "$d/dl3"
before=$(entries "$d")
printf 'x' | "$TMPF" sponge "$d/loop" 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && [ -L "$d/loop" ] && [ "$(entries "$d")" = "$before" ] && one_error "$scratch/err"
check symlink_loop_fails $? "status $rc, stderr: $(errtext "$scratch/err")"
printf 'x' | "$TMPF" sponge "$d/dl3" 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && [ -L "$d/dl3" ] && [ "$(entries "$d")" = "$before" ] && one_error "$scratch/err"
check symlink_into_missing_dir_fails $? "status $rc, stderr: $(errtext "$scratch/err")"

# =====================================================================
# 3. -a / --append
d=$scratch/append
mkdir "$d"
printf 'old\n' > "$d/f"; chmod 0604 "$d/f"; i0=$(ino "$d/f")
printf 'new\n' | "$TMPF" sponge -a "$d/f"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$d/f")" = "old
new" ] && [ "$(mode_of "$d/f")" = 604 ] && [ "$(ino "$d/f")" != "$i0" ]
check append_short $? "status $rc, contents: $(tr '\n' '|' < "$d/f")"
printf 'more' | "$TMPF" sponge --append "$d/f"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$d/f")" = "old
new
more" ]
check append_long_option $? "status $rc, contents: $(tr '\n' '|' < "$d/f")"
printf 'only' | "$TMPF" sponge -a "$d/missing"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$d/missing")" = only ]
check append_to_missing_creates $? "status $rc"
"$TMPF" sponge -a "$d/missing2" < /dev/null; rc=$?
[ $rc -eq 0 ] && [ -f "$d/missing2" ] && [ ! -s "$d/missing2" ]
check append_empty_to_missing_creates_empty $? "status $rc"
# spilled, a large old file (copied in the kernel)
cp "$data/r3m" "$d/big"
"$TMPF" sponge -a -m 4K "$d/big" < "$data/r100k"; rc=$?
cat "$data/r3m" "$data/r100k" > "$scratch/want"
[ $rc -eq 0 ] && cmp -s "$d/big" "$scratch/want"
check append_spilled_large_old $? "status $rc"
cp "$data/r100k" "$d/big2"
cat "$data/r3m" | "$TMPF" sponge -a -m 0 "$d/big2"; rc=$?
cat "$data/r100k" "$data/r3m" > "$scratch/want"
[ $rc -eq 0 ] && cmp -s "$d/big2" "$scratch/want"
check append_spilled_pipe $? "status $rc"
# a file appended to itself
cp "$data/r1048579" "$d/self"
"$TMPF" sponge -a -m 4K "$d/self" < "$d/self"; rc=$?
cat "$data/r1048579" "$data/r1048579" > "$scratch/want"
[ $rc -eq 0 ] && cmp -s "$d/self" "$scratch/want"
check append_file_to_itself $? "status $rc, size $(stat -c %s "$d/self")"
printf 'old\n' > "$scratch/links/other/at"; chmod 0600 "$scratch/links/other/at"
ln -s ../other/at "$scratch/links/sub/al"
printf 'new\n' | "$TMPF" sponge -a "$scratch/links/sub/al"; rc=$?
[ $rc -eq 0 ] && [ -L "$scratch/links/sub/al" ] && [ "$(cat "$scratch/links/other/at")" = "old
new" ] && [ "$(mode_of "$scratch/links/other/at")" = 600 ]
check append_through_symlink $? "status $rc, target: $(tr '\n' '|' < "$scratch/links/other/at")"
# a file read into itself (no -a): the same bytes, a new inode
cp "$data/r1048579" "$d/self2"; i0=$(ino "$d/self2")
"$TMPF" sponge -m 4K "$d/self2" < "$d/self2"; rc=$?
[ $rc -eq 0 ] && cmp -s "$d/self2" "$data/r1048579" && [ "$(ino "$d/self2")" != "$i0" ]
check file_read_into_itself $? "status $rc, size $(stat -c %s "$d/self2")"
[ "$(entries "$d")" = "big big2 f missing missing2 self self2 " ]
check append_leaves_nothing_else $? "entries: $(entries "$d")"
rm -f "$scratch/want"

# =====================================================================
# 4. no FILE: standard output
out=$scratch/out
printf 'a\nb' | "$TMPF" sponge > "$out"; rc=$?
[ $rc -eq 0 ] && [ "$(od -An -c "$out" | tr -d ' \n')" = 'a\nb' ]
check stdout_text $? "status $rc"
"$TMPF" sponge < "$data/nul" > "$out"; rc=$?
[ $rc -eq 0 ] && cmp -s "$out" "$data/nul"
check stdout_binary_nuls $? "status $rc"
for m in 4K 1 0; do
  cat "$data/r100k" | "$TMPF" sponge -m "$m" > "$out"; rc=$?
  [ $rc -eq 0 ] && cmp -s "$out" "$data/r100k" && [ -z "$(entries "$TMPDIR")" ]
  check "stdout_rolled_over_m$m" $? "status $rc, TMPDIR: $(entries "$TMPDIR")"
done
"$TMPF" sponge -m 1K < "$data/r3m" > "$out"; rc=$?
[ $rc -eq 0 ] && cmp -s "$out" "$data/r3m" && [ -z "$(entries "$TMPDIR")" ]
check stdout_rolled_over_file_stdin $? "status $rc, TMPDIR: $(entries "$TMPDIR")"
"$TMPF" sponge < /dev/null > "$out"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$out" ]
check stdout_empty $? "status $rc"
# write errors are reported (a full device, a closed standard output),
# in memory and rolled over
for m in 64M 0; do
  "$TMPF" sponge -m $m < "$data/r100k" > /dev/full 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && one_error "$scratch/err" && grep -q 'No space left on device' "$scratch/err"
  check "stdout_full_device_m$m" $? "status $rc, stderr: $(errtext "$scratch/err")"
  "$TMPF" sponge -m $m < "$data/r100k" >&- 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && one_error "$scratch/err" && [ -z "$(entries "$TMPDIR")" ]
  check "stdout_closed_is_an_error_m$m" $? "status $rc (expected 1: the input went nowhere), stderr: $(errtext "$scratch/err")"
done
# The input rolled over to the spool's file, and its last bytes still in
# the spool's buffer can not be written back when the input ends (a file
# size limit: EFBIG): handing out the spool's fd fails before any copy.
# The message must say so, and come from no uninitialised variable
# (which valgrind sees, where installed).
if command -v prlimit > /dev/null 2>&1; then
  head -c $((512 * 1024 + 100)) /dev/urandom > "$data/r512k100"
  # two reads of 256 KiB go to the file directly, up to the limit; the
  # last 100 bytes wait in the buffer
  ( trap '' XFSZ; exec prlimit --fsize=524288 "$TMPF" sponge -m 0 < "$data/r512k100" > "$out" 2> "$scratch/err" ); rc=$?
  [ $rc -eq 1 ] && [ "$(cat "$scratch/err")" = "tmpf: sponge: cannot hold the input: File too large" ] &&
    [ ! -s "$out" ] && [ -z "$(entries "$TMPDIR")" ]
  check stdout_spool_write_back_fails $? "status $rc, stderr: $(errtext "$scratch/err"), TMPDIR: $(entries "$TMPDIR")"
  if grep -q 'ld-musl' "$TMPF" 2> /dev/null; then
    # valgrind replaces glibc's allocator, not musl's: every free of
    # musl's malloc would be an error of valgrind's own
    skip stdout_spool_write_back_fails_valgrind "tmpf is linked with musl, whose allocator valgrind does not replace"
  elif command -v valgrind > /dev/null 2>&1; then
    ( trap '' XFSZ; exec prlimit --fsize=524288 valgrind -q --error-exitcode=99 "$TMPF" sponge -m 0 < "$data/r512k100" > "$out" 2> "$scratch/err" ); rc=$?
    [ $rc -eq 1 ] && ! grep -q uninitialised "$scratch/err"
    check stdout_spool_write_back_fails_valgrind $? "status $rc, stderr: $(errtext "$scratch/err")"
  else
    skip stdout_spool_write_back_fails_valgrind "no valgrind"
  fi
else
  skip stdout_spool_write_back_fails "no prlimit (util-linux) to limit the file size"
fi
# What tmpf(1) warns of: sponge can not see its producer's status, so a
# failing producer still replaces FILE (here with nothing); the idiom
# given there keeps FILE.
printf 'keep\n' > "$scratch/pf"
false | "$TMPF" sponge "$scratch/pf"; rc=$?
[ $rc -eq 0 ] && [ ! -s "$scratch/pf" ]
check failing_producer_still_replaces_file $? "status $rc, size $(wc -c < "$scratch/pf")"
printf 'keep\n' > "$scratch/pf"
tmp=$("$TMPF" mktemp) && { false > "$tmp" && "$TMPF" sponge "$scratch/pf" < "$tmp"; }; rm -f "$tmp"
[ "$(cat "$scratch/pf")" = keep ]
check documented_idiom_keeps_file_when_producer_fails $? "f: $(cat "$scratch/pf")"

# =====================================================================
# 5. exactly the input bytes, around the memory limit
d=$scratch/exact
mkdir "$d"
for n in 0 1 4095 4096 4097 1048579; do
  for m in 4K 0; do
    printf 'old contents\n' > "$d/f"
    cat "$data/r$n" | "$TMPF" sponge -m $m "$d/f"; rc=$?
    [ $rc -eq 0 ] && cmp -s "$d/f" "$data/r$n"
    check "exact_${n}_bytes_pipe_m$m" $? "status $rc, size $(stat -c %s "$d/f")"
  done
  printf 'old contents\n' > "$d/f"
  "$TMPF" sponge -m 4K "$d/f" < "$data/r$n"; rc=$?
  [ $rc -eq 0 ] && cmp -s "$d/f" "$data/r$n"
  check "exact_${n}_bytes_file_stdin" $? "status $rc, size $(stat -c %s "$d/f")"
  "$TMPF" sponge -m 4K < "$data/r$n" > "$out"; rc=$?
  [ $rc -eq 0 ] && cmp -s "$out" "$data/r$n"
  check "exact_${n}_bytes_stdout" $? "status $rc, size $(stat -c %s "$out")"
done
# a synced, spilled copy of more than a few MiB (the disk is set writing
# while the input comes: write-behind), and the same unsynced
head -c 20000003 /dev/urandom > "$data/r20m"
for opt in --durable --no-sync ""; do
  cat "$data/r20m" | "$TMPF" sponge $opt -m 1M "$d/f"; rc=$?
  [ $rc -eq 0 ] && cmp -s "$d/f" "$data/r20m"
  label=${opt#--}
  check "exact_20MB_pipe_${label:-default}" $? "status $rc, size $(stat -c %s "$d/f")"
done
rm -f "$data/r20m"
printf 'no newline' | "$TMPF" sponge "$d/f"; rc=$?
[ $rc -eq 0 ] && [ "$(od -An -c "$d/f" | tr -d ' \n')" = 'nonewline' ] && [ "$(stat -c %s "$d/f")" = 10 ]
check exact_no_trailing_newline $? "status $rc"
"$TMPF" sponge -m 4K "$d/f" < "$data/nul"; rc=$?
[ $rc -eq 0 ] && cmp -s "$d/f" "$data/nul"
check exact_binary_nuls $? "status $rc"
"$TMPF" sponge "$d/new_empty" < /dev/null; rc=$?
[ $rc -eq 0 ] && [ -f "$d/new_empty" ] && [ ! -s "$d/new_empty" ]
check exact_empty_input_new_file $? "status $rc"
# standard input a file read partly already: the rest, from where it is
( dd bs=1000 count=1 of=/dev/null 2>/dev/null; "$TMPF" sponge -m 4K "$d/f" ) < "$data/r1048579"; rc=$?
tail -c +1001 "$data/r1048579" > "$scratch/want"
[ $rc -eq 0 ] && cmp -s "$d/f" "$scratch/want"
check exact_file_stdin_at_offset $? "status $rc, size $(stat -c %s "$d/f")"
rm -f "$scratch/want"
[ "$(entries "$d")" = "f new_empty " ]
check exact_leaves_nothing_else $? "entries: $(entries "$d")"

# =====================================================================
# 6. a new FILE's mode: 0666 & ~umask
d=$scratch/umask
mkdir "$d"
for u in 022 077 027 000; do
  for m in 64M 0; do
    ( umask $u; printf 'x\n' | "$TMPF" sponge -m $m "$d/n$u$m" ); rc=$?
    want=$(printf '%o' $((0666 & ~0$u)))
    got=$(mode_of "$d/n$u$m")
    [ $rc -eq 0 ] && [ "$got" = "$want" ] && [ "$(cat "$d/n$u$m")" = x ]
    check "new_file_mode_umask_${u}_m$m" $? "status $rc, mode $got, wanted $want"
  done
done

# a new file in a set-group-ID directory gets the directory's group, as
# open(2) would give it; an old one keeps its own (root; not root, with a
# second group of ours where we have one)
g2=
[ $root -eq 0 ] && g2=$(id -G | tr ' ' '\n' | grep -v -x "$(id -g)" | head -n 1)
if [ $root -eq 1 ]; then
  mkdir "$d/sgid"; chown 0:5678 "$d/sgid"; chmod 2775 "$d/sgid"
  printf 'x\n' | "$TMPF" sponge "$d/sgid/new"; rc=$?
  [ $rc -eq 0 ] && [ "$(stat -c %g "$d/sgid/new")" = 5678 ]
  check new_file_in_setgid_dir_gets_dir_group $? "status $rc, group $(stat -c %g "$d/sgid/new" 2>&1)"
  printf 'old\n' > "$d/sgid/old"; chown 1234:4321 "$d/sgid/old"; chmod 0664 "$d/sgid/old"
  printf 'x\n' | "$TMPF" sponge -m 0 "$d/sgid/old"; rc=$?
  [ $rc -eq 0 ] && [ "$(stat -c %u:%g:%a "$d/sgid/old")" = 1234:4321:664 ]
  check setgid_dir_old_file_keeps_its_group $? "status $rc, got $(stat -c %u:%g:%a "$d/sgid/old")"
elif [ -n "$g2" ]; then
  mkdir "$d/sgid"; chgrp "$g2" "$d/sgid"; chmod 2775 "$d/sgid"
  printf 'x\n' | "$TMPF" sponge "$d/sgid/new"; rc=$?
  [ $rc -eq 0 ] && [ "$(stat -c %g "$d/sgid/new")" = "$g2" ]
  check new_file_in_setgid_dir_gets_dir_group $? "status $rc, group $(stat -c %g "$d/sgid/new" 2>&1) (wanted $g2), directory: $(stat -c %a:%g "$d/sgid")"
  own=$(id -u):$(id -g)
  printf 'old\n' > "$d/sgid/old"; chgrp "$(id -g)" "$d/sgid/old"; chmod 0664 "$d/sgid/old"
  printf 'x\n' | "$TMPF" sponge -m 0 "$d/sgid/old"; rc=$?
  [ $rc -eq 0 ] && [ "$(stat -c %u:%g:%a "$d/sgid/old")" = "$own:664" ]
  check setgid_dir_old_file_keeps_its_group $? "status $rc, got $(stat -c %u:%g:%a "$d/sgid/old"), wanted $own:664"
else
  skip setgid_dir_groups "needs root, or a second group: to make a set-group-ID directory of a group not our own"
fi

# =====================================================================
# 7. --durable, --no-sync
d=$scratch/sync
mkdir "$d"
for opt in --durable --no-sync; do
  for m in 64M 0; do
    printf 'old\n' > "$d/f"; i0=$(ino "$d/f")
    "$TMPF" sponge $opt -m $m "$d/f" < "$data/r100k"; rc=$?
    [ $rc -eq 0 ] && cmp -s "$d/f" "$data/r100k" && [ "$(ino "$d/f")" != "$i0" ]
    check "option${opt#-}_m$m" $? "status $rc"
  done
done
# LeakSanitizer (make asan) can not run under ptrace or without /proc.
no_lsan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
if command -v strace > /dev/null 2>&1; then
  for opt in default --durable --no-sync; do
    case $opt in
      default) want=1 o="" ;;
      --durable) want=2 o=$opt ;;
      *) want=0 o=$opt ;;
    esac
    for m in 64M 0; do
      for target in old new; do
        rm -f "$d/f"
        [ $target = old ] && printf 'old\n' > "$d/f"
        env "$no_lsan" strace -f -y -e trace=fsync,fdatasync -o "$scratch/strace" \
          "$TMPF" sponge $o -m $m "$d/f" < "$data/r100k" 2> "$scratch/err"; rc=$?
        n=$(grep -c -E '(fsync|fdatasync)\(' "$scratch/strace")
        ndir=$(grep -c -E "(fsync|fdatasync)\([0-9]+<$d>\)" "$scratch/strace")
        case $want in 2) wantdir=1 ;; *) wantdir=0 ;; esac
        [ $rc -eq 0 ] && cmp -s "$d/f" "$data/r100k" && [ "$n" -eq $want ] && [ "$ndir" -eq $wantdir ]
        check "fsync_count_${opt#--}_m${m}_$target" $? "status $rc, $n syncs ($ndir of the directory), wanted $want ($wantdir): $(grep -E 'sync\(' "$scratch/strace" | tr '\n' '|')"
      done
    done
  done
else
  skip fsync_counts "no strace on PATH: cannot count the syncs"
fi

# --durable in a directory the user may write but not read: the
# directory can not be synced.  Its status must agree with FILE and what
# it says: 1 with FILE untouched, or (documented) 1 with a message that
# FILE was replaced but its directory not synced, or 0 and replaced.
d=$scratch/wonly
mkdir "$d"
printf 'old\n' > "$d/f"
[ $root -eq 1 ] && chown -R 65534:65534 "$d"
chmod 0300 "$d"
printf 'new\n' | as_nobody "$TMPF" sponge --durable "$d/f" 2> "$scratch/err"; rc=$?
chmod 0700 "$d"
c=$(cat "$d/f")
{ [ $rc -eq 0 ] && [ "$c" = new ]; } || { [ $rc -eq 1 ] && [ "$c" = old ]; } ||
  { [ $rc -eq 1 ] && [ "$c" = new ] && grep -q "^tmpf: sponge: replaced, but could not sync the directory of '.*': Permission denied$" "$scratch/err"; }
check durable_unreadable_dir_status_matches_file $? "status $rc but FILE holds '$c' (exit 1 must mean FILE untouched unless it says replaced), stderr: $(errtext "$scratch/err")"

# =====================================================================
# readers of FILE see the old contents or the new, never a mix
d=$scratch/readers
mkdir "$d"
head -c 300000 /dev/urandom > "$d/A"
head -c 200000 /dev/urandom > "$d/B"
cp "$d/A" "$d/f"
(
  i=0
  while [ $i -lt 30 ]; do
    "$TMPF" sponge --no-sync -m 4K "$d/f" < "$d/B" || exit 1
    "$TMPF" sponge --no-sync "$d/f" < "$d/A" || exit 1
    i=$((i + 1))
  done
) &
spid=$!
bg_pids=$spid
mixed=0 reads=0
while kill -0 $spid 2> /dev/null; do
  cat "$d/f" > "$d/snap"
  reads=$((reads + 1))
  cmp -s "$d/snap" "$d/A" || cmp -s "$d/snap" "$d/B" || mixed=$((mixed + 1))
done
wait $spid; rc=$?
bg_pids=""
[ $rc -eq 0 ] && [ $mixed -eq 0 ] && cmp -s "$d/f" "$d/A" && [ "$(entries "$d")" = "A B f snap " ]
check readers_never_see_a_mix $? "writers' status $rc, $mixed of $reads reads were neither old nor new, entries: $(entries "$d")"

# two sponges at once: FILE is one input or the other, whole
for i in 1 2 3 4 5; do
  "$TMPF" sponge -m 4K "$d/f" < "$d/A" & p1=$!
  "$TMPF" sponge -m 4K "$d/f" < "$d/B"; r2=$?
  wait $p1; r1=$?
  [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && { cmp -s "$d/f" "$d/A" || cmp -s "$d/f" "$d/B"; } || break
done
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && { cmp -s "$d/f" "$d/A" || cmp -s "$d/f" "$d/B"; } && [ "$(entries "$d")" = "A B f snap " ]
check concurrent_sponges_one_wins_whole $? "status $r1 and $r2, entries: $(entries "$d")"

# =====================================================================
# 8. failures leave FILE and its directory as they were
d=$scratch/fail
mkdir "$d" "$d/adir"
printf 'precious\n' > "$d/f"; cp "$d/f" "$scratch/ref"
i0=$(ino "$d/f")
before=$(entries "$d")
untouched() { cmp -s "$d/f" "$scratch/ref" && [ "$(ino "$d/f")" = "$i0" ] && [ "$(entries "$d")" = "$before" ]; }

for m in 64M 0; do
  "$TMPF" sponge -m $m "$d/f" < "$d/adir" 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && untouched && one_error "$scratch/err"
  check "fail_stdin_is_a_directory_m$m" $? "status $rc, stderr: $(errtext "$scratch/err"), entries: $(entries "$d")"
done
for m in 64M 0; do
  printf 'x\n' | "$TMPF" sponge -m $m "$d/adir" 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && untouched && [ -z "$(entries "$d/adir")" ] && one_error "$scratch/err"
  check "fail_file_is_a_directory_m$m" $? "status $rc, stderr: $(errtext "$scratch/err")"
  printf 'x\n' | "$TMPF" sponge -m $m "$d/f/" 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && untouched && one_error "$scratch/err"
  check "fail_file_with_trailing_slash_m$m" $? "status $rc, stderr: $(errtext "$scratch/err")"
  printf 'x\n' | "$TMPF" sponge -m $m "$d/nodir/f" 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && untouched && one_error "$scratch/err"
  check "fail_missing_directory_m$m" $? "status $rc, stderr: $(errtext "$scratch/err")"
done

ln -s adir "$d/dirlink"
before=$(entries "$d")
printf 'x\n' | "$TMPF" sponge "$d/dirlink" 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && untouched && [ -L "$d/dirlink" ] && [ -z "$(entries "$d/adir")" ] && one_error "$scratch/err"
check fail_symlink_to_a_directory $? "status $rc, stderr: $(errtext "$scratch/err")"
"$TMPF" sponge "$d/f" <&- 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && untouched && one_error "$scratch/err"
check fail_stdin_closed $? "status $rc, stderr: $(errtext "$scratch/err")"
nl='
'
printf 'x\n' | "$TMPF" sponge "$d/no${nl}dir/f" 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && untouched && one_error "$scratch/err"
check fail_error_for_a_name_with_newline_is_one_line $? "status $rc, stderr: $(errtext "$scratch/err")"

# a read-only directory, as an unprivileged user (root would pass)
r=$scratch/rodir
mkdir "$r"
printf 'precious\n' > "$r/f"; chmod 0666 "$r/f"; chmod 0555 "$r"
ri0=$(ino "$r/f")
for m in 64M 0; do
  cat "$data/r100k" | as_nobody "$TMPF" sponge -m $m "$r/f" 2> "$scratch/err"; rc=$?
  [ $rc -eq 1 ] && cmp -s "$r/f" "$scratch/ref" && [ "$(ino "$r/f")" = "$ri0" ] &&
    [ "$(entries "$r")" = "f " ] && one_error "$scratch/err"
  check "fail_read_only_directory_unprivileged_m$m" $? "status $rc, stderr: $(errtext "$scratch/err"), entries: $(entries "$r")"
done
# -a on a file the user may not read (in its own directory)
u=$scratch/unreadable
mkdir "$u"
printf 'precious\n' > "$u/f"
[ $root -eq 1 ] && chown -R 65534:65534 "$u"
chmod 0200 "$u/f"
ui0=$(ino "$u/f")
for m in 64M 0; do
  cat "$data/r100k" | as_nobody "$TMPF" sponge -a -m $m "$u/f" 2> "$scratch/err"; rc=$?
  chmod 0600 "$u/f" # (to compare, when not root)
  [ $rc -eq 1 ] && cmp -s "$u/f" "$scratch/ref" && [ "$(ino "$u/f")" = "$ui0" ] &&
    [ "$(entries "$u")" = "f " ] && one_error "$scratch/err"
  st=$?
  chmod 0200 "$u/f"
  [ $st -eq 0 ]
  check "fail_append_unreadable_file_m$m" $? "status $rc, stderr: $(errtext "$scratch/err"), entries: $(entries "$u")"
done

# the command line: status 2, nothing read or written
usage_case() { # NAME ARGS...
  name=$1; shift
  printf 'x\n' | "$TMPF" sponge "$@" > "$scratch/out1" 2> "$scratch/err"; rc=$?
  [ $rc -eq 2 ] && untouched && [ ! -s "$scratch/out1" ] &&
    head -n 1 "$scratch/err" | grep -q '^tmpf: sponge: '
  check "usage_$name" $? "status $rc, stderr: $(errtext "$scratch/err"), entries: $(entries "$d")"
}
usage_case unknown_long_option --bogus "$d/f"
usage_case unknown_short_option -x "$d/f"
usage_case two_files "$d/f" "$d/g"
usage_case memory_12Q -m 12Q "$d/f"
usage_case memory_empty -m '' "$d/f"
usage_case memory_negative -m -1 "$d/f"
usage_case memory_KB --memory=1KB "$d/f"
usage_case memory_huge -m 99999999999G "$d/f"
usage_case memory_missing_argument "$d/f" -m
mkdir "$scratch/dashdash"
printf 'x\n' | ( cd "$scratch/dashdash" && "$TMPF" sponge -- -a ); rc=$?
[ $rc -eq 0 ] && [ "$(cat "$scratch/dashdash/-a" 2>&1)" = x ] && [ "$(entries "$scratch/dashdash")" = "-a " ]
check double_dash_ends_options $? "status $rc, entries: $(entries "$scratch/dashdash")"
"$TMPF" sponge --help > "$scratch/out1" 2> "$scratch/err"; rc=$?
[ $rc -eq 0 ] && head -n 1 "$scratch/out1" | grep -q '^Usage: tmpf sponge' && [ ! -s "$scratch/err" ]
check help $? "status $rc"

# =====================================================================
# 9. signals: nothing changes, nothing is left, the signal ends sponge
# tmpf must start with SIGINT not ignored (a background job's is)
if env --default-signal=INT true 2> /dev/null; then
  dflint="env --default-signal=INT"
elif command -v perl > /dev/null 2>&1; then
  dflint="perl -e \$SIG{INT}='DEFAULT';exec(@ARGV)||die"
else
  dflint=""
fi

# rchar PID: bytes the process has read so far
rchar() { sed -n 's/^rchar: //p' "/proc/$1/io" 2> /dev/null; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
  t=$(($1 * 20)); shift
  while [ $t -gt 0 ]; do
    "$@" && return 0
    sleep 0.05; t=$((t - 1))
  done
  return 1
}
has_read() { r=$(rchar "$1"); [ -n "$r" ] && [ "$r" -ge "$2" ]; }
# has_fd_in PID DIR: the process has a file under DIR open
has_fd_in() {
  for fd in /proc/$1/fd/*; do
    case $(readlink "$fd" 2> /dev/null) in "$2"/*) return 0 ;; esac
  done
  return 1
}

sig_case() { # SIG NUM PHASE(memory|spilled|stdout)
  sig=$1 num=$2 phase=$3
  name=${phase}_$sig
  if [ $sig = INT ] && [ -z "$dflint" ]; then
    check "signal_$name" 1 "no env --default-signal nor perl to start tmpf with SIGINT not ignored"
    return
  fi
  sd=$scratch/sig_$name
  mkdir "$sd" "$sd.tmp"
  printf 'precious\n' > "$sd/f"
  si0=$(ino "$sd/f")
  sbefore=$(entries "$sd")
  mkfifo "$sd.fifo"
  ( head -c 100000 /dev/urandom; exec sleep 30 ) > "$sd.fifo" &
  wpid=$!
  bg_pids=$wpid
  case $phase in
    memory) TMPDIR=$sd.tmp $dflint "$TMPF" sponge "$sd/f" < "$sd.fifo" > "$sd.out" 2> "$sd.err" & ;;
    spilled) TMPDIR=$sd.tmp $dflint "$TMPF" sponge -m 1K "$sd/f" < "$sd.fifo" > "$sd.out" 2> "$sd.err" & ;;
    stdout) TMPDIR=$sd.tmp $dflint "$TMPF" sponge -m 1K < "$sd.fifo" > "$sd.out" 2> "$sd.err" & ;;
  esac
  tpid=$!
  bg_pids="$wpid $tpid"
  state=ok
  wait_for 10 has_read $tpid 100000 || state="it did not read the input in 10 s (rchar $(rchar $tpid))"
  sleep 0.2
  case $phase in
    memory) ! has_fd_in $tpid "$sd" || state="it spilled into FILE's directory before the memory limit" ;;
    spilled) wait_for 5 has_fd_in $tpid "$sd" || state="no file open in FILE's directory: not spilled" ;;
    stdout) wait_for 5 has_fd_in $tpid "$sd.tmp" || state="no file open in TMPDIR: not rolled over" ;;
  esac
  kill -s $sig $tpid
  wait $tpid 2> /dev/null; rc=$?
  kill $wpid 2> /dev/null; wait $wpid 2> /dev/null
  bg_pids=""
  # Where no file is unnamed (no O_TMPFILE or /proc, platform.h), the
  # spill is a hidden sibling from the start: SIGKILL leaves it, and
  # reap takes it once its process is gone.
  if [ $sig = KILL ] && [ $phase = spilled ] &&
     [ "${TF_HAVE_O_TMPFILE:-1}${TF_HAVE_PROC_FD:-1}" != 11 ]; then
    case $(entries "$sd") in *.f.tf-*) "$TMPF" reap "$sd" > /dev/null ;;
      *) state="no hidden sibling left by SIGKILL" ;; esac
  fi
  [ "$state" = ok ] && [ $rc -eq $((128 + num)) ] && cmp -s "$sd/f" "$scratch/ref" &&
    [ "$(ino "$sd/f")" = "$si0" ] && [ "$(entries "$sd")" = "$sbefore" ] &&
    [ -z "$(entries "$sd.tmp")" ] && [ ! -s "$sd.out" ]
  check "signal_$name" $? "$state; status $rc (wanted $((128 + num))), entries: $(entries "$sd") / TMPDIR: $(entries "$sd.tmp"), FILE: $(head -c 20 "$sd/f" | tr '\n' '|'), stderr: $(errtext "$sd.err")"
}
for phase in memory spilled stdout; do
  sig_case TERM 15 $phase
  sig_case INT 2 $phase
  sig_case HUP 1 $phase
  sig_case KILL 9 $phase
done

# SIGINT on a foreground command (where the shell leaves it alone)
sd=$scratch/sig_fg
mkdir "$sd"
printf 'precious\n' > "$sd/f"
si0=$(ino "$sd/f")
mkfifo "$sd.fifo"
( head -c 100000 /dev/urandom; exec sleep 30 ) > "$sd.fifo" &
wpid=$!
bg_pids=$wpid
timeout -s INT 1 $dflint "$TMPF" sponge -m 1K "$sd/f" < "$sd.fifo"; rc=$?
kill $wpid 2> /dev/null; wait $wpid 2> /dev/null
bg_pids=""
# timeout reports 124 when it sent the signal; the command's own 130 with
# --preserve-status
[ $rc -eq 124 ] && cmp -s "$sd/f" "$scratch/ref" && [ "$(ino "$sd/f")" = "$si0" ] && [ "$(entries "$sd")" = "f " ]
check signal_INT_foreground_timeout $? "status $rc, entries: $(entries "$sd")"
( head -c 100000 /dev/urandom; exec sleep 30 ) > "$sd.fifo" &
wpid=$!
bg_pids=$wpid
timeout --preserve-status -s INT 1 $dflint "$TMPF" sponge -m 1K "$sd/f" < "$sd.fifo"; rc=$?
kill $wpid 2> /dev/null; wait $wpid 2> /dev/null
bg_pids=""
[ $rc -eq 130 ] && cmp -s "$sd/f" "$scratch/ref" && [ "$(entries "$sd")" = "f " ]
check signal_INT_foreground_status $? "status $rc (wanted 130), entries: $(entries "$sd")"

# =====================================================================
# 10. a full disk (a 1 MiB tmpfs in a private mount namespace)
full_inner='
T=$1 d=$2 o=$3; shift 3
mount -t tmpfs -o size=1M,mode=0755 tmpfs "$d" || { echo "mount failed" > "$o/rc"; exit 0; }
head -c 300000 /dev/urandom > "$d/f"
cp "$d/f" "$o/ref"
stat -c %i "$d/f" > "$o/ino0"
ls -A "$d" > "$o/ls0"
df -k "$d" | sed -n "2p" | tr -s " " | cut -d " " -f 3 > "$o/used0"
if [ "$1" = stdout ]; then
  shift
  head -c 2M /dev/zero | TMPDIR=$d "$T" sponge "$@" > /dev/null 2> "$o/err"
else
  head -c 2M /dev/zero | "$T" sponge "$@" "$d/f" 2> "$o/err"
fi
echo $? > "$o/rc"
stat -c %i "$d/f" > "$o/ino1"
ls -A "$d" > "$o/ls1"
df -k "$d" | sed -n "2p" | tr -s " " | cut -d " " -f 3 > "$o/used1"
cmp -s "$d/f" "$o/ref"; echo $? > "$o/cmp"
'
if [ $root -eq 1 ]; then unshare_cmd="unshare -m"; else unshare_cmd="unshare -r -m"; fi
# not root: a user namespace to mount in, where there is one
no_ns=
if [ $root -eq 0 ] && ! unshare -r -m true 2> /dev/null; then
  no_ns="not root, and no user namespace ('unshare -r -m' fails): cannot mount"
fi
full_case() { # NAME ARGS...
  name=$1; shift
  if [ -n "$no_ns" ]; then skip "full_disk_$name" "$no_ns"; return; fi
  fo=$scratch/full_$name
  mkdir "$fo" "$fo/mnt"
  $unshare_cmd sh -c "$full_inner" sh "$TMPF" "$fo/mnt" "$fo" "$@" 2> "$fo/unshare_err"
  rc=$(cat "$fo/rc" 2> /dev/null)
  case $rc in
    [0-9]*)
      [ "$rc" -eq 1 ] && [ "$(cat "$fo/cmp")" = 0 ] && [ "$(cat "$fo/ino0")" = "$(cat "$fo/ino1")" ] &&
        cmp -s "$fo/ls0" "$fo/ls1" && [ "$(cat "$fo/used0")" = "$(cat "$fo/used1")" ] &&
        grep -q 'No space left on device' "$fo/err" && one_error "$fo/err"
      check "full_disk_$name" $? "status $rc, f unchanged: $(cat "$fo/cmp"), entries: $(tr '\n' ' ' < "$fo/ls1"), KiB used $(cat "$fo/used0") -> $(cat "$fo/used1"), stderr: $(errtext "$fo/err")"
      ;;
    *)
      check "full_disk_$name" 1 "could not mount a tmpfs with '$unshare_cmd' ($rc $(errtext "$fo/unshare_err"))"
      ;;
  esac
}
full_case default_memory
full_case m0 -m 0
full_case m1M -m 1M
full_case append_m0 -a -m 0
full_case durable --durable
full_case stdout_spool stdout -m 0

# =====================================================================
# Without /proc the replacement can not be an unnamed file (it could not
# be linked): it is a hidden sibling ".NAME.tf-RANDOM" from the start, as
# on btrfs.  A private mount namespace hides /proc; the same promises
# hold (except after SIGKILL, which no process can clean up after).
named_inner='
T=$1 o=$2 data=$3 isroot=$4 dflint=$5
res() { printf "%s|%s|%s\n" "$1" "$2" "$3" >> "$o/results"; }
entries() { ls -A "$1" | tr "\n" " "; }
mount -t tmpfs tmpfs /proc || { res hide_proc 1 "could not mount a tmpfs on /proc"; exit 0; }
[ -e /proc/self/fd ] && { res hide_proc 1 "/proc/self/fd still visible"; exit 0; }
# An ASan build (make asan) reads its options from /proc/self/environ:
# give it just that, so its leak checker, which needs the real /proc,
# stays off.  /proc/self/fd stays missing.
mkdir /proc/self && printf "ASAN_OPTIONS=detect_leaks=0\000" > /proc/self/environ
d=$o/d
mkdir "$d"

printf "c\nb\na\n" > "$d/f"; chmod 0640 "$d/f"
want=640
if [ "$isroot" = 1 ]; then chown 1234:5678 "$d/f"; want=1234:5678:640; fi
i0=$(stat -c %i "$d/f")
sort "$d/f" | "$T" sponge "$d/f"; rc=$?
if [ "$isroot" = 1 ]; then got=$(stat -c %u:%g:%a "$d/f"); else got=$(stat -c %a "$d/f"); fi
[ $rc -eq 0 ] && [ "$(cat "$d/f")" = "a
b
c" ] && [ "$got" = "$want" ] && [ "$(stat -c %i "$d/f")" != "$i0" ] && [ "$(entries "$d")" = "f " ]
res sort_in_place $? "status $rc, got $got (wanted $want), entries: $(entries "$d")"

"$T" sponge -m 0 "$d/f" < "$data/r100k"; rc=$?
[ $rc -eq 0 ] && cmp -s "$d/f" "$data/r100k" && [ "$(entries "$d")" = "f " ]
res spilled $? "status $rc, entries: $(entries "$d")"

( umask 077; printf x | "$T" sponge -m 0 "$d/new" ); rc=$?
[ $rc -eq 0 ] && [ "$(stat -c %a "$d/new")" = 600 ] && [ "$(entries "$d")" = "f new " ]
res new_file_umask_077 $? "status $rc, mode $(stat -c %a "$d/new"), entries: $(entries "$d")"
rm -f "$d/new"

long=$(printf "%0255d" 0 | tr 0 a)
printf old > "$d/$long"
"$T" sponge -m 0 "$d/$long" < "$data/r4097"; rc=$?
cmp -s "$d/$long" "$data/r4097" && [ $rc -eq 0 ] && [ "$(entries "$d")" = "$long f " ]
res name_of_255_bytes $? "status $rc, entries: $(entries "$d" | cut -c 1-80)"
rm -f "$d/$long"

printf "precious\n" > "$d/f"; cp "$d/f" "$o/ref"; i0=$(stat -c %i "$d/f")
for m in 64M 0; do
  "$T" sponge -m $m "$d/f" < "$d" 2> /dev/null; rc=$?
  [ $rc -eq 1 ] && cmp -s "$d/f" "$o/ref" && [ "$(entries "$d")" = "f " ]
  res "stdin_is_a_directory_m$m" $? "status $rc, entries: $(entries "$d")"
done

for sn in TERM:15 INT:2 HUP:1; do
  sig=${sn%:*} num=${sn#*:}
  mkfifo "$o/fifo$sig"
  ( head -c 100000 /dev/urandom; exec sleep 30 ) > "$o/fifo$sig" &
  wpid=$!
  $dflint "$T" sponge -m 1K "$d/f" < "$o/fifo$sig" &
  tpid=$!
  t=200 seen=0
  while [ $t -gt 0 ]; do
    case $(ls -A "$d") in *.f.tf-*) seen=1; break ;; esac
    sleep 0.05; t=$((t - 1))
  done
  sleep 0.2
  kill -s $sig $tpid
  wait $tpid 2> /dev/null; rc=$?
  kill $wpid; wait $wpid 2> /dev/null
  [ $seen -eq 1 ] && [ $rc -eq $((128 + num)) ] && cmp -s "$d/f" "$o/ref" &&
    [ "$(stat -c %i "$d/f")" = "$i0" ] && [ "$(entries "$d")" = "f " ]
  res "signal_spilled_$sig" $? "hidden file seen: $seen, status $rc (wanted $((128 + num))), entries: $(entries "$d")"
done

mkdir "$o/full"
if mount -t tmpfs -o size=1M tmpfs "$o/full"; then
  head -c 300000 /dev/urandom > "$o/full/f"; cp "$o/full/f" "$o/fullref"
  for m in 64M 0; do
    head -c 2M /dev/zero | "$T" sponge -m $m "$o/full/f" 2> "$o/err"; rc=$?
    [ $rc -eq 1 ] && cmp -s "$o/full/f" "$o/fullref" && [ "$(entries "$o/full")" = "f " ] &&
      grep -q "No space left on device" "$o/err"
    res "full_disk_m$m" $? "status $rc, entries: $(entries "$o/full"), stderr: $(tr "\n" "|" < "$o/err")"
  done
else
  res full_disk 1 "could not mount a 1 MiB tmpfs"
fi
'
no=$scratch/named
mkdir "$no"
if [ -n "$no_ns" ]; then
  skip no_proc "$no_ns"
else
  env "$no_lsan" $unshare_cmd sh -c "$named_inner" sh "$TMPF" "$no" "$data" $root "$dflint" 2> "$no/unshare_err"
  if [ -s "$no/results" ]; then
    while IFS='|' read -r name st detail; do
      check "no_proc_$name" "$st" "$detail"
    done < "$no/results"
  else
    check no_proc 1 "could not run in a mount namespace with '$unshare_cmd': $(errtext "$no/unshare_err")"
  fi
fi

# =====================================================================
# 12. FILEs that are no regular files
printf 'x\n' | "$TMPF" sponge /dev/null 2> "$scratch/err"; rc=$?
[ $rc -eq 0 ] && [ -c /dev/null ] && [ "$(stat -c %t:%T /dev/null)" = 1:3 ] && [ ! -s "$scratch/err" ]
check dev_null $? "status $rc, stderr: $(errtext "$scratch/err")"
"$TMPF" sponge -m 1K /dev/null < "$data/r100k" 2> "$scratch/err"; rc=$?
[ $rc -eq 0 ] && [ -c /dev/null ] && [ "$(stat -c %t:%T /dev/null)" = 1:3 ] && [ ! -s "$scratch/err" ]
check dev_null_input_over_memory_limit $? "status $rc, stderr: $(errtext "$scratch/err")"
d=$scratch/fifo
mkdir "$d"
mkfifo "$d/p"
for m in 64M 1K; do
  cat "$d/p" > "$scratch/fifo_out" &
  rpid=$!
  bg_pids=$rpid
  "$TMPF" sponge -m $m "$d/p" < "$data/r100k" 2> "$scratch/err"; rc=$?
  # a sponge that failed never opened the FIFO: let the reader go
  [ $rc -eq 0 ] || : > "$d/p" &
  wait $rpid
  bg_pids=""
  [ $rc -eq 0 ] && [ -p "$d/p" ] && cmp -s "$scratch/fifo_out" "$data/r100k" &&
    [ "$(entries "$d")" = "p " ] && [ -z "$(entries "$TMPDIR")" ]
  check "fifo_with_reader_m$m" $? "status $rc, got $(stat -c %s "$scratch/fifo_out") bytes, stderr: $(errtext "$scratch/err")"
done
wait

# =====================================================================
# 11. 2 GiB of input in bounded memory (last: the slow part)
big=$scratch/big
avail=$(df -Pk "$scratch" | sed -n 2p | tr -s ' ' | cut -d ' ' -f 4)
for m in default 16M; do
  case $m in default) limit=81920 o="" ;; *) limit=32768 o="-m $m" ;; esac
  if [ "${avail:-0}" -le 3145728 ]; then
    skip "2GiB_memory_$m" "needs more than 3 GiB free where the scratch directory is; $avail KiB"
    continue
  fi
  head -c 2147483648 /dev/zero | "$PEAK_RSS" "$scratch/rss" "$TMPF" sponge --no-sync $o "$big" 2> "$scratch/err"; rc=$?
  size=$(stat -c %s "$big" 2> /dev/null)
  zero=1
  [ "$size" = 2147483648 ] && cmp -s -n 2147483648 "$big" /dev/zero && zero=0
  rm -f "$big"
  rss=$(cat "$scratch/rss" 2> /dev/null)
  [ $rc -eq 0 ] && [ "$size" = 2147483648 ] && [ $zero -eq 0 ] && [ -n "$rss" ] && [ "$rss" -le $limit ]
  check "2GiB_memory_$m" $? "status $rc, size $size, zeros: $zero, peak RSS ${rss} KiB (at most $limit), stderr: $(errtext "$scratch/err")"
done

check_summary

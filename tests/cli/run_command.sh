#!/bin/sh
# SPDX-License-Identifier: MIT
# `tmpf run`, attacked from the command line: the private directory, the
# exit status, the removal whatever happens (signals, hostile trees, mount
# points), --keep, --keep-on-failure, --cd, -p and the pass-through.
#
#   sh tests/cli/run_command.sh TMPF
#
# One "ok   run_NAME" / "FAIL run_NAME" line per check, then "N passed,
# M failed" (", K skipped" when some could not run here).  As root (CI),
# the mount checks use `unshare -m` and the permission checks drop to uid
# 65534 with setpriv; otherwise the mount checks run in a user namespace
# (`unshare -r -m`; skipped where there is none) and the permission checks
# run as the current user.
# Every wait is a poll with a timeout, never a fixed sleep.
TMPF=$1
CHECK_PREFIX=run_
. "$(dirname "$0")/check.sh"
case $TMPF in /*) ;; *) echo "usage: sh $0 /ABSOLUTE/PATH/TO/tmpf" >&2; exit 2 ;; esac
scratch=$(mktemp -d) || exit 1
cleanup() {
  # kill our background jobs that may still run (by pid, if still our
  # child), then remove
  for p in $bg_pids; do
    [ "$(sed 's/^.*) //' "/proc/$p/stat" 2> /dev/null | cut -d' ' -f2)" = $$ ] &&
      kill -KILL "$p" 2> /dev/null
  done
  chmod -R u+rwx "$scratch" 2>/dev/null
  rm -rf "$scratch"
}
bg_pids=
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export LC_ALL=C
phys=$(cd "$scratch" && pwd -P) # what realpath makes of it
unset TMPDIR TEMP TMP
mkdir "$scratch/bin" "$scratch/tmp"
export TMPDIR="$scratch/tmp" # where a run without -p goes


# run ARGS...: runs tmpf with stdin from /dev/null; sets $out, $err, $rc
run() {
  # (the group's 2>: sh's own "Terminated" when tmpf dies of a signal)
  { out=$("$TMPF" "$@" < /dev/null 2> "$scratch/err"); rc=$?; } 2> /dev/null
  err=$(cat "$scratch/err")
}

# fresh NAME: a new empty directory $scratch/NAME, its path in $d
fresh() { d=$scratch/$1; rm -rf "$d"; mkdir "$d"; }
is_empty() { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
listing() { ls -A "$1" 2>&1 | tr '\n' ' '; }

# poll FILE: wait (up to 10 s) until FILE exists
poll() {
  i=0
  while [ ! -e "$1" ]; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1
    sleep 0.05
  done
}
# alive PID: the process exists and is not a zombie
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  ! grep -q ') Z' "/proc/$1/stat" 2> /dev/null
}
# reap_bg PID: wait (up to 10 s) for a background job; its status in $rc
# (999: it did not end and was killed)
reap_bg() {
  i=0
  while alive "$1"; do
    i=$((i + 1))
    if [ $i -gt 200 ]; then kill -KILL "$1" 2> /dev/null; wait "$1" 2> /dev/null; rc=999; return; fi
    sleep 0.05
  done
  wait "$1" 2> /dev/null; rc=$?
}
# gone PID: wait (up to 10 s) until PID has ended (any parent)
gone() {
  i=0
  while alive "$1"; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1
    sleep 0.05
  done
}
# pending PID SIGNUM: the signal is pending for the process
pending() {
  v=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$1/status" 2> /dev/null)
  [ -n "$v" ] && [ $((0x$v & (1 << ($2 - 1)))) -ne 0 ]
}
# ignored_in MASKFILE SIGNUM: the SigIgn mask written by the waiter has it
ignored_in() {
  v=$(cat "$1" 2> /dev/null)
  [ -n "$v" ] && [ $((0x$v & (1 << ($2 - 1)))) -ne 0 ]
}

# The waiter, a COMMAND for the signal checks.  Environment: M (marker
# base), IGNORE (signals it ignores), TRAP_EXIT (signals on which it notes
# the name in $M.got and exits 7), TRAP_NOTE (noted only).  It writes
# "TMPFPID ITSPID TMPDIR" to $M.ready once its traps are set, then waits
# (10 s at most) for $M.stop and exits 5.
cat > "$scratch/bin/waiter" << 'EOF'
for s in $IGNORE; do trap '' $s; done
for s in $TRAP_EXIT; do trap "echo $s >>\"\$M.got\"; exit 7" $s; done
for s in $TRAP_NOTE; do trap "echo $s >>\"\$M.got\"" $s; done
sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status > "$M.sigign"
echo "$PPID $$ $TMPDIR" > "$M.tmp" && mv "$M.tmp" "$M.ready"
i=0
while [ ! -e "$M.stop" ] && [ $i -lt "${W_MAX:-200}" ]; do sleep 0.05; i=$((i + 1)); done
exit 5
EOF
waiter=$scratch/bin/waiter

# start_waiter M [PREFIX...] -- TMPF-ARGS: starts "[PREFIX] tmpf run
# TMPF-ARGS sh waiter" in the background, waits until it is ready; sets
# $pid (the job), $tpid (tmpf, the waiter's parent), $cpid (the waiter),
# $wdir (its TMPDIR).  Status 1 if it never got ready.
start_waiter() {
  M=$1; shift
  rm -f "$M".*
  export M
  "$@" sh "$waiter" < /dev/null > "$M.out" 2> "$M.err" &
  pid=$!
  bg_pids="$bg_pids $pid"
  tpid= cpid= wdir=
  poll "$M.ready" || return 1
  read -r tpid cpid wdir < "$M.ready"
}

# A way to give SIGINT and SIGQUIT back their default action: a job that
# sh starts with & has them ignored.
if env --default-signal=INT true 2> /dev/null; then
  reset_sigs="env --default-signal=INT,QUIT"
elif perl -e 1 2> /dev/null; then
  echo '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or exit 127;' > "$scratch/bin/dfl.pl"
  reset_sigs="perl $scratch/bin/dfl.pl"
elif python3 -c 1 2> /dev/null; then
  cat > "$scratch/bin/dfl.py" << 'EOF'
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])
EOF
  reset_sigs="python3 $scratch/bin/dfl.py"
else
  reset_sigs=
fi

# ======================================================================
# The command line
# ======================================================================
run run --help
[ $rc -eq 0 ] && case $out in Usage:*"tmpf run"*) true ;; *) false ;; esac && [ -z "$err" ]
check help_exits_0_usage_on_stdout $? "status $rc, stdout: $(echo "$out" | head -n 1), stderr: $err"

# bad_usage NAME ARGS...: status 2, "tmpf: run: ..." then a Try line,
# nothing run, nothing made
bad_usage() {
  name=$1; shift
  fresh usage
  rm -f "$scratch/ran"
  out=$(TMPDIR=$d "$TMPF" "$@" < /dev/null 2> "$scratch/err"); rc=$?
  err=$(cat "$scratch/err")
  first=$(echo "$err" | head -n 1)
  [ $rc -eq 2 ] && case $first in "tmpf: run: "?*) true ;; *) false ;; esac &&
    echo "$err" | grep -q "^Try 'tmpf run --help' for more information\.\$" &&
    [ -z "$out" ] && is_empty "$d" && [ ! -e "$scratch/ran" ]
  check "$name" $? "tmpf $*: status $rc, stderr: $(echo "$err" | tr '\n' '|'), left: $(listing "$d")"
}
bad_usage usage_no_command run
bad_usage usage_only_double_dash run --
bad_usage usage_options_but_no_command run --keep --cd
bad_usage usage_unknown_long_option run --bogus touch "$scratch/ran"
bad_usage usage_unknown_short_option run -x touch "$scratch/ran"
bad_usage usage_p_without_argument run -p
bad_usage usage_keep_with_argument run --keep=yes touch "$scratch/ran"

# options stop at COMMAND: its own options and ours after it are its
fresh opts
run run -p "$d" sh -c 'printf "%s|" "$@"' sh --keep -p x --help -l
[ $rc -eq 0 ] && [ "$out" = "--keep|-p|x|--help|-l|" ] && [ -z "$err" ] && is_empty "$d"
check options_stop_at_command $? "status $rc, stdout: $out, stderr: $err, left: $(listing "$d")"
fresh opts
: > "$d/file"
run run -p "$d" ls -l "$d"
[ $rc -eq 0 ] && echo "$out" | grep -q '^total ' && echo "$out" | grep -q ' file$' && [ -z "$err" ]
check ls_dash_l_goes_to_ls $? "status $rc, stdout: $out, stderr: $err"
printf '#!/bin/sh\necho dash-ran\n' > "$scratch/bin/-dash"
chmod 755 "$scratch/bin/-dash"
fresh opts
out=$(PATH=$scratch/bin:$PATH "$TMPF" run -p "$d" -- -dash 2> "$scratch/err"); rc=$?
err=$(cat "$scratch/err")
[ $rc -eq 0 ] && [ "$out" = dash-ran ] && [ -z "$err" ] && is_empty "$d"
check double_dash_then_dashed_command $? "status $rc, stdout: $out, stderr: $err"

# ======================================================================
# Exit status
# ======================================================================
for n in 0 1 3 255; do
  fresh st
  run run -p "$d" sh -c "exit $n"
  [ $rc -eq $n ] && [ -z "$out" ] && [ -z "$err" ] && is_empty "$d"
  check "status_exit_$n" $? "status $rc, stdout: $out, stderr: $err, left: $(listing "$d")"
done
for s in TERM:143 KILL:137 HUP:129 USR1:138; do
  fresh st
  run run -p "$d" sh -c "echo x > \"\$TMPDIR/f\"; kill -${s%:*} \$\$; exit 0"
  [ $rc -eq "${s#*:}" ] && [ -z "$out" ] && is_empty "$d"
  check "status_killed_by_${s%:*}_is_${s#*:}" $? "status $rc, stderr: $err, left: $(listing "$d")"
done
# ... and tmpf dies of that signal itself, as COMMAND did (what a parent
# that tells the two apart sees: perl's $?), without a core dump of its
# own; a COMMAND that handles the signal and exits is an exit
if perl -e 1 2> /dev/null; then
  # how ARGS...: "exit N" or "signal N" or "signal N core" for tmpf ARGS
  how() { perl -e 'system @ARGV; print $? & 127 ? "signal " . ($? & 127) . ($? & 128 ? " core" : "") : "exit " . ($? >> 8)' "$TMPF" "$@" 2> /dev/null; }
  fresh st
  got=$(how run -p "$d" sh -c 'kill -TERM $$')
  [ "$got" = "signal 15" ] && is_empty "$d"
  check dies_of_the_signal_that_killed_command $? "tmpf: $got, left: $(listing "$d")"
  got=$(how run -p "$d" sh -c 'trap "exit 7" TERM; kill -TERM $$')
  [ "$got" = "exit 7" ] && is_empty "$d"
  check exits_when_command_handled_the_signal $? "tmpf: $got, left: $(listing "$d")"
  mkdir "$scratch/core"
  if (ulimit -c unlimited) 2> /dev/null; then
    for sig in QUIT:3 SEGV:11 ABRT:6; do
      if [ -z "$reset_sigs" ] && [ "${sig%:*}" = QUIT ]; then
        skip dies_of_QUIT_without_a_core_of_its_own "no env --default-signal, perl or python3 to undo the ignored SIGQUIT of a background job"
        continue
      fi
      fresh st
      # (COMMAND dumps no core: only tmpf could; $reset_sigs undoes the
      # ignored SIGQUIT of a background job)
      got=$(cd "$scratch/core" && ulimit -c unlimited && how run -p "$d" $reset_sigs sh -c "ulimit -c 0; kill -${sig%:*} \$\$")
      [ "$got" = "signal ${sig#*:}" ] && is_empty "$d" && is_empty "$scratch/core"
      check "dies_of_${sig%:*}_without_a_core_of_its_own" $? "tmpf: $got, left: $(listing "$d"), cores: $(listing "$scratch/core")"
    done
  else
    for sig in QUIT SEGV ABRT; do
      skip "dies_of_${sig}_without_a_core_of_its_own" "the hard core size limit is 0 here: no core either way"
    done
  fi
else
  for name in dies_of_the_signal_that_killed_command exits_when_command_handled_the_signal dies_of_QUIT_without_a_core_of_its_own dies_of_SEGV_without_a_core_of_its_own dies_of_ABRT_without_a_core_of_its_own; do
    skip "$name" "no perl to tell a death by signal from an exit status"
  done
fi
fresh st
# (a PATH of one empty directory: a directory on the caller's PATH that
# it may not search would make the answer EACCES, 126, as for execvp)
mkdir "$scratch/emptybin"
out=$(PATH=$scratch/emptybin "$TMPF" run -p "$d" tmpf-no-such-command-anywhere arg < /dev/null 2> "$scratch/err"); rc=$?
err=$(cat "$scratch/err")
[ $rc -eq 127 ] && [ -z "$out" ] && case $err in "tmpf: run: "*tmpf-no-such-command-anywhere*) true ;; *) false ;; esac && is_empty "$d"
check status_127_command_not_found $? "status $rc, stdout: $out, stderr: $err, left: $(listing "$d")"
fresh st
run run -p "$d" "$scratch/no/such/file"
[ $rc -eq 127 ] && is_empty "$d"
check status_127_missing_path $? "status $rc, stderr: $err, left: $(listing "$d")"
printf '#!/bin/sh\nexit 0\n' > "$scratch/bin/noexec"
chmod 644 "$scratch/bin/noexec"
fresh st
run run -p "$d" "$scratch/bin/noexec"
[ $rc -eq 126 ] && [ -z "$out" ] && case $err in "tmpf: run: "*) true ;; *) false ;; esac && is_empty "$d"
check status_126_not_executable $? "status $rc, stderr: $err, left: $(listing "$d")"
fresh st
run run -p "$d" "$scratch/bin"
[ $rc -eq 126 ] && is_empty "$d"
check status_126_directory $? "status $rc, stderr: $err, left: $(listing "$d")"
fresh st
run run --keep-on-failure -p "$d" sh -c 'exit 0'
[ $rc -eq 0 ] && [ -z "$err" ] && is_empty "$d"
check keep_on_failure_success_removes_silently $? "status $rc, stderr: $err, left: $(listing "$d")"

rm -f "$scratch/ran"
run run -p "$scratch/missing" touch "$scratch/ran"
[ $rc -eq 1 ] && [ ! -e "$scratch/ran" ] && [ ! -e "$scratch/missing" ] &&
  case $err in "tmpf: run: "*) true ;; *) false ;; esac && [ -z "$out" ]
check missing_p_dir_is_status_1 $? "status $rc, stderr: $err, ran: $([ -e "$scratch/ran" ] && echo yes)"
: > "$scratch/plainfile"
run run -p "$scratch/plainfile" touch "$scratch/ran"
[ $rc -eq 1 ] && [ ! -e "$scratch/ran" ]
check p_is_a_file_is_status_1 $? "status $rc, stderr: $err"

# ======================================================================
# TMPDIR, --cd, -p
# ======================================================================
fresh where
run run -p "$d" sh -c 'echo "$TMPDIR"; pwd -P; ls -A "$TMPDIR" | wc -l; echo "$KEEPME"'
set -- $out
case $1 in "$phys/where/tmpf-run."?*) ok=0 ;; *) ok=1 ;; esac
[ $rc -eq 0 ] && [ $ok -eq 0 ] && [ "$2" = "$(pwd -P)" ] && [ "$3" = 0 ] && is_empty "$d"
check p_dir_is_TMPDIR_parent $? "status $rc, stdout: $out"
tdir=$1
case ${tdir##*/} in tmpf-run.*/* | tmpf-run.) ok=1 ;; tmpf-run.*) ok=0 ;; *) ok=1 ;; esac
[ $ok -eq 0 ]
check name_is_tmpf_run_prefixed $? "name: ${tdir##*/}"
out=$(KEEPME=kept-value "$TMPF" run -p "$d" sh -c 'echo "$KEEPME"' 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = kept-value ]
check environment_passed_on $? "status $rc, out: $out"

fresh envtmp
out=$(TMPDIR=$d "$TMPF" run sh -c 'echo "$TMPDIR"; test -d "$TMPDIR"' 2> "$scratch/err"); rc=$?
case $out in "$phys/envtmp/tmpf-run."?*) ok=0 ;; *) ok=1 ;; esac
[ $rc -eq 0 ] && [ $ok -eq 0 ] && is_empty "$d"
check default_parent_is_TMPDIR $? "status $rc, TMPDIR seen: $out, stderr: $(cat "$scratch/err")"

fresh rel
out=$(cd "$scratch" && "$TMPF" run -p rel sh -c 'echo "$TMPDIR"; test -d "$TMPDIR"' 2> "$scratch/err"); rc=$?
case $out in "$phys/rel/tmpf-run."?*) ok=0 ;; *) ok=1 ;; esac
[ $rc -eq 0 ] && [ $ok -eq 0 ] && is_empty "$d"
check relative_p_gives_absolute_TMPDIR $? "status $rc, TMPDIR seen: $out, stderr: $(cat "$scratch/err")"
out=$(cd "$scratch" && TMPDIR=rel "$TMPF" run sh -c 'echo "$TMPDIR"; test -d "$TMPDIR"' 2> "$scratch/err"); rc=$?
case $out in "$phys/rel/tmpf-run."?*) ok=0 ;; *) ok=1 ;; esac
[ $rc -eq 0 ] && [ $ok -eq 0 ] && is_empty "$d"
check relative_TMPDIR_gives_absolute_TMPDIR $? "status $rc, TMPDIR seen: $out, stderr: $(cat "$scratch/err")"
ln -s rel "$scratch/rel-link"
out=$(cd "$scratch" && "$TMPF" run -p rel-link --cd sh -c 'echo "$TMPDIR"; pwd -P; cd /tmp && test -d "$TMPDIR"' 2> "$scratch/err"); rc=$?
set -- $out
[ $rc -eq 0 ] && [ "$1" = "$2" ] && case $1 in /*/tmpf-run.?*) true ;; *) false ;; esac && is_empty "$d"
check cd_with_relative_symlinked_p $? "status $rc, stdout: $(echo "$out" | tr '\n' ' '), stderr: $(cat "$scratch/err")"

fresh cd
out=$("$TMPF" run --cd -p "$d" sh -c 'echo "$TMPDIR"; pwd -P; pwd' 2> "$scratch/err"); rc=$?
set -- $out
[ $rc -eq 0 ] && [ "$1" = "$2" ] && [ "$1" = "$3" ] && case $1 in "$phys/cd/tmpf-run."?*) true ;; *) false ;; esac && is_empty "$d"
check cd_runs_inside_the_directory $? "status $rc, stdout: $(echo "$out" | tr '\n' ' ')"
out=$(cd "$scratch/bin" && "$TMPF" run -p "$d" pwd -P 2> "$scratch/err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$phys/bin" ]
check no_cd_keeps_the_working_directory $? "status $rc, pwd: $out"

# ======================================================================
# The directory is private
# ======================================================================
for m in 022 000 077; do
  fresh mode
  out=$(umask $m && "$TMPF" run -p "$d" sh -c 'stat -c "%a %u %g %F" "$TMPDIR"' 2> "$scratch/err"); rc=$?
  [ $rc -eq 0 ] && [ "$out" = "700 $(id -u) $(id -g) directory" ]
  check "mode_0700_owned_by_caller_umask_$m" $? "status $rc, got: $out"
done

# two at once: different directories
fresh two
start_waiter "$scratch/w1" "$TMPF" run -p "$d"; r1=$?; p1=$pid; d1=$wdir
start_waiter "$scratch/w2" "$TMPF" run -p "$d"; r2=$?; p2=$pid; d2=$wdir
n=$(ls -A "$d" | wc -l)
: > "$scratch/w1.stop"; : > "$scratch/w2.stop"
reap_bg "$p1"; rc1=$rc
reap_bg "$p2"; rc2=$rc
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ -n "$d1" ] && [ "$d1" != "$d2" ] && [ "$n" -eq 2 ] &&
  [ $rc1 -eq 5 ] && [ $rc2 -eq 5 ] && is_empty "$d"
check two_concurrent_runs_differ $? "dirs: $d1 $d2 ($n while running), status $rc1 $rc2, left: $(listing "$d")"

# COMMAND inherits no blocked signal, and of tmpf's descriptors only its
# lock: one on the directory itself (none on its parent), read-only,
# numbered 10 or above, the number in $TMPF_RUN_LOCK_FD
base_blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/self/status)
fresh fds
out=$(TMPF_RUN_LOCK_FD=3 "$TMPF" run -p "$d" sh -c '
  sed -n "s/^SigBlk:[[:space:]]*//p" /proc/self/status
  echo "$TMPF_RUN_LOCK_FD $TMPDIR"
  sed -n "s/^flags:[[:space:]]*//p" "/proc/$$/fdinfo/$TMPF_RUN_LOCK_FD"
  for f in /proc/$$/fd/*; do echo "${f##*/} $(readlink "$f")"; done' 2> /dev/null)
blk=$(echo "$out" | sed -n 1p)
set -- $(echo "$out" | sed -n 2p)
lfd=${1:-none} ltarget=${2:-}
lflags=$(echo "$out" | sed -n 3p)
links=$(echo "$out" | tail -n +4)
leak=$(echo "$links" | grep -e " $phys/fds\$" -e " $phys/fds/")
[ "$blk" = "$base_blk" ] && [ -n "$links" ] && [ "$leak" = "$lfd $ltarget" ] &&
  [ "$lfd" -ge 10 ] && case $ltarget in "$phys/fds/tmpf-run."?*) true ;; *) false ;; esac &&
  [ $((0$lflags & 3)) -eq 0 ]
check command_gets_only_its_lock_fd_and_no_blocked_signals $? "SigBlk $blk (tmpf's caller $base_blk), TMPF_RUN_LOCK_FD=$lfd for $ltarget (flags $lflags), fds on the directory: $(echo "$leak" | tr '\n' ' ')"

# the lock takes the lowest free number from 10: it replaces none that
# the caller passes on
if command -v bash > /dev/null; then
  fresh fds
  echo ten > "$scratch/ten"
  out=$(bash -c 'exec 10< "$1"; exec 11< "$1"; shift; exec "$@"' bash "$scratch/ten" "$TMPF" run -p "$d" sh -c '
    echo "$TMPF_RUN_LOCK_FD"; readlink /proc/$$/fd/10 /proc/$$/fd/11' 2> "$scratch/err"); rc=$?
  [ $rc -eq 0 ] && [ "$(echo "$out" | tr '\n' ' ')" = "12 $phys/ten $phys/ten " ] && is_empty "$d"
  check lock_fd_replaces_no_passed_fd $? "status $rc, out: $(echo "$out" | tr '\n' ' '), stderr: $(cat "$scratch/err")"
else
  skip lock_fd_replaces_no_passed_fd "no bash to pass fds 10 and 11"
fi

# ======================================================================
# Pass-through of stdin and stdout
# ======================================================================
fresh io
out=$(echo hi | "$TMPF" run -p "$d" cat 2> "$scratch/err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = hi ] && [ ! -s "$scratch/err" ]
check stdin_passed_through $? "status $rc, stdout: $out, stderr: $(cat "$scratch/err")"
want=$(seq 1 30000 | cksum)
got=$(seq 1 30000 | "$TMPF" run -p "$d" cat 2> /dev/null | cksum)
[ "$want" = "$got" ]
check large_stdin_stdout_intact $? "cksum $got, want $want"
out=$("$TMPF" run --keep-on-failure -p "$d" sh -c 'echo out; echo err >&2; exit 4' 2> "$scratch/err"); rc=$?
[ $rc -eq 4 ] && [ "$out" = out ] && grep -q '^err$' "$scratch/err"
check stdout_only_commands_output $? "status $rc, stdout: $out"
run run -p "$d" tmpf-no-such-command-anywhere
[ -z "$out" ]
check stdout_empty_when_command_not_found $? "stdout: $out"

# ======================================================================
# Removal of whatever COMMAND left
# ======================================================================
# mktree: builds a hostile tree in $TMPDIR; $OUT holds the targets of its
# links; exits $EXIT.
cat > "$scratch/bin/mktree" << 'EOF'
cd "$TMPDIR" || exit 90
echo a > file && echo b > .hidden && : > ./-dash && : > ' sp ace' &&
  : > "$(printf 'new\nline')" && : > "$(printf 'bad\377byte')" &&
  : > "$(printf '%0255d' 0)" || exit 91
mkdir -p n1/n2/n3/n4 && echo x > n1/n2/n3/n4/f || exit 92
mkdir z && echo in > z/f && mkdir z/sub && echo s > z/sub/g &&
  chmod 000 z/sub && chmod 000 z || exit 93
echo ro > ro && chmod 444 ro || exit 94
mkdir rodir && echo f > rodir/f && mkdir rodir/d && chmod 555 rodir || exit 95
mkfifo fifo || exit 96
ln -s "$OUT/tfile" lfile && ln -s "$OUT/tdir" ldir && ln -s "$OUT/tdir/" ldir2 &&
  ln -s nowhere dangling && ln -s "$OUT" n1/up || exit 97
ln "$OUT/hfile" hardlink || exit 98
exit "${EXIT:-0}"
EOF
# make_targets DIR: what the tree's links point at
make_targets() {
  rm -rf "$1"; mkdir -p "$1/tdir/tsub"
  echo T > "$1/tfile"; echo I > "$1/tdir/inner"; echo S > "$1/tdir/tsub/s"
  echo H > "$1/hfile"
}
targets_intact() { # DIR
  [ "$(cat "$1/tfile")" = T ] && [ "$(cat "$1/tdir/inner")" = I ] &&
    [ "$(cat "$1/tdir/tsub/s")" = S ] && [ "$(cat "$1/hfile")" = H ] &&
    [ "$(stat -c %h "$1/hfile")" = 1 ]
}

make_targets "$scratch/out"
for e in 0 1; do
  fresh tree
  out=$(OUT=$scratch/out EXIT=$e "$TMPF" run -p "$d" sh "$scratch/bin/mktree" 2> "$scratch/err"); rc=$?
  [ $rc -eq $e ] && is_empty "$d" && targets_intact "$scratch/out" && [ ! -s "$scratch/err" ]
  check "removes_hostile_tree_exit_$e" $? "status $rc, stderr: $(cat "$scratch/err"), left: $(listing "$d"), targets: $(ls -R "$scratch/out" | tr '\n' ' ')"
done
fresh tree
{ out=$(OUT=$scratch/out "$TMPF" run -p "$d" sh -c 'sh "$0" && kill -KILL $$' "$scratch/bin/mktree" 2> "$scratch/err"); rc=$?; } 2> /dev/null
[ $rc -eq 137 ] && is_empty "$d" && targets_intact "$scratch/out"
check removes_hostile_tree_command_killed $? "status $rc, stderr: $(cat "$scratch/err"), left: $(listing "$d")"

# deeper than PATH_MAX, deeper than any window of open directories
fresh deep
run run -p "$d" sh -c '
  cd "$TMPDIR" || exit 90
  p=d; i=1; while [ $i -lt 1200 ]; do p=$p/d; i=$((i + 1)); done
  mkdir -p "$p" && cd -P "$p" && mkdir -p "$p" && cd -P "$p" && mkdir -p "$p" && echo leaf > "$p/leaf"'
[ $rc -eq 0 ] && [ -z "$err" ] && is_empty "$d"
check removes_tree_deeper_than_PATH_MAX $? "status $rc, stderr: $err, left: $(listing "$d")"

# many entries in one directory (more than one batch of the walk)
fresh wide
run run -p "$d" sh -c 'cd "$TMPDIR" && seq 1 3000 | xargs touch && mkdir w && cd w && seq 1 1500 | xargs mkdir'
[ $rc -eq 0 ] && [ -z "$err" ] && is_empty "$d"
check removes_wide_tree $? "status $rc, stderr: $err, left: $(listing "$d")"

# COMMAND removing its own directory is no error
fresh self
run run -p "$d" sh -c 'rmdir "$TMPDIR"'
[ $rc -eq 0 ] && is_empty "$d"
check command_removing_its_dir_is_fine $? "status $rc, stderr: $err"

# --- as an unprivileged user (uid 65534, or not root, ourselves): the
# modes are real obstacles
if [ "$(id -u)" -eq 0 ]; then root=1; else root=0; fi
chmod 711 "$scratch"
nb=$scratch/nb
mkdir "$nb"
NTMPF=$TMPF
if [ $root -eq 1 ] && ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TMPF" 2> /dev/null; then
  cp "$TMPF" "$scratch/bin/tmpf-copy" && NTMPF=$scratch/bin/tmpf-copy
fi
chmod 755 "$scratch/bin"
chmod 644 "$scratch/bin/mktree" "$waiter"
make_targets "$nb/out"
mkdir "$nb/tree" "$nb/top" "$nb/priv"
if [ $root -eq 1 ]; then
  chown -R 65534:65534 "$nb"
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  nobody_ids=65534:65534
else
  as_nobody() { "$@"; }
  nobody_ids=$(id -u):$(id -g)
fi
chmod 755 "$nb/out"

out=$(OUT=$nb/out as_nobody "$NTMPF" run -p "$nb/tree" sh "$scratch/bin/mktree" 2> "$scratch/err"); rc=$?
[ $rc -eq 0 ] && is_empty "$nb/tree" && targets_intact "$nb/out" && [ ! -s "$scratch/err" ]
check removes_hostile_tree_unprivileged $? "status $rc, stderr: $(cat "$scratch/err"), left: $(listing "$nb/tree") $(ls -A "$nb/tree"/* 2> /dev/null | tr '\n' ' ')"

out=$(as_nobody "$NTMPF" run -p "$nb/top" sh -c 'mkdir "$TMPDIR/a" && echo f > "$TMPDIR/a/f" && echo g > "$TMPDIR/g" && chmod 000 "$TMPDIR/a" "$TMPDIR"' 2> "$scratch/err"); rc=$?
[ $rc -eq 0 ] && is_empty "$nb/top" && [ ! -s "$scratch/err" ]
check removes_dir_made_mode_000_by_command $? "status $rc, stderr: $(cat "$scratch/err"), left: $(listing "$nb/top")"

out=$(as_nobody "$NTMPF" run -p "$nb/priv" sh -c 'stat -c "%a %u:%g" "$TMPDIR"' 2> "$scratch/err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = "700 $nobody_ids" ] && is_empty "$nb/priv"
check unprivileged_dir_is_0700_owned_by_caller $? "status $rc, got: $out, stderr: $(cat "$scratch/err")"

rm -f "$scratch/ran"
mkdir "$scratch/rootonly"; chmod 555 "$scratch/rootonly" # not even for its owner
out=$(as_nobody "$NTMPF" run -p "$scratch/rootonly" sh -c 'echo ran' 2> "$scratch/err"); rc=$?
[ $rc -eq 1 ] && [ -z "$out" ] && grep -q '^tmpf: run: ' "$scratch/err" && is_empty "$scratch/rootonly"
check unwritable_p_dir_is_status_1 $? "status $rc, stdout: $out, stderr: $(cat "$scratch/err")"

# --- mount points inside (in a private mount namespace: as root, or in a
# user namespace; skipped where neither is possible)
# The mount is not entered, removal fails: an error, a non-zero status,
# and what is under the mount point untouched.
mkdir -p "$scratch/msrc/sub"
echo keep > "$scratch/msrc/f"; echo keep2 > "$scratch/msrc/sub/g"
echo keepfile > "$scratch/mfile"
# in_ns SCRIPT: runs SCRIPT with sh in a new private mount namespace
if [ $root -eq 1 ]; then ns_cmd="unshare -m"; else ns_cmd="unshare -r -m"; fi
in_ns() { $ns_cmd --propagation private sh -c "$1" 2>> "$scratch/ns.err"; }
export TMPF scratch
if [ $root -eq 0 ] && ! unshare -r -m true 2> /dev/null; then
  for name in bind_mount_inside_not_entered tmpfs_mounted_inside_not_entered file_bind_mount_inside_not_removed; do
    skip $name "not root, and no user namespace ('unshare -r -m' fails): cannot mount"
  done
else
if [ "${TF_HAVE_STATX:-1}" = 0 ]; then
  skip bind_mount_inside_not_entered "built without statx: a Linux bind mount of the same file system has the same st_dev (platform.h)"
else
fresh mnt
: > "$scratch/ns.err"
in_ns '
  "$TMPF" run -p "$scratch/mnt" sh -c "
    mkdir -p \"\$TMPDIR/a/b/bind\" && echo x > \"\$TMPDIR/a/x\" &&
    mount --bind \"\$scratch/msrc\" \"\$TMPDIR/a/b/bind\" || exit 90
    echo \"\$TMPDIR\" > \"\$scratch/mnt.path\"" > "$scratch/mnt.out" 2> "$scratch/mnt.err"
  echo $? > "$scratch/mnt.rc"
  p=$(cat "$scratch/mnt.path") && umount "$p/a/b/bind"'
rc=$(cat "$scratch/mnt.rc" 2> /dev/null)
[ -n "$rc" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 90 ] && grep -q '^tmpf: run: ' "$scratch/mnt.err" &&
  [ "$(cat "$scratch/msrc/f")" = keep ] && [ "$(cat "$scratch/msrc/sub/g")" = keep2 ] && [ ! -s "$scratch/mnt.out" ]
check bind_mount_inside_not_entered $? "status $rc, stderr: $(cat "$scratch/mnt.err" "$scratch/ns.err" 2> /dev/null | tr '\n' '|'), source: $(ls -AR "$scratch/msrc" | tr '\n' ' ')"
fi

fresh mnt
: > "$scratch/ns.err"
in_ns '
  "$TMPF" run -p "$scratch/mnt" sh -c "
    mkdir \"\$TMPDIR/m\" && mount -t tmpfs tmpf-test \"\$TMPDIR/m\" &&
    mkdir \"\$TMPDIR/m/sub\" && echo y > \"\$TMPDIR/m/sub/g\" && echo z > \"\$TMPDIR/m/f\" || exit 90
    echo \"\$TMPDIR\" > \"\$scratch/mnt.path\"; exit 0" > "$scratch/mnt.out" 2> "$scratch/mnt.err"
  echo $? > "$scratch/mnt.rc"
  p=$(cat "$scratch/mnt.path") &&
    { [ "$(cat "$p/m/f")" = z ] && [ "$(cat "$p/m/sub/g")" = y ] && echo intact > "$scratch/mnt.intact"; }
  umount "$p/m"'
rc=$(cat "$scratch/mnt.rc" 2> /dev/null)
[ -n "$rc" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 90 ] && grep -q '^tmpf: run: ' "$scratch/mnt.err" &&
  [ -e "$scratch/mnt.intact" ]
check tmpfs_mounted_inside_not_entered $? "status $rc, stderr: $(cat "$scratch/mnt.err" "$scratch/ns.err" 2> /dev/null | tr '\n' '|'), contents intact: $([ -e "$scratch/mnt.intact" ] && echo yes || echo no)"

fresh mnt
: > "$scratch/ns.err"
in_ns '
  "$TMPF" run -p "$scratch/mnt" sh -c "
    : > \"\$TMPDIR/f\" && mount --bind \"\$scratch/mfile\" \"\$TMPDIR/f\" || exit 90
    echo \"\$TMPDIR\" > \"\$scratch/mnt.path\"" > "$scratch/mnt.out" 2> "$scratch/mnt.err"
  echo $? > "$scratch/mnt.rc"
  p=$(cat "$scratch/mnt.path") && umount "$p/f"'
rc=$(cat "$scratch/mnt.rc" 2> /dev/null)
[ -n "$rc" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 90 ] && grep -q '^tmpf: run: ' "$scratch/mnt.err" &&
  [ "$(cat "$scratch/mfile")" = keepfile ]
check file_bind_mount_inside_not_removed $? "status $rc, stderr: $(cat "$scratch/mnt.err" "$scratch/ns.err" 2> /dev/null | tr '\n' '|'), file: $(cat "$scratch/mfile")"
fi

# ======================================================================
# --keep, --keep-on-failure
# ======================================================================
fresh keep
out=$("$TMPF" run --keep -p "$d" sh -c 'echo f > "$TMPDIR/f"; echo "$TMPDIR"; exit 3' 2> "$scratch/err"); rc=$?
err=$(cat "$scratch/err")
[ $rc -eq 3 ] && [ "$err" = "tmpf: run: kept $out" ] && [ "$(cat "$out/f")" = f ] &&
  [ "$(stat -c %a "$out")" = 700 ]
check keep_keeps_and_says_so $? "status $rc, stdout: $out, stderr: $err"
kept=$out
run reap --older-than 0 "$d"
[ $rc -eq 0 ] && [ -d "$kept" ] && [ "$(cat "$kept/f")" = f ]
check kept_dir_not_reaped $? "status $rc, reap said: $out $err, still there: $([ -d "$kept" ] && echo yes || echo no)"

fresh keep
out=$(cd "$scratch" && "$TMPF" run --keep -p keep sh -c 'echo "$TMPDIR"' 2> "$scratch/err"); rc=$?
err=$(cat "$scratch/err")
[ $rc -eq 0 ] && [ "$err" = "tmpf: run: kept $out" ] && case $out in "$phys/keep/tmpf-run."?*) true ;; *) false ;; esac && [ -d "$out" ]
check keep_with_relative_p_prints_absolute_path $? "status $rc, stdout: $out, stderr: $err"

for how in 'exit 3:3' 'kill -TERM $$:143'; do
  fresh keepf
  { out=$("$TMPF" run --keep-on-failure -p "$d" sh -c "echo \"\$TMPDIR\"; echo f > \"\$TMPDIR/f\"; ${how%:*}" 2> "$scratch/err"); rc=$?; } 2> /dev/null
  err=$(cat "$scratch/err")
  [ $rc -eq "${how#*:}" ] && [ "$err" = "tmpf: run: kept $out" ] && [ "$(cat "$out/f" 2> /dev/null)" = f ]
  check "keep_on_failure_keeps_status_${how#*:}" $? "status $rc, stdout: $out, stderr: $err"
  kept=$out
  run reap --older-than 0 "$d"
  [ -d "$kept" ] && [ "$(cat "$kept/f" 2> /dev/null)" = f ]
  check "keep_on_failure_kept_not_reaped_${how#*:}" $? "reap: $rc $out $err, kept: $kept"
done

# ======================================================================
# Signals sent to tmpf
# ======================================================================
# forward NAME SIGNAL [PREFIX...]: the signal reaches COMMAND, which exits
# 7; tmpf's status 7; the directory goes
forward() {
  name=$1; sig=$2; shift 2
  fresh "sig$sig"
  TRAP_EXIT=$sig IGNORE= TRAP_NOTE=
  export TRAP_EXIT IGNORE TRAP_NOTE
  if start_waiter "$scratch/f$sig" "$@" "$TMPF" run -p "$d"; then
    kill "-$sig" "$tpid"
    reap_bg "$pid"
    [ $rc -eq 7 ] && [ "$(cat "$M.got" 2> /dev/null)" = "$sig" ] && is_empty "$d" && [ ! -s "$M.err" ]
    check "$name" $? "status $rc, COMMAND got: $(cat "$M.got" 2> /dev/null), stderr: $(cat "$M.err"), left: $(listing "$d")"
  else
    kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"
    check "$name" 1 "COMMAND never got ready: status $rc, stderr: $(cat "$M.err")"
  fi
}
forward forwards_TERM TERM
forward forwards_HUP HUP
forward forwards_USR1 USR1
forward forwards_USR2 USR2
if [ -n "$reset_sigs" ]; then
  forward forwards_INT INT $reset_sigs
  forward forwards_QUIT QUIT $reset_sigs
else
  check forwards_INT 1 "no env --default-signal, perl or python3 to undo the ignored SIGINT of a background job"
  check forwards_QUIT 1 "no env --default-signal, perl or python3 to undo the ignored SIGQUIT of a background job"
fi

# a COMMAND without a trap dies of the forwarded signal: 128 + N
fresh sigdie
TRAP_EXIT= IGNORE= TRAP_NOTE=
export TRAP_EXIT IGNORE TRAP_NOTE
if start_waiter "$scratch/die" "$TMPF" run -p "$d"; then
  kill -TERM "$tpid"; reap_bg "$pid"
  [ $rc -eq 143 ] && is_empty "$d"
  check TERM_kills_untrapping_command_143 $? "status $rc, left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check TERM_kills_untrapping_command_143 1 "never ready"
fi

# --keep-on-failure when a signal sent to tmpf ends COMMAND
fresh sigkeep
if start_waiter "$scratch/sgk" "$TMPF" run --keep-on-failure -p "$d"; then
  kill -TERM "$tpid"; reap_bg "$pid"
  [ $rc -eq 143 ] && [ "$(cat "$M.err")" = "tmpf: run: kept $wdir" ] && [ -d "$wdir" ]
  check keep_on_failure_keeps_after_forwarded_TERM $? "status $rc, stderr: $(cat "$M.err"), dir there: $([ -d "$wdir" ] && echo yes || echo no)"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check keep_on_failure_keeps_after_forwarded_TERM 1 "never ready"
fi

# SIGINT ignored on entry (sh's & does it) stays ignored, for COMMAND too
fresh sigign
TRAP_EXIT=TERM IGNORE= TRAP_NOTE=
export TRAP_EXIT IGNORE TRAP_NOTE
if start_waiter "$scratch/ign" "$TMPF" run -p "$d"; then
  kill -INT "$tpid"
  alive "$tpid"; a1=$?
  alive "$cpid"; a2=$?
  kill -TERM "$tpid"
  reap_bg "$pid"
  ignored_in "$M.sigign" 2; ig=$?
  [ $a1 -eq 0 ] && [ $a2 -eq 0 ] && [ $ig -eq 0 ] && [ $rc -eq 7 ] && [ "$(cat "$M.got" 2> /dev/null)" = TERM ] && is_empty "$d"
  check ignored_INT_stays_ignored $? "tmpf alive after INT: $a1, COMMAND: $a2, COMMAND SigIgn $(cat "$M.sigign"), status $rc, got: $(cat "$M.got" 2> /dev/null), left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check ignored_INT_stays_ignored 1 "never ready"
fi

# ... and tmpf does not pass it on: a COMMAND that undoes the ignore
# itself is not stopped either
fresh sigign2
TRAP_EXIT="INT TERM" IGNORE= TRAP_NOTE=
export TRAP_EXIT IGNORE TRAP_NOTE
if [ -z "$reset_sigs" ]; then
  check ignored_INT_not_passed_on 1 "no env --default-signal, perl or python3 to undo an ignored SIGINT"
elif start_waiter "$scratch/ign2" "$TMPF" run -p "$d" $reset_sigs; then
  kill -INT "$tpid"
  kill -TERM "$tpid"
  reap_bg "$pid"
  [ $rc -eq 7 ] && [ "$(cat "$M.got" 2> /dev/null)" = TERM ] && is_empty "$d"
  check ignored_INT_not_passed_on $? "status $rc, COMMAND got: $(cat "$M.got" 2> /dev/null | tr '\n' ' '), left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check ignored_INT_not_passed_on 1 "never ready"
fi

# COMMAND ignoring TERM: tmpf waits for it, the directory stays until then
fresh sigwait
TRAP_EXIT= IGNORE=TERM TRAP_NOTE=USR1
export TRAP_EXIT IGNORE TRAP_NOTE
if start_waiter "$scratch/tw" "$TMPF" run -p "$d"; then
  kill -TERM "$tpid"
  i=0 # until tmpf has taken TERM (and so passed it on)
  while pending "$tpid" 15 && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  kill -USR1 "$tpid" # a marker: when COMMAND notes it, TERM was handled
  poll "$M.got"
  sleep 0.05 # (not a synchronisation: gives a wrong exit the chance to show)
  alive "$tpid"; a1=$?
  alive "$cpid"; a2=$?
  [ -d "$wdir" ]; a3=$?
  : > "$M.stop"
  reap_bg "$pid"
  [ $a1 -eq 0 ] && [ $a2 -eq 0 ] && [ $a3 -eq 0 ] && [ $rc -eq 5 ] &&
    [ "$(cat "$M.got" 2> /dev/null)" = USR1 ] && is_empty "$d"
  check command_ignoring_TERM_is_waited_for $? "after TERM: tmpf alive $a1, COMMAND alive $a2, dir there $a3; status $rc, got: $(cat "$M.got" 2> /dev/null | tr '\n' ' '), left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check command_ignoring_TERM_is_waited_for 1 "never ready"
fi

# signals coming at once, several of them, while COMMAND handles them
fresh sigmany
TRAP_EXIT=TERM IGNORE= TRAP_NOTE="HUP USR1 USR2"
export TRAP_EXIT IGNORE TRAP_NOTE
if start_waiter "$scratch/many" "$TMPF" run -p "$d"; then
  kill -USR1 "$tpid"; poll "$M.got"
  kill -HUP "$tpid"
  i=0; while [ "$(wc -l < "$M.got")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  kill -TERM "$tpid"
  reap_bg "$pid"
  [ $rc -eq 7 ] && [ "$(tr '\n' ' ' < "$M.got")" = "USR1 HUP TERM " ] && is_empty "$d"
  check several_signals_forwarded_in_turn $? "status $rc, got: $(tr '\n' ' ' < "$M.got"), left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check several_signals_forwarded_in_turn 1 "never ready"
fi

# a TERM sent as soon as tmpf runs, maybe before it made the directory or
# started COMMAND, or before COMMAND set its trap: whatever it hits, the
# status is 7 or 143 and nothing is left
fresh early
TRAP_EXIT=TERM IGNORE= TRAP_NOTE= W_MAX=40 M=$scratch/early
export TRAP_EXIT IGNORE TRAP_NOTE W_MAX M
bad=
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  "$TMPF" run -p "$d" sh "$waiter" < /dev/null > /dev/null 2>&1 &
  pid=$!
  bg_pids="$bg_pids $pid"
  # until the job is tmpf (a TERM before its exec is the shell's business)
  i=0; c=
  while [ "$c" != "${TMPF##*/}" ] && [ $i -lt 20000 ]; do
    read -r c < "/proc/$pid/comm" 2> /dev/null; i=$((i + 1))
  done
  [ $((n % 4)) -eq 1 ] && sleep 0.01
  kill -TERM "$pid" 2> /dev/null
  reap_bg "$pid"
  case $rc in 7 | 143) ;; *) bad="$bad #$n:status $rc" ;; esac
  is_empty "$d" || { bad="$bad #$n:left $(listing "$d")"; rm -rf "$d"/*; }
  [ -n "$bad" ] && break
done
unset W_MAX
[ -z "$bad" ]
check early_TERM_leaves_nothing $? "$bad"

# --- from a terminal (a pty made by script(1) from util-linux): tmpf as
# the session leader, COMMAND in its foreground process group
shell=$(command -v sh)
mkfifo "$scratch/ptyin"
# pty_start M TMPF-ARGS...: "tmpf run TMPF-ARGS sh waiter" on a pty, in the
# background; $pid is script's; stdin of the pty is fd 3; ready as above.
# tmpf is the session leader, exec'd by script's shell; with $pty_hold
# set, that shell stays the session leader instead (ignoring the ^C with
# a trap) and runs tmpf in its foreground process group, so tmpf can be
# stopped without script(1), which stops itself when its child stops.
pty_start() {
  M=$1; shift
  rm -f "$M".*
  export M
  cmd="$(quote "$TMPF") run $(quote_all "$@") sh $(quote "$waiter")"
  if [ -n "${pty_hold:-}" ]; then cmd="trap : INT; $cmd; exit \$?"; else cmd="exec $cmd"; fi
  SHELL=$shell $reset_sigs script -qfec "$cmd" \
    /dev/null < "$scratch/ptyin" > "$M.out" 2>&1 &
  pid=$!
  bg_pids="$bg_pids $pid"
  exec 3> "$scratch/ptyin"
  tpid= cpid= wdir=
  poll "$M.ready" || return 1
  read -r tpid cpid wdir < "$M.ready"
}
quote() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
quote_all() { for a; do printf '%s ' "$(quote "$a")"; done; }

# stat_field PID N: field N of /proc/PID/stat after the command name
# (1 the state, 3 the process group)
stat_field() { sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f"$2"; }
# until_true CMD...: poll (up to 10 s) until CMD succeeds
until_true() {
  i=0
  while ! "$@"; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1
    sleep 0.05
  done
}
is_stopped() { [ "$(stat_field "$1" 1)" = T ]; }
# noted M SIGNAL: the waiter noted SIGNAL in $M.got
noted() { grep -qx "$2" "$1.got" 2> /dev/null; }

# ctrl_c NAME SCRATCH [WRAPPER]: ^C typed on tmpf's terminal reaches
# COMMAND (started through WRAPPER, e.g. setsid) exactly once: from the
# terminal when COMMAND is in the foreground process group, else from
# tmpf; and the directory goes.  The SIGINTs are counted, not raced:
# tmpf is stopped while the ^C arrives, so COMMAND has noted the
# terminal's SIGINT (if it got one) before tmpf can pass one on, and two
# can never merge into one pending signal.  A USR1 sent to the stopped
# tmpf behind it marks the end: tmpf takes its pending signals lowest
# first and passes them on in that order, and COMMAND's traps run in
# signal order, so once COMMAND notes USR1 it has noted every SIGINT.
ctrl_c() {
  fresh ptyint
  pty_hold=1
  if command -v script > /dev/null && pty_start "$2" -p "$d" ${3:-}; then
    pty_hold=
    kill -STOP "$tpid"
    until_true is_stopped "$tpid"; st=$?
    printf '\003' >&3
    until_true pending "$tpid" 2; pd=$?
    nt=0 # COMMAND in tmpf's process group: it has the terminal's SIGINT
    if [ "$(stat_field "$cpid" 3)" = "$(stat_field "$tpid" 3)" ]; then
      until_true noted "$M" INT; nt=$?
    fi
    kill -USR1 "$tpid"
    kill -CONT "$tpid"
    until_true noted "$M" USR1
    : > "$M.stop"
    reap_bg "$pid"
    exec 3>&-
    [ $st -eq 0 ] && [ $pd -eq 0 ] && [ $nt -eq 0 ] && [ $rc -eq 5 ] &&
      [ "$(tr '\n' ' ' < "$M.got" 2> /dev/null)" = "INT USR1 " ] && is_empty "$d"
    check "$1" $? "tmpf stopped: $st, ^C pending for tmpf: $pd, from the terminal: $nt, status $rc, COMMAND got (in order): $(tr '\n' ' ' < "$M.got" 2> /dev/null), left: $(listing "$d"), pty: $(cat "$M.out")"
  else
    pty_hold=
    exec 3>&-; kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"
    check "$1" 1 "no script(1), or never ready: $(cat "$M.out" 2> /dev/null)"
  fi
}
TRAP_EXIT= IGNORE= TRAP_NOTE="INT USR1"
export TRAP_EXIT IGNORE TRAP_NOTE
# ^C: the terminal's SIGINT reaches COMMAND (once: from the terminal)
ctrl_c terminal_ctrl_c_reaches_command "$scratch/pi"
# ^C with COMMAND in a session of its own: only tmpf gets it, and passes it on
ctrl_c terminal_ctrl_c_forwarded_to_setsid_command "$scratch/ps" setsid
# hangup: the terminal goes away (script killed).  The kernel sends SIGHUP
# to the session leader only, tmpf; COMMAND must get it from tmpf.
fresh ptyhup
TRAP_EXIT=HUP IGNORE= TRAP_NOTE= W_MAX=40
export TRAP_EXIT IGNORE TRAP_NOTE W_MAX
if command -v script > /dev/null && pty_start "$scratch/ph" -p "$d"; then
  sid=$(sed 's/^.*) //' "/proc/$tpid/stat" | cut -d' ' -f4)
  { kill -KILL "$pid"; reap_bg "$pid"; } 2> /dev/null # (bash: no "Killed")
  exec 3>&-
  gone "$tpid"; tg=$?
  [ "$sid" = "$tpid" ] && [ $tg -eq 0 ] && [ "$(cat "$M.got" 2> /dev/null)" = HUP ] && is_empty "$d"
  check terminal_hangup_reaches_command $? "tmpf session leader: $([ "$sid" = "$tpid" ] && echo yes || echo "no ($sid)"), tmpf ended: $tg, COMMAND got: $(cat "$M.got" 2> /dev/null) (none: it ran on to its own end), left: $(listing "$d")"
else
  exec 3>&-; kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"
  check terminal_hangup_reaches_command 1 "no script(1), or never ready: $(cat "$M.out" 2> /dev/null)"
fi
unset W_MAX

# ^C in a shell loop on a terminal (bash -c, as script(1) runs it: not
# interactive, all in the foreground process group): the SIGINT kills
# COMMAND, tmpf removes the directory and dies of SIGINT too, and bash's
# wait-and-cooperative-exit rule stops the loop, as for a plain sleep.
# The ^C comes once COMMAND of the first round is sleep.
fresh ptyloop
if ! command -v script > /dev/null || ! command -v bash > /dev/null; then
  skip terminal_ctrl_c_stops_a_shell_loop "no script(1) or no bash"
elif [ -z "$reset_sigs" ]; then
  check terminal_ctrl_c_stops_a_shell_loop 1 "no env --default-signal, perl or python3 to undo the ignored SIGINT of a background job"
else
  M=$scratch/loop
  rm -f "$M".*
  TMPDIR=$d PIDS=$M.pids SHELL=$(command -v bash) $reset_sigs script -qfec \
    'for i in 1 2 3; do "$TMPF" run sh -c '\''echo $$ >> "$PIDS"; exec sleep 5'\''; echo iter $i; done; echo after' \
    /dev/null < "$scratch/ptyin" > "$M.out" 2>&1 &
  pid=$!
  bg_pids="$bg_pids $pid"
  exec 3> "$scratch/ptyin"
  sleeping() {
    { read -r p1 < "$M.pids"; } 2> /dev/null && [ "$(cat "/proc/$p1/comm" 2> /dev/null)" = sleep ]
  }
  until_true sleeping; sl=$?
  printf '\003' >&3
  reap_bg "$pid"
  exec 3>&-
  rounds=$(wc -l < "$M.pids" 2> /dev/null)
  ! grep -q -e 'iter 2' -e after "$M.out" && [ $sl -eq 0 ] && [ "$rounds" = 1 ] &&
    ! alive "$p1" && [ $rc -ne 999 ] && is_empty "$d"
  check terminal_ctrl_c_stops_a_shell_loop $? "COMMAND slept: $sl, rounds begun: $rounds, script status $rc, sleep still there: $(alive "$p1" && echo yes || echo no), left: $(listing "$d"), terminal: $(tr '\r\n' '  ' < "$M.out")"
fi

# SIGCHLD ignored on entry: COMMAND's status is not lost
fresh chld
if env --ignore-signal=CHLD true 2> /dev/null; then
  out=$(env --ignore-signal=CHLD "$TMPF" run -p "$d" sh -c 'exit 3' 2>&1); rc=$?
else
  out=$(trap '' CHLD; exec "$TMPF" run -p "$d" sh -c 'exit 3' 2>&1); rc=$?
fi
[ $rc -eq 3 ] && [ -z "$out" ] && is_empty "$d"
check status_kept_with_SIGCHLD_ignored $? "status $rc, output: $out"

# tmpf SIGKILLed: the directory stays, marked; reap takes it once
# COMMAND has ended
fresh sigkill
TRAP_EXIT= IGNORE= TRAP_NOTE=
export TRAP_EXIT IGNORE TRAP_NOTE
if start_waiter "$scratch/sk" "$TMPF" run -p "$d"; then
  mkdir -p "$wdir/x/y" && echo f > "$wdir/x/y/f"
  { kill -KILL "$tpid"; reap_bg "$pid"; } 2> /dev/null
  krc=$rc
  [ -d "$wdir" ]; there=$?
  : > "$M.stop"
  gone "$cpid"; cg=$?
  run reap --older-than 0 "$d"
  [ $krc -eq 137 ] && [ $there -eq 0 ] && [ $cg -eq 0 ] && [ $rc -eq 0 ] && is_empty "$d"
  check SIGKILLed_tmpf_leftover_is_reaped $? "tmpf status $krc, left after kill: $there, COMMAND ended: $cg, reap: $rc $out $err, left: $(listing "$d")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check SIGKILLed_tmpf_leftover_is_reaped 1 "never ready"
fi
# tmpf SIGKILLed while COMMAND runs on (issue 17): COMMAND holds the
# directory through the lock it inherited, so reap leaves it and
# COMMAND's writes into it succeed; once COMMAND has ended, reap takes it.
# The same for a process COMMAND started in the background, which keeps
# the directory after COMMAND itself is gone.  $O.go1 ends COMMAND,
# $O.go2 the background one, each after writing into $TMPDIR.
O=$scratch/orph
export O
cat > "$scratch/bin/orphan" << 'EOF'
{
  while [ ! -e "$O.go2" ]; do sleep 0.05; done
  echo bg > "$TMPDIR/bg" && echo ok > "$O.bgdone"
} &
echo "$$ $! $TMPDIR" > "$O.tmp" && mv "$O.tmp" "$O.ready"
while [ ! -e "$O.go1" ]; do sleep 0.05; done
echo x > "$TMPDIR/w" && echo ok > "$O.done"
EOF
fresh orphan
rm -f "$O".*
"$TMPF" run -p "$d" sh "$scratch/bin/orphan" < /dev/null > /dev/null 2> "$O.err" &
pid=$!
bg_pids="$bg_pids $pid"
if poll "$O.ready"; then
  read -r cpid bgpid wdir < "$O.ready"
  { kill -KILL "$pid"; reap_bg "$pid"; } 2> /dev/null
  krc=$rc
  run reap --older-than 0 "$d"; r1="$rc $out"
  [ -d "$wdir" ]; t1=$?
  : > "$O.go1"
  poll "$O.done"; gone "$cpid"; cg=$?
  run reap "$d"; r2="$rc $out"
  [ -d "$wdir" ] && [ "$(cat "$wdir/w" 2> /dev/null)" = x ]; t2=$?
  : > "$O.go2"
  poll "$O.bgdone"; gone "$bgpid"; bg=$?
  [ "$(cat "$wdir/bg" 2> /dev/null)" = bg ]; t3=$?
  run reap "$d"; r3="$rc $out"
  [ $krc -eq 137 ] && [ $t1 -eq 0 ] && [ $t2 -eq 0 ] && [ $cg -eq 0 ] &&
    [ $t3 -eq 0 ] && [ $bg -eq 0 ] && [ "$(cat "$O.done" "$O.bgdone" 2> /dev/null | tr '\n' ' ')" = "ok ok " ] &&
    [ ! -s "$O.err" ] && [ "${r3%% *}" -eq 0 ] && is_empty "$d"
  check SIGKILLed_tmpf_dir_kept_while_command_and_its_children_run $? "tmpf status $krc; reap while COMMAND ran: $r1, dir kept: $t1; after COMMAND ended: $r2, kept with w: $t2; background write: $t3; last reap: $r3, left: $(listing "$d"); COMMAND stderr: $(cat "$O.err")"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"
  check SIGKILLed_tmpf_dir_kept_while_command_and_its_children_run 1 "never ready: $(cat "$O.err")"
fi

# while tmpf lives, reap leaves its directory alone
fresh live
if start_waiter "$scratch/lv" "$TMPF" run -p "$d"; then
  run reap --older-than 0 "$d"
  [ -d "$wdir" ]; there=$?
  : > "$M.stop"
  reap_bg "$pid"
  [ $there -eq 0 ] && [ $rc -eq 5 ] && is_empty "$d"
  check live_run_not_reaped $? "dir there after reap: $there, status $rc"
else
  kill -KILL "$pid" 2> /dev/null; reap_bg "$pid"; check live_run_not_reaped 1 "never ready"
fi

check_summary

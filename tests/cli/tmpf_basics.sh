#!/bin/sh
# SPDX-License-Identifier: MIT
# tmpf's own commands: the dispatcher, `tmpf dir` and `tmpf reap`.
#
#   sh tests/cli/tmpf_basics.sh TMPF
#
# One "ok   NAME" / "FAIL NAME" line per check, then "N passed, M failed".
# (Reaping real leftovers is tested in tests/test_lifecycle.c and
# tests/test_reap_attacks.c; here, what the command line adds.)
TMPF=$1
CHECK_PREFIX=tmpf_
. "$(dirname "$0")/check.sh"
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT
export LC_ALL=C


# run ARGS...: sets $out, $err and $rc
run() {
  out=$("$TMPF" "$@" 2> "$scratch/err"); rc=$?
  err=$(cat "$scratch/err")
}

# --- the dispatcher
run; [ $rc -eq 2 ] && case $err in *Usage:*) true ;; *) false ;; esac
check no_command_is_usage_error_2 $? "status $rc, stderr: $err"
run --help; [ $rc -eq 0 ] && case $out in *mktemp*sponge*run*reap*dir*) true ;; *) false ;; esac
check help_lists_the_commands $? "status $rc"
run --version; [ $rc -eq 0 ] && [ -n "$out" ]
check version $? "status $rc"
run frobnicate; [ $rc -eq 2 ] && [ "$(echo "$err" | head -n 1)" = "tmpf: unknown command 'frobnicate'" ]
check unknown_command $? "status $rc, stderr: $err"

# --- tmpf dir
mkdir "$scratch/t"
out=$(TMPDIR=$scratch/t "$TMPF" dir); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$scratch/t" ]
check dir_honours_TMPDIR $? "status $rc, printed $out"
out=$(TMPDIR=$scratch/missing "$TMPF" dir); rc=$?
[ $rc -eq 0 ] && [ "$out" != "$scratch/missing" ] && [ -d "$out" ]
check dir_skips_a_missing_TMPDIR $? "status $rc, printed $out"
out=$(TMPDIR=$scratch/missing "$TMPF" dir -v); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^  \$TMPDIR=$scratch/missing: No such file or directory$" &&
  echo "$out" | grep -q '^chosen: /'
check dir_verbose_says_why $? "status $rc, printed: $out"
[ -z "$(ls -A "$scratch/t")" ]
check dir_probe_leaves_nothing $?
run dir extra; [ $rc -eq 2 ]
check dir_rejects_arguments $? "status $rc"
run dir --help; [ $rc -eq 0 ] && case $out in *Usage:*) true ;; *) false ;; esac
check dir_help $? "status $rc"

# --- tmpf reap
mkdir "$scratch/r"
: > "$scratch/r/tmpabcdefghijkl" # looks like ours, is not marked
run reap "$scratch/r"
[ $rc -eq 0 ] && [ "$out" = "0 leftovers removed in '$scratch/r'" ] && [ -f "$scratch/r/tmpabcdefghijkl" ]
check reap_leaves_unmarked_files $? "status $rc, printed $out"
run reap --dry-run --older-than 2h "$scratch/r"
[ $rc -eq 0 ] && [ "$out" = "0 leftovers found in '$scratch/r'" ]
check reap_dry_run_summary $? "status $rc, printed $out"
out=$(TMPDIR=$scratch/r "$TMPF" reap -n); rc=$?
[ $rc -eq 0 ] && [ "$out" = "0 leftovers found in '$scratch/r'" ]
check reap_defaults_to_the_temp_dir $? "status $rc, printed $out"
for age in 10 10s 5m 2h 1d; do
  run reap -n --older-than "$age" "$scratch/r"
  [ $rc -eq 0 ] && [ "$out" = "0 leftovers found in '$scratch/r'" ]
  check "reap_age_$age" $? "status $rc: $out $err"
done
for age in x 5x -1 1hh ""; do
  run reap --older-than "$age" "$scratch/r"
  [ $rc -eq 2 ] && [ "$err" = "tmpf: reap: invalid age '$age'
Try 'tmpf reap --help' for more information." ]
  check "reap_rejects_age_'$age'" $? "status $rc: $err"
done
run reap "$scratch/missing"
[ $rc -eq 1 ] && [ "$err" = "tmpf: reap: cannot open directory '$scratch/missing': No such file or directory" ]
check reap_missing_dir_is_status_1 $? "status $rc: $err"
run reap "$scratch/r" "$scratch/t"; [ $rc -eq 2 ]
check reap_one_dir_at_most $? "status $rc"
run reap --bogus; [ $rc -eq 2 ]
check reap_unknown_option $? "status $rc"

check_summary

#!/bin/sh
# SPDX-License-Identifier: MIT
# How tmpf speaks, across its commands, as coreutils does: every error
# message starts "tmpf: CMD: ", names the object quoted ('like this') and
# ends with the C library's strerror() text ("No such file or directory",
# never the library's lower-case tf_strerror() wording); every usage
# error (status 2) ends with "Try 'tmpf CMD --help' for more
# information."; help and version as GNU users expect them.
#
#   sh tests/cli/messages.sh TMPF
#
# One "ok   msg_NAME" / "FAIL msg_NAME" line per check, then "N passed, M
# failed" (", K skipped").  (mktemp mode speaks as GNU mktemp does:
# mktemp_diff.sh compares it with the real one.)
TMPF=$1
CHECK_PREFIX=msg_
. "$(dirname "$0")/check.sh"
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT
export LC_ALL=C
if [ "$(id -u)" -eq 0 ]; then root=1; else root=0; fi

# The C library's texts (glibc's and musl's) of the errors these cases meet.
strerrors='No such file or directory|Not a directory|Is a directory|Permission denied|No space left on device|Invalid cross-device link|Cross-device link|Device or resource busy|Resource busy|Operation not permitted|File too large|Read-only file system'

# run ARGS...: sets $out, $err (stderr, lines joined by |) and $rc
run() {
  out=$("$TMPF" "$@" < /dev/null 2> "$scratch/err"); rc=$?
  err=$(tr '\n' '|' < "$scratch/err")
}

# usage_error CMD ARGS...: status 2, every line but the last starts
# "tmpf: CMD: ", the last is the Try line, nothing on stdout
usage_error() {
  cmd=$1; shift
  run "$@"
  last=$(tail -n 1 "$scratch/err")
  [ $rc -eq 2 ] && [ -z "$out" ] && [ "$(wc -l < "$scratch/err")" -ge 2 ] &&
    [ "$last" = "Try 'tmpf $cmd --help' for more information." ] &&
    ! sed '$d' "$scratch/err" | grep -v -q "^tmpf: $cmd: ."
  check "usage_$(echo "$*" | sed "s|$scratch/||g" | tr -c 'A-Za-z0-9\n' _)" $? "tmpf $*: status $rc, stdout: $out, stderr: $err"
}

usage_error sponge sponge --bogus
usage_error sponge sponge -x
usage_error sponge sponge -m
usage_error sponge sponge -m 5Q
usage_error sponge sponge --memory=-1
usage_error sponge sponge a b
usage_error sponge sponge --durable --no-sync
usage_error sponge sponge --no-sync --durable "$scratch/f"
usage_error sponge sponge --append=yes
usage_error run run
usage_error run run --
usage_error run run --bogus true
usage_error run run -p
usage_error reap reap a b
usage_error reap reap --older-than x
usage_error reap reap --older-than
usage_error reap reap --bogus
usage_error reap reap -x
usage_error dir dir extra
usage_error dir dir --bogus
usage_error dir dir -x
usage_error help help a b

# failure CMD STATUS ARGS...: that status, one line on stderr: "tmpf:
# CMD: ", and a strerror() text after ": " (the end of the line, or
# before a parenthesised note)
failure() {
  cmd=$1 want=$2; shift 2
  run "$@"
  [ $rc -eq "$want" ] && [ "$(wc -l < "$scratch/err")" -eq 1 ] &&
    grep -q "^tmpf: $cmd: " "$scratch/err" &&
    grep -E -q ": ($strerrors)( \(.*\))?\$" "$scratch/err"
  check "fails_$(echo "$*" | sed "s|$scratch/||g" | tr -c 'A-Za-z0-9\n' _)" $? "tmpf $*: status $rc (wanted $want), stderr: $err"
}

mkdir "$scratch/d"
: > "$scratch/file"
failure sponge 1 sponge "$scratch/missing/f"
failure sponge 1 sponge "$scratch/d"
failure run 1 run -p "$scratch/missing" true
failure run 1 run -p "$scratch/file" true
failure run 127 run "$scratch/missing-command"
failure run 126 run "$scratch/d"
failure reap 1 reap "$scratch/missing"
failure reap 1 reap "$scratch/file"
# the object is named, quoted
run sponge "$scratch/missing/f"
[ "$err" = "tmpf: sponge: cannot replace '$scratch/missing/f': No such file or directory|" ]
check sponge_names_the_file_quoted $? "stderr: $err"
run reap "$scratch/missing"
[ "$err" = "tmpf: reap: cannot open directory '$scratch/missing': No such file or directory|" ]
check reap_names_the_directory_quoted $? "stderr: $err"
run run -p "$scratch/missing" true
[ "$err" = "tmpf: run: cannot use directory '$scratch/missing': No such file or directory|" ]
check run_names_the_directory_quoted $? "stderr: $err"

# a standard output that fails
printf x | "$TMPF" sponge > /dev/full 2> "$scratch/err"; rc=$?
[ $rc -eq 1 ] && [ "$(cat "$scratch/err")" = "tmpf: sponge: write error: No space left on device" ]
check sponge_stdout_full $? "status $rc, stderr: $(tr '\n' '|' < "$scratch/err")"

# run: a directory that can not be removed (a mount inside, which the
# walk does not enter) is named, and said to be still there
if [ $root -eq 1 ]; then ns="unshare -m"; else ns="unshare -r -m"; fi
if $ns true 2> /dev/null; then
  mkdir "$scratch/m"
  $ns --propagation private sh -c '
    "$1" run -p "$2" sh -c "mkdir \"\$TMPDIR/mnt\" && mount -t tmpfs x \"\$TMPDIR/mnt\" && echo \"\$TMPDIR\" > \"$3/m.path\"" 2> "$3/m.err"
    echo $? > "$3/m.rc"' sh "$TMPF" "$scratch/m" "$scratch"
  rc=$(cat "$scratch/m.rc" 2> /dev/null) p=$(cat "$scratch/m.path" 2> /dev/null)
  [ "$rc" = 1 ] && [ -n "$p" ] && [ -d "$p" ] &&
    grep -E -q "^tmpf: run: cannot remove the temporary directory '$p': ($strerrors) \(it is still there\)\$" "$scratch/m.err"
  check run_names_the_directory_it_could_not_remove $? "status $rc, dir $p, stderr: $(tr '\n' '|' < "$scratch/m.err" 2> /dev/null)"
else
  skip run_names_the_directory_it_could_not_remove "cannot mount: no root and no user namespace"
fi

# --- help and version, as GNU users expect them
for args in "--help" "-h" "help" "help --help"; do
  run $args
  [ $rc -eq 0 ] && [ -z "$err" ] && case $out in Usage:\ tmpf\ COMMAND*) true ;; *) false ;; esac
  check "help_$(echo "$args" | tr -c 'a-z\n' _)" $? "tmpf $args: status $rc, stdout: $(echo "$out" | head -n 1), stderr: $err"
done
for cmd in sponge run reap dir; do
  run help $cmd; a=$out
  run $cmd --help
  [ $rc -eq 0 ] && [ -z "$err" ] && [ "$out" = "$a" ] &&
    case $out in "Usage: tmpf $cmd "*) true ;; *) false ;; esac
  check "help_$cmd" $? "status $rc, stdout: $(echo "$out" | head -n 1), stderr: $err"
done
run help mktemp
[ $rc -eq 0 ] && case $out in "Usage: mktemp "*) true ;; *) false ;; esac
check help_mktemp $? "status $rc, stdout: $(echo "$out" | head -n 1)"
run help frobnicate
[ $rc -eq 2 ] && [ "$err" = "tmpf: unknown command 'frobnicate'|Try 'tmpf --help' for more information.|" ]
check help_unknown_command $? "status $rc, stderr: $err"
# moreutils' sponge -h prints the usage and succeeds
run sponge -h
[ $rc -eq 0 ] && [ -z "$err" ] && case $out in "Usage: tmpf sponge "*) true ;; *) false ;; esac
check sponge_h_is_help $? "status $rc, stderr: $err"
run --version; v=$out
run -V
[ $rc -eq 0 ] && [ -n "$out" ] && [ "$out" = "$v" ] && case $out in "tmpf (libtempfile) "[0-9]*) true ;; *) false ;; esac
check version_V $? "status $rc, stdout: $out, --version: $v"

# --- tmpf dir -v: the step that failed and the system's reason
mkdir "$scratch/t"
out=$(TMPDIR=/proc "$TMPF" dir -v); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^  \$TMPDIR=/proc: cannot create a file in it: No such file or directory$'
check dir_v_proc_says_the_step $? "status $rc, printed: $out"
out=$(TMPDIR=$scratch/file "$TMPF" dir -v); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^  \\\$TMPDIR=$scratch/file: Not a directory\$"
check dir_v_not_a_directory $? "status $rc, printed: $out"
if [ $root -eq 1 ] && command -v setpriv > /dev/null; then
  mkdir "$scratch/ro"; chmod 555 "$scratch/ro"; chmod 755 "$scratch"
  out=$(TMPDIR=$scratch/ro setpriv --reuid=65534 --regid=65534 --clear-groups "$TMPF" dir -v); rc=$?
  [ $rc -eq 0 ] && echo "$out" | grep -q "^  \\\$TMPDIR=$scratch/ro: cannot create a file in it: Permission denied\$"
  check dir_v_unwritable $? "status $rc, printed: $out"
fi
# a full file system: creating works, writing does not (the library's
# probe writes, so the candidate is refused, and -v says why)
if $ns true 2> /dev/null; then
  mkdir "$scratch/full"
  out=$($ns sh -c 'mount -t tmpfs -o size=4k x "$1" && head -c 8192 /dev/zero > "$1/fill" 2> /dev/null; TMPDIR=$1 "$2" dir -v' sh "$scratch/full" "$TMPF" 2>&1); rc=$?
  [ $rc -eq 0 ] && echo "$out" | grep -q "^  \\\$TMPDIR=$scratch/full: cannot write a file in it: No space left on device\$" &&
    ! echo "$out" | grep -q "^chosen: $scratch/full\$"
  check dir_v_full_disk $? "status $rc, printed: $out"
else
  skip dir_v_full_disk "cannot mount: no root and no user namespace"
fi

# --- reap quotes the names it reports
mkdir "$scratch/r"
TMPDIR=$scratch/r "$TMPF" run sh -c 'kill -KILL $PPID' 2> /dev/null
left=$(ls -A "$scratch/r")
run reap "$scratch/r"
case $left in
  tmpf-run.*)
    if [ -z "$(ls -A "$scratch/r")" ]; then
      [ $rc -eq 0 ] && [ "$out" = "removed directory '$left' (left by process $(echo "$out" | sed -n 's/.*(left by process \([0-9]*\))$/\1/p'))
1 leftover removed in '$scratch/r'" ]
      check reap_quotes_names $? "status $rc, printed: $out"
    else
      skip reap_quotes_names "the leftover was not reaped here (no liveness mark: user xattrs?): $out"
    fi ;;
  *) check reap_quotes_names 1 "no leftover of a killed tmpf run: $left" ;;
esac

check_summary

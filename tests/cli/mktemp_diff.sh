#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential test of a mktemp implementation against GNU mktemp.
#
#   sh tests/cli/mktemp_diff.sh REFERENCE CANDIDATE...
#
# REFERENCE is the system's mktemp (/usr/bin/mktemp).  CANDIDATE is a
# command prefix: "build/cc/tmpf mktemp" (one word or several), or the
# path of a program (such as a symlink named mktemp) that acts as mktemp.
#
# Every case runs the reference and then the candidate, each in a fresh
# copy of the same scratch directory (same path, same contents, used as
# the working directory and as the base of relative paths), with the
# same environment (env -i, LC_ALL=C, plus the case's variables) and the
# same umask.  The reference is started as "mktemp" through PATH, so its
# messages say "mktemp: ..."; the candidate must print the same prefix,
# also when started as "tmpf mktemp".  The two runs must agree on:
#   - the exit status;
#   - standard output and standard error, after masking the randomised
#     run of the name (the X's of the template: they must have become
#     [A-Za-z0-9]) and writing the scratch path as $S;
#   - the object at the printed path: exists or not, type and mode
#     (ls -ld), and it is removed afterwards;
#   - the scratch directory holding nothing else afterwards.
# For --version and --help only the status, stderr and "stdout non-empty"
# are compared.
# MKTEMP_DIFF_VERBOSE=1 also shows what was compared for passing cases;
# MKTEMP_DIFF_NAME replaces "mktemp_diff" in the case names.
# Output: one "ok   mktemp_diff_N_DESC" or "FAIL mktemp_diff_N_DESC" line
# (with indented details) per case, then "N passed, M failed".

# Word splitting of $ENVV, $CAND_ARGS and $TIMEOUT is deliberate (with set -f).
# shellcheck disable=SC2086,SC2016

if [ $# -lt 2 ]; then
  echo "usage: sh $0 REFERENCE CANDIDATE..." >&2
  exit 2
fi

set -f          # no globbing anywhere: templates are full of odd characters
REF=$1
shift
[ $# -eq 1 ] && set -- $1      # "tmpf mktemp" given as one word
CAND=$1
shift
CAND_ARGS=$*                   # words after the program (e.g. "mktemp")

abspath() { # program -> absolute path (relative to the starting directory)
  case $1 in
    /*) printf '%s\n' "$1" ;;
    */*) printf '%s\n' "$PWD/$1" ;;
    *) command -v "$1" ;;
  esac
}
REF=$(abspath "$REF")
CAND=$(abspath "$CAND")
for p in "$REF" "$CAND"; do
  if [ ! -x "$p" ]; then
    echo "FAIL mktemp_diff_setup_program_missing"
    echo "    not an executable: $p"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

W=$(env -i PATH=/usr/bin:/bin "$REF" -d "${TMPDIR:-/tmp}/mktemp_diff.XXXXXXXXXX") || exit 1
trap 'chmod -R u+rwx "$W" 2>/dev/null; rm -rf "$W"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
BASEPATH=/usr/local/bin:/usr/bin:/bin
S=$W/s                          # the scratch directory of every run
FIX=$W/fixture                  # what each scratch directory starts as
mkdir "$W/bin.r" "$W/bin.c" "$FIX" "$FIX/sub" "$FIX/td" "$FIX/ro" || exit 1
ln -s "$REF" "$W/bin.r/mktemp"
ln -s "$CAND" "$W/bin.c/mktemp"
: > "$FIX/file"
ln -s loop "$FIX/loop"
chmod 755 "$FIX" "$FIX/sub" "$FIX/td"
chmod 644 "$FIX/file"
chmod 555 "$FIX/ro"
cp -Rp "$FIX" "$S" && BASELINE=$(ls -AR "$S") &&
  (cd "$S" && find . -print | LC_ALL=C sort) > "$W/fixture.list" &&
  rm -rf "$S" || exit 1
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout 20"
LONG=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
LONG=$LONG$LONG$LONG$LONG
X30=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX

# ---------------------------------------------------------------- masking
# mask_params ARGS...: from mktemp's arguments, MN = length of the X run
# that gets randomised, MS = number of characters after it in the name.
mask_params() {
  tmpl='' suff='' ddash='' want='' given=''
  for a do
    if [ -n "$want" ]; then
      [ "$want" = suffix ] && suff=$a
      want=
      continue
    fi
    if [ -n "$ddash" ]; then tmpl=$a given=1; continue; fi
    case $a in
      --) ddash=1 ;;
      --s=*|--su=*|--suf=*|--suff=*|--suffi=*|--suffix=*) suff=${a#*=} ;;
      --s|--su|--suf|--suff|--suffi|--suffix) want=suffix ;;
      --*) ;;
      -?*) case $a in -*p) want=dir ;; esac ;;
      *) tmpl=$a given=1 ;;
    esac
  done
  [ -z "$given" ] && tmpl=tmp.XXXXXXXXXX
  tail=${tmpl##*X}
  head=${tmpl%"$tail"}
  MN=0
  while :; do
    case $head in
      *X) head=${head%X}; MN=$((MN + 1)) ;;
      *) break ;;
    esac
  done
  MS=$((${#tail} + ${#suff}))
}

# The record of one run (awk -v OUT= ERR= ST= MN= MS= VER= S= PATHFILE=):
# prints the status, and stdout and stderr with the random run masked and
# the scratch path written as $S; writes the printed name to PATHFILE
# (empty unless the run succeeded and printed exactly one line).
AWK_RECORD='
function slurp(f,   r, s, old) {
  old = RS; RS = "\001"; s = ""
  while ((getline r < f) > 0) s = s r
  close(f); RS = old
  return s
}
function repl(s, from, to,   i, out) {
  if (from == "") return s
  out = ""
  while ((i = index(s, from)) > 0) {
    out = out substr(s, 1, i - 1) to
    s = substr(s, i + length(from))
  }
  return out s
}
function emit(tag, s,   n, a, i, last) {
  if (s == "") { print tag " (empty)"; return }
  last = substr(s, length(s), 1)
  n = split(s, a, "\n")
  if (last == "\n") n--
  for (i = 1; i <= n; i++) print tag "| " a[i]
  if (last != "\n") print tag " (no newline at end)"
}
BEGIN {
  out = slurp(OUT); err = slurp(ERR)
  raw = ""
  if (!VER && ST == 0 && out ~ /^[^\n]+\n$/ && MN > 0) {
    raw = substr(out, 1, length(out) - 1)
    p = length(raw) - MS - MN + 1
    run = substr(raw, p, MN)
    if (p >= 1 && run ~ /^[A-Za-z0-9]+$/ && run !~ /XXXX/) {
      r = ""
      for (i = 0; i < MN; i++) r = r "R"
      masked = substr(raw, 1, p - 1) r substr(raw, p + MN)
      out = masked "\n"
      err = repl(err, raw, masked)
    } else {
      out = raw "  <- no random [A-Za-z0-9] run where the X run was\n"
    }
  }
  print raw > PATHFILE
  print "status " ST
  if (VER) print "stdout " (out == "" ? "(empty)" : "(non-empty)")
  else emit("stdout", repl(out, S, "$S"))
  emit("stderr", repl(err, S, "$S"))
}'

# ------------------------------------------------------------- one run
# run_one WHO ARGS...: WHO is r (reference) or c (candidate); the case's
# settings are in ENVV, UMASK, STDOUT, VER, REPS.  Writes $W/rec.WHO.
run_one() {
  who=$1
  shift
  REC=$W/rec.$who
  : > "$REC"
  # (the scratch directory is made anew only when a run changed it)
  if [ ! -d "$S" ]; then
    cp -Rp "$FIX" "$S" || { echo "setup failed" >> "$REC"; return; }
  fi
  names=
  rep=0
  while [ "$rep" -lt "$REPS" ]; do
    rep=$((rep + 1))
    if [ "$who" = r ]; then
      (cd "$S" && umask "$UMASK" &&
        exec $TIMEOUT env -i PATH="$W/bin.r:$BASEPATH" LC_ALL=C $ENVV \
          mktemp "$@" < /dev/null > "$STDOUT" 2> "$W/err")
      st=$?
    elif [ -z "$CAND_ARGS" ]; then
      (cd "$S" && umask "$UMASK" &&
        exec $TIMEOUT env -i PATH="$W/bin.c:$BASEPATH" LC_ALL=C $ENVV \
          mktemp "$@" < /dev/null > "$STDOUT" 2> "$W/err")
      st=$?
    else
      (cd "$S" && umask "$UMASK" &&
        exec $TIMEOUT env -i PATH="$W/bin.c:$BASEPATH" LC_ALL=C $ENVV \
          "$CAND" $CAND_ARGS "$@" < /dev/null > "$STDOUT" 2> "$W/err")
      st=$?
    fi
    [ "$STDOUT" = "$W/out" ] || : > "$W/out"
    awk -v OUT="$W/out" -v ERR="$W/err" -v ST="$st" -v MN="$MN" -v MS="$MS" \
        -v VER="$VER" -v S="$S" -v PATHFILE="$W/path" \
        "$AWK_RECORD" >> "$REC"
    P=
    IFS= read -r P < "$W/path"
    if [ -n "$P" ]; then
      names="$names
$P"
      case $P in /*) Q=$P ;; *) Q=$S/$P ;; esac
      if [ -L "$Q" ]; then
        echo "object: symlink (left in place)" >> "$REC"
      elif [ -d "$Q" ] || [ -e "$Q" ]; then
        lsm=$(ls -ld -- "$Q")
        lsm=${lsm%% *}
        lsm=${lsm%"${lsm#??????????}"}
        echo "object: $lsm" >> "$REC"
        case $Q in
          "$S"/*|/tmp/*)
            if [ -d "$Q" ]; then rmdir -- "$Q"; else rm -f -- "$Q"; fi ||
              echo "object: could not be removed" >> "$REC" ;;
          *) echo "object: outside the scratch dir and /tmp, not removed" >> "$REC" ;;
        esac
      else
        echo "object: none" >> "$REC"
      fi
    fi
  done
  if [ "$REPS" -gt 1 ]; then
    uniq=$(printf '%s\n' "$names" | sort -u | wc -l)
    if [ "$uniq" -eq $((REPS + 1)) ]; then
      echo "names: $REPS distinct" >> "$REC"
    else
      echo "names: NOT all distinct:$names" >> "$REC"
    fi
  fi
  now=$(ls -AR "$S")
  if [ "$now" != "$BASELINE" ]; then
    echo "scratch directory changed:" >> "$REC"
    (cd "$S" && find . -print | LC_ALL=C sort) > "$W/now"
    diff "$W/fixture.list" "$W/now" |
      sed -n 's/^> /  left behind: /p; s/^< /  removed: /p' >> "$REC"
    chmod -R u+rwx "$S" 2>/dev/null
    rm -rf "$S"
  fi
}

# ---------------------------------------------------------------- a case
# c DESC SPEC ARGS...: SPEC is a space-separated list of
#   VAR=VALUE   an environment variable (VALUE may be empty)
#   umask=NNN   the umask (default 022)
#   out=full    standard output is /dev/full
#   version     compare only status, stderr and whether stdout is empty
#   reps=N      run N times in the same scratch dir; names must differ
# "@S" in SPEC or ARGS stands for the scratch directory.
show_args() {
  info="env:${ENVV:- none}, umask $UMASK"
  [ "$STDOUT" = /dev/full ] && info="$info, stdout /dev/full"
  [ "$REPS" -gt 1 ] && info="$info, $REPS runs"
  printf '    args:'
  for sa do printf " '%s'" "$sa"; done
  printf ' (%s)\n' "$info"
}
N=0
PASSED=0
FAILED=0
c() {
  desc=$1 spec=$2
  shift 2
  N=$((N + 1))
  ENVV='' UMASK=022 STDOUT=$W/out VER='' REPS=1
  for w in $spec; do
    case $w in *@S*) w=${w%%@S*}$S${w#*@S} ;; esac
    case $w in
      umask=*) UMASK=${w#umask=} ;;
      out=full) STDOUT=/dev/full ;;
      version) VER=1 ;;
      reps=*) REPS=${w#reps=} ;;
      *=*) ENVV="$ENVV $w" ;;
      *) echo "bad spec word $w" >&2; exit 2 ;;
    esac
  done
  for a do
    shift
    case $a in *@S*) a=${a%%@S*}$S${a#*@S} ;; esac
    set -- "$@" "$a"
  done
  mask_params "$@"
  run_one r "$@"
  run_one c "$@"
  name=${MKTEMP_DIFF_NAME:-mktemp_diff}_${N}_$desc
  if cmp -s "$W/rec.r" "$W/rec.c"; then
    echo "ok   $name"
    PASSED=$((PASSED + 1))
    if [ -n "$MKTEMP_DIFF_VERBOSE" ]; then
      show_args "$@" | sed "s|$S|\$S|g"
      sed 's/^/    /' "$W/rec.r"
    fi
  else
    echo "FAIL $name"
    FAILED=$((FAILED + 1))
    show_args "$@" | sed "s|$S|\$S|g"
    echo "    --- reference, +++ candidate:"
    diff "$W/rec.r" "$W/rec.c" | sed -n 's/^\([<>]\) /\1/p' |
      sed 's/^</    - /; s/^>/    + /'
  fi
}

TD="TMPDIR=@S/td"

# ----------------------------------------------- templates x modes
for mode in none d u q; do
  case $mode in none) mflag= ;; *) mflag=-$mode ;; esac
  c "${mode}_no_template" "$TD" $mflag
  c "${mode}_XXX" "$TD" $mflag XXX
  c "${mode}_tmp.XXX" "$TD" $mflag tmp.XXX
  c "${mode}_tmp.X10" "$TD" $mflag tmp.XXXXXXXXXX
  c "${mode}_X30" "$TD" $mflag "$X30"
  c "${mode}_too_few_XX" "$TD" $mflag tmp.XX
  c "${mode}_one_X" "$TD" $mflag X
  c "${mode}_empty_template" "$TD" $mflag ""
  c "${mode}_no_X" "$TD" $mflag foo
  c "${mode}_X_middle_suffix" "$TD" $mflag fooXXXbar
  c "${mode}_X_then_dotted_suffix" "$TD" $mflag XXX.tar.gz
  c "${mode}_X_in_suffix_too_few" "$TD" $mflag fooXXXaXb
  c "${mode}_suffix_with_slash" "$TD" $mflag XXX/foo
  c "${mode}_template_in_subdir" "$TD" $mflag sub/tmp.XXX
  c "${mode}_missing_dir" "$TD" $mflag nodir/tmp.XXX
  c "${mode}_under_regular_file" "$TD" $mflag file/tmp.XXX
  c "${mode}_symlink_loop_dir" "$TD" $mflag loop/tmp.XXX
  c "${mode}_readonly_dir" "$TD" $mflag ro/tmp.XXX
  c "${mode}_absolute_template" "$TD" $mflag @S/sub/tmp.XXXX
  c "${mode}_name_too_long" "$TD" $mflag "${LONG}XXX"
  c "${mode}_dash_template" "$TD" $mflag -- -XXX
done

# ------------------------------------------------------------- --suffix
c suffix_basic "$TD" --suffix=.c fooXXX
c suffix_dir "$TD" -d --suffix=.d fooXXX
c suffix_dry_run_subdir "$TD" -u --suffix=.c sub/XXX
c suffix_default_template "$TD" --suffix=.c
c suffix_tmpdir "$TD" --suffix=.c -p sub
c suffix_t "$TD" --suffix=.c -t XXX
c suffix_template_has_suffix "$TD" --suffix=.c foo.XXX.txt
c suffix_template_no_X "$TD" --suffix=.c foo
c suffix_with_slash "$TD" --suffix=a/b XXX
c suffix_with_slash_quiet "$TD" -q --suffix=a/b XXX
c suffix_empty "$TD" --suffix= XXX
c suffix_is_X "$TD" --suffix=X XXX
c suffix_separate_arg "$TD" --suffix .c XXX
c suffix_eats_template "$TD" --suffix XXX
c suffix_abbreviated "$TD" --s=.c XXX
c suffix_twice_last_wins "$TD" --suffix=.a --suffix=.b XXX
c suffix_too_few_X "$TD" --suffix=.c XX
c suffix_missing_dir "$TD" --suffix=.c nodir/XXX
c suffix_missing_dir_quiet "$TD" -q --suffix=.c nodir/XXX
c suffix_missing_argument "$TD" --suffix

# -------------------------------------------------- -p / --tmpdir / -t
c p_dir "$TD" -p sub
c p_dir_template "$TD" -p sub XXX
c p_dir_trailing_slash "$TD" -p sub/ XXX
c p_dir_double_slash "$TD" -p sub// XXX
c p_attached "$TD" -psub XXX
c p_clustered "$TD" -dp sub XXX
c p_template_with_slash_missing "$TD" -p sub a/XXX
c p_template_with_slash "$TD" -p . sub/XXX
c p_absolute_dir "$TD" -p @S/sub XXX
c p_absolute_template "$TD" -p sub @S/XXX
c tmpdir_eq_absolute_template "$TD" --tmpdir=sub @S/XXX
c tmpdir_absolute_template "$TD" --tmpdir @S/XXX
c t_absolute_template "$TD" -t @S/XXX
c t_template_with_slash "$TD" -t a/XXX
c t_template_with_slash_quiet "$TD" -q -t a/XXX
c t_template "$TD" -t XXX
c t_no_template "$TD" -t
c p_missing_dir "$TD" -p nodir
c d_p_missing_dir "$TD" -d -p nodir
c u_p_missing_dir "$TD" -u -p nodir
c q_p_missing_dir "$TD" -q -p nodir
c p_regular_file "$TD" -p file
c d_p_regular_file "$TD" -d -p file
c p_symlink_loop "$TD" -p loop
c p_readonly_dir "$TD" -p ro
c d_p_readonly_dir "$TD" -d -p ro
c p_proc "$TD" -p /proc
c d_p_proc "$TD" -d -p /proc
c p_dev_null "$TD" -p /dev/null
c p_empty_means_TMPDIR "$TD" -p "" XXX
c tmpdir_eq_dir "$TD" --tmpdir=sub
c d_tmpdir_eq_dir "$TD" -d --tmpdir=sub
c tmpdir_alone "$TD" --tmpdir
c tmpdir_eq_empty "$TD" --tmpdir= XXX
c tmpdir_then_template "$TD" --tmpdir XXX
c tmpdir_abbreviated "$TD" --tm=sub XXX
c p_twice_last_wins "$TD" -p sub -p td XXX
c tmpdir_eq_then_p "$TD" --tmpdir=sub -p td XXX
c p_then_tmpdir_resets "$TD" -p sub --tmpdir XXX
c u_p_root "$TD" -u -p / tmp.XXXXXXXXXX
c u_p_double_root "$TD" -u -p // tmp.XXXXXXXXXX
c p_dot "$TD" -p . XXX
c p_dot_slash "$TD" -p ./ XXX
c u_tmpdir_missing "$TD" -u --tmpdir=nodir XXX
c u_p_triple_root "$TD" -u -p /// tmp.XXXXXXXXXX
c u_p_trailing_slashes "$TD" -u -p sub/// XXX
c u_p_inner_double_slash "$TD" -u -p a//b XXX
c u_p_dot_components "$TD" -u -p ./. XXX
c u_p_dir_with_X "$TD" -u -p dirXXX tmp.XXX
c u_suffix_of_X "$TD" -u --suffix=XXX XXX
c t_TMPDIR_trailing_slash "TMPDIR=@S/td/" -t XXX
c tmpdir_TMPDIR_double_slash "TMPDIR=@S/td//" --tmpdir XXX
c u_t_TMPDIR_with_X "TMPDIR=@S/tdXXX" -u -t XXX
c p_missing_argument "$TD" -p
c t_p_template_with_slash "$TD" -p sub -t a/XXX

# ------------------------------------------- TMPDIR x -p x -t precedence
for e in unset empty dir relative missing file; do
  case $e in
    unset) ev= ;;
    empty) ev=TMPDIR= ;;
    dir) ev=$TD ;;
    relative) ev=TMPDIR=sub ;;
    missing) ev=TMPDIR=@S/nodir ;;
    file) ev=TMPDIR=@S/file ;;
  esac
  c "env_${e}_default" "$ev"
  c "env_${e}_t" "$ev" -t
  c "env_${e}_t_template" "$ev" -t fooXXX
  c "env_${e}_p" "$ev" -p sub
  c "env_${e}_t_p" "$ev" -t -p sub fooXXX
  c "env_${e}_tmpdir" "$ev" --tmpdir fooXXX
  c "env_${e}_tmpdir_eq" "$ev" --tmpdir=sub fooXXX
  c "env_${e}_relative_template" "$ev" fooXXX
  c "env_${e}_d_t" "$ev" -d -t
done

# ------------------------------------------------------------- options
# The help text is our own (GNU's is GNU's text, not copied): compared
# like --version, by status, stderr and a non-empty stdout.
c help "$TD version" --help
c help_abbreviated "$TD version" --he
c help_then_bad_option "$TD version" --help --bogus
c bad_option_then_help "$TD" --bogus --help
c help_with_argument "$TD" --help=x
c h_is_invalid "$TD" -h
c version "$TD version" --version
c version_abbreviated "$TD version" --vers
c version_short_V "$TD version" -V
c version_then_help "$TD version" --version --help
c bad_option_then_version "$TD version" -x --version
c invalid_short_option "$TD" -x
c invalid_in_cluster "$TD" -dux
c unknown_long_option "$TD" --bogus
c ambiguous_long_option "$TD" --d
c dry_run_abbreviated "$TD" --dry XXX
c directory_abbreviated "$TD" --di XXX
c quiet_abbreviated "$TD" --q nodir/XXX
c dry_run_with_argument "$TD" --dry-run=x
c directory_with_argument "$TD" --directory=x
c quiet_long "$TD" --quiet nodir/XXX
c dry_run_long "$TD" --dry-run XXX
c directory_long "$TD" --directory XXX
c cluster_d_q "$TD" -dq XXX
c cluster_d_u "$TD" -du XXX
c option_after_template "$TD" XXX -d
c p_after_template "$TD" XXX -p sub
c u_after_template "$TD" XXX -u
c posixly_correct_option_after_template "$TD POSIXLY_CORRECT=1" XXX -d
c posixly_correct_options_first "$TD POSIXLY_CORRECT=1" -d XXX
c double_dash_alone "$TD" --
c double_dash_two_templates "$TD" -- a b
c t_double_dash "$TD" -t -- -XXX
c u_double_dash_option_like "$TD" -u -- --suffix=XXX
c two_templates "$TD" a b
c two_good_templates "$TD" XXX YYYXXX
c d_two_templates "$TD" -d XXX XXX
c q_two_templates "$TD" -q a b
c q_too_few_X "$TD" -q XX
c q_bad_option "$TD" -q -x
c dash_template "$TD" -

# ------------------------------------------- writing the name fails
c full_file "$TD out=full"
c full_dir "$TD out=full" -d
c full_quiet "$TD out=full" -q
c full_dry_run "$TD out=full" -u
c full_quiet_dry_run "$TD out=full" -q -u
c full_template "$TD out=full" sub/XXX
c full_help "$TD out=full" --help
c full_version "$TD out=full version" --version
c full_error "$TD out=full" -x
c full_quiet_error "$TD out=full" -q nodir/XXX

# ------------------------------------------------------------- umask
c umask_077_file "$TD umask=077"
c umask_000_file "$TD umask=000"
c umask_000_dir "$TD umask=000" -d
c umask_277_file "$TD umask=277" XXX
c umask_277_dir "$TD umask=277" -d XXX
c umask_777_file "$TD umask=777" XXX
c umask_777_dir "$TD umask=777" -d XXX

# -------------------------------------------- names differ across calls
c distinct_files "$TD reps=5"
c distinct_dirs "$TD reps=5" -d
c distinct_dry_run "$TD reps=5" -u
c distinct_template "$TD reps=5" -p sub tmp.XXXXXX

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

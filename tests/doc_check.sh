#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doc_check.sh - the public header and the manual pages can not drift apart.
#
# For every function declared with TF_EXTERN in include/tempfile.h:
#   page     a manual page documents it: man/NAME.3 is its page, or a link
#            page (.so) to the page that is, and that page's NAME section
#            lists it;
#   synopsis that page's SYNOPSIS shows the header's prototype (spaces
#            aside);
#   errno    every errno (-EXXX) in the header's comment just above the
#            declaration appears in that page;
#   since    that page says "Since 1.0";
#   index    tempfile(3) names it.
# And every man/tf_*.3 link page names a function, type or macro of the
# header (no link page outlives what it documented).
#
# Prints one line per failure, "doc_check: NAME: what", and exits 1 if
# there was any, 0 otherwise; 2 if it could not run.
#
#   bash tests/doc_check.sh [HEADER [MANDIR]]    (from the project root)
set -u
header=${1:-include/tempfile.h}
mandir=${2:-man}
[ -r "$header" ] && [ -d "$mandir" ] || {
  echo "doc_check: no $header or $mandir (run it from the project root)" >&2
  exit 2
}
scratch=$(mktemp -d) || exit 2
trap 'rm -rf "$scratch"' EXIT

failures=0
fail() { # name what
  echo "doc_check: $1: $2"
  failures=$((failures + 1))
}

# The awk function every prototype goes through, from the header or from a
# page: one space for any run of blanks, none around ( ) , and *.
norm_awk='
function norm(s) {
  gsub(/[ \t]+/, " ", s)
  gsub(/ *\( */, "(", s); gsub(/ *\) */, ")", s)
  gsub(/ *, */, ",", s); gsub(/ *\* */, "*", s)
  sub(/^ /, "", s); sub(/ $/, "", s)
  return s
}'

# --- the header: NAME <TAB> prototype <TAB> errnos of the comment above.
# The comment above is the last comment that starts a line before the
# declaration, so the declarations of a group share their comment.
awk "$norm_awk"'
function emit(   d, name, errs, c, e) {
  d = decl
  sub(/^[ \t]*TF_EXTERN[ \t]+/, "", d)
  sub(/;.*/, ";", d)
  d = norm(d)
  if (!match(d, /[A-Za-z_][A-Za-z0-9_]*\(/))
    return
  name = substr(d, RSTART, RLENGTH - 1)
  errs = ""
  c = comment
  while (match(c, /-E[A-Z0-9]+/)) {
    e = substr(c, RSTART + 1, RLENGTH - 1)
    if (index(" " errs " ", " " e " ") == 0)
      errs = errs (errs == "" ? "" : " ") e
    c = substr(c, RSTART + RLENGTH)
  }
  printf "%s\t%s\t%s\n", name, d, errs
}
indecl { decl = decl " " $0; if ($0 ~ /;/) { emit(); indecl = 0 }; next }
incomment { comment = comment " " $0; if ($0 ~ /\*\//) incomment = 0; next }
/^[ \t]*\/\*/ { comment = $0; incomment = ($0 !~ /\*\//); next }
/^[ \t]*TF_EXTERN[ \t]/ {
  decl = $0
  if ($0 ~ /;/) emit(); else indecl = 1
  next
}
' "$header" > "$scratch/decls"

if [ ! -s "$scratch/decls" ]; then
  echo "doc_check: no TF_EXTERN declaration found in $header" >&2
  exit 2
fi

# --- a page's text: roff font macros joined as they render, escapes undone.
# Section SECTION only when given (SYNOPSIS, NAME), else the whole page.
page_text() { # file [section]
  awk -v want="${2:-}" '
  function unescape(s) {
    gsub(/\\-/, "-", s); gsub(/\\\(dq/, "\"", s); gsub(/\\\(aq/, "\047", s)
    gsub(/\\e/, "\\", s); gsub(/\\f[BIRP]/, "", s); gsub(/\\&/, "", s)
    gsub(/\\ /, " ", s); gsub(/\\%/, "", s)
    return s
  }
  # The arguments of a macro line: words, or "quoted" ("" is a quote).
  function args(s, out,   n, w) {
    n = 0
    while (s != "") {
      sub(/^[ \t]+/, "", s)
      if (s == "") break
      if (substr(s, 1, 1) == "\"") {
        s = substr(s, 2); w = ""
        while (s != "") {
          if (substr(s, 1, 2) == "\"\"") { w = w "\""; s = substr(s, 3); continue }
          if (substr(s, 1, 1) == "\"") { s = substr(s, 2); break }
          w = w substr(s, 1, 1); s = substr(s, 2)
        }
      } else {
        match(s, /^[^ \t]+/); w = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
      }
      out[++n] = w
    }
    return n
  }
  /^\.SH/ {
    sec = $0; sub(/^\.SH[ \t]+/, "", sec); gsub(/"/, "", sec)
    if (want != "") { print ""; next }
  }
  want != "" && sec != want { next }
  /^\.\\"/ { next }
  /^\.(B|I|BI|IB|BR|RB|IR|RI)([ \t]|$)/ {
    m = $0; sub(/[ \t].*/, "", m); rest = substr($0, length(m) + 1)
    n = args(rest, a); line = ""
    for (i = 1; i <= n; i++)
      line = line ((m == ".B" || m == ".I") && i > 1 ? " " : "") a[i]
    print unescape(line)
    next
  }
  /^[.\047]/ { print ""; next }
  { print unescape($0) }
  ' "$1"
}

# The page that documents man/NAME.3, in $page: itself, or the target of
# its .so line; empty if that target does not exist.
page_of() { # name
  local f="$mandir/$1.3" line
  page=
  [ -f "$f" ] || return 0
  while IFS= read -r line; do
    case $line in
    .so[\ \	]*)
      line=${line#.so}; line=${line#"${line%%[! 	]*}"}
      [ -f "$mandir/${line##*/}" ] && page="$mandir/${line##*/}"
      return 0 ;;
    esac
  done < "$f"
  page=$f
}

# Each page's synopsis (a file), NAME section and whole text, made once.
declare -A synopsis_of name_of text_of
prepare() { # page
  local key=${1##*/}
  if [ -z "${synopsis_of[$key]:-}" ]; then
    page_text "$1" SYNOPSIS > "$scratch/$key.syn"
    synopsis_of[$key]="$scratch/$key.syn"
    name_of[$key]=$(page_text "$1" NAME)
    text_of[$key]=$(cat "$1")
  fi
}

# Is word $1 in text $2 (not part of a longer name)?
has_word() { # word text
  [[ $2 =~ (^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|$) ]]
}

# The prototype of NAME in a synopsis: from the line that has "NAME(" to
# the first ';', normalised as the header's.
synopsis_proto() { # name synopsis-file
  awk -v name="$1" "$norm_awk"'
  function has_name(s,   i, before) {
    i = index(s, name "(")
    while (i > 0) {
      before = i > 1 ? substr(s, i - 1, 1) : " "
      if (before !~ /[A-Za-z0-9_]/) return 1
      s = substr(s, i + 1); i = index(s, name "(")
    }
    return 0
  }
  { line = $0; gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line) }
  line ~ /^[ \t]*#/ { next }
  !collecting && has_name(line) { collecting = 1; text = "" }
  collecting {
    text = text " " line
    if (line ~ /;/) { sub(/;.*/, ";", text); print norm(text); exit }
  }
  ' "$2"
}

tempfile_page="$mandir/tempfile.3"
tempfile_text=
[ -f "$tempfile_page" ] && tempfile_text=$(page_text "$tempfile_page")

while IFS=$'\t' read -r name proto errs; do
  page_of "$name"
  if [ ! -f "$mandir/$name.3" ]; then
    fail "$name" "no manual page $mandir/$name.3 (a page of its own, or a link page: .so man3/PAGE.3)"
    continue
  fi
  if [ -z "$page" ]; then
    fail "$name" "$mandir/$name.3 links to a page that does not exist"
    continue
  fi
  prepare "$page"
  key=${page##*/}
  if ! has_word "$name" "${name_of[$key]}"; then
    fail "$name" "not listed in the NAME section of $page"
  fi
  shown=$(synopsis_proto "$name" "${synopsis_of[$key]}")
  if [ -z "$shown" ]; then
    fail "$name" "no prototype in the SYNOPSIS of $page; the header has: $proto"
  elif [ "$shown" != "$proto" ]; then
    fail "$name" "SYNOPSIS of $page has '$shown', the header '$proto'"
  fi
  for e in $errs; do
    if ! has_word "$e" "${text_of[$key]}"; then
      fail "$name" "-$e is in the header's comment but not in $page"
    fi
  done
  if [[ ${text_of[$key]} != *"Since 1.0"* ]]; then
    fail "$name" "$page does not say \"Since 1.0\""
  fi
  if [ -f "$tempfile_page" ] && ! has_word "$name" "$tempfile_text"; then
    fail "$name" "not named in tempfile(3)"
  fi
done < "$scratch/decls"

# --- link pages must name something the header still declares.
cut -f1 "$scratch/decls" > "$scratch/names"
for f in "$mandir"/tf_*.3; do
  [ -e "$f" ] || continue
  grep -q '^\.so' "$f" || continue
  base=${f##*/}
  base=${base%.3}
  grep -qx "$base" "$scratch/names" && continue
  grep -qE "^[ \t]*(#[ \t]*define[ \t]+$base([ \t(]|$)|typedef[^;]*[ *(]$base[ );]|}[ \t]*$base;)" "$header" && continue
  fail "$base" "$f is a link page, but the header declares no $base"
done

[ "$failures" -eq 0 ]

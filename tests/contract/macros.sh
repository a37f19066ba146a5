#!/bin/sh
# SPDX-License-Identifier: MIT
# macros.sh HEADER TEST: every macro HEADER #defines must be used in the
# code of TEST (tests/header_c89.c; comments and strings do not count),
# so a new macro can not go untested under C89 and C++98.  The header's private helpers (TF__*) are exempt: they
# are not for users, and the public macros that expand to them are used.
# Prints each missing name; exits 1 if there is one.  POSIX sh, sed, grep.
set -eu
header=${1:?usage: macros.sh HEADER TEST}
test=${2:?usage: macros.sh HEADER TEST}

names=$(sed -n 's/^[ \t]*#[ \t]*define[ \t]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$header" |
        grep -v '^TF__' | sort -u)
if [ -z "$names" ]; then
  echo "macros.sh: no #define found in $header" >&2
  exit 1
fi
# The test's code without its comments and string literals: a name only
# mentioned is not used.
code=$(awk '{
  line = $0; out = ""
  while (line != "") {
    if (incomment) {
      i = index(line, "*/"); if (i == 0) { line = ""; break }
      line = substr(line, i + 2); incomment = 0
    } else {
      i = index(line, "/*"); if (i == 0) { out = out line; break }
      out = out substr(line, 1, i - 1); line = substr(line, i + 2); incomment = 1
    }
  }
  gsub(/"([^"\\]|\\.)*"/, "\"\"", out)
  print out }' "$test")
missing=0
for name in $names; do
  if ! printf '%s\n' "$code" | grep -q -w -- "$name"; then
    echo "$header defines $name, which $test does not use"
    missing=$((missing + 1))
  fi
done
[ "$missing" -eq 0 ]

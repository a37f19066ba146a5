#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# callgraph.sh [BUILD] - the library's internal structure stays without
# loops.  From the objects' symbols (nm: what each build/<cc>/obj/X.o
# defines, T/D/B/R, and what it leaves undefined, U) it builds the graph
# of which src/ file calls which, and fails if that graph has a cycle, or
# if a src/*.c file is over MAX_LINES lines.  Files that are one module
# (below) count as one node.  Exit 0 ok, 1 failed, 2 could not check.
set -u
BUILD=${1:-${BUILD:-build/cc}}
MAX_LINES=600

# Pairs of files that are one module, each with why: a cycle between the
# two is their own business, not a loop in the structure.  Keep it short.
ONE_MODULE=(
  # The spool's stream is the spool seen through stdio: the stream's
  # callbacks are the spool's internal read/write/seek, and the spool
  # opens the stream.  Split only so that the stdio adapter stays small.
  "spool.c stream.c"
  # The stream's accepted bytes that could not be stored yet: kept by
  # spool_pending.c, placed with the spool's own write (tf__spool_place)
  # before the spool's next call.  One mechanism, split by concern.
  "spool.c spool_pending.c"
)

command -v nm > /dev/null 2>&1 || { echo "callgraph: no nm" >&2; exit 2; }

fail=0
for src in src/*.c; do
  n=$(wc -l < "$src")
  if [ "$n" -gt "$MAX_LINES" ]; then
    echo "callgraph: $src has $n lines (at most $MAX_LINES)"
    fail=1
  fi
done

# "def SYMBOL FILE" and "use SYMBOL FILE" lines for every object of a
# src/*.c file (stale objects of removed files are ignored).
symbols() {
  local src base obj
  for src in src/*.c; do
    base=${src#src/}
    obj=$BUILD/obj/${base%.c}.o
    if [ ! -f "$obj" ]; then
      echo "callgraph: no $obj (build first)" >&2
      return 2
    fi
    nm "$obj" | awk -v f="$base" '
      $1 == "U" { print "use", $2, f; next }
      NF == 3 && $2 ~ /^[TDBR]$/ { print "def", $3, f }'
  done
}

table=$(symbols) || exit 2
merges=$(printf '%s\n' "${ONE_MODULE[@]}" | sed 's/^/merge /')

# Files are merged into their module's node, then a depth-first search
# looks for a back edge and prints the cycle it closes.
printf '%s\n%s\n' "$merges" "$table" | awk '
  function root(f) { while (f in parent) f = parent[f]; return f }
  $1 == "merge" { a = root($2); b = root($3); if (a != b) parent[b] = a;
                  name[a] = name[a] ? name[a] : $2; next }
  $1 == "def" { definer[$2] = $3; files[$3] = 1; next }
  $1 == "use" { uses[++nuse] = $2 SUBSEP $3; files[$3] = 1; next }
  function label(n) { return n in members ? members[n] : n }
  function visit(n,    i, m, k, c) {
    state[n] = 1; stack[++depth] = n
    for (i = 1; i <= nadj[n]; i++) {
      m = adj[n, i]
      if (state[m] == 1) {
        c = ""
        for (k = depth; k >= 1 && stack[k] != m; k--) ;
        for (; k <= depth; k++) c = c label(stack[k]) " -> "
        print "callgraph: cycle: " c label(m) " (" why[n, m] ")"
        cycles++
      } else if (state[m] == 0) visit(m)
    }
    depth--; state[n] = 2
  }
  END {
    for (f in files) {
      r = root(f)
      if (r != f) members[r] = (r in members ? members[r] : r) "+" f
    }
    for (i = 1; i <= nuse; i++) {
      split(uses[i], u, SUBSEP)
      if (!(u[1] in definer)) continue
      from = root(u[2]); to = root(definer[u[1]])
      if (from == to || ((from, to) in edge)) continue
      edge[from, to] = 1; adj[from, ++nadj[from]] = to
      why[from, to] = u[2] " uses " u[1] " of " definer[u[1]]
    }
    for (f in files) if (root(f) == f && state[f] == 0) visit(f)
    exit cycles > 0
  }' || fail=1

if [ "$fail" -eq 0 ]; then
  echo "callgraph: no cycle between src/ files, none over $MAX_LINES lines"
fi
exit "$fail"

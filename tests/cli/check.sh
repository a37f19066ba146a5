# SPDX-License-Identifier: MIT
# check.sh - sourced by the CLI test scripts: their one way to report.
#
#   CHECK_PREFIX=sponge_ . "$(dirname "$0")/check.sh"
#   check NAME STATUS [DETAIL]   "ok   PREFIXNAME", or "FAIL PREFIXNAME"
#                                and the detail indented under it
#   skip NAME REASON             "skip PREFIXNAME" and the reason under it:
#                                only for what this machine or user cannot
#                                do (not root, no strace), never a failure
#   check_summary                "N passed, M failed" (", K skipped" when
#                                some were); status 0 if none failed
passed=0
failed=0
skipped=0

check() {
  if [ "$2" -eq 0 ]; then
    echo "ok   $CHECK_PREFIX$1"; passed=$((passed + 1))
  else
    echo "FAIL $CHECK_PREFIX$1"; [ -n "${3:-}" ] && echo "    $3"; failed=$((failed + 1))
  fi
}

skip() {
  echo "skip $CHECK_PREFIX$1"; echo "    skipped: $2"; skipped=$((skipped + 1))
}

check_summary() {
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ]
}

# SPDX-License-Identifier: MIT
# check.sh - sourced by the CLI test scripts: their one way to report.
#
#   CHECK_PREFIX=sponge_ . "$(dirname "$0")/check.sh"
#   check NAME STATUS [DETAIL]   "ok   PREFIXNAME", or "FAIL PREFIXNAME"
#                                and the detail indented under it
#   check_summary                "N passed, M failed"; status 0 if none failed
passed=0
failed=0

check() {
  if [ "$2" -eq 0 ]; then
    echo "ok   $CHECK_PREFIX$1"; passed=$((passed + 1))
  else
    echo "FAIL $CHECK_PREFIX$1"; [ -n "${3:-}" ] && echo "    $3"; failed=$((failed + 1))
  fi
}

check_summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

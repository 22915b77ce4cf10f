#!/usr/bin/env bash
# diff_test.sh CASE KILN SAMPLES_DIR: the CI recipe of README.md (section diff) end to end:
# `kiln record` BEFORE and AFTER on samples/regress, then `kiln diff --fail-on` as the gate.
#   regression: AFTER runs with --slow-checksum -> exit 3 naming checksum (and nothing else)
#   unchanged:  both runs without the switch     -> exit 0
set -uo pipefail
case_name=$1 kiln=$2 samples=$3

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" diff

record() {  # OUTPUT [ARGS of regress...]
  local out=$1
  shift
  "$kiln" record -F 999 -o "$out" -- "$samples/regress" "$@" 2 2>"$out.err" ||
    fail "kiln record exited $?: $(cat "$out.err")"
}

record before.folded
case $case_name in
regression) record after.folded --slow-checksum ;;
unchanged) record after.folded ;;
*) fail "unknown case" ;;
esac

"$kiln" diff before.folded after.folded --fail-on total:5 -o diff.svg --format json \
  --report report.json 2>stderr.txt
status=$?
grep -q '<svg' diff.svg || fail "no differential SVG written"
grep -q 'checksum' diff.svg || fail "the SVG does not show checksum"
case $case_name in
regression)
  ((status == 3)) || fail "expected exit 3 (threshold crossed), got $status: $(cat stderr.txt)"
  grep -q 'regression: checksum: total share grew' stderr.txt ||
    fail "checksum not named on stderr: $(cat stderr.txt)"
  named=$(grep -c 'regression:' stderr.txt)
  ((named == 1)) || fail "expected only checksum to be named, got: $(cat stderr.txt)"
  grep -q '"failures": \[$' report.json || fail "no failure in the JSON report"
  grep -q '{"function": "checksum", "rule": "total:5"' report.json ||
    fail "JSON report does not name checksum: $(cat report.json)"
  echo "ok [$case_name]: $(cat stderr.txt)"
  ;;
unchanged)
  ((status == 0)) || fail "expected exit 0 for two runs of the same program, got $status: $(cat stderr.txt)"
  grep -q '"passed": true' report.json || fail "JSON report says the gate failed"
  echo "ok [$case_name]: gate passed"
  ;;
esac

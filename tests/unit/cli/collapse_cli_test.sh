#!/usr/bin/env bash
# collapse_cli_test.sh CASE KILN SHARED_TESTDATA: `kiln collapse perf` as a user runs it: the
# folded output, exit codes and messages of bad input (file and line), and `kiln render` /
# `kiln diff` reading perf script text directly.
set -uo pipefail
case_name=$1 kiln=$2 data=$3
kiln_command=("$kiln")
# shellcheck source=../cli_case.sh
source "$(dirname "$0")/../cli_case.sh" collapse-cli
perf_txt=$data/flamegraph/test/perf-funcab-pid-01.txt

case $case_name in
output_file)
  expect 0 EMPTY collapse perf "$perf_txt" -o out.folded
  grep -q '^# countname: ns$' out.folded || fail "no countname header: $(head -3 out.folded)"
  grep -q '^func_ab;__libc_start_main;main;func_b [0-9]' out.folded || fail "no main;func_b stack: $(head -5 out.folded)"
  # Standard input, and the same bytes twice (merged and sorted).
  "$kiln" collapse perf <"$perf_txt" >stdin.folded || fail "reading standard input failed"
  cmp -s out.folded stdin.folded || fail "standard input folds differently from the file"
  ;;
malformed)
  line=$(grep -n 'func_b' "$perf_txt" | head -1 | cut -d: -f1)
  { head -n $((line - 1)) "$perf_txt"; sed -n "${line}p" "$perf_txt" | head -c 25; } >cut.txt  # cut inside a stack line
  expect 1 'cut\.txt:[0-9]+: the input ends in the middle of a line' collapse perf cut.txt
  head -c 4096 /bin/ls >binary.txt
  expect 1 'binary\.txt:1: binary data' collapse perf binary.txt
  : >empty.txt
  expect 1 'no samples' collapse perf empty.txt
  printf 'app 1 1.0: 1 cycles:\n\t1 f (/bin/app)\n\tnot a frame\n\n' >bad.txt
  expect 0 'bad\.txt:3: not a stack line' collapse perf bad.txt
  expect 1 '1 line\(s\) could not be read \(--strict\)' collapse perf --strict bad.txt
  expect 1 'cut\.txt:[0-9]+: the input ends in the middle of a line' render cut.txt -o cut.svg
  ;;
render_and_diff)
  expect 0 'wrote perf\.svg' render "$perf_txt" -o perf.svg
  grep -q 'func_b' perf.svg || fail "the SVG does not show func_b"
  expect 0 'wrote flame\.svg' render --flamechart "$perf_txt" -o flame.svg
  expect 0 EMPTY diff "$perf_txt" "$perf_txt" -o diff.svg
  grep -q 'samples' out.txt || fail "no diff report: $(head -3 out.txt)"
  ;;
options)
  expect 0 EMPTY collapse perf --per-tid --all "$data/flamegraph/test/perf-iperf-stacks-pidtid-01.txt" -o tid.folded
  grep -qE '^iperf-[0-9]+/[0-9]+;.*_\[k\] ' tid.folded || fail "no comm-PID/TID root with kernel frames: $(sed -n 2,3p tid.folded)"
  expect 0 'kept only .instructions' collapse perf "$data/flamegraph/test/perf-cycles-instructions-01.txt" -o cycles.folded
  expect 0 EMPTY collapse perf --event-filter cycles "$data/flamegraph/test/perf-cycles-instructions-01.txt" -o instructions.folded
  grep -q '^# event: cycles$' instructions.folded || fail "no event header: $(head -3 instructions.folded)"
  cmp -s cycles.folded instructions.folded && fail "--event-filter changed nothing"
  expect 1 'no samples of event .nope.' collapse perf --event-filter nope "$perf_txt"
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case_name]"

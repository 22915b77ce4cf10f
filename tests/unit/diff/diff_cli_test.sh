#!/usr/bin/env bash
# diff_cli_test.sh CASE KILN DATA_DIR: `kiln diff` as a user runs it: exit codes, the messages
# of bad input (file and line), the gate's verdict on stderr, and the report formats.
set -uo pipefail
case_name=$1 kiln=$2 data=$3
kiln_command=("$kiln" diff)
# shellcheck source=../cli_case.sh
source "$(dirname "$0")/../cli_case.sh" diff-cli

case $case_name in
missing_file)
  expect 1 'nonexistent\.folded' nonexistent.folded "$data/after.folded"
  ;;
empty_profile)
  : >empty.folded
  expect 1 'empty\.folded: no stacks' "$data/before.folded" empty.folded
  printf '# countname: samples\n\n' >comments.folded
  expect 1 'comments\.folded: no stacks' comments.folded "$data/after.folded"
  ;;
malformed_line)
  printf 'app;main;parse 10\napp;main;parse ten\napp;main 5\n' >bad.folded
  expect 1 'bad\.folded:2: ' "$data/before.folded" bad.folded
  grep -q 'malformed' err.txt || fail "no summary of the malformed lines: $(cat err.txt)"
  ;;
no_overlap)
  printf 'other;thing 100\n' >other.folded
  expect 1 'no function in common' "$data/before.folded" other.folded
  ;;
bad_options)
  expect 1 "fail-on 'cpu:3'" "$data/before.folded" "$data/after.folded" --fail-on cpu:3
  expect 1 "--focus '\[': invalid regular expression" "$data/before.folded" "$data/after.folded" --focus '['
  expect 1 'widths' "$data/before.folded" "$data/after.folded" --widths sideways
  ;;
gate_fails)
  expect 3 '^kiln diff: regression: tokenize: total share grew by 7\.27' \
    "$data/before.folded" "$data/after.folded" --fail-on total:5
  # parse, tokenize's caller, grew as much; nothing else grew by more than 5 points.
  grep -q '^kiln diff: regression: parse: total share grew by 6\.3' err.txt ||
    fail "parse not named: $(cat err.txt)"
  (($(grep -c regression: err.txt) == 2)) || fail "more than tokenize and parse named: $(cat err.txt)"
  grep -q 'Gate total:5: FAILED' out.txt || fail "report has no gate verdict: $(cat out.txt)"
  expect 3 'regression: newcode: self share' "$data/before.folded" "$data/after.folded" \
    --fail-on self:2 --ignore '^tokenize$'
  ;;
gate_passes)
  expect 0 EMPTY "$data/before.folded" "$data/after.folded" --fail-on total:8
  expect 0 EMPTY "$data/before.folded" "$data/after.folded" --fail-on total:5 --focus 'render|draw'
  grep -q 'Gate total:5: passed' out.txt || fail "report has no gate verdict: $(cat out.txt)"
  ;;
tiny_profile)
  printf 'app;main;old 3\n' >tiny_before.folded
  printf 'app;main;new 3\n' >tiny_after.folded
  expect 0 'nothing could be tested.*3 samples' tiny_before.folded tiny_after.folded --fail-on total:0
  ;;
time_weighted)
  expect 1 'effective-samples' "$data/offcpu_before.folded" "$data/offcpu_after.folded" --fail-on total:1
  expect 0 EMPTY "$data/offcpu_before.folded" "$data/offcpu_after.folded" --fail-on total:1 \
    --effective-samples 200
  ;;
formats)
  "$kiln" diff "$data/before.folded" "$data/after.folded" --format markdown --report pr.md ||
    fail "markdown report failed"
  grep -q '^| `tokenize` | +7.27' pr.md || fail "markdown table lacks tokenize: $(cat pr.md)"
  grep -q '^- `legacy`: 2.00% total (200 samples)' pr.md || fail "markdown lacks the function only in BEFORE: $(cat pr.md)"
  "$kiln" diff "$data/before.folded" "$data/after.folded" --format json >report.json ||
    fail "json report failed"
  node -e 'const r = JSON.parse(require("fs").readFileSync("report.json"));
    const t = r.functions.find(f => f.name === "tokenize");
    if (r.format !== "kiln-diff" || r.version !== 1 || !t || !t.total_significant ||
        Math.abs(t.total_change_points - 7.273) > 0.01) process.exit(1);' ||
    fail "JSON report is not valid JSON with tokenize +7.27 points: $(cat report.json)"
  "$kiln" diff "$data/before.folded" "$data/after.folded" -o diff.svg >/dev/null || fail "svg failed"
  xmllint --noout diff.svg || fail "diff.svg is not well-formed"
  grep -q 'legacy' diff.svg && fail "legacy (only in BEFORE) drawn with AFTER's widths"
  "$kiln" diff "$data/before.folded" "$data/after.folded" --widths before -o before.svg >/dev/null ||
    fail "--widths before failed"
  grep -q 'legacy' before.svg || fail "--widths before does not draw legacy"
  grep -q 'newcode' before.svg && fail "--widths before draws newcode (only in AFTER)"
  # Raw weights: draw went from 2500 to 2400 samples (-1 point of BEFORE's 10000), although its
  # share fell by 3.18 points.
  "$kiln" diff "$data/before.folded" "$data/after.folded" --no-normalize --format json \
    >raw.json || fail "--no-normalize failed"
  node -e 'const r = JSON.parse(require("fs").readFileSync("raw.json"));
    const d = r.functions.find(f => f.name === "draw");
    if (r.normalized !== false || r.test !== "poisson rate test" ||
        Math.abs(d.total_change_points + 1) > 1e-9) process.exit(1);' ||
    fail "--no-normalize JSON report is wrong: $(cat raw.json)"
  ;;
raw_weights_warning)
  printf '# frequency: 99 Hz\n# duration: 10 s\na;b 500\na;c 500\n' >slow.folded
  printf '# frequency: 999 Hz\n# duration: 10 s\na;b 5000\na;c 5000\n' >fast.folded
  expect 0 'BEFORE was sampled at 99 Hz and AFTER at 999 Hz' slow.folded fast.folded --no-normalize
  expect 0 EMPTY slow.folded fast.folded  # shares: nothing to warn about
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case_name]"

#!/usr/bin/env bash
# cli_test.sh CASE KILN CMAKE BUILD_DIR: one case of kiln's command line as a user meets it.
set -uo pipefail
case_name=$1 kiln=$2 cmake=$3 build=$4
kiln_command=("$kiln")
# shellcheck source=../cli_case.sh
source "$(dirname "$0")/../cli_case.sh" cli

case $case_name in
unknown_command)
  expect_first_line 1 "kiln: unknown command 'reocrd'; did you mean 'record'?" reocrd -o x.svg
  expect_first_line 1 "kiln: unknown command 'rendr'; did you mean 'render'?" rendr a.folded
  expect_first_line 1 "kiln: unknown command 'symbolise'; did you mean 'symbolize'?" symbolise 0x10
  expect_first_line 1 "kiln: unknown command 'frobnicate'; the commands are render, symbolize, record, diff, collapse, convert" frobnicate
  expect_first_line 1 "kiln: which command? one of render, symbolize, record, diff, collapse, convert (kiln --help)"
  ;;
unknown_option)
  expect_first_line 1 "kiln record: unknown option '--frequncy'; did you mean '--frequency'? (kiln record --help)" \
    record --frequncy 99
  expect_first_line 1 "kiln record: unknown option '--frequncy'; did you mean '--frequency'? (kiln record --help)" \
    record --frequncy=99 -- true
  expect_first_line 1 "kiln render: unknown option '--widht'; did you mean '--width'? (kiln render --help)" \
    render --widht 800 a.folded
  expect_first_line 1 "kiln symbolize: unknown option '--no-inline'; did you mean '--no-inlines'? (kiln symbolize --help)" \
    symbolize --elf "$kiln" --no-inline 0x10
  expect_first_line 1 "kiln diff: unknown option '--fail'; did you mean '--fail-on'? (kiln diff --help)" \
    diff a.folded b.folded --fail total:5
  expect_first_line 1 "kiln diff: unknown option '--zzzz' (kiln diff --help)" diff a.folded b.folded --zzzz
  expect_first_line 1 "kiln diff: unexpected argument 'c.folded' (kiln diff --help)" diff a.folded b.folded c.folded
  # A value of the wrong type is named with the type expected, not in CLI11's words.
  expect_first_line 1 "kiln record: --frequency 'abc': not a valid HZ (kiln record --help)" record -F abc
  expect_first_line 1 "kiln render: --factor 'x2': not a valid FACTOR (kiln render --help)" render a.folded --factor x2
  ;;
command_without_separator)
  # Without `--` the command's words used to be taken as more outputs (-o ls: unknown format).
  expect_first_line 1 "kiln record: -o takes one FILE per use; to record a command put it after --: kiln record -o e.folded -- ls" \
    record -o e.folded ls
  expect_first_line 1 "kiln record: -o takes one FILE per use; to record a command put it after --: kiln record -F 999 -o e.svg -- sh -c 'exit 3'" \
    record -F 999 -o e.svg sh -c 'exit 3'
  expect_first_line 1 "kiln record: -p takes one PID[,PID] per use; to record a command put it after --: kiln record -p 1,2 -- sleep 1" \
    record -p 1,2 sleep 1
  expect_first_line 1 "kiln record: unexpected argument 'ls'; to record a command put it after --: kiln record -- ls -l" \
    record ls -l
  [[ ! -e e.folded && ! -e e.svg ]] || fail "an output was written"
  ;;
write_errors)
  printf 'main;work 5\n' >p.folded
  expect_first_line 1 "kiln render: cannot write /nonexistent/dir/x.svg: No such file or directory" \
    render p.folded -o /nonexistent/dir/x.svg
  expect_first_line 1 "kiln render: writing /dev/full failed: No space left on device" render p.folded -o /dev/full
  expect_first_line 1 "kiln diff: cannot write /nonexistent/d.svg: No such file or directory" \
    diff p.folded p.folded -o /nonexistent/d.svg
  expect_first_line 1 "kiln diff: cannot write report /nonexistent/r.md: No such file or directory" \
    diff p.folded p.folded --report /nonexistent/r.md
  # Before recording (no root needed to get there), not after it.
  expect_first_line 1 "kiln record: -o /nonexistent/x.svg: cannot write into /nonexistent: No such file or directory" \
    record -o /nonexistent/x.svg -- true
  ;;
symbolize_missing_elf)
  expect_first_line 1 "kiln symbolize: cannot read /nonexistent: No such file or directory" \
    symbolize --elf /nonexistent 0x10
  expect_first_line 1 "kiln symbolize: $work is not a file (--elf takes an executable or library)" \
    symbolize --elf "$work" 0x10
  ;;
help)
  for sub in "" record render diff symbolize; do
    # shellcheck disable=SC2086  # no subcommand: no word
    "$kiln" $sub --help >help.txt 2>&1 || fail "kiln $sub --help exited $?"
    usage=$(grep -c '^Usage:' help.txt)
    ((usage == 1)) || fail "kiln $sub --help has $usage Usage lines: $(grep Usage help.txt)"
    grep -q "^Usage: kiln ${sub:+$sub }" help.txt || fail "kiln $sub --help: $(grep Usage help.txt)"
    grep -q 'Examples:' help.txt || fail "kiln $sub --help has no examples"
    # CLI11's own type names (UINT, INT, FLOAT, TEXT:{...}, ...:UINT in [a - b]) say nothing.
    bad=$(grep -E '\b(UINT|INT|FLOAT)\b|TEXT:|:[A-Z]+ in \[' help.txt)
    [[ -z $bad ]] || fail "kiln $sub --help has unreadable option types: $bad"
  done
  "$kiln" record --help >help.txt
  grep -qx 'Usage: kiln record \[OPTIONS\] \[-- COMMAND \[ARGS...\]\]' help.txt ||
    fail "record's usage line: $(grep Usage help.txt)"
  for type in '-F,--frequency HZ=99' '-d,--duration SECONDS' '-p,--pid PID\[,PID\] ' '-o,--output FILE '; do
    grep -qE -- "^  $type" help.txt || fail "kiln record --help lacks '$type'"
  done
  "$kiln" render --help >help.txt
  grep -qE -- '^  --width PX=1200 ' help.txt || fail "kiln render --help: $(grep -- --width help.txt)"
  ;;
install)
  "$cmake" --install "$build" --prefix "$work/prefix" >/dev/null || fail "cmake --install failed"
  [[ -x $work/prefix/bin/kiln ]] || fail "no bin/kiln installed: $(find "$work/prefix")"
  [[ $("$work/prefix/bin/kiln" --version) == "kiln "* ]] || fail "the installed kiln does not run"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok [$case_name]"

#!/usr/bin/env bash
# `kiln symbolize` as a user runs it: an inline chain with file:line from arguments, the same
# from stdin with --print-address, file offsets, a live process, and exit code 1 with the
# input named for a bad address. Usage: symbolize_cli_test.sh KILN SAMPLE_DIR SAMPLE_SOURCE
set -euo pipefail
kiln=$1 dir=$2 source=$3
unset DEBUGINFOD_URLS  # nothing may leave the machine (see tests/debuginfod/server.sh)
fail() { echo "FAIL: $*" >&2; exit 1; }
line_of() { grep -n "MARK:$1" "$source" | cut -d: -f1; }

# Return address of the call inside the two inlined functions: find the call in outer_function.
outer=$(nm "$dir/kiln_sample_pie" | awk '/ _Z14outer_functionv$/ {print $1}')
call=$(objdump -d --no-show-raw-insn "$dir/kiln_sample_pie" \
  --start-address=0x$outer --stop-address=$((0x$outer + 64)) | awk '/call/ {print $1; exit}' | tr -d :)
[[ -n $call ]] || fail "no call found in outer_function"

expected="innermost_inline
$source:$(line_of innermost_call)
middle_inline
$source:$(line_of middle_call)
outer_function
$source:$(line_of outer_call)"
actual=$("$kiln" symbolize --elf "$dir/kiln_sample_pie" "0x$call")
[[ $actual == "$expected" ]] || fail "inline chain: got
$actual"

actual=$(echo "0x$call" | "$kiln" symbolize --elf "$dir/kiln_sample_pie" --print-address)
[[ $actual == "0x$call
$expected" ]] || fail "stdin with --print-address: got
$actual"

# Non-PIE: the text segment's file offset differs from its address.
main=$(nm "$dir/kiln_sample_nopie" | awk '/ T main$/ {print $1}')
read -r offset vaddr < <(readelf -lW "$dir/kiln_sample_nopie" | awk '$1 == "LOAD" && / R E / {print $2, $3}')
actual=$("$kiln" symbolize --elf "$dir/kiln_sample_nopie" --offsets \
  "$(printf '%x' $((0x$main - vaddr + offset)))" | head -1)
[[ $actual == main ]] || fail "file offset: got $actual"

# A live process.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/stdin"
"$dir/kiln_sample_pie" addresses < "$tmp/stdin" > "$tmp/stdout" &
pid=$!
exec {keep_open}> "$tmp/stdin"  # the sample runs until its stdin closes
for _ in $(seq 200); do grep -q '^ready$' "$tmp/stdout" && break; sleep 0.05; done
area=$(awk '$1 == "area" {print $2}' "$tmp/stdout")
actual=$("$kiln" symbolize --pid "$pid" --no-inlines "$area" | head -1)
exec {keep_open}>&-
wait "$pid" || true
[[ $actual == "geometry::Shape<double>::area" ]] || fail "--pid: got $actual"

# A stripped binary without a debug file: a static function is named after its module and its
# start (from .eh_frame), the start nm gives in the unstripped program.
start=$(nm "$dir/kiln_unnamed_functions" | awk '/ t mix_bits$/ {print $1}')
[[ -n $start ]] || fail "no mix_bits in kiln_unnamed_functions"
actual=$("$kiln" symbolize --elf "$dir/stripped_unnamed" "$(printf '%x' $((0x$start + 3)))")
[[ $actual == "$(printf '[stripped_unnamed]+0x%x\n??:0' $((0x$start)))" ]] || fail "unnamed function: got
$actual"

# Bad input names where it is, with exit code 1.
set +e
err=$(printf '0x10\nnot-hex\n' | "$kiln" symbolize --elf "$dir/kiln_sample_pie" 2>&1 >/dev/null)
code=$?
set -e
[[ $code == 1 && $err == *"stdin line 2: 'not-hex'"* ]] || fail "bad address: code $code, $err"
# strtoull takes a sign and leading blanks: -5 must not become 0xfffffffffffffffb.
for bad in -5 +5 ' 5' 0x-5; do
  set +e
  err=$("$kiln" symbolize --elf "$dir/kiln_sample_pie" 0x10 "$bad" 2>&1 >/dev/null)
  code=$?
  set -e
  [[ $code == 1 && $err == *"argument 2: '$bad' is not"* ]] || fail "address '$bad': code $code, $err"
done
# --pid 0 is no process: said as such, not as a missing --pid.
set +e
err=$("$kiln" symbolize --pid 0 0x10 2>&1 >/dev/null)
code=$?
set -e
[[ $code != 0 && $err == *"--pid: a process id is 1 or more"* ]] || fail "--pid 0: code $code, $err"
# Addresses after `--` are addresses too (only `kiln record` takes a command there); they were
# dropped, and kiln read stdin instead.
actual=$("$kiln" symbolize --elf "$dir/kiln_sample_pie" --no-inlines -- "0x$call" < /dev/null | head -1)
[[ $actual == outer_function ]] || fail "address after --: got '$actual'"
echo "kiln symbolize: all checks passed"

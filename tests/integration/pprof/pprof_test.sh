#!/usr/bin/env bash
# pprof_test.sh CASE KILN SAMPLES_DIR: `kiln record -o x.pb.gz` read by `go tool pprof` (Debian's
# golang-go): the same stacks, inline chains and weights as kiln's folded output of the same
# recording, files and lines from DWARF, mappings whose build-ids are the binaries' own
# (`readelf -n`), and kiln reading its pprof back into the same folded stacks.
set -uo pipefail
case_name=$1 kiln=$2 samples=$3
awk_dir=$(cd "$(dirname "$0")/../../unit/cli" && pwd)
traces_awk=$awk_dir/pprof_traces_to_folded.awk

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" pprof

command -v go >/dev/null || { echo "SKIPPED: go not installed (scripts/install-deps.sh)" >&2; exit 77; }
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$scratch_dir/gocache GOPATH=$scratch_dir/gopath

# Folded stacks without their root frame (the thread's name: a label in pprof), names as go
# tool pprof shows them (NAMES: pprof_raw_names.awk of its -raw output), `_[k]`/`_[j]` dropped
# (pprof shows names only), merged and sorted.
normalized() {  # FILE NAMES [DIVISOR]
  grep -v '^#' "$1" | sed -E 's/^[^;]*;//' | awk -f "$awk_dir/pprof_shown_names.awk" "$2" - |
    sed -E 's/_\[[kj]\](;| [0-9])/\1/g; s/_\[[kj]\](;| [0-9])/\1/g' |
    awk -v d="${3:-1}" '{ w = $NF; $NF = ""; sub(/ $/, ""); sum[$0] += w / d } END { for (s in sum) print s " " sum[s] }' |
    LC_ALL=C sort
}
# The names go tool pprof shows for the functions of a pprof file.
shown_names() { go tool pprof -raw "$1" 2>/dev/null | awk -f "$awk_dir/pprof_raw_names.awk"; }

case $case_name in
record_cpu)
  "$kiln" record -F 499 -o r.folded -o r.pb.gz -- "$samples/unwind_cpp" 2 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  [[ -s r.pb.gz ]] || fail "no pprof written: $(cat err.txt)"
  # Every stack and weight: go tool pprof -traces (samples) equals the folded file.
  go tool pprof -traces -sample_index=samples r.pb.gz 2>/dev/null | awk -f "$traces_awk" | sed 's/^/root;/' >traces.folded
  shown_names r.pb.gz >names.tsv
  normalized r.folded names.tsv >want.txt
  normalized traces.folded names.tsv >got.txt
  (($(wc -l <want.txt) >= 10)) || fail "only $(wc -l <want.txt) stacks: $(cat err.txt)"
  diff want.txt got.txt >d.txt || fail "go tool pprof -traces differs from kiln's folded output: $(head -8 d.txt)"
  # Shares: -top's flat share of less_by_key equals kiln's self share in the folded file.
  total=$(grep -v '^#' r.folded | awk '{ s += $NF } END { print s }')
  self=$(grep -v '^#' r.folded | grep -E ';less_by_key [0-9]+$' | awk '{ s += $NF } END { print s + 0 }')
  top=$(go tool pprof -top -sample_index=samples r.pb.gz 2>/dev/null | awk '$NF == "less_by_key" { sub(/%/, "", $2); print $2 }')
  awk -v t="$top" -v s="$self" -v n="$total" 'BEGIN { d = t - 100 * s / n; exit !(s > 0 && d * d < 0.0001) }' ||
    fail "less_by_key: go tool pprof -top $top%, kiln $self of $total samples"
  # CPU time: samples x period.
  cpu=$(go tool pprof -raw r.pb.gz 2>/dev/null | awk '/^Period:/ { print $2 }')
  ((cpu == 1000000000 / 499)) || fail "period $cpu ns at 499 Hz"
  # Files and lines: less_by_key in unwind_cpp.cpp (lines 18-22), std::sort's inline chain from
  # stl_algo.h inside sort_work's location, innermost first.
  go tool pprof -raw r.pb.gz 2>/dev/null >raw.txt
  grep -qE ' less_by_key /.*/samples/unwind_cpp\.cpp:(18|19|20|21|22) ' raw.txt || fail "less_by_key's line: $(grep -m3 less_by_key raw.txt)"
  # (-raw gives each function's name, then its system name, the linkage name, in parentheses.)
  tr -s ' ' <raw.txt | tr '\n' '|' | grep -qE '\| std::sort(<[^|]*)? /[^|]*/stl_algo\.h:[0-9]+ s=0\(_ZSt4sort[^|]*\)\| sort_work /[^|]*unwind_cpp\.cpp:30 ' ||
    fail "no std::sort inlined into sort_work: $(grep -m3 'std::sort' raw.txt)"
  # Mappings: the build-id of each binary's mapping is the binary's own.
  checked=0
  while read -r file id; do
    want=$(readelf -n "$file" 2>/dev/null | awk '/Build ID:/ { print $3 }')
    [[ $id == "$want" ]] || fail "mapping $file: build-id $id, readelf -n says $want"
    checked=$((checked + 1))
  done < <(sed -n '/^Mappings/,$p' raw.txt | awk '$3 ~ /^\// { print $3, $4 }')
  ((checked >= 3)) || fail "only $checked mappings with a file: $(sed -n '/^Mappings/,$p' raw.txt)"
  grep -qE '^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 \[kernel\.kallsyms\] [0-9a-f]{40} ' raw.txt ||
    [[ -z $(grep '_\[k\]' r.folded) ]] || fail "no kernel mapping with a build-id: $(sed -n '/^Mappings/,$p' raw.txt)"
  # Labels: the thread's pid, tid and name.
  grep -qE 'thread_name:\[unwind_cpp\]' raw.txt || fail "no thread_name label"
  grep -qE 'pid:\[[0-9]+\] tid:\[[0-9]+\]' raw.txt || fail "no pid/tid labels"
  # kiln reads its own pprof back into the folded file it wrote (the thread name as the root).
  "$kiln" convert r.pb.gz -o back.folded 2>/dev/null || fail "kiln convert r.pb.gz failed"
  diff <(grep -v '^#' r.folded) <(grep -v '^#' back.folded) >d.txt || fail "read back differs: $(head -6 d.txt)"
  pass "$(wc -l <want.txt) stacks alike in go tool pprof and kiln, less_by_key $top%, $checked build-ids"
  ;;
record_off_cpu)
  "$kiln" record --off-cpu -o o.folded -o o.pb.gz -- "$samples/offcpu_blocking" 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  go tool pprof -raw o.pb.gz 2>/dev/null >raw.txt
  grep -q '^off_cpu/nanoseconds\[dflt\] *blocks/count' raw.txt || fail "sample types: $(sed -n '/^Samples/,+2p' raw.txt)"
  # off_cpu/nanoseconds is the folded file's microseconds x 1000, stack by stack.
  "$kiln" convert o.pb.gz -o back.folded 2>/dev/null || fail "kiln convert o.pb.gz failed"
  grep -q '^# countname: ns$' back.folded || fail "unit: $(head -3 back.folded)"
  : >names.tsv  # both sides have kiln's names
  normalized o.folded names.tsv >want.txt
  normalized back.folded names.tsv 1000 >got.txt
  (($(wc -l <want.txt) >= 2)) || fail "only $(wc -l <want.txt) stacks"
  diff want.txt got.txt >d.txt || fail "off-CPU time differs: $(head -6 d.txt)"
  blocks=$(go tool pprof -traces -sample_index=blocks o.pb.gz 2>/dev/null | awk -f "$traces_awk" | awk '{ s += $NF } END { print s + 0 }')
  ((blocks > 0)) || fail "no blocks counted"
  pass "$(wc -l <want.txt) off-CPU stacks alike, $blocks blocks"
  ;;
exited_processes)
  # Processes handed over while recording (symbolized 2 s after their exit, then forgotten) are
  # in the pprof file all the same, each with its own pid, and it holds what the folded file
  # of the same recording holds.
  record_sleep_storm --off-cpu -o run.pb.gz
  "$kiln" convert run.pb.gz -o back.folded 2>/dev/null || fail "kiln convert run.pb.gz failed"
  : >names.tsv  # both sides have kiln's names
  normalized run.folded names.tsv >want.txt
  normalized back.folded names.tsv 1000 >got.txt
  diff want.txt got.txt >d.txt || fail "the pprof file differs from the folded one: $(head -6 d.txt)"
  go tool pprof -raw run.pb.gz 2>/dev/null >raw.txt
  sleeps=$(grep -c 'thread_name:\[sleep\]' raw.txt)
  # -raw gives a sample's numeric labels on the line after its string labels.
  pids=$(grep -A1 'thread_name:\[sleep\]' raw.txt | grep -oE '(^|[^t])pid:\[[0-9]+\]' | sort -u | wc -l)
  ((pids >= 490)) || fail "$pids sleep processes in the pprof file ($sleeps samples), expected 500"
  grep -q '__libc_start_main;.*clock_nanosleep' <(grep '^sleep;' back.folded) ||
    fail "sleep's stacks are not named in the pprof file: $(grep -m3 '^sleep;' back.folded)"
  pass "$handed_over processes handed over while recording ($kept kept), $pids sleep processes in the pprof file alike with the folded file"
  ;;
*)
  fail "unknown case"
  ;;
esac

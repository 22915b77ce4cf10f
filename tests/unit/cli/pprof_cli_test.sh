#!/usr/bin/env bash
# pprof_cli_test.sh CASE KILN SHARED_TESTDATA: pprof in and out as a user runs them: malformed
# files are errors naming the file (exit 1), --sample-type, the round trip folded -> pprof ->
# folded on the shared corpus, `go tool pprof` (Debian's golang-go) reading kiln's files, and
# kiln reading a profile written by Go's own runtime/pprof.
set -uo pipefail
case_name=$1 kiln=$2 data=$3
here=$(cd "$(dirname "$0")" && pwd)
kiln_command=("$kiln")
# shellcheck source=../cli_case.sh
source "$(dirname "$0")/../cli_case.sh" pprof-cli

# Go offline, its caches in the scratch directory.
go_offline() {
  command -v go >/dev/null || { echo "SKIP: go not installed (scripts/install-deps.sh)"; exit 77; }
  export GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$work/gocache GOPATH=$work/gopath GO111MODULE=auto
}
# folded stacks merged and sorted, names as go tool pprof shows them (NAMES: pprof_raw_names.awk
# of its -raw output), `_[k]` and `_[j]` dropped (pprof shows names only).
normalized() {  # FILE NAMES
  grep -v '^#' "$1" | awk -f "$here/pprof_shown_names.awk" "$2" - |
    sed -E 's/_\[[kj]\](;| [0-9])/\1/g; s/_\[[kj]\](;| [0-9])/\1/g' |
    awk '{ w = $NF; $NF = ""; sub(/ $/, ""); sum[$0] += w } END { for (s in sum) print s " " sum[s] }' |
    LC_ALL=C sort
}
pprof_traces() { go tool pprof -traces "$@" 2>/dev/null | awk -f "$here/pprof_traces_to_folded.awk"; }

printf '# measured: cpu\n# countname: samples\n# frequency: 99 Hz\napp;main;parse_[i];read_line_[i];sys_read_[k] 5\napp;main;parse_[i] 2\napp;main 1\n' >inline.folded

case $case_name in
malformed)
  "$kiln" convert inline.folded -o good.pb.gz 2>/dev/null || fail "convert failed"
  head -c 40 good.pb.gz >cut.pb.gz
  printf '\x0a\xff\x01' | gzip >bad.pb.gz
  # sample_type {1, 2}; a sample of location 7, which does not exist; strings "", samples, count.
  printf '\x0a\x04\x08\x01\x10\x02\x12\x06\x0a\x01\x07\x12\x01\x01\x32\x00\x32\x07samples\x32\x05count' >ids.pb
  head -c 200 /dev/zero | tr '\0' '\001' | sed 's/^/\x32/' >garbage.pb
  for command in render diff convert; do
    args=(-o out.svg)
    [[ $command == diff ]] && args=(good.pb.gz)
    [[ $command == convert ]] && args=(-o out.folded)
    expect 1 '^cut\.pb\.gz: the gzip data is truncated' $command cut.pb.gz "${args[@]}"
    expect 1 '^bad\.pb\.gz: not a valid pprof profile: byte 3: a field of 255 bytes where 0 are left' \
      $command bad.pb.gz "${args[@]}"
    expect 1 '^ids\.pb: not a valid pprof profile: sample 1 refers to location 7, which the profile does not have' \
      $command ids.pb "${args[@]}"
    expect 1 '^garbage\.pb: not a valid pprof profile: byte [0-9]+: ' $command garbage.pb "${args[@]}"
  done
  head -c 4096 /dev/urandom >random.bin
  "$kiln" render random.bin -o out.svg >/dev/null 2>&1
  (($? == 1)) || fail "random bytes: exit $?, expected 1"
  ;;
sample_type)
  "$kiln" convert inline.folded -o in.pb.gz 2>/dev/null || fail "convert failed"
  expect 0 'in\.pb\.gz: pprof profile, sample type samples/count \(the file.s default; it has samples/count, cpu/nanoseconds' \
    render in.pb.gz -o a.svg
  grep -q 'wrote a.svg (3 stacks, .* 8 samples)' err.txt || fail "$(cat err.txt)"
  expect 0 'sample type cpu/nanoseconds \(--sample-type' render --sample-type cpu in.pb.gz -o b.svg
  grep -q '80808080 ns' err.txt || fail "cpu/nanoseconds total: $(cat err.txt)"
  expect 1 "in\.pb\.gz: no sample type 'alloc_space'; it has samples/count, cpu/nanoseconds" \
    render --sample-type alloc_space in.pb.gz -o c.svg
  # kiln diff compares two pprof files like two folded files.
  printf 'app;main;parse_[i] 4\napp;main 4\n' >after.folded
  "$kiln" convert after.folded -o after.pb.gz 2>/dev/null || fail "convert failed"
  expect 0 'after\.pb\.gz: pprof profile' diff in.pb.gz after.pb.gz --min-samples 1
  grep -q 'main' out.txt || fail "no report: $(cat out.txt)"
  ;;
roundtrip)
  # Every folded result of the FlameGraph corpus: folded -> pprof (render -o and convert -o) ->
  # folded gives the same stacks and weights.
  n=0
  for f in "$data"/flamegraph/test/results/*.txt; do
    "$kiln" convert "$f" -o want.folded 2>/dev/null || fail "convert $f"
    "$kiln" render "$f" -o r.pb.gz 2>/dev/null || fail "render -o r.pb.gz $f"
    "$kiln" convert r.pb.gz -o got.folded 2>/dev/null || fail "convert r.pb.gz of $f"
    diff <(grep -v '^#' want.folded) <(grep -v '^#' got.folded) >d.txt || fail "$f: $(head -5 d.txt)"
    n=$((n + 1))
  done
  ((n >= 50)) || fail "only $n files"
  ;;
go_pprof_reads_export)
  # What go tool pprof shows of kiln's pprof (-traces: every stack and its weight, inline
  # frames marked; -top: the shares) is kiln's folded file.
  go_offline
  files=(inline.folded "$data"/flamegraph/test/results/perf-java-stacks-01-collapsed-all.txt
    "$data"/flamegraph/test/results/perf-numa-stacks-01-collapsed-all.txt
    "$data"/flamegraph/test/results/perf-vertx-stacks-01-collapsed-all.txt
    "$data"/inferno/flamegraph/austin/flames.txt)
  compared=0
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    compared=$((compared + 1))
    "$kiln" convert "$f" -o x.pb.gz 2>/dev/null || fail "convert $f"
    "$kiln" convert "$f" -o x.folded 2>/dev/null || fail "convert $f"
    go tool pprof -raw x.pb.gz 2>/dev/null | awk -f "$here/pprof_raw_names.awk" >names.tsv
    normalized x.folded names.tsv >want.txt
    pprof_traces x.pb.gz >traces.folded
    normalized traces.folded names.tsv >got.txt
    [[ -s want.txt ]] || fail "$f: nothing to compare"
    diff want.txt got.txt >d.txt || fail "$f: go tool pprof -traces differs: $(head -6 d.txt)"
  done
  ((compared >= 3)) || fail "only $compared files compared"
  # -top: sys_read has 5 of 8 samples (62.50%), parse (inline) 2 flat and 7 cumulative.
  "$kiln" convert inline.folded -o in.pb.gz 2>/dev/null
  go tool pprof -top in.pb.gz 2>/dev/null >top.txt
  grep -qE '^ +5 62\.50% .* sys_read$' top.txt || fail "-top: $(cat top.txt)"
  grep -qE '^ +2 25\.00% .* 7 87\.50%  parse \(inline\)$' top.txt || fail "-top: $(cat top.txt)"
  # -raw: one location holds main with parse and read_line inlined, innermost first.
  go tool pprof -raw in.pb.gz 2>/dev/null >raw.txt
  grep -A2 ' read_line :0' raw.txt | tr -s ' ' | tr '\n' '|' | grep -q 'read_line :0 s=0| parse :0 s=0| main :0 s=0' ||
    fail "-raw: $(cat raw.txt)"
  grep -q '\[kernel.kallsyms\]' raw.txt || fail "no kernel mapping: $(cat raw.txt)"
  ;;
go_runtime_profile)
  # A CPU profile written by Go's own runtime/pprof renders with the Go function names.
  go_offline
  cat >busy.go <<'GO'
package main

import (
	"os"
	"runtime/pprof"
	"time"
)

//go:noinline
func spin(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i % 7
	}
	return s
}

//go:noinline
func busyLoop(d time.Duration) int {
	s := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		s += spin(100000)
	}
	return s
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(f)
	println(busyLoop(1500 * time.Millisecond))
	pprof.StopCPUProfile()
	f.Close()
}
GO
  go build -o busy busy.go || fail "go build failed"
  ./busy cpu.pprof 2>/dev/null || fail "the Go program failed"
  expect 0 'cpu\.pprof: pprof profile, sample type cpu/nanoseconds \(the last one' render cpu.pprof -o go.svg
  grep -q 'main.spin' go.svg || fail "no main.spin in the SVG"
  "$kiln" convert cpu.pprof -o go.folded 2>/dev/null || fail "convert cpu.pprof"
  grep -q '^# countname: ns$' go.folded || fail "unit: $(head -4 go.folded)"
  # main.spin under main.busyLoop under main.main holds most of the time, as go tool pprof says.
  total=$(grep -v '^#' go.folded | awk '{ s += $NF } END { print s }')
  spin=$(grep -v '^#' go.folded | grep 'main\.main;main\.busyLoop;main\.spin' | awk '{ s += $NF } END { print s + 0 }')
  awk -v s="$spin" -v t="$total" 'BEGIN { exit !(t > 0 && s / t > 0.5) }' || fail "main.spin: $spin of $total ns"
  go tool pprof -top -cum cpu.pprof 2>/dev/null | grep 'main.spin$' >top.txt
  want=$(awk '{ sub(/%/, "", $5); print $5 }' top.txt)
  awk -v w="$want" -v s="$spin" -v t="$total" 'BEGIN { d = w - 100 * s / t; exit !(w > 0 && d * d < 0.0001) }' ||
    fail "main.spin cumulative: go tool pprof $want%, kiln $spin of $total ns"
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "PASS [$case_name]"

#!/usr/bin/env bash
# Benchmark of `kiln collapse perf` (section "collapse perf" of bench/RESULTS.md): the shared
# example-perf-stacks.txt.gz (perf script, 3.1 MB) concatenated 10 and 100 times, folded by
# kiln (wall and CPU time, peak RSS, MB/s of perf script text) and, on the same text, by
# stackcollapse-perf.pl when it is found: on PATH or as $STACKCOLLAPSE_PERF (it is not a Debian
# package and kiln downloads nothing). The outputs are compared for equal totals.
# usage: bench/collapse.sh [OUTDIR]     (default: /tmp/kiln-bench-collapse)
set -euo pipefail
# shellcheck source=output_setup.sh
source "$(dirname "$0")/output_setup.sh" /tmp/kiln-bench-collapse "$@"
example=$root/../shared/testdata/flamegraph/example-perf-stacks.txt.gz
perl_collapse=${STACKCOLLAPSE_PERF:-$(command -v stackcollapse-perf.pl || true)}
zcat "$example" >"$out/example.txt"
# CPU seconds (user + sys), wall seconds and peak RSS of a command; its stdout to $2.
measure() {  # LABEL OUTPUT COMMAND...
  local label=$1 output=$2
  shift 2
  local t
  t=$( { /usr/bin/time -f "%e %U %S %M" "$@" >"$output"; } 2>&1 | tail -1)
  read -r wall user sys rss <<<"$t"
  awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v mb="$mb" 'BEGIN {
    cpu = u + s
    printf "%-28s wall %6.2f s  cpu %6.2f s  %7.0f MB/s (cpu)  %7.0f MB/s (wall)  peak RSS %4.0f MB\n",
      l, w, cpu, mb / (cpu > 0 ? cpu : 0.001), mb / (w > 0 ? w : 0.001), r / 1024 }'
}
total() { awk '!/^#/ && NF { s += $NF } END { print s }' "$1"; }
for copies in 10 100; do
  text=$out/perf-x$copies.txt
  [[ -s $text ]] || for _ in $(seq "$copies"); do cat "$out/example.txt"; done >"$text"
  mb=$(awk -v b="$(stat -c %s "$text")" 'BEGIN { printf "%.1f", b / 1e6 }')
  cat "$text" >/dev/null  # in the page cache for every run
  echo "== example-perf-stacks x$copies: $mb MB of perf script text"
  for run in 1 2 3; do
    measure "kiln collapse perf (run $run)" "$out/kiln-x$copies.folded" "$kiln" collapse perf "$text"
  done
  if [[ -n $perl_collapse ]]; then
    measure "stackcollapse-perf.pl" "$out/perl-x$copies.folded" perl "$perl_collapse" "$text"
    echo "totals: kiln $(total "$out/kiln-x$copies.folded"), stackcollapse-perf.pl $(total "$out/perl-x$copies.folded")"
  else
    echo "stackcollapse-perf.pl: not found (not a Debian package; set STACKCOLLAPSE_PERF): compare with inferno's published 182 MiB/s"
  fi
done

#!/usr/bin/env bash
# Benchmark of `kiln diff` (section "diff" of bench/RESULTS.md): two synthetic profiles of 10k
# and 100k distinct stacks (bench/gen_folded.py; AFTER is BEFORE with the stacks through any
# `Parser` frame weighted 1.5x), then wall time (hyperfine) and peak RSS (/usr/bin/time) of the
# report alone, the report + differential SVG, and the JSON report. flamegraph.pl's
# difffolded.pl + flamegraph.pl are measured too when they are on PATH (not Debian packages, and
# kiln downloads nothing, so usually they are not).
# usage: bench/diff.sh [OUTDIR]     (default: /tmp/kiln-bench-diff)
set -euo pipefail
# shellcheck source=output_setup.sh
source "$(dirname "$0")/output_setup.sh" /tmp/kiln-bench-diff "$@"
for n in 10000 100000; do
  before=$out/before-$n.folded after=$out/after-$n.folded
  [[ -s $before ]] || python3 "$root/bench/gen_folded.py" "$n" "$before"
  [[ -s $after ]] ||
    awk '{ w = $NF; if ($0 ~ /Parser/) w = int(w * 1.5); sub(/ [^ ]+$/, ""); print $0 " " w }' \
      "$before" >"$after"
  echo "== $n distinct stacks: $(du -m "$before" | cut -f1) MB folded each"
  hyperfine --style basic -w 1 -r 5 -i \
    "$kiln diff $before $after --fail-on total:5" \
    "$kiln diff $before $after -o $out/diff-$n.svg" \
    "$kiln diff $before $after --format json --report $out/diff-$n.json" | grep -E "Benchmark|Time|Range"
  rss=$( { /usr/bin/time -f "%M" "$kiln" diff "$before" "$after" -o "$out/diff-$n.svg" >/dev/null; } 2>&1 | tail -1)
  echo "kiln diff -o: peak RSS $((rss / 1024)) MB, SVG $(du -k "$out/diff-$n.svg" | cut -f1) KB"
  if command -v difffolded.pl >/dev/null && command -v flamegraph.pl >/dev/null; then
    hyperfine --style basic -w 1 -r 3 \
      "difffolded.pl $before $after | flamegraph.pl > $out/fg-diff-$n.svg" | grep -E "Time|Range"
  else
    echo "difffolded.pl + flamegraph.pl: not installed (not Debian packages; not downloaded)"
  fi
done

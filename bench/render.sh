#!/usr/bin/env bash
# Benchmark of `kiln render` (section "render" of bench/RESULTS.md): generates folded files with
# 10k and 100k distinct stacks (bench/gen_folded.py), then measures wall time (hyperfine), peak
# RSS (/usr/bin/time), SVG size, and headless Chromium load / zoom click / reset / search times
# (bench/browser_timing.js). flamegraph.pl is measured too when it is on PATH (it is not a
# Debian package, and kiln downloads nothing, so usually it is not).
# usage: bench/render.sh [OUTDIR]     (default: /tmp/kiln-bench-render)
set -euo pipefail
# shellcheck source=output_setup.sh
source "$(dirname "$0")/output_setup.sh" /tmp/kiln-bench-render "$@"
for n in 10000 100000; do
  folded=$out/stacks-$n.folded
  [[ -s $folded ]] || python3 "$root/bench/gen_folded.py" "$n" "$folded"
  svg=$out/kiln-$n.svg
  echo "== $n distinct stacks: $(du -m "$folded" | cut -f1) MB folded"
  hyperfine --style basic -w 2 -r 10 --export-json "$out/hyperfine-$n.json" \
    "$kiln render $folded -o $svg" | grep -E "Time|Range"
  rss=$( { /usr/bin/time -f "%M" "$kiln" render "$folded" -o "$svg"; } 2>&1 | tail -1)
  echo "kiln render: peak RSS $((rss / 1024)) MB, SVG $(du -k "$svg" | cut -f1) KB," \
       "$(grep -c '^<rect' "$svg") elements, $(sed -n '/<metadata id="kiln-data">/,/<\/metadata>/p' "$svg" | wc -l) frames in data"
  if command -v flamegraph.pl >/dev/null; then
    hyperfine --style basic -w 1 -r 5 "flamegraph.pl $folded > $out/fg-$n.svg" | grep -E "Time|Range"
    rss=$( { /usr/bin/time -f "%M" flamegraph.pl "$folded" > "$out/fg-$n.svg"; } 2>&1 | tail -1)
    echo "flamegraph.pl: peak RSS $((rss / 1024)) MB, SVG $(du -k "$out/fg-$n.svg" | cut -f1) KB"
  else
    echo "flamegraph.pl: not installed (not a Debian package; not downloaded): compare with the issue's numbers"
  fi
  node "$root/bench/browser_timing.js" "$svg" 5
done
# A denser picture than flamegraph.pl's 58k frames: every frame down to 0.02 px in the data.
dense=$out/kiln-100000-dense.svg
"$kiln" render "$out/stacks-100000.folded" --minwidth 0.02 -o "$dense"
echo "== 100000 stacks, --minwidth 0.02: SVG $(du -k "$dense" | cut -f1) KB," \
     "$(sed -n '/<metadata id="kiln-data">/,/<\/metadata>/p' "$dense" | wc -l) frames in data"
node "$root/bench/browser_timing.js" "$dense" 5

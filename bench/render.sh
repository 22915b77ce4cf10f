#!/usr/bin/env bash
# Benchmark of `kiln render` (section "render" of bench/RESULTS.md): generates folded files with
# 10k and 100k distinct stacks (bench/gen_folded.py), then measures wall time (hyperfine), peak
# RSS (/usr/bin/time), SVG size, and headless Chromium load / zoom click / reset / search times
# (bench/browser_timing.js). flamegraph.pl is measured too when it is found: on PATH or as
# $FLAMEGRAPH_PL (it is not a Debian package and kiln downloads nothing; a FlameGraph checkout's
# flamegraph.pl works). Then the deep profile ("deep": gen_folded.py --deep, 100k stacks of 26
# frames, 280k distinct long names) in one hyperfine run: kiln, $KILN_BEFORE (another kiln
# binary, to compare revisions) if set, and flamegraph.pl.
# usage: bench/render.sh [OUTDIR] [deep]   (default: /tmp/kiln-bench-render; "deep": only that)
set -euo pipefail
# shellcheck source=output_setup.sh
source "$(dirname "$0")/output_setup.sh" /tmp/kiln-bench-render "${1:-}"
flamegraph_pl=${FLAMEGRAPH_PL:-$(command -v flamegraph.pl || true)}
deep() {
  local folded=$out/deep-100000.folded
  [[ -s $folded ]] || python3 "$root/bench/gen_folded.py" 100000 "$folded" --deep
  echo "== deep: 100000 distinct stacks, $(du -mL "$folded" | cut -f1) MB folded"
  cat "$folded" >/dev/null  # in the page cache for every run
  local cmds=("$kiln render $folded -o $out/kiln-deep.svg")
  [[ -n ${KILN_BEFORE:-} ]] && cmds+=("$KILN_BEFORE render $folded -o $out/kiln-before-deep.svg")
  [[ -n $flamegraph_pl ]] && cmds+=("perl $flamegraph_pl $folded > $out/fg-deep.svg")
  hyperfine --style basic -w 1 -r "${RUNS:-5}" --export-json "$out/hyperfine-deep.json" "${cmds[@]}" 2>&1 |
    grep -E "Benchmark|Time|Range|faster|±"
  for cmd in "${cmds[@]}"; do
    rss=$( { /usr/bin/time -f "%M %U %S" sh -c "$cmd"; } 2>&1 | tail -1)
    echo "peak RSS $(( ${rss%% *} / 1024 )) MB, user+sys ${rss#* }: $cmd"
  done
  node "$root/bench/browser_timing.js" "$out/kiln-deep.svg" 5
}
deep
[[ ${2:-} == deep ]] && exit 0
for n in 10000 100000; do
  folded=$out/stacks-$n.folded
  [[ -s $folded ]] || python3 "$root/bench/gen_folded.py" "$n" "$folded"
  svg=$out/kiln-$n.svg
  echo "== $n distinct stacks: $(du -mL "$folded" | cut -f1) MB folded"
  hyperfine --style basic -w 2 -r 10 --export-json "$out/hyperfine-$n.json" \
    "$kiln render $folded -o $svg" | grep -E "Time|Range"
  rss=$( { /usr/bin/time -f "%M" "$kiln" render "$folded" -o "$svg"; } 2>&1 | tail -1)
  echo "kiln render: peak RSS $((rss / 1024)) MB, SVG $(du -k "$svg" | cut -f1) KB," \
       "$(grep -c '^<rect' "$svg") elements, $(sed -n '/<metadata id="kiln-data">/,/<\/metadata>/p' "$svg" | wc -l) frames in data"
  if [[ -n $flamegraph_pl ]]; then
    hyperfine --style basic -w 1 -r 5 "perl $flamegraph_pl $folded > $out/fg-$n.svg" | grep -E "Time|Range"
    rss=$( { /usr/bin/time -f "%M" perl "$flamegraph_pl" "$folded" > "$out/fg-$n.svg"; } 2>&1 | tail -1)
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

#!/usr/bin/env bash
# Benchmark of pprof export (section "pprof" of bench/RESULTS.md): a whole-machine recording
# (default 30 s at 99 Hz, while samples/unwind_cpp and the machine's other work run) written by
# kiln record as folded stacks and as pprof; then the export alone, folded -> pprof with `kiln
# convert`, timed against gzip of the same folded file (what one would otherwise do to ship a
# folded profile), and pprof -> folded back; the same on a synthetic 100k-stack folded profile
# (bench/gen_folded.py). Sizes of every file. Needs root for the recording.
# usage: sudo bench/pprof.sh [OUTDIR] [SECONDS]     (default: /tmp/kiln-bench-pprof, 30)
set -euo pipefail
# shellcheck source=output_setup.sh
source "$(dirname "$0")/output_setup.sh" /tmp/kiln-bench-pprof "${1:-/tmp/kiln-bench-pprof}"
seconds=${2:-30}
# Wall and CPU seconds (user + sys) and peak RSS of a command, its stdout to OUTPUT.
measure() {  # LABEL OUTPUT COMMAND...
  local label=$1 output=$2
  shift 2
  local t
  t=$( { /usr/bin/time -f "%e %U %S %M" "$@" >"$output"; } 2>&1 | tail -1)
  read -r wall user sys rss <<<"$t"
  awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
    printf "%-34s wall %6.2f s  cpu %6.2f s  peak RSS %4.0f MB\n", l, w, u + s, r / 1024 }'
}
size() { awk -v b="$(stat -c %s "$1")" -v l="$2" 'BEGIN { printf "%-34s %10.1f KB\n", l, b / 1000 }'; }
stacks() { grep -vc '^#' "$1"; }

compare() {  # NAME FOLDED
  local name=$1 folded=$2
  echo "== $name: $(stacks "$folded") distinct stacks"
  for run in 1 2 3; do
    measure "kiln convert -> .pb.gz (run $run)" /dev/null "$kiln" convert "$folded" -o "$out/$name.pb.gz"
  done
  for run in 1 2 3; do
    measure "gzip -6 of the folded file (run $run)" "$out/$name.folded.gz" gzip -6 -c "$folded"
  done
  measure "kiln convert .pb.gz -> folded" "$out/$name.back.folded" "$kiln" convert "$out/$name.pb.gz" -o -
  size "$folded" "folded"
  size "$out/$name.folded.gz" "folded, gzip -6"
  size "$out/$name.pb.gz" "pprof (.pb.gz) from folded"
  cmp -s <(grep -v '^#' "$folded" | LC_ALL=C sort) <(grep -v '^#' "$out/$name.back.folded" | LC_ALL=C sort) &&
    echo "round trip: the same stacks and weights" || echo "round trip: DIFFERENT stacks"
}

if [[ $(id -u) -eq 0 ]]; then
  "$root/build/samples/unwind_cpp" "$seconds" &
  load=$!
  echo "== kiln record -d $seconds (whole machine, 99 Hz) -o rec.folded -o rec.pb.gz"
  measure "kiln record, folded + pprof" /dev/null "$kiln" record -d "$seconds" -o "$out/rec.folded" -o "$out/rec.pb.gz"
  wait "$load" || true
  size "$out/rec.pb.gz" "pprof from kiln record (full)"
  compare rec "$out/rec.folded"
else
  echo "not root: no recording (sudo bench/pprof.sh)"
fi
[[ -s $out/synthetic.folded ]] || python3 "$root/bench/gen_folded.py" 100000 "$out/synthetic.folded"
compare synthetic "$out/synthetic.folded"

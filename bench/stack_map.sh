#!/usr/bin/env bash
# bench/stack_map.sh: samples lost to a full kernel stack map. Two kiln builds record the whole
# machine side by side (999 Hz, --unwind dwarf; MODE="--off-cpu" or "--wall" for those
# recordings) with the same small --stack-map-size, so that a
# build that keeps the map from filling and one that does not see the same stacks. Run it on a
# machine that does varied kernel work (a build): an idle one has few distinct kernel stacks.
# Prints each build's summary line and its losses by kind.
# Usage: sudo BEFORE=<kiln> [KILN=<kiln>] [MODE=--off-cpu] bench/stack_map.sh [SECONDS] [ENTRIES]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
before=${BEFORE:?set BEFORE to the kiln build to compare with}
seconds=${1:-40}
entries=${2:-4096}
read -ra mode <<<"${MODE:--F 999}"
work=$(mktemp -d /tmp/kiln-stack-map.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "bench/stack_map.sh: two kiln record ${mode[*]} --stack-map-size $entries -d $seconds on the whole machine, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$before" record "${mode[@]}" --stack-map-size "$entries" -d "$seconds" -o "$work/before.folded" 2>"$work/before.err" &
"$kiln" record "${mode[@]}" --stack-map-size "$entries" -d "$seconds" -o "$work/after.folded" 2>"$work/after.err"
wait
for name in before after; do
  echo "$name ($([[ $name == before ]] && echo "$before" || echo "$kiln")):"
  grep -E '^kiln: .* (samples|blocks)|^  lost:' "$work/$name.err" | sed 's/^/  /'
  awk '{ w = $NF; total += w; if ($0 ~ /_\[k\]/) kernel += w }
       END { printf "  %.2f%% of the recorded weight has kernel frames\n", 100 * kernel / total }' \
    "$work/$name.folded"
done

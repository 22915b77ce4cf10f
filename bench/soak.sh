#!/usr/bin/env bash
# bench/soak.sh: a long whole-machine recording (default one hour at 999 Hz, --unwind dwarf)
# while the machine does whatever it does; every INTERVAL seconds, kiln's resident memory
# (VmRSS, VmHWM) and its CPU time so far, from /proc. Memory and CPU per minute should stay flat
# after the first minutes (caches of binaries and stacks filled). At the end: kiln's summary
# and the time from SIGINT to the written SVG.
# Usage: sudo bench/soak.sh [SECONDS] [INTERVAL]   (env: KILN, HZ)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
seconds=${1:-3600}
interval=${2:-60}
hz=${HZ:-999}
work=$(mktemp -d /tmp/kiln-soak.XXXXXX)
trap 'kill -INT "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)

"$kiln" record -F "$hz" -o "$work/soak.folded" -o "$work/soak.svg" 2>"$work/err" &
pid=$!
echo "bench/soak.sh: kiln record -F $hz on the whole machine for $seconds s, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo
echo "| minute | VmRSS MiB | VmHWM MiB | kiln CPU s so far | CPU s in the last interval | load avg |"
echo "|---|---|---|---|---|---|"
start=$SECONDS last_cpu=0
while ((SECONDS - start < seconds)); do
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || { echo "kiln exited early: $(cat "$work/err")"; exit 1; }
  rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  cpu=$(awk -v t="$ticks" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$pid/stat")
  echo "| $(((SECONDS - start) / 60)) | $rss | $hwm | $cpu | $(awk -v a="$cpu" -v b="$last_cpu" 'BEGIN { printf "%.2f", a - b }') | $(cut -d' ' -f1 /proc/loadavg) |"
  last_cpu=$cpu
done
stop=$(date +%s.%N)
kill -INT "$pid"
wait "$pid" || true
echo
echo "stop to SVG: $(awk -v a="$stop" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
echo '```'
cat "$work/err"
echo '```'

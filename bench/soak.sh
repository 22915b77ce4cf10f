#!/usr/bin/env bash
# bench/soak.sh: a long whole-machine recording (default one hour at 999 Hz, --unwind dwarf)
# while the machine does whatever it does; every INTERVAL seconds, kiln's resident memory
# (VmRSS, VmHWM) and its CPU time so far, from /proc. Memory and CPU per minute should stay flat
# after the first minutes (caches of binaries and stacks filled). At the end: kiln's summary
# the time from SIGINT to the written SVG and the peak RSS until the exit. With CHURN=1, the script itself keeps starting
# short-lived processes (xz, gzip, python3, perl, each a few to 100 ms) for the whole run, so
# that memory which grows with every process ever seen shows on a machine that is otherwise
# quiet.
# Usage: sudo bench/soak.sh [SECONDS] [INTERVAL]   (env: KILN, HZ, CHURN)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
seconds=${1:-3600}
interval=${2:-60}
hz=${HZ:-999}
work=$(mktemp -d /tmp/kiln-soak.XXXXXX)
churn_pid=
trap 'kill -INT "$pid" 2>/dev/null || true; [[ -z $churn_pid ]] || kill "$churn_pid" 2>/dev/null; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)

churn() {
  while :; do
    head -c 200000 /dev/urandom | xz -1 >/dev/null
    head -c 400000 /dev/urandom | gzip -1 >/dev/null
    /usr/bin/python3 -c 'sum(i * i for i in range(30000))'
    perl -e 'my $s = 0; $s += $_ for 1 .. 50000'
  done
}

"$kiln" record -F "$hz" -o "$work/soak.folded" -o "$work/soak.svg" 2>"$work/err" &
pid=$!
if [[ ${CHURN:-0} == 1 ]]; then
  churn &
  churn_pid=$!
fi
echo "bench/soak.sh: kiln record -F $hz on the whole machine for $seconds s$([[ -z $churn_pid ]] || echo ", with churn"), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo
echo "| minute | VmRSS MiB | VmHWM MiB | open fds | kiln CPU s so far | CPU s in the last interval | load avg |"
echo "|---|---|---|---|---|---|---|"
start=$SECONDS last_cpu=0
while ((SECONDS - start < seconds)); do
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || { echo "kiln exited early: $(cat "$work/err")"; exit 1; }
  rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  cpu=$(awk -v t="$ticks" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$pid/stat")
  echo "| $(((SECONDS - start) / 60)) | $rss | $hwm | $(ls "/proc/$pid/fd" | wc -l) | $cpu | $(awk -v a="$cpu" -v b="$last_cpu" 'BEGIN { printf "%.2f", a - b }') | $(cut -d' ' -f1 /proc/loadavg) |"
  last_cpu=$cpu
done
stop=$(date +%s.%N)
kill -INT "$pid"
if [[ -n $churn_pid ]]; then
  kill "$churn_pid"
  wait "$churn_pid" 2>/dev/null || true
  churn_pid=
fi
# Symbolizing and writing after the stop take memory too: the last VmHWM seen before the exit.
peak=
while hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null) && [[ -n $hwm ]]; do
  peak=$hwm
  sleep 0.2
done
wait "$pid" || true
echo
echo "stop to SVG: $(awk -v a="$stop" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s; peak RSS (VmHWM) until the exit: $peak MiB"
echo '```'
cat "$work/err"
echo '```'

#!/usr/bin/env bash
# bench/soak.sh: a long whole-machine recording (default one hour at 999 Hz, --unwind dwarf)
# while the machine does whatever it does; every INTERVAL seconds, kiln's resident memory
# (VmRSS split into anonymous and file-backed pages, VmHWM), its open file descriptors and its
# CPU time, from /proc. Memory and CPU per minute should stay flat after the first minutes
# (caches of binaries and stacks filled). At the end: kiln's summary, the time from SIGINT to the
# written SVG and the peak RSS until the exit. With CHURN=1, the script itself keeps starting
# short-lived processes (xz, gzip, python3, perl, each a few to 100 ms) for the whole run, so
# that memory which grows with every process ever seen shows on a machine that is otherwise
# quiet. With BEFORE=<another kiln>, that build records the machine at the same time (its own
# columns, same churn), for a before/after in one run. With PPROF=1, each also writes a pprof
# file (whose samples stay in memory to the end).
# Usage: sudo bench/soak.sh [SECONDS] [INTERVAL]   (env: KILN, BEFORE, HZ, CHURN, PPROF)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
seconds=${1:-3600}
interval=${2:-60}
hz=${HZ:-999}
work=$(mktemp -d /tmp/kiln-soak.XXXXXX)
churn_pid=
pids=()
trap 'for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; [[ -z $churn_pid ]] || kill "$churn_pid" 2>/dev/null; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)

churn() {
  while :; do
    head -c 200000 /dev/urandom | xz -1 >/dev/null
    head -c 400000 /dev/urandom | gzip -1 >/dev/null
    /usr/bin/python3 -c 'sum(i * i for i in range(30000))'
    perl -e 'my $s = 0; $s += $_ for 1 .. 50000'
  done
}

builds=("$kiln")
names=(kiln)
if [[ -n ${BEFORE:-} ]]; then
  builds=("$BEFORE" "$kiln")
  names=(before after)
fi
for i in "${!builds[@]}"; do
  pprof=()
  [[ ${PPROF:-0} != 1 ]] || pprof=(-o "$work/soak-$i.pb.gz")
  "${builds[$i]}" record -F "$hz" --verbose -o "$work/soak-$i.folded" -o "$work/soak-$i.svg" "${pprof[@]}" 2>"$work/err-$i" &
  pids+=($!)
done
if [[ ${CHURN:-0} == 1 ]]; then
  churn &
  churn_pid=$!
fi
echo "bench/soak.sh: ${#builds[@]} kiln record -F $hz on the whole machine for $seconds s$([[ -z $churn_pid ]] || echo ", with churn"), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
for i in "${!builds[@]}"; do echo "  ${names[$i]}: ${builds[$i]}"; done
echo
header="| minute |" rule="|---|"
for name in "${names[@]}"; do
  header+=" $name RssAnon MiB | $name RssFile MiB | $name VmHWM MiB | $name fds | $name CPU s in the interval |"
  rule+="---|---|---|---|---|"
done
echo "$header load avg |"
echo "$rule---|"
start=$SECONDS
last_cpu=()
for i in "${!builds[@]}"; do last_cpu+=(0); done
while ((SECONDS - start < seconds)); do
  sleep "$interval"
  row="| $(awk -v s=$((SECONDS - start)) 'BEGIN { printf "%.1f", s / 60 }') |"
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    kill -0 "$pid" 2>/dev/null || { echo "kiln ${names[$i]} exited early: $(cat "$work/err-$i")"; exit 1; }
    mem=$(awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } /^VmHWM/ { h = $2 }
               END { printf "%.1f | %.1f | %.1f", a / 1024, f / 1024, h / 1024 }' "/proc/$pid/status")
    cpu=$(awk -v t="$ticks" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$pid/stat")
    row+=" $mem | $(ls "/proc/$pid/fd" | wc -l) | $(awk -v a="$cpu" -v b="${last_cpu[$i]}" 'BEGIN { printf "%.2f", a - b }') |"
    last_cpu[i]=$cpu
  done
  echo "$row $(cut -d' ' -f1 /proc/loadavg) |"
done
stop=$(date +%s.%N)
for pid in "${pids[@]}"; do kill -INT "$pid"; done
if [[ -n $churn_pid ]]; then
  kill "$churn_pid"
  wait "$churn_pid" 2>/dev/null || true
  churn_pid=
fi
# Symbolizing and writing after the stop take memory too: the last VmHWM seen before each exit,
# and the time from the stop until the exit.
peaks=() ends=()
for i in "${!pids[@]}"; do peaks+=(""); ends+=(""); done
while :; do
  running=0
  for i in "${!pids[@]}"; do
    [[ -n ${ends[$i]} ]] && continue
    if hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/${pids[$i]}/status" 2>/dev/null) && [[ -n $hwm ]]; then
      peaks[i]=$hwm
      running=1
    else
      ends[i]=$(date +%s.%N)
    fi
  done
  ((running)) || break
  sleep 0.2
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || true
  echo
  echo "${names[$i]}: stop to SVG: $(awk -v a="$stop" -v b="${ends[$i]}" 'BEGIN { printf "%.2f", b - a }') s; peak RSS (VmHWM) until the exit: ${peaks[$i]} MiB"
  echo '```'
  cat "$work/err-$i"
  echo '```'
done
pids=()

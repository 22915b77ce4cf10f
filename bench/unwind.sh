#!/usr/bin/env bash
# bench/unwind.sh: what complete user stacks cost. kiln record --unwind dwarf against
# kiln --unwind fp and perf record --call-graph dwarf,16384 (+ perf script + a collapse to
# folded), all on every CPU, on the same frame-pointer-less workload: Debian's xz compressing
# a fixed input on the last CPU. At 99 Hz and 999 Hz: the workload's CPU time, the profiler's
# own CPU time (perf: record + script + collapse), its peak RSS, stacks reaching main, bytes
# copied per sample, lost samples; then the BPF time per sample (kernel.bpf_stats_enabled) and
# the time from the stop of a STOP_SECONDS whole-machine recording at 99 Hz to a written SVG.
# Medians of RUNS rounds, interleaved. Run as root from the repository root after building:
#   sudo bench/unwind.sh            (RUNS=3 RATES="99 999" STOP_SECONDS=30)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=$root/build/kiln
runs=${RUNS:-3}
rates=${RATES:-99 999}
stop_seconds=${STOP_SECONDS:-30}
work=$(mktemp -d /tmp/kiln-unwind-bench.XXXXXX)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap 'rm -rf "$work"; sysctl -qw kernel.bpf_stats_enabled="$stats_before"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1
last_cpu=$(($(nproc) - 1))
# 12 MB of libraries: xz -6 takes a few seconds on it.
cat /usr/lib/x86_64-linux-gnu/lib*.so* 2>/dev/null | head -c 12000000 >"$work/input" || true  # cat ends on SIGPIPE

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The workload: "cpu_seconds" of xz on the last CPU.
run_workload() {
  /usr/bin/time -f "%U %S" -o "$work/w.time" taskset -c "$last_cpu" xz -6 -T1 -c "$work/input" >/dev/null
  awk '{ printf "%.3f\n", $1 + $2 }' "$work/w.time"
}

# perf script to folded stacks, comm root (what stackcollapse-perf.pl does).
collapse_perf() {
  awk '/^[^ \t]/ { comm = $1; n = 0; next }
    /^[ \t]+[0-9a-f]+ / { sym = $2; sub(/\+0x[0-9a-f]+$/, "", sym); stack[++n] = sym; next }
    /^$/ { if (comm != "") { s = comm; for (i = n; i >= 1; i--) s = s ";" stack[i]; count[s]++ } comm = ""; n = 0 }
    END { for (s in count) print s, count[s] }'
}

# Share of xz's samples whose stack reaches main (folded on stdin).
reach_main() {
  awk '/^xz;/ { w = $NF; total += w; if ($0 ~ /;(__libc_start_call_main|main);/) reach += w }
    END { printf "%.1f\n", total ? 100 * reach / total : 0 }'
}

# xz over and over on the last CPU while a measurement runs; sets load_pid.
start_load() { taskset -c "$last_cpu" sh -c "while :; do xz -6 -T1 -c '$work/input' >/dev/null; done" & load_pid=$!; }
stop_load() { pkill -P "$load_pid" xz || true; kill "$load_pid"; wait "$load_pid" 2>/dev/null || true; }
# "run_time_ns run_cnt" summed over the perf_event BPF programs loaded now.
bpf_run_stats() {
  bpftool prog show | awk '/ perf_event / { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i + 1); if ($i == "run_cnt") n += $(i + 1) } } END { print t + 0, n + 0 }'
}

# start NAME HZ: the profiler on the whole machine under GNU time; sets timer_pid, profiler_pid.
start() {
  case $1 in
  kiln-dwarf) /usr/bin/time -f "%U %S %M" -o "$work/p.time" "$kiln" record --unwind dwarf -F "$2" -o "$work/k.folded" -o "$work/k.svg" 2>"$work/p.err" & ;;
  kiln-fp) /usr/bin/time -f "%U %S %M" -o "$work/p.time" "$kiln" record --unwind fp -F "$2" -o "$work/k.folded" -o "$work/k.svg" 2>"$work/p.err" & ;;
  perf-dwarf) /usr/bin/time -f "%U %S %M" -o "$work/p.time" perf record -a -F "$2" --call-graph dwarf,16384 -o "$work/perf.data" 2>"$work/p.err" & ;;
  esac
  timer_pid=$!
  for _ in $(seq 50); do
    profiler_pid=$(pgrep -P "$timer_pid" || true)
    [[ -n $profiler_pid ]] && break
    sleep 0.1
  done
  sleep 2
}

# stop NAME: writes "cpu_s rss_mib reach_main% bytes_per_sample lost" of the run just made to
# $work/p.result. Not in a subshell: only this shell can wait for the profiler.
stop() {
  kill -INT "$profiler_pid"
  wait "$timer_pid" || true
  # GNU time puts "Command exited with non-zero status N" first when it did.
  read -r user sys rss < <(tail -1 "$work/p.time")
  local cpu reach bytes lost
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
  if [[ $1 == perf-dwarf ]]; then
    /usr/bin/time -f "%U %S %M" -o "$work/s.time" sh -c "perf script -i '$work/perf.data' -F comm,ip,sym 2>/dev/null > '$work/perf.txt'"
    read -r su ss srss < <(tail -1 "$work/s.time")
    cpu=$(awk -v c="$cpu" -v u="$su" -v s="$ss" 'BEGIN { printf "%.3f", c + u + s }')
    ((srss > rss)) && rss=$srss
    reach=$(collapse_perf <"$work/perf.txt" | reach_main)
    # perf copies 16384 bytes of stack and the registers into every sample.
    bytes=$(perf report -i "$work/perf.data" --stats 2>/dev/null | awk '/SAMPLE events/ { n = $NF } END { print n ? 16384 : 0 }')
    lost=$(perf report -i "$work/perf.data" --stats 2>/dev/null | awk '/LOST_SAMPLES|LOST events/ { s += $NF } END { print s + 0 }')
  else
    reach=$(reach_main <"$work/k.folded")
    bytes=$(grep -oE 'per stack [0-9]+ bytes' "$work/p.err" | awk '{ print $3 }' || true)
    lost=$(grep -oE '[0-9]+ lost' "$work/p.err" | head -1 | awk '{ print $1 }')
  fi
  echo "$cpu $(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }') $reach ${bytes:-0} ${lost:-0}" >"$work/p.result"
}

echo "# DWARF unwinding benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); workload: xz -6 -T1 of 12 MB on CPU $last_cpu; medians of $runs runs"
echo
profilers="kiln-dwarf kiln-fp perf-dwarf"
for run in $(seq "$runs"); do
  run_workload >>"$work/none"
  for hz in $rates; do
    for p in $profilers; do
      start "$p" "$hz"
      w=$(run_workload)
      stop "$p"
      echo "$w $(cat "$work/p.result")" >>"$work/$p.$hz"
    done
  done
  echo "# round $run of $runs done" >&2
done
alone=$(median <"$work/none")
echo "| profiler | Hz | workload CPU s | vs alone | profiler CPU s | peak RSS MiB | xz samples reaching main | stack bytes per sample | lost |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| none | - | $alone | - | - | - | - | - | - |"
for hz in $rates; do
  for p in $profilers; do
    f=$work/$p.$hz
    cpu=$(cut -d' ' -f1 "$f" | median)
    echo "| $p | $hz | $cpu | $(awk -v a="$cpu" -v b="$alone" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }') |" \
      "$(cut -d' ' -f2 "$f" | median) | $(cut -d' ' -f3 "$f" | median) | $(cut -d' ' -f4 "$f" | median)% |" \
      "$(cut -d' ' -f5 "$f" | median) | $(cut -d' ' -f6 "$f" | median) |"
  done
done

echo
echo "BPF time per sample at 999 Hz, xz on CPU $last_cpu, 5 s (kernel.bpf_stats_enabled), and kiln's unwind time per stack:"
echo
echo "| profiler | BPF ns/sample | user-space unwind us/stack |"
echo "|---|---|---|"
for p in kiln-dwarf kiln-fp; do
  start_load
  start "$p" 999
  read -r t0 n0 < <(bpf_run_stats)
  sleep 5
  read -r t1 n1 < <(bpf_run_stats)
  stop "$p"
  stop_load
  us=$(grep -oE '[0-9.]+ us to unwind' "$work/p.err" | awk '{ print $1 }' || true)
  echo "| $p | $(awk -v t="$((t1 - t0))" -v n="$((n1 - n0))" 'BEGIN { printf "%.0f", n ? t / n : 0 }') | ${us:--} |"
done

((stop_seconds > 0)) || exit 0
echo
echo "Stop to SVG after a ${stop_seconds} s whole-machine recording at 99 Hz, xz running:"
echo
echo "| profiler | stop to SVG s |"
echo "|---|---|"
for p in kiln-dwarf perf-dwarf; do
  start_load
  start "$p" 99
  sleep $((stop_seconds - 2))
  t0=$(date +%s.%N)
  kill -INT "$profiler_pid"; wait "$timer_pid" || true
  if [[ $p == perf-dwarf ]]; then
    perf script -i "$work/perf.data" -F comm,ip,sym 2>/dev/null | collapse_perf >"$work/perf.folded"
    "$kiln" render "$work/perf.folded" -o "$work/perf.svg" 2>/dev/null
  fi
  t1=$(date +%s.%N)
  stop_load
  echo "| $p | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') |"
done
echo
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

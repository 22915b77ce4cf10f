#!/usr/bin/env bash
# bench/record_overhead.sh: what sampling costs, kiln record against perf record -g -a and
# bpftrace profile:hz, on one fixed CPU-bound workload (bench/fixed_work.c, ~10 s of CPU,
# pinned to the last CPU), at 99 Hz and 4999 Hz; and the time from the end of a 30 s
# whole-machine recording to a written SVG (perf: perf script, collapsing with awk, kiln
# render). "floor" is bpftrace with an empty program on the same timer: what the sampling
# interrupt costs before any profiler work. Each of RUNS rounds (default 5) runs the workload
# alone and under every profiler at every rate, so that slow drifts of the machine touch them
# alike; the table gives medians. BPF time per sample comes from kernel.bpf_stats_enabled.
# Run as root from the repository root after scripts/build.sh:  sudo bench/record_overhead.sh
# (PROFILERS="kiln perf" RATES=4999 STOP_SECONDS=0 for a part of it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}  # KILN=PATH: another build (before/after comparisons)
runs=${RUNS:-5}
rounds=${ROUNDS:-600}
stop_seconds=${STOP_SECONDS:-30}  # 0 skips the stop-to-SVG part
profilers=${PROFILERS:-kiln perf bpftrace floor}
rates=${RATES:-99 4999}
work=$(mktemp -d /tmp/kiln-bench.XXXXXX)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap 'rm -rf "$work"; sysctl -qw kernel.bpf_stats_enabled="$stats_before"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1
workload_cpu=$(($(nproc) - 1))
clang -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer "$root/bench/fixed_work.c" -o "$work/fixed_work"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The workload alone: "wall cpu" seconds.
run_workload() {
  /usr/bin/time -f "%e %U %S" -o "$work/w.time" taskset -c "$workload_cpu" "$work/fixed_work" "$rounds"
  tail -1 "$work/w.time" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

# start_profiler NAME HZ: starts the profiler on the whole machine under GNU time, waits until
# it samples, and sets profiler_pid (the profiler itself, not time).
start_profiler() {
  local name=$1 hz=$2
  case $name in
  kiln) /usr/bin/time -f "%U %S %M" -o "$work/p.time" "$kiln" record -F "$hz" -o "$work/kiln.svg" 2>"$work/p.err" & ;;
  perf) /usr/bin/time -f "%U %S %M" -o "$work/p.time" perf record -q -g -a -F "$hz" -o "$work/perf.data" 2>"$work/p.err" & ;;
  bpftrace) /usr/bin/time -f "%U %S %M" -o "$work/p.time" bpftrace -e "profile:hz:$hz { @[kstack, ustack, comm] = count(); }" >"$work/bt.out" 2>"$work/p.err" & ;;
  floor) /usr/bin/time -f "%U %S %M" -o "$work/p.time" bpftrace -e "profile:hz:$hz { @ = count(); }" >"$work/bt.out" 2>"$work/p.err" & ;;
  esac
  local timer=$!
  for _ in $(seq 50); do
    profiler_pid=$(pgrep -P "$timer" || true)
    [[ -n $profiler_pid ]] && break
    sleep 0.1
  done
  sleep 2  # attached and settled (bpftrace compiles its program first)
  profiler_timer=$timer
}

# "run_time_ns run_cnt" summed over the perf_event BPF programs loaded now (the profiler's).
bpf_run_stats() {
  bpftool prog show 2>/dev/null | awk '/ perf_event / {
      for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i + 1); if ($i == "run_cnt") n += $(i + 1) }
    } END { print t + 0, n + 0 }'
}

# stop_profiler: SIGINT, wait (not in a subshell: only this shell can wait for it); writes
# "cpu_seconds peak_rss_mib" to $work/p.usage.
stop_profiler() {
  kill -INT "$profiler_pid"
  wait "$profiler_timer" || true
  tail -1 "$work/p.time" | awk '{ printf "%.3f %.1f\n", $1 + $2, $3 / 1024 }' >"$work/p.usage"
}

echo "# kiln record benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# workload: bench/fixed_work.c $rounds rounds; medians of $runs runs"
echo

for run in $(seq "$runs"); do
  run_workload >>"$work/none"
  for hz in $rates; do
    for profiler in $profilers; do
      start_profiler "$profiler" "$hz"
      w=$(run_workload)
      stop_profiler
      echo "$w $(cat "$work/p.usage")" >>"$work/$profiler.$hz"
    done
  done
  echo "# round $run of $runs done" >&2
done
alone_wall=$(cut -d' ' -f1 "$work/none" | median)
alone_cpu=$(cut -d' ' -f2 "$work/none" | median)
echo "| profiler | Hz | workload wall s | workload CPU s | CPU vs alone | CPU s of the runs | profiler CPU s | profiler peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
echo "| none | - | $alone_wall | $alone_cpu | - | $(cut -d' ' -f2 "$work/none" | tr '\n' ' ')| - | - |"
for hz in $rates; do
  for profiler in $profilers; do
    runs_file=$work/$profiler.$hz
    cpu=$(cut -d' ' -f2 "$runs_file" | median)
    growth=$(awk -v a="$cpu" -v b="$alone_cpu" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }')
    echo "| $profiler | $hz | $(cut -d' ' -f1 "$runs_file" | median) | $cpu | $growth |" \
      "$(cut -d' ' -f2 "$runs_file" | tr '\n' ' ')| $(cut -d' ' -f3 "$runs_file" | median) |" \
      "$(cut -d' ' -f4 "$runs_file" | median) |"
  done
done

# perf script to folded stacks: comm root, frames root first (what stackcollapse-perf.pl does).
collapse_perf() {
  awk '
    /^[^ \t]/ { comm = $1; n = 0; next }
    /^[ \t]+[0-9a-f]+ / { sym = $2; sub(/\+0x[0-9a-f]+$/, "", sym); if ($NF ~ /kernel/) sym = sym "_[k]"; stack[++n] = sym; next }
    /^$/ { if (comm != "") { s = comm; for (i = n; i >= 1; i--) s = s ";" stack[i]; count[s]++ } comm = ""; n = 0 }
    END { for (s in count) print s, count[s] }'
}

# BPF time per sample, with fixed_work on every CPU so that every sample is a workload sample
# (an idle CPU's samples end early in kiln's filter and would lower the average). perf record
# runs no BPF: its per-sample work is in the workload's CPU time above.
bpf_profilers=$(tr ' ' '\n' <<<"$profilers" | grep -vx perf | tr '\n' ' ' || true)
if [[ -n ${bpf_profilers// /} ]]; then
  echo
  echo "BPF time per sample at 4999 Hz, fixed_work on all $(nproc) CPUs, 5 s per run (kernel.bpf_stats_enabled):"
  echo
  echo "| profiler | BPF ns/sample (median) | runs |"
  echo "|---|---|---|"
  for profiler in $bpf_profilers; do
    : >"$work/bpf_ns"
    for _ in $(seq "$runs"); do
      loads=()
      for cpu in $(seq 0 "$workload_cpu"); do taskset -c "$cpu" "$work/fixed_work" 100000 & loads+=($!); done
      start_profiler "$profiler" 4999
      read -r t0 n0 < <(bpf_run_stats)
      sleep 5
      read -r t1 n1 < <(bpf_run_stats)
      stop_profiler
      kill "${loads[@]}"; wait "${loads[@]}" 2>/dev/null || true
      awk -v t="$((t1 - t0))" -v n="$((n1 - n0))" 'BEGIN { printf "%.0f\n", n ? t / n : 0 }' >>"$work/bpf_ns"
    done
    echo "| $profiler | $(median <"$work/bpf_ns") | $(tr '\n' ' ' <"$work/bpf_ns")|"
  done
fi

((stop_seconds > 0)) || exit 0
echo
echo "Stop to SVG after a ${stop_seconds} s whole-machine recording at 99 Hz (fixed_work running):"
echo
echo "| profiler | stop to SVG s (median) | runs |"
echo "|---|---|---|"
for profiler in kiln perf; do
  : >"$work/stop"
  for _ in $(seq "$runs"); do
    "$work/fixed_work" 100000 & load=$!
    start_profiler "$profiler" 99
    sleep $((stop_seconds - 2))
    t0=$(date +%s.%N)
    if [[ $profiler == kiln ]]; then
      kill -INT "$profiler_pid"; wait "$profiler_timer" || true
    else
      kill -INT "$profiler_pid"; wait "$profiler_timer" || true
      perf script -i "$work/perf.data" 2>/dev/null | collapse_perf >"$work/perf.folded"
      "$kiln" render "$work/perf.folded" -o "$work/perf.svg" 2>/dev/null
    fi
    t1=$(date +%s.%N)
    kill "$load"; wait "$load" 2>/dev/null || true
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$work/stop"
  done
  echo "| $profiler | $(median <"$work/stop") | $(tr '\n' ' ' <"$work/stop")|"
done
echo
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

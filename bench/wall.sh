#!/usr/bin/env bash
# bench/wall.sh: what `kiln record --wall` costs against the two recordings it replaces, made
# separately at the same time (`kiln record` and `kiln record --off-cpu`, both on the whole
# machine), on the workloads of the record and off-CPU benchmarks: bench/fixed_work.c
# (CPU-bound, pinned to the last CPU; its wall time) and `perf bench sched pipe` (two
# switches per operation, pinned to the last CPU; its ops/s). Reports each workload's result,
# the recorders' own CPU time (user + system, summed over both for the separate pair), medians
# of RUNS interleaved rounds.
# Usage: sudo bench/wall.sh [RUNS]   (env: KILN=path/to/kiln, LOOPS, ROUNDS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
runs=${1:-3}
loops=${LOOPS:-500000}
rounds=${ROUNDS:-300}
work=$(mktemp -d)
recorders=()  # the /usr/bin/time processes wrapping running recorders, stopped on any exit
stop_recorders() {
  for t in "${recorders[@]}"; do pkill -INT -P "$t" || true; done
  for t in "${recorders[@]}"; do wait "$t" || true; done
  recorders=()
}
trap 'stop_recorders; rm -rf "$work"' EXIT
[ -x "$kiln" ] || { echo "bench/wall.sh: $kiln not found: build kiln first (scripts/build.sh)" >&2; exit 2; }
cpu=$(($(nproc) - 1))
clang -O2 -g -fno-omit-frame-pointer "$root/bench/fixed_work.c" -o "$work/fixed_work"

pipe_ops() { taskset -c "$cpu" perf bench sched pipe -l "$loops" 2>/dev/null | awk '/ops\/sec/ {print $1}'; }
cpu_seconds() {
  /usr/bin/time -f "%e" -o "$work/w.time" taskset -c "$cpu" "$work/fixed_work" "$rounds" >/dev/null
  tail -1 "$work/w.time"
}
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# start NAME KILN_ARGS...: a recorder under GNU time, its programs loaded before returning.
start() {
  local name=$1; shift
  /usr/bin/time -f '%U %S' -o "$work/$name.time" "$kiln" record "$@" -o "$work/$name.folded" 2>"$work/$name.err" &
  recorders+=($!)
}
wait_loaded() {  # PROGRAM_REGEX...
  for re in "$@"; do
    for _ in $(seq 200); do bpftool prog show 2>/dev/null | grep -qE " name ($re)" && break; sleep 0.1; done
  done
  sleep 0.5  # attached after loading
}
recorder_cpu() {  # NAME...: summed user + system seconds
  for name in "$@"; do cat "$work/$name.time"; done | awk '{ s += $1 + $2 } END { printf "%.2f", s }'
}

# measure SETUP WORKLOAD: one run of the workload under the setup; prints "result cpu_s".
measure() {
  local setup=$1 workload=$2 result
  case $setup in
  alone) ;;
  wall) start wall --wall; wait_loaded kiln_sample offcpu_switch ;;
  separate) start on; start off --off-cpu; wait_loaded kiln_sample offcpu_switch ;;
  esac
  result=$($workload)
  stop_recorders
  case $setup in
  alone) echo "$result 0" ;;
  wall) echo "$result $(recorder_cpu wall)" ;;
  separate) echo "$result $(recorder_cpu on off)" ;;
  esac
}

for workload in cpu_seconds pipe_ops; do
  for setup in alone wall separate; do : >"$work/$workload.$setup"; done
  for i in $(seq "$runs"); do
    for setup in alone wall separate; do measure "$setup" "$workload" >>"$work/$workload.$setup"; done
    echo "run $i $workload: alone $(tail -1 "$work/$workload.alone"), wall $(tail -1 "$work/$workload.wall"), separate $(tail -1 "$work/$workload.separate")" >&2
  done
done

echo "bench/wall.sh: medians of $runs runs, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo
echo "| setup | fixed_work $rounds rounds, wall s | recorders' CPU s | sched pipe -l $loops, ops/s | recorders' CPU s |"
echo "|---|---|---|---|---|"
for setup in alone wall separate; do
  label=$setup
  [ "$setup" = wall ] && label="kiln record --wall"
  [ "$setup" = separate ] && label="kiln record + kiln record --off-cpu"
  echo "| $label | $(cut -d' ' -f1 "$work/cpu_seconds.$setup" | median) | $(cut -d' ' -f2 "$work/cpu_seconds.$setup" | median) | $(cut -d' ' -f1 "$work/pipe_ops.$setup" | median) | $(cut -d' ' -f2 "$work/pipe_ops.$setup" | median) |"
done

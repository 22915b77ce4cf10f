#!/usr/bin/env bash
# bench/short_lived.sh: how many samples of short-lived processes are named, in a whole-machine
# recording at 999 Hz while build/samples/short_lived starts 5000 processes of 3 ms one after
# another (storm) or execs itself 1000 times (exec), under kiln and under KILN_BEFORE (another
# kiln build, e.g. one from before a change). The measure: of the samples taken in user mode in
# short_lived, the share whose innermost frame is named; the share of all its samples with an
# [unknown] frame; kiln's peak RSS. (perf record -a is not compared: Debian's perf 6.1 aborts in
# perf script and perf report on this kernel's records, "assertion failed at
# util/build-id.c:1010" then "stack smashing detected".)
# Usage: sudo bench/short_lived.sh [storm|exec] [PROCESSES]   (env: KILN, KILN_BEFORE)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=${KILN:-$root/build/kiln}
short_lived=$root/build/samples/short_lived
mode=${1:-storm}
processes=${2:-5000}
work=$(mktemp -d /tmp/kiln-short-lived.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

storm() {
  if [[ $mode == exec ]]; then
    "$short_lived" --exec-chain "$processes" 0.003
  else
    "$short_lived" "$processes" 0.003 >/dev/null
  fi
}

# "| named share of user-mode samples | [unknown] share of all samples": short_lived's, from
# folded stacks.
kiln_named() {  # FOLDED
  awk '/^short_lived;/ { w = $NF; sub(/ [^ ]+$/, ""); n = split($0, f, ";"); all += w
         if (index($0, ";[unknown]")) u += w
         if (f[n] ~ /_\[k\]$/) next
         t += w; if (f[n] !~ /^\[/) s += w }
       END { printf "%.1f%% of %d | %.1f%% of %d", t ? 100 * s / t : 0, t, all ? 100 * u / all : 0, all }' "$1"
}

run_kiln() {  # NAME BINARY
  "$2" record -F 999 -o "$1.folded" 2>"$1.err" &
  local pid=$! start
  for _ in $(seq 100); do bpftool prog show 2>/dev/null | grep -q " name kiln_sample" && break; sleep 0.1; done
  sleep 0.5
  start=$SECONDS
  storm
  local seconds=$((SECONDS - start))
  local hwm
  hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  kill -INT "$pid"
  wait "$pid"
  echo "| $1 | $(kiln_named "$1.folded") | $seconds | $hwm |"
}

echo "bench/short_lived.sh $mode $processes: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), load avg $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| recorder | user-mode samples of short_lived named | samples with an [unknown] frame | storm s | peak RSS MiB |"
echo "|---|---|---|---|---|"
run_kiln kiln "$kiln"
if [[ -n ${KILN_BEFORE:-} ]]; then run_kiln kiln-before "$KILN_BEFORE"; fi

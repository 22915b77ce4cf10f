#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, from its seed corpus, under ASan+UBSan (ctest's
# fuzz_* tests; README, "Fuzzing"). New inputs go to WORK/corpus, never into the repository.
# On a crash, leak, hang or sanitizer report: prints the report, the reproducer's path and the
# command that replays it, and exits 1.
# usage: run_fuzzer.sh FUZZER SECONDS WORK SEED_DIR...
set -euo pipefail
fuzzer=$1 seconds=$2 work=$3
shift 3
seeds=()
for dir in "$@"; do [[ -d $dir ]] && seeds+=("$dir"); done
mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?
name=$(basename "$fuzzer")
if ((status == 0)); then
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$name: no crash in ${seconds} s, $runs inputs run ($(ls "$work/corpus" | wc -l) in $work/corpus)"
  exit 0
fi
tail -n 60 "$log"
reproducer=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
echo "$name FAILED (exit $status); full log: $log"
if [[ -n $reproducer ]]; then
  echo "reproducer: $reproducer"
  echo "replay it: $fuzzer $reproducer"
fi
exit 1

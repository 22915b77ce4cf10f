#!/usr/bin/env bash
# offcpu_test.sh CASE KILN SAMPLES_DIR: one integration case of `kiln record --off-cpu` on
# samples/offcpu_blocking, whose threads block in known ways (see its header comment) and print
# their wall and CPU time. Asserts what a user would check in the folded output, the SVG and
# the summary.
set -uo pipefail
case_name=$1 kiln=$2 samples=$3

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" offcpu

# Microseconds of the folded lines (comments skipped) of thread $2 (any if empty) whose stack
# matches regex $3.
us_of() {  # FILE THREAD [REGEX]
  awk -v t="$2;" -v re="${3:-.}" '!/^#/ && NF {
    w = $NF; sub(/ [^ ]+$/, "")
    if ((t == ";" || index($0, t) == 1) && $0 ~ re) s += w
  } END { print s + 0 }' "$1"
}
# Wall minus CPU time of a thread of the sample, in microseconds, from its report. The CPU time
# is the thread's perf task-clock, counted between the context switches that run and stop it:
# its CPU clock (cpu_ns) also holds the scheduler's wake-up latency, which for fsync_writer's
# ~20000 wake-ups a second is several percent of its time (see the sample's header).
off_cpu_us() {  # REPORT THREAD
  awk -v t="$2" '$1 == "thread" && $2 == t && $10 >= 0 { printf "%d", ($6 - $10) / 1000 }' "$1"
}

record_sample() {  # OUTPUT_PREFIX KILN_OPTIONS...: runs the sample for 2 s under kiln
  local prefix=$1; shift
  "$kiln" record --off-cpu "$@" -o "$prefix.folded" -o "$prefix.svg" -- \
    "$samples/offcpu_blocking" 2 >"$prefix.threads" 2>"$prefix.err" ||
    fail "kiln exited $?: $(cat "$prefix.err")"
}

# hrtimer_nanosleep rather than do_nanosleep: the stack of a thread blocked before tracing
# started is read without the scheduler (__sched) functions, do_nanosleep among them.
nanosleep='hrtimer_nanosleep_\[k\]'
pipe_read='pipe_read_\[k\]'   # pipe_read, anon_pipe_read (6.16+)
futex='futex_wait'           # futex_wait_[k], futex_wait_queue_[k], __futex_wait_[k]
# fsync_writer only writes and fsyncs: its blocks are in those two system calls (mostly fsync;
# a write can wait for the journal when the disk is busy).
write_fsync='__x64_sys_(fsync|pwrite64)_\[k\]'

case $case_name in
stacks)
  # Each thread's blocked time by stack, against the construction (within 5 points).
  record_sample run
  check_share() {  # THREAD REGEX EXPECTED_PERCENT
    local total part share
    total=$(us_of run.folded "$1")
    part=$(us_of run.folded "$1" "$2")
    share=$(percent "$part" "$total")
    between "$share" $(($3 - 5)) $(($3 + 5)) ||
      fail "$1: $share% of its blocked time matches $2, expected $3% (total $total us)"
    echo "ok: $1 $share% in $2 (expected $3%)"
  }
  check_share sleeper "$nanosleep" 100
  check_share pipe_reader "$pipe_read" 100
  check_share pipe_feeder "$nanosleep" 100
  check_share lock_holder "$nanosleep" 100
  check_share lock_waiter "$futex" 67
  check_share lock_waiter "$nanosleep" 33
  check_share fsync_writer "$write_fsync" 100
  ;;
totals)
  # Each thread's total blocked time is its wall time minus its CPU time (within 5%), and so is
  # the sum over the threads.
  record_sample run
  sum_measured=0 sum_expected=0
  for thread in sleeper pipe_reader pipe_feeder lock_holder lock_waiter fsync_writer; do
    expected=$(off_cpu_us run.threads "$thread")
    measured=$(us_of run.folded "$thread")
    [[ -n $expected && $expected -gt 0 ]] ||
      fail "no report or no task-clock for $thread: $(cat run.threads)"
    ratio=$(percent "$measured" "$expected")
    between "$ratio" 95 105 ||
      fail "$thread: $measured us blocked, wall - CPU is $expected us ($ratio%)"
    echo "ok: $thread $measured us blocked, wall - CPU $expected us"
    sum_measured=$((sum_measured + measured)) sum_expected=$((sum_expected + expected))
  done
  ratio=$(percent "$sum_measured" "$sum_expected")
  between "$ratio" 95 105 || fail "all threads: $sum_measured us blocked, wall - CPU $sum_expected us"
  echo "ok: all threads $sum_measured us blocked, wall - CPU $sum_expected us ($ratio%)"
  ;;
min_block)
  # --min-block-us 20000 leaves out the 5 and 10 ms sleeps and keeps lock_holder's 60 ms ones.
  record_sample run --min-block-us 20000
  wall=$(off_cpu_us run.threads sleeper)
  for thread in sleeper pipe_reader pipe_feeder; do
    left=$(us_of run.folded "$thread")
    between "$(percent "$left" "$wall")" 0 5 || fail "$thread still has $left us of short blocks"
  done
  held=$(us_of run.folded lock_holder "$nanosleep")
  expected=$(off_cpu_us run.threads lock_holder)
  between "$(percent "$held" "$expected")" 90 105 ||
    fail "lock_holder's 60 ms sleeps: $held us of $expected us"
  grep -q "shorter than --min-block-us not counted" run.err || fail "summary: $(cat run.err)"
  echo "ok: short blocks filtered, lock_holder keeps $held us"
  ;;
max_block)
  # --max-block-us 20000 drops lock_holder's 60 ms sleeps, keeps the 10 ms ones of sleeper.
  record_sample run --max-block-us 20000
  held=$(us_of run.folded lock_holder "$nanosleep")
  expected=$(off_cpu_us run.threads lock_holder)
  between "$(percent "$held" "$expected")" 0 5 || fail "lock_holder kept $held us of 60 ms sleeps"
  slept=$(us_of run.folded sleeper)
  expected=$(off_cpu_us run.threads sleeper)
  # A loaded machine wakes a few 10 ms sleeps more than 20 ms late: most must remain.
  between "$(percent "$slept" "$expected")" 85 105 || fail "sleeper: $slept us of $expected us"
  grep -q "longer than --max-block-us not counted" run.err || fail "summary: $(cat run.err)"
  echo "ok: long blocks filtered"
  ;;
state)
  # --state uninterruptible: only the disk waits (D state) of fsync_writer remain.
  record_sample run --state uninterruptible
  total=$(us_of run.folded "")
  disk=$(us_of run.folded fsync_writer)
  [[ $disk -gt 0 ]] || fail "no uninterruptible time of fsync_writer: $(head -5 run.folded)"
  between "$(percent "$disk" "$total")" 95 100 || fail "fsync_writer has $disk us of $total us"
  # Its nanosleeps, that is: a thread's start can wait in D state (perf_event_open waits for an
  # RCU grace period), which counts.
  [[ $(us_of run.folded sleeper "$nanosleep") -eq 0 ]] || fail "sleeper's interruptible sleeps are counted"
  echo "ok: $disk us of $total us uninterruptible in fsync_writer"
  ;;
already_blocked)
  # A process blocked before tracing starts and for all of it shows the whole duration.
  sleep 30 &
  sleeper=$!
  trap 'kill $sleeper; rm -rf "$scratch_dir"' EXIT
  sleep 0.2
  "$kiln" record --off-cpu -p "$sleeper" -d 1 -o run.folded 2>run.err || fail "$(cat run.err)"
  blocked=$(us_of run.folded sleep)
  between "$blocked" 950000 1100000 || fail "sleep was blocked $blocked us of a 1 s run"
  grep -q "already blocked when tracing started" run.err || fail "summary: $(cat run.err)"
  grep -q "$nanosleep" run.folded || fail "no nanosleep frame: $(cat run.folded)"
  echo "ok: $blocked us for a 1 s run"
  ;;
output)
  # The SVG: io (blue) palette, subtitle with the total and the thread count; folded in us;
  # the summary lists the top blocking stacks by time.
  record_sample run
  grep -q '^# countname: us' run.folded || fail "folded header: $(head -3 run.folded)"
  grep -q 'Off-CPU Time Flame Graph' run.svg || fail "no title"
  subtitle=$(grep -o 'id="subtitle"[^<]*' run.svg)
  [[ $subtitle =~ blocked\ in\ 7\ threads ]] || fail "subtitle: $subtitle"
  total_s=$(awk '!/^#/ && NF { s += $NF } END { printf "%.3f", s / 1e6 }' run.folded)
  [[ $subtitle == *"$total_s s blocked"* ]] || fail "subtitle: $subtitle, folded total $total_s s"
  # Every frame rectangle is blue: more blue than red and green.
  blue=0 other=0
  for color in $(grep -o 'fill="#[0-9a-f]\{6\}"' run.svg | cut -c8-13 | sort -u); do
    r=$((16#${color:0:2})) g=$((16#${color:2:2})) b=$((16#${color:4:2}))
    if ((b > r + 40 && b > g + 40)); then blue=$((blue + 1)); else other=$((other + 1)); fi
  done
  ((blue > 10 && other <= 2)) || fail "frames are not blue: $blue blue, $other other colors"
  grep -q 'top blocking stacks by off-CPU time' run.err || fail "summary: $(cat run.err)"
  first=$(grep -A1 'top blocking stacks' run.err | tail -1)
  [[ $first =~ (sleeper|pipe_reader|pipe_feeder|lock_holder|offcpu_blocking)\; ]] ||
    fail "top stack: $first"
  # Blocked time by task state: the disk waits (D) are mostly fsync_writer's (every thread
  # also waits a few ms in D for RCU when it opens its task-clock), the rest sleeps (S).
  read -r sleeping disk < <(sed -n 's/^ *\([0-9.]*\) s interruptible .*, \([0-9.]*\) s uninterruptible .*/\1 \2/p' run.err)
  fsync_s=$(awk -v us="$(us_of run.folded fsync_writer)" 'BEGIN { printf "%.3f", us / 1e6 }')
  between "$(percent "${disk:-0}" "$fsync_s")" 95 115 ||
    fail "uninterruptible ${disk:-?} s, fsync_writer blocked $fsync_s s: $(head -3 run.err)"
  total_blocked=$(sed -n 's/.*: \([0-9.]*\) s blocked in .*/\1/p' run.err)
  between "$(percent "$(awk -v a="$sleeping" -v b="$disk" 'BEGIN { print a + b }')" "$total_blocked")" 99.9 100.1 ||
    fail "S $sleeping s + D $disk s is not the $total_blocked s blocked"
  # Each stack's number of blocks and mean block: sleeper's 2 s of 10 ms sleeps (a loaded
  # machine wakes it up to a few ms late: fewer, longer blocks, the same 2 s).
  read -r blocks mean < <(awk '/ sleeper;/ && $5 == "x" { print $4, $6; exit }' run.err)
  between "${blocks:-0}" 130 200 && between "${mean:-0}" 10.0 13.0 &&
    between "$(awk -v b="${blocks:-0}" -v m="${mean:-0}" 'BEGIN { print b * m / 1000 }')" 1.5 2.05 ||
    fail "sleeper: ${blocks:-no} blocks of ${mean:-?} ms, expected about 199 of 10.0x ms (2 s): $(cat run.err)"
  echo "ok: $subtitle"
  ;;
exited_processes)
  # Processes handed over while tracing: their blocked time is in the graph all the same, with
  # their stacks, and the summary counts their threads.
  record_sleep_storm --off-cpu
  # Named from the program's start through libc to the kernel's sleep; with frame pointers,
  # which Debian's sleep is built without, under the kernel's sleep.
  named="__libc_start_main;.*clock_nanosleep;.*$nanosleep"
  [[ $kiln == *kiln_unwind_fp.sh ]] && named=$nanosleep
  check_sleep_storm "$(us_of run.folded sleep "$named")" \
    "$(sed -n 's/.* s blocked in \([0-9]*\) threads.*/\1/p' run.err)"
  ;;
nothing_attached)
  # The programs of offcpu.bpf.c and the links to them: seen while kiln traces, all gone once it
  # has exited.
  ours='offcpu_switch_b|offcpu_switch_r|offcpu_seed_blo'
  before=$(bpf_program_ids "$ours")
  "$kiln" record --off-cpu -d 3 -o run.folded 2>run.err &
  kiln_pid=$!
  during='' links_during=0
  for _ in $(seq 50); do  # programs appear at load, links at attach
    during=$(ids_since "$before" "$ours")
    [[ -n $during ]] && links_during=$(bpftool link show 2>/dev/null | grep -cE " prog ($(paste -sd'|' <<<"$during"))( |\$)")
    ((links_during >= 1)) && break
    sleep 0.1
  done
  [[ -n $during ]] || fail "no off-CPU program seen while tracing"
  ((links_during >= 1)) || fail "no link to the off-CPU programs while tracing"
  wait "$kiln_pid" || fail "kiln exited $?: $(cat run.err)"
  assert_programs_freed "$before" "$ours"
  echo "ok: $(wc -l <<<"$during") programs and $links_during links while tracing, none after"
  ;;
*)
  fail "unknown case"
  ;;
esac

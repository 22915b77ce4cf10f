#!/usr/bin/env bash
# wall_test.sh CASE KILN SAMPLES_DIR: one integration case of `kiln record --wall` on
# samples/wall_threads, whose threads measure their own wall and CPU time (see its header
# comment). Asserts what a user would check in the folded output, the SVG and the summary.
set -uo pipefail
case_name=$1 kiln=$2 samples=$3

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" wall

# Microseconds of the folded lines (comments skipped) whose root is $2 and that match regex $3.
us_of() {  # FILE ROOT [REGEX]
  awk -v t="$2;" -v re="${3:-.}" '!/^#/ && NF {
    w = $NF; sub(/ [^ ]+$/, "")
    if (index($0, t) == 1 && $0 ~ re) s += w
  } END { print s + 0 }' "$1"
}
# A field of a thread's own report line: "thread NAME wall_ns W cpu_ns C".
truth() { awk -v t="$2" -v f="$3" '$1 == "thread" && $2 == t { for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }' "$1"; }  # REPORT THREAD FIELD

waits='\[off-cpu: [SD]\]|\[runnable\]'

case $case_name in
shares)
  # Each thread's on-CPU share of its wall time against what it measured of itself (within 5
  # points), its wall time against its own and the recording's (within 5%), where each half
  # lies, and how the SVG and the summary show it.
  "$kiln" record --wall -F 299 -o run.folded -o run.svg -- "$samples/wall_threads" 3 >truth.txt 2>run.err ||
    fail "kiln exited $?: $(cat run.err)"
  duration_us=$(awk '/^# duration:/ { printf "%d", $3 * 1e6 }' run.folded)
  for thread in half piped spin; do
    total=$(us_of run.folded "$thread")
    off=$(us_of run.folded "$thread" "$waits")
    wall_us=$(($(truth truth.txt "$thread" wall_ns) / 1000))
    cpu_us=$(($(truth truth.txt "$thread" cpu_ns) / 1000))
    ((wall_us > 0)) || fail "$thread did not report its times: $(cat truth.txt)"
    kiln_on=$(percent $((total - off)) "$total")
    true_on=$(percent "$cpu_us" "$wall_us")
    between "$kiln_on" "$(awk -v x="$true_on" 'BEGIN { print x - 5 }')" "$(awk -v x="$true_on" 'BEGIN { print x + 5 }')" ||
      fail "$thread: $kiln_on% of its wall time on CPU in kiln's profile, $true_on% by its own clocks"
    between "$(percent "$total" "$wall_us")" 95 105 ||
      fail "$thread: $total us of time in the profile, $wall_us us by its own clock"
    between "$(percent "$total" "$duration_us")" 95 105 ||
      fail "$thread: $total us of time in the profile, the recording lasted $duration_us us"
    echo "ok: $thread on-CPU $kiln_on% (its clocks: $true_on%), $total us (its clock: $wall_us us)"
  done
  # Where the halves lie: half's off-CPU time sleeping in half_sleep, piped's in piped_wait's
  # read, spin never blocked; the on-CPU halves in the compute functions.
  sleep_us=$(us_of run.folded half 'half_sleep;.*\[off-cpu: S\]$')
  between "$(percent "$sleep_us" "$(us_of run.folded half '\[off-cpu: [SD]\]')")" 95 100 ||
    fail "half's blocked time is not in half_sleep: $(grep '^half;' run.folded | head -5)"
  read_us=$(us_of run.folded piped 'piped_wait;.*read.*\[off-cpu: S\]$')
  between "$(percent "$read_us" "$(us_of run.folded piped '\[off-cpu: [SD]\]')")" 95 100 ||
    fail "piped's blocked time is not in piped_wait's read: $(grep '^piped;' run.folded | head -5)"
  (($(us_of run.folded spin '\[off-cpu: [SD]\]') < $(us_of run.folded spin) / 100)) ||
    fail "spin, which never blocks, has blocked time"
  grep -q '^# measured: wall$' run.folded || fail "the folded header does not say wall"

  # The SVG: blocked frames blue, on-CPU leaves in the hot palette, the split in the tooltips.
  # The first drawn rect of a frame name: rects name their frame by its line in #kiln-names
  # (XML-escaped names; the ones checked here need no escaping).
  rect_of() {  # NAME
    python3 - "$1" <<'PY'
import re, sys
svg = open("run.svg", encoding="utf-8").read()
names = re.search(r'<metadata id="kiln-names">(.*?)</metadata>', svg, re.S).group(1).split("\n")
if sys.argv[1] in names:
    rect = re.search(r'<rect [^>]*\bn="%d"[^>]*/>' % names.index(sys.argv[1]), svg)
    print(rect.group(0) if rect else "")
PY
  }
  fill_of() { rect_of "$1" | sed -E 's/.* fill="#([0-9a-f]{6})".*/\1/'; }
  blue() { local c=$1; (( 16#${c:4:2} > 16#${c:0:2} )); }
  # (gcc makes half_compute and spin_compute tail calls: their frames are compute's.)
  sleep_fill=$(fill_of half_sleep) compute_fill=$(fill_of compute)
  [[ -n $sleep_fill && -n $compute_fill ]] || fail "half_sleep or compute not drawn"
  blue "$sleep_fill" || fail "half_sleep (mostly off-CPU) is not blue: #$sleep_fill"
  # compute never blocks: the hot palette, or the runnable color where a loaded machine kept it
  # waiting for a CPU longer than it ran (its tooltip says so).
  read -r on_share runnable_share < <(rect_of compute | sed -nE 's/.* t="on-CPU [0-9.]+ s \(([0-9.]+)%\), off-CPU [0-9.]+ s \([0-9.]+%\)(, runnable [0-9.]+ s \(([0-9.]+)%\))?".*/\1 \3/p')
  if awk -v on="${on_share:-0}" -v r="${runnable_share:-0}" 'BEGIN { exit !(r > on) }'; then
    [[ $compute_fill == c4b0e8 ]] ||
      fail "compute waited for a CPU longer than it ran ($runnable_share% against $on_share%), yet is not in the runnable color: #$compute_fill"
  else
    blue "$compute_fill" && fail "compute (on-CPU $on_share% of its time) is blue: #$compute_fill"
  fi
  rect_of half_sleep | grep -qE 't="on-CPU [0-9.]+ s \([0-4]?[0-9]\.[0-9]%\), off-CPU [0-9.]+ s \(([5-9][0-9]|100)\.[0-9]%\)' ||
    fail "half_sleep's tooltip does not say it is mostly off-CPU: $(rect_of half_sleep)"
  rect_of compute | grep -qE 't="on-CPU [0-9.]+ s \([0-9.]+%\), off-CPU [0-9.]+ s \([0-9.]+%\)' ||
    fail "compute's tooltip does not give its split: $(rect_of compute)"
  grep -q 'wall-clock time of .*wall_threads 3' run.svg || fail "no wall-clock subtitle in the SVG"
  grep -q 'off-CPU: \[off-cpu: S\] sleeping' run.svg || fail "no legend in the SVG"

  # The summary: each thread's split, both halves' losses.
  for thread in half piped spin; do
    grep -qE "^ +[0-9.]+ s +[0-9.]+% +[0-9.]+% +[0-9.]+% +$thread \(" run.err ||
      fail "no summary line for $thread: $(cat run.err)"
  done
  grep -qE 'on-CPU [0-9.]+ s \([0-9]+ samples at 299 Hz, [0-9]+ lost\), off-CPU [0-9.]+ s and runnable [0-9.]+ s \([0-9]+ waits' run.err ||
    fail "the summary does not give both halves with their losses: $(head -1 run.err)"
  pass "on/off-CPU split of every thread within 5 points of its own clocks"
  ;;
per_tid)
  # --per-tid: one tower per thread, named comm-PID/TID; pprof: wall/nanoseconds, the state of
  # each sample in a label, as go tool pprof reads them.
  "$kiln" record --wall --per-tid -o run.folded -o run.pb.gz -- "$samples/wall_threads" 1 >/dev/null 2>run.err ||
    fail "kiln exited $?: $(cat run.err)"
  for thread in half piped spin; do
    grep -qE "^$thread-[0-9]+/[0-9]+;" run.folded || fail "no $thread-PID/TID root: $(cut -c1-60 run.folded | sort -u | head)"
  done
  HOME=$scratch_dir go tool pprof -tags run.pb.gz >tags.txt 2>&1 || fail "go tool pprof -tags: $(cat tags.txt)"
  grep -q '^ state: Total' tags.txt && grep -q ': on-cpu$' tags.txt && grep -q ': \[off-cpu: S\]$' tags.txt ||
    fail "no on-CPU / off-CPU state labels in the pprof file: $(cat tags.txt)"
  HOME=$scratch_dir go tool pprof -top run.pb.gz 2>&1 | grep -q '^Type: wall$' || fail "the pprof sample type is not wall"
  pass "one root per thread; pprof wall/nanoseconds with state labels"
  ;;
exited_processes)
  # Processes handed over while recording: their time is in the graph all the same, named, and
  # the summary counts their threads.
  record_sleep_storm --wall
  # Named from the program's start through libc to the kernel's sleep, then the wait's state;
  # with frame pointers, which Debian's sleep is built without, the wait's state alone.
  named="__libc_start_main;.*clock_nanosleep;.*\\[off-cpu: S\\]"
  [[ $kiln == *kiln_unwind_fp.sh ]] && named="\\[off-cpu: S\\]"
  check_sleep_storm "$(us_of run.folded sleep "$named")" \
    "$(sed -nE 's/^kiln: .* of wall-clock time of ([0-9]+) threads.*/\1/p' run.err)"
  ;;
nothing_attached)
  # Both recorders' programs, seen while kiln records, all gone once it has exited.
  ours='kiln_sample|offcpu_switch_b|offcpu_switch_r'
  before=$(bpf_program_ids "$ours")
  "$kiln" record --wall -d 2 -o run.folded 2>run.err &
  kiln_pid=$!
  during=''
  for _ in $(seq 50); do
    during=$(ids_since "$before" "$ours")
    (($(wc -l <<<"$during") >= 2)) && break
    sleep 0.1
  done
  (($(wc -l <<<"$during") >= 2)) || fail "not both recorders' programs seen while recording: $during"
  wait "$kiln_pid" || fail "kiln exited $?: $(cat run.err)"
  assert_programs_freed "$before" "$ours"
  pass "both recorders' programs were loaded while recording and are gone"
  ;;
diff)
  # Two wall profiles of the same program compare as time (microseconds), like off-CPU ones.
  "$kiln" record --wall -o a.folded -- "$samples/wall_threads" 1 >/dev/null 2>a.err || fail "$(cat a.err)"
  "$kiln" record --wall -o b.folded -- "$samples/wall_threads" 1 >/dev/null 2>b.err || fail "$(cat b.err)"
  "$kiln" diff a.folded b.folded -o diff.svg >report.txt 2>diff.err || fail "kiln diff exited $?: $(cat diff.err)"
  grep -q 'time' report.txt || fail "the report does not compare time: $(head -5 report.txt)"
  grep -q 'half_sleep' diff.svg || fail "half_sleep is not in the differential graph"
  pass "two wall profiles diffed as time"
  ;;
*)
  fail "unknown case $case_name"
  ;;
esac

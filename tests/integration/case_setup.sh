# Sourced by the integration test scripts after they set case_name: skips (exit 77, reported as
# skipped by ctest) when not root, moves into a scratch directory removed at exit, and defines
# the assertions the cases share.
#   source case_setup.sh TOPIC   (TOPIC names the scratch directory)

# kiln asks the debuginfod servers in DEBUGINFOD_URLS (Debian's libdebuginfod-common may set
# it for login shells): no test may reach one outside the machine.
unset DEBUGINFOD_URLS
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: kiln record needs root (BPF and perf events); run the integration tests as root" >&2
  exit 77
fi
# Read-only: the exit trap removes it, so no case may point it elsewhere.
scratch_dir=$(mktemp -d "/tmp/kiln-$1-test.XXXXXX")
readonly scratch_dir
trap 'rm -rf "$scratch_dir"' EXIT
cd "$scratch_dir" || exit 1

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
pass() { echo "ok [$case_name]: $*"; exit 0; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
# Sum of weights of the folded lines (comments skipped) whose stack matches an awk regex.
weight_of() {  # FILE REGEX
  awk -v re="$2" '!/^#/ && NF { w = $NF; sub(/ [^ ]+$/, ""); if ($0 ~ re) s += w } END { print s + 0 }' "$1"
}

# From the `--verbose` summary in FILE: how many processes kiln handed over while recording and
# how many it kept to the end, into handed_over and kept (empty without the line).
read_hand_over() {  # FILE
  read -r handed_over kept < <(sed -nE 's/^  processes: ([0-9]+) exited while recording .*, ([0-9]+) kept to the end;.*$/\1 \2/p' "$1")
}

# `kiln record MODE --verbose` (run.folded, run.err) of a shell running 500 short-lived processes
# that each sleep 20 ms (11-15 s in all): most of them are symbolized while kiln records (2 s
# after their exit) and forgotten. Fails unless kiln handed over at least 150; sets handed_over
# and kept (read_hand_over). OUTPUTS: more -o options.
record_sleep_storm() {  # MODE (--off-cpu or --wall) [OUTPUTS...]
  "$kiln" record "$1" --verbose -o run.folded "${@:2}" -- sh -c 'for i in $(seq 500); do sleep 0.02; done' \
    2>run.err || fail "kiln exited $?: $(cat run.err)"
  read_hand_over run.err
  ((${handed_over:-0} >= 150)) || fail "only ${handed_over:-no} of 500 processes handed over while recording: $(cat run.err)"
}

# What a user checks of record_sleep_storm's output: the sleeps' microseconds under named frames
# (SLEPT_US: 500 sleeps of 20 ms, each a little longer, a few may be lost) and the summary's
# thread count (the shell and its 500 children, less a few a loaded machine lost, counted).
check_sleep_storm() {  # SLEPT_US THREADS
  between "$1" 9500000 12500000 ||
    fail "sleep's processes slept $1 us under named frames, expected 500 x 20 ms: $(grep '^sleep;' run.folded | head -5)"
  ((${2:-0} >= 490)) || fail "the summary counts ${2:-no} threads, expected the shell and its 500 children: $(head -3 run.err)"
  echo "ok: $handed_over processes handed over while recording ($kept kept), sleep slept $1 us, $2 threads"
}

# The ids, sorted, of the loaded BPF programs whose name starts with a match of NAME_REGEX
# (bpftool may cut names to 15 characters). Ids are never reused, so the ids not in an earlier
# list are the programs loaded since, unlike those of an earlier test that the kernel has not
# finished freeing.
bpf_program_ids() {  # NAME_REGEX
  bpftool prog show 2>/dev/null | awk -v re=" name ($1)" '$0 ~ re { sub(":", "", $1); print $1 }' | sort
}
ids_since() { comm -13 <(printf '%s\n' "$1") <(bpf_program_ids "$2"); }  # EARLIER_IDS NAME_REGEX

# Fails unless every program matching NAME_REGEX loaded since EARLIER_IDS is gone within 5 s (the
# kernel frees a program after an RCU grace period). A link holds its program, so no program
# left means no link left either. Tests run one at a time (CI); a kiln started meanwhile by hand
# would show as a leak.
assert_programs_freed() {  # EARLIER_IDS NAME_REGEX
  local left
  for _ in $(seq 50); do
    left=$(ids_since "$1" "$2")
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  fail "kiln's programs $(paste -sd, <<<"$left") still loaded 5 s after it exited"
}

#!/usr/bin/env bash
# debuginfod_test.sh CASE KILN SAMPLES_DIR: `kiln record` of a stripped program whose debug file
# a real debuginfod server on 127.0.0.1 serves (tests/debuginfod/server.sh), asserting what a
# user sees: the frames' names in the folded output and the summary's debuginfod line.
set -uo pipefail
case_name=$1 kiln=$2

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" debuginfod
fixtures=$(cd "$(dirname "$0")/../../debuginfod" && pwd)
# shellcheck source=../../debuginfod/server.sh
source "$fixtures/server.sh"
trap 'stop_debuginfod; rm -rf "$scratch_dir"' EXIT

# Two stripped programs; the server has checksum's debug file, not other's. Both spend nearly
# all their time in main -> checksum -> mix (about 0.3 s of CPU for 3000000).
mkdir served
build_stripped_program "$fixtures/checksum.c" . checksum || fail "cannot build checksum"
build_stripped_program "$fixtures/checksum.c" . other -DGREETING='"other"' || fail "cannot build other"
mv checksum.debug served/
id=$(build_id_of checksum)
export DEBUGINFOD_CACHE_PATH=$scratch_dir/cache

# record OUT_PREFIX ARGS...: kiln record -F 999 ARGS, folded stacks in PREFIX.folded, stderr in
# PREFIX.err, the elapsed milliseconds in $elapsed_ms.
record() {
  local prefix=$1 began
  shift
  began=$(date +%s%N)
  "$kiln" record -F 999 -o "$prefix.folded" "$@" 2>"$prefix.err" ||
    fail "kiln record $* exited $?: $(cat "$prefix.err")"
  elapsed_ms=$((($(date +%s%N) - began) / 1000000))
}

# Share (%) of PROGRAM's samples whose stack ends in main;checksum;mix.
named_share() {  # FOLDED PROGRAM
  local all
  all=$(weight_of "$1" "^$2;")
  ((all >= 50)) || fail "only $all samples of $2 in $1"
  percent "$(weight_of "$1" "^$2;.*;main;checksum;mix\$")" "$all"
}

summary_line() { grep -E '^  symbols: debuginfod: [0-9]+ debug files? fetched' "$1"; }  # ERR_FILE

case $case_name in
fetch_then_cache)
  start_debuginfod served server.log || fail "debuginfod did not start"
  DEBUGINFOD_URLS=$debuginfod_url record first -- ./checksum 3000000
  share=$(named_share first.folded checksum)
  between "$share" 90 100 || fail "only $share% of checksum's samples end in main;checksum;mix: $(head -5 first.folded)"
  # The other binaries (ld.so, libc) have local debug files (libc6-dbg): only checksum is asked.
  summary_line first.err | grep -qE ': 1 debug file fetched, 0 from the cache, 0 missing \(' ||
    fail "first run's summary: $(cat first.err)"
  # One request in all: kiln asked once, and libdw (unwinding the same binaries) never.
  requests=$(grep -c 'UA:elfutils' server.log)
  ((requests == 1)) || fail "the server got $requests requests: $(grep 'UA:elfutils' server.log)"
  DEBUGINFOD_URLS=$debuginfod_url record second -- ./checksum 3000000
  between "$(named_share second.folded checksum)" 90 100 || fail "second run lost the names"
  summary_line second.err | grep -qE ': 0 debug files fetched, 1 from the cache, 0 missing \(' ||
    fail "second run's summary: $(cat second.err)"
  [[ $(kiln_requests "$id" server.log) == 1 ]] ||
    fail "kiln asked the server $(kiln_requests "$id" server.log) times for checksum's build-id"
  DEBUGINFOD_URLS=$debuginfod_url record third -- ./other 3000000
  (($(weight_of third.folded '^other;.*mix') == 0)) || fail "other's mix is named without a debug file"
  summary_line third.err | grep -qE ': 0 debug files fetched, 0 from the cache, 1 missing \(' ||
    fail "missing debug file's summary: $(cat third.err)"
  pass "main;checksum;mix in $share% of the samples; fetched, then from the cache, then missing"
  ;;
no_debuginfod)
  # Nothing may ask the server: neither kiln's symbolizer nor libdw while it unwinds.
  start_debuginfod served server.log || fail "debuginfod did not start"
  DEBUGINFOD_URLS=$debuginfod_url record off --no-debuginfod -- ./checksum 3000000
  named=$(weight_of off.folded '^checksum;.*;(main|checksum|mix)(;|$)')
  unnamed=$(weight_of off.folded '^checksum;.*[[]checksum[]][+]0x')
  ((named == 0 && unnamed > 0)) || fail "--no-debuginfod: $named named, $unnamed unnamed samples"
  ! grep -q debuginfod off.err || fail "--no-debuginfod still reports: $(cat off.err)"
  requests=$(grep -c 'UA:elfutils' server.log)
  ((requests == 0)) || fail "the server got $requests requests from kiln"
  [[ ! -e $DEBUGINFOD_CACHE_PATH ]] || fail "the debuginfod cache was touched"
  pass "frames unnamed ($unnamed samples), no request reached the server"
  ;;
unreachable)
  # A server that accepts connections and never answers, with libdebuginfod's settings left
  # unset: kiln's default timeout (10 s, one attempt) is spent once, not per binary.
  start_stalling_listener
  DEBUGINFOD_URLS=$stalling_url record stalled -- sh -c './checksum 3000000; ./other 3000000'
  summary_line stalled.err | grep -qE ', ([2-9]|[1-9][0-9]+) failed \(' ||
    fail "expected several failed debug files: $(cat stalled.err)"
  grep -q "Timer expired after" stalled.err || fail "no reason given: $(cat stalled.err)"
  waited=$(summary_line stalled.err | sed -E 's/.*\(([0-9.]+) s\)$/\1/')
  between "$waited" 9 13 || fail "kiln waited $waited s for debuginfod (expected one 10 s timeout)"
  between "$(percent "$(weight_of stalled.folded '[[]checksum[]][+]0x')" "$(weight_of stalled.folded '^checksum;')")" 90 100 ||
    fail "checksum's frames are not in their unnamed form"
  ((elapsed_ms < 20000)) || fail "the recording took $elapsed_ms ms"
  pass "one wait of $waited s for an unreachable server (the recording took $elapsed_ms ms)"
  ;;
*)
  fail "unknown case"
  ;;
esac

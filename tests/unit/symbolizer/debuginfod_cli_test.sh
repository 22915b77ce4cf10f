#!/usr/bin/env bash
# `kiln symbolize` on a stripped program whose debug file a real debuginfod server on 127.0.0.1
# serves: names and file:line from the fetched file, the counts on stderr (fetched, then from
# the cache, missing for a build-id the server lacks), one request per build-id, nothing asked
# with --no-debuginfod or without DEBUGINFOD_URLS, and a server that never answers costing one
# DEBUGINFOD_TIMEOUT. Usage: debuginfod_cli_test.sh KILN PROGRAM_SOURCE SERVER_HELPER
set -euo pipefail
kiln=$1 source=$2
source "$3"
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'stop_debuginfod; rm -rf "$tmp"' EXIT
mkdir "$tmp/served"
build_stripped_program "$source" "$tmp" checksum
build_stripped_program "$source" "$tmp" other -DGREETING='"other"'
mv "$tmp/checksum.debug" "$tmp/served/"  # the server has checksum's debug file, not other's
start_debuginfod "$tmp/served" "$tmp/server.log"
id=$(build_id_of "$tmp/checksum")
other_id=$(build_id_of "$tmp/other")
[[ $id != "$other_id" ]] || fail "the two programs have the same build-id"

# The multiply in mix(), and where addr2line puts it in the unstripped program.
start=$(nm "$tmp/checksum.full" | awk '/ t mix$/ {print $1}')
address=$(objdump -d --no-show-raw-insn "$tmp/checksum.full" --start-address="0x$start" \
  --stop-address=$((0x$start + 64)) | awk '/imul/ {print $1; exit}' | tr -d :)
[[ -n $address ]] || fail "no multiply found in mix"
where=$(addr2line -e "$tmp/checksum.full" "0x$address" | sed 's/ (discriminator [0-9]*)//')
[[ $where == "$source:"* ]] || fail "addr2line places mix's multiply at $where"
checksum_start=$(nm "$tmp/checksum.full" | awk '/ t checksum$/ {print $1}')

export DEBUGINFOD_CACHE_PATH=$tmp/cache
symbolize() {  # ARGS...: stdout in $tmp/out, stderr in $tmp/err
  "$kiln" symbolize "$@" >"$tmp/out" 2>"$tmp/err" || fail "kiln symbolize $* failed: $(cat "$tmp/err")"
}

# First run: fetched from the server; the functions get their names and mix its line.
DEBUGINFOD_URLS=$debuginfod_url symbolize --elf "$tmp/checksum" "$address" "$checksum_start"
expected="mix
$where

checksum"
[[ $(head -4 "$tmp/out") == "$expected" ]] || fail "fetched debug file: got
$(cat "$tmp/out")"
grep -qx "kiln symbolize: debuginfod: 1 debug file fetched, 0 from the cache, 0 missing (.* s)" \
  "$tmp/err" || fail "first run's counts: $(cat "$tmp/err")"
[[ $(kiln_requests "$id" "$tmp/server.log") == 1 ]] ||
  fail "kiln asked $(kiln_requests "$id" "$tmp/server.log") times for one build-id"
! grep -q "asking for" "$tmp/err" || fail "a progress line on a stderr that is no terminal"

# Second run with the same DEBUGINFOD_CACHE_PATH: from libdebuginfod's cache, no request.
DEBUGINFOD_URLS=$debuginfod_url symbolize --elf "$tmp/checksum" "$address"
[[ $(head -2 "$tmp/out") == "mix
$where" ]] || fail "cached debug file: got $(cat "$tmp/out")"
grep -qx "kiln symbolize: debuginfod: 0 debug files fetched, 1 from the cache, 0 missing (.* s)" \
  "$tmp/err" || fail "second run's counts: $(cat "$tmp/err")"
[[ $(kiln_requests "$id" "$tmp/server.log") == 1 ]] || fail "the second run asked the server"

# On a terminal, a line says what is being fetched while it is, and is erased afterwards.
DEBUGINFOD_URLS=$debuginfod_url DEBUGINFOD_CACHE_PATH=$tmp/cache_tty \
  script -qec "$kiln symbolize --elf $tmp/checksum $address" /dev/null >"$tmp/tty" ||
  fail "kiln symbolize on a terminal failed: $(cat "$tmp/tty")"
grep -q $'^\r\e\[Kkiln: debuginfod: asking for the debug file of '"$tmp/checksum"$'.*\r\e\[Kmix\r$' \
  "$tmp/tty" || fail "no progress line erased before the answer on the terminal: $(od -c "$tmp/tty" | head)"

# A build-id the server lacks: missing, and the frame keeps its unnamed form.
other_mix=$(nm "$tmp/other.full" | awk '/ t mix$/ {print $1}')
DEBUGINFOD_URLS=$debuginfod_url symbolize --elf "$tmp/other" "$other_mix"
[[ $(head -1 "$tmp/out") == "$(printf '[other]+0x%x' "0x$other_mix")" ]] || fail "missing debug file: got $(cat "$tmp/out")"
grep -qx "kiln symbolize: debuginfod: 0 debug files fetched, 0 from the cache, 1 missing (.* s)" \
  "$tmp/err" || fail "missing counts: $(cat "$tmp/err")"
[[ $(kiln_requests "$other_id" "$tmp/server.log") == 1 ]] || fail "other's build-id was not asked once"

# --no-debuginfod, and DEBUGINFOD_URLS unset: nothing asked, nothing said, frames unnamed.
export DEBUGINFOD_CACHE_PATH=$tmp/cache2
requests=$(grep -c 'UA:elfutils' "$tmp/server.log")
unnamed=$(printf '[checksum]+0x%x' "0x$start")
DEBUGINFOD_URLS=$debuginfod_url symbolize --no-debuginfod --elf "$tmp/checksum" "$address"
[[ $(head -1 "$tmp/out") == "$unnamed" ]] || fail "--no-debuginfod: got $(cat "$tmp/out")"
[[ ! -s $tmp/err ]] || fail "--no-debuginfod said: $(cat "$tmp/err")"
(unset DEBUGINFOD_URLS && symbolize --elf "$tmp/checksum" "$address")
[[ $(head -1 "$tmp/out") == "$unnamed" ]] || fail "without DEBUGINFOD_URLS: got $(cat "$tmp/out")"
[[ ! -s $tmp/err ]] || fail "without DEBUGINFOD_URLS kiln said: $(cat "$tmp/err")"
(($(grep -c 'UA:elfutils' "$tmp/server.log") == requests)) || fail "the server was asked without debuginfod"
[[ ! -e $tmp/cache2 ]] || fail "the cache was touched without debuginfod"

# A server that accepts connections and never answers: one attempt of DEBUGINFOD_TIMEOUT
# (kiln asks for no retries unless DEBUGINFOD_RETRY_LIMIT says so), then the reason.
start_stalling_listener
began=$(date +%s%N)
DEBUGINFOD_URLS=$stalling_url DEBUGINFOD_TIMEOUT=1 symbolize --elf "$tmp/checksum" "$address"
seconds=$(( ($(date +%s%N) - began) / 1000000 ))
[[ $(head -1 "$tmp/out") == "$unnamed" ]] || fail "stalled server: got $(cat "$tmp/out")"
grep -q "debuginfod: 0 debug files fetched, 0 from the cache, 0 missing, 1 failed" "$tmp/err" ||
  fail "stalled server's counts: $(cat "$tmp/err")"
grep -q "warning: debuginfod: .*checksum.*$stalling_url: Timer expired after" "$tmp/err" ||
  fail "stalled server's message: $(cat "$tmp/err")"
((seconds < 2500)) || fail "a 1 s timeout took $seconds ms (retried?)"
[[ ! -e $tmp/cache2/$id/debuginfo ]] || fail "the failed request left a cache entry"

echo "ok: debuginfod fetch, cache, missing, --no-debuginfod, unset, stalled server (${seconds} ms)"

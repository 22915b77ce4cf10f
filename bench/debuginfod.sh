#!/usr/bin/env bash
# debuginfod benchmark: a stripped copy of the generated C++ program of bench/symbolize.sh
# (-O2 -g), its debug file served by a local `debuginfod` on 127.0.0.1, and 100 random code
# addresses (COUNT=N for more; eu-addr2line takes about 25 ms of CPU per address) symbolized
# by `kiln symbolize` without debuginfod, with a first fetch (empty DEBUGINFOD_CACHE_PATH) and
# from the cache; `eu-addr2line -f -i` (libdwfl, which also asks debuginfod) and
# `debuginfod-find debuginfo` (the download alone) on the same input. Timed with hyperfine;
# not run in CI.
# Usage: bench/debuginfod.sh [WORK_DIR]   (kiln must be built in build/; UNITS=N sets the
# program's size, 4 by default: about 20 MB)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/kiln-bench-debuginfod}
kiln=$root/build/kiln
units=${UNITS:-4}
types=${TYPES:-20}
mkdir -p "$work"
cd "$work"
# shellcheck source=../tests/debuginfod/server.sh
source "$root/tests/debuginfod/server.sh"
trap stop_debuginfod EXIT

if [[ ! -x program.full ]]; then
  echo "generating and building $units units x $types types (-O2 -g)..." >&2
  python3 "$root/bench/gen_symbolize_program.py" src "$units" "$types"
  ls src/*.cpp | xargs -P "$(nproc)" -I{} sh -c 'g++ -O2 -g -c {} -o {}.o'
  g++ -O2 -g src/*.o -o program.full
fi
rm -rf served && mkdir served
objcopy --only-keep-debug program.full served/program.debug
strip --strip-all program.full -o program
echo "program: $(du -m program.full | cut -f1) MB with DWARF, $(du -m program | cut -f1) MB" \
  "stripped, debug file $(du -m served/program.debug | cut -f1) MB" >&2

# Random code addresses: a function chosen with probability proportional to its size,
# then a random byte inside it (as in bench/symbolize.sh).
python3 - "${COUNT:-100}" > addresses <<'PY'
import random, subprocess, sys
random.seed(2026)
funcs = []
for line in subprocess.run(["nm", "-S", "--defined-only", "program.full"], capture_output=True,
                           text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 4 and f[2] in "tTwW" and int(f[1], 16) > 0:
        funcs.append((int(f[0], 16), int(f[1], 16)))
for start, size in random.choices(funcs, weights=[s for _, s in funcs], k=int(sys.argv[1])):
    print(hex(start + random.randrange(size)))
PY

start_debuginfod "$work/served" "$work/server.log"
id=$(build_id_of program)
export DEBUGINFOD_CACHE_PATH=$work/cache
url=$debuginfod_url
fresh="rm -rf $work/cache"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# One (name, preparation, command) per benchmark; "first fetch" empties the cache first.
benchmarks=(
  "kiln symbolize, DEBUGINFOD_URLS unset" true
  "env -u DEBUGINFOD_URLS $kiln symbolize --elf program"
  "kiln symbolize --no-debuginfod" true
  "DEBUGINFOD_URLS=$url $kiln symbolize --no-debuginfod --elf program"
  "kiln symbolize, first fetch" "$fresh"
  "DEBUGINFOD_URLS=$url $kiln symbolize --elf program"
  "kiln symbolize, from the cache" true
  "DEBUGINFOD_URLS=$url $kiln symbolize --elf program"
  "kiln symbolize, unstripped program" true
  "$kiln symbolize --elf program.full"
  "eu-addr2line -f -i, first fetch" "$fresh"
  "DEBUGINFOD_URLS=$url eu-addr2line -f -i -e program"
  "eu-addr2line -f -i, from the cache" true
  "DEBUGINFOD_URLS=$url eu-addr2line -f -i -e program"
  "debuginfod-find debuginfo (the download alone)" "$fresh"
  "DEBUGINFOD_URLS=$url debuginfod-find debuginfo $id"
)
args=()
for ((i = 0; i < ${#benchmarks[@]}; i += 3)); do
  args+=(-n "${benchmarks[i]}" --prepare "${benchmarks[i + 1]}"
         "${benchmarks[i + 2]} < addresses > /dev/null")
done
hyperfine --style basic --runs "${RUNS:-5}" --export-markdown results.md "${args[@]}"
cat results.md
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The names must be the ones of the unstripped program.
DEBUGINFOD_URLS=$url "$kiln" symbolize --elf program < addresses > fetched.out
"$kiln" symbolize --elf program.full < addresses > full.out
cmp -s fetched.out full.out && echo "answers: identical to the unstripped program's" ||
  echo "answers: DIFFER from the unstripped program's (diff $work/fetched.out $work/full.out)"

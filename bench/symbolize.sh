#!/usr/bin/env bash
# Symbolize benchmark: a generated C++ program (-O2 -g, templates and inlining, ~70 MB with
# DWARF) and 100k random code addresses in it, symbolized with inline frames by kiln,
# llvm-symbolizer --inlines, addr2line -f -i -C and eu-addr2line -f -i (on a 1000-address
# subset: it takes about 8 ms per address). Each tool runs RUNS times (default 5), the tools
# taking turns so that a busy machine weighs on all alike; prints the median addresses/s, the
# largest peak RSS and how often kiln's answers equal llvm-symbolizer's. Not run in CI.
# Usage: [UNITS=40] [RUNS=5] [KILN=path] [SLOW=0] bench/symbolize.sh [WORK_DIR]
#        (kiln from build/ unless KILN names another binary, e.g. an older build to compare)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/kiln-bench-symbolize}
kiln=${KILN:-$root/build/kiln}
units=${UNITS:-13}
types=${TYPES:-20}
count=${COUNT:-100000}
runs=${RUNS:-5}
mkdir -p "$work"
cd "$work"

if [[ ! -x program ]]; then
  echo "generating and building $units units x $types types (-O2 -g)..." >&2
  python3 "$root/bench/gen_symbolize_program.py" src "$units" "$types"
  start=$(date +%s)
  ls src/*.cpp | xargs -P "$(nproc)" -I{} sh -c 'g++ -O2 -g -c {} -o {}.o'
  g++ -O2 -g src/*.o -o program
  echo "built in $(( $(date +%s) - start )) s" >&2
fi
echo "program: $(du -m program | cut -f1) MB" >&2

# Random code addresses: a function chosen with probability proportional to its size, then a
# random byte inside it.
python3 - "$count" > addresses <<'PY'
import random, subprocess, sys
random.seed(2026)
funcs = []
for line in subprocess.run(["nm", "-S", "--defined-only", "program"], capture_output=True,
                           text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 4 and f[2] in "tTwW":
        start, size = int(f[0], 16), int(f[1], 16)
        if size > 0:
            funcs.append((start, size))
weights = [s for _, s in funcs]
for start, size in random.choices(funcs, weights=weights, k=int(sys.argv[1])):
    print(hex(start + random.randrange(size)))
PY
head -1000 addresses > addresses.1k

run() {  # name, output file, addresses file, command...: one timed run, appended to times.txt
  local name=$1 out=$2 input=$3
  shift 3
  /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" < "$input" > "$out"
  echo "$name|$(wc -l < "$input")|$(cat time.txt)" >> times.txt
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f times.txt
for ((i = 0; i < runs; i++)); do
  run "kiln symbolize --full-signatures" kiln.out addresses \
    "$kiln" symbolize --full-signatures --elf program
  run "kiln symbolize (default: short names)" kiln-short.out addresses \
    "$kiln" symbolize --elf program
  run "llvm-symbolizer --inlines" llvm.out addresses llvm-symbolizer --inlines --obj=program
  if ((i == 0)) && [[ ${SLOW:-1} == 1 ]]; then  # the slow ones once (SLOW=0: not at all)
    run "addr2line -f -i -C" addr2line.out addresses addr2line -f -i -C -e program
    run "eu-addr2line -f -i" eu-addr2line.out addresses.1k eu-addr2line -f -i -e program
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | addresses | runs | wall s (median) | CPU s (median) | addresses/s (wall) | addresses/CPU-s | peak RSS MiB (max) |"
echo "|---|---|---|---|---|---|---|---|"
python3 - <<'PY'
import statistics
rows = {}
for line in open("times.txt"):
    name, n, t = line.rstrip("\n").split("|")
    wall, user, sys_, kb = t.split()
    rows.setdefault(name, []).append((int(n), float(wall), float(user) + float(sys_), int(kb)))
for name, runs in rows.items():
    n = runs[0][0]
    wall = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    rss = max(r[3] for r in runs) / 1024
    print(f"| {name} | {n} | {len(runs)} | {wall:.2f} | {cpu:.2f} | {n / wall:.0f} | {n / cpu:.0f} | {rss:.0f} |")
k = rows.get("kiln symbolize --full-signatures")
l = rows.get("llvm-symbolizer --inlines")
if k and l:
    walls = [b[1] / a[1] for a, b in zip(k, l)]
    cpus = [b[2] / a[2] for a, b in zip(k, l)]
    print(f"\nkiln --full-signatures against llvm-symbolizer, run by run: wall "
          f"{', '.join(f'{x:.1f}x' for x in walls)} (median {statistics.median(walls):.1f}x); CPU "
          f"{', '.join(f'{x:.1f}x' for x in cpus)} (median {statistics.median(cpus):.1f}x)")
PY

# Same answers? Compare kiln's and llvm-symbolizer's frames per address (columns dropped).
python3 - <<'PY'
def answers(path, drop_column):
    blocks, current = [], []
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "":
            if current:
                blocks.append(current)
            current = []
            i += 1
            continue
        location = lines[i + 1]
        if drop_column and location.count(":") >= 2:
            location = location.rsplit(":", 1)[0]
        current.append((lines[i], location))
        i += 2
    return blocks
k, l = answers("kiln.out", False), answers("llvm.out", True)
same = sum(1 for a, b in zip(k, l) if a == b)
frames = sum(len(b) for b in l)
print(f"\nkiln vs llvm-symbolizer: {same} of {len(l)} addresses identical "
      f"({100.0 * same / len(l):.2f}%), {frames / len(l):.2f} frames per address (inline chains)")
PY

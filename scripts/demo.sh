#!/usr/bin/env bash
# The README's first command: install, build, and run kiln's main job: profile a sample program
# (75% of its time in hot_75, 25% in hot_25) with `kiln record` and write its flame graph.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh
./build/profiler/kiln record -F 499 -o kiln.svg -o kiln.folded -- ./build/samples/cpu_split 3
echo "demo: wrote $root/kiln.svg (open it in a browser) and $root/kiln.folded"

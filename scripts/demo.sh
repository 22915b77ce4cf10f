#!/usr/bin/env bash
# The README's first command: install, build, and run kiln's main job on a bundled sample.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh
./build/profiler/kiln render samples/profiles/example.folded -o kiln.svg
echo "demo: wrote $root/kiln.svg (open it in a browser)"

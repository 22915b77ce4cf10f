#!/usr/bin/env bash
# The README's first command: install, build, install kiln (/usr/local/bin), and run kiln's main
# job: profile a sample program (75% of its time in hot_75, 25% in hot_25) with `kiln record`
# and write its flame graph.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh
prefix=/usr/local
if cmake --install build --prefix "$prefix" >/dev/null; then
  kiln=$prefix/bin/kiln
  installed="kiln is installed as $kiln (built as $root/build/kiln)"
else
  kiln=$root/build/kiln
  installed="kiln is $kiln; \`sudo cmake --install build\` would put it in $prefix/bin"
fi
"$kiln" record -F 499 -o kiln.svg -o kiln.folded -- ./build/samples/cpu_split 3
echo "demo: wrote $root/kiln.svg (open it in a browser) and $root/kiln.folded"
echo "demo: $installed"

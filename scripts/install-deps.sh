#!/usr/bin/env bash
# Installs every Debian and npm package kiln needs to build, test and benchmark.
# Idempotent: installs only what is missing, so repeated runs are fast.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang llvm llvm-dev bpftool libbpf-dev libelf-dev libdw-dev zlib1g-dev libzstd-dev
  libcli11-dev googletest libgtest-dev libfuzzer-14-dev
  libxml2-dev libxml2-utils
  elfutils binutils libc6-dbg libdebuginfod-dev debuginfod
  chromium fonts-dejavu-core fonts-liberation nodejs
  linux-perf bpftrace hyperfine time python3
  golang-go
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root (sudo $0): apt-get needs it" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ships with Debian's nodejs as a separate package; some images ship a nodejs that bundles it.
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
fi

# playwright-core drives Debian's chromium in the browser tests; it downloads no browser.
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -d "$root/tests/browser/node_modules/playwright-core" ]]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

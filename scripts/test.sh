#!/usr/bin/env bash
# Installs what is missing, builds kiln (release and ASan+UBSan), and runs every test:
# unit tests in both builds, integration tests (root + BPF) and browser tests in the release build,
# then each libFuzzer target of the clang fuzz build for 35 s (README, "Fuzzing").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh

# No test may ask a debuginfod server outside the machine; the debuginfod tests start their own.
unset DEBUGINFOD_URLS
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests

status=0
echo "== unit tests under ASan+UBSan"
ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs" || status=1
echo "== all tests (unit, integration, browser)"
ctest --test-dir build --output-on-failure || status=1
echo "== fuzz targets (clang, libFuzzer + ASan+UBSan, 35 s each)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DKILN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null
cmake --build build-fuzz -j "$jobs"
ctest --test-dir build-fuzz -L fuzz --output-on-failure || status=1
exit $status

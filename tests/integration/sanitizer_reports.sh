#!/usr/bin/env bash
# sanitizer_reports.sh COMMAND ARGS...: runs one integration case of the ASan+UBSan build
# (-DKILN_SANITIZE=ON) and fails it on any sanitizer report of kiln or of an instrumented sample,
# including a kiln whose exit status the case does not check (one in the background, one
# expected to fail) and leaks found at exit. The reports go to files in a fresh directory and
# are printed here; otherwise the case's own status (77: skipped) is kept.
set -uo pipefail
reports=$(mktemp -d /tmp/kiln-sanitizer-reports.XXXXXX)
trap 'rm -rf "$reports"' EXIT
# abort_on_error: a report ends kiln with SIGABRT, never with an exit code a case may expect.
export ASAN_OPTIONS="log_path=$reports/asan:abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$reports/ubsan:halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
"$@"
status=$?
if compgen -G "$reports/*" >/dev/null; then
  for report in "$reports"/*; do
    echo "FAIL: sanitizer report ${report##*/}:" >&2
    cat "$report" >&2
  done
  exit 1
fi
exit $status

# Sourced by the integration test scripts after they set case_name: skips (exit 77, reported as
# skipped by ctest) when not root, moves into a scratch directory removed at exit, and defines
# the assertions the cases share.
#   source case_setup.sh TOPIC   (TOPIC names the scratch directory)

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: kiln record needs root (BPF and perf events); run the integration tests as root" >&2
  exit 77
fi
work=$(mktemp -d "/tmp/kiln-$1-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
pass() { echo "ok [$case_name]: $*"; exit 0; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

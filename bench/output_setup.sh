# Sourced by bench/render.sh and bench/diff.sh: `source bench/output_setup.sh DEFAULT_OUT "$@"`.
# Sets root, kiln (the built binary: exits 2 when missing) and out (the first argument of the
# script, or DEFAULT_OUT; created), and prints the machine line that heads the results.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kiln=$root/build/kiln
out=${2:-$1}
mkdir -p "$out"
[[ -x $kiln ]] || { echo "build kiln first: scripts/build.sh" >&2; exit 2; }
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# collapse_test.sh CASE KILN SAMPLES_DIR: `kiln collapse perf` on the text of a real `perf
# record`, compared with perf's own folding (`perf script report stackcollapse`: stackcollapse.py, the collapser
# Debian's linux-perf ships; stackcollapse-perf.pl is not packaged) and with the known split of
# the sample program.
set -uo pipefail
case_name=$1 kiln=$2 samples=$3

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" collapse

command -v perf >/dev/null || fail "perf is not installed (Debian package linux-perf; scripts/install-deps.sh)"

case $case_name in
perf_record)
  perf record -q -g -F 499 -o perf.data -- "$samples/cpu_split" 2 2>perf.err || fail "perf record failed: $(cat perf.err)"
  perf script -i perf.data >perf.txt 2>/dev/null || fail "perf script failed"
  "$kiln" collapse perf --kernel --count samples perf.txt -o kiln.folded 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  collapser=$(perf --exec-path)/scripts/python/stackcollapse.py
  perf script -i perf.data -s "$collapser" -- --kernel >perf.folded 2>perf.err || fail "perf's stackcollapse.py failed: $(cat perf.err)"
  # perf's collapser names a frame without symbol [unknown] where kiln names its module.
  sed -E 's/\[[^];]+\]((_\[k\])?)(;| )/[unknown]\1\3/g; /^#/d' kiln.folded | sort >kiln.cmp
  sed -E 's/\[[^];]+\]((_\[k\])?)(;| )/[unknown]\1\3/g' perf.folded |
    awk '{ w = $NF; sub(/ [^ ]+$/, ""); s[$0] += w } END { for (k in s) print k, s[k] }' | sort >perf.cmp
  [[ -s kiln.cmp ]] || fail "no stacks folded"
  diff kiln.cmp perf.cmp >diff.txt || fail "kiln and perf's stackcollapse fold the same perf.data differently: $(head -5 diff.txt)"
  a=$(weight_of kiln.folded '^cpu_split;.*hot_75')
  b=$(weight_of kiln.folded '^cpu_split;.*hot_25')
  share=$(percent "$a" $((a + b)))
  between "$share" 70 80 || fail "hot_75 has $share% of hot_75+hot_25 samples, expected 75 +- 5"
  "$kiln" render perf.txt -o perf.svg 2>err.txt || fail "kiln render on perf script text exited $?: $(cat err.txt)"
  grep -q 'hot_75' perf.svg || fail "the SVG drawn from perf script text does not show hot_75"
  pass "$(wc -l <kiln.cmp) stacks as perf folds them; hot_75 $share% of the split"
  ;;
perf_dwarf_inline)
  # DWARF unwinding reaches main, and perf prints inlined frames with the module (inlined).
  cat >inl.c <<'SRC'
static inline __attribute__((always_inline)) double leaf(double x) {
  for (int i = 0; i < 1000; i++) x = x * 1.0000001 + 0.5;
  return x;
}
__attribute__((noinline)) double work(double x) { return leaf(x) * 2; }
int main(void) {
  double s = 0;
  for (long i = 0; i < 300000; i++) s += work(i);
  return s > 0 ? 0 : 1;
}
SRC
  cc -O2 -g -o inl inl.c || fail "cannot compile the inline sample"
  perf record -q --call-graph dwarf -F 499 -o perf.data ./inl 2>perf.err || fail "perf record failed: $(cat perf.err)"
  perf script -i perf.data --inline >perf.txt 2>/dev/null || fail "perf script failed"
  grep -q '(inlined)' perf.txt || fail "perf printed no inlined frame"
  "$kiln" collapse perf --all perf.txt -o kiln.folded 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  total=$(weight_of kiln.folded '^inl;')
  inlined=$(weight_of kiln.folded '^inl;.*main;work;leaf_\[i\]')
  between "$(percent "$inlined" "$total")" 80 100 || fail "only $(percent "$inlined" "$total")% of the samples are in main;work;leaf_[i]: $(head -3 kiln.folded)"
  pass "$(percent "$inlined" "$total")% of the samples in main;work;leaf_[i]"
  ;;
*) fail "unknown case" ;;
esac

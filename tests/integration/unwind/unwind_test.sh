#!/usr/bin/env bash
# unwind_test.sh CASE KILN SAMPLES_DIR: one integration case of DWARF unwinding, asserting what a
# user checks in the folded output: the samples of a leaf function carry the exact chain of
# calls from main (or the thread's start) down to it.
set -uo pipefail
case_name=$1 kiln=$2 samples=$3

# shellcheck source=../case_setup.sh
source "$(dirname "$0")/../case_setup.sh" unwind

# "MATCHING TOTAL": weights of the folded stacks whose user leaf (last frame without _[k])
# matches LEAF_REGEX, and of those, the ones whose whole stack matches CHAIN_REGEX.
leaf_chain() {  # FILE LEAF_REGEX CHAIN_REGEX
  awk -v leaf="$2" -v chain="$3" '!/^#/ && NF {
    w = $NF; line = $0; sub(/ [^ ]+$/, "", line)
    n = split(line, f, ";"); user = ""
    for (i = n; i >= 1; i--) if (f[i] !~ /_\[k\]$/) { user = f[i]; break }
    if (user !~ leaf) next
    total += w
    if (line ~ chain) matching += w
  } END { print matching + 0, total + 0 }' "$1"
}

# Records SAMPLE MODE at 999 Hz and asserts that at least 99% of the samples in LEAF carry CHAIN.
expect_chain() {  # MODE_ARGS LEAF_REGEX CHAIN_REGEX MIN_SAMPLES
  local program=$1 leaf=$2 chain=$3 min=$4 matching total
  # shellcheck disable=SC2086
  "$kiln" record -F 999 -o out.folded -- $program 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  read -r matching total < <(leaf_chain out.folded "$leaf" "$chain")
  ((total >= min)) || fail "only $total samples in $leaf (expected at least $min): $(grep -v '^#' out.folded | sort -t' ' -k2 -rn | head -3)"
  between "$(percent "$matching" "$total")" 99 100 ||
    fail "only $(percent "$matching" "$total")% of the $total samples in $leaf carry the chain $chain; others: $(leaf_chain_misses out.folded "$leaf" "$chain")"
  grep -q 'user stacks unwound (DWARF)' err.txt || fail "the summary says nothing of the unwinding: $(cat err.txt)"
  echo "$(percent "$matching" "$total")% of $total samples in $leaf carry the whole chain"
}
leaf_chain_misses() {  # FILE LEAF_REGEX CHAIN_REGEX: a few stacks in LEAF without CHAIN
  awk -v leaf="$2" -v chain="$3" '!/^#/ && NF { line = $0; sub(/ [^ ]+$/, "", line)
    if (line ~ leaf && line !~ chain) print }' "$1" | head -3
}

# The share of samples of the root ROOT_REGEX whose stack reaches main (folded on stdin), of
# those taken after the dynamic loader handed over to the program.
reach_main() {  # ROOT_REGEX
  awk -v root="$1" '!/^#/ && NF { w = $NF; line = $0; sub(/ [^ ]+$/, "", line)
    if (line !~ root) next
    n = split(line, f, ";"); user = 0
    for (i = 2; i <= n; i++) if (f[i] !~ /_\[k\]$/) user = 1
    if (!user) next
    # The dynamic loader at work before the program starts: no main to reach yet, for any tool.
    if (line ~ /;_dl_start;/) next
    total += w
    if (line ~ /;(__libc_start_call_main|main|Py_BytesMain);/) reach += w
  } END { printf "%.1f %d\n", total ? 100 * reach / total : 0, total }'
}

# perf record --call-graph dwarf of the same command, folded by comm and symbol, on stdout.
perf_dwarf_folded() {  # COMMAND...
  perf record -q -F 999 --call-graph dwarf,16384 -o perf.data -- "$@" >/dev/null 2>perf.err ||
    fail "perf record failed: $(tail -3 perf.err)"
  perf script -i perf.data -F comm,ip,sym 2>/dev/null | awk '
    /^[^ \t]/ { comm = $1; n = 0; next }
    /^[ \t]/ { n++; sym[n] = ($2 == "" ? "[unknown]" : $2); next }
    /^$/ { if (n) { s = comm; for (i = n; i >= 1; i--) s = s ";" sym[i]; print s " 1" } n = 0 }
    END { if (n) { s = comm; for (i = n; i >= 1; i--) s = s ";" sym[i]; print s " 1" } }'
}

main_chain='^unwind_chains;_start;__libc_start_main;__libc_start_call_main;main;'
case $case_name in
qsort)
  pass "$(expect_chain "$samples/unwind_chains qsort 1.5" '^compare_records$' \
    "${main_chain}sort_records;([^;]*qsort[^;]*;)(.*;)?compare_records\$" 300)"
  ;;
recursion)
  eighty=$(printf 'recurse;%.0s' $(seq 81))
  pass "$(expect_chain "$samples/unwind_chains recursion 1.5" '^burn_at_bottom$' \
    "${main_chain}${eighty}burn_at_bottom\$" 300)"
  ;;
memcpy_thread)
  pass "$(expect_chain "$samples/unwind_chains memcpy 1.5" '^__mem(cpy|move)' \
    '^unwind_chains;clone3;start_thread;copy_thread;copy_loop;__mem(cpy|move)[^;]*$' 300)"
  ;;
cpp_thread)
  pass "$(expect_chain "$samples/unwind_cpp 1.5" '^less_by_key$' \
    '^unwind_cpp;clone3;start_thread;[^;]+;worker;(.*;)?std::function<void \(\)>::operator\(\)(_\[i\])?;(.*;)?sort_work;std::sort<.*;less_by_key$' 300)"
  ;;
signal_handler)
  pass "$(expect_chain "$samples/unwind_chains signal 2" '^burn_in_handler$' \
    "${main_chain}spin_main;(.*;)?on_signal;burn_in_handler\$" 30)"
  ;;
xz_vs_perf | python_vs_perf)
  # Debian's own binaries: stripped, no frame pointers; kiln must reach main at least as often
  # as perf's DWARF mode on the same work.
  command -v perf >/dev/null || fail "perf is missing (scripts/install-deps.sh installs linux-perf)"
  if [[ $case_name == xz_vs_perf ]]; then
    head -c 4000000 /usr/lib/x86_64-linux-gnu/libc.so.6 >input
    workload=(sh -c 'xz -6 -T1 -c input >/dev/null')
    root='^xz;'
  else
    printf 'def f(n):\n    return n if n < 2 else f(n - 1) + f(n - 2)\nprint(f(31))\n' >fib.py
    # Debian's interpreter (stripped, no frame pointers), not a pyenv build that PATH may find.
    python=$(ls /usr/bin/python3 /usr/bin/python3.[0-9]* 2>/dev/null | grep -v config | head -n1)
    [[ -n $python ]] || fail "Debian's python3 is missing (apt-get install python3)"
    workload=("$python" fib.py)
    root='^python3'
  fi
  "$kiln" record -F 999 -o kiln.folded -- "${workload[@]}" >/dev/null 2>err.txt || fail "kiln exited $?: $(cat err.txt)"
  read -r kiln_share kiln_total < <(reach_main "$root" <kiln.folded)
  read -r perf_share perf_total < <(perf_dwarf_folded "${workload[@]}" | reach_main "$root")
  ((kiln_total >= 100)) || fail "only $kiln_total samples from kiln"
  # Equal within two samples: the few samples in exit paths fall to either tool (and 0.1 for
  # the shares' rounding to one decimal: 205 of 207 is 99.03%, printed 99.0).
  awk -v k="$kiln_share" -v p="$perf_share" -v n="$kiln_total" 'BEGIN { exit !(k >= p - 200 / n - 0.1) }' ||
    fail "kiln reaches main in $kiln_share% of $kiln_total samples, perf --call-graph dwarf in $perf_share% of $perf_total"
  pass "main reached in $kiln_share% of $kiln_total samples (perf --call-graph dwarf: $perf_share% of $perf_total)"
  ;;
offcpu_read | offcpu_sleep)
  # Blocked in glibc's read (on a pipe) or nanosleep: the blocked time carries the whole chain.
  if [[ $case_name == offcpu_read ]]; then
    (sleep 1; echo x) | "$kiln" record --off-cpu -o out.folded -- "$samples/unwind_chains" read 1 2>err.txt ||
      fail "kiln exited $?: $(cat err.txt)"
    chain="${main_chain}wait_for_input;[^;]*read;.*_\\[k\\]\$"
  else
    "$kiln" record --off-cpu -o out.folded -- "$samples/unwind_chains" sleep 1 2>err.txt ||
      fail "kiln exited $?: $(cat err.txt)"
    chain="${main_chain}nap;[^;]*nanosleep;(clock_nanosleep;)?.*_\\[k\\]\$"
  fi
  total=$(awk '!/^#/ && NF && /^unwind_chains;/ { s += $NF } END { print s + 0 }' out.folded)
  whole=$(awk -v re="$chain" '!/^#/ && NF { w = $NF; sub(/ [^ ]+$/, ""); if ($0 ~ re) s += w } END { print s + 0 }' out.folded)
  ((total >= 500000)) || fail "only $total us blocked: $(cat out.folded)"
  between "$(percent "$whole" "$total")" 99 100 || fail "only $(percent "$whole" "$total")% of the blocked time carries the chain $chain: $(grep -v '^#' out.folded)"
  grep -q 'user stacks unwound (DWARF)' err.txt || fail "the summary says nothing of the unwinding: $(cat err.txt)"
  pass "$(percent "$whole" "$total")% of $total us blocked carry the whole chain"
  ;;
node_jit)
  # V8's JIT code has no call frame information: it is stepped through by frame pointer, and
  # the stacks under it still reach node's main.
  command -v node >/dev/null || fail "node is missing (scripts/install-deps.sh installs nodejs)"
  cat >hot.js <<'JS'
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * (i & 7); return s; }
function outer() { let t = 0; const end = Date.now() + 1500; while (Date.now() < end) t += hot(100000); return t; }
console.log(outer());
JS
  "$kiln" record -F 499 --per-pid -o out.folded -- node --perf-basic-prof hot.js >/dev/null 2>err.txt ||
    fail "kiln exited $?: $(cat err.txt)"
  node_pid=$(grep -oE '^node-[0-9]+' out.folded | head -n1 | cut -d- -f2)
  [[ -n $node_pid ]] && rm -f "/tmp/perf-$node_pid.map"
  read -r matching total < <(leaf_chain out.folded '^JS:.*(hot|outer).*_\[j\]$' \
    '^node-[0-9]+;_start;__libc_start_main;__libc_start_call_main;node::Start;.*;JS:[^;]*(hot|outer)[^;]*_\[j\]$')
  ((total >= 300)) || fail "only $total samples in JIT frames of hot/outer: $(grep -v '^#' out.folded | sort -t' ' -k2 -rn | head -3)"
  between "$(percent "$matching" "$total")" 99 100 ||
    fail "only $(percent "$matching" "$total")% of the $total JIT samples reach node::Start: $(leaf_chain_misses out.folded '_\[j\]$' 'node::Start')"
  pass "$(percent "$matching" "$total")% of $total samples in JIT code carry the chain from _start"
  ;;
fp_mode)
  # --unwind fp walks frame pointers in the kernel: on a frame-pointer-less program the chain
  # breaks (what DWARF unwinding is for), and no stack is copied.
  "$kiln" record --unwind fp -F 999 -o out.folded -- "$samples/unwind_chains" recursion 1 2>err.txt ||
    fail "kiln exited $?: $(cat err.txt)"
  read -r matching total < <(leaf_chain out.folded '^burn_at_bottom$' "${main_chain}(recurse;){81}burn_at_bottom\$")
  ((total >= 100)) || fail "only $total samples in burn_at_bottom"
  ((matching * 100 < total * 50)) || fail "--unwind fp found the whole chain in $matching of $total samples: is it unwinding with DWARF?"
  grep -q 'user stacks unwound' err.txt && fail "--unwind fp reports DWARF unwinding: $(cat err.txt)"
  pass "--unwind fp: $matching of $total samples with the whole chain (frame pointers are missing)"
  ;;
*)
  fail "unknown case"
  ;;
esac

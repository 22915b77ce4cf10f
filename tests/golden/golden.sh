#!/usr/bin/env bash
# The bytes kiln writes from every folded, perf script and recorded fixture the project has
# (tests/data, samples/profiles, ../shared/testdata): render (four option sets), convert to
# folded, and diff (every report format and the differential graph). A restructuring must not
# change them: `check` compares each output's SHA-256 and exit code with expected.sha256;
# `update` rewrites that file (only for a change of behaviour that is meant, said in the commit).
#
#   golden.sh check|update KILN SOURCE_DIR SHARED_TESTDATA
set -uo pipefail
mode=$1 kiln=$2
source_dir=$(realpath "$3") shared=$(realpath -m "$4")
expected="$source_dir/tests/golden/expected.sha256"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Where the checkout, the shared data and this run's scratch folder live is not kiln's
# behaviour: those paths are replaced by names before hashing.
anonymize() {
  sed -e "s|$work|WORK|g" -e "s|$source_dir|SOURCE|g" -e "s|$shared|SHARED|g"
}

# One line per output: hash of stdout+file output, hash of stderr, exit code, label.
run() {
  local label=$1 dir=$2
  shift 2
  rm -f "$work/out" "$work/out.folded"
  local code
  (cd "$dir" && "$kiln" "$@" >"$work/stdout" 2>"$work/stderr")
  code=$?
  local out_hash err_hash
  out_hash=$(cat "$work/stdout" "$work/out" "$work/out.folded" 2>/dev/null | anonymize |
    sha256sum | cut -c1-16)
  err_hash=$(anonymize <"$work/stderr" | sha256sum | cut -c1-16)
  printf '%s %s %3d %s\n' "$out_hash" "$err_hash" "$code" "$label"
}

inputs() {
  (cd "$source_dir" && find tests/data samples/profiles -type f \
    \( -name '*.folded' -o -name '*.txt' \) | sed 's|^|project/|')
  if [[ -d "$shared" ]]; then
    (cd "$shared" && find . -type f \( -name '*.txt' -o -name '*.txt.gz' -o -name '*.folded' \) |
      sed 's|^\./|shared/|')
  fi
}

resolve() {  # project/... or shared/... -> absolute path
  case $1 in
    project/*) echo "$source_dir/${1#project/}" ;;
    shared/*) echo "$shared/${1#shared/}" ;;
  esac
}

produce() {
  local name path dir base
  while read -r name; do
    path=$(resolve "$name")
    dir=$(dirname "$path") base=$(basename "$path")
    if [[ $base == *.gz ]]; then  # kiln reads plain text and pprof; unpack other .gz first
      gzip -dc "$path" >"$work/${base%.gz}"
      dir=$work base=${base%.gz}
    fi
    run "render $name" "$dir" render "$base" -o "$work/out"
    run "render-icicle $name" "$dir" render --icicle --palette java --minwidth 0.5% \
      --title 'T' "$base" -o "$work/out"
    run "render-flamechart $name" "$dir" render --flamechart --palette mem --width 800 \
      "$base" -o "$work/out"
    run "render-reverse $name" "$dir" render --reverse --sort weight --countname us \
      --factor 2 "$base" -o "$work/out"
    run "convert-folded $name" "$dir" convert "$base" -o "$work/out.folded"
  done < <(inputs | LC_ALL=C sort)

  # Diff pairs: BEFORE AFTER (project- or shared-relative).
  local pairs=(
    "project/tests/data/diff/before.folded project/tests/data/diff/after.folded"
    "project/tests/data/diff/offcpu_before.folded project/tests/data/diff/offcpu_after.folded"
    "project/samples/profiles/example.folded project/tests/data/diff/after.folded"
    "shared/inferno/diff-folded/before.txt shared/inferno/diff-folded/after.txt"
    "shared/inferno/diff-folded/before_fractionals.txt shared/inferno/diff-folded/after.txt"
    "shared/inferno/diff-folded/bad_before.txt shared/inferno/diff-folded/after.txt"
    "shared/inferno/flamegraph/multiple-inputs/perf-vertx-stacks-01-collapsed-all-unsorted-1.txt shared/inferno/flamegraph/multiple-inputs/perf-vertx-stacks-01-collapsed-all-unsorted-2.txt"
    "shared/flamegraph/test/results/perf-vertx-stacks-01-collapsed-pid.txt shared/flamegraph/test/results/perf-vertx-stacks-01-collapsed-all.txt"
  )
  local pair before after
  for pair in "${pairs[@]}"; do
    read -r before after <<<"$pair"
    [[ $before == shared/* && ! -d $shared ]] && continue
    before=$(resolve "$before") after=$(resolve "$after")
    local label="${pair// / -> }"
    run "diff-text $label" / diff "$before" "$after"
    run "diff-markdown $label" / diff --format markdown --top 5 "$before" "$after"
    run "diff-json $label" / diff --format json --min-samples 10 "$before" "$after"
    run "diff-gate $label" / diff --fail-on total:1 --fail-on self:0.5 "$before" "$after"
    run "diff-svg $label" / diff "$before" "$after" -o "$work/out"
    run "diff-svg-before $label" / diff --widths before --no-normalize --title T \
      "$before" "$after" -o "$work/out"
  done
}

case $mode in
  update)
    produce >"$expected"
    echo "wrote $(wc -l <"$expected") outputs to $expected"
    ;;
  check)
    if [[ ! -d $shared ]]; then
      echo "golden: WARNING: $shared is missing; only the project's own fixtures are checked" >&2
    fi
    produce >"$work/actual"
    if [[ -d $shared ]]; then
      cp "$expected" "$work/expected"
    else
      grep -v ' shared/' "$expected" >"$work/expected"
    fi
    if ! diff -u "$work/expected" "$work/actual" >"$work/changes"; then
      echo "golden: kiln's output changed (columns: output hash, stderr hash, exit code, command):"
      cat "$work/changes"
      echo "If the change is meant, run tests/golden/golden.sh update KILN SOURCE_DIR SHARED"
      exit 1
    fi
    echo "golden: $(wc -l <"$work/actual") outputs identical"
    ;;
  *)
    echo "usage: golden.sh check|update KILN SOURCE_DIR SHARED_TESTDATA" >&2
    exit 1
    ;;
esac

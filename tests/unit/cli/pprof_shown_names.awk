# awk -f pprof_shown_names.awk NAMES FOLDED: FOLDED with each frame's name replaced by the one
# go tool pprof shows (NAMES: the output of pprof_raw_names.awk), annotations kept.
# Read NAMES first even when it is empty.
BEGIN { FS = "\t" }
FILENAME == ARGV[1] { shown[$1] = $2; next }
{
  weight = $0
  sub(/.* /, "", weight)
  stack = substr($0, 1, length($0) - length(weight) - 1)
  n = split(stack, frames, ";")
  out = ""
  for (i = 1; i <= n; ++i) {
    name = frames[i]
    mark = ""
    if (match(name, /_\[[a-z]\]$/)) {
      mark = substr(name, RSTART)
      name = substr(name, 1, RSTART - 1)
    }
    if (name in shown) name = shown[name]
    if (name == "") name = "<unknown>"  # how go tool pprof shows an empty name
    out = out (i > 1 ? ";" : "") name mark
  }
  print out " " weight
}

# `go tool pprof -traces` output -> folded stacks (root first, `name (inline)` as `name_[i]`,
# one line per sample, weights as printed), so that tests compare what pprof shows with kiln's
# folded output. The label lines before a sample's weight (`pid:  1234`) are left out.
function flush() {
  if (depth > 0) {
    line = frames[depth]
    for (i = depth - 1; i >= 1; --i) line = line ";" frames[i]
    print line " " weight
  }
  depth = 0
}
/^-+\+-+$/ { flush(); inside = 1; next }
!inside { next }
depth == 0 && match($0, /^ *[0-9][0-9.]*[a-z]* +/) {
  weight = $1
  frame = substr($0, RLENGTH + 1)
  sub(/ \(inline\)$/, "_[i]", frame)
  frames[++depth] = frame
  next
}
depth == 0 { next }
{
  frame = $0
  sub(/^ +/, "", frame)
  sub(/ \(inline\)$/, "_[i]", frame)
  frames[++depth] = frame
}
END { flush() }

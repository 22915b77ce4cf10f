# `go tool pprof -raw` output -> "FULL<TAB>SHOWN" per function line of its locations: the name
# in the profile and the shortened one that -traces and -top show (pprof drops template
# arguments and parameter lists of C++-like names; -raw gives the full name in parentheses).
/^Locations/ { inside = 1; next }
/^Mappings/ { inside = 0 }
!inside { next }
{
  line = $0
  sub(/^ +([0-9]+: 0x[0-9a-f]+ (M=[0-9]+ )?)?/, "", line)
  full = ""
  if (match(line, / s=[0-9]+\(.*\)$/)) {
    full = substr(line, RSTART, RLENGTH)
    sub(/^ s=[0-9]+\(/, "", full)
    sub(/\)$/, "", full)
  }
  sub(/ s=[0-9]+(\(.*\))?$/, "", line)
  sub(/ [^ ]*:[0-9]+$/, "", line)  # FILE:LINE
  print (full == "" ? line : full) "\t" line
}

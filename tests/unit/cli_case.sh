# shellcheck shell=bash disable=SC2154  # case_name and kiln_command are set by the script
# Sourced by the command-line test scripts (tests/unit/*/..._cli_test.sh) after they set
# case_name and kiln_command (an array: kiln and the words every check runs it with, e.g.
# ("$kiln" diff)): moves into a scratch directory `work`, removed at exit, and defines the
# checks they share.
#   source cli_case.sh TOPIC   (TOPIC names the scratch directory)

unset DEBUGINFOD_URLS  # nothing may leave the machine (see tests/debuginfod/server.sh)
work=$(mktemp -d "/tmp/kiln-$1.XXXXXX")
readonly work
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }

# Runs kiln ARGS (stdout to out.txt, stderr to err.txt); fails unless it exits with STATUS.
exits_with() {  # STATUS ARGS...
  local want=$1
  shift
  "${kiln_command[@]}" "$@" >out.txt 2>err.txt
  local got=$?
  ((got == want)) || fail "${kiln_command[*]##*/} $* exited $got, expected $want: $(cat err.txt)"
}

# expect STATUS REGEX ARGS...: runs kiln ARGS, checks the exit status and that stderr matches
# REGEX (EMPTY: that stderr is empty).
expect() {
  local want=$1 regex=$2
  shift 2
  exits_with "$want" "$@"
  if [[ $regex == EMPTY ]]; then
    [[ ! -s err.txt ]] || fail "${kiln_command[*]##*/} $* wrote to stderr: $(cat err.txt)"
    return
  fi
  grep -qE -- "$regex" err.txt ||
    fail "stderr of ${kiln_command[*]##*/} $* does not match '$regex': $(cat err.txt)"
}

# expect_first_line STATUS LINE ARGS...: runs kiln ARGS, checks the exit status and that the
# first line of stderr is exactly LINE.
expect_first_line() {
  local want=$1 line=$2
  shift 2
  exits_with "$want" "$@"
  [[ $(head -1 err.txt) == "$line" ]] || fail "${kiln_command[*]##*/} $* said
$(cat err.txt)
expected
$line"
}

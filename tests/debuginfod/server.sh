# Sourced by the debuginfod tests (tests/unit/symbolizer/debuginfod_cli_test.sh,
# tests/integration/debuginfod/debuginfod_test.sh): builds a small C program, a stripped copy and its debug
# file, and serves the debug file with a real `debuginfod` on 127.0.0.1 so that nothing leaves
# the machine. The caller sets an EXIT trap that runs stop_debuginfod.
#
#   build_stripped_program SOURCE DIR NAME [CFLAGS...]   DIR/NAME (stripped), DIR/NAME.full
#                                                        (with -g) and DIR/NAME.debug
#   start_debuginfod SERVED_DIR LOG        serves SERVED_DIR; sets debuginfod_url and waits
#                                          until every build-id in it is served
#   stop_debuginfod                        kills the server (and a stalling listener)
#   kiln_requests BUILD_ID LOG             how many times kiln asked LOG's server for BUILD_ID
#   start_stalling_listener                a port that accepts connections and never answers;
#                                          sets stalling_url

debuginfod_pid=
stalling_pid=

build_id_of() { readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'; }

build_stripped_program() {  # SOURCE DIR NAME [CFLAGS...]
  local source=$1 dir=$2 name=$3
  shift 3
  cc -O1 -g "$@" "$source" -o "$dir/$name.full" || return 1
  objcopy --only-keep-debug "$dir/$name.full" "$dir/$name.debug" || return 1
  strip --strip-all "$dir/$name.full" -o "$dir/$name"
}

# A free port is picked by binding port 0 and closing it; if debuginfod still loses the race to
# another program, it exits and the next port is tried.
start_debuginfod() {  # SERVED_DIR LOG
  local served=$1 log=$2 port attempt file id
  for attempt in 1 2 3 4 5; do
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # -t 0 -g 0: one scan, no grooming; the database stays in the test's directory.
    debuginfod -F -p "$port" -d "$served.sqlite" -t 0 -g 0 -c 1 "$served" >"$log" 2>&1 &
    debuginfod_pid=$!
    debuginfod_url=http://127.0.0.1:$port
    # The scan runs in the background: ready once each debug file is served (curl's requests
    # are told apart from kiln's by their user agent).
    for _ in $(seq 200); do
      kill -0 "$debuginfod_pid" 2>/dev/null || break
      local all=1
      for file in "$served"/*; do
        id=$(build_id_of "$file")
        curl -sf -o /dev/null "$debuginfod_url/buildid/$id/debuginfo" || all=0
      done
      ((all)) && return 0
      sleep 0.05
    done
    stop_debuginfod
  done
  echo "debuginfod did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

start_stalling_listener() {
  local port_file
  port_file=$(mktemp)
  /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(600)' "$port_file" &
  stalling_pid=$!
  for _ in $(seq 100); do
    [[ -s $port_file ]] && break
    sleep 0.05
  done
  stalling_url=http://127.0.0.1:$(cat "$port_file")
  rm -f "$port_file"
}

stop_debuginfod() {
  local pid
  for pid in $debuginfod_pid $stalling_pid; do
    # wait gives the status of the killed server (143): not the test's failure.
    { kill "$pid" && wait "$pid"; } 2>/dev/null || true
  done
  debuginfod_pid= stalling_pid=
  return 0
}

kiln_requests() {  # BUILD_ID LOG
  grep 'UA:elfutils' "$2" | grep -c "GET /buildid/$1/debuginfo" || true
}

// The wait of a recording: until its duration, a stop signal, the end of the command kiln
// started or of every watched target, reading the session's event sources meanwhile.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "record/child_command.h"
#include "record/event_source.h"
#include "record/process_tracker.h"
#include "record/targets.h"

namespace kiln::record {

enum class StopReason { kDuration, kSignal, kCommandExited, kTargetsExited };

// Blocks SIGINT, SIGTERM and SIGCHLD so that they are read by the recording loop; construct it
// before forking a ChildCommand (the child restores the default mask before exec).
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct RecordLoopOptions {
  double duration_seconds = 0;      // 0: until a signal or the command exits
  ChildCommand* command = nullptr;  // stop when it exits
  std::vector<pid_t> watched;       // -p processes and -t threads: stop when all have exited
  ProcessTracker* tracker = nullptr;
  // ProcessRecords::sources(): read before the tracker's announcements and before every other
  // source, so a process's mappings are known before its samples are read.
  std::vector<EventSource> process_records;
  // Read as they fill, after the tracker's announcements (a sample's process is snapshotted
  // before the sample is read), and once more at the stop.
  std::vector<EventSource> sources;
  // Called every periodic_interval while recording, when set, with what reads the process
  // records, the announcements and every source as the loop does (for work that takes long
  // enough to let the rings fill).
  std::function<void(const std::function<void()>& read_sources)> periodic;
  std::chrono::milliseconds periodic_interval{1000};
  std::function<uint64_t()> samples_so_far;  // for the progress line
  bool progress = false;                     // live progress line on stderr
  const char* progress_unit = "samples";
};
// What every recording of `targets` waits for: `duration_seconds` (0: no limit), the end of
// `command` (if any) or of every -p/-t target; announcements go to `tracker`. The caller adds
// samples_so_far (and progress_unit).
RecordLoopOptions record_loop_options(const TargetSpec& targets, ChildCommand* command,
                                      ProcessTracker& tracker, double duration_seconds,
                                      bool progress);
// Waits until the duration has passed, SIGINT/SIGTERM arrived (forwarded to the command), the
// command exited or every watched target exited, consuming process announcements meanwhile.
StopReason run_until_stopped(const StopSignals& signals, const RecordLoopOptions& options);

}  // namespace kiln::record

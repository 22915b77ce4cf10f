// A recording session: any number of recorders attached to the same targets at once, read while
// the session waits for its end, then detached and drained.
#include <chrono>

#include "record/record.h"

namespace kiln::record {

Session record_session(const TargetSpec& targets, const std::vector<Recorder*>& recorders,
                       ChildCommand* command, const StopSignals& signals,
                       symbolizer::Symbolizer& symbolizer, const SessionOptions& options) {
  std::vector<bpf_map*> announcements;
  for (const Recorder* recorder : recorders) announcements.push_back(recorder->new_processes());
  ProcessTracker tracker(announcements, symbolizer);

  Session session;
  const auto start = std::chrono::steady_clock::now();
  for (Recorder* recorder : recorders) recorder->attach(/*targets_running=*/command == nullptr);
  if (command) command->release();
  RecordLoopOptions loop =
      record_loop_options(targets, command, tracker, options.duration_seconds, options.progress);
  loop.progress_unit = options.progress_unit;
  loop.samples_so_far = [&recorders] { return recorders.front()->events_so_far(); };
  for (Recorder* recorder : recorders)
    for (EventSource& source : recorder->sources()) loop.sources.push_back(std::move(source));
  session.stop = run_until_stopped(signals, loop);
  for (Recorder* recorder : recorders) recorder->detach();
  session.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  tracker.consume();
  for (Recorder* recorder : recorders) {
    session.raw.push_back(recorder->drain());
    tracker.snapshot_missing(session.raw.back());
  }
  session.parents = tracker.parents();
  return session;
}

Recording recording_of(Session& session, size_t index, const Recorder& recorder, size_t cpus) {
  Recording recording;
  recording.raw = std::move(session.raw.at(index));
  recording.counters = recorder.counters();
  recording.seconds = session.seconds;
  recording.cpus = cpus;
  recording.stop = session.stop;
  recording.parents = std::move(session.parents);
  recording.unwinding = recorder.unwinding();
  return recording;
}

}  // namespace kiln::record

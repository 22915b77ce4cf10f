// A recording session: any number of recorders attached to the same targets at once, read while
// the session waits for its end, then detached and drained.
#include <malloc.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "process/process.h"
#include "record/exited_stacks.h"
#include "record/process_records.h"
#include "record/process_tracker.h"
#include "record/recorder.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

// As Session::parents: what the tracker read first, else the kernel's fork records.
std::function<uint32_t(uint32_t)> parents_of(const ProcessTracker& tracker,
                                             const ProcessRecords& records) {
  return [&tracker, &records](uint32_t tgid) -> uint32_t {
    for (const auto* parents : {&tracker.parents(), &records.parents()})
      if (const auto it = parents->find(tgid); it != parents->end()) return it->second;
    return 0;
  };
}

// Symbolizes what the recorders gave (one each, in their order) into options.exited.
void add_to_exited(std::vector<RawProfile> raw, const ProcessTracker& tracker,
                   const ProcessRecords& records, const SessionOptions& options,
                   const std::function<void()>& read_sources) {
  ExitedStacks& exited = *options.exited;
  if (options.combine_exited) {
    exited.add(options.combine_exited(std::move(raw)), parents_of(tracker, records), read_sources);
  } else {
    for (RawProfile& part : raw)
      exited.add(std::move(part), parents_of(tracker, records), read_sources);
  }
}

// The processes that exited a while ago: their stacks symbolized into `exited` (the recorders'
// sources read between parts, `read_sources`), then their snapshots and parents forgotten (the
// binaries stay open while processes map them).
void hand_over_exited(const std::vector<Recorder*>& recorders, ProcessTracker& tracker,
                      ProcessRecords& records, symbolizer::Symbolizer& symbolizer,
                      const SessionOptions& options, const std::function<void()>& read_sources) {
  process::ProcessTable& processes = symbolizer.processes();
  const std::vector<pid_t> gone = processes.exited(ExitedStacks::kAfterExit);
  if (gone.empty()) return;
  const std::set<uint32_t> tgids(gone.begin(), gone.end());
  std::vector<RawProfile> drained;
  for (Recorder* recorder : recorders) drained.push_back(recorder->drain_processes(tgids));
  add_to_exited(std::move(drained), tracker, records, options, read_sources);
  for (const pid_t tgid : gone) {
    if (!processes.forget(tgid)) continue;
    tracker.forget(static_cast<uint32_t>(tgid));
    records.forget(static_cast<uint32_t>(tgid));
  }
  // Symbolizing read the binaries of the exited processes (symbol tables, DWARF): pages that
  // would otherwise stay resident for the rest of the recording, and parsed symbols kept for
  // binaries no process may map again (a build's fresh test programs).
  options.exited->handed_over(
      tgids, processes.release_unmapped_binaries(ExitedStacks::kForgetBinariesAfter));
  // What was freed (snapshots, raw stacks, merged stacks set aside on disk) is given back to
  // the system: glibc keeps the free pages inside its heap otherwise, and they stay resident.
  malloc_trim(0);
}

// The stacks the recorders counted in kiln's memory, of the processes that live on too,
// symbolized into `exited` as they are at the end: with the mappings the kernel recorded up to
// now, and the processes never announced snapshotted first.
void fold_counted_stacks(const std::vector<Recorder*>& recorders, ProcessTracker& tracker,
                         ProcessRecords& records, const SessionOptions& options,
                         const std::function<void()>& read_sources) {
  std::vector<RawProfile> counted;
  size_t stacks = 0;
  for (Recorder* recorder : recorders) {
    counted.push_back(recorder->take_counted_stacks());
    stacks += counted.back().stacks.size();
  }
  if (stacks == 0) return;
  records.read();
  tracker.consume();
  for (const RawProfile& raw : counted) tracker.snapshot_missing(raw);
  options.exited->took_counted_stacks(stacks);
  add_to_exited(std::move(counted), tracker, records, options, read_sources);
  malloc_trim(0);
}

}  // namespace

Session record_session(const TargetSpec& targets, const std::vector<Recorder*>& recorders,
                       ChildCommand* command, const StopSignals& signals,
                       symbolizer::Symbolizer& symbolizer, const SessionOptions& options) {
  // Opened before anything is attached or the command execs: every process that starts from
  // now on is followed from its first mapping.
  ProcessRecords records(online_cpus(), symbolizer);
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
  loop.process_records = records.sources();
  for (Recorder* recorder : recorders)
    for (EventSource& source : recorder->sources()) loop.sources.push_back(std::move(source));
  size_t periods = 0;
  loop.periodic = [&](const std::function<void()>& read_sources) {
    if (options.exited) {
      hand_over_exited(recorders, tracker, records, symbolizer, options, read_sources);
      if (++periods % (ExitedStacks::kFoldCountedStacks / ExitedStacks::kInterval) == 0)
        fold_counted_stacks(recorders, tracker, records, options, read_sources);
    }
    for (Recorder* recorder : recorders) recorder->empty_stack_map();
  };
  loop.periodic_interval = ExitedStacks::kInterval;
  session.stop = run_until_stopped(signals, loop);
  for (Recorder* recorder : recorders) recorder->detach();
  session.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  records.read();
  tracker.consume();
  for (Recorder* recorder : recorders) {
    session.raw.push_back(recorder->drain());
    tracker.snapshot_missing(session.raw.back());
  }
  session.parents = tracker.parents();
  session.parents.insert(records.parents().begin(), records.parents().end());
  session.lost_process_records = records.lost();
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
  recording.counters.lost_process_records = session.lost_process_records;
  return recording;
}

}  // namespace kiln::record

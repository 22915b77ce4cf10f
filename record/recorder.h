// The one shape of every recorder (attach, read while recording, detach, drain) and the session
// that runs any number of them on the same targets, and what a session gives of each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "record/child_command.h"
#include "record/event_source.h"
#include "record/raw_profile.h"
#include "record/record_loop.h"
#include "record/sample_counters.h"
#include "record/targets.h"
#include "record/unwind_counters.h"

struct bpf_map;

namespace kiln::symbolizer {
class Symbolizer;
}

namespace kiln::record {

// One kind of recording (on-CPU sampling, off-CPU tracing), loaded at construction, in the
// shape a session runs any number of them: attach, read while recording, detach, drain.
class Recorder {
 public:
  virtual ~Recorder() = default;
  // The ring buffer in which its BPF programs announce processes to snapshot.
  virtual bpf_map* new_processes() const = 0;
  // Starts recording. `targets_running`: the targets may be running already (false when the
  // only target is a command kiln starts after this).
  virtual void attach(bool targets_running) = 0;
  // What the session reads while recording (ring buffers, as they fill).
  virtual std::vector<EventSource> sources() = 0;
  // Samples or blocks so far, for the progress line.
  virtual uint64_t events_so_far() const = 0;
  // Stops recording; nothing stays attached. Idempotent; also done by the destructor.
  virtual void detach() = 0;
  // After detach: the counted stacks, by thread.
  virtual RawProfile drain() = 0;
  // While recording: the counted stacks of the processes `tgids` (which have exited), taken
  // out of the recorder (its BPF counts map and what it keeps itself). A recorder that cannot
  // give them before the end gives none.
  virtual RawProfile drain_processes(const std::set<uint32_t>& /*tgids*/) { return {}; }
  // While recording, every minute: the stacks the recorder counted in kiln's memory so far
  // (--unwind dwarf), taken out, those of processes that live on included: a long-lived process
  // (a server, kiln itself) keeps meeting stacks it never had, and they are kept symbolized and
  // merged from then on (ExitedStacks), not as addresses per thread. The BPF maps' counts stay.
  virtual RawProfile take_counted_stacks() { return {}; }
  // While recording, every few seconds: takes the stacks out of its BPF stack map into kiln's
  // memory (StackReader::move_from_map), where a recording of hours would fill the map. A
  // recorder whose map holds what it counts until the end does nothing.
  virtual void empty_stack_map() {}
  virtual SampleCounters counters() const = 0;
  virtual UnwindCounters unwinding() const = 0;  // --unwind dwarf; zero otherwise
};

class ExitedStacks;

struct SessionOptions {
  double duration_seconds = 0;            // 0: until a signal, the command's or the targets' exit
  bool progress = false;                  // live progress line on stderr
  const char* progress_unit = "samples";  // what the first recorder's events_so_far counts
  // When set, every few seconds the stacks of the processes that exited are taken from the
  // recorders (drain_processes) and symbolized into it, and the processes are forgotten: memory
  // does not grow with every process the machine ever started.
  ExitedStacks* exited = nullptr;
  // Every minute, the stacks of the processes that live on that the recorders counted in
  // kiln's memory (take_counted_stacks) go there too.
  // With several recorders: the one profile of exited processes' stacks for `exited`, made of
  // what each recorder drained (in their order), such as --wall's samples turned into time.
  // None: each recorder's is added on its own.
  std::function<RawProfile(std::vector<RawProfile>)> combine_exited;
};

struct Session {
  std::vector<RawProfile> raw;  // one per recorder, in their order
  double seconds = 0;           // from the first attach to the last detach
  StopReason stop = StopReason::kDuration;
  std::map<uint32_t, uint32_t> parents;  // tgid -> parent tgid (ProcessTracker, ProcessRecords)
  uint64_t lost_process_records = 0;     // ProcessRecords::lost
};
// Attaches every recorder, lets `command` (if any) exec, waits for the end of the recording
// (record_loop_options) while reading their sources, snapshotting announced processes in
// `symbolizer` and handing over exited processes (options.exited), then detaches them all and
// drains each.
Session record_session(const TargetSpec& targets, const std::vector<Recorder*>& recorders,
                       ChildCommand* command, const StopSignals& signals,
                       symbolizer::Symbolizer& symbolizer, const SessionOptions& options);

// What a recorder hands to symbolization and output.
struct Recording {
  RawProfile raw;
  SampleCounters counters;
  double seconds = 0;  // from attach to detach
  size_t cpus = 0;
  StopReason stop = StopReason::kDuration;
  std::map<uint32_t, uint32_t> parents;  // tgid -> parent tgid (ProcessTracker::parents)
  UnwindCounters unwinding;              // --unwind dwarf
};
// What a session gave of one of its recorders: its stacks (session.raw[index], moved out), its
// counters and unwinding, the session's duration, stop reason and parents (moved out).
Recording recording_of(Session& session, size_t index, const Recorder& recorder, size_t cpus);

}  // namespace kiln::record

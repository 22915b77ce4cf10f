// On-CPU sampling (bpf/profile.bpf.c on a cpu-clock perf event per CPU): the recorder, and a
// recording made of it alone (`kiln record`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "record/bpf_links.h"
#include "record/recorder.h"
#include "record/target_filter.h"
#include "record/unwound_stacks.h"

struct profile_bpf;

namespace kiln::record {

struct SamplerOptions {
  unsigned hz = 99;
  UnwindMode unwind = UnwindMode::kDwarf;
  uint32_t stack_size = 16384;           // --unwind dwarf: user stack bytes copied per sample
  uint32_t ring_size = 8 * 1024 * 1024;  // --unwind dwarf: bytes of the user_stacks ring
  double duration_seconds = 0;           // 0: until a signal or the command exits
  uint32_t stack_map_size = 0;           // 0: from hz, CPUs and duration (stack_map_entries)
  bool progress = false;                 // live progress line on stderr
  // --unwind dwarf: the stacks of processes that exit are symbolized into it while recording
  // (SessionOptions::exited); nullptr: all are kept until the end.
  ExitedStacks* exited = nullptr;
};

// bpf/profile.bpf.c loaded for a target filter, sampling `cpus` at options.hz once attached.
// With `unwinder` and options.unwind kDwarf, user stacks are copied per sample and unwound by
// `unwinder` as they arrive. Throws EnvironmentError when it cannot be loaded or attached.
class OnCpuSampler final : public Recorder {
 public:
  OnCpuSampler(const TargetFilter& filter, const std::vector<int>& cpus,
               const SamplerOptions& options, unwind::UserStackUnwinder* unwinder);
  ~OnCpuSampler() override;
  OnCpuSampler(const OnCpuSampler&) = delete;
  OnCpuSampler& operator=(const OnCpuSampler&) = delete;

  bpf_map* new_processes() const override;
  void attach(bool targets_running) override;
  std::vector<EventSource> sources() override;
  uint64_t events_so_far() const override;
  void detach() override;
  RawProfile drain() override;  // in samples
  RawProfile drain_processes(const std::set<uint32_t>& tgids) override;
  RawProfile take_counted_stacks() override;  // --unwind dwarf
  void empty_stack_map() override;
  SampleCounters counters() const override;
  UnwindCounters unwinding() const override;

 private:
  profile_bpf* skeleton_ = nullptr;
  std::vector<int> cpus_;
  unsigned hz_ = 0;
  bool follow_children_ = false;
  std::unique_ptr<Links> tracking_;         // fork, exec and exit programs
  std::optional<CpuClockEvents> sampling_;  // the perf events: sampling while they exist
  std::optional<UnwoundStacks> unwound_;
  std::optional<StackReader> stacks_;  // of the `stacks` map, for the whole recording
};

// Loads and attaches the sampler for `targets` on `cpus`, lets `command` (if any) exec, waits
// for the end, detaches everything and drains the maps. Processes are snapshotted in
// `symbolizer` while recording. Throws EnvironmentError for what the machine lacks.
Recording record_on_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                        const SamplerOptions& options, ChildCommand* command,
                        const StopSignals& signals, symbolizer::Symbolizer& symbolizer);

}  // namespace kiln::record

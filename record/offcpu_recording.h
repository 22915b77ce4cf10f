// `kiln record --off-cpu`: the off-CPU tracer alone in a session, and what is shown of it (the
// SVG's title and subtitle, the stderr summary with the top blocking stacks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "flamegraph/flamegraph.h"
#include "profile/profile.h"
#include "record/offcpu_tracer.h"
#include "record/record_summary.h"
#include "record/recorder.h"

namespace kiln::record {

struct OffCpuRecording {
  Recording recording;  // raw weights in nanoseconds; counters.samples counts blocks
  OffCpuCounters offcpu;
  UnwindCounters unwinding;  // --unwind dwarf
  // Blocks lost: their stacks or counts could not be stored, or their thread remembered.
  uint64_t lost() const { return recording.counters.lost() + offcpu.lost_start_map_full; }
  bool raw_tracepoint = false;
  size_t threads = 0;       // threads with blocked time
  uint64_t blocked_ns = 0;  // their blocked time, summed
};

// The off-CPU counterpart of record_on_cpu: traces `targets` until the end, then detaches and
// drains. Processes are snapshotted in `symbolizer` while tracing.
OffCpuRecording record_off_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                               const OffCpuOptions& options, ChildCommand* command,
                               const StopSignals& signals, symbolizer::Symbolizer& symbolizer);
// Title, subtitle (targets, duration, total blocked time, threads, blocks, losses) and the io
// palette (blue) for every frame.
flamegraph::SvgOptions off_cpu_svg_options(const OffCpuRecording& recording,
                                           const std::string& targets);

// Blocked time and blocks by symbolized stack, each raw stack added with the frames it became
// (symbolize_into's on_stack): raw stacks that differ only in what symbolization drops (return
// addresses within one function, thread ids under one comm) are one.
class BlockingStacks {
 public:
  void add(std::span<const profile::FrameId> frames, uint64_t us, uint64_t blocks);
  struct Stack {
    std::span<const profile::FrameId> frames;
    uint64_t us = 0;
    uint64_t blocks = 0;
  };
  // The `count` stacks with the most blocked time, longest first.
  std::vector<Stack> top(size_t count) const;

 private:
  std::map<std::vector<profile::FrameId>, Stack> by_frames_;
};

// The stderr summary (print_summary): blocked time, threads, blocks, losses and filters, the top
// 10 blocking stacks by time with their number of blocks and mean block. `profile` is
// symbolize_into's result for recording.raw, `blocking` its stacks with their blocks.
Summary off_cpu_summary(const OffCpuRecording& recording, const profile::Profile& profile,
                        const BlockingStacks& blocking);

}  // namespace kiln::record

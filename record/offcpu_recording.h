// `kiln record --off-cpu`: the off-CPU tracer alone in a session, and what is shown of it (the
// SVG's title and subtitle, the stderr summary with the top blocking stacks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
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

// The Profile column an off-CPU recording's blocks go in (SymbolizeOptions::events_column),
// in unit "count": a stack's number of blocks beside its blocked time.
inline constexpr std::string_view kBlocksColumn = "blocks";

// The stderr summary (print_summary): blocked time, threads, blocks, losses and filters, the top
// 10 blocking stacks by time with their number of blocks (the kBlocksColumn of `profile`) and
// mean block. `profile` is symbolize_into's result for recording.raw; raw stacks that became the
// same frames (return addresses within one function, thread ids under one comm) are one line.
Summary off_cpu_summary(const OffCpuRecording& recording, const profile::Profile& profile);

}  // namespace kiln::record

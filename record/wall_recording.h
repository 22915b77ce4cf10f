// `kiln record --wall`: the on-CPU sampler and the off-CPU tracer in one session, one profile of
// time, and what is shown of it (the SVG's style, the summary with each thread's time split).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "flamegraph/flamegraph.h"
#include "profile/profile.h"
#include "record/offcpu_tracer.h"
#include "record/on_cpu_sampler.h"
#include "record/record_summary.h"
#include "record/recorder.h"

namespace kiln::record {

// The time of one thread over a wall-clock recording.
struct ThreadTime {
  uint32_t tgid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t on_cpu_ns = 0;    // its samples times the sampling period
  uint64_t runnable_ns = 0;  // preempted or yielding: waiting for a CPU
  uint64_t off_cpu_ns = 0;   // blocked, in S or D state
  uint64_t wall_ns() const { return on_cpu_ns + runnable_ns + off_cpu_ns; }
};

struct WallRecording {
  // Raw weights in nanoseconds of time; counters of the on-CPU samples.
  Recording recording;
  unsigned hz = 0;
  SampleCounters off_cpu;          // blocks (and waits for a CPU) counted and lost
  OffCpuCounters off_cpu_details;  // blocked at the start, still blocked at the end, D time
  bool raw_tracepoint = false;
  std::vector<ThreadTime> threads;  // longest wall time first
  uint64_t lost() const {
    return recording.counters.lost() + off_cpu.lost() + off_cpu_details.lost_start_map_full;
  }
};

// The on-CPU sampler and the off-CPU tracer (counting waits for a CPU too) in one session on
// the same targets: each sample weighs 1/hz s of its thread's time, each wait its length, and
// off-CPU stacks carry their state (RawStack::state) for SymbolizeOptions::state_frames.
WallRecording record_wall(const TargetSpec& targets, const std::vector<int>& cpus,
                          const SamplerOptions& sampler, const OffCpuOptions& off_cpu,
                          ChildCommand* command, const StopSignals& signals,
                          symbolizer::Symbolizer& symbolizer);
// Title, subtitle (targets, duration, threads, on/off-CPU time, losses) and the wall-clock
// style (flamegraph::use_wall_time_style).
flamegraph::SvgOptions wall_svg_options(const WallRecording& recording, const std::string& targets);
// The stderr summary (print_summary): time on and off CPU, losses, each thread's wall time
// split, the top functions by self time.
Summary wall_summary(const WallRecording& recording);

}  // namespace kiln::record

// A recording written as pprof: its addresses symbolized again into structured frames
// (mappings with build-ids, inline chains with files and lines), with the recording's facts.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "record/profile_symbolization.h"
#include "record/raw_profile.h"

namespace kiln::record {

// What a pprof file of a recording says besides its stacks (README, section "pprof").
struct PprofFacts {
  // "cpu" (samples, CPU time), "off-cpu" (blocked time, blocks) or "wall" (time, stacks with
  // their state)
  std::string measured = "cpu";
  unsigned hz = 0;               // sampling frequency (on-CPU)
  double seconds = 0;            // duration
  int64_t start_time_nanos = 0;  // wall clock at the start (see start_time_nanos)
  uint64_t lost = 0;
  std::vector<std::string> comments;  // e.g. the loss reasons of describe_losses
};
// The wall clock `seconds` ago, in nanoseconds since the epoch: the start of a recording that
// lasted that long and has just ended.
int64_t start_time_nanos(double seconds);
// A recording with what pprof keeps of it: addresses symbolized again into structured frames
// (mappings with build-ids, inline chains with files and lines; the Symbolizer should have
// Options::want_lines), the thread in pid/tid/thread_name labels.
struct PprofSource {
  const RawProfile& raw;
  symbolizer::Symbolizer& symbolizer;
  SymbolizeOptions symbolize;
  PprofFacts facts;
};
// Writes the recording as gzip-compressed pprof: samples/count and cpu/nanoseconds on-CPU,
// off_cpu/nanoseconds and blocks/count off-CPU, wall/nanoseconds with a `state` label
// (on-cpu, [off-cpu: S], [off-cpu: D], [runnable]) for wall-clock time.
void write_recording_pprof(const PprofSource& source, std::ostream& out);

}  // namespace kiln::record

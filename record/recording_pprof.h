// A recording written as pprof: its addresses symbolized again into structured frames
// (mappings with build-ids, inline chains with files and lines), with the recording's facts.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "record/profile_symbolization.h"
#include "record/raw_profile.h"

namespace kiln::record {

// What a pprof file of a recording says besides its stacks, known at its end (README,
// section "pprof").
struct PprofFacts {
  double seconds = 0;            // duration
  int64_t start_time_nanos = 0;  // wall clock at the start (see start_time_nanos)
  uint64_t lost = 0;
  std::vector<std::string> comments;  // e.g. the loss reasons of describe_losses
};
// The wall clock `seconds` ago, in nanoseconds since the epoch: the start of a recording that
// lasted that long and has just ended.
int64_t start_time_nanos(double seconds);

// A recording as pprof, its stacks added as they come: those of processes that exit while
// recording as they are handed over (ExitedStacks), while their snapshots exist, the rest at
// the end. Each address is symbolized again into structured frames (mappings with build-ids,
// inline chains with files and lines; the Symbolizer should have Options::want_lines), the
// thread in pid/tid/thread_name labels. Samples are kept per thread and stack, as pprof has
// them: its memory grows with those, not with the processes.
class RecordingPprof {
 public:
  // `measured`: "cpu" (samples/count and cpu/nanoseconds at `hz`), "off-cpu"
  // (off_cpu/nanoseconds and blocks/count) or "wall" (wall/nanoseconds, with a `state` label:
  // on-cpu, [off-cpu: S], [off-cpu: D], [runnable]).
  RecordingPprof(symbolizer::Symbolizer& symbolizer, const std::string& measured, unsigned hz);
  ~RecordingPprof();
  RecordingPprof(const RecordingPprof&) = delete;
  RecordingPprof& operator=(const RecordingPprof&) = delete;
  // Adds a sample per stack of `raw`, symbolized as symbolize_into does with `options`.
  void add(const RawProfile& raw, const SymbolizeOptions& options);
  // Forgets what it knows of the processes `tgids` (handed over, then forgotten by the
  // process table): a later process with one of their pids is another.
  void forget(const std::set<uint32_t>& tgids);
  // Writes the samples added, with `facts`, as gzip-compressed pprof.
  void write(const PprofFacts& facts, std::ostream& out);

 private:
  class Builder;
  std::unique_ptr<Builder> builder_;
};

// What write_outputs writes to a pprof output of a recording.
struct PprofSource {
  RecordingPprof& samples;  // every stack added
  PprofFacts facts;
};

}  // namespace kiln::record

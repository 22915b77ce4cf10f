// While recording: the kernel's own records of what processes map, exec, fork and exit (perf
// side-band events), applied to the symbolizer's process snapshots in the order they happened.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "record/event_source.h"
#include "record/perf_ring.h"

namespace kiln::symbolizer {
class Symbolizer;
}

namespace kiln::record {

// The kernel's records of what every process on `cpus` maps (executable mappings, with their
// build-ids), execs, forks and exits, from one dummy perf event per CPU, applied to the process
// snapshots of `symbolizer` (Symbolizer::record_*) in the order they happened: a process
// started while recording is symbolized even if it exits before kiln could read its /proc.
// Throws EnvironmentError when the events cannot be opened.
class ProcessRecords {
 public:
  ProcessRecords(const std::vector<int>& cpus, symbolizer::Symbolizer& symbolizer);
  // One per CPU, each reading every CPU's records (they are applied in time order).
  std::vector<EventSource> sources();
  void read();
  // Records the kernel dropped because kiln read too late (PERF_RECORD_LOST).
  uint64_t lost() const { return lost_; }
  // The parent of each process forked while recording.
  const std::map<uint32_t, uint32_t>& parents() const { return parents_; }
  // Forgets the parent of a process handed over (ExitedStacks).
  void forget(uint32_t tgid) { parents_.erase(tgid); }

 private:
  void apply(const std::vector<uint8_t>& record);
  symbolizer::Symbolizer& symbolizer_;
  bool build_ids_ = true;
  std::vector<std::unique_ptr<PerfRing>> rings_;
  std::vector<std::vector<uint8_t>> batch_;
  uint64_t lost_ = 0;
  std::map<uint32_t, uint32_t> parents_;
};

}  // namespace kiln::record

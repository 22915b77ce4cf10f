// What is needed to symbolize one process after it exits: its executable mappings, each with
// the parsed module of its binary (opened through /proc/PID/map_files, falling back to
// /proc/PID/root/PATH), and its JIT perf map.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "module_cache.h"
#include "perf_map.h"
#include "problem_log.h"
#include "process_maps.h"

namespace kiln::symbolizer {

struct SnapshotMapping {
  Mapping mapping;
  std::shared_ptr<BinaryModule> module;  // nullptr: anonymous, or the binary was unreadable
  std::string name;                      // "libc.so.6", "[vdso]", "[anon]", "[heap]"
};

class ProcessSnapshot {
 public:
  // Reads the process's mappings and opens its binaries. A process gone, or a zombie (empty
  // maps), keeps the earlier snapshot; false when there is none.
  bool take(pid_t pid, ModuleCache& modules, ProblemLog& log);

  // Takes the snapshot again if the last one is older than `min_age` and the process still
  // lives; true if it did.
  bool refresh(ModuleCache& modules, ProblemLog& log,
               std::chrono::milliseconds min_age = std::chrono::milliseconds(100));
  // The mapping containing `address`; nullptr if none.
  const SnapshotMapping* find(uint64_t address) const;
  // The JIT perf map, if the process has one (looked for again while none was found).
  PerfMap* perf_map();
  // Executable mappings, sorted by start.
  const std::vector<SnapshotMapping>& mappings() const { return mappings_; }
  // Changes (unique among all snapshots) each time the mappings are read anew.
  uint64_t generation() const { return generation_; }

 private:
  bool taken_ = false;  // once: a later failure keeps the earlier snapshot
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point taken_at_{};
  pid_t pid_ = 0;
  pid_t namespace_pid_ = 0;                // the pid inside the process's own pid namespace (NSpid)
  std::vector<SnapshotMapping> mappings_;  // executable ones, sorted by start
  std::unique_ptr<PerfMap> perf_map_;
  std::chrono::steady_clock::time_point perf_map_looked_for_{};
};

}  // namespace kiln::symbolizer

// What is needed to know one process after it exits: its executable mappings, each with the
// binary behind it, and its JIT perf map. The mappings come from /proc/PID/maps (binaries
// opened through /proc/PID/map_files, falling back to /proc/PID/root/PATH) or, for a process
// started while recording, from the kernel's own records of what it mapped (RecordedMapping;
// binaries opened by path and checked against the recorded build-id).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "process/perf_map.h"
#include "process/process.h"

namespace kiln::process {

struct Mapping;

// Opens the file behind a mapping of a process: through /proc/PID/map_files (deleted and
// replaced binaries, other mount namespaces), else /proc/PID/root/PATH while the process lives,
// else, once it has exited, PATH in kiln's own file system if it is the very file mapped (same
// device and inode). -1 with errno set (ESTALE: a file replaced since it was mapped) if none.
int open_mapped_file(pid_t pid, const Mapping& m);

// The executable mappings of a program a process ran before it exec'd another.
struct EarlierImage {
  std::vector<SnapshotMapping> mappings;  // sorted by start
  uint64_t generation = 0;
};

class ProcessSnapshot {
 public:
  // Reads the process's mappings and opens its binaries. A process gone, or a zombie (empty
  // maps), keeps the earlier snapshot; false when there is none.
  // A snapshot built from kernel records reads no /proc: it opens the binaries not opened yet.
  bool take(pid_t pid, BinaryCache& binaries, ProblemLog& log);
  bool taken() const { return taken_; }

  // The kernel's records of the process (RecordedMapping). After an exec or a fork from a
  // process with a snapshot, the records tell every executable mapping, so /proc is not read.
  // An exec starts a new image; the earlier ones are kept for the samples taken before it.
  void record_exec();
  // Starts as a copy of the parent's mappings (its images before are not kept).
  void inherit(const ProcessSnapshot& parent);
  // Adds a mapping over what it overlaps; its binary is opened at once if the snapshot was
  // taken, else at the first take().
  void record_mapping(const RecordedMapping& recorded, BinaryCache& binaries, ProblemLog& log);
  void record_exit() {
    exited_ = true;
    exited_at_ = std::chrono::steady_clock::now();
  }
  bool exited() const { return exited_; }
  std::chrono::steady_clock::time_point exited_at() const { return exited_at_; }

  // Takes the snapshot again if the last one is older than `min_age` and the process still
  // lives; true if it did.
  bool refresh(BinaryCache& binaries, ProblemLog& log,
               std::chrono::milliseconds min_age = std::chrono::milliseconds(100));
  // The mapping containing `address` in the current image, else in an earlier image (newest
  // first, for samples taken before an exec); nullptr if none.
  const SnapshotMapping* find(uint64_t address) const;
  // The JIT perf map, if the process has one (looked for again while none was found).
  PerfMap* perf_map();
  // Executable mappings of the current image, sorted by start.
  const std::vector<SnapshotMapping>& mappings() const { return mappings_; }
  // The newest image before the last exec with a mapping containing `address` and none in the
  // current image; nullptr if none.
  const EarlierImage* earlier_image(uint64_t address) const;
  // Adds the binaries of every image (current and earlier) to `binaries`.
  void binaries(std::set<const Binary*>* binaries) const;
  // Changes (unique among all snapshots) each time the mappings are read anew.
  uint64_t generation() const { return generation_; }

 private:
  void open_recorded(BinaryCache& binaries, ProblemLog& log);
  void changed();
  bool taken_ = false;     // once: a later failure keeps the earlier snapshot
  bool recorded_ = false;  // built from kernel records since an exec or fork: /proc not read
  bool exited_ = false;
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point taken_at_{};
  std::chrono::steady_clock::time_point exited_at_{};
  pid_t pid_ = 0;
  pid_t namespace_pid_ = 0;                // the pid inside the process's own pid namespace (NSpid)
  std::vector<SnapshotMapping> mappings_;  // executable ones, sorted by start
  std::vector<EarlierImage> earlier_;      // images before execs, oldest first
  std::unique_ptr<PerfMap> perf_map_;
  std::chrono::steady_clock::time_point perf_map_looked_for_{};
};

}  // namespace kiln::process

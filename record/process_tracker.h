// While recording: the processes the BPF programs announce (bpf/process_events.bpf.h),
// snapshotted in the symbolizer while they are alive, and their parents.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "record/bpf_ring.h"
#include "record/raw_profile.h"

struct bpf_map;

namespace kiln::symbolizer {
class Symbolizer;
}

namespace kiln::record {

// Consumes the `new_processes` ring buffers of bpf/process_events.bpf.h and snapshots each
// announced process in the symbolizer while it is alive.
class ProcessTracker {
 public:
  // One ring per recorder of the session: each one's programs announce what they see.
  ProcessTracker(const std::vector<bpf_map*>& new_processes, symbolizer::Symbolizer& symbolizer);
  int epoll_fd() const { return ring_.epoll_fd(); }
  void consume() { ring_.consume(); }
  // A process is often announced while ld.so is still mapping its libraries: it is snapshotted
  // again a few times during its first 100 ms. Call refresh() when refresh_due_ms() (the time
  // until the next refresh, -1 for none) has passed.
  void refresh();
  int refresh_due_ms() const;
  // Snapshots the processes of `profile` that were never announced (still alive, one hopes).
  void snapshot_missing(const RawProfile& profile);
  size_t snapshots() const { return snapshotted_.size(); }
  // Forgets a process handed over (ExitedStacks): its snapshot and parent.
  void forget(uint32_t tgid);
  // The parent of each announced process, read while it was alive.
  const std::map<uint32_t, uint32_t>& parents() const { return parents_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Recent {
    Clock::time_point announced;
    size_t refreshes = 0;
  };
  void snapshot(uint32_t tgid);
  static int on_event(void* self, void* data, size_t size);
  symbolizer::Symbolizer& symbolizer_;
  std::map<uint32_t, bool> snapshotted_;
  std::map<uint32_t, Recent> recent_;
  std::map<uint32_t, uint32_t> parents_;
  BpfRing ring_;  // last: destroyed first, its callback uses the members above
};

}  // namespace kiln::record

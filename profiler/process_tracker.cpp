// Snapshots processes announced by the BPF program while they are alive, so that short-lived
// processes are symbolized after they exit.
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "profiler.h"
#include "symbolizer/symbolizer.h"

namespace kiln::profiler {

ProcessTracker::ProcessTracker(bpf_map* new_processes, symbolizer::Symbolizer& symbolizer)
    : symbolizer_(symbolizer) {
  ring_ = ring_buffer__new(bpf_map__fd(new_processes), &ProcessTracker::on_event, this, nullptr);
  if (!ring_)
    throw EnvironmentError("cannot open the BPF ring buffer: " + std::string(strerror(errno)));
}

ProcessTracker::~ProcessTracker() {
  ring_buffer__free(ring_);
}

int ProcessTracker::epoll_fd() const {
  return ring_buffer__epoll_fd(ring_);
}

void ProcessTracker::consume() {
  ring_buffer__consume(ring_);
}

int ProcessTracker::on_event(void* self, void* data, size_t size) {
  if (size >= sizeof(uint32_t)) {
    uint32_t tgid;
    std::memcpy(&tgid, data, sizeof(tgid));
    // Announced again after exec: the mappings are new, so snapshot again.
    static_cast<ProcessTracker*>(self)->snapshotted_.erase(tgid);
    static_cast<ProcessTracker*>(self)->snapshot(tgid);
  }
  return 0;
}

void ProcessTracker::snapshot(uint32_t tgid) {
  auto [it, inserted] = snapshotted_.try_emplace(tgid, false);
  if (inserted) it->second = symbolizer_.snapshot_process(static_cast<pid_t>(tgid));
}

void ProcessTracker::snapshot_missing(const RawProfile& profile) {
  for (const RawStack& stack : profile.stacks)
    if (!stack.user.empty()) snapshot(stack.tgid);
}

}  // namespace kiln::profiler

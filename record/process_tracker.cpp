// Snapshots processes announced by the BPF program while they are alive, so that short-lived
// processes are symbolized after they exit.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "process/process.h"
#include "record/process_tracker.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

// Fields 3 (state) and 4 (ppid) of /proc/PID/stat; the name in field 2 may hold spaces.
bool read_stat(uint32_t pid, char* state, uint32_t* ppid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  return static_cast<bool>(rest >> *state >> *ppid);
}

}  // namespace

ProcessTracker::ProcessTracker(const std::vector<bpf_map*>& new_processes,
                               symbolizer::Symbolizer& symbolizer)
    : symbolizer_(symbolizer),
      ring_(new_processes, &ProcessTracker::on_event, this, "the BPF ring buffer") {
  // The first snapshot that meets a library opens it and looks for its debug file. kiln's own
  // snapshot does so for the libraries most processes share before recording starts; it is
  // kept so that they stay cached.
  symbolizer_.processes().snapshot(getpid());
}

int ProcessTracker::on_event(void* self, void* data, size_t size) {
  if (size >= sizeof(uint32_t)) {
    uint32_t tgid;
    std::memcpy(&tgid, data, sizeof(tgid));
    auto* tracker = static_cast<ProcessTracker*>(self);
    // Announced again after exec: the mappings are new, so snapshot again.
    tracker->snapshotted_.erase(tgid);
    tracker->snapshot(tgid);
    tracker->recent_[tgid] = {Clock::now(), 0};
  }
  return 0;
}

namespace {
// When to snapshot an announced process again, after its announcement: ld.so maps libraries
// within milliseconds of exec, dlopen comes later and rarer. Few refreshes, because a busy
// machine starts many processes.
constexpr std::chrono::milliseconds kRefreshAfter[] = {
    std::chrono::milliseconds(3), std::chrono::milliseconds(10), std::chrono::milliseconds(30),
    std::chrono::milliseconds(100)};
constexpr size_t kRefreshes = std::size(kRefreshAfter);
}  // namespace

void ProcessTracker::refresh() {
  const Clock::time_point now = Clock::now();
  for (auto it = recent_.begin(); it != recent_.end();) {
    Recent& recent = it->second;
    if (now < recent.announced + kRefreshAfter[recent.refreshes]) {
      ++it;
      continue;
    }
    // A process gone, or a zombie, keeps its last snapshot; one never snapshotted is dropped.
    const bool snapshotted = symbolizer_.processes().snapshot(static_cast<pid_t>(it->first));
    if (!snapshotted || ++recent.refreshes == kRefreshes)
      it = recent_.erase(it);
    else
      ++it;
  }
}

int ProcessTracker::refresh_due_ms() const {
  if (recent_.empty()) return -1;
  Clock::time_point due = Clock::time_point::max();
  for (const auto& [tgid, recent] : recent_)
    due = std::min(due, recent.announced + kRefreshAfter[recent.refreshes]);
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, wait.count()) + 1);
}

void ProcessTracker::snapshot(uint32_t tgid) {
  if (!parents_.count(tgid)) {
    char state = 0;
    uint32_t ppid = 0;
    if (read_stat(tgid, &state, &ppid)) parents_[tgid] = ppid;
  }
  auto [it, inserted] = snapshotted_.try_emplace(tgid, false);
  if (inserted) it->second = symbolizer_.processes().snapshot(static_cast<pid_t>(tgid));
}

void ProcessTracker::forget(uint32_t tgid) {
  snapshotted_.erase(tgid);
  recent_.erase(tgid);
  parents_.erase(tgid);
}

void ProcessTracker::snapshot_missing(const RawProfile& profile) {
  for (const RawStack& stack : profile.stacks)
    if (!stack.user.empty()) snapshot(stack.tgid);
}

}  // namespace kiln::record

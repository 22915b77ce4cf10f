// Counts problems by kind and keeps the first message of each kind (with its fix), so a
// profile with thousands of unreadable addresses prints one line per cause.
#pragma once

#include <set>
#include <string>

#include "symbolizer.h"

namespace kiln::symbolizer {

class ProblemLog {
 public:
  enum Kind {
    kMissingFile,
    kCorruptFile,
    kExitedProcess,
    kUnmappedAddress,
    kKernelRestricted,
    kDebuginfodFailed
  };

  void note(Kind kind, const std::string& message) {
    switch (kind) {
      case kMissingFile:
        ++stats_.missing_files;
        break;
      case kCorruptFile:
        ++stats_.corrupt_files;
        break;
      case kExitedProcess:
        ++stats_.exited_processes;
        break;
      case kUnmappedAddress:
        ++stats_.unmapped_addresses;
        break;
      case kKernelRestricted:
        stats_.kptr_restricted = true;
        break;
      case kDebuginfodFailed:
        ++stats_.debuginfod.failed;
        break;
    }
    if (!message.empty() && reported_.insert(kind).second) stats_.messages.push_back(message);
  }
  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }

 private:
  Stats stats_;
  std::set<Kind> reported_;
};

}  // namespace kiln::symbolizer

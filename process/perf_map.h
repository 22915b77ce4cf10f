// A JIT's perf map (/tmp/perf-PID.map: "START SIZE name" per line, hex), kept open so that it
// is re-read when it grows, also after the process exited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::process {

class PerfMap {
 public:
  struct Entry {
    uint64_t start = 0;
    uint64_t size = 0;
    std::string name;
  };

  // Opens the map; false when it does not exist.
  bool open(const std::string& path);
  ~PerfMap();
  PerfMap() = default;
  PerfMap(const PerfMap&) = delete;
  PerfMap& operator=(const PerfMap&) = delete;

  // The entry containing `address` (re-reading the file first if it grew); nullptr if none.
  // Later lines win over earlier ones for the same address (JITs reuse code memory).
  const Entry* find(uint64_t address);

 private:
  void refresh();

  int fd_ = -1;
  uint64_t parsed_bytes_ = 0;
  std::string partial_line_;
  std::vector<Entry> entries_;      // in file order
  std::vector<uint32_t> by_start_;  // indices sorted by start; rebuilt after a refresh
  bool sorted_ = false;
};

}  // namespace kiln::process

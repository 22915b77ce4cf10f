// The mmap'ed ring buffer of a perf event (not a BPF ring buffer: see bpf_ring.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct perf_event_mmap_page;

namespace kiln::record {

// The ring buffer of a perf event (`fd`, taken over) with `data_pages` pages of records (a power
// of two), unmapped and closed by its destructor. Throws EnvironmentError if it cannot be mapped.
class PerfRing {
 public:
  PerfRing(int fd, size_t data_pages);
  ~PerfRing();
  PerfRing(const PerfRing&) = delete;
  PerfRing& operator=(const PerfRing&) = delete;
  int fd() const { return fd_; }
  // Appends a copy of each record written since the last read, in order, and frees their space.
  void read(std::vector<std::vector<uint8_t>>& records);

 private:
  int fd_;
  perf_event_mmap_page* header_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t data_size_ = 0;
  size_t mapped_size_ = 0;
};

}  // namespace kiln::record

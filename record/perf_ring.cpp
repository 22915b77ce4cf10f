// The ring buffer of a perf event: the kernel writes records at data_head, kiln reads them up to
// there and hands the space back by moving data_tail.
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "record/errors.h"
#include "record/perf_ring.h"

namespace kiln::record {

PerfRing::PerfRing(int fd, size_t data_pages) : fd_(fd) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  mapped_size_ = (1 + data_pages) * page;
  void* base = mmap(nullptr, mapped_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int error = errno;
    close(fd);
    throw EnvironmentError("cannot map the ring buffer of a perf event (" +
                           std::to_string(mapped_size_ / 1024) + " KiB): " + strerror(error) +
                           " (kernel.perf_event_mlock_kb limits it for users without "
                           "CAP_IPC_LOCK)");
  }
  header_ = static_cast<perf_event_mmap_page*>(base);
  data_ = static_cast<uint8_t*>(base) + page;
  data_size_ = data_pages * page;
}

PerfRing::~PerfRing() {
  munmap(header_, mapped_size_);
  close(fd_);
}

void PerfRing::read(std::vector<std::vector<uint8_t>>& records) {
  // Acquire: the records are complete up to the head we read.
  const uint64_t head = __atomic_load_n(&header_->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = header_->data_tail;
  while (tail < head) {
    const size_t at = tail % data_size_;
    // Records are 8-byte aligned and the size a power of two: a header never wraps.
    perf_event_header header;
    std::memcpy(&header, data_ + at, sizeof(header));
    if (header.size < sizeof(header)) break;  // never written by a sane kernel
    std::vector<uint8_t>& record = records.emplace_back(header.size);
    const size_t first = std::min<size_t>(header.size, data_size_ - at);
    std::memcpy(record.data(), data_ + at, first);
    std::memcpy(record.data() + first, data_, header.size - first);
    tail += header.size;
  }
  // Release: the kernel may overwrite the space only after we have copied out of it.
  __atomic_store_n(&header_->data_tail, tail, __ATOMIC_RELEASE);
}

}  // namespace kiln::record

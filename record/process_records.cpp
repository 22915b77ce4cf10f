// What processes map, exec, fork and exit, from the kernel's own records as they happen (as
// perf record has them): a dummy software event per CPU, read as it fills, applied to the
// process layer's snapshots in the order the records were written.
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "process/process.h"
#include "record/errors.h"
#include "record/process_records.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

// 512 KiB per CPU: what perf_event_mlock_kb lets any user lock, and room for the records of
// about 500 processes between two reads.
constexpr size_t kDataPages = 128;

// Every record ends with the sample_id of PERF_SAMPLE_TID | PERF_SAMPLE_TIME.
struct SampleId {
  uint32_t pid, tid;
  uint64_t time;
};

template <typename T>
T field(const std::vector<uint8_t>& record, size_t offset) {
  T value{};
  if (offset + sizeof(T) <= record.size()) std::memcpy(&value, record.data() + offset, sizeof(T));
  return value;
}

uint64_t time_of(const std::vector<uint8_t>& record) {
  return record.size() >= sizeof(perf_event_header) + sizeof(SampleId)
             ? field<uint64_t>(record, record.size() - sizeof(uint64_t))
             : 0;
}

// The body of PERF_RECORD_MMAP2 after its header: pid, tid, addr, len, pgoff, then either the
// build-id (PERF_RECORD_MISC_MMAP_BUILD_ID) or maj, min, ino, ino_generation, then prot, flags
// and the file name.
constexpr size_t kMmap2Pid = 8, kMmap2Addr = 16, kMmap2Len = 24, kMmap2Pgoff = 32, kMmap2Union = 40,
                 kMmap2Ino = 48, kMmap2Name = 72;

process::RecordedMapping mapping_of(const std::vector<uint8_t>& record, uint16_t misc) {
  process::RecordedMapping mapping;
  mapping.start = field<uint64_t>(record, kMmap2Addr);
  mapping.end = mapping.start + field<uint64_t>(record, kMmap2Len);
  mapping.offset = field<uint64_t>(record, kMmap2Pgoff);
  if (misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
    const size_t size = std::min<size_t>(field<uint8_t>(record, kMmap2Union), 20);
    mapping.build_id = process::build_id_hex(record.data() + kMmap2Union + 4, size);
  } else {
    mapping.inode = field<uint64_t>(record, kMmap2Ino);
  }
  const size_t name_end = record.size() - sizeof(SampleId);
  if (name_end > kMmap2Name) {
    const char* name = reinterpret_cast<const char*>(record.data() + kMmap2Name);
    mapping.path.assign(name, strnlen(name, name_end - kMmap2Name));
  }
  return mapping;
}

int open_dummy_event(int cpu, bool build_ids) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_DUMMY;  // counts nothing: only the side-band records
  attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
  attr.sample_id_all = 1;  // the time of every record, to order those of different CPUs
  attr.mmap = 1;           // executable mappings only (mmap_data stays 0)
  attr.mmap2 = 1;
  attr.comm = 1;
  attr.comm_exec = 1;  // an exec is told apart from a rename (PERF_RECORD_MISC_COMM_EXEC)
  attr.task = 1;       // fork and exit
  attr.build_id = build_ids ? 1 : 0;
  attr.watermark = 1;
  attr.wakeup_watermark = static_cast<uint32_t>(kDataPages * sysconf(_SC_PAGESIZE) / 2);
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

}  // namespace

ProcessRecords::ProcessRecords(const std::vector<int>& cpus, symbolizer::Symbolizer& symbolizer)
    : symbolizer_(symbolizer) {
  for (const int cpu : cpus) {
    int fd = open_dummy_event(cpu, build_ids_);
    if (fd < 0 && errno == EINVAL && build_ids_) {  // a kernel before 5.12: inodes only
      build_ids_ = false;
      fd = open_dummy_event(cpu, false);
    }
    if (fd < 0)
      throw EnvironmentError("perf_event_open (software dummy event for process mappings) on CPU " +
                             std::to_string(cpu) + ": " + strerror(errno) +
                             " (kiln needs root or CAP_PERFMON)");
    rings_.push_back(std::make_unique<PerfRing>(fd, kDataPages));
  }
}

std::vector<EventSource> ProcessRecords::sources() {
  std::vector<EventSource> sources;
  for (const auto& ring : rings_) sources.push_back({ring->fd(), [this] { read(); }});
  return sources;
}

void ProcessRecords::read() {
  batch_.clear();
  for (const auto& ring : rings_) ring->read(batch_);
  // Each CPU's records are in order; a process that forks on one CPU may exec on another.
  std::stable_sort(batch_.begin(), batch_.end(),
                   [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
                     return time_of(a) < time_of(b);
                   });
  for (const std::vector<uint8_t>& record : batch_) apply(record);
}

void ProcessRecords::apply(const std::vector<uint8_t>& record) {
  const auto header = field<perf_event_header>(record, 0);
  const auto pid = field<uint32_t>(record, 8);
  process::ProcessTable& processes = symbolizer_.processes();
  switch (header.type) {
    case PERF_RECORD_MMAP2:
      processes.record_mapping(static_cast<pid_t>(field<uint32_t>(record, kMmap2Pid)),
                               mapping_of(record, header.misc));
      break;
    case PERF_RECORD_COMM:
      if (header.misc & PERF_RECORD_MISC_COMM_EXEC) processes.record_exec(static_cast<pid_t>(pid));
      break;
    case PERF_RECORD_FORK: {
      const auto ppid = field<uint32_t>(record, 12);
      if (pid != ppid) {  // a new process, not a thread
        processes.record_fork(static_cast<pid_t>(pid), static_cast<pid_t>(ppid));
        parents_[pid] = ppid;
      }
      break;
    }
    case PERF_RECORD_EXIT:
      if (pid == field<uint32_t>(record, 16)) processes.record_exit(static_cast<pid_t>(pid));
      break;
    case PERF_RECORD_LOST:
      lost_ += field<uint64_t>(record, 16);
      break;
    default:
      break;
  }
}

}  // namespace kiln::record

#include "process/process_snapshot.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>

#include "process/process_maps.h"

namespace kiln::process {
namespace {

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The last NSpid entry: the pid the process has in its own namespace (it names its perf map).
pid_t namespace_pid(pid_t pid) {
  std::string status;
  if (!read_file("/proc/" + std::to_string(pid) + "/status", &status)) return pid;
  size_t pos = status.find("\nNSpid:");
  if (pos == std::string::npos) return pid;
  size_t eol = status.find('\n', pos + 1);
  std::string line = status.substr(pos + 7, eol - pos - 7);
  pid_t last = pid;
  char* p = line.data();
  for (char* end; *p; p = end) {
    long value = strtol(p, &end, 10);
    if (end == p) break;
    last = static_cast<pid_t>(value);
  }
  return last;
}

// True when the process can no longer be read through /proc: gone, or a zombie (whose root
// and map_files are gone with its mappings).
bool exited(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  char root[PATH_MAX];
  return readlink(("/proc/" + std::to_string(pid) + "/root").c_str(), root, sizeof root) < 0 &&
         errno == ENOENT;
}

}  // namespace

int open_mapped_file(pid_t pid, const Mapping& m) {
  char map_file[96];
  snprintf(map_file, sizeof map_file, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m.start,
           m.end);
  int fd = open(map_file, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  const bool gone = exited(pid);
  // The process's own view of the path while it lives; once it has exited, kiln's.
  const std::string path = gone ? m.path : "/proc/" + std::to_string(pid) + "/root" + m.path;
  fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  // Replaced since it was mapped (or, in kiln's file system, another file by that name).
  if (fstat(fd, &st) != 0 || st.st_ino != m.inode || (gone && st.st_dev != m.device)) {
    close(fd);
    errno = ESTALE;
    return -1;
  }
  return fd;
}

namespace {

// The reason and the fix for a failed open_mapped_file, from its errno.
std::string why_mapped_file_unreadable(pid_t pid, int error) {
  if (error == ESTALE) return "the file was replaced on disk after the process mapped it";
  if (exited(pid)) return "the process exited while it was read, and the file is gone";
  std::string why = strerror(error);
  if (geteuid() != 0) why += " (kiln needs root to read /proc/PID/map_files)";
  return why;
}

// Opens the binary of a mapping the kernel recorded: in the process's file system while it
// lives, else in kiln's. A file whose build-id (or, without one, inode) is not the recorded one
// was replaced since the process mapped it, and is not read in its place.
std::shared_ptr<const Binary> open_recorded_binary(pid_t pid, const SnapshotMapping& sm,
                                                   BinaryCache& binaries, ProblemLog& log) {
  if (!sm.build_id.empty())
    if (auto known = binaries.with_build_id(sm.build_id)) return known;
  const std::string& path = sm.path;
  std::string root = "/proc/" + std::to_string(pid) + "/root";
  int fd = open((root + path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    root.clear();
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  const std::string of_process = path + " of process " + std::to_string(pid);
  if (fd < 0) {
    log.note(kMissingFile, "cannot open " + of_process + ": " + strerror(errno) +
                               " (the process has exited and the file is gone)");
    return nullptr;
  }
  const std::string replaced =
      "cannot read " + of_process + ": the file was replaced on disk after the process mapped it";
  struct stat st;
  if (sm.build_id.empty() && (fstat(fd, &st) != 0 || st.st_ino != sm.inode)) {
    close(fd);
    log.note(kMissingFile, replaced + " (another inode)");
    return nullptr;
  }
  std::shared_ptr<const Binary> binary = binaries.from_fd(fd, path, root);
  if (binary && !sm.build_id.empty() && binary->file->build_id() != sm.build_id) {
    log.note(kMissingFile, replaced + " (another build-id)");
    return nullptr;
  }
  return binary;
}

const SnapshotMapping* find_in(const std::vector<SnapshotMapping>& mappings, uint64_t address) {
  auto it = std::upper_bound(mappings.begin(), mappings.end(), address,
                             [](uint64_t a, const SnapshotMapping& m) { return a < m.start; });
  if (it == mappings.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

// Unique among all snapshots and images.
uint64_t next_generation() {
  static uint64_t generations = 0;
  return ++generations;
}

void sort_by_start(std::vector<SnapshotMapping>& mappings) {
  std::sort(mappings.begin(), mappings.end(),
            [](const SnapshotMapping& a, const SnapshotMapping& b) { return a.start < b.start; });
}

}  // namespace

bool ProcessSnapshot::take(pid_t pid, BinaryCache& binaries, ProblemLog& log) {
  if (recorded_) {
    if (!taken_) {
      taken_ = true;
      taken_at_ = std::chrono::steady_clock::now();
      pid_ = pid;
      namespace_pid_ = namespace_pid(pid);
    }
    open_recorded(binaries, log);
    return true;
  }
  std::vector<Mapping> maps;
  const bool read = read_process_maps(pid, &maps);
  // A zombie's maps are empty: an earlier snapshot of the live process is worth more.
  const auto executable = [](const Mapping& m) { return m.executable; };
  if (read && !mappings_.empty() && std::none_of(maps.begin(), maps.end(), executable)) return true;
  if (!read) {
    if (!taken_) {
      log.note(kExitedProcess,
               "process " + std::to_string(pid) +
                   " exited before it could be snapshotted; its frames show as [unknown]");
    }
    return taken_;
  }
  taken_ = true;
  taken_at_ = std::chrono::steady_clock::now();
  pid_ = pid;
  namespace_pid_ = namespace_pid(pid);
  std::string root = "/proc/" + std::to_string(pid) + "/root";
  std::map<std::string, std::shared_ptr<const Binary>> opened;  // path -> binary, this pass
  std::vector<SnapshotMapping> result;
  for (Mapping& m : maps) {
    if (!m.executable) continue;
    SnapshotMapping sm;
    if (m.path == "[vdso]") {
      sm.binary = binaries.vdso();
      sm.name = "[vdso]";
    } else if (m.path.starts_with("/") && m.inode != 0) {
      auto it = opened.find(m.path);
      if (it == opened.end()) {
        int fd = open_mapped_file(pid, m);
        const int open_error = errno;  // before the message's allocations
        std::shared_ptr<const Binary> binary;
        if (fd < 0) {
          log.note(kMissingFile, "cannot open " + m.path + " of process " + std::to_string(pid) +
                                     ": " + why_mapped_file_unreadable(pid, open_error));
        } else {
          binary = binaries.from_fd(fd, m.path, root);
        }
        it = opened.emplace(m.path, binary).first;
      }
      sm.binary = it->second;
      sm.name = base_name(m.path);
    } else {
      sm.name = m.path.empty() || m.path.starts_with("[anon") || m.path.starts_with("/memfd:")
                    ? "[anon]"
                    : m.path;
    }
    sm.start = m.start;
    sm.end = m.end;
    sm.offset = m.offset;
    sm.inode = m.inode;
    sm.path = std::move(m.path);
    result.push_back(std::move(sm));
  }
  sort_by_start(result);
  mappings_ = std::move(result);
  changed();
  if (!perf_map_) {
    perf_map_looked_for_ = {};
    perf_map();
  }
  return true;
}

bool ProcessSnapshot::refresh(BinaryCache& binaries, ProblemLog& log,
                              std::chrono::milliseconds min_age) {
  if (std::chrono::steady_clock::now() - taken_at_ < min_age) return false;
  std::chrono::steady_clock::time_point before = taken_at_;
  take(pid_, binaries, log);
  return taken_at_ != before;
}

const SnapshotMapping* ProcessSnapshot::find(uint64_t address) const {
  if (const SnapshotMapping* current = find_in(mappings_, address)) return current;
  const EarlierImage* earlier = earlier_image(address);
  return earlier ? find_in(earlier->mappings, address) : nullptr;
}

const EarlierImage* ProcessSnapshot::earlier_image(uint64_t address) const {
  if (find_in(mappings_, address)) return nullptr;
  for (auto it = earlier_.rbegin(); it != earlier_.rend(); ++it)
    if (find_in(it->mappings, address)) return &*it;
  return nullptr;
}

void ProcessSnapshot::binaries(std::set<const Binary*>* binaries) const {
  for (const SnapshotMapping& sm : mappings_)
    if (sm.binary) binaries->insert(sm.binary.get());
  for (const EarlierImage& image : earlier_)
    for (const SnapshotMapping& sm : image.mappings)
      if (sm.binary) binaries->insert(sm.binary.get());
}

void ProcessSnapshot::changed() {
  generation_ = next_generation();
}

void ProcessSnapshot::record_exec() {
  if (!mappings_.empty()) earlier_.push_back({std::move(mappings_), generation_});
  mappings_.clear();
  recorded_ = true;
  exited_ = false;
  perf_map_.reset();  // the new program writes its own
  perf_map_looked_for_ = {};
  changed();
}

void ProcessSnapshot::inherit(const ProcessSnapshot& parent) {
  mappings_ = parent.mappings_;
  recorded_ = true;
  changed();
}

void ProcessSnapshot::record_mapping(const RecordedMapping& recorded, BinaryCache& binaries,
                                     ProblemLog& log) {
  SnapshotMapping sm;
  sm.start = recorded.start;
  sm.end = recorded.end;
  sm.offset = recorded.offset;
  sm.inode = recorded.inode;
  std::string path = recorded.path;
  static const std::string kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() && path.ends_with(kDeleted))
    path.resize(path.size() - kDeleted.size());
  if (path == "[vdso]") {
    sm.binary = binaries.vdso();
    sm.name = path;
  } else if (path.starts_with("/") && !path.starts_with("//anon") && !path.starts_with("/memfd:")) {
    sm.name = base_name(path);
    sm.path = std::move(path);
    sm.build_id = recorded.build_id;
    sm.unopened = true;
  } else {
    sm.name = path.starts_with("[") && !path.starts_with("[anon") ? path : "[anon]";
  }
  // What the new mapping covers of the older ones is gone (mmap with MAP_FIXED replaces it).
  std::vector<SnapshotMapping> kept;
  kept.reserve(mappings_.size() + 2);
  for (SnapshotMapping& old : mappings_) {
    if (old.end <= sm.start || old.start >= sm.end) {
      kept.push_back(std::move(old));
      continue;
    }
    if (old.start < sm.start) {
      SnapshotMapping& left = kept.emplace_back(old);
      left.end = sm.start;
    }
    if (old.end > sm.end) {
      SnapshotMapping& right = kept.emplace_back(old);
      right.offset += sm.end - old.start;
      right.start = sm.end;
    }
  }
  kept.push_back(std::move(sm));
  sort_by_start(kept);
  mappings_ = std::move(kept);
  changed();
  if (taken_) open_recorded(binaries, log);
}

void ProcessSnapshot::open_recorded(BinaryCache& binaries, ProblemLog& log) {
  // True if it opened any.
  const auto open_all = [&](std::vector<SnapshotMapping>& mappings) {
    bool opened = false;
    for (SnapshotMapping& sm : mappings) {
      if (!sm.unopened) continue;
      sm.unopened = false;
      opened = true;
      // A binary mapped once per segment is opened once.
      for (const SnapshotMapping& other : mappings)
        if (!other.unopened && other.binary && other.path == sm.path &&
            other.build_id == sm.build_id && other.inode == sm.inode)
          sm.binary = other.binary;
      if (!sm.binary) sm.binary = open_recorded_binary(pid_, sm, binaries, log);
    }
    return opened;
  };
  if (open_all(mappings_)) changed();
  for (EarlierImage& image : earlier_)
    if (open_all(image.mappings)) image.generation = next_generation();
}

PerfMap* ProcessSnapshot::perf_map() {
  if (perf_map_) return perf_map_.get();
  // A JIT may create its map later; look again at most once a second.
  auto now = std::chrono::steady_clock::now();
  if (now - perf_map_looked_for_ < std::chrono::seconds(1)) return nullptr;
  perf_map_looked_for_ = now;
  auto map = std::make_unique<PerfMap>();
  std::string name = "/tmp/perf-" + std::to_string(namespace_pid_) + ".map";
  if (map->open("/proc/" + std::to_string(pid_) + "/root" + name) ||
      map->open("/tmp/perf-" + std::to_string(pid_) + ".map")) {
    perf_map_ = std::move(map);
  }
  return perf_map_.get();
}

}  // namespace kiln::process

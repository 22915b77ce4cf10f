#include "process_snapshot.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

namespace kiln::symbolizer {
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

// Opens the file behind a mapping while the process lives: map_files works for deleted and
// replaced binaries and across mount namespaces; /proc/PID/root/PATH is the fallback.
int open_mapped_file(pid_t pid, const Mapping& m) {
  char map_file[96];
  snprintf(map_file, sizeof map_file, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m.start,
           m.end);
  int fd = open(map_file, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  std::string rooted = "/proc/" + std::to_string(pid) + "/root" + m.path;
  fd = open(rooted.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_ino != m.inode) {  // replaced since it was mapped
    close(fd);
    errno = ESTALE;
    return -1;
  }
  return fd;
}

// The reason and the fix for a failed open_mapped_file, from its errno.
std::string why_mapped_file_unreadable(pid_t pid, int error) {
  if (error == ESTALE) return "the file was replaced on disk after the process mapped it";
  if (kill(pid, 0) != 0 && errno == ESRCH) return "the process exited while it was read";
  std::string why = strerror(error);
  if (geteuid() != 0) why += " (kiln needs root to read /proc/PID/map_files)";
  return why;
}

}  // namespace

bool ProcessSnapshot::take(pid_t pid, ModuleCache& modules, ProblemLog& log) {
  std::vector<Mapping> maps;
  const bool read = read_process_maps(pid, &maps);
  // A zombie's maps are empty: an earlier snapshot of the live process is worth more.
  const auto executable = [](const Mapping& m) { return m.executable; };
  if (read && !mappings_.empty() && std::none_of(maps.begin(), maps.end(), executable)) return true;
  if (!read) {
    if (!taken_) {
      log.note(ProblemLog::kExitedProcess,
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
  std::map<std::string, std::shared_ptr<BinaryModule>> opened;  // path -> module, this pass
  std::vector<SnapshotMapping> result;
  for (Mapping& m : maps) {
    if (!m.executable) continue;
    SnapshotMapping sm;
    if (m.path == "[vdso]") {
      sm.module = modules.vdso();
      sm.name = "[vdso]";
    } else if (m.path.starts_with("/") && m.inode != 0) {
      auto it = opened.find(m.path);
      if (it == opened.end()) {
        int fd = open_mapped_file(pid, m);
        const int open_error = errno;  // before the message's allocations
        std::shared_ptr<BinaryModule> module;
        if (fd < 0) {
          log.note(ProblemLog::kMissingFile, "cannot open " + m.path + " of process " +
                                                 std::to_string(pid) + ": " +
                                                 why_mapped_file_unreadable(pid, open_error));
        } else {
          module = modules.from_fd(fd, m.path, root);
        }
        it = opened.emplace(m.path, module).first;
      }
      sm.module = it->second;
      sm.name = base_name(m.path);
    } else {
      sm.name = m.path.empty() || m.path.starts_with("[anon") || m.path.starts_with("/memfd:")
                    ? "[anon]"
                    : m.path;
    }
    sm.mapping = std::move(m);
    result.push_back(std::move(sm));
  }
  std::sort(result.begin(), result.end(), [](const SnapshotMapping& a, const SnapshotMapping& b) {
    return a.mapping.start < b.mapping.start;
  });
  mappings_ = std::move(result);
  static uint64_t generations = 0;
  generation_ = ++generations;
  if (!perf_map_) {
    perf_map_looked_for_ = {};
    perf_map();
  }
  return true;
}

bool ProcessSnapshot::refresh(ModuleCache& modules, ProblemLog& log,
                              std::chrono::milliseconds min_age) {
  if (std::chrono::steady_clock::now() - taken_at_ < min_age) return false;
  std::chrono::steady_clock::time_point before = taken_at_;
  take(pid_, modules, log);
  return taken_at_ != before;
}

const SnapshotMapping* ProcessSnapshot::find(uint64_t address) const {
  auto it =
      std::upper_bound(mappings_.begin(), mappings_.end(), address,
                       [](uint64_t a, const SnapshotMapping& m) { return a < m.mapping.start; });
  if (it == mappings_.begin()) return nullptr;
  --it;
  return address < it->mapping.end ? &*it : nullptr;
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

}  // namespace kiln::symbolizer

#include "process/process_maps.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace kiln::process {

bool read_file(const std::string& path, std::string* contents) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  contents->clear();
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) contents->append(buf, static_cast<size_t>(n));
  close(fd);
  return n == 0;
}

std::vector<Mapping> parse_maps(const std::string& text) {
  std::vector<Mapping> mappings;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    Mapping m;
    char perms[8] = {};
    unsigned dev_major = 0, dev_minor = 0;
    int path_start = 0;
    if (sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
               &m.start, &m.end, perms, &m.offset, &dev_major, &dev_minor, &m.inode,
               &path_start) < 7) {
      continue;
    }
    m.device = makedev(dev_major, dev_minor);
    m.executable = perms[2] == 'x';
    if (path_start > 0 && static_cast<size_t>(path_start) <= line.size()) {
      m.path = line.substr(static_cast<size_t>(path_start));
    }
    static const char kDeleted[] = " (deleted)";
    if (m.path.size() > strlen(kDeleted) && m.path.ends_with(kDeleted)) {
      m.path.resize(m.path.size() - strlen(kDeleted));
    }
    mappings.push_back(std::move(m));
  }
  return mappings;
}

bool read_process_maps(pid_t pid, std::vector<Mapping>* mappings) {
  std::string text;
  if (!read_file("/proc/" + std::to_string(pid) + "/maps", &text)) return false;
  *mappings = parse_maps(text);
  return true;  // kernel threads have no mappings
}

}  // namespace kiln::process

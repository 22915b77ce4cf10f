// /proc/PID/maps parsed into mappings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::process {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;  // file offset of `start`
  uint64_t inode = 0;
  uint64_t device = 0;  // of the file, as stat's st_dev (makedev of the maps' major:minor)
  bool executable = false;
  std::string path;  // file path, "[vdso]", "[heap]", "[stack]", "" for anonymous memory
};

// Parses maps text (the format of /proc/PID/maps).
std::vector<Mapping> parse_maps(const std::string& text);
// Reads /proc/PID/maps; false when the process is gone or unreadable (a kernel thread reads
// as no mappings).
bool read_process_maps(pid_t pid, std::vector<Mapping>* mappings);
// Reads a whole file (for /proc files whose size reads as 0).
bool read_file(const std::string& path, std::string* contents);

}  // namespace kiln::process

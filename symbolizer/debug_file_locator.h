// Finds the separate debug file of a binary: by build-id
// (DIR/.build-id/xx/rest.debug) and by .gnu_debuglink (beside the binary, in its .debug/
// folder, under DIR/<binary's folder>/), checking the debuglink CRC.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "symbolizer/process_layer.h"

namespace kiln::symbolizer {

class DebugFileLocator {
 public:
  explicit DebugFileLocator(std::vector<std::string> debug_directories)
      : debug_directories_(std::move(debug_directories)) {}

  // The debug file of `binary`, whose path as seen by its process is `binary_path`
  // (`root` is prefixed when opening files beside it, e.g. "/proc/PID/root"); nullptr when
  // none is found.
  std::unique_ptr<ElfFile> find(const ElfFile& binary, const std::string& binary_path,
                                const std::string& root) const;

 private:
  std::vector<std::string> debug_directories_;
};

// CRC-32 of a whole file as used by .gnu_debuglink; false if it cannot be read.
bool file_crc32(int fd, uint32_t* crc);

}  // namespace kiln::symbolizer

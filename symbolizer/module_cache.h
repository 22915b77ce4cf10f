// Parsed binaries shared by all processes and files: keyed by build-id, else by device,
// inode, size and mtime, so a hundred processes of one binary cost one parse.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "binary_module.h"
#include "debug_file_locator.h"
#include "debuginfod_client.h"
#include "problem_log.h"

namespace kiln::symbolizer {

class ModuleCache {
 public:
  // Separate debug files are looked for in options.debug_directories, then (when
  // options.debuginfod) asked of the servers in DEBUGINFOD_URLS.
  ModuleCache(const SymbolizerOptions& options, ProblemLog* log)
      : locator_(options.debug_directories),
        debuginfod_(options.debuginfod
                        ? DebuginfodClient::from_environment(options.debuginfod_progress, log)
                        : nullptr),
        log_(log) {}

  // The module of an open file (`fd` is taken over); `path` is the file's path as its process
  // sees it and `root` the prefix that reaches its file system. nullptr if it is not ELF.
  std::shared_ptr<BinaryModule> from_fd(int fd, const std::string& path, const std::string& root);
  // The module at `path` in kiln's own file system; nullptr (and a counted problem) if none.
  std::shared_ptr<BinaryModule> from_path(const std::string& path);
  // The module of the binary with this build-id (lowercase hex) if one was parsed already.
  std::shared_ptr<BinaryModule> with_build_id(const std::string& build_id) const {
    auto it = by_build_id_.find(build_id);
    return it == by_build_id_.end() ? nullptr : it->second;
  }
  // The kernel's vDSO image, read from kiln's own address space (the same for every process).
  std::shared_ptr<BinaryModule> vdso();
  size_t parsed() const { return parsed_; }

 private:
  DebugFileLocator locator_;
  std::unique_ptr<DebuginfodClient> debuginfod_;  // nullptr: not asked
  ProblemLog* log_;
  std::map<std::string, std::shared_ptr<BinaryModule>> by_identity_;  // dev:ino:size:mtime
  std::map<std::string, std::shared_ptr<BinaryModule>> by_build_id_;
  std::shared_ptr<BinaryModule> vdso_;
  bool vdso_tried_ = false;
  size_t parsed_ = 0;
};

}  // namespace kiln::symbolizer

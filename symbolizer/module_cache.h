// The parsed symbols, DWARF and debug file of each binary the process layer opened, made when
// the binary is opened (its debug file is found while its process's root still exists) and
// kept until the process layer forgets the binary.
#pragma once

#include <memory>
#include <unordered_map>

#include "symbolizer/binary_module.h"
#include "symbolizer/debug_file_locator.h"
#include "symbolizer/debuginfod_client.h"
#include "symbolizer/process_layer.h"

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

  // The module of `binary`, made now if it was not yet.
  BinaryModule& of(const process::Binary& binary) {
    std::unique_ptr<BinaryModule>& module = modules_[&binary];
    if (!module) {
      // Every function of the vDSO (an image read from memory) is exported, so no debuginfod
      // server is asked for it.
      DebuginfodClient* debuginfod = binary.file->fd() >= 0 ? debuginfod_.get() : nullptr;
      module = std::make_unique<BinaryModule>(binary, locator_, debuginfod, log_);
    }
    return *module;
  }
  void forget(const process::Binary& binary) { modules_.erase(&binary); }
  DebuginfodStats debuginfod_stats() const {
    return debuginfod_ ? debuginfod_->stats() : DebuginfodStats{};
  }

 private:
  DebugFileLocator locator_;
  std::unique_ptr<DebuginfodClient> debuginfod_;  // nullptr: not asked
  ProblemLog* log_;
  std::unordered_map<const process::Binary*, std::unique_ptr<BinaryModule>> modules_;
};

}  // namespace kiln::symbolizer

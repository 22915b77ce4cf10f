// Separate debug files by build-id from the debuginfod servers named in DEBUGINFOD_URLS,
// through elfutils' libdebuginfod, which keeps its own cache (DEBUGINFOD_CACHE_PATH) and
// settings. The library is loaded at the first request, so a run that needs none (or has no
// DEBUGINFOD_URLS) neither loads libcurl nor waits for it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "symbolizer/process_layer.h"
#include "symbolizer/symbolizer.h"

typedef struct debuginfod_client debuginfod_client;

namespace kiln::symbolizer {

class DebuginfodClient {
 public:
  // nullptr when DEBUGINFOD_URLS is unset or empty: nothing is ever asked then. `progress`:
  // while a server is asked, a line on stderr says for which binary and how much has come.
  static std::unique_ptr<DebuginfodClient> from_environment(bool progress, ProblemLog* log);
  ~DebuginfodClient();
  DebuginfodClient(const DebuginfodClient&) = delete;
  DebuginfodClient& operator=(const DebuginfodClient&) = delete;

  // The debug file whose build-id is `build_id` (lowercase hex), for the binary `binary` (named
  // in messages), from the cache or the servers; counted in stats().
  // nullptr when no server has it, or when the servers could not be reached: after such a
  // failure no more requests are made in this run, so a dead server costs one timeout.
  std::unique_ptr<ElfFile> find_debuginfo(const std::string& build_id, const std::string& binary);
  const DebuginfodStats& stats() const { return stats_; }

 private:
  DebuginfodClient(std::string urls, bool progress, ProblemLog* log)
      : urls_(std::move(urls)), progress_(progress), log_(log) {}
  static int on_progress(debuginfod_client* client, long done, long total);
  void show_progress(long done, long total);
  bool start();
  void give_up(const std::string& reason);

  std::string urls_;
  bool progress_;
  ProblemLog* log_;
  DebuginfodStats stats_;
  debuginfod_client* client_ = nullptr;
  bool started_ = false;
  bool failed_ = false;                      // a request failed: ask no more
  bool asked_server_ = false;                // the current request went to a server (not the cache)
  const std::string* asking_for_ = nullptr;  // the binary of the current request
  std::chrono::steady_clock::time_point shown_;  // when the progress line was last written
};

}  // namespace kiln::symbolizer

#include "symbolizer/debuginfod_client.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kiln::symbolizer {
namespace {

// libdebuginfod's default timeout is 90 s per attempt with 2 retries: minutes of a profiler
// stalled on an unreachable server. Unless the user set them, kiln's requests wait at most
// 10 s for a server that sends nothing (connecting, or less than 100 KB in that time) and
// are not retried.
constexpr const char* kDefaultTimeout = "10";
constexpr const char* kDefaultRetryLimit = "0";

// libdebuginfod's entry points, from libdebuginfod.so.1 opened once per process at the first
// request (linking it would load libcurl and its dependencies at every start of kiln). It stays
// loaded until the process ends, as libdw keeps it: libcurl and OpenSSL keep global state that
// is not meant to be unloaded (and the leak checker would count that state as leaked).
struct Library {
  Library() {
    handle = dlopen(DEBUGINFOD_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!handle) {
      const char* reason = dlerror();
      error = reason ? reason : "dlopen failed";
      return;
    }
    begin = reinterpret_cast<decltype(begin)>(dlsym(handle, "debuginfod_begin"));
    find = reinterpret_cast<decltype(find)>(dlsym(handle, "debuginfod_find_debuginfo"));
    set_progressfn =
        reinterpret_cast<decltype(set_progressfn)>(dlsym(handle, "debuginfod_set_progressfn"));
    set_user_data =
        reinterpret_cast<decltype(set_user_data)>(dlsym(handle, "debuginfod_set_user_data"));
    get_user_data =
        reinterpret_cast<decltype(get_user_data)>(dlsym(handle, "debuginfod_get_user_data"));
    end = reinterpret_cast<decltype(end)>(dlsym(handle, "debuginfod_end"));
    if (!begin || !find || !set_progressfn || !set_user_data || !get_user_data || !end)
      error = std::string(DEBUGINFOD_SONAME) + " lacks the functions of elfutils 0.188";
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  void* handle = nullptr;
  std::string error;  // empty: every function below was found
  decltype(&debuginfod_begin) begin = nullptr;
  decltype(&debuginfod_find_debuginfo) find = nullptr;
  decltype(&debuginfod_set_progressfn) set_progressfn = nullptr;
  decltype(&debuginfod_set_user_data) set_user_data = nullptr;
  decltype(&debuginfod_get_user_data) get_user_data = nullptr;
  decltype(&debuginfod_end) end = nullptr;
};

const Library& library() {
  static const Library instance;
  return instance;
}

// Sets an environment variable for the lifetime of the object unless the user set it.
// libdebuginfod reads its settings from the environment at each request; the variable is
// gone again before kiln could start another program.
class DefaultSetting {
 public:
  DefaultSetting(const char* name, const char* value)
      : name_(name), set_here_(std::getenv(name) == nullptr) {
    if (set_here_) setenv(name, value, 0);
  }
  ~DefaultSetting() {
    if (set_here_) unsetenv(name_);
  }
  DefaultSetting(const DefaultSetting&) = delete;
  DefaultSetting& operator=(const DefaultSetting&) = delete;

 private:
  const char* name_;
  bool set_here_;
};

std::string setting(const char* name, const char* kiln_default) {
  const char* value = std::getenv(name);
  return std::string(name) + "=" +
         (value ? value : std::string(kiln_default) + " by kiln's default");
}

}  // namespace

std::unique_ptr<DebuginfodClient> DebuginfodClient::from_environment(bool progress,
                                                                     ProblemLog* log) {
  const char* urls = std::getenv(DEBUGINFOD_URLS_ENV_VAR);
  if (!urls || !*urls) return nullptr;
  return std::unique_ptr<DebuginfodClient>(new DebuginfodClient(urls, progress, log));
}

DebuginfodClient::~DebuginfodClient() {
  if (client_) library().end(client_);
}

int DebuginfodClient::on_progress(debuginfod_client* client, long done, long total) {
  // Called only while a server is asked (about once a second, and as data comes): never for
  // an answer from the cache.
  auto* self = static_cast<DebuginfodClient*>(library().get_user_data(client));
  self->asked_server_ = true;
  if (self->progress_) self->show_progress(done, total);
  return 0;
}

void DebuginfodClient::show_progress(long done, long total) {
  const auto now = std::chrono::steady_clock::now();
  if (now - shown_ < std::chrono::milliseconds(100)) return;
  shown_ = now;
  // Until the server answers, libdebuginfod passes no total (and no byte count in `done`).
  if (total >= 1000000) {
    std::fprintf(stderr, "\r\033[Kkiln: debuginfod: the debug file of %s: %.1f of %.1f MB",
                 asking_for_->c_str(), static_cast<double>(done) / 1e6,
                 static_cast<double>(total) / 1e6);
  } else if (total > 0) {
    std::fprintf(stderr, "\r\033[Kkiln: debuginfod: the debug file of %s: %ld of %ld kB",
                 asking_for_->c_str(), done / 1000, total / 1000);
  } else {
    std::fprintf(stderr, "\r\033[Kkiln: debuginfod: asking for the debug file of %s",
                 asking_for_->c_str());
  }
  std::fflush(stderr);
}

bool DebuginfodClient::start() {
  started_ = true;
  const Library& lib = library();
  if (!lib.error.empty()) {
    give_up("cannot load " + std::string(DEBUGINFOD_SONAME) + " (" + lib.error +
            "): install it (apt-get install libdebuginfod1)");
    return false;
  }
  client_ = lib.begin();
  if (!client_) {
    give_up(std::string("debuginfod_begin failed: ") + strerror(errno));
    return false;
  }
  lib.set_user_data(client_, this);
  lib.set_progressfn(client_, on_progress);
  return true;
}

void DebuginfodClient::give_up(const std::string& reason) {
  failed_ = true;
  ++stats_.failed;
  log_->note(kDebuginfodFailed,
             "debuginfod: " + reason +
                 "; no more debug files are asked for in this run, so frames of stripped "
                 "binaries may stay unnamed (check DEBUGINFOD_URLS, or pass --no-debuginfod)");
}

std::unique_ptr<ElfFile> DebuginfodClient::find_debuginfo(const std::string& build_id,
                                                          const std::string& binary) {
  if (failed_ || (!started_ && !start())) {
    ++stats_.failed;
    log_->note(kDebuginfodFailed, "");  // counted; the reason was given once
    return nullptr;
  }
  DebuginfodStats& stats = stats_;
  asked_server_ = false;
  asking_for_ = &binary;
  shown_ = {};
  const auto begin = std::chrono::steady_clock::now();
  int fd;
  {
    const DefaultSetting timeout(DEBUGINFOD_TIMEOUT_ENV_VAR, kDefaultTimeout);
    const DefaultSetting retries(DEBUGINFOD_RETRY_LIMIT_ENV_VAR, kDefaultRetryLimit);
    // A length of 0 tells libdebuginfod that the build-id is given as a hex string.
    fd = library().find(client_, reinterpret_cast<const unsigned char*>(build_id.c_str()), 0,
                        nullptr);
  }
  if (progress_ && asked_server_) std::fputs("\r\033[K", stderr);  // the line is erased
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  stats.seconds += seconds;
  if (fd == -ENOENT) {
    ++stats.missing;
    return nullptr;
  }
  if (fd < 0) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
    give_up("cannot get the debug file of " + binary + " (build-id " + build_id + ") from " +
            urls_ + ": " + strerror(-fd) + " after " + elapsed + " (" +
            setting(DEBUGINFOD_TIMEOUT_ENV_VAR, kDefaultTimeout) + "; " +
            setting(DEBUGINFOD_RETRY_LIMIT_ENV_VAR, kDefaultRetryLimit) + ")");
    return nullptr;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  std::string error;
  auto file = ElfFile::from_fd(fd, &error);
  if (!file || file->build_id() != build_id) {
    log_->note(kCorruptFile,
               binary + ": the debug file debuginfod gave for build-id " + build_id + " is " +
                   (file ? "of build-id " + file->build_id() : "not ELF (" + error + ")") +
                   "; its frames keep the binary's own names");
    return nullptr;
  }
  ++(asked_server_ ? stats.fetched : stats.cached);
  return file;
}

}  // namespace kiln::symbolizer

// The wait for the end of a recording: duration, SIGINT/SIGTERM, or the command's exit, while
// process announcements are consumed and a progress line is kept up to date on a terminal.
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "record/errors.h"
#include "record/record_loop.h"

namespace kiln::record {

namespace {

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Pidfds of the watched targets: each becomes readable when its process (or thread) exits.
class TargetExitWatch {
 public:
  TargetExitWatch(const std::vector<pid_t>& targets, int epoll) {
    for (const pid_t target : targets) {
      // PIDFD_THREAD (O_EXCL, Linux 6.9) lets a thread id be watched; a process id works either
      // way.
      int fd = static_cast<int>(syscall(SYS_pidfd_open, target, O_EXCL));
      if (fd < 0) fd = static_cast<int>(syscall(SYS_pidfd_open, target, 0));
      if (fd < 0) {
        // A target that exited while kiln started counts as exited (else -p would record on to
        // -d, or forever); one that cannot be watched leaves the other stop conditions.
        if (errno == ESRCH) {
          ++watched_;
          ++exited_;
        }
        continue;
      }
      ++watched_;
      fds_.push_back(fd);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    }
  }
  ~TargetExitWatch() {
    for (const int fd : fds_) close(fd);
  }
  TargetExitWatch(const TargetExitWatch&) = delete;
  TargetExitWatch& operator=(const TargetExitWatch&) = delete;

  bool owns(int fd) const { return std::find(fds_.begin(), fds_.end(), fd) != fds_.end(); }
  // Marks `fd` as exited; true when every watched target has exited.
  bool exited(int fd, int epoll) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
    ++exited_;
    return all_exited();
  }
  bool all_exited() const { return watched_ > 0 && exited_ == watched_; }

 private:
  std::vector<int> fds_;
  size_t watched_ = 0;  // targets watched through fds_ or found gone at the start
  size_t exited_ = 0;
};

class EpollFd {
 public:
  EpollFd() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) throw EnvironmentError("epoll_create1: " + std::string(strerror(errno)));
  }
  ~EpollFd() { close(fd_); }
  EpollFd(const EpollFd&) = delete;
  EpollFd& operator=(const EpollFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

StopSignals::StopSignals() {
  const sigset_t set = stop_signal_set();
  sigprocmask(SIG_BLOCK, &set, nullptr);
  fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) throw EnvironmentError("signalfd: " + std::string(strerror(errno)));
}

StopSignals::~StopSignals() {
  close(fd_);
  const sigset_t set = stop_signal_set();
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

RecordLoopOptions record_loop_options(const TargetSpec& targets, ChildCommand* command,
                                      ProcessTracker& tracker, double duration_seconds,
                                      bool progress) {
  RecordLoopOptions options;
  options.duration_seconds = duration_seconds;
  options.command = command;
  options.watched = watched_targets(targets);
  options.tracker = &tracker;
  options.progress = progress;
  return options;
}

StopReason run_until_stopped(const StopSignals& signals, const RecordLoopOptions& options) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const EpollFd epoll_fd;
  const int epoll = epoll_fd.get();
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = signals.fd();
  epoll_ctl(epoll, EPOLL_CTL_ADD, signals.fd(), &event);
  if (options.tracker) {
    event.data.fd = options.tracker->epoll_fd();
    epoll_ctl(epoll, EPOLL_CTL_ADD, options.tracker->epoll_fd(), &event);
  }
  for (const auto* sources : {&options.process_records, &options.sources}) {
    for (const EventSource& source : *sources) {
      event.data.fd = source.fd;
      epoll_ctl(epoll, EPOLL_CTL_ADD, source.fd, &event);
    }
  }
  TargetExitWatch targets(options.watched, epoll);
  const auto source_of = [](const std::vector<EventSource>& sources, int fd) -> const EventSource* {
    for (const EventSource& source : sources)
      if (source.fd == fd) return &source;
    return nullptr;
  };
  // What processes there are and what they map, before any sample that needs it. Each
  // process-records source reads every CPU's records: the first is enough.
  const auto learn_processes = [&options] {
    if (!options.process_records.empty()) options.process_records.front().on_ready();
    if (options.tracker) options.tracker->consume();
  };
  const std::function<void()> read_sources = [&options, &learn_processes] {
    learn_processes();
    for (const EventSource& source : options.sources) source.on_ready();
  };

  StopReason reason = StopReason::kDuration;
  bool stopped = false;
  Clock::time_point next_progress = start;
  Clock::time_point next_periodic = start + options.periodic_interval;
  // A command that exited before we started waiting has left a pending SIGCHLD; check anyway.
  if (options.command && options.command->reap(false)) {
    reason = StopReason::kCommandExited;
    stopped = true;
  }
  if (targets.all_exited()) {
    reason = StopReason::kTargetsExited;
    stopped = true;
  }
  while (!stopped) {
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (options.duration_seconds > 0 && elapsed >= options.duration_seconds) break;
    if (options.progress && now >= next_progress) {
      const uint64_t samples = options.samples_so_far ? options.samples_so_far() : 0;
      std::fprintf(stderr, "\rkiln: recording %.0f s, %" PRIu64 " %s   ", elapsed, samples,
                   options.progress_unit);
      next_progress = now + std::chrono::seconds(1);
    }
    if (options.periodic && now >= next_periodic) {
      options.periodic(read_sources);
      next_periodic = now + options.periodic_interval;
    }
    int timeout_ms = 1000;
    if (options.duration_seconds > 0)
      timeout_ms =
          std::min(timeout_ms, static_cast<int>((options.duration_seconds - elapsed) * 1000) + 1);
    // Sources wake the loop only when their ring fills up (bpf/user_stack_copy.bpf.h): read them
    // on a short timer too, so that samples are unwound while their processes live.
    constexpr int kSourcePollMs = 50;
    if (!options.sources.empty()) timeout_ms = std::min(timeout_ms, kSourcePollMs);
    if (options.tracker) {
      options.tracker->refresh();
      const int due = options.tracker->refresh_due_ms();
      if (due >= 0) timeout_ms = std::min(timeout_ms, due);
    }
    epoll_event ready[8];
    const int n = epoll_wait(epoll, ready, 8, timeout_ms);
    if (n == 0 && !options.sources.empty()) read_sources();
    for (int i = 0; i < n; ++i) {
      if ((options.tracker && ready[i].data.fd == options.tracker->epoll_fd()) ||
          source_of(options.process_records, ready[i].data.fd)) {
        learn_processes();
        continue;
      }
      if (const EventSource* source = source_of(options.sources, ready[i].data.fd)) {
        learn_processes();
        source->on_ready();
        continue;
      }
      if (targets.owns(ready[i].data.fd)) {
        if (targets.exited(ready[i].data.fd, epoll)) {
          reason = StopReason::kTargetsExited;
          stopped = true;
        }
        continue;
      }
      signalfd_siginfo info;
      while (read(signals.fd(), &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGCHLD) {
          if (options.command && options.command->reap(false)) {
            reason = StopReason::kCommandExited;
            stopped = true;
          }
          continue;
        }
        reason = StopReason::kSignal;
        stopped = true;
      }
    }
  }
  read_sources();
  if (options.progress) std::fputs("\r\033[K", stderr);
  return reason;
}

}  // namespace kiln::record

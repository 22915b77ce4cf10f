// The off-CPU tracer (bpf/offcpu.bpf.c) against child processes that block in known ways: the
// blocked time of a sleeping thread, threads blocked before tracing started, --min-block-us,
// both attach types (tp_btf and its raw_tp fallback), and nothing left attached afterwards.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "record/offcpu_tracer.h"
#include "record/raw_profile.h"
#include "record/target_filter.h"
#include "record/targets.h"

namespace kiln::record {
namespace {

// Kernel function names by address, from /proc/kallsyms (root sees real addresses).
class KernelFunctions {
 public:
  KernelFunctions() {
    std::ifstream in("/proc/kallsyms");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string address, type, name;
      fields >> address >> type >> name;
      if (type == "t" || type == "T") starts_[std::stoull(address, nullptr, 16)] = name;
    }
  }
  std::string name(uint64_t address) const {
    auto it = starts_.upper_bound(address);
    if (it == starts_.begin()) return "";
    return std::prev(it)->second;
  }
  bool any_named(const std::vector<uint64_t>& stack, const std::vector<std::string>& names) const {
    return std::any_of(stack.begin(), stack.end(), [&](uint64_t address) {
      return std::find(names.begin(), names.end(), name(address)) != names.end();
    });
  }

 private:
  std::map<uint64_t, std::string> starts_;
};

// A child process that waits for `release()` (blocked in read on a pipe), then runs `body`.
class Child {
 public:
  explicit Child(std::function<void()> body) {
    int gate[2];
    EXPECT_EQ(pipe(gate), 0);
    pid_ = fork();
    if (pid_ == 0) {
      close(gate[1]);
      char byte;
      if (read(gate[0], &byte, 1) < 0) _exit(2);
      body();
      _exit(0);
    }
    close(gate[0]);
    gate_ = gate[1];
  }
  ~Child() {
    if (gate_ >= 0) close(gate_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void release() {
    released_ = std::chrono::steady_clock::now();
    close(gate_);
    gate_ = -1;
  }
  // Waits for the exit; returns the child's wall time since release and its CPU time.
  std::pair<double, double> reap() {
    int status = 0;
    rusage usage{};
    wait4(pid_, &status, 0, &usage);
    reaped_ = true;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - released_).count();
    const double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                       usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    return {wall, cpu};
  }

 private:
  pid_t pid_ = -1;
  int gate_ = -1;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point released_;
};

void sleep_loop(std::chrono::microseconds each, int times) {
  for (int i = 0; i < times; ++i) std::this_thread::sleep_for(each);
}

double seconds_of(const RawProfile& profile, pid_t pid,
                  const std::function<bool(const RawStack&)>& where = nullptr) {
  uint64_t total = 0;
  for (const RawStack& stack : profile.stacks)
    if (stack.pid == static_cast<uint32_t>(pid) && (!where || where(stack))) total += stack.weight;
  return total / 1e9;
}

TargetSpec only(pid_t pid) {
  TargetSpec spec;
  spec.pids = {pid};
  return spec;
}

// BPF needs root (or CAP_BPF and CAP_PERFMON): skip elsewhere.
class RootEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "off-CPU tracing tests need root";
  }
};
const auto* const root_environment = ::testing::AddGlobalTestEnvironment(new RootEnvironment);

class OffCpuTracerTest : public ::testing::TestWithParam<bool> {};

// A thread that sleeps in nanosleep for its whole life shows its wall time minus its CPU time,
// under a kernel stack through do_nanosleep; with tp_btf and with the raw_tp fallback.
TEST_P(OffCpuTracerTest, SleepingThreadBlockedTimeIsMeasured) {
  Child child([] { sleep_loop(std::chrono::milliseconds(5), 160); });
  OffCpuOptions options;
  options.raw_tracepoint = GetParam();
  OffCpuTracer tracer(TargetFilter(only(child.pid()), 0), options);
  EXPECT_EQ(tracer.uses_raw_tracepoint(), GetParam());
  tracer.attach(false);
  child.release();
  const auto [wall, cpu] = child.reap();
  tracer.detach();
  const RawProfile profile = tracer.drain();

  const double blocked = seconds_of(profile, child.pid());
  EXPECT_NEAR(blocked, wall - cpu, 0.05 * (wall - cpu)) << "wall " << wall << " cpu " << cpu;
  const KernelFunctions kernel;
  const double in_nanosleep = seconds_of(profile, child.pid(), [&](const RawStack& stack) {
    return kernel.any_named(stack.kernel, {"do_nanosleep", "hrtimer_nanosleep"});
  });
  EXPECT_GT(in_nanosleep, 0.95 * blocked);
  EXPECT_EQ(tracer.counters().lost(), 0u);
  EXPECT_GE(tracer.counters().samples, 150u);  // one block per sleep
  uint64_t blocks = 0;
  for (const RawStack& stack : profile.stacks)
    if (stack.pid == static_cast<uint32_t>(child.pid())) blocks += stack.events;
  EXPECT_EQ(blocks, tracer.counters().samples);  // every counted block, under its stack
}

INSTANTIATE_TEST_SUITE_P(AttachTypes, OffCpuTracerTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "raw_tp" : "tp_btf"; });

// A thread blocked before tracing starts and for all of it shows the whole traced time, under
// the kernel stack it is blocked in (pipe_read).
TEST(OffCpuTracer, ThreadBlockedForTheWholeRunShowsTheRunsDuration) {
  Child child([] {});  // stays blocked reading its gate until released
  OffCpuTracer tracer(TargetFilter(only(child.pid()), 0), OffCpuOptions{});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // surely blocked by now
  const auto start = std::chrono::steady_clock::now();
  tracer.attach(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  tracer.detach();
  const double traced =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const RawProfile profile = tracer.drain();

  EXPECT_EQ(tracer.offcpu_counters().blocked_at_start, 1u);
  EXPECT_EQ(tracer.offcpu_counters().still_blocked_at_end, 1u);
  EXPECT_NEAR(seconds_of(profile, child.pid()), traced, 0.05 * traced);
  const KernelFunctions kernel;
  EXPECT_NEAR(seconds_of(profile, child.pid(),
                         [&](const RawStack& stack) {
                           return kernel.any_named(stack.kernel, {"pipe_read", "anon_pipe_read"});
                         }),
              traced, 0.05 * traced);
  child.release();
  child.reap();
}

// A thread blocked at the start and woken during the run is counted from the start: its time
// to the wake-up plus its later sleeps.
TEST(OffCpuTracer, ThreadBlockedAtTheStartIsCountedFromTheStart) {
  Child child([] { sleep_loop(std::chrono::milliseconds(5), 60); });
  OffCpuTracer tracer(TargetFilter(only(child.pid()), 0), OffCpuOptions{});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  tracer.attach(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  child.release();
  const auto [wall, cpu] = child.reap();
  tracer.detach();
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - wall;
  const RawProfile profile = tracer.drain();
  const double expected = waited + wall - cpu;
  EXPECT_NEAR(seconds_of(profile, child.pid()), expected, 0.05 * expected);
}

// A thread that blocked and then ran until the end is not blocked at the end: only its sleeps
// count, not the time since its last one.
TEST(OffCpuTracer, ThreadRunningAtTheEndCountsOnlyItsBlocks) {
  Child child([] {
    sleep_loop(std::chrono::milliseconds(5), 40);
    for (uint64_t spin = 0;; ++spin) asm volatile("" : "+r"(spin));  // on CPU until killed
  });
  OffCpuTracer tracer(TargetFilter(only(child.pid()), 0), OffCpuOptions{});
  tracer.attach(false);
  child.release();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  tracer.detach();
  const double blocked = seconds_of(tracer.drain(), child.pid());
  EXPECT_EQ(tracer.offcpu_counters().still_blocked_at_end, 0u);
  EXPECT_GE(blocked, 0.19);  // 40 sleeps of at least 5 ms
  EXPECT_LT(blocked, 0.4);   // not the 0.8 s traced
}

// --min-block-us: blocks shorter than it are filtered out (and counted as such), longer ones
// are kept.
TEST(OffCpuTracer, MinBlockFiltersShortBlocks) {
  for (uint64_t min_us : {50ull, 5000ull}) {
    Child child([] { sleep_loop(std::chrono::microseconds(300), 400); });
    OffCpuOptions options;
    options.min_block_us = min_us;
    OffCpuTracer tracer(TargetFilter(only(child.pid()), 0), options);
    tracer.attach(false);
    child.release();
    const auto [wall, cpu] = child.reap();
    tracer.detach();
    const double blocked = seconds_of(tracer.drain(), child.pid());
    if (min_us == 50) {
      // Every 300 us sleep is a block of at least 300 us (a sleep cut short by preemption
      // is not a block).
      EXPECT_GE(tracer.counters().samples, 390u);
      EXPECT_GE(blocked, 390 * 300e-6);
      EXPECT_LE(blocked, wall);
      EXPECT_LT(tracer.offcpu_counters().below_min, 20u);
    } else {
      // A few sleeps can overshoot 5 ms on a busy machine; nearly all are filtered.
      EXPECT_LT(blocked, 0.1 * wall);
      EXPECT_GE(tracer.offcpu_counters().below_min, 380u);
    }
  }
}

std::vector<uint32_t> ids(uint32_t (*next)(uint32_t)) {
  std::vector<uint32_t> result;
  for (uint32_t id = next(0); id; id = next(id)) result.push_back(id);
  return result;
}
uint32_t next_prog(uint32_t id) {
  uint32_t next = 0;
  return bpf_prog_get_next_id(id, &next) == 0 ? next : 0;
}
uint32_t next_link(uint32_t id) {
  uint32_t next = 0;
  return bpf_link_get_next_id(id, &next) == 0 ? next : 0;
}

// Every program and link the tracer created is gone once it is destroyed.
TEST(OffCpuTracer, NothingLeftAttachedAfterDestruction) {
  const std::vector<uint32_t> progs_before = ids(next_prog), links_before = ids(next_link);
  std::vector<uint32_t> ours_progs, ours_links;
  {
    Child child([] { sleep_loop(std::chrono::milliseconds(5), 10); });
    TargetSpec spec = only(child.pid());
    OffCpuTracer tracer(TargetFilter(spec, 0), OffCpuOptions{});
    tracer.attach(true);
    for (uint32_t id : ids(next_prog))
      if (std::find(progs_before.begin(), progs_before.end(), id) == progs_before.end())
        ours_progs.push_back(id);
    for (uint32_t id : ids(next_link))
      if (std::find(links_before.begin(), links_before.end(), id) == links_before.end())
        ours_links.push_back(id);
    child.release();
    child.reap();
    tracer.detach();
  }
  EXPECT_GE(ours_progs.size(), 2u);  // sched_switch, exec (and fork/exit: following -p)
  EXPECT_GE(ours_links.size(), 2u);
  // The kernel frees programs after an RCU grace period: give it a moment.
  const auto alive = [](const std::vector<uint32_t>& ids, int (*get_fd)(uint32_t)) {
    std::vector<uint32_t> left;
    for (uint32_t id : ids)
      if (const int fd = get_fd(id); fd >= 0) {
        left.push_back(id);
        close(fd);
      }
    return left;
  };
  for (int attempt = 0; attempt < 50 && !alive(ours_progs, bpf_prog_get_fd_by_id).empty();
       ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(alive(ours_progs, bpf_prog_get_fd_by_id), std::vector<uint32_t>{});
  EXPECT_EQ(alive(ours_links, bpf_link_get_fd_by_id), std::vector<uint32_t>{});
}

}  // namespace
}  // namespace kiln::record

// The recording loop's stop conditions on real processes (no BPF: no privileges needed).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "record/record.h"

namespace kiln::record {
namespace {

// A process that has exited and been reaped: its pid names no process any more.
pid_t exited_process() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(RunUntilStopped, StopsAtOnceWhenEveryTargetExitedBeforeTheRecordingStarted) {
  // `kiln record -p PID` whose target exits while kiln loads its BPF programs.
  const StopSignals signals;
  RecordLoopOptions options;
  options.duration_seconds = 20;
  options.watched = {exited_process()};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run_until_stopped(signals, options), StopReason::kTargetsExited);
  EXPECT_LT(seconds_since(start), 1.0);
}

TEST(RunUntilStopped, WaitsForTheTargetThatIsStillRunning) {
  const StopSignals signals;
  const pid_t running = fork();
  if (running == 0) {
    usleep(300'000);
    _exit(0);
  }
  RecordLoopOptions options;
  options.duration_seconds = 20;
  options.watched = {exited_process(), running};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run_until_stopped(signals, options), StopReason::kTargetsExited);
  const double elapsed = seconds_since(start);
  waitpid(running, nullptr, 0);
  EXPECT_GT(elapsed, 0.2);
  EXPECT_LT(elapsed, 10.0);
}

}  // namespace
}  // namespace kiln::record

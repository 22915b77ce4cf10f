// `kiln record --wall`: on-CPU samples and off-CPU waits of the same threads in one session and
// one profile of time, and each thread's wall time split into running, runnable and blocked.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <map>
#include <utility>

#include "record/record_summary.h"
#include "record/sample_counters.h"
#include "record/target_filter.h"
#include "record/unwind_counters.h"
#include "record/wall_recording.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

using ThreadTimes = std::map<std::pair<uint32_t, uint32_t>, ThreadTime>;  // by tgid, tid

// Adds each thread's time from the stacks' nanoseconds.
void add_thread_times(const RawProfile& raw, ThreadTimes& by_thread) {
  for (const RawStack& stack : raw.stacks) {
    ThreadTime& thread = by_thread[{stack.tgid, stack.pid}];
    thread.tgid = stack.tgid;
    thread.tid = stack.pid;
    thread.comm = stack.comm;
    if (stack.state == 0)
      thread.on_cpu_ns += stack.weight;
    else if (stack.state == OFFCPU_STATE_RUNNABLE)
      thread.runnable_ns += stack.weight;
    else
      thread.off_cpu_ns += stack.weight;
  }
}

// The threads, longest wall time first.
std::vector<ThreadTime> longest_first(ThreadTimes by_thread) {
  std::vector<ThreadTime> threads;
  for (auto& [id, thread] : by_thread) threads.push_back(std::move(thread));
  std::stable_sort(threads.begin(), threads.end(), [](const ThreadTime& a, const ThreadTime& b) {
    return a.wall_ns() > b.wall_ns();
  });
  return threads;
}

// What the sampler and the tracer drained (in that order) as one profile of time in
// nanoseconds: each sample weighs its period.
RawProfile wall_time(std::vector<RawProfile> halves, unsigned hz) {
  RawProfile time = std::move(halves.at(0));
  const double sample_ns = 1e9 / hz;
  for (RawStack& stack : time.stacks)
    stack.weight =
        static_cast<uint64_t>(std::llround(static_cast<double>(stack.weight) * sample_ns));
  time.unit = RawUnit::kNanoseconds;
  for (RawStack& stack : halves.at(1).stacks) time.stacks.push_back(std::move(stack));
  return time;
}

struct TimeTotals {
  uint64_t on_cpu_ns = 0, runnable_ns = 0, off_cpu_ns = 0;
};
TimeTotals totals(const std::vector<ThreadTime>& threads) {
  TimeTotals sum;
  for (const ThreadTime& thread : threads) {
    sum.on_cpu_ns += thread.on_cpu_ns;
    sum.runnable_ns += thread.runnable_ns;
    sum.off_cpu_ns += thread.off_cpu_ns;
  }
  return sum;
}

}  // namespace

WallRecording record_wall(const TargetSpec& targets, const std::vector<int>& cpus,
                          const SamplerOptions& sampler_options, const OffCpuOptions& off_cpu,
                          ChildCommand* command, const StopSignals& signals,
                          symbolizer::Symbolizer& symbolizer) {
  const TargetFilter filter(targets, command ? command->pid() : 0);
  unwind::UserStackUnwinder unwinder(symbolizer.processes());
  OnCpuSampler sampler(filter, cpus, sampler_options, &unwinder);
  OffCpuOptions waits = off_cpu;
  // Every wait counts, however short, and so does the wait for a CPU: a thread's samples and
  // waits then add up to its time.
  waits.min_block_us = 0;
  waits.max_block_us = 0;
  waits.states = OFFCPU_STATE_BLOCKED | OFFCPU_STATE_RUNNABLE;
  OffCpuTracer tracer(filter, waits, &unwinder);
  // Each thread's time: of the processes handed over while recording (their stacks then go to
  // `exited`), and of the rest at the end.
  ThreadTimes threads;
  SessionOptions session_options;
  session_options.duration_seconds = sampler_options.duration_seconds;
  session_options.progress = sampler_options.progress;
  session_options.exited = sampler_options.exited;
  session_options.combine_exited = [&threads, &sampler_options](std::vector<RawProfile> halves) {
    RawProfile time = wall_time(std::move(halves), sampler_options.hz);
    add_thread_times(time, threads);
    return time;
  };
  Session session =
      record_session(targets, {&sampler, &tracer}, command, signals, symbolizer, session_options);

  WallRecording result;
  result.hz = sampler_options.hz;
  result.recording = recording_of(session, 0, sampler, cpus.size());
  Recording& recording = result.recording;
  recording.unwinding.add(tracer.unwinding());
  result.off_cpu = tracer.counters();
  result.off_cpu_details = tracer.offcpu_counters();
  result.raw_tracepoint = tracer.uses_raw_tracepoint();
  recording.raw =
      wall_time({std::move(recording.raw), std::move(session.raw.at(1))}, sampler_options.hz);
  add_thread_times(recording.raw, threads);
  result.threads = longest_first(std::move(threads));
  return result;
}

flamegraph::SvgOptions wall_svg_options(const WallRecording& result, const std::string& targets) {
  const TimeTotals time = totals(result.threads);
  flamegraph::SvgOptions svg;
  svg.title = "Wall-Clock Time Flame Graph";
  char subtitle[512];
  std::snprintf(subtitle, sizeof(subtitle),
                "wall-clock time of %s: %.1f s, %zu thread%s: on-CPU %.3f s (%u Hz), off-CPU "
                "%.3f s, runnable %.3f s, %" PRIu64 " lost",
                targets.c_str(), result.recording.seconds, result.threads.size(),
                result.threads.size() == 1 ? "" : "s", time.on_cpu_ns / 1e9, result.hz,
                time.off_cpu_ns / 1e9, time.runnable_ns / 1e9, result.lost());
  svg.subtitle = subtitle + incomplete_stacks_note(result.recording.unwinding);
  flamegraph::use_wall_time_style(svg);
  return svg;
}

Summary wall_summary(const WallRecording& result) {
  const TimeTotals time = totals(result.threads);
  const SampleCounters& on = result.recording.counters;
  const SampleCounters& off = result.off_cpu;
  const OffCpuCounters& details = result.off_cpu_details;
  Summary summary;
  summary.headline = summary_line(
      "kiln: %.1f s of wall-clock time of %zu thread%s on %zu CPU%s: on-CPU %.3f s "
      "(%" PRIu64 " samples at %u Hz, %" PRIu64
      " lost), off-CPU %.3f s and runnable %.3f s (%" PRIu64 " waits at sched_switch (%s), %" PRIu64
      " lost)",
      result.recording.seconds, result.threads.size(), result.threads.size() == 1 ? "" : "s",
      result.recording.cpus, result.recording.cpus == 1 ? "" : "s", time.on_cpu_ns / 1e9,
      on.samples, result.hz, on.lost(), time.off_cpu_ns / 1e9, time.runnable_ns / 1e9, off.samples,
      result.raw_tracepoint ? "raw_tp" : "tp_btf", off.lost() + details.lost_start_map_full);
  std::vector<std::string>& notes = summary.notes;
  for (const std::string& line : describe_losses(on)) notes.push_back("lost samples: " + line);
  for (const std::string& line : describe_losses(off)) notes.push_back("lost waits: " + line);
  if (details.lost_start_map_full)
    notes.push_back(summary_line(
        "lost: %" PRIu64 " waits: too many live threads have blocked (the start map is full)",
        details.lost_start_map_full));
  for (std::string& line : unwinding_notes(result.recording.unwinding))
    notes.push_back(std::move(line));
  if (details.blocked_at_start)
    notes.push_back(summary_line(
        "%" PRIu64 " thread%s already blocked when recording started: counted from the start",
        details.blocked_at_start, details.blocked_at_start == 1 ? " was" : "s were"));

  constexpr size_t kThreadsShown = 20;
  std::vector<std::string>& table = summary.table;
  if (!result.threads.empty()) {
    table.push_back(summary_line(
        "per thread: wall = on-CPU + runnable + off-CPU (a thread that lived through the whole "
        "recording has about its %.1f s):",
        result.recording.seconds));
    table.push_back(summary_line("%10s  %7s  %9s  %8s  thread (pid/tid)", "wall", "on-CPU",
                                 "runnable", "off-CPU"));
    for (size_t i = 0; i < result.threads.size() && i < kThreadsShown; ++i) {
      const ThreadTime& t = result.threads[i];
      const double wall = static_cast<double>(t.wall_ns());
      const auto pct = [wall](uint64_t ns) {
        return wall > 0 ? 100.0 * static_cast<double>(ns) / wall : 0.0;
      };
      table.push_back(summary_line("%8.3f s  %6.1f%%  %8.1f%%  %7.1f%%  %s (%u/%u)", wall / 1e9,
                                   pct(t.on_cpu_ns), pct(t.runnable_ns), pct(t.off_cpu_ns),
                                   t.comm.c_str(), t.tgid, t.tid));
    }
    if (result.threads.size() > kThreadsShown)
      table.push_back(
          summary_line("... and %zu more threads", result.threads.size() - kThreadsShown));
  }
  return summary;
}

}  // namespace kiln::record

// `kiln record --off-cpu`: the off-CPU tracer run like the on-CPU sampler (same targets, same
// wait for the end, same process snapshots), and the summary of what it measured.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "record/record.h"

namespace kiln::record {

OffCpuRecording record_off_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                               const OffCpuOptions& options, ChildCommand* command,
                               const StopSignals& signals, symbolizer::Symbolizer& symbolizer) {
  const TargetFilter filter(targets, command ? command->pid() : 0);
  unwind::UserStackUnwinder unwinder(symbolizer);
  OffCpuTracer tracer(filter, options, &unwinder);
  Session session = record_session(targets, {&tracer}, command, signals, symbolizer,
                                   {options.duration_seconds, options.progress, "blocks"});
  OffCpuRecording result;
  result.recording = recording_of(session, 0, tracer, cpus.size());
  result.raw_tracepoint = tracer.uses_raw_tracepoint();
  result.unwinding = result.recording.unwinding;
  result.offcpu = tracer.offcpu_counters();
  std::set<uint32_t> threads;
  for (const RawStack& stack : result.recording.raw.stacks) threads.insert(stack.pid);
  result.threads = threads.size();
  result.blocked_ns = result.recording.raw.total_weight();
  // The profile's unit is the microsecond (countname "us"), rounded per stack.
  for (RawStack& stack : result.recording.raw.stacks) stack.weight = (stack.weight + 500) / 1000;
  return result;
}

flamegraph::SvgOptions off_cpu_svg_options(const OffCpuRecording& result,
                                           const std::string& targets) {
  flamegraph::SvgOptions svg;
  svg.title = "Off-CPU Time Flame Graph";
  char subtitle[512];
  std::snprintf(subtitle, sizeof(subtitle),
                "off-CPU time of %s: %.1f s traced, %.3f s blocked in %zu thread%s, %" PRIu64
                " blocks, %" PRIu64 " lost",
                targets.c_str(), result.recording.seconds, result.blocked_ns / 1e9, result.threads,
                result.threads == 1 ? "" : "s", result.recording.counters.samples, result.lost());
  svg.subtitle = subtitle + incomplete_stacks_note(result.unwinding);
  svg.palette = flamegraph::Palette::kIo;
  // The renderer gives kernel and inlined frames hues of their own in every palette; off-CPU
  // stacks are mostly kernel frames, so all frames take the io blues (flamegraph.pl --colors=io).
  svg.styler = [](const flamegraph::FrameTree& tree, flamegraph::NodeId node,
                  flamegraph::FrameStyle& style) {
    style.fill = flamegraph::frame_color(tree.label(node), flamegraph::Palette::kIo);
  };
  return svg;
}

namespace {

// "comm;...;x;y;z": the root and the innermost frames of a stack, without the scheduler frames
// (schedule, __schedule, io_schedule...) that every blocked stack ends in.
std::string abbreviate(const profile::Profile& profile, std::span<const profile::FrameId> frames) {
  constexpr size_t kInnermost = 4;
  while (frames.size() > 2 &&
         profile.name(frames.back()).find("schedule") != std::string_view::npos)
    frames = frames.first(frames.size() - 1);
  std::string text;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i > 0 && i + kInnermost < frames.size()) {
      if (i == 1) text += ";...";
      continue;
    }
    if (i > 0) text += ';';
    text += profile.name(frames[i]);
  }
  return text;
}

}  // namespace

void print_off_cpu_summary(std::FILE* out, const OffCpuRecording& result,
                           const profile::Profile& profile,
                           const std::vector<std::string>& written) {
  const SampleCounters& c = result.recording.counters;
  const OffCpuCounters& o = result.offcpu;
  std::fprintf(out,
               "kiln: %.1f s of off-CPU tracing at sched_switch (%s): %.3f s blocked in %zu "
               "thread%s, %" PRIu64 " blocks, %" PRIu64 " lost\n",
               result.recording.seconds, result.raw_tracepoint ? "raw_tp" : "tp_btf",
               result.blocked_ns / 1e9, result.threads, result.threads == 1 ? "" : "s", c.samples,
               result.lost());
  if (result.blocked_ns > 0)
    std::fprintf(out,
                 "  %.3f s interruptible (S: sleeps, waits for events, locks, pipes, sockets), "
                 "%.3f s uninterruptible (D: disk I/O, some kernel locks)\n",
                 (result.blocked_ns - std::min(result.blocked_ns, o.uninterruptible_ns)) / 1e9,
                 o.uninterruptible_ns / 1e9);
  for (const std::string& line : describe_losses(c))
    std::fprintf(out, "  lost: %s\n", line.c_str());
  print_unwinding(out, result.unwinding);
  if (o.lost_start_map_full)
    std::fprintf(out,
                 "  lost: %" PRIu64
                 " blocks: too many live threads have blocked (the start map is full)\n",
                 o.lost_start_map_full);
  if (c.user_stack_unreadable)
    std::fprintf(out, "  %" PRIu64 " blocks with an unreadable user stack (kernel frames kept)\n",
                 c.user_stack_unreadable);
  if (o.blocked_at_start)
    std::fprintf(out,
                 "  %" PRIu64
                 " thread%s already blocked when tracing started: counted from the "
                 "start, with the kernel stack only\n",
                 o.blocked_at_start, o.blocked_at_start == 1 ? " was" : "s were");
  if (o.still_blocked_at_end)
    std::fprintf(out, "  %" PRIu64 " block%s still in progress at the end: counted up to it\n",
                 o.still_blocked_at_end, o.still_blocked_at_end == 1 ? "" : "s");
  if (o.below_min)
    std::fprintf(out, "  %" PRIu64 " blocks shorter than --min-block-us not counted\n",
                 o.below_min);
  if (o.above_max)
    std::fprintf(out, "  %" PRIu64 " blocks longer than --max-block-us not counted\n", o.above_max);

  // Raw stacks that differ only in what symbolization drops (return addresses within one
  // function, thread ids under one comm) are one line. symbolize_into adds one profile stack per
  // raw stack, in order: their block counts line up.
  const std::vector<RawStack>& raw = result.recording.raw.stacks;
  struct Blocking {
    uint64_t us = 0, blocks = 0;
    std::span<const profile::FrameId> frames;
  };
  std::map<std::vector<profile::FrameId>, Blocking> by_frames;
  for (size_t i = 0; i < profile.stack_count(); ++i) {
    const auto frames = profile.frames(i);
    Blocking& b = by_frames[{frames.begin(), frames.end()}];
    b.us += static_cast<uint64_t>(profile.weight(i).to_double());
    b.blocks += i < raw.size() ? raw[i].events : 0;
    b.frames = frames;
  }
  std::vector<Blocking> top;
  for (const auto& [frames, b] : by_frames) top.push_back(b);
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.us > b.us; });
  if (top.size() > 10) top.resize(10);
  const double total = profile.total().to_double();
  if (!top.empty() && total > 0) {
    std::fprintf(out, "  top blocking stacks by off-CPU time (share, time, blocks, mean block):\n");
    for (const Blocking& b : top)
      std::fprintf(out, "  %6.2f%%  %10.3f s  %7" PRIu64 " x %9.3f ms  %s\n",
                   100.0 * static_cast<double>(b.us) / total, b.us / 1e6, b.blocks,
                   b.blocks ? static_cast<double>(b.us) / 1e3 / static_cast<double>(b.blocks) : 0.0,
                   abbreviate(profile, b.frames).c_str());
  }
  print_written(out, written);
}

}  // namespace kiln::record

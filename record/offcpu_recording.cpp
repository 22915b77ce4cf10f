// `kiln record --off-cpu`: the off-CPU tracer run like the on-CPU sampler (same targets, same
// wait for the end, same process snapshots), and the summary of what it measured.
#include <algorithm>
#include <cinttypes>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "record/exited_stacks.h"
#include "record/offcpu_recording.h"
#include "record/record_summary.h"
#include "record/sample_counters.h"
#include "record/target_filter.h"
#include "record/unwind_counters.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

OffCpuRecording record_off_cpu(const TargetSpec& targets, const std::vector<int>& cpus,
                               const OffCpuOptions& options, ChildCommand* command,
                               const StopSignals& signals, symbolizer::Symbolizer& symbolizer) {
  const TargetFilter filter(targets, command ? command->pid() : 0);
  unwind::UserStackUnwinder unwinder(symbolizer.processes());
  OffCpuTracer tracer(filter, options, &unwinder);
  ExitedStacks* exited = options.exited;
  SessionOptions session_options;
  session_options.duration_seconds = options.duration_seconds;
  session_options.progress = options.progress;
  session_options.progress_unit = "blocks";
  session_options.exited = exited;
  Session session =
      record_session(targets, {&tracer}, command, signals, symbolizer, session_options);
  OffCpuRecording result;
  result.recording = recording_of(session, 0, tracer, cpus.size());
  result.raw_tracepoint = tracer.uses_raw_tracepoint();
  result.unwinding = result.recording.unwinding;
  result.offcpu = tracer.offcpu_counters();
  result.blocked_ns = result.recording.raw.total_weight();
  if (exited) {
    result.threads = exited->threads(result.recording.raw);
    result.blocked_ns += exited->raw_weight();
  } else {
    std::set<uint32_t> threads;
    for (const RawStack& stack : result.recording.raw.stacks) threads.insert(stack.pid);
    result.threads = threads.size();
  }
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

// Blocked time and blocks of the stacks of `profile` with the same frames, added up.
struct BlockingStack {
  std::span<const profile::FrameId> frames;
  uint64_t us = 0;
  uint64_t blocks = 0;
};

uint64_t integer(profile::Weight weight) {
  return static_cast<uint64_t>(weight.units() / profile::Weight::kUnitsPerOne);
}

// The `count` stacks with the most blocked time, longest first.
std::vector<BlockingStack> top_blocking_stacks(const profile::Profile& profile, size_t count) {
  const std::optional<size_t> blocks = profile.find_column(kBlocksColumn);
  std::map<std::vector<profile::FrameId>, BlockingStack> by_frames;
  for (size_t s = 0; s < profile.stack_count(); ++s) {
    const std::span<const profile::FrameId> frames = profile.frames(s);
    auto [it, inserted] = by_frames.try_emplace({frames.begin(), frames.end()});
    it->second.frames = frames;  // in `profile`, which outlives the map
    it->second.us += integer(profile.weight(s));
    if (blocks) it->second.blocks += integer(profile.value(*blocks, s));
  }
  std::vector<BlockingStack> top;
  for (const auto& [frames, stack] : by_frames) top.push_back(stack);
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.us > b.us; });
  if (top.size() > count) top.resize(count);
  return top;
}

}  // namespace

Summary off_cpu_summary(const OffCpuRecording& result, const profile::Profile& profile) {
  const SampleCounters& c = result.recording.counters;
  const OffCpuCounters& o = result.offcpu;
  Summary summary;
  summary.headline = summary_line(
      "kiln: %.1f s of off-CPU tracing at sched_switch (%s): %.3f s blocked in %zu thread%s, "
      "%" PRIu64 " blocks, %" PRIu64 " lost",
      result.recording.seconds, result.raw_tracepoint ? "raw_tp" : "tp_btf",
      result.blocked_ns / 1e9, result.threads, result.threads == 1 ? "" : "s", c.samples,
      result.lost());
  std::vector<std::string>& notes = summary.notes;
  if (result.blocked_ns > 0)
    notes.push_back(summary_line(
        "%.3f s interruptible (S: sleeps, waits for events, locks, pipes, sockets), %.3f s "
        "uninterruptible (D: disk I/O, some kernel locks)",
        (result.blocked_ns - std::min(result.blocked_ns, o.uninterruptible_ns)) / 1e9,
        o.uninterruptible_ns / 1e9));
  for (const std::string& line : describe_losses(c)) notes.push_back("lost: " + line);
  for (std::string& line : unwinding_notes(result.unwinding)) notes.push_back(std::move(line));
  if (o.lost_start_map_full)
    notes.push_back(summary_line(
        "lost: %" PRIu64 " blocks: too many live threads have blocked (the start map is full)",
        o.lost_start_map_full));
  if (c.user_stack_unreadable)
    notes.push_back(summary_line("%" PRIu64
                                 " blocks with an unreadable user stack (kernel frames kept)",
                                 c.user_stack_unreadable));
  if (o.blocked_at_start)
    notes.push_back(summary_line("%" PRIu64
                                 " thread%s already blocked when tracing started: counted from "
                                 "the start, with the kernel stack only",
                                 o.blocked_at_start, o.blocked_at_start == 1 ? " was" : "s were"));
  if (o.still_blocked_at_end)
    notes.push_back(summary_line("%" PRIu64
                                 " block%s still in progress at the end: counted up to it",
                                 o.still_blocked_at_end, o.still_blocked_at_end == 1 ? "" : "s"));
  if (o.below_min)
    notes.push_back(
        summary_line("%" PRIu64 " blocks shorter than --min-block-us not counted", o.below_min));
  if (o.above_max)
    notes.push_back(
        summary_line("%" PRIu64 " blocks longer than --max-block-us not counted", o.above_max));

  const std::vector<BlockingStack> top = top_blocking_stacks(profile, 10);
  const double total = profile.total().to_double();
  if (!top.empty() && total > 0) {
    summary.table.push_back(
        "top blocking stacks by off-CPU time (share, time, blocks, mean block):");
    for (const BlockingStack& b : top)
      summary.table.push_back(summary_line(
          "%6.2f%%  %10.3f s  %7" PRIu64 " x %9.3f ms  %s",
          100.0 * static_cast<double>(b.us) / total, b.us / 1e6, b.blocks,
          b.blocks ? static_cast<double>(b.us) / 1e3 / static_cast<double>(b.blocks) : 0.0,
          abbreviate(profile, b.frames).c_str()));
  }
  summary.top_functions = false;
  return summary;
}

}  // namespace kiln::record

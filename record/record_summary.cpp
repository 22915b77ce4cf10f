// The summary printed on stderr at the end of a recording.
#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <map>

#include "record/record_summary.h"

namespace kiln::record {

std::string summary_line(const char* format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  std::string line(static_cast<size_t>(std::max(0, std::vsnprintf(nullptr, 0, format, args))),
                   '\0');
  std::vsnprintf(line.data(), line.size() + 1, format, again);
  va_end(again);
  va_end(args);
  return line;
}

namespace {

// The ten functions with the most self weight (leaf frames), with their shares.
void print_top_functions(std::FILE* out, const profile::Profile& profile) {
  std::map<std::string_view, uint64_t> self;
  const double total = profile.total().to_double();
  for (size_t i = 0; i < profile.stack_count(); ++i) {
    const auto frames = profile.frames(i);
    if (frames.empty()) continue;
    self[profile.name(frames.back())] += static_cast<uint64_t>(profile.weight(i).to_double());
  }
  std::vector<std::pair<std::string_view, uint64_t>> top(self.begin(), self.end());
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (top.size() > 10) top.resize(10);
  if (!top.empty() && total > 0) {
    std::fprintf(out, "  top functions by self %s:\n", profile.metadata.count_name.c_str());
    for (const auto& [name, weight] : top)
      std::fprintf(out, "  %6.2f%%  %10" PRIu64 "  %.*s\n",
                   100.0 * static_cast<double>(weight) / total, weight,
                   static_cast<int>(name.size()), name.data());
  }
}

}  // namespace

void print_summary(std::FILE* out, const Summary& summary, const profile::Profile& profile) {
  std::fprintf(out, "%s\n", summary.headline.c_str());
  for (const std::string& line : summary.notes) std::fprintf(out, "  %s\n", line.c_str());
  for (const std::string& line : summary.table) std::fprintf(out, "  %s\n", line.c_str());
  if (summary.top_functions) print_top_functions(out, profile);
  // Not for "-", stdout.
  for (const std::string& path : summary.written)
    if (path != "-") std::fprintf(out, "kiln: wrote %s\n", path.c_str());
}

Summary on_cpu_summary(const OnCpuFacts& facts) {
  const SampleCounters& c = facts.counters;
  Summary summary;
  summary.headline = summary_line(
      "kiln: %.1f s on %zu CPU%s at %u Hz: %" PRIu64 " samples, %" PRIu64 " lost", facts.seconds,
      facts.cpus, facts.cpus == 1 ? "" : "s", facts.hz, c.samples, c.lost());
  for (const std::string& line : describe_losses(c)) summary.notes.push_back("lost: " + line);
  if (c.samples == 0)
    summary.notes.push_back(
        "no samples: nothing of the target ran on a CPU while it was recorded (a program that "
        "sleeps or waits shows with --off-cpu); the graph says it is empty");
  if (c.no_user_stack)
    summary.notes.push_back(summary_line(
        "%" PRIu64 " samples in kernel threads (no user stack, not a loss)", c.no_user_stack));
  if (c.user_stack_unreadable)
    summary.notes.push_back(
        summary_line("%" PRIu64 " samples with an unreadable user stack (kernel frames kept)",
                     c.user_stack_unreadable));
  for (std::string& line : unwinding_notes(facts.unwinding))
    summary.notes.push_back(std::move(line));
  return summary;
}

}  // namespace kiln::record

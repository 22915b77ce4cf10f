// The summary printed on stderr at the end of a recording.
#include <algorithm>
#include <cinttypes>
#include <map>

#include "record/record_summary.h"

namespace kiln::record {

void print_summary(std::FILE* out, const RecordSummary& summary, const profile::Profile& profile) {
  const SampleCounters& c = summary.counters;
  // Tracers that are not sampling (off-CPU) leave hz at 0.
  const std::string rate = summary.hz ? " at " + std::to_string(summary.hz) + " Hz" : "";
  std::fprintf(out, "kiln: %.1f s on %zu CPU%s%s: %" PRIu64 " %s, %" PRIu64 " lost\n",
               summary.seconds, summary.cpus, summary.cpus == 1 ? "" : "s", rate.c_str(), c.samples,
               summary.what.c_str(), c.lost());
  for (const std::string& line : describe_losses(c))
    std::fprintf(out, "  lost: %s\n", line.c_str());
  if (c.samples == 0)
    std::fprintf(out,
                 "  no %s: nothing of the target ran on a CPU while it was recorded (a program "
                 "that sleeps or waits shows with --off-cpu); the graph says it is empty\n",
                 summary.what.c_str());
  if (c.no_user_stack)
    std::fprintf(out, "  %" PRIu64 " %s in kernel threads (no user stack, not a loss)\n",
                 c.no_user_stack, summary.what.c_str());
  if (c.user_stack_unreadable)
    std::fprintf(out, "  %" PRIu64 " %s with an unreadable user stack (kernel frames kept)\n",
                 c.user_stack_unreadable, summary.what.c_str());
  if (summary.unwinding) print_unwinding(out, *summary.unwinding);
  print_top_functions(out, profile);
  print_written(out, summary.written);
}

void print_written(std::FILE* out, const std::vector<std::string>& written) {
  for (const std::string& path : written)
    if (path != "-") std::fprintf(out, "kiln: wrote %s\n", path.c_str());
}

void print_top_functions(std::FILE* out, const profile::Profile& profile) {
  // Self weight per function: the leaf frame of each stack.
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

}  // namespace kiln::record

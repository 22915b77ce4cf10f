// What became of the user stacks unwound from copies, told in the summary and the SVG subtitle.
#include <cinttypes>

#include "record/unwind_counters.h"

namespace kiln::record {

std::vector<std::string> describe_incomplete(const UnwindCounters& counters) {
  std::vector<std::string> lines;
  for (int end = 1; end < unwind::kUnwindEndCount; ++end) {
    const uint64_t count = counters.ended[end];
    if (count == 0) continue;
    const auto kind = static_cast<unwind::UnwindEnd>(end);
    const char* fix = "";
    switch (kind) {
      case unwind::UnwindEnd::kStackCopyShort:
        fix = "raise --stack-size (up to 65528)";
        break;
      case unwind::UnwindEnd::kNoUnwindInfo:
        fix = "code without CFI or frame pointers (JIT, hand-written assembly)";
        break;
      case unwind::UnwindEnd::kTooDeep:
        fix = "deep recursion: the innermost 512 frames are kept";
        break;
      case unwind::UnwindEnd::kNoStack:
        fix = "its pages were not resident (swapped out, or the process was exiting)";
        break;
      case unwind::UnwindEnd::kNoProcess:
        fix = "the process exited before kiln read its mappings (lives a few milliseconds)";
        break;
      case unwind::UnwindEnd::kComplete:
        break;
    }
    char line[400];
    std::snprintf(line, sizeof(line), "%" PRIu64 " (%.2f%%) incomplete: %s; %s", count,
                  100.0 * static_cast<double>(count) / static_cast<double>(counters.stacks),
                  unwind::describe(kind), fix);
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> unwinding_notes(const UnwindCounters& unwinding) {
  std::vector<std::string> notes;
  if (unwinding.stacks) {
    char line[400];
    std::snprintf(
        line, sizeof(line),
        "user stacks unwound (DWARF): %" PRIu64 ", %.2f%% complete; per stack %" PRIu64
        " bytes copied and %.1f us to unwind on average",
        unwinding.stacks,
        100.0 * static_cast<double>(unwinding.ended[0]) / static_cast<double>(unwinding.stacks),
        unwinding.stack_bytes / unwinding.stacks,
        static_cast<double>(unwinding.unwind_ns) / 1e3 / static_cast<double>(unwinding.stacks));
    notes.push_back(line);
    for (std::string& incomplete : describe_incomplete(unwinding))
      notes.push_back(std::move(incomplete));
  }
  if (unwinding.blocks_without_stack)
    notes.push_back(std::to_string(unwinding.blocks_without_stack) +
                    " blocks without a user stack copy (their threads were blocked before "
                    "tracing began, or the copy was lost): kernel frames under [truncated]");
  return notes;
}

std::string incomplete_stacks_note(const UnwindCounters& counters) {
  const uint64_t incomplete = counters.incomplete() + counters.blocks_without_stack;
  if (incomplete == 0) return "";
  char note[96];
  std::snprintf(note, sizeof(note), ", %.1f%% of user stacks incomplete ([truncated])",
                100.0 * static_cast<double>(incomplete) /
                    static_cast<double>(counters.stacks + counters.blocks_without_stack));
  return note;
}

}  // namespace kiln::record

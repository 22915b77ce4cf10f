// How user stacks are walked (--unwind) and what became of the stacks unwound from copies:
// complete, or incomplete and why, for the summary and the SVG subtitle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "unwind/unwind.h"

namespace kiln::record {

enum class UnwindMode { kDwarf, kFramePointers };

// What became of the user stacks copied for unwinding.
struct UnwindCounters {
  uint64_t stacks = 0;                           // user stacks unwound
  uint64_t ended[unwind::kUnwindEndCount] = {};  // by how the unwind ended
  uint64_t stack_bytes = 0;                      // stack bytes copied, summed
  uint64_t unwind_ns = 0;                        // time spent unwinding, summed
  uint64_t blocks_without_stack = 0;             // off-CPU: block whose copy was lost
  uint64_t incomplete() const { return stacks - ended[0]; }
  void add(const UnwindCounters& other) {
    stacks += other.stacks;
    for (int i = 0; i < unwind::kUnwindEndCount; ++i) ended[i] += other.ended[i];
    stack_bytes += other.stack_bytes;
    unwind_ns += other.unwind_ns;
    blocks_without_stack += other.blocks_without_stack;
  }
};
// One line per kind of incomplete stack with its count, share and fix; empty if none.
std::vector<std::string> describe_incomplete(const UnwindCounters& counters);
// The summary's notes on unwinding: stacks unwound, complete, incomplete by kind.
std::vector<std::string> unwinding_notes(const UnwindCounters& counters);
// ", N% of user stacks incomplete ([truncated])" for an SVG subtitle; empty when none are.
std::string incomplete_stacks_note(const UnwindCounters& counters);

}  // namespace kiln::record

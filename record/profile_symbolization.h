// After recording: a RawProfile's addresses turned into a Profile of frame names (root frame,
// user frames, kernel frames), in the Profile's unit.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "profile/profile.h"
#include "record/raw_profile.h"

namespace kiln::symbolizer {
class Symbolizer;
struct Frame;
}  // namespace kiln::symbolizer

namespace kiln::record {

enum class RootFrame { kComm, kPerPid, kPerTid };

struct SymbolizeOptions {
  RootFrame root = RootFrame::kComm;
  // A forked child runs its parent's code until it execs; samples taken then (the exec itself)
  // are symbolized in the parent when the child's own (post-exec) snapshot has no mapping.
  std::function<uint32_t(uint32_t tgid)> parent_of;
  // --wall: off-CPU stacks end in a frame naming the state the thread waited in
  // (flamegraph::wall_state_frame).
  bool state_frames = false;
  // The Profile column (unit "count") that RawStack::events fill, such as the blocks of an
  // off-CPU recording (kBlocksColumn); none when empty.
  std::string_view events_column{};
};
// The frame a wait of RawStack::state `state` (an OFFCPU_STATE_* bit) ends in with --wall.
std::string_view wall_state_frame(uint32_t state);

// True when symbolize_user found `frames` in no mapping: a return address that a frame-pointer
// walk read from data. The folded and pprof outputs draw a stack from the frame inside it.
bool in_no_mapping(const std::vector<symbolizer::Frame>& frames);

// Stacks cut short by symbolization (see symbolize_into).
struct CutStacks {
  static constexpr size_t kExamples = 20;
  uint64_t stacks = 0;
  uint64_t weight = 0;                                  // in the Profile's unit
  std::vector<std::pair<uint32_t, uint64_t>> examples;  // the first kExamples: {tgid, address}
  void add(const CutStacks& other) {
    stacks += other.stacks;
    weight += other.weight;
    for (const auto& example : other.examples)
      if (examples.size() < kExamples) examples.push_back(example);
  }
};
// Turns addresses into frame names: root frame (comm / comm-PID / comm-PID/TID), user frames
// (JIT `_[j]`, inlined `_[i]`) then kernel frames (`_[k]`); one Profile stack per raw stack,
// weighing RawProfile::profile_weight (with its events in options.events_column, if named),
// and the Profile's count_name set to its unit.
// Returns the stacks it cut at a return address that is in no mapping of its process (and,
// before an exec, of its parent): drawn from the frame inside it, under [truncated].
CutStacks symbolize_into(const RawProfile& raw, symbolizer::Symbolizer& symbolizer,
                         const SymbolizeOptions& options, profile::Profile& profile);
// The summary's line on cut stacks (none when there are none); `verbose`: their addresses.
void print_cut_stacks(std::FILE* out, const CutStacks& cut, uint64_t total_weight, bool verbose);

}  // namespace kiln::record

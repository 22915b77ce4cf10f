// Turns a RawProfile's addresses into frame names, root first: the root frame, user frames
// (outermost first), then kernel frames with `_[k]`.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string_view>
#include <unordered_map>

#include "bpf/offcpu.h"
#include "flamegraph/flamegraph.h"
#include "profile/profile.h"
#include "record/profile_symbolization.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

// Frame names for one address, outermost first (the symbolizer gives inlined frames innermost
// first), cached: the same address recurs in many stacks.
class FrameNames {
 public:
  FrameNames(symbolizer::Symbolizer& symbolizer, const SymbolizeOptions& options)
      : symbolizer_(symbolizer), options_(options) {}

  struct UserFrames {
    std::vector<std::string> names;
    bool unmapped = false;  // the address is in no mapping of its process (nor its parent's)
  };
  const UserFrames& user(uint32_t tgid, uint64_t address) {
    auto [it, inserted] = user_.try_emplace({tgid, address});
    if (inserted) {
      std::vector<symbolizer::Frame> frames =
          symbolizer_.symbolize_user(static_cast<pid_t>(tgid), address);
      if (in_no_mapping(frames) && options_.parent_of)
        if (const uint32_t parent = options_.parent_of(tgid); parent > 1)
          frames = symbolizer_.symbolize_user(static_cast<pid_t>(parent), address);
      it->second = {names(frames), in_no_mapping(frames)};
    }
    return it->second;
  }
  const std::vector<std::string>& kernel(uint64_t address) {
    auto [it, inserted] = kernel_.try_emplace(address);
    if (inserted) it->second = names(symbolizer_.symbolize_kernel(address));
    return it->second;
  }

 private:
  static std::vector<std::string> names(const std::vector<symbolizer::Frame>& frames) {
    std::vector<std::string> result;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
      result.push_back(symbolizer::annotated_name(*it));
    return result;
  }
  symbolizer::Symbolizer& symbolizer_;
  const SymbolizeOptions& options_;
  std::map<std::pair<uint32_t, uint64_t>, UserFrames> user_;
  std::unordered_map<uint64_t, std::vector<std::string>> kernel_;
};

std::string root_frame(const RawStack& stack, RootFrame root) {
  switch (root) {
    case RootFrame::kComm:
      return stack.comm;
    case RootFrame::kPerPid:
      return stack.comm + "-" + std::to_string(stack.tgid);
    case RootFrame::kPerTid:
      return stack.comm + "-" + std::to_string(stack.tgid) + "/" + std::to_string(stack.pid);
  }
  return stack.comm;
}

// Stack addresses are return addresses except the innermost one: step back into the call
// instruction so that the caller's line (and inline chain) is the one of the call.
uint64_t lookup_address(const std::vector<uint64_t>& addresses, size_t index) {
  return index == 0 ? addresses[0] : addresses[index] - 1;
}

}  // namespace

bool in_no_mapping(const std::vector<symbolizer::Frame>& frames) {
  return frames.size() == 1 && frames[0].function == "[unknown]" && frames[0].module == "[unknown]";
}

std::string_view wall_state_frame(uint32_t state) {
  return flamegraph::wall_state_frame(
      state == OFFCPU_STATE_RUNNABLE          ? flamegraph::WallState::kRunnable
      : state == OFFCPU_STATE_UNINTERRUPTIBLE ? flamegraph::WallState::kUninterruptible
                                              : flamegraph::WallState::kSleeping);
}

CutStacks symbolize_into(const RawProfile& raw, symbolizer::Symbolizer& symbolizer,
                         const SymbolizeOptions& options, profile::Profile& profile,
                         const OnStack& on_stack) {
  constexpr size_t kExamples = 20;
  profile.metadata.count_name = raw.profile_unit();
  CutStacks cut;
  FrameNames names(symbolizer, options);
  std::vector<std::string> frames;
  std::vector<std::string_view> views;
  for (const RawStack& stack : raw.stacks) {
    const uint64_t weight = raw.profile_weight(stack);
    // A return address in no mapping is data that a frame-pointer walk took for one: it and
    // everything outside it are not the stack. Drawn from the frame inside it, as truncated.
    size_t drawn = stack.user.size();
    for (size_t i = 1; i < stack.user.size(); ++i) {
      if (!names.user(stack.tgid, lookup_address(stack.user, i)).unmapped) continue;
      drawn = i;
      ++cut.stacks;
      cut.weight += weight;
      if (cut.examples.size() < kExamples) cut.examples.push_back({stack.tgid, stack.user[i]});
      break;
    }
    frames.clear();
    frames.push_back(root_frame(stack, options.root));
    // An unwind that stopped short: its outermost frame is not a child of the root.
    if (stack.truncated || drawn < stack.user.size()) frames.push_back("[truncated]");
    for (size_t i = drawn; i-- > 0;)
      for (const std::string& name : names.user(stack.tgid, lookup_address(stack.user, i)).names)
        frames.push_back(name);
    for (size_t i = stack.kernel.size(); i-- > 0;)
      for (const std::string& name : names.kernel(lookup_address(stack.kernel, i)))
        frames.push_back(name);
    if (options.state_frames && stack.state != 0)
      frames.emplace_back(wall_state_frame(stack.state));
    views.assign(frames.begin(), frames.end());
    profile.add_stack(std::span<const std::string_view>(views),
                      profile::Weight::from_integer(weight));
    if (on_stack) on_stack(stack, profile.frames(profile.stack_count() - 1), weight);
  }
  return cut;
}

void print_cut_stacks(std::FILE* out, const CutStacks& cut, uint64_t total_weight, bool verbose) {
  if (cut.stacks == 0) return;
  std::fprintf(out,
               "  %" PRIu64
               " stacks (%.2f%% of the weight) incomplete: a return address in no mapping of its "
               "process as kiln read them; drawn from the frame inside it, under [truncated] "
               "(with --unwind fp: data read as a return address in code built without frame "
               "pointers, fix: --unwind dwarf; else mappings that changed before kiln read them)"
               "%s\n",
               cut.stacks,
               total_weight
                   ? 100.0 * static_cast<double>(cut.weight) / static_cast<double>(total_weight)
                   : 0.0,
               verbose ? "" : " (--verbose lists the addresses)");
  if (!verbose) return;
  for (const auto& [tgid, address] : cut.examples)
    std::fprintf(out, "    address %#" PRIx64 " of process %u\n", address, tgid);
  if (cut.stacks > cut.examples.size())
    std::fprintf(out, "    ... and %zu more\n",
                 static_cast<size_t>(cut.stacks - cut.examples.size()));
}

}  // namespace kiln::record

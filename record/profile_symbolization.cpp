// Turns a RawProfile's addresses into the Profile's frames, root first: the root frame, user
// frames (outermost first), then kernel frames; each with its kind, module, source line and
// address.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "bpf/offcpu.h"
#include "flamegraph/flamegraph.h"
#include "profile/profile.h"
#include "record/profile_symbolization.h"
#include "symbolizer/symbolizer.h"

namespace kiln::record {

namespace {

// The frames of one address, outermost first (the symbolizer gives inlined frames innermost
// first), cached: the same address recurs in many stacks. A frame is interned into the profile
// when a stack first uses it, so frames get their ids in the order stacks use them.
class AddressFrames {
 public:
  AddressFrames(symbolizer::Symbolizer& symbolizer, const SymbolizeOptions& options,
                profile::Profile& profile)
      : symbolizer_(symbolizer), options_(options), profile_(profile) {}

  struct Frame {
    std::string name, module, file;
    uint32_t line = 0;
    uint64_t address = 0;
    profile::FrameKind kind = profile::FrameKind::kUser;
    profile::FrameId id = profile::kNoFrame;
  };
  struct UserFrames {
    std::vector<Frame> frames;
    bool unmapped = false;  // the address is in no mapping of its process (nor its parent's)
  };
  UserFrames& user(uint32_t tgid, uint64_t address) {
    auto [it, inserted] = user_.try_emplace({tgid, address});
    if (inserted) {
      std::vector<symbolizer::Frame> frames =
          symbolizer_.symbolize_user(static_cast<pid_t>(tgid), address);
      if (in_no_mapping(frames) && options_.parent_of)
        if (const uint32_t parent = options_.parent_of(tgid); parent > 1)
          frames = symbolizer_.symbolize_user(static_cast<pid_t>(parent), address);
      it->second.unmapped = in_no_mapping(frames);
      it->second.frames = converted(frames, address);
    }
    return it->second;
  }
  std::vector<Frame>& kernel(uint64_t address) {
    auto [it, inserted] = kernel_.try_emplace(address);
    if (inserted) {
      std::vector<symbolizer::Frame> frames = symbolizer_.symbolize_kernel(address);
      it->second = converted(frames, address);
    }
    return it->second;
  }
  // Interns the frame at its first use; from then on the profile holds its strings, so the
  // cache lets go of its own.
  profile::FrameId id(Frame& frame) {
    if (frame.id == profile::kNoFrame) {
      frame.id = profile_.intern(profile::Frame{.name = std::move(frame.name),
                                                .kind = frame.kind,
                                                .module = std::move(frame.module),
                                                .file = std::move(frame.file),
                                                .line = frame.line,
                                                .address = frame.address});
      frame.name = frame.module = frame.file = std::string();
    }
    return frame.id;
  }

 private:
  static profile::FrameKind kind_of(symbolizer::FrameKind kind) {
    switch (kind) {
      case symbolizer::FrameKind::kKernel:
        return profile::FrameKind::kKernel;
      case symbolizer::FrameKind::kJit:
        return profile::FrameKind::kJit;
      case symbolizer::FrameKind::kInlined:
        return profile::FrameKind::kInlined;
      case symbolizer::FrameKind::kUnknown:
      case symbolizer::FrameKind::kUnmapped:
        return profile::FrameKind::kUnknown;
      case symbolizer::FrameKind::kUser:
        break;
    }
    return profile::FrameKind::kUser;
  }
  static std::vector<Frame> converted(std::vector<symbolizer::Frame>& frames, uint64_t address) {
    std::vector<Frame> result;
    result.reserve(frames.size());
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
      result.push_back({.name = std::move(it->function),
                        .module = std::move(it->module),
                        .file = std::move(it->file),
                        .line = it->line,
                        .address = address,
                        .kind = kind_of(it->kind)});
    }
    return result;
  }
  symbolizer::Symbolizer& symbolizer_;
  const SymbolizeOptions& options_;
  profile::Profile& profile_;
  std::map<std::pair<uint32_t, uint64_t>, UserFrames> user_;
  std::unordered_map<uint64_t, std::vector<Frame>> kernel_;
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
  return frames.size() == 1 && frames[0].kind == symbolizer::FrameKind::kUnmapped;
}

std::string_view wall_state_frame(uint32_t state) {
  return flamegraph::wall_state_frame(
      state == OFFCPU_STATE_RUNNABLE          ? flamegraph::WallState::kRunnable
      : state == OFFCPU_STATE_UNINTERRUPTIBLE ? flamegraph::WallState::kUninterruptible
                                              : flamegraph::WallState::kSleeping);
}

CutStacks symbolize_into(const RawProfile& raw, symbolizer::Symbolizer& symbolizer,
                         const SymbolizeOptions& options, profile::Profile& profile) {
  profile.metadata.count_name = raw.profile_unit();
  CutStacks cut;
  AddressFrames frames(symbolizer, options, profile);
  std::optional<size_t> events;
  if (!options.events_column.empty()) events = profile.add_column(options.events_column, "count");
  std::vector<profile::FrameId> ids;
  for (const RawStack& stack : raw.stacks) {
    const uint64_t weight = raw.profile_weight(stack);
    // A return address in no mapping is data that a frame-pointer walk took for one: it and
    // everything outside it are not the stack. Drawn from the frame inside it, as truncated.
    size_t drawn = stack.user.size();
    for (size_t i = 1; i < stack.user.size(); ++i) {
      if (!frames.user(stack.tgid, lookup_address(stack.user, i)).unmapped) continue;
      drawn = i;
      ++cut.stacks;
      cut.weight += weight;
      if (cut.examples.size() < CutStacks::kExamples)
        cut.examples.push_back({stack.tgid, stack.user[i]});
      break;
    }
    ids.clear();
    ids.push_back(profile.intern(root_frame(stack, options.root)));
    // An unwind that stopped short: its outermost frame is not a child of the root.
    if (stack.truncated || drawn < stack.user.size()) ids.push_back(profile.intern("[truncated]"));
    for (size_t i = drawn; i-- > 0;)
      for (auto& frame : frames.user(stack.tgid, lookup_address(stack.user, i)).frames)
        ids.push_back(frames.id(frame));
    for (size_t i = stack.kernel.size(); i-- > 0;)
      for (auto& frame : frames.kernel(lookup_address(stack.kernel, i)))
        ids.push_back(frames.id(frame));
    if (options.state_frames && stack.state != 0)
      ids.push_back(profile.intern(wall_state_frame(stack.state)));
    profile.add_stack(ids, profile::Weight::from_integer(weight));
    if (events)
      profile.set_value(*events, profile.stack_count() - 1,
                        profile::Weight::from_integer(stack.events));
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

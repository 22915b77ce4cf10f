// profile/frame.h: what a frame of a Profile is (its kind, its location, the annotation by
// which folded text writes the kind), part of the profile module (profile/profile.h).
#pragma once

#include <cstdint>
#include <string_view>

namespace kiln::profile {

// Frames: what a frame is (its kind) beside its name, and where it is when known.

enum class FrameKind : uint8_t {
  kUser,     // code of a user-space binary or library, with a symbol
  kKernel,   // kernel code (with or without a symbol: "[kernel]")
  kJit,      // code generated at run time, named by a perf map
  kInlined,  // inlined into the frame below it (its caller)
  kWakeup,   // the waker's stack under a wakeup (flamegraph.pl's `_[w]`)
  kUnknown,  // user-space code without a symbol: "[unknown]", "[libfoo.so]",
             // "[python3.11]+0x1b3f20"
};

// The annotation by which folded text writes a kind: "_[k]", "_[j]", "_[i]", "_[w]"; none ("")
// for user and unknown frames (flamegraph.pl and inferno read the same suffixes).
constexpr std::string_view annotation(FrameKind kind) {
  switch (kind) {
    case FrameKind::kKernel:
      return "_[k]";
    case FrameKind::kJit:
      return "_[j]";
    case FrameKind::kInlined:
      return "_[i]";
    case FrameKind::kWakeup:
      return "_[w]";
    case FrameKind::kUser:
    case FrameKind::kUnknown:
      break;
  }
  return {};
}

// A frame: its name without annotation, its kind and, where known, where it is. The views point
// into whatever the caller interns from, or into the Profile for Profile::frame().
struct Frame {
  std::string_view name;
  FrameKind kind = FrameKind::kUser;
  std::string_view module{};  // "libc.so.6", "[kernel]", "perf-42.map"; empty when unknown
  std::string_view file{};    // source file; empty when unknown
  uint32_t line = 0;          // 0 when unknown
  uint64_t address = 0;       // an address in the frame (see Profile::intern); 0 when unknown
};

// The frame a folded name stands for: the annotation read into the kind, and a name in brackets
// ("[unknown]", "[libfoo.so]", "[python3.11]+0x1b3f20": how kiln, perf and stackcollapse-perf.pl
// name code without a symbol) read as kUnknown, except the frames kiln adds itself
// ("[truncated]" and the --wall states), which are user frames. No location.
Frame folded_frame(std::string_view text);

}  // namespace kiln::profile

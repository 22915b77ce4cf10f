// StackAccumulator: adds up the weights of identical stacks as they arrive, so that a reader of
// millions of samples keeps one entry per distinct stack. Internal to flamegraph/.
#pragma once

#include <span>
#include <vector>

#include "formats/formats.h"

namespace kiln::formats {

class StackAccumulator {
 public:
  void add(std::span<const FrameId> root_first, Weight weight);
  // Adds every distinct stack to `profile` (in order of first appearance) and empties itself.
  void move_into(Profile& profile);

 private:
  static uint64_t hash(std::span<const FrameId> stack);
  void grow();
  std::vector<FrameId> frames_;
  std::vector<size_t> offsets_{0};
  std::vector<Weight> weights_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_ = std::vector<uint32_t>(1024, kEmpty);  // stack index or kEmpty
  static constexpr uint32_t kEmpty = 0xffffffffu;
};

}  // namespace kiln::formats

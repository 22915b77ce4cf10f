// StackAccumulator: open addressing over the stacks' hashes.
#include "formats/stack_accumulator.h"

#include <algorithm>

namespace kiln::formats {

uint64_t StackAccumulator::hash(std::span<const FrameId> stack) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ stack.size();
  for (FrameId id : stack) {
    h = (h ^ id) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  return h;
}

void StackAccumulator::add(std::span<const FrameId> root_first, Weight weight) {
  uint64_t h = hash(root_first);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t s = slots_[i];
    if (s == kEmpty) {
      slots_[i] = static_cast<uint32_t>(weights_.size());
      frames_.insert(frames_.end(), root_first.begin(), root_first.end());
      offsets_.push_back(frames_.size());
      weights_.push_back(weight);
      hashes_.push_back(h);
      if (weights_.size() * 2 > slots_.size()) grow();
      return;
    }
    if (hashes_[s] == h && std::ranges::equal(root_first, std::span<const FrameId>(
                                                              frames_.data() + offsets_[s],
                                                              frames_.data() + offsets_[s + 1]))) {
      weights_[s] += weight;
      return;
    }
  }
}

void StackAccumulator::grow() {
  std::vector<uint32_t> bigger(slots_.size() * 2, kEmpty);
  size_t mask = bigger.size() - 1;
  for (uint32_t s = 0; s < weights_.size(); ++s) {
    size_t i = hashes_[s] & mask;
    while (bigger[i] != kEmpty) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots_.swap(bigger);
}

void StackAccumulator::move_into(Profile& profile) {
  profile.reserve(weights_.size(), frames_.size());
  for (size_t s = 0; s < weights_.size(); ++s) {
    profile.add_stack(
        std::span<const FrameId>(frames_.data() + offsets_[s], frames_.data() + offsets_[s + 1]),
        weights_[s]);
  }
  *this = StackAccumulator();
}

}  // namespace kiln::formats

#include "symbolizer/frame_cache.h"

namespace kiln::symbolizer {

// Linear probing from a multiplicative hash; the table stays at most half full.
size_t FrameCache::slot_of(const process::Binary* binary, uint64_t address) const {
  uint64_t key = address ^ (reinterpret_cast<uintptr_t>(binary) << 16);
  size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> 20) & mask;
  while (slots_[i].binary && (slots_[i].binary != binary || slots_[i].address != address)) {
    i = (i + 1) & mask;
  }
  return i;
}

bool FrameCache::find(const process::Binary* binary, uint64_t address,
                      std::span<const FrameRef>* out) const {
  const Slot& slot = slots_[slot_of(binary, address)];
  if (!slot.binary) return false;
  *out = std::span<const FrameRef>(pool_.data() + slot.first, slot.count);
  return true;
}

void FrameCache::insert(const process::Binary* binary, uint64_t address,
                        const std::vector<FrameRef>& frames) {
  if (2 * (used_ + 1) > slots_.size()) grow();
  Slot& slot = slots_[slot_of(binary, address)];
  if (slot.binary) return;
  slot = {binary, address, static_cast<uint32_t>(pool_.size()),
          static_cast<uint32_t>(frames.size())};
  pool_.insert(pool_.end(), frames.begin(), frames.end());
  ++used_;
}

void FrameCache::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  for (const Slot& slot : old) {
    if (slot.binary) slots_[slot_of(slot.binary, slot.address)] = slot;
  }
}

}  // namespace kiln::symbolizer

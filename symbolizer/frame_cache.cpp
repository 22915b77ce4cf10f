#include "symbolizer/frame_cache.h"

namespace kiln::symbolizer {

// Linear probing from a multiplicative hash; the table stays at most half full.
size_t FrameCache::slot_of(uint64_t binary, uint64_t address) const {
  const uint64_t key = address ^ (binary << 40) ^ (binary >> 24);
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> 20) & mask;
  while (slots_[i].binary && (slots_[i].binary != binary || slots_[i].address != address)) {
    i = (i + 1) & mask;
  }
  return i;
}

bool FrameCache::find(uint64_t binary, uint64_t address, std::span<const FrameRef>* out) const {
  const Slot& slot = slots_[slot_of(binary, address)];
  if (!slot.binary) return false;
  *out = std::span<const FrameRef>(pool_.data() + slot.first, slot.count);
  return true;
}

void FrameCache::insert(uint64_t binary, uint64_t address, const std::vector<FrameRef>& frames) {
  if (2 * (used_ + 1) > slots_.size()) rebuild(slots_.size() * 2, {});
  Slot& slot = slots_[slot_of(binary, address)];
  if (slot.binary) return;
  slot = {binary, address, static_cast<uint32_t>(pool_.size()),
          static_cast<uint32_t>(frames.size())};
  pool_.insert(pool_.end(), frames.begin(), frames.end());
  ++used_;
}

void FrameCache::forget(const std::set<uint64_t>& binaries) {
  if (!binaries.empty()) rebuild(slots_.size(), binaries);
}

// Moves every slot but those of the binaries `without` into a table of `slots` slots, and their
// frames into a new pool when some are left out.
void FrameCache::rebuild(size_t slots, const std::set<uint64_t>& without) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{});
  used_ = 0;
  std::vector<FrameRef> pool;
  for (Slot slot : old) {
    if (!slot.binary || without.count(slot.binary)) continue;
    if (!without.empty()) {
      const auto first = pool_.begin() + slot.first;
      slot.first = static_cast<uint32_t>(pool.size());
      pool.insert(pool.end(), first, first + slot.count);
    }
    slots_[slot_of(slot.binary, slot.address)] = slot;
    ++used_;
  }
  if (!without.empty()) pool_ = std::move(pool);
}

}  // namespace kiln::symbolizer

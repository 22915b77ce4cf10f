// The frames already computed for (binary, address): an open-addressing hash table over a
// pool of compact frames, so a profile's repeated addresses cost one probe and no copy. Keyed
// by process::Binary::id, which no later binary reuses.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <vector>

#include "symbolizer/binary_module.h"

namespace kiln::symbolizer {

class FrameCache {
 public:
  // The cached frames of (binary, address), valid until the next insert or forget; false if
  // never stored.
  bool find(uint64_t binary, uint64_t address, std::span<const FrameRef>* out) const;
  void insert(uint64_t binary, uint64_t address, const std::vector<FrameRef>& frames);
  // Drops the frames of the binaries being forgotten (they point into their modules), in one
  // pass over the table however many there are.
  void forget(const std::set<uint64_t>& binaries);

 private:
  struct Slot {
    uint64_t binary = 0;  // 0: empty slot
    uint64_t address = 0;
    uint32_t first = 0;  // into pool_
    uint32_t count = 0;
  };
  size_t slot_of(uint64_t binary, uint64_t address) const;
  void rebuild(size_t slots, const std::set<uint64_t>& without);

  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  size_t used_ = 0;
  std::vector<FrameRef> pool_;
};

}  // namespace kiln::symbolizer

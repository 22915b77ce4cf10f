// The frames already computed for (module, address): an open-addressing hash table over a
// pool of compact frames, so a profile's repeated addresses cost one probe and no allocation.
#pragma once

#include <cstdint>
#include <vector>

#include "binary_module.h"

namespace kiln::symbolizer {

class FrameCache {
 public:
  // Copies the cached frames of (module, address) into `out`; false if never stored.
  bool find(const BinaryModule* module, uint64_t address, std::vector<FrameRef>* out) const;
  void insert(const BinaryModule* module, uint64_t address, const std::vector<FrameRef>& frames);

 private:
  struct Slot {
    const BinaryModule* module = nullptr;  // nullptr: empty slot
    uint64_t address = 0;
    uint32_t first = 0;  // into pool_
    uint32_t count = 0;
  };
  size_t slot_of(const BinaryModule* module, uint64_t address) const;
  void grow();

  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  size_t used_ = 0;
  std::vector<FrameRef> pool_;
};

}  // namespace kiln::symbolizer

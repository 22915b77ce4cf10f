// The frames already computed for (binary, address): an open-addressing hash table over a
// pool of compact frames, so a profile's repeated addresses cost one probe and no copy.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "symbolizer/binary_module.h"

namespace kiln::symbolizer {

class FrameCache {
 public:
  // The cached frames of (binary, address), valid until the next insert; false if never stored.
  bool find(const process::Binary* binary, uint64_t address, std::span<const FrameRef>* out) const;
  void insert(const process::Binary* binary, uint64_t address, const std::vector<FrameRef>& frames);

 private:
  struct Slot {
    const process::Binary* binary = nullptr;  // nullptr: empty slot
    uint64_t address = 0;
    uint32_t first = 0;  // into pool_
    uint32_t count = 0;
  };
  size_t slot_of(const process::Binary* binary, uint64_t address) const;
  void grow();

  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  size_t used_ = 0;
  std::vector<FrameRef> pool_;
};

}  // namespace kiln::symbolizer

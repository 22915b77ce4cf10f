// The functions a binary's call frame information describes: one [start, end) range of
// link-time addresses per FDE (Frame Description Entry) of .eh_frame and .debug_frame, sorted
// for binary search. Stripped binaries keep .eh_frame (exceptions and unwinders need it), so
// it still tells where each unnamed function starts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "symbolizer/process_layer.h"

namespace kiln::symbolizer {

struct FunctionRange {
  uint64_t start = 0;  // link-time virtual address of the function's first instruction
  uint64_t end = 0;    // one past its last
};

class CallFrameIndex {
 public:
  // Reads every FDE of `binary`'s .eh_frame and .debug_frame and of the .debug_frame of
  // `debug` (its separate debug file; may be nullptr). Damaged entries are skipped.
  static CallFrameIndex read(const ElfFile& binary, const ElfFile* debug);

  // The function whose FDE covers `vaddr`; nullopt when none does.
  std::optional<FunctionRange> function_at(uint64_t vaddr) const;
  size_t size() const { return ranges_.size(); }

 private:
  void add_section(const ElfFile& file, const char* name, bool eh_frame);

  std::vector<FunctionRange> ranges_;  // sorted by start
};

}  // namespace kiln::symbolizer

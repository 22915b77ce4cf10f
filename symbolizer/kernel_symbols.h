// Kernel text symbols from /proc/kallsyms (vmlinux and modules), sorted for binary search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::symbolizer {

class KernelSymbols {
 public:
  struct Symbol {
    uint64_t address = 0;
    std::string name;
    std::string module;  // "[kernel]" or the module name ("ext4")
  };

  // Reads a kallsyms-format file. `restricted` is set when every address reads as zero
  // (kernel.kptr_restrict, or not enough privilege).
  bool load(const std::string& path = "/proc/kallsyms");
  bool restricted() const { return restricted_; }
  // The symbol at or below `address`; nullptr below the first symbol or past the last
  // symbol's module end.
  const Symbol* find(uint64_t address) const;

 private:
  std::vector<Symbol> symbols_;
  bool restricted_ = false;
};

}  // namespace kiln::symbolizer

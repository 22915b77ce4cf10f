// The code symbols of one binary: .symtab and .dynsym (of the binary and of its separate
// debug file) plus synthesized `name@plt` entries, sorted for binary search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "symbolizer/process_layer.h"

namespace kiln::symbolizer {

struct Symbol {
  uint64_t address = 0;
  uint64_t size = 0;
  std::string name;            // as in the file (mangled)
  const char* file = nullptr;  // source file of a local symbol (the STT_FILE before it)
};

class SymbolTable {
 public:
  // Adds the function symbols of .symtab and .dynsym, and the PLT stubs of `file`.
  void add_symbols(const ElfFile& file);
  // Sorts; among symbols at one address keeps the largest (then the first name by order).
  void finish();
  // The symbol containing `address`: the last one starting at or below it, unless it has a
  // size and ends before `address`. nullptr when none.
  const Symbol* find(uint64_t address) const;

 private:
  void add_section_symbols(const ElfFile& file, uint32_t section_type);
  void add_plt_symbols(const ElfFile& file);

  std::vector<Symbol> symbols_;
};

}  // namespace kiln::symbolizer

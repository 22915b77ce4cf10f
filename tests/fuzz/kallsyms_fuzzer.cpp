// Fuzzes the /proc/kallsyms reader (kernel and module text symbols) and its lookups.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "input_file.h"
#include "symbolizer/kernel_symbols.h"

using kiln::symbolizer::KernelSymbols;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kiln::fuzz::InputFile file;
  file.assign(data, size);
  KernelSymbols symbols;
  symbols.load(file.path());
  const std::string text(reinterpret_cast<const char*>(data), size);
  const uint64_t first = strtoull(text.c_str(), nullptr, 16);
  for (uint64_t address : {first, first + 1, first + (1u << 20) + 1, first - 1, ~uint64_t{0}}) {
    if (const KernelSymbols::Symbol* symbol = symbols.find(address)) {
      if (symbol->address > address) abort();  // a symbol above the address
    }
  }
  return 0;
}

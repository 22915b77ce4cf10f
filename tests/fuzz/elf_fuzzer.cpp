// Fuzzes the symbolizer on damaged binaries: the input is written to a file and addresses near
// its entry point are symbolized through symbolize_file, which reads the ELF headers, build-id
// and debuglink (elf_file), .symtab/.dynsym/PLT (symbol_table), DWARF units, inline chains and
// line tables (dwarf_index, whose DIEs kiln's own reader decodes: dwarf_unit), .eh_frame/
// .debug_frame FDEs (call_frame_index) and demangles.
// The seeds are small binaries whose entry point is a function with DWARF (seeds/tiny.c).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "input_file.h"
#include "symbolizer/symbolizer.h"

using namespace kiln::symbolizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kiln::fuzz::InputFile file;
  file.assign(data, size);
  uint64_t entry = 0x1000;  // e_entry of a 64-bit ELF header
  if (size >= 32) memcpy(&entry, data + 24, sizeof entry);
  Symbolizer::Options options;
  options.want_lines = true;
  options.debug_directories = {};  // the input alone, never a debug file of this machine
  Symbolizer symbolizer(options);
  for (uint64_t delta : {0, 1, 0x10, 0x28, 0x40, 0x80, 0x100, 0x200}) {
    for (AddressKind kind : {AddressKind::kVirtualAddress, AddressKind::kFileOffset}) {
      for (const Frame& frame : symbolizer.symbolize_file(file.path(), entry + delta, kind)) {
        if (frame.function.empty()) abort();  // every frame has a name, at least "[module]"
      }
    }
  }
  return 0;
}

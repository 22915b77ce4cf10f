// One parsed binary: its ELF symbols, its DWARF (from the binary or its separate debug file),
// its call frame information (where unnamed functions start) and the demangled names already
// computed. Shared by every process that maps it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolizer/call_frame_index.h"
#include "symbolizer/debug_file_locator.h"
#include "symbolizer/debuginfod_client.h"
#include "symbolizer/dwarf_index.h"
#include "symbolizer/process_layer.h"
#include "symbolizer/symbol_table.h"
#include "symbolizer/symbolizer.h"

namespace kiln::symbolizer {

// A frame as cached: pointers into strings the module owns for its whole life.
struct FrameRef {
  const std::string* function = nullptr;  // demangled name; nullptr: unnamed
  const char* mangled = nullptr;          // its linkage name as in the binary; nullptr: none
  // Of an unnamed function: its start from the call frame information ("[module]+0xSTART");
  // none when no FDE covers the address either ("[module]").
  std::optional<uint64_t> function_start;
  const char* file = nullptr;  // nullptr: unknown
  unsigned line = 0;
  FrameKind kind = FrameKind::kUser;
};

class BinaryModule {
 public:
  // Finds the debug file of `binary` now (while its process and root exist: .gnu_debuglink
  // is looked for beside its path in that file system); `binary` must outlive the module.
  // Symbols and DWARF are parsed at the first lookup, so snapshots stay cheap; problems then
  // are noted in `log`. Without DWARF and a local debug file, `debuginfod` (when not nullptr)
  // is asked for one at that first lookup too: after a recording, never while it samples.
  BinaryModule(const process::Binary& binary, const DebugFileLocator& locator,
               DebuginfodClient* debuginfod, ProblemLog* log);

  const ElfFile& binary() const { return binary_; }

  // Frames (innermost first) for a link-time virtual address; an unnamed function has only
  // its start (FrameRef::function_start); empty when no symbol, DWARF or FDE covers it.
  void symbolize(uint64_t vaddr, const Symbolizer::Options& options, std::vector<FrameRef>* frames);

 private:
  const std::string& display_name(const char* raw, const Symbolizer::Options& options);
  void parse();
  std::optional<uint64_t> unnamed_function_start(uint64_t vaddr);

  const ElfFile& binary_;
  std::unique_ptr<ElfFile> debug_;
  const std::string& path_;
  DebuginfodClient* debuginfod_;
  ProblemLog* log_;
  bool parsed_ = false;
  SymbolTable symbols_;        // the binary's own .symtab/.dynsym and PLT
  SymbolTable debug_symbols_;  // the debug file's .symtab (names stripped from the binary)
  std::unique_ptr<DwarfIndex> dwarf_;
  std::optional<CallFrameIndex> call_frames_;  // read at the first unnamed address
  // Raw name (as the symbol table or DWARF has it) -> demangled: the one cache of demangled
  // names; the frames cached keep pointers to its strings.
  std::unordered_map<const char*, std::string> names_;
  std::vector<DwarfFrame> scratch_;
};

}  // namespace kiln::symbolizer

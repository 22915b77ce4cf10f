// DWARF lookups with kiln's own per-compilation-unit index: the first lookup in a unit walks
// its DIE tree once (kiln's own reader, dwarf_unit.h) and paints every subprogram and
// inlined-subroutine range into sorted, disjoint segments (deepest DIE wins, as in
// llvm-symbolizer), so each later address costs two binary searches (segment, line row) and a
// walk up the inline chain. libdw lists the units and their address ranges (once per unit,
// cheap) and names the functions whose DIEs refer to a supplementary (dwz) file.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolizer/dwarf_unit.h"
#include "symbolizer/line_table.h"
#include "symbolizer/process_layer.h"

namespace kiln::symbolizer {

struct DwarfFrame {
  const char* name = nullptr;  // linkage name (mangled) or plain DW_AT_name; nullptr if none
  bool linkage_name = false;   // `name` is a linkage name
  const char* file = nullptr;  // absolute path as in the line table; nullptr if unknown
  unsigned line = 0;
  bool inlined = false;
};

class DwarfIndex {
 public:
  // DWARF of `file` (which must outlive the index); nullptr when it has none or it is corrupt.
  static std::unique_ptr<DwarfIndex> open(const ElfFile& file, std::string* error);
  ~DwarfIndex();
  DwarfIndex(const DwarfIndex&) = delete;
  DwarfIndex& operator=(const DwarfIndex&) = delete;

  // Frames for a link-time virtual address, innermost first (only the outermost function
  // unless `inlines`; files and lines only if `lines`). False when no compilation unit
  // covers the address.
  bool lookup(uint64_t address, bool inlines, bool lines, std::vector<DwarfFrame>* frames);

 private:
  struct Node {
    uint64_t die = 0;     // .debug_info offset
    int32_t parent = -1;  // enclosing inlined subroutine or subprogram; -1 for subprograms
    uint32_t call_file = 0;
    uint32_t call_line = 0;
    bool name_resolved = false;
    bool linkage_name = false;
    const char* name = nullptr;
  };
  struct Segment {
    uint64_t start;
    int32_t node;  // -1: no subroutine here
  };
  struct Unit {
    uint64_t offset = 0;  // of the unit header in .debug_info
    bool indexed = false;
    bool opened = false;
    std::unique_ptr<DwarfUnit> reader;  // once opened; nullptr if it cannot be read
    std::vector<Node> nodes;
    std::vector<Segment> segments;
    LineTable lines;
  };
  struct UnitRange {
    uint64_t start, end;
    uint32_t unit;
  };

  DwarfIndex() = default;
  Unit* unit_for(uint64_t address);
  void index_unit(Unit& unit);
  DwarfUnit* reader(Unit& unit);
  DwarfUnit* reader_for(uint64_t die_offset);
  const char* node_name(Node& node);
  const char* supplementary_name(Node& node);

  Dwarf* dwarf_ = nullptr;
  DwarfSections sections_;
  LineSections line_sections_;
  std::vector<Unit> units_;
  std::vector<UnitRange> ranges_;  // sorted by start
};

}  // namespace kiln::symbolizer

// A compilation unit's line table read straight from its .debug_line program (DWARF 2-5),
// kept as one entry per address where the answer changes: libdw's dwarf_getsrclines keeps
// every row (about 40 bytes each, millions in a big C++ program) and sorts them with malloc'd
// lists; this costs a fraction of the time and of the memory, with the same answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::symbolizer {

// The bytes of the sections a line program refers to (empty when absent).
struct LineSections {
  std::string_view line;      // .debug_line
  std::string_view line_str;  // .debug_line_str (DWARF 5 names)
  std::string_view str;       // .debug_str
};

class LineTable {
 public:
  // Reads the line program at `offset` in .debug_line; `comp_dir` (nullptr if none) is the
  // unit's DW_AT_comp_dir, which relative file names are joined to. False when the program
  // cannot be read (truncated, or a form this reader does not know); the table is then empty.
  bool read(const LineSections& sections, uint64_t offset, const char* comp_dir);

  // The file and line of the row covering `address`: the last row at or below it, unless
  // only an end of sequence is there (a gap between sequences). `file` is nullptr when the
  // row names no file of the table.
  bool find(uint64_t address, const char** file, unsigned* line) const;

  // Full path of file number `index` of the table (as DW_AT_call_file counts), or nullptr.
  const char* file(uint64_t index) const {
    return index < files_.size() ? files_[index].c_str() : nullptr;
  }

 private:
  struct Place {
    uint32_t file;
    uint32_t line;
  };
  static constexpr uint32_t kGap = UINT32_MAX;  // Place::file where no row covers

  std::vector<uint64_t> addresses_;  // sorted, each where the answer changes
  std::vector<Place> places_;        // the answer from that address on
  std::vector<std::string> files_;
};

}  // namespace kiln::symbolizer

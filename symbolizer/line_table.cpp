#include "symbolizer/line_table.h"

#include <dwarf.h>

#include <algorithm>
#include <cstring>

#include "symbolizer/byte_reader.h"

namespace kiln::symbolizer {
namespace {

// One DWARF 5 directory or file entry field: a string, an index or something skipped.
struct Field {
  const char* text = nullptr;
  uint64_t number = 0;
};

bool read_field(ByteReader& r, uint64_t form, unsigned offset_size, const LineSections& sections,
                Field* field) {
  switch (form) {
    case DW_FORM_string:
      field->text = r.cstr();
      break;
    case DW_FORM_line_strp:
    case DW_FORM_strp:
      field->text =
          string_at(form == DW_FORM_strp ? sections.str : sections.line_str, r.fixed(offset_size));
      if (!field->text) return false;
      break;
    case DW_FORM_udata:
      field->number = r.uleb();
      break;
    case DW_FORM_sdata:
      r.sleb();
      break;
    case DW_FORM_data1:
      field->number = r.fixed(1);
      break;
    case DW_FORM_data2:
      field->number = r.fixed(2);
      break;
    case DW_FORM_data4:
      field->number = r.fixed(4);
      break;
    case DW_FORM_data8:
      field->number = r.fixed(8);
      break;
    case DW_FORM_data16:
      r.skip(16);
      break;
    case DW_FORM_block:
      r.skip(r.uleb());
      break;
    default:  // strx forms need the unit's string offsets: not used in line tables by GCC/clang
      return false;
  }
  return !r.bad;
}

// A DWARF 5 entry table (directories or files): the (content type, form) format, then entries.
template <typename OnEntry>
bool read_entries(ByteReader& r, unsigned offset_size, const LineSections& sections,
                  OnEntry on_entry) {
  std::vector<std::pair<uint64_t, uint64_t>> format(r.u8());
  for (auto& [type, form] : format) {
    type = r.uleb();
    form = r.uleb();
  }
  uint64_t count = r.uleb();
  for (uint64_t i = 0; i < count && !r.bad; ++i) {
    const char* name = nullptr;
    uint64_t directory = 0;
    for (auto [type, form] : format) {
      Field field;
      if (!read_field(r, form, offset_size, sections, &field)) return false;
      if (type == DW_LNCT_path) name = field.text;
      if (type == DW_LNCT_directory_index) directory = field.number;
    }
    if (!name) return false;
    on_entry(name, directory);
  }
  return !r.bad;
}

struct Row {
  uint64_t address;
  uint32_t file;
  uint32_t line;
  bool end_sequence;
};

bool before(const Row& a, const Row& b) {
  return a.address != b.address ? a.address < b.address : a.end_sequence > b.end_sequence;
}

// The rows in libdw's order: by address, an end of sequence before rows that start at its
// address, otherwise as in the program (a stable sort). A sequence (rows up to an end of
// sequence) is almost always in order inside and apart from the others, so sequences are
// sorted as wholes by their first row; only those that overlap (the functions the linker
// discarded all start at 0) have their rows sorted, together.
std::vector<Row> in_address_order(std::vector<Row> rows) {
  std::vector<std::pair<size_t, size_t>> sequences;  // [begin, end) in program order
  for (size_t i = 0, begin = 0; i < rows.size(); ++i) {
    bool ends = rows[i].end_sequence;
    if (ends && i > begin && rows[i - 1].address == rows[i].address) {
      // GCC ends a sequence at the address of its last row, which the end then precedes.
      size_t run = i - 1;
      while (run > begin && rows[run - 1].address == rows[i].address) --run;
      std::rotate(rows.begin() + static_cast<std::ptrdiff_t>(run),
                  rows.begin() + static_cast<std::ptrdiff_t>(i),
                  rows.begin() + static_cast<std::ptrdiff_t>(i + 1));
    } else if (i > begin && before(rows[i], rows[i - 1])) {  // disordered: sort every row
      std::stable_sort(rows.begin(), rows.end(), before);
      return rows;
    }
    if (ends || i + 1 == rows.size()) {
      sequences.emplace_back(begin, i + 1);
      begin = i + 1;
    }
  }
  std::stable_sort(sequences.begin(), sequences.end(), [&](const auto& a, const auto& b) {
    return rows[a.first].address < rows[b.first].address;
  });
  std::vector<Row> sorted;
  sorted.reserve(rows.size());
  for (size_t k = 0; k < sequences.size();) {
    // A group of overlapping sequences: each next one starts before the group's last row,
    // or at it but earlier in the program.
    const Row* last = &rows[sequences[k].second - 1];
    size_t latest_begin = sequences[k].first;
    size_t end = k + 1;
    for (; end < sequences.size(); ++end) {
      const Row& first = rows[sequences[end].first];
      bool apart =
          before(*last, first) || (!before(first, *last) && latest_begin < sequences[end].first);
      if (apart) break;
      const Row& its_last = rows[sequences[end].second - 1];
      if (before(*last, its_last)) last = &its_last;
      latest_begin = std::max(latest_begin, sequences[end].first);
    }
    if (end > k + 1) std::sort(sequences.begin() + k, sequences.begin() + end);
    auto from = static_cast<std::ptrdiff_t>(sorted.size());
    for (size_t g = k; g < end; ++g) {
      sorted.insert(sorted.end(), rows.begin() + sequences[g].first,
                    rows.begin() + sequences[g].second);
    }
    if (end > k + 1) std::stable_sort(sorted.begin() + from, sorted.end(), before);
    k = end;
  }
  return sorted;
}

}  // namespace

bool LineTable::read(const LineSections& sections, uint64_t offset, const char* comp_dir) {
  if (offset >= sections.line.size()) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(sections.line.data());
  ByteReader r{base + offset, base + sections.line.size()};
  unsigned offset_size = 4;
  if (!r.enter_unit(&offset_size)) return false;
  unsigned version = static_cast<unsigned>(r.fixed(2));
  if (version < 2 || version > 5) return false;
  if (version >= 5) r.skip(2);  // address and segment selector sizes
  uint64_t header_length = r.fixed(offset_size);
  if (!r.has(header_length)) return false;
  const uint8_t* program = r.at + header_length;
  unsigned min_instruction_length = r.u8();
  unsigned max_ops = version >= 4 ? r.u8() : 1;
  bool default_is_stmt = r.u8() != 0;
  (void)default_is_stmt;  // every row counts, statements or not (as in libdw's table)
  int line_base = static_cast<int8_t>(r.u8());
  unsigned line_range = r.u8();
  unsigned opcode_base = r.u8();
  if (r.bad || line_range == 0 || opcode_base == 0 || max_ops != 1) return false;
  std::vector<uint8_t> operand_counts(opcode_base);
  for (unsigned i = 1; i < opcode_base; ++i) operand_counts[i] = r.u8();

  // Names as libdw gives them (directory + "/" + name unless the name is absolute), then
  // joined to the unit's directory when still relative, as llvm-symbolizer prints them.
  std::vector<const char*> directories;
  auto add_file = [&](const char* name, uint64_t directory) {
    std::string path;
    if (name[0] != '/' && directory < directories.size() && directories[directory]) {
      path = std::string(directories[directory]) + "/";
    }
    path += name;
    if (path[0] != '/' && comp_dir && *comp_dir) path = std::string(comp_dir) + "/" + path;
    files_.push_back(std::move(path));
  };
  if (version >= 5) {
    if (!read_entries(r, offset_size, sections,
                      [&](const char* name, uint64_t) { directories.push_back(name); }) ||
        !read_entries(r, offset_size, sections, add_file)) {
      files_.clear();
      return false;
    }
  } else {
    directories.push_back(comp_dir);  // directory 0 is the unit's
    auto more = [&]() { return r.has(1) && *r.at != 0; };
    while (more()) directories.push_back(r.cstr());
    r.skip(1);
    add_file("???", 0);  // file numbers start at 1 before DWARF 5
    while (more()) {
      const char* name = r.cstr();
      uint64_t directory = r.uleb();
      r.uleb();  // modification time
      r.uleb();  // length
      if (directory >= directories.size()) return false;
      add_file(name, directory);
    }
  }
  if (r.bad || program > r.end) {
    files_.clear();
    return false;
  }
  r.at = program;

  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(r.end - r.at) / 3);  // a row takes 3 to 6 bytes
  uint64_t address = 0, file = 1;
  int64_t line = 1;
  auto emit = [&](bool end_sequence) {
    rows.push_back({address, static_cast<uint32_t>(std::min<uint64_t>(file, kGap - 1)),
                    static_cast<uint32_t>(line), end_sequence});
  };
  auto reset = [&]() {
    address = 0;
    file = 1;
    line = 1;
  };
  while (r.at < r.end && !r.bad) {
    unsigned opcode = r.u8();
    if (opcode >= opcode_base) {  // special opcode: advance address and line, add a row
      unsigned adjusted = opcode - opcode_base;
      address += (adjusted / line_range) * min_instruction_length;
      line += line_base + static_cast<int>(adjusted % line_range);
      emit(false);
      continue;
    }
    switch (opcode) {
      case 0: {  // extended opcode
        uint64_t size = r.uleb();
        if (size == 0 || !r.has(size)) break;
        const uint8_t* next = r.at + size;
        unsigned sub = r.u8();
        if (sub == DW_LNE_end_sequence) {
          emit(true);
          reset();
        } else if (sub == DW_LNE_set_address && (size - 1 == 4 || size - 1 == 8)) {
          address = r.fixed(static_cast<unsigned>(size - 1));
        } else if (sub == DW_LNE_define_file && version < 5) {
          const char* name = r.cstr();
          uint64_t directory = r.uleb();
          if (!r.bad && directory < directories.size()) add_file(name, directory);
        }
        r.at = next;
        break;
      }
      case DW_LNS_copy:
        emit(false);
        break;
      case DW_LNS_advance_pc:
        address += r.uleb() * min_instruction_length;
        break;
      case DW_LNS_advance_line:
        line += r.sleb();
        break;
      case DW_LNS_set_file:
        file = r.uleb();
        break;
      case DW_LNS_const_add_pc:
        address += ((255 - opcode_base) / line_range) * min_instruction_length;
        break;
      case DW_LNS_fixed_advance_pc:
        address += r.fixed(2);
        break;
      default:  // operands of other standard opcodes (column, ISA, unknown ones) are skipped
        for (unsigned i = 0; i < operand_counts[opcode]; ++i) r.uleb();
        break;
    }
  }
  if (r.bad) {
    files_.clear();
    return false;
  }

  // The answer at an address is the last row there that does not end a sequence.
  rows = in_address_order(std::move(rows));
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    Place place{kGap, 0};
    for (; j < rows.size() && rows[j].address == rows[i].address; ++j) {
      // A file number past the table (DW_LNE_define_file may add some) names no file.
      uint32_t row_file = std::min<uint32_t>(rows[j].file, static_cast<uint32_t>(files_.size()));
      if (!rows[j].end_sequence) place = {row_file, rows[j].line};
    }
    if (places_.empty() || places_.back().file != place.file || places_.back().line != place.line) {
      addresses_.push_back(rows[i].address);
      places_.push_back(place);
    }
    i = j;
  }
  addresses_.shrink_to_fit();
  places_.shrink_to_fit();
  return true;
}

bool LineTable::find(uint64_t address, const char** file, unsigned* line) const {
  auto it = std::upper_bound(addresses_.begin(), addresses_.end(), address);
  if (it == addresses_.begin()) return false;
  const Place& place = places_[static_cast<size_t>(it - addresses_.begin()) - 1];
  if (place.file == kGap) return false;
  *file = this->file(place.file);
  *line = place.line;
  return true;
}

}  // namespace kiln::symbolizer

#include "symbolizer/dwarf_index.h"

#include <dwarf.h>

#include <algorithm>
#include <queue>
#include <string>
#include <string_view>

namespace kiln::symbolizer {
namespace {

constexpr int kMaxDepth = 512;  // bounds recursion on corrupt or hostile DWARF

struct Interval {
  uint64_t start, end;
  int32_t node;
};

// Tags whose children never hold code, skipped to save time: types keep only declarations
// of member functions (their code is described at unit or namespace level).
bool holds_no_code(int tag) {
  switch (tag) {
    case DW_TAG_formal_parameter:
    case DW_TAG_enumeration_type:
    case DW_TAG_subroutine_type:
    case DW_TAG_array_type:
    case DW_TAG_variable:
    case DW_TAG_template_type_parameter:
    case DW_TAG_template_value_parameter:
    case DW_TAG_GNU_template_parameter_pack:
    case DW_TAG_GNU_call_site:
    case DW_TAG_call_site:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
    case DW_TAG_union_type:
      return true;
    default:
      return false;
  }
}

// The attributes of a subroutine DIE that the index needs.
struct SubroutineAttributes {
  bool has_low = false, has_high = false, high_is_offset = false, has_ranges = false;
  uint64_t low = 0, high = 0;
  uint64_t call_file = 0, call_line = 0;
  AttributeValue ranges;
};

// Collects, in DIE order (parents before children), the address ranges of every subprogram
// and inlined subroutine of `unit`; `add_node` records a DIE and returns its index. Stops at
// the first damaged DIE, keeping what came before.
template <typename AddNode>
void walk(const DwarfUnit& unit, std::vector<Interval>* intervals, AddNode& add_node) {
  ByteReader r = unit.reader_at(unit.root_offset());
  const DwarfUnit::Abbrev* root = unit.read_abbrev(r);
  if (!root || !root->has_children ||
      !unit.read_attributes(r, *root, [](uint64_t, const AttributeValue&) {})) {
    return;
  }
  std::vector<int32_t> parents{-1};  // the enclosing node of each open list of children
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  while (!parents.empty() && !r.bad) {
    uint64_t offset = unit.offset_of(r);
    const DwarfUnit::Abbrev* abbrev = unit.read_abbrev(r);
    if (!abbrev) {  // the end of a list of children (or damage: r.bad)
      parents.pop_back();
      continue;
    }
    auto tag = static_cast<int>(abbrev->tag);
    bool subroutine = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
    bool descend = abbrev->has_children && !holds_no_code(tag);
    if (!subroutine && (descend || !abbrev->has_children)) {  // no attribute of it is needed
      if (!unit.skip_attributes(r, *abbrev)) return;
      if (descend && parents.size() <= kMaxDepth) {
        parents.push_back(parents.back());
      } else if (descend && !unit.skip_siblings(r)) {
        return;
      }
      continue;
    }
    SubroutineAttributes attrs;
    uint64_t sibling = 0;
    bool read = unit.read_attributes(r, *abbrev, [&](uint64_t name, const AttributeValue& value) {
      if (name == DW_AT_sibling) {
        if (!unit.reference(value, &sibling)) sibling = 0;
        return;
      }
      if (!subroutine) return;
      switch (name) {
        case DW_AT_low_pc:
          attrs.has_low = unit.address(value, &attrs.low);
          break;
        case DW_AT_high_pc:
          if (unit.address(value, &attrs.high)) {
            attrs.has_high = true;
          } else if (DwarfUnit::constant(value, &attrs.high)) {  // DWARF 4+: a length
            attrs.has_high = attrs.high_is_offset = true;
          }
          break;
        case DW_AT_ranges:
          attrs.has_ranges = true;
          attrs.ranges = value;
          break;
        case DW_AT_call_file:
          DwarfUnit::constant(value, &attrs.call_file);
          break;
        case DW_AT_call_line:
          DwarfUnit::constant(value, &attrs.call_line);
          break;
        default:
          break;
      }
    });
    if (!read) return;
    int32_t parent = parents.back();
    int32_t self = parent;
    if (subroutine) {
      bool inlined = tag == DW_TAG_inlined_subroutine;
      size_t first = intervals->size();
      // A low and high pc win over ranges, as in libdw's dwarf_ranges.
      if (attrs.has_low && attrs.has_high) {
        uint64_t end = attrs.high_is_offset ? attrs.low + attrs.high : attrs.high;
        if (end > attrs.low) intervals->push_back({attrs.low, end, -1});
      } else if (attrs.has_ranges) {
        ranges.clear();
        unit.ranges(attrs.ranges, &ranges);  // a damaged list keeps the ranges before it
        for (auto [start, end] : ranges) intervals->push_back({start, end, -1});
      }
      // Without code (declarations, abstract instances of inlined functions) nothing below
      // it has code either.
      if (intervals->size() == first) {
        descend = false;
      } else {
        self = add_node(offset, inlined ? parent : -1, inlined ? attrs.call_file : 0,
                        inlined ? attrs.call_line : 0);
        for (size_t i = first; i < intervals->size(); ++i) (*intervals)[i].node = self;
      }
    }
    if (!abbrev->has_children) continue;
    if (descend && parents.size() <= kMaxDepth) {
      parents.push_back(self);
    } else if (sibling > unit.offset_of(r)) {  // a sibling behind would loop: not taken
      r = unit.reader_at(sibling);
    } else if (!unit.skip_siblings(r)) {
      return;
    }
  }
}

// An empty string (damaged DWARF) is no name: the symbol table or "[module]" names it.
const char* non_empty(const char* name) {
  return name && *name ? name : nullptr;
}

// Paints intervals (given parents before children) into disjoint segments where the interval
// added last among those covering a point wins: the deepest inlined subroutine.
std::vector<std::pair<uint64_t, int32_t>> paint(const std::vector<Interval>& intervals) {
  struct Event {
    uint64_t at;
    bool start;
    uint32_t index;
  };
  std::vector<Event> events;
  events.reserve(intervals.size() * 2);
  for (uint32_t i = 0; i < intervals.size(); ++i) {
    events.push_back({intervals[i].start, true, i});
    events.push_back({intervals[i].end, false, i});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.at < b.at; });
  std::vector<bool> active(intervals.size(), false);
  std::priority_queue<uint32_t> live;  // interval indices; latest added on top
  std::vector<std::pair<uint64_t, int32_t>> segments;
  for (size_t i = 0; i < events.size();) {
    uint64_t at = events[i].at;
    for (; i < events.size() && events[i].at == at; ++i) {
      active[events[i].index] = events[i].start;
      if (events[i].start) live.push(events[i].index);
    }
    while (!live.empty() && !active[live.top()]) live.pop();
    int32_t node = live.empty() ? -1 : intervals[live.top()].node;
    if (segments.empty() || segments.back().second != node) segments.emplace_back(at, node);
  }
  return segments;
}

// A section's bytes as libdw reads them: libdw decompresses compressed sections (SHF_COMPRESSED,
// .zdebug_*) of the Elf in place when it opens it, so this comes after dwarf_begin_elf.
std::string_view dwarf_section(const ElfFile& file, const char* name) {
  GElf_Shdr header;
  Elf_Scn* scn = file.section(name, &header);
  if (!scn) scn = file.section((std::string(".z") + (name + 1)).c_str(), &header);
  Elf_Data* data = scn && header.sh_type != SHT_NOBITS ? elf_getdata(scn, nullptr) : nullptr;
  if (!data || !data->d_buf) return {};
  return {static_cast<const char*>(data->d_buf), data->d_size};
}

}  // namespace

std::unique_ptr<DwarfIndex> DwarfIndex::open(const ElfFile& file, std::string* error) {
  std::unique_ptr<DwarfIndex> index(new DwarfIndex);
  index->dwarf_ = dwarf_begin_elf(file.elf(), DWARF_C_READ, nullptr);
  if (!index->dwarf_) {
    if (error) *error = std::string("DWARF: ") + dwarf_errmsg(-1);
    return nullptr;
  }
  DwarfSections& s = index->sections_;
  s.info = dwarf_section(file, ".debug_info");
  s.abbrev = dwarf_section(file, ".debug_abbrev");
  s.str = dwarf_section(file, ".debug_str");
  s.line_str = dwarf_section(file, ".debug_line_str");
  s.str_offsets = dwarf_section(file, ".debug_str_offsets");
  s.addr = dwarf_section(file, ".debug_addr");
  s.ranges = dwarf_section(file, ".debug_ranges");
  s.rnglists = dwarf_section(file, ".debug_rnglists");
  index->line_sections_ = {dwarf_section(file, ".debug_line"), s.line_str, s.str};
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie, subdie;
  std::vector<std::pair<Dwarf_Off, uint32_t>> unit_offsets;  // unit DIE offset -> unit
  while (dwarf_get_units(index->dwarf_, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    uint32_t unit = static_cast<uint32_t>(index->units_.size());
    index->units_.push_back({});
    // dwarf_cuoffset counts from the unit header.
    index->units_.back().offset = dwarf_dieoffset(&cudie) - dwarf_cuoffset(&cudie);
    unit_offsets.emplace_back(dwarf_dieoffset(&cudie), unit);
    Dwarf_Addr base = 0, start = 0, end = 0;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&cudie, off, &base, &start, &end)) > 0) {
      if (end > start) index->ranges_.push_back({start, end, unit});
    }
  }
  // .debug_aranges covers units whose DIE has no address range (e.g. crtstuff.c).
  Dwarf_Aranges* aranges = nullptr;
  size_t arange_count = 0;
  if (dwarf_getaranges(index->dwarf_, &aranges, &arange_count) == 0) {
    std::sort(unit_offsets.begin(), unit_offsets.end());
    std::vector<bool> has_range(index->units_.size(), false);
    for (const UnitRange& r : index->ranges_) has_range[r.unit] = true;
    for (size_t i = 0; i < arange_count; ++i) {
      Dwarf_Addr start = 0;
      Dwarf_Word length = 0;
      Dwarf_Off die_offset = 0;
      if (dwarf_getarangeinfo(dwarf_onearange(aranges, i), &start, &length, &die_offset) != 0) {
        continue;
      }
      auto it = std::lower_bound(unit_offsets.begin(), unit_offsets.end(),
                                 std::make_pair(die_offset, uint32_t{0}));
      if (it == unit_offsets.end() || it->first != die_offset || has_range[it->second]) continue;
      if (length > 0) index->ranges_.push_back({start, start + length, it->second});
    }
  }
  std::sort(index->ranges_.begin(), index->ranges_.end(),
            [](const UnitRange& a, const UnitRange& b) { return a.start < b.start; });
  if (index->units_.empty()) {
    if (error) *error = "DWARF: no compilation units";
    return nullptr;
  }
  return index;
}

DwarfIndex::~DwarfIndex() {
  if (dwarf_) dwarf_end(dwarf_);
}

DwarfIndex::Unit* DwarfIndex::unit_for(uint64_t address) {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](uint64_t a, const UnitRange& r) { return a < r.start; });
  // Ranges rarely overlap; look back a little for one that contains the address.
  for (int checked = 0; it != ranges_.begin() && checked < 8; ++checked) {
    --it;
    if (address < it->end) return &units_[it->unit];
  }
  return nullptr;
}

DwarfUnit* DwarfIndex::reader(Unit& unit) {
  if (!unit.opened) {
    unit.opened = true;
    auto reader = std::make_unique<DwarfUnit>();
    if (reader->read(sections_, unit.offset)) unit.reader = std::move(reader);
  }
  return unit.reader.get();
}

DwarfUnit* DwarfIndex::reader_for(uint64_t die_offset) {
  auto it = std::upper_bound(units_.begin(), units_.end(), die_offset,
                             [](uint64_t offset, const Unit& u) { return offset < u.offset; });
  if (it == units_.begin()) return nullptr;
  DwarfUnit* unit = reader(*(it - 1));
  return unit && die_offset < unit->end() ? unit : nullptr;
}

void DwarfIndex::index_unit(Unit& unit) {
  unit.indexed = true;
  const DwarfUnit* dwarf_unit = reader(unit);
  if (!dwarf_unit) return;  // damaged or of an unknown version: addresses in it find no frames
  std::vector<Interval> intervals;
  auto add_node = [&](uint64_t die, int32_t parent, uint64_t call_file, uint64_t call_line) {
    Node node;
    node.die = die;
    node.parent = parent;
    node.call_file = static_cast<uint32_t>(call_file);
    node.call_line = static_cast<uint32_t>(call_line);
    unit.nodes.push_back(node);
    return static_cast<int32_t>(unit.nodes.size() - 1);
  };
  walk(*dwarf_unit, &intervals, add_node);
  for (auto [start, node] : paint(intervals)) unit.segments.push_back({start, node});
  unit.segments.shrink_to_fit();
  unit.nodes.shrink_to_fit();
  if (dwarf_unit->has_stmt_list()) {
    unit.lines.read(line_sections_, dwarf_unit->stmt_list(), dwarf_unit->comp_dir());
  }
}

// As libdw's dwarf_attr_integrate: a DIE's linkage name, else its MIPS linkage name, else its
// name, each looked for on the DIE and then on the DIEs it follows through
// DW_AT_abstract_origin (first) or DW_AT_specification, at most 16 of them.
const char* DwarfIndex::node_name(Node& node) {
  if (node.name_resolved) return node.name;
  node.name_resolved = true;
  constexpr int kLinkage = 0, kMipsLinkage = 1, kName = 2;
  // The first of each kind along the chain, read as a string only if it is the one used.
  struct Found {
    const DwarfUnit* unit = nullptr;
    AttributeValue value;
  } found[3];
  uint64_t offset = node.die;
  for (int chain = 0; chain <= 16; ++chain) {
    const DwarfUnit* unit = reader_for(offset);
    if (!unit) break;
    ByteReader r = unit->reader_at(offset);
    const DwarfUnit::Abbrev* abbrev = unit->read_abbrev(r);
    if (!abbrev) break;
    bool has_origin = false, has_specification = false, supplementary = false;
    AttributeValue origin, specification;
    auto note = [&](int kind, const AttributeValue& value) {
      if (!found[kind].unit) found[kind] = {unit, value};
    };
    bool read = unit->read_attributes(r, *abbrev, [&](uint64_t name, const AttributeValue& value) {
      if (value.form == DW_FORM_GNU_strp_alt || value.form == DW_FORM_GNU_ref_alt ||
          value.form == DW_FORM_strp_sup || value.form == DW_FORM_ref_sup4 ||
          value.form == DW_FORM_ref_sup8) {
        supplementary = true;
      }
      switch (name) {
        case DW_AT_linkage_name:
          note(kLinkage, value);
          break;
        case DW_AT_MIPS_linkage_name:
          note(kMipsLinkage, value);
          break;
        case DW_AT_name:
          note(kName, value);
          break;
        case DW_AT_abstract_origin:
          has_origin = true;
          origin = value;
          break;
        case DW_AT_specification:
          has_specification = true;
          specification = value;
          break;
        default:
          break;
      }
    });
    if (supplementary) return supplementary_name(node);
    if (!read) break;
    if (!has_origin && !has_specification) break;
    if (!unit->reference(has_origin ? origin : specification, &offset)) break;
  }
  auto text = [&](int kind) { return non_empty(found[kind].unit->string(found[kind].value)); };
  int kind = found[kLinkage].unit ? kLinkage : kMipsLinkage;
  if (found[kind].unit) {
    node.name = text(kind);
    node.linkage_name = node.name != nullptr;
  }
  if (!node.name && found[kName].unit) node.name = text(kName);
  return node.name;
}

// Names through libdw, which reads the supplementary file that dwz moved shared DIEs and
// strings to (.gnu_debugaltlink).
const char* DwarfIndex::supplementary_name(Node& node) {
  node.name = nullptr;
  node.linkage_name = false;
  Dwarf_Die die;
  if (!dwarf_offdie(dwarf_, node.die, &die)) return nullptr;
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(&die, DW_AT_linkage_name, &attr) ||
      dwarf_attr_integrate(&die, DW_AT_MIPS_linkage_name, &attr)) {
    node.name = non_empty(dwarf_formstring(&attr));
    node.linkage_name = node.name != nullptr;
  }
  if (!node.name) node.name = non_empty(dwarf_diename(&die));
  return node.name;
}

bool DwarfIndex::lookup(uint64_t address, bool inlines, bool lines,
                        std::vector<DwarfFrame>* frames) {
  frames->clear();
  Unit* unit = unit_for(address);
  if (!unit) return false;
  if (!unit->indexed) index_unit(*unit);

  DwarfFrame innermost;
  if (lines) unit->lines.find(address, &innermost.file, &innermost.line);
  auto seg = std::upper_bound(unit->segments.begin(), unit->segments.end(), address,
                              [](uint64_t a, const Segment& s) { return a < s.start; });
  int32_t node = seg == unit->segments.begin() ? -1 : (seg - 1)->node;
  if (node < 0) {
    frames->push_back(innermost);
    return true;
  }
  // Innermost first; each outer frame is located at the call site of the frame inside it.
  const char* file = innermost.file;
  unsigned line = innermost.line;
  for (int guard = 0; node >= 0 && guard < kMaxDepth; ++guard) {
    Node& n = unit->nodes[static_cast<size_t>(node)];
    DwarfFrame frame;
    frame.name = node_name(n);
    frame.linkage_name = n.linkage_name;
    frame.file = file;
    frame.line = line;
    if (inlines || n.parent < 0) frames->push_back(frame);
    file = lines ? unit->lines.file(n.call_file) : nullptr;
    line = n.call_line;
    node = n.parent;
  }
  // A frame is inlined when another frame encloses it.
  for (size_t i = 0; i < frames->size(); ++i) (*frames)[i].inlined = i + 1 < frames->size();
  if (!inlines && !frames->empty()) {
    frames->back().file = innermost.file;
    frames->back().line = innermost.line;
  }
  return true;
}

}  // namespace kiln::symbolizer

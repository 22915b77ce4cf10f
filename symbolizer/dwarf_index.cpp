#include "symbolizer/dwarf_index.h"

#include <dwarf.h>

#include <algorithm>
#include <queue>
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

// The attributes of a subroutine DIE that the index needs, read in one pass over the DIE
// (libdw's dwarf_attr rescans the attribute list for each attribute asked for).
struct SubroutineAttributes {
  bool has_low = false, has_high = false, high_is_offset = false, has_ranges = false;
  Dwarf_Addr low = 0, high = 0;
  Dwarf_Word call_file = 0, call_line = 0;
};

int collect_attribute(Dwarf_Attribute* attr, void* arg) {
  auto* a = static_cast<SubroutineAttributes*>(arg);
  switch (dwarf_whatattr(attr)) {
    case DW_AT_low_pc:
      a->has_low = dwarf_formaddr(attr, &a->low) == 0;
      break;
    case DW_AT_high_pc: {
      Dwarf_Word offset = 0;
      if (dwarf_formaddr(attr, &a->high) == 0) {
        a->has_high = true;
      } else if (dwarf_formudata(attr, &offset) == 0) {  // DWARF 4+: a length
        a->has_high = a->high_is_offset = true;
        a->high = offset;
      }
      break;
    }
    case DW_AT_ranges:
      a->has_ranges = true;
      break;
    case DW_AT_call_file:
      dwarf_formudata(attr, &a->call_file);
      break;
    case DW_AT_call_line:
      dwarf_formudata(attr, &a->call_line);
      break;
    default:
      break;
  }
  return DWARF_CB_OK;
}

// Collects, in DIE order (parents before children), the address ranges of every subprogram
// and inlined subroutine under `parent_die`; `add_node` records a DIE and returns its index.
template <typename AddNode>
void walk(Dwarf_Die* parent_die, int32_t parent, int depth, std::vector<Interval>* intervals,
          AddNode& add_node) {
  if (depth > kMaxDepth) return;
  Dwarf_Die child;
  if (dwarf_child(parent_die, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    int32_t self = parent;
    bool descend = dwarf_haschildren(&child) && !holds_no_code(tag);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
      bool inlined = tag == DW_TAG_inlined_subroutine;
      SubroutineAttributes attrs;
      dwarf_getattrs(&child, collect_attribute, &attrs, 0);
      size_t first = intervals->size();
      if (attrs.has_ranges) {
        Dwarf_Addr base = 0, start = 0, end = 0;
        ptrdiff_t off = 0;
        for (int guard = 0;
             (off = dwarf_ranges(&child, off, &base, &start, &end)) > 0 && guard < 100000;
             ++guard) {
          if (end > start) intervals->push_back({start, end, -1});
        }
      } else if (attrs.has_low && attrs.has_high) {
        Dwarf_Addr end = attrs.high_is_offset ? attrs.low + attrs.high : attrs.high;
        if (end > attrs.low) intervals->push_back({attrs.low, end, -1});
      }
      // Without code (declarations, abstract instances of inlined functions) nothing below
      // it has code either.
      if (intervals->size() == first) {
        descend = false;
      } else {
        self = add_node(&child, inlined ? parent : -1, inlined ? attrs.call_file : 0,
                        inlined ? attrs.call_line : 0);
        for (size_t i = first; i < intervals->size(); ++i) (*intervals)[i].node = self;
      }
    }
    if (descend) {
      walk(&child, self, depth + 1, intervals, add_node);
    }
    // A corrupt DW_AT_sibling could point backwards: stop instead of looping.
    Dwarf_Off offset = dwarf_dieoffset(&child);
    if (dwarf_siblingof(&child, &child) != 0 || dwarf_dieoffset(&child) <= offset) break;
  } while (true);
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
  index->line_sections_ = {dwarf_section(file, ".debug_line"),
                           dwarf_section(file, ".debug_line_str"),
                           dwarf_section(file, ".debug_str")};
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie, subdie;
  while (dwarf_get_units(index->dwarf_, cu, &next, &version, &unit_type, &cudie, &subdie) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    uint32_t unit = static_cast<uint32_t>(index->units_.size());
    index->units_.push_back({});
    index->units_.back().die = cudie;
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
    std::vector<std::pair<Dwarf_Off, uint32_t>> unit_offsets;  // DIE offset -> unit
    for (uint32_t u = 0; u < index->units_.size(); ++u) {
      unit_offsets.emplace_back(dwarf_dieoffset(&index->units_[u].die), u);
    }
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

void DwarfIndex::index_unit(Unit& unit) {
  unit.indexed = true;
  std::vector<Interval> intervals;
  auto add_node = [&](Dwarf_Die* die, int32_t parent, Dwarf_Word call_file, Dwarf_Word call_line) {
    Node node;
    node.die = dwarf_dieoffset(die);
    node.parent = parent;
    node.call_file = static_cast<uint32_t>(call_file);
    node.call_line = static_cast<uint32_t>(call_line);
    unit.nodes.push_back(node);
    return static_cast<int32_t>(unit.nodes.size() - 1);
  };
  walk(&unit.die, -1, 0, &intervals, add_node);
  for (auto [start, node] : paint(intervals)) unit.segments.push_back({start, node});
  unit.segments.shrink_to_fit();
  unit.nodes.shrink_to_fit();
  Dwarf_Attribute attr;
  Dwarf_Word stmt_list = 0;
  if (dwarf_formudata(dwarf_attr(&unit.die, DW_AT_stmt_list, &attr), &stmt_list) == 0) {
    const char* comp_dir = dwarf_formstring(dwarf_attr(&unit.die, DW_AT_comp_dir, &attr));
    unit.lines.read(line_sections_, stmt_list, comp_dir);
  }
}

const char* DwarfIndex::node_name(Node& node) {
  if (node.name_resolved) return node.name;
  node.name_resolved = true;
  Dwarf_Die die;
  if (!dwarf_offdie(dwarf_, node.die, &die)) return nullptr;
  Dwarf_Attribute attr;
  // An empty string (damaged DWARF) is no name: the symbol table or "[module]" names it.
  auto non_empty = [](const char* name) { return name && *name ? name : nullptr; };
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

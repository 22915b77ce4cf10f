#include "symbolizer/dwarf_unit.h"

#include <dwarf.h>

#include <algorithm>

namespace kiln::symbolizer {
namespace {

constexpr uint64_t kMaxDenseCode = 1 << 16;  // larger codes (rare) are searched
constexpr int kMaxRanges = 100000;           // bounds a range list on damaged input

ByteReader reader_of(std::string_view section, uint64_t offset) {
  const auto* begin = reinterpret_cast<const uint8_t*>(section.data());
  ByteReader r{begin + section.size(), begin + section.size()};
  if (offset <= section.size())
    r.at = begin + offset;
  else
    r.bad = true;
  return r;
}

}  // namespace

bool DwarfUnit::read(const DwarfSections& sections, uint64_t offset) {
  sections_ = sections;
  offset_ = offset;
  ByteReader r = reader_of(sections.info, offset);
  if (!r.enter_unit(&offset_size_)) return false;
  end_ = offset_of(r.end);
  version_ = static_cast<unsigned>(r.fixed(2));
  if (version_ < 2 || version_ > 5) return false;
  uint64_t abbrev_offset = 0;
  if (version_ >= 5) {
    unsigned unit_type = r.u8();
    address_size_ = r.u8();
    abbrev_offset = r.fixed(offset_size_);
    if (unit_type == DW_UT_skeleton || unit_type == DW_UT_split_compile) r.skip(8);  // dwo id
    if (unit_type == DW_UT_type || unit_type == DW_UT_split_type) r.skip(8 + offset_size_);
  } else {
    abbrev_offset = r.fixed(offset_size_);
    address_size_ = r.u8();
  }
  if (r.bad || (address_size_ != 4 && address_size_ != 8) || !read_abbrevs(abbrev_offset)) {
    return false;
  }
  root_offset_ = offset_of(r);

  // The root DIE: bases of the indexed forms first, as values that use them may come first.
  const Abbrev* root = read_abbrev(r);
  if (!root) return false;
  AttributeValue low_pc, comp_dir, stmt_list;
  bool has_str_offsets_base = false, has_rnglists_base = false;
  bool ok = read_attributes(r, *root, [&](uint64_t name, const AttributeValue& value) {
    switch (name) {
      case DW_AT_low_pc:
        low_pc = value;
        break;
      case DW_AT_comp_dir:
        comp_dir = value;
        break;
      case DW_AT_stmt_list:
        stmt_list = value;
        has_stmt_list_ = true;
        break;
      case DW_AT_str_offsets_base:
        str_offsets_base_ = value.number;
        has_str_offsets_base = true;
        break;
      case DW_AT_addr_base:
        addr_base_ = value.number;
        break;
      case DW_AT_rnglists_base:
        rnglists_base_ = value.number;
        has_rnglists_base = true;
        break;
      default:
        break;
    }
  });
  if (!ok) return false;
  // Without the attributes, the tables start after their section's header (as libdw has it).
  if (!has_str_offsets_base && version_ >= 5) str_offsets_base_ = offset_size_ == 8 ? 16 : 8;
  if (!has_rnglists_base && version_ >= 5) rnglists_base_ = offset_size_ == 8 ? 20 : 12;
  if (!address(low_pc, &base_address_)) base_address_ = 0;
  comp_dir_ = string(comp_dir);
  if (has_stmt_list_) stmt_list_ = stmt_list.number;
  return true;
}

bool DwarfUnit::read_abbrevs(uint64_t offset) {
  ByteReader r = reader_of(sections_.abbrev, offset);
  std::vector<Abbrev> list;
  for (uint64_t code = r.uleb(); code != 0 && !r.bad; code = r.uleb()) {
    Abbrev abbrev;
    abbrev.code = code;
    abbrev.tag = r.uleb();
    abbrev.has_children = r.u8() != 0;
    abbrev.first = static_cast<uint32_t>(specs_.size());
    for (uint64_t name = r.uleb(), form = r.uleb(); (name != 0 || form != 0) && !r.bad;
         name = r.uleb(), form = r.uleb()) {
      int64_t implicit_const = form == DW_FORM_implicit_const ? r.sleb() : 0;
      // Names and forms past 16 bits are none this reader knows: kept as 0 (no attribute)
      // and an unknown form, which fails the read of a DIE that uses it.
      AttributeSpec spec{static_cast<uint16_t>(name <= 0xffff ? name : 0),
                         static_cast<uint16_t>(form <= 0xffff ? form : 0xffff), -1, implicit_const};
      int size = fixed_size(spec.form);
      // Forms of a fixed size read as a number (not DW_FORM_data16, flag_present, implicit_const)
      if (size > 0 && size <= 8) spec.size = static_cast<int8_t>(size);
      specs_.push_back(spec);
    }
    abbrev.count = static_cast<uint32_t>(specs_.size() - abbrev.first);
    abbrev.fixed_size = 0;
    for (uint32_t i = abbrev.first; i < abbrev.first + abbrev.count; ++i) {
      int size = fixed_size(specs_[i].form);
      abbrev.fixed_size = size < 0 ? -1 : abbrev.fixed_size + size;
      if (size < 0) break;
    }
    list.push_back(abbrev);
  }
  if (r.bad) return false;
  uint64_t largest = 0;
  for (const Abbrev& a : list) largest = std::max(largest, a.code);
  dense_ = largest < kMaxDenseCode;
  if (dense_) {
    abbrevs_.assign(largest + 1, Abbrev{});
    for (const Abbrev& a : list) abbrevs_[a.code] = a;
  } else {
    abbrevs_ = std::move(list);
    std::stable_sort(abbrevs_.begin(), abbrevs_.end(),
                     [](const Abbrev& a, const Abbrev& b) { return a.code < b.code; });
  }
  return true;
}

ByteReader DwarfUnit::reader_at(uint64_t at) const {
  ByteReader r = reader_of(sections_.info, at);
  r.end = info_begin() + end_;
  if (at < root_offset_ || at >= end_) r.bad = true;
  return r;
}

const DwarfUnit::Abbrev* DwarfUnit::find_abbrev(ByteReader& r, uint64_t code) const {
  if (!dense_) {
    auto it = std::lower_bound(abbrevs_.begin(), abbrevs_.end(), code,
                               [](const Abbrev& a, uint64_t c) { return a.code < c; });
    if (it != abbrevs_.end() && it->code == code) return &*it;
  }
  r.bad = true;
  return nullptr;
}

int DwarfUnit::fixed_size(uint64_t form) const {
  switch (form) {
    case DW_FORM_flag_present:
    case DW_FORM_implicit_const:
      return 0;
    case DW_FORM_data1:
    case DW_FORM_ref1:
    case DW_FORM_flag:
    case DW_FORM_strx1:
    case DW_FORM_addrx1:
      return 1;
    case DW_FORM_data2:
    case DW_FORM_ref2:
    case DW_FORM_strx2:
    case DW_FORM_addrx2:
      return 2;
    case DW_FORM_strx3:
    case DW_FORM_addrx3:
      return 3;
    case DW_FORM_data4:
    case DW_FORM_ref4:
    case DW_FORM_ref_sup4:
    case DW_FORM_strx4:
    case DW_FORM_addrx4:
      return 4;
    case DW_FORM_data8:
    case DW_FORM_ref8:
    case DW_FORM_ref_sig8:
    case DW_FORM_ref_sup8:
      return 8;
    case DW_FORM_data16:
      return 16;
    case DW_FORM_addr:
      return static_cast<int>(address_size_);
    case DW_FORM_strp:
    case DW_FORM_line_strp:
    case DW_FORM_sec_offset:
    case DW_FORM_strp_sup:
    case DW_FORM_GNU_ref_alt:
    case DW_FORM_GNU_strp_alt:
      return static_cast<int>(offset_size_);
    case DW_FORM_ref_addr:
      return static_cast<int>(version_ == 2 ? address_size_ : offset_size_);
    default:
      return -1;  // LEB128 numbers, strings, blocks, indirect and unknown forms
  }
}

bool DwarfUnit::read_value(ByteReader& r, uint64_t form, int64_t implicit_const,
                           AttributeValue* value) const {
  value->form = form;
  int size = fixed_size(form);
  if (size > 0 && size <= 8) {  // constants, references, offsets, addresses, indexes
    value->number = r.fixed(static_cast<unsigned>(size));
    return !r.bad;
  }
  switch (form) {
    case DW_FORM_flag_present:
      value->number = 1;
      break;
    case DW_FORM_implicit_const:
      value->number = static_cast<uint64_t>(implicit_const);
      break;
    case DW_FORM_data16:
      r.skip(16);
      break;
    case DW_FORM_sdata:
      value->number = static_cast<uint64_t>(r.sleb());
      break;
    case DW_FORM_udata:
    case DW_FORM_ref_udata:
    case DW_FORM_strx:
    case DW_FORM_addrx:
    case DW_FORM_loclistx:
    case DW_FORM_rnglistx:
    case DW_FORM_GNU_addr_index:
    case DW_FORM_GNU_str_index:
      value->number = r.uleb();
      break;
    case DW_FORM_string:
      value->text = r.cstr();
      break;
    case DW_FORM_block1:
      r.skip(r.fixed(1));
      break;
    case DW_FORM_block2:
      r.skip(r.fixed(2));
      break;
    case DW_FORM_block4:
      r.skip(r.fixed(4));
      break;
    case DW_FORM_block:
    case DW_FORM_exprloc:
      r.skip(r.uleb());
      break;
    case DW_FORM_indirect: {
      uint64_t actual = r.uleb();
      // An indirect form naming itself again would recurse without end: refused.
      if (actual == DW_FORM_indirect || actual == DW_FORM_implicit_const) return false;
      return read_value(r, actual, 0, value);
    }
    default:
      return false;  // a form this reader does not know: the DIE cannot be skipped
  }
  return !r.bad;
}

bool DwarfUnit::skip_siblings(ByteReader& r) const {
  // Iterative: damaged input may nest DIEs as deep as its length allows.
  for (uint64_t depth = 1; depth > 0 && !r.bad;) {
    const Abbrev* abbrev = read_abbrev(r);
    if (!abbrev) {
      --depth;
      continue;
    }
    if (!skip_attributes(r, *abbrev)) return false;
    if (abbrev->has_children) ++depth;
  }
  return !r.bad;
}

bool DwarfUnit::indexed(std::string_view section, uint64_t base, uint64_t index, unsigned size,
                        uint64_t* value) const {
  if (index > (UINT64_MAX - base) / size) return false;
  ByteReader r = reader_of(section, base + index * size);
  *value = r.fixed(size);
  return !r.bad;
}

const char* DwarfUnit::string(const AttributeValue& value) const {
  uint64_t offset = value.number;
  switch (value.form) {
    case DW_FORM_string:
      return value.text;
    case DW_FORM_strp:
      return string_at(sections_.str, offset);
    case DW_FORM_line_strp:
      return string_at(sections_.line_str, offset);
    case DW_FORM_strx:
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx3:
    case DW_FORM_strx4:
      if (!indexed(sections_.str_offsets, str_offsets_base_, value.number, offset_size_, &offset))
        return nullptr;
      return string_at(sections_.str, offset);
    default:
      return nullptr;
  }
}

bool DwarfUnit::address(const AttributeValue& value, uint64_t* address) const {
  switch (value.form) {
    case DW_FORM_addr:
      *address = value.number;
      return true;
    case DW_FORM_addrx:
    case DW_FORM_addrx1:
    case DW_FORM_addrx2:
    case DW_FORM_addrx3:
    case DW_FORM_addrx4:
      return indexed(sections_.addr, addr_base_, value.number, address_size_, address);
    default:
      return false;
  }
}

bool DwarfUnit::constant(const AttributeValue& value, uint64_t* number) {
  switch (value.form) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata:
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
      *number = value.number;
      return true;
    default:
      return false;
  }
}

bool DwarfUnit::reference(const AttributeValue& value, uint64_t* die_offset) const {
  switch (value.form) {
    case DW_FORM_ref1:
    case DW_FORM_ref2:
    case DW_FORM_ref4:
    case DW_FORM_ref8:
    case DW_FORM_ref_udata:
      if (value.number >= end_ - offset_) return false;
      *die_offset = offset_ + value.number;
      return true;
    case DW_FORM_ref_addr:
      if (value.number >= sections_.info.size()) return false;
      *die_offset = value.number;
      return true;
    default:
      return false;  // type signatures, supplementary (dwz) files
  }
}

bool DwarfUnit::ranges(const AttributeValue& value,
                       std::vector<std::pair<uint64_t, uint64_t>>* list) const {
  auto add = [&](uint64_t start, uint64_t end) {
    if (end > start) list->emplace_back(start, end);
  };
  uint64_t base = base_address_;
  if (version_ < 5) {  // .debug_ranges: pairs of addresses, a base selection, (0, 0) to end
    if (value.form != DW_FORM_sec_offset && value.form != DW_FORM_data4 &&
        value.form != DW_FORM_data8) {
      return false;
    }
    ByteReader r = reader_of(sections_.ranges, value.number);
    uint64_t largest = address_size_ == 8 ? UINT64_MAX : UINT32_MAX;
    for (int i = 0; i < kMaxRanges && !r.bad; ++i) {
      uint64_t start = r.fixed(address_size_), end = r.fixed(address_size_);
      if (r.bad) break;
      if (start == 0 && end == 0) return true;
      if (start == largest)
        base = end;
      else
        add(base + start, base + end);
    }
    return false;
  }
  uint64_t offset = value.number;
  if (value.form == DW_FORM_rnglistx) {
    if (!indexed(sections_.rnglists, rnglists_base_, value.number, offset_size_, &offset))
      return false;
    offset += rnglists_base_;
  } else if (value.form != DW_FORM_sec_offset) {
    return false;
  }
  ByteReader r = reader_of(sections_.rnglists, offset);
  for (int i = 0; i < kMaxRanges && !r.bad; ++i) {
    uint64_t start = 0, end = 0;
    auto at = [&](uint64_t index, uint64_t* address) {
      if (!indexed(sections_.addr, addr_base_, index, address_size_, address)) r.bad = true;
    };
    switch (r.u8()) {
      case DW_RLE_end_of_list:
        return !r.bad;
      case DW_RLE_base_addressx:
        at(r.uleb(), &base);
        break;
      case DW_RLE_startx_endx:
        at(r.uleb(), &start);
        at(r.uleb(), &end);
        add(start, end);
        break;
      case DW_RLE_startx_length:
        at(r.uleb(), &start);
        end = r.uleb();
        add(start, start + end);
        break;
      case DW_RLE_offset_pair:
        start = r.uleb();
        end = r.uleb();
        add(base + start, base + end);
        break;
      case DW_RLE_base_address:
        base = r.fixed(address_size_);
        break;
      case DW_RLE_start_end:
        start = r.fixed(address_size_);
        end = r.fixed(address_size_);
        add(start, end);
        break;
      case DW_RLE_start_length:
        start = r.fixed(address_size_);
        end = r.uleb();
        add(start, start + end);
        break;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace kiln::symbolizer

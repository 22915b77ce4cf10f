// A DWARF 2-5 compilation unit read straight from .debug_info through its abbreviation table:
// each DIE's attributes are decoded once, in one pass, where libdw decodes them again for each
// of dwarf_tag, dwarf_child, dwarf_getattrs and dwarf_siblingof. Every read is bounds-checked;
// damaged input yields a failed read, never a read outside a section.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "symbolizer/byte_reader.h"

namespace kiln::symbolizer {

// The bytes of the sections DIEs refer to (empty when absent).
struct DwarfSections {
  std::string_view info, abbrev, str, line_str, str_offsets, addr, ranges, rnglists;
};

// One attribute as read from a DIE: `number` is its constant, reference, section offset or
// index, as the form says; `text` an inline string (DW_FORM_string).
struct AttributeValue {
  uint64_t form = 0;
  uint64_t number = 0;
  const char* text = nullptr;
};

class DwarfUnit {
 public:
  struct AttributeSpec {
    uint16_t name;
    uint16_t form;
    int8_t size;  // bytes of a value read as a number, -1 for the other forms
    int64_t implicit_const;
  };
  struct Abbrev {
    uint64_t code = 0;  // 0: no such abbreviation
    uint64_t tag = 0;
    bool has_children = false;
    uint32_t first = 0, count = 0;  // its attributes in specs_
    int32_t fixed_size = -1;        // bytes of its attributes when no form has a varying size
  };

  // Reads the unit header at `offset` in .debug_info, its abbreviation table and its root
  // DIE; false when any is damaged or the version is not 2-5.
  bool read(const DwarfSections& sections, uint64_t offset);

  uint64_t offset() const { return offset_; }            // of the unit header
  uint64_t root_offset() const { return root_offset_; }  // of the unit's DIE
  uint64_t end() const { return end_; }                  // one past the unit
  const char* comp_dir() const { return comp_dir_; }     // nullptr if none
  bool has_stmt_list() const { return has_stmt_list_; }
  uint64_t stmt_list() const { return stmt_list_; }

  // A reader over the unit from .debug_info offset `at` (a bad one outside the unit).
  ByteReader reader_at(uint64_t at) const;
  uint64_t offset_of(const ByteReader& r) const { return offset_of(r.at); }
  uint64_t offset_of(const uint8_t* at) const { return static_cast<uint64_t>(at - info_begin()); }

  // The abbreviation of the DIE at `r`: nullptr at the end of a list of siblings (code 0),
  // and sets r.bad when the code is unknown.
  const Abbrev* read_abbrev(ByteReader& r) const {
    uint64_t code = r.uleb();
    if (code == 0 || r.bad) return nullptr;
    if (dense_ && code < abbrevs_.size() && abbrevs_[code].code == code) return &abbrevs_[code];
    return find_abbrev(r, code);
  }

  // Reads the DIE's attributes at `r`, calling on_attribute(name, value) for each.
  template <typename OnAttribute>
  bool read_attributes(ByteReader& r, const Abbrev& abbrev, OnAttribute&& on_attribute) const {
    for (uint32_t i = 0; i < abbrev.count && !r.bad; ++i) {
      const AttributeSpec& spec = specs_[abbrev.first + i];
      AttributeValue value;
      if (spec.size >= 0) {  // most attributes: read here, without read_value's switch
        value.form = spec.form;
        value.number = r.fixed(static_cast<unsigned>(spec.size));
      } else if (!read_value(r, spec.form, spec.implicit_const, &value)) {
        return false;
      }
      on_attribute(spec.name, value);
    }
    return !r.bad;
  }

  // Skips the attributes of a DIE.
  bool skip_attributes(ByteReader& r, const Abbrev& abbrev) const {
    if (abbrev.fixed_size >= 0) {
      r.skip(static_cast<uint64_t>(abbrev.fixed_size));
      return !r.bad;
    }
    return read_attributes(r, abbrev, [](uint64_t, const AttributeValue&) {});
  }

  // Skips the DIEs up to the end of the current list of siblings (with their children).
  bool skip_siblings(ByteReader& r) const;

  // The value as a string, address, constant or .debug_info offset of a DIE; nullptr or
  // false when the form is not of that class or the value points outside its section.
  const char* string(const AttributeValue& value) const;
  bool address(const AttributeValue& value, uint64_t* address) const;
  static bool constant(const AttributeValue& value, uint64_t* number);
  bool reference(const AttributeValue& value, uint64_t* die_offset) const;

  // Appends the non-empty ranges of a DW_AT_ranges value; false when the list cannot be read
  // to its end.
  bool ranges(const AttributeValue& value, std::vector<std::pair<uint64_t, uint64_t>>* list) const;

 private:
  const uint8_t* info_begin() const {
    return reinterpret_cast<const uint8_t*>(sections_.info.data());
  }
  bool read_abbrevs(uint64_t offset);
  const Abbrev* find_abbrev(ByteReader& r, uint64_t code) const;
  int fixed_size(uint64_t form) const;
  bool read_value(ByteReader& r, uint64_t form, int64_t implicit_const,
                  AttributeValue* value) const;
  bool indexed(std::string_view section, uint64_t base, uint64_t index, unsigned size,
               uint64_t* value) const;

  DwarfSections sections_;
  uint64_t offset_ = 0, root_offset_ = 0, end_ = 0;
  unsigned version_ = 0, offset_size_ = 4, address_size_ = 8;
  uint64_t str_offsets_base_ = 0, addr_base_ = 0, rnglists_base_ = 0, base_address_ = 0;
  const char* comp_dir_ = nullptr;
  bool has_stmt_list_ = false;
  uint64_t stmt_list_ = 0;
  std::vector<Abbrev> abbrevs_;  // by code when dense, else sorted by code
  bool dense_ = true;
  std::vector<AttributeSpec> specs_;
};

}  // namespace kiln::symbolizer

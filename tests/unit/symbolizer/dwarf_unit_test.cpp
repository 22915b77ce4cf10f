// kiln's DIE reader on DWARF 5 sections written byte by byte here: the attributes a DIE has,
// strings through .debug_str and .debug_str_offsets, addresses through .debug_addr, range
// lists, references; and on damaged copies (truncated units, unknown abbreviation codes,
// offsets and indexes out of range, unknown versions and forms): a failed read, never a read
// outside the bytes given (run under ASan in CI).
#include <dwarf.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "symbolizer/dwarf_unit.h"

namespace kiln::symbolizer {
namespace {

struct Bytes {
  std::string data;
  Bytes& u8(uint64_t v) { return fixed(v, 1); }
  Bytes& fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) data.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Bytes& uleb(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      data.push_back(static_cast<char>(b | (v ? 0x80 : 0)));
    } while (v);
    return *this;
  }
  Bytes& str(const std::string& s) {
    data += s;
    data.push_back('\0');
    return *this;
  }
};

// One unit: a compile unit (name by strx1, low_pc by addrx, str_offsets_base, addr_base,
// rnglists_base) holding a subprogram (name by strp, low_pc, high_pc as a length, a sibling
// reference) and, under it, an inlined subroutine (abstract_origin, ranges by rnglistx,
// call_line as an implicit constant).
struct Dwarf5 {
  Bytes abbrev, info, str, str_offsets, addr, rnglists;
  size_t subprogram_offset = 0, inlined_offset = 0;

  Dwarf5() {
    abbrev.uleb(1).uleb(DW_TAG_compile_unit).u8(1);
    abbrev.uleb(DW_AT_name).uleb(DW_FORM_strx1).uleb(DW_AT_low_pc).uleb(DW_FORM_addrx);
    abbrev.uleb(DW_AT_str_offsets_base).uleb(DW_FORM_sec_offset);
    abbrev.uleb(DW_AT_addr_base).uleb(DW_FORM_sec_offset);
    abbrev.uleb(DW_AT_rnglists_base).uleb(DW_FORM_sec_offset).uleb(0).uleb(0);
    abbrev.uleb(2).uleb(DW_TAG_subprogram).u8(1);
    abbrev.uleb(DW_AT_name).uleb(DW_FORM_strp).uleb(DW_AT_low_pc).uleb(DW_FORM_addr);
    abbrev.uleb(DW_AT_high_pc).uleb(DW_FORM_data4).uleb(DW_AT_sibling).uleb(DW_FORM_ref4);
    abbrev.uleb(0).uleb(0);
    abbrev.uleb(3).uleb(DW_TAG_inlined_subroutine).u8(0);
    abbrev.uleb(DW_AT_abstract_origin).uleb(DW_FORM_ref4).uleb(DW_AT_ranges);
    abbrev.uleb(DW_FORM_rnglistx).uleb(DW_AT_call_line).uleb(DW_FORM_implicit_const);
    abbrev.data.push_back(42);  // sleb 42
    abbrev.uleb(0).uleb(0).uleb(0);

    str.str("").str("unit.c").str("outer");                        // "unit.c" at 1, "outer" at 8
    str_offsets.fixed(12, 4).fixed(5, 2).fixed(0, 2).fixed(1, 4);  // header, then offset 1
    addr.fixed(12, 4).fixed(5, 2).u8(8).u8(0).fixed(0x1000, 8);    // header, then 0x1000
    rnglists.fixed(0, 4).fixed(5, 2).u8(8).u8(0).fixed(1, 4);      // header, 1 offset
    rnglists.fixed(4, 4);                                          // list 0 at +4
    rnglists.u8(DW_RLE_offset_pair).uleb(0x10).uleb(0x20);
    rnglists.u8(DW_RLE_start_length).fixed(0x3000, 8).uleb(0x8);
    rnglists.u8(DW_RLE_end_of_list);

    Bytes body;  // after the 12-byte header
    body.uleb(1).u8(0).uleb(0).fixed(8, 4).fixed(8, 4).fixed(12, 4);
    subprogram_offset = 12 + body.data.size();
    size_t sibling_at = body.uleb(2).fixed(8, 4).fixed(0x1000, 8).fixed(0x100, 4).data.size();
    body.fixed(0, 4);  // sibling, patched below
    inlined_offset = 12 + body.data.size();
    body.uleb(3).fixed(subprogram_offset, 4).uleb(0);
    body.uleb(0);  // end of the subprogram's children
    for (int i = 0; i < 4; ++i) {
      body.data[sibling_at + i] = static_cast<char>((12 + body.data.size()) >> (8 * i));
    }
    body.uleb(0);  // end of the unit's children
    info.fixed(body.data.size() + 8, 4).fixed(5, 2).u8(DW_UT_compile).u8(8).fixed(0, 4);
    info.data += body.data;
  }

  DwarfSections sections() const {
    DwarfSections s;
    s.info = info.data;
    s.abbrev = abbrev.data;
    s.str = str.data;
    s.str_offsets = str_offsets.data;
    s.addr = addr.data;
    s.rnglists = rnglists.data;
    return s;
  }
};

struct Attributes {
  uint64_t tag = 0;
  std::vector<std::pair<uint64_t, AttributeValue>> values;
  const AttributeValue* find(uint64_t name) const {
    for (const auto& [n, v] : values) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

// The DIE at `offset`, or false when it cannot be read.
bool read_die(const DwarfUnit& unit, uint64_t offset, Attributes* die) {
  ByteReader r = unit.reader_at(offset);
  const DwarfUnit::Abbrev* abbrev = unit.read_abbrev(r);
  if (!abbrev) return false;
  die->tag = abbrev->tag;
  return unit.read_attributes(r, *abbrev, [&](uint64_t name, const AttributeValue& v) {
    die->values.emplace_back(name, v);
  });
}

TEST(DwarfUnit, ReadsDwarf5FormsThroughTheirSections) {
  Dwarf5 dwarf;
  DwarfUnit unit;
  ASSERT_TRUE(unit.read(dwarf.sections(), 0));
  EXPECT_EQ(unit.root_offset(), 12u);
  EXPECT_EQ(unit.end(), dwarf.info.data.size());

  Attributes root;
  ASSERT_TRUE(read_die(unit, unit.root_offset(), &root));
  EXPECT_EQ(root.tag, uint64_t{DW_TAG_compile_unit});
  EXPECT_STREQ(unit.string(*root.find(DW_AT_name)), "unit.c");
  uint64_t address = 0;
  EXPECT_TRUE(unit.address(*root.find(DW_AT_low_pc), &address));
  EXPECT_EQ(address, 0x1000u);

  Attributes subprogram;
  ASSERT_TRUE(read_die(unit, dwarf.subprogram_offset, &subprogram));
  EXPECT_EQ(subprogram.tag, uint64_t{DW_TAG_subprogram});
  EXPECT_STREQ(unit.string(*subprogram.find(DW_AT_name)), "outer");
  uint64_t length = 0, sibling = 0;
  EXPECT_TRUE(DwarfUnit::constant(*subprogram.find(DW_AT_high_pc), &length));
  EXPECT_EQ(length, 0x100u);
  EXPECT_TRUE(unit.reference(*subprogram.find(DW_AT_sibling), &sibling));
  EXPECT_EQ(sibling, dwarf.info.data.size() - 1);  // the unit's closing 0

  Attributes inlined;
  ASSERT_TRUE(read_die(unit, dwarf.inlined_offset, &inlined));
  EXPECT_EQ(inlined.tag, uint64_t{DW_TAG_inlined_subroutine});
  uint64_t origin = 0, call_line = 0;
  EXPECT_TRUE(unit.reference(*inlined.find(DW_AT_abstract_origin), &origin));
  EXPECT_EQ(origin, dwarf.subprogram_offset);
  EXPECT_TRUE(DwarfUnit::constant(*inlined.find(DW_AT_call_line), &call_line));
  EXPECT_EQ(call_line, 42u);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  EXPECT_TRUE(unit.ranges(*inlined.find(DW_AT_ranges), &ranges));
  // An offset pair from the unit's base address (its low_pc), then a start and length.
  EXPECT_EQ(ranges,
            (std::vector<std::pair<uint64_t, uint64_t>>{{0x1010, 0x1020}, {0x3000, 0x3008}}));

  // The children of the unit, skipped to their end, leave the reader at the unit's end.
  ByteReader r = unit.reader_at(dwarf.subprogram_offset);
  EXPECT_TRUE(unit.skip_siblings(r));
  EXPECT_EQ(unit.offset_of(r), unit.end());
}

TEST(DwarfUnit, TruncatedUnitsAreRefused) {
  Dwarf5 dwarf;
  for (size_t size = 0; size < dwarf.info.data.size(); ++size) {
    SCOPED_TRACE("section cut to " + std::to_string(size) + " bytes");
    DwarfSections s = dwarf.sections();
    s.info = s.info.substr(0, size);  // the unit's length runs past the section
    DwarfUnit unit;
    EXPECT_FALSE(unit.read(s, 0));
  }
  // A unit whose length ends it early: its DIEs cannot be read to the end of their lists.
  for (uint32_t length = 8; length < dwarf.info.data.size() - 4; ++length) {
    SCOPED_TRACE("unit length " + std::to_string(length));
    Bytes info = dwarf.info;
    for (int i = 0; i < 4; ++i) info.data[i] = static_cast<char>(length >> (8 * i));
    DwarfSections s = dwarf.sections();
    s.info = info.data;
    DwarfUnit unit;
    if (!unit.read(s, 0)) continue;  // the root DIE itself is cut
    ByteReader r = unit.reader_at(dwarf.subprogram_offset);
    EXPECT_FALSE(unit.skip_siblings(r));
  }
}

TEST(DwarfUnit, UnknownAbbreviationCodeFailsTheRead) {
  Dwarf5 dwarf;
  dwarf.info.data[dwarf.inlined_offset] = 9;  // no abbreviation 9
  DwarfUnit unit;
  ASSERT_TRUE(unit.read(dwarf.sections(), 0));
  Attributes die;
  EXPECT_FALSE(read_die(unit, dwarf.inlined_offset, &die));
  ByteReader r = unit.reader_at(dwarf.subprogram_offset);
  EXPECT_FALSE(unit.skip_siblings(r));
}

TEST(DwarfUnit, OffsetsAndIndexesOutOfRangeResolveToNothing) {
  Dwarf5 dwarf;
  DwarfUnit unit;
  ASSERT_TRUE(unit.read(dwarf.sections(), 0));
  uint64_t number = 0;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  EXPECT_EQ(unit.string({DW_FORM_strp, dwarf.str.data.size(), nullptr}), nullptr);
  EXPECT_EQ(unit.string({DW_FORM_strp, UINT64_MAX, nullptr}), nullptr);
  EXPECT_EQ(unit.string({DW_FORM_strx, 1, nullptr}), nullptr);  // one offset in the table
  EXPECT_EQ(unit.string({DW_FORM_strx, UINT64_MAX / 2, nullptr}), nullptr);
  EXPECT_EQ(unit.string({DW_FORM_GNU_strp_alt, 1, nullptr}), nullptr);  // no dwz file here
  EXPECT_FALSE(unit.address({DW_FORM_addrx, 1, nullptr}, &number));
  EXPECT_FALSE(unit.address({DW_FORM_addrx, UINT64_MAX, nullptr}, &number));
  EXPECT_FALSE(unit.reference({DW_FORM_ref4, unit.end(), nullptr}, &number));
  EXPECT_FALSE(unit.reference({DW_FORM_ref_addr, dwarf.info.data.size(), nullptr}, &number));
  EXPECT_FALSE(unit.reference({DW_FORM_ref_sig8, 1, nullptr}, &number));
  EXPECT_FALSE(unit.ranges({DW_FORM_rnglistx, UINT64_MAX / 4, nullptr}, &ranges));
  EXPECT_FALSE(unit.ranges({DW_FORM_sec_offset, dwarf.rnglists.data.size(), nullptr}, &ranges));
  EXPECT_TRUE(ranges.empty());
  EXPECT_EQ(unit.reader_at(unit.end()).bad, true);
  EXPECT_EQ(unit.reader_at(UINT64_MAX).bad, true);

  DwarfSections s = dwarf.sections();
  EXPECT_FALSE(unit.read(s, s.info.size()));  // no unit there
  EXPECT_FALSE(unit.read(s, UINT64_MAX));
  Dwarf5 far_abbrevs;
  far_abbrevs.info.data[8] = 0x7f;  // abbreviation offset past .debug_abbrev
  EXPECT_FALSE(DwarfUnit().read(far_abbrevs.sections(), 0));
}

TEST(DwarfUnit, UnknownVersionsAndFormsAreRefused) {
  for (int version : {0, 1, 6, 0xffff}) {
    Dwarf5 dwarf;
    dwarf.info.data[4] = static_cast<char>(version);
    dwarf.info.data[5] = static_cast<char>(version >> 8);
    EXPECT_FALSE(DwarfUnit().read(dwarf.sections(), 0)) << version;
  }
  // The subprogram's name form made unknown (0x7e), then DW_FORM_indirect naming itself.
  for (char form : {'\x7e', static_cast<char>(DW_FORM_indirect)}) {
    Dwarf5 dwarf;
    size_t at = dwarf.abbrev.data.find(std::string("\x03\x0e", 2));  // DW_AT_name, DW_FORM_strp
    ASSERT_NE(at, std::string::npos);
    dwarf.abbrev.data[at + 1] = form;
    if (form == DW_FORM_indirect) {
      // The value now starts with the indirect form: DW_FORM_indirect again.
      dwarf.info.data[dwarf.subprogram_offset + 1] = static_cast<char>(DW_FORM_indirect);
    }
    DwarfUnit unit;
    ASSERT_TRUE(unit.read(dwarf.sections(), 0));
    Attributes die;
    EXPECT_FALSE(read_die(unit, dwarf.subprogram_offset, &die));
  }
}

}  // namespace
}  // namespace kiln::symbolizer

#include "symbolizer/call_frame_index.h"

#include <elfutils/libdw.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace kiln::symbolizer {
namespace {

// Pointer encodings (DW_EH_PE_*, LSB "Exception Frames"): the low nibble is the value's
// format, bits 4-6 what it is relative to, bit 7 an indirection (which does not change the
// stored size). libdw decodes them internally but does not export that.
constexpr uint8_t kOmit = 0xff;
constexpr uint8_t kFormatMask = 0x0f;
constexpr uint8_t kApplicationMask = 0x70;
enum : uint8_t {
  kAbsPtr = 0x00,
  kUleb128 = 0x01,
  kUdata2 = 0x02,
  kUdata4 = 0x03,
  kUdata8 = 0x04,
  kSleb128 = 0x09,
  kSdata2 = 0x0a,
  kSdata4 = 0x0b,
  kSdata8 = 0x0c,
};
enum : uint8_t { kAbsolute = 0x00, kPcRelative = 0x10 };

// Reads one value in `encoding`'s format (the application bits are the caller's), moving
// `*p`; false when it runs past `end` or the format is unknown.
bool read_value(uint8_t encoding, unsigned address_size, const uint8_t** p, const uint8_t* end,
                uint64_t* value) {
  auto fixed = [&](size_t size, bool is_signed) {
    if (static_cast<size_t>(end - *p) < size) return false;
    uint64_t v = 0;
    memcpy(&v, *p, size);  // little endian: x86-64 and aarch64 hosts read their own files
    if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~uint64_t{0} << (8 * size);
    *p += size;
    *value = v;
    return true;
  };
  auto leb128 = [&](bool is_signed) {
    uint64_t v = 0;
    unsigned shift = 0;
    while (*p < end) {
      uint8_t byte = *(*p)++;
      if (shift < 64) v |= uint64_t{byte & 0x7fu} << shift;
      shift += 7;
      if (!(byte & 0x80)) {
        if (is_signed && shift < 64 && (byte & 0x40)) v |= ~uint64_t{0} << shift;
        *value = v;
        return true;
      }
    }
    return false;
  };
  switch (encoding & kFormatMask) {
    case kAbsPtr:
      return fixed(address_size, false);
    case kUleb128:
      return leb128(false);
    case kUdata2:
      return fixed(2, false);
    case kUdata4:
      return fixed(4, false);
    case kUdata8:
      return fixed(8, false);
    case kSleb128:
      return leb128(true);
    case kSdata2:
      return fixed(2, true);
    case kSdata4:
      return fixed(4, true);
    case kSdata8:
      return fixed(8, true);
  }
  return false;
}

// The encoding of a CIE's FDE addresses (its augmentation's 'R'), or kOmit when the
// augmentation is one this reader does not understand.
uint8_t fde_encoding(const Dwarf_CIE& cie, unsigned address_size) {
  const char* augmentation = cie.augmentation;
  if (augmentation[0] == '\0') return kAbsPtr;
  if (augmentation[0] != 'z' || !cie.augmentation_data) return kOmit;
  const uint8_t* p = cie.augmentation_data;
  const uint8_t* end = p + cie.augmentation_data_size;
  for (const char* a = augmentation + 1; *a; ++a) {
    switch (*a) {
      case 'R':
        return p < end ? *p : kOmit;
      case 'L':  // the encoding byte of the FDEs' LSDA pointers
        if (p >= end) return kOmit;
        ++p;
        break;
      case 'P': {
        if (p >= end) return kOmit;
        uint8_t personality = *p++;
        uint64_t ignored;
        if ((personality & kApplicationMask) > kPcRelative ||
            !read_value(personality, address_size, &p, end, &ignored)) {
          return kOmit;
        }
        break;
      }
      case 'S':  // signal frame
      case 'B':  // aarch64 branch target identification
        break;
      default:
        return kOmit;
    }
  }
  return kAbsPtr;  // no 'R': addresses are plain pointers
}

}  // namespace

CallFrameIndex CallFrameIndex::read(const ElfFile& binary, const ElfFile* debug) {
  CallFrameIndex index;
  // A program built without unwind tables still has .eh_frame entries from the C runtime's
  // objects, and its own functions in .debug_frame: read both.
  index.add_section(binary, ".eh_frame", true);
  index.add_section(binary, ".debug_frame", false);
  if (debug) index.add_section(*debug, ".debug_frame", false);
  std::vector<FunctionRange>& ranges = index.ranges_;
  std::sort(ranges.begin(), ranges.end(), [](const FunctionRange& a, const FunctionRange& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  // A function described in two sections is one function (the longer description kept).
  ranges.erase(std::unique(ranges.begin(), ranges.end(),
                           [](const FunctionRange& a, const FunctionRange& b) {
                             return a.start == b.start;
                           }),
               ranges.end());
  ranges.shrink_to_fit();
  return index;
}

std::optional<FunctionRange> CallFrameIndex::function_at(uint64_t vaddr) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), vaddr,
                             [](uint64_t a, const FunctionRange& r) { return a < r.start; });
  if (it == ranges_.begin()) return std::nullopt;
  --it;
  if (vaddr >= it->end) return std::nullopt;
  return *it;
}

// Adds the ranges of one CFI section, if `file` has it with contents.
void CallFrameIndex::add_section(const ElfFile& file, const char* name, bool eh_frame) {
  GElf_Shdr header;
  Elf_Scn* scn = file.section(name, &header);
  if (!scn || header.sh_type == SHT_NOBITS || header.sh_size == 0) return;
  // Debug files may compress .debug_frame.
  if ((header.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0) return;
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || !data->d_buf || data->d_size == 0) return;
  const unsigned char* ident =
      reinterpret_cast<const unsigned char*>(elf_getident(file.elf(), nullptr));
  if (!ident) return;
  const unsigned address_size = ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;
  const auto* base = static_cast<const uint8_t*>(data->d_buf);

  std::unordered_map<Dwarf_Off, uint8_t> encodings;  // CIE offset -> its FDEs' encoding
  auto encoding_of = [&](Dwarf_Off cie_offset) {
    auto [it, inserted] = encodings.try_emplace(cie_offset, kOmit);
    Dwarf_Off next;
    Dwarf_CFI_Entry cie;
    if (inserted && dwarf_next_cfi(ident, data, eh_frame, cie_offset, &next, &cie) == 0 &&
        dwarf_cfi_cie_p(&cie)) {
      it->second = fde_encoding(cie.cie, address_size);
    }
    return it->second;
  };

  Dwarf_Off offset = 0;
  while (true) {
    Dwarf_Off next = 0;
    Dwarf_CFI_Entry entry;
    int result = dwarf_next_cfi(ident, data, eh_frame, offset, &next, &entry);
    if (result > 0 || next <= offset) break;  // the end, or damage it cannot step over
    offset = next;
    if (result < 0 || dwarf_cfi_cie_p(&entry)) continue;
    uint8_t encoding = encoding_of(entry.fde.CIE_pointer);
    uint8_t application = encoding & kApplicationMask;
    if (encoding == kOmit || (application != kAbsolute && application != kPcRelative)) continue;
    const uint8_t* p = entry.fde.start;
    uint64_t field_vaddr = header.sh_addr + static_cast<uint64_t>(p - base);
    uint64_t start = 0, length = 0;
    if (!read_value(encoding, address_size, &p, entry.fde.end, &start) ||
        !read_value(encoding, address_size, &p, entry.fde.end, &length)) {
      continue;
    }
    if (application == kPcRelative) start += field_vaddr;
    // Linkers leave FDEs of discarded functions at address 0 (or with no length).
    if (start == 0 || length == 0 || start + length < start) continue;
    ranges_.push_back({start, start + length});
  }
}

}  // namespace kiln::symbolizer

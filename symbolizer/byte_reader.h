// Bounds-checked reads of DWARF's little-endian fields from a byte range: any read past its
// end sets `bad` and yields 0 (or ""), so a parser of damaged input checks once, at the end.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kiln::symbolizer {

struct ByteReader {
  const uint8_t* at;
  const uint8_t* end;
  bool bad = false;

  bool has(uint64_t n) {
    if (bad || static_cast<uint64_t>(end - at) < n) bad = true;
    return !bad;
  }
  uint64_t fixed(unsigned n) {
    if (!has(n)) return 0;
    uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little) {
      switch (n) {  // constant sizes: single loads
        case 4: {
          uint32_t w;
          memcpy(&w, at, 4);
          at += 4;
          return w;
        }
        case 8:
          memcpy(&v, at, 8);
          at += 8;
          return v;
        default:
          break;
      }
    }
    for (unsigned i = 0; i < n; ++i) v |= uint64_t{at[i]} << (8 * i);
    at += n;
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(fixed(1)); }
  uint64_t uleb() {
    uint64_t v = 0;
    for (unsigned shift = 0; has(1); shift += 7) {
      uint8_t b = *at++;
      if (shift < 64) v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    return 0;
  }
  int64_t sleb() {
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    do {
      if (!has(1)) return 0;
      b = *at++;
      if (shift < 64) v |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~uint64_t{0} << shift;
    return static_cast<int64_t>(v);
  }
  const char* cstr() {
    const void* nul = bad ? nullptr : memchr(at, 0, static_cast<size_t>(end - at));
    if (!nul) {
      bad = true;
      return "";
    }
    const char* s = reinterpret_cast<const char*>(at);
    at = static_cast<const uint8_t*>(nul) + 1;
    return s;
  }
  void skip(uint64_t n) {
    if (has(n)) at += n;
  }
  // Reads a unit's initial length (4 bytes, or 0xffffffff and 8 for 64-bit DWARF, whose
  // offsets then take 8 bytes) and ends the reader with the unit; false past the end.
  bool enter_unit(unsigned* offset_size) {
    *offset_size = 4;
    uint64_t length = fixed(4);
    if (length == 0xffffffff) {
      *offset_size = 8;
      length = fixed(8);
    }
    if (!has(length)) return false;
    end = at + length;
    return true;
  }
};

// The NUL-terminated string at `offset` in a string section, or nullptr when it does not end
// inside the section.
inline const char* string_at(std::string_view section, uint64_t offset) {
  if (offset >= section.size() || !memchr(section.data() + offset, 0, section.size() - offset))
    return nullptr;
  return section.data() + offset;
}

}  // namespace kiln::symbolizer

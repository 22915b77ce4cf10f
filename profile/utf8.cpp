#include "profile/profile.h"

namespace kiln::profile {

size_t utf8_sequence_length(std::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t min_code_point = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    min_code_point = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    min_code_point = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    min_code_point = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  uint32_t cp = lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  if (cp < min_code_point || cp > 0x10ffff || surrogate) return 0;
  if (code_point) *code_point = cp;
  return length;
}

}  // namespace kiln::profile

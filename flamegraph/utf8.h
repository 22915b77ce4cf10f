// UTF-8 validation shared by the writers that must emit valid text from frame names, which may
// hold any bytes (the SVG's XML, the diff's JSON).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln::flamegraph {

// Length (2 to 4) of the valid UTF-8 sequence of a code point above U+007F at text[i], with the
// code point in *code_point (if not null); 0 when the bytes there are not one (an ASCII byte, a
// stray or truncated byte, an overlong form, a surrogate, or beyond U+10FFFF).
size_t utf8_sequence_length(std::string_view text, size_t i, uint32_t* code_point = nullptr);

}  // namespace kiln::flamegraph

// append_xml_escaped: any bytes -> text that is valid inside XML attributes and elements.
#include "flamegraph/flamegraph.h"

namespace kiln::flamegraph {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i] that XML allows, or 0.
size_t valid_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c >= 0x20 ? 1 : 0;  // C0 controls are not allowed (tab/newline neither)
  uint32_t cp = 0;
  const size_t len = profile::utf8_sequence_length(s, i, &cp);
  return cp == 0xFFFE || cp == 0xFFFF ? 0 : len;  // non-characters
}
}  // namespace

void append_xml_escaped(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;  // also breaks "]]>"
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&#39;";
        ++i;
        continue;
      default:
        break;
    }
    size_t len = valid_sequence(text, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
}

}  // namespace kiln::flamegraph

// Folded frame names read into frames: the `_[k]`-style suffix says the kind, a bracketed name
// says that the code has no symbol.
#include <cctype>

#include "profile/profile.h"

namespace kiln::profile {

namespace {

FrameKind annotated_kind(std::string_view text) {
  if (text.size() < 4 || text[text.size() - 4] != '_' || text[text.size() - 3] != '[' ||
      text.back() != ']') {
    return FrameKind::kUser;
  }
  switch (text[text.size() - 2]) {
    case 'k':
      return FrameKind::kKernel;
    case 'j':
      return FrameKind::kJit;
    case 'i':
      return FrameKind::kInlined;
    case 'w':
      return FrameKind::kWakeup;
    default:
      return FrameKind::kUser;
  }
}

// "[module]" or "[module]+0xSTART".
bool names_no_symbol(std::string_view name) {
  if (name.size() < 3 || name.front() != '[') return false;
  if (name.back() == ']') return true;
  const size_t plus = name.rfind("]+0x");
  if (plus == std::string_view::npos || plus + 4 == name.size()) return false;
  for (char c : name.substr(plus + 4))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Frames kiln adds to stacks (record/, flamegraph/wall_time_style.cpp): not code at all.
bool kiln_marker(std::string_view name) {
  return name == "[truncated]" || name == "[runnable]" || name == "[off-cpu: S]" ||
         name == "[off-cpu: D]";
}

}  // namespace

Frame folded_frame(std::string_view text) {
  Frame frame{.name = text, .kind = annotated_kind(text)};
  if (frame.kind != FrameKind::kUser) {
    frame.name.remove_suffix(annotation(frame.kind).size());
  } else if (names_no_symbol(text) && !kiln_marker(text)) {
    frame.kind = FrameKind::kUnknown;
  }
  return frame;
}

}  // namespace kiln::profile

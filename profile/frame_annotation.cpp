// The `_[k]`-style suffixes by which folded frame names say what kind of frame they are.
#include "profile/profile.h"

namespace kiln::profile {

Annotation annotation_of(std::string_view name) {
  if (name.size() < 4 || name[name.size() - 4] != '_' || name[name.size() - 3] != '[' ||
      name.back() != ']') {
    return Annotation::kNone;
  }
  switch (name[name.size() - 2]) {
    case 'k':
      return Annotation::kKernel;
    case 'j':
      return Annotation::kJit;
    case 'i':
      return Annotation::kInlined;
    case 'w':
      return Annotation::kWakeup;
    default:
      return Annotation::kNone;
  }
}

std::string_view without_annotation(std::string_view name) {
  return annotation_of(name) == Annotation::kNone ? name : name.substr(0, name.size() - 4);
}

}  // namespace kiln::profile

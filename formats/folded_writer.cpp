// FoldedWriter: Profile -> merged, sorted folded text.
#include <optional>
#include <ostream>

#include "formats/formats.h"

namespace kiln::formats {

namespace {
// Header values end with a unit word so that tools that do not skip `#` lines (flamegraph.pl
// reads any line ending in a number as a stack) ignore them.
std::string number_text(double value) {
  char buffer[32];
  int n = std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return std::string(buffer, static_cast<size_t>(n));
}
}  // namespace

void FoldedWriter::write(const Profile& profile, std::ostream& out) const {
  std::string text;
  if (write_metadata) {
    const ProfileMetadata& m = profile.metadata;
    if (!m.measured.empty()) text += "# measured: " + m.measured + '\n';
    if (!m.count_name.empty()) text += "# countname: " + m.count_name + '\n';
    if (m.frequency_hz > 0) text += "# frequency: " + number_text(m.frequency_hz) + " Hz\n";
    if (m.duration_s > 0) text += "# duration: " + number_text(m.duration_s) + " s\n";
    if (m.lost_samples > 0) text += "# lost: " + std::to_string(m.lost_samples) + " samples\n";
    for (const auto& [key, value] : m.extra) text += "# " + key + ": " + value + '\n';
  }
  Profile merged = profile.merged();
  const std::optional<size_t> before = merged.find_column(profile::kBeforeColumn);
  for (size_t s = 0; s < merged.stack_count(); ++s) {
    bool first = true;
    for (FrameId f : merged.frames(s)) {
      if (!first) text += ';';
      text += merged.name(f);
      first = false;
    }
    text += ' ';
    if (before) {  // differential input: "stack BEFORE AFTER"
      text += merged.value(*before, s).to_string();
      text += ' ';
    }
    text += merged.weight(s).to_string();
    text += '\n';
    if (text.size() > (1 << 16)) {
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      text.clear();
    }
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace kiln::formats

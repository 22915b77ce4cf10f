// flamegraph/palette.h: the colors of frames (palettes, and the name -> color map files that
// flamegraph.pl and inferno share), part of the flamegraph module (flamegraph/flamegraph.h).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "profile/frame.h"

namespace kiln::flamegraph {

using profile::FrameKind;

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(Rgb, Rgb) = default;
};
std::string to_css(Rgb color);  // "#rrggbb"

enum class Palette {
  kHot,
  kMem,
  kIo,
  kWakeup,
  kJava,
  kJs,
  kPerl,
  kRed,
  kGreen,
  kBlue,
  kAqua,
  kYellow,
  kPurple,
  kOrange,
};
std::optional<Palette> parse_palette(std::string_view name);  // "hot", "java", ...
std::string_view palette_name(Palette palette);
std::span<const std::string_view> palette_names();

// The color of a frame: deterministic from the whole name (a hash of every byte, the folded
// name of a profile's frame) within the palette; kernel, JIT, inlined and wakeup frames get
// their kind's own hue in every palette.
Rgb frame_color(std::string_view name, Palette palette, FrameKind kind = FrameKind::kUser);

// A name -> color map kept in a file (`name->rgb(r,g,b)` per line, as flamegraph.pl and inferno
// write it), so that several graphs color the same function alike.
class PaletteMap {
 public:
  // Loads a file; a missing file is an empty map (it is created by save()). Unreadable lines are
  // reported as `FILE:LINE: reason` to `diagnostics` and counted. False if the file exists but
  // cannot be read.
  bool load(const std::string& path, std::ostream* diagnostics);
  bool save(const std::string& path) const;  // sorted by name
  // The stored color, or frame_color() which is then stored.
  Rgb color(std::string_view name, Palette palette, FrameKind kind = FrameKind::kUser);
  std::optional<Rgb> find(std::string_view name) const;
  size_t size() const { return colors_.size(); }
  uint64_t bad_lines() const { return bad_lines_; }

 private:
  std::map<std::string, Rgb, std::less<>> colors_;
  uint64_t bad_lines_ = 0;
};

}  // namespace kiln::flamegraph

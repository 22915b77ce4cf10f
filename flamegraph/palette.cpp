// Frame colors: palettes and the persistent name -> color map.
#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "flamegraph/flamegraph.h"

namespace kiln::flamegraph {

namespace {

constexpr std::array<std::string_view, 14> kPaletteNames = {
    "hot", "mem",   "io",   "wakeup", "java",   "js",     "perl",
    "red", "green", "blue", "aqua",   "yellow", "purple", "orange"};

// Three independent values in [0, 1] from a hash of every byte of the name, so names that
// share a prefix or are anagrams still get different shades.
struct Shade {
  double a, b, c;
};
Shade shade_of(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ULL;
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  auto part = [&](int shift) { return static_cast<double>((h >> shift) & 0xffff) / 65535.0; };
  return {part(0), part(16), part(32)};
}

uint8_t channel(double base, double range, double v) {
  return static_cast<uint8_t>(base + range * v);
}

enum class Hue { kHot, kMem, kIo, kRed, kGreen, kBlue, kAqua, kYellow, kPurple, kOrange };

Rgb hue_color(Hue hue, Shade s) {
  switch (hue) {
    case Hue::kHot:
      return {channel(205, 50, s.c), channel(0, 230, s.a), channel(0, 55, s.b)};
    case Hue::kMem:
      return {0, channel(190, 50, s.b), channel(0, 210, s.a)};
    case Hue::kIo: {
      uint8_t rg = channel(80, 60, s.a);
      return {rg, rg, channel(190, 55, s.b)};
    }
    case Hue::kRed: {
      uint8_t gb = channel(50, 80, s.a);
      return {channel(200, 55, s.a), gb, gb};
    }
    case Hue::kGreen: {
      uint8_t rb = channel(50, 60, s.a);
      return {rb, channel(200, 55, s.a), rb};
    }
    case Hue::kBlue: {
      uint8_t rg = channel(80, 60, s.a);
      return {rg, rg, channel(205, 50, s.a)};
    }
    case Hue::kAqua: {
      uint8_t gb = channel(165, 55, s.a);
      return {channel(50, 60, s.a), gb, gb};
    }
    case Hue::kYellow: {
      uint8_t rg = channel(175, 55, s.a);
      return {rg, rg, channel(50, 20, s.a)};
    }
    case Hue::kPurple: {
      uint8_t rb = channel(190, 65, s.a);
      return {rb, channel(80, 60, s.a), rb};
    }
    case Hue::kOrange:
      return {channel(190, 65, s.a), channel(90, 65, s.a), 0};
  }
  return {};
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// Language palettes tell runtime, native C++ and system frames apart.
Hue language_hue(Palette palette, std::string_view name) {
  switch (palette) {
    case Palette::kJava:
      if (contains(name, "/") || name.starts_with("java") || name.starts_with("Ljava"))
        return Hue::kGreen;                           // Java methods: package/Class.method
      if (contains(name, "::")) return Hue::kYellow;  // JVM internals (C++)
      return Hue::kRed;                               // system libraries
    case Palette::kJs:
      if (contains(name, "::")) return Hue::kYellow;
      if (contains(name, ".js") || contains(name, ":/") || contains(name, " ")) return Hue::kGreen;
      return Hue::kRed;
    case Palette::kPerl:
      if (contains(name, "::")) return Hue::kYellow;
      if (contains(name, ".pm") || contains(name, ".pl") || contains(name, "Perl"))
        return Hue::kGreen;
      return Hue::kRed;
    default:
      return Hue::kRed;
  }
}

}  // namespace

std::string to_css(Rgb c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "#";
  for (uint8_t v : {c.r, c.g, c.b}) {
    s += kHex[v >> 4];
    s += kHex[v & 15];
  }
  return s;
}

std::optional<Palette> parse_palette(std::string_view name) {
  for (size_t i = 0; i < kPaletteNames.size(); ++i) {
    if (kPaletteNames[i] == name) return static_cast<Palette>(i);
  }
  return std::nullopt;
}

std::string_view palette_name(Palette palette) {
  return kPaletteNames[static_cast<size_t>(palette)];
}

std::span<const std::string_view> palette_names() {
  return kPaletteNames;
}

Rgb frame_color(std::string_view name, Palette palette, FrameKind kind) {
  Shade shade = shade_of(name);
  if (name == "-" || name == "--") return {160, 160, 160};  // stack separators
  switch (kind) {
    case FrameKind::kKernel:
      return hue_color(Hue::kOrange, shade);
    case FrameKind::kJit:
      return hue_color(Hue::kGreen, shade);
    case FrameKind::kInlined:
      return hue_color(Hue::kAqua, shade);
    case FrameKind::kWakeup:
      return hue_color(Hue::kPurple, shade);
    case FrameKind::kUser:
    case FrameKind::kUnknown:
      break;
  }
  switch (palette) {
    case Palette::kHot:
      return hue_color(Hue::kHot, shade);
    case Palette::kMem:
      return hue_color(Hue::kMem, shade);
    case Palette::kIo:
      return hue_color(Hue::kIo, shade);
    case Palette::kWakeup:
      return hue_color(Hue::kAqua, shade);
    case Palette::kJava:
    case Palette::kJs:
    case Palette::kPerl:
      return hue_color(language_hue(palette, name), shade);
    case Palette::kRed:
      return hue_color(Hue::kRed, shade);
    case Palette::kGreen:
      return hue_color(Hue::kGreen, shade);
    case Palette::kBlue:
      return hue_color(Hue::kBlue, shade);
    case Palette::kAqua:
      return hue_color(Hue::kAqua, shade);
    case Palette::kYellow:
      return hue_color(Hue::kYellow, shade);
    case Palette::kPurple:
      return hue_color(Hue::kPurple, shade);
    case Palette::kOrange:
      return hue_color(Hue::kOrange, shade);
  }
  return hue_color(Hue::kHot, shade);
}

namespace {
// "rgb(R,G,B)" with each component 0-255.
std::optional<Rgb> parse_rgb(std::string_view text) {
  if (!text.starts_with("rgb(") || !text.ends_with(")")) return std::nullopt;
  text = text.substr(4, text.size() - 5);
  int values[3];
  for (int i = 0; i < 3; ++i) {
    size_t comma = i < 2 ? text.find(',') : text.size();
    if (comma == std::string_view::npos) return std::nullopt;
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), values[i]);
    if (ec != std::errc() || end != part.data() + part.size() || values[i] < 0 || values[i] > 255) {
      return std::nullopt;
    }
    text.remove_prefix(i < 2 ? comma + 1 : comma);
  }
  return Rgb{static_cast<uint8_t>(values[0]), static_cast<uint8_t>(values[1]),
             static_cast<uint8_t>(values[2])};
}
}  // namespace

bool PaletteMap::load(const std::string& path, std::ostream* diagnostics) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return true;  // save() creates it
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t arrow = line.rfind("->");
    std::optional<Rgb> rgb;
    if (arrow != std::string::npos) rgb = parse_rgb(std::string_view(line).substr(arrow + 2));
    if (!rgb) {
      ++bad_lines_;
      if (diagnostics) {
        *diagnostics << path << ':' << number << ": expected NAME->rgb(R,G,B) with 0-255\n";
      }
      continue;
    }
    colors_.insert_or_assign(line.substr(0, arrow), *rgb);
  }
  return !in.bad();
}

bool PaletteMap::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& [name, c] : colors_) {
    out << name << "->rgb(" << int(c.r) << ',' << int(c.g) << ',' << int(c.b) << ")\n";
  }
  return static_cast<bool>(out.flush());
}

Rgb PaletteMap::color(std::string_view name, Palette palette, FrameKind kind) {
  auto it = colors_.find(name);
  if (it != colors_.end()) return it->second;
  Rgb c = frame_color(name, palette, kind);
  colors_.emplace(std::string(name), c);
  return c;
}

std::optional<Rgb> PaletteMap::find(std::string_view name) const {
  auto it = colors_.find(name);
  if (it == colors_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kiln::flamegraph

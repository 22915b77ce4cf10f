// The parts write_svg is made of (svg_writer.cpp puts them together): the buffered output,
// the canvas (sizes and positions computed once), the frames with their data lines, and the
// summary of the frames too narrow to draw. Internal to flamegraph/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "flamegraph/flamegraph.h"

namespace kiln::flamegraph::svg {

inline constexpr unsigned kSideMargin = 10;
inline constexpr double kCharWidth = 0.6;  // of the font size: the monospace advance
inline constexpr unsigned kTitleHeight = 36;
inline constexpr unsigned kLineHeight = 20;
inline constexpr unsigned kFooterHeight = 34;
inline constexpr Rgb kNarrowFill{188, 188, 188};  // the box of frames too narrow to draw
// How many narrow names the search summary lists (the heaviest; the rest is one total).
inline constexpr size_t kNarrowNamesListed = 20000;

// Streams text to the output in large writes.
class SvgOut {
 public:
  explicit SvgOut(std::ostream& out) : out_(out) { buffer_.reserve(kFlushAt + 4096); }
  ~SvgOut() { flush(); }
  SvgOut(const SvgOut&) = delete;
  SvgOut& operator=(const SvgOut&) = delete;

  SvgOut& operator<<(std::string_view s) {
    buffer_ += s;
    maybe_flush();
    return *this;
  }
  SvgOut& operator<<(char c) {
    buffer_ += c;
    return *this;
  }
  SvgOut& operator<<(int64_t v) {
    buffer_ += std::to_string(v);
    return *this;
  }
  SvgOut& escaped(std::string_view s) {
    append_xml_escaped(buffer_, s);
    maybe_flush();
    return *this;
  }
  // A coordinate in hundredths of a pixel, shortest form ("12", "12.5", "12.25").
  SvgOut& centi(int64_t v);
  void flush();

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  std::ostream& out_;
  std::string buffer_;
};

// A number as SVG attributes and the script's configuration take it ("%.10g").
std::string number(double v);

// Sizes and positions of everything but the frames, from the tree and the options.
struct Canvas {
  std::string title;
  std::string count_name;
  LayoutOptions layout;
  int64_t layout_min_centi = 0;   // frames narrower than this (1/100 px) are left out
  int64_t element_min_centi = 0;  // frames narrower than this are data lines only
  unsigned frame_height = 0;
  unsigned top = 0;  // y of the frames' area
  unsigned frames_height = 0;
  unsigned width = 0;
  unsigned height = 0;
  double font_size = 0;
  bool icicle = false;
  // y of the top edge of a frame at `depth`, 1/100 px.
  int64_t y_centi(uint32_t depth) const;
};

// Writes the frames as <rect>/<text> elements (those wide enough) and returns their data lines
// (every frame: depth, name index, weight, weight left of it, fill, element flag, tooltip),
// with the names they index in `names`.
std::string write_frames(SvgOut& out, const FrameTree& tree, const std::vector<FrameBox>& boxes,
                         const Canvas& canvas, const SvgOptions& options,
                         std::vector<std::string_view>& names);

// "[20,000 narrow frames]", as the script writes it.
std::string narrow_label(uint32_t frames);

// #kiln-narrow: what a search needs of the frames too narrow to draw.
void write_narrow_summary(SvgOut& out, const FrameTree& tree, const std::vector<FrameBox>& boxes);

}  // namespace kiln::flamegraph::svg

// write_svg: the interactive SVG. Frames at least 1 px wide in the full view are <rect>/<text>
// elements (the picture works without script); every frame above the minimum width is also a
// line of compact data from which the embedded script draws zoomed views, so a huge graph keeps
// a small DOM and answers clicks fast.
#include <algorithm>
#include <ostream>

#include "flamegraph/flamegraph.h"
#include "flamegraph/flamegraph_script.h"
#include "flamegraph/svg_parts.h"

namespace kiln::flamegraph {

using namespace svg;

int64_t Canvas::y_centi(uint32_t depth) const {
  return int64_t{icicle ? top + depth * frame_height
                        : top + frames_height - (depth + 1) * frame_height} *
         100;
}

namespace {

Canvas plan_canvas(const FrameTree& tree, const SvgOptions& options,
                   const std::vector<FrameBox>& boxes, const LayoutOptions& layout) {
  const ProfileMetadata& meta = tree.profile().metadata;
  Canvas c;
  c.title = options.title;
  if (c.title.empty()) {
    c.title = tree.flame_chart() ? "Flame Chart" : options.icicle ? "Icicle Graph" : "Flame Graph";
  }
  c.count_name = options.count_name.empty() ? meta.count_name : options.count_name;
  if (c.count_name.empty()) c.count_name = "samples";
  c.layout = layout;
  c.layout_min_centi = static_cast<int64_t>(layout.min_width_px * 100 + 0.5);
  c.element_min_centi =
      static_cast<int64_t>(std::max(options.element_min_width_px, layout.min_width_px) * 100);
  uint32_t depth = 0;
  for (const FrameBox& b : boxes) {
    bool narrow_drawn = !tree.flame_chart() && b.narrow_width_centi >= c.layout_min_centi;
    depth = std::max(depth, b.depth + (narrow_drawn ? 1 : 0));
  }
  c.frame_height = std::max(options.frame_height, 4u);
  c.top = kTitleHeight + (options.subtitle.empty() ? 0 : kLineHeight) +
          (options.legend.empty() ? 0 : kLineHeight) + 8;
  c.frames_height = (depth + 1) * c.frame_height;
  c.height = c.top + c.frames_height + kFooterHeight;
  c.width = layout.width;
  c.font_size = options.font_size;
  c.icicle = options.icicle;
  return c;
}

// Everything above the frames: the document, style, background, title, subtitle, legend and
// the controls.
void write_header(SvgOut& out, const Canvas& c, const SvgOptions& options) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      << "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << int64_t{c.width}
      << "\" height=\"" << int64_t{c.height} << "\" viewBox=\"0 0 " << int64_t{c.width} << ' '
      << int64_t{c.height} << "\">\n";
  out << "<style>text{font-family:monospace;font-size:" << number(c.font_size)
      << "px;fill:#000}#frames text,#zoom text,#tip{pointer-events:none}"
         "#frames rect:hover,#zoom rect:hover{stroke:#000;stroke-width:.5}"
         ".ctl{cursor:pointer;fill:#333}.ctl:hover,.ctl.on{fill:#c00}.ctl.on{font-weight:bold}"
         ".hide{display:none}"
         ".faded{opacity:.45}#title{font-size:"
      << number(c.font_size + 5) << "px;text-anchor:middle}#subtitle{text-anchor:middle;fill:#555}"
      << "#tip rect{fill:#ffffe8;stroke:#888}</style>\n";
  out << "<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
         "<stop offset=\"5%\" stop-color=\"#eeeeee\"/><stop offset=\"95%\" "
         "stop-color=\"#eeeeb0\"/></linearGradient></defs>\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"url(#bg)\"/>\n";
  out << "<text id=\"title\" x=\"" << int64_t{c.width / 2} << "\" y=\"24\">";
  out.escaped(c.title) << "</text>\n";
  unsigned y = kTitleHeight + 4;
  if (!options.subtitle.empty()) {
    out << "<text id=\"subtitle\" x=\"" << int64_t{c.width / 2} << "\" y=\"" << int64_t{y} << '"';
    // Centered text wider than the image loses both ends: squeeze it into the margins.
    size_t chars = 0;
    for (char c : options.subtitle) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    const double room = c.width - 2.0 * kSideMargin;
    if (chars * c.font_size * kCharWidth > room) {
      out << " textLength=\"" << number(room) << "\" lengthAdjust=\"spacingAndGlyphs\"";
    }
    out << '>';
    out.escaped(options.subtitle) << "</text>\n";
    y += kLineHeight;
  }
  if (!options.legend.empty()) {
    out << "<g id=\"legend\">";
    int64_t x = kSideMargin;
    for (const LegendEntry& e : options.legend) {
      out << "<rect x=\"" << x << "\" y=\"" << int64_t{y - 10} << "\" width=\"12\" height=\"12\" "
          << "fill=\"" << to_css(e.color) << "\"/><text x=\"" << x + 16 << "\" y=\"" << int64_t{y}
          << "\">";
      out.escaped(e.label) << "</text>";
      x += 16 + static_cast<int64_t>((e.label.size() + 3) * c.font_size * kCharWidth);
    }
    out << "</g>\n";
  }
  out << "<text id=\"unzoom\" class=\"ctl hide\" x=\"" << int64_t{kSideMargin}
      << "\" y=\"24\">Reset Zoom<title>Back to the whole graph (Escape)</title></text>\n"
      << "<text id=\"search\" class=\"ctl\" x=\"" << int64_t{c.width - kSideMargin - 130}
      << "\" y=\"24\">Search<title>Highlight frames matching a regular expression "
         "(Ctrl-F)</title></text>\n"
      << "<text id=\"ignorecase\" class=\"ctl\" x=\"" << int64_t{c.width - kSideMargin - 50}
      << "\" y=\"24\">[Aa]<title>Ignore case in searches</title></text>\n"
      << "<text id=\"clear\" class=\"ctl hide\" x=\"" << int64_t{c.width - kSideMargin - 16}
      << "\" y=\"24\">x<title>Clear the search (Escape)</title></text>\n"
      << "<text id=\"matched\" x=\"" << int64_t{c.width - kSideMargin - 200} << "\" y=\""
      << int64_t{c.height - 12} << "\"> </text>\n"
      << "<text id=\"details\" x=\"" << int64_t{kSideMargin} << "\" y=\"" << int64_t{c.height - 12}
      << "\"> </text>\n";
}

// Everything after the frames: the zoom layer, the tooltip, the names and data the script
// reads, the narrow-frames summary, the configuration and the script itself.
void write_trailer(SvgOut& out, const Canvas& c, const FrameTree& tree,
                   const std::vector<FrameBox>& boxes, const SvgOptions& options,
                   const std::vector<std::string_view>& names, const std::string& data) {
  out << "</g>\n<g id=\"zoom\"></g>\n";
  // A recording in which nothing ran is a valid profile: the picture says why it is blank.
  if (tree.weight(tree.root()).is_zero()) {
    out << "<text id=\"empty\" x=\"" << int64_t{c.width / 2} << "\" y=\""
        << int64_t{c.icicle ? c.top + c.frame_height - 4 : c.top + c.frames_height - 4}
        << "\" style=\"text-anchor:middle;pointer-events:none\">Empty profile: nothing was "
           "recorded (0 ";
    out.escaped(c.count_name) << ")</text>\n";
  }
  out << "<g id=\"tip\" class=\"hide\"><rect rx=\"3\"/><text></text></g>\n";

  // One name per line; names never contain a newline (the escaper replaces control chars).
  out << "<metadata id=\"kiln-names\">";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out << '\n';
    out.escaped(names[i]);
  }
  out << "</metadata>\n<metadata id=\"kiln-data\">" << data << "</metadata>\n";
  write_narrow_summary(out, tree, boxes);
  out << "<metadata id=\"kiln-config\" total=\"" << tree.weight(tree.root()).to_string()
      << "\" countname=\"";
  out.escaped(c.count_name) << "\" factor=\"" << number(options.factor) << "\" frameheight=\""
                            << int64_t{c.frame_height} << "\" fontsize=\"" << number(c.font_size)
                            << "\" top=\"" << int64_t{c.top} << "\" framesheight=\""
                            << int64_t{c.frames_height} << "\" margin=\"" << int64_t{kSideMargin}
                            << "\" minwidth=\"" << number(c.layout.min_width_px)
                            << "\" elementminwidth=\"" << number(c.element_min_centi / 100.0)
                            << "\" icicle=\"" << int64_t{c.icicle ? 1 : 0} << "\"/>\n";
  out << "<script type=\"text/ecmascript\"><![CDATA[\n" << kFlamegraphScript << "\n]]></script>\n";
  out << "</svg>\n";
}

}  // namespace

double min_drawn_fraction(const SvgOptions& options) {
  unsigned width = std::max(options.width, 2 * kSideMargin + 10);
  double min_px = options.min_width_percent >= 0 ? options.min_width_percent / 100.0 * width
                                                 : options.min_width_px;
  // Rounding moves an edge by at most half a hundredth of a pixel each side.
  return std::max(0.0, (min_px - 0.01) / (width - 2 * kSideMargin));
}

SvgStats write_svg(const FrameTree& tree, const SvgOptions& options, std::ostream& stream) {
  LayoutOptions layout;
  layout.width = std::max(options.width, 2 * kSideMargin + 10);
  layout.side_margin = kSideMargin;
  layout.min_width_px = options.min_width_percent >= 0
                            ? options.min_width_percent / 100.0 * layout.width
                            : options.min_width_px;
  SvgStats stats;
  std::vector<FrameBox> boxes = compute_layout(tree, layout, &stats.frames_pruned);
  stats.frames_drawn = boxes.size();
  const Canvas canvas = plan_canvas(tree, options, boxes, layout);

  SvgOut out(stream);
  write_header(out, canvas, options);
  // Every frame is a line of #kiln-data (depth, name index, weight, weight left of it, fill,
  // 1 if it is also an element, extra tooltip); names are stored once each in #kiln-names.
  // The elements repeat n, w and o so that the picture describes itself without the script.
  out << "<g id=\"frames\">\n";
  std::vector<std::string_view> names;
  const std::string data = write_frames(out, tree, boxes, canvas, options, names);
  write_trailer(out, canvas, tree, boxes, options, names, data);
  out.flush();
  return stats;
}

}  // namespace kiln::flamegraph

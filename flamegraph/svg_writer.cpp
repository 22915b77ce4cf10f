// write_svg: the interactive SVG. Frames at least 1 px wide in the full view are <rect>/<text>
// elements (the picture works without script); every frame above the minimum width is also a
// line of compact data from which the embedded script draws zoomed views, so a huge graph keeps
// a small DOM and answers clicks fast.
#include <algorithm>
#include <cmath>
#include <ostream>

#include "flamegraph/flamegraph.h"
#include "flamegraph/flamegraph_script.h"

namespace kiln::flamegraph {

namespace {

constexpr unsigned kSideMargin = 10;
constexpr double kCharWidth = 0.6;  // of the font size: the monospace advance
constexpr unsigned kTitleHeight = 36;
constexpr unsigned kLineHeight = 20;
constexpr unsigned kFooterHeight = 34;
constexpr Rgb kNarrowFill{188, 188, 188};  // the box of frames too narrow to draw
// How many narrow names the search summary lists (the heaviest; the rest is one total).
constexpr size_t kNarrowNamesListed = 20000;

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
  SvgOut& centi(int64_t v) {
    if (v < 0) {
      buffer_ += '-';
      v = -v;
    }
    buffer_ += std::to_string(v / 100);
    int64_t frac = v % 100;
    if (frac != 0) {
      buffer_ += '.';
      buffer_ += static_cast<char>('0' + frac / 10);
      if (frac % 10) buffer_ += static_cast<char>('0' + frac % 10);
    }
    return *this;
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  std::ostream& out_;
  std::string buffer_;
};

// The label that fits a frame: the name without its annotation, cut with ".." if too long.
std::string_view label_for(std::string_view name, double width_px, double font_size,
                           bool& truncated) {
  truncated = false;
  name = without_annotation(name);
  auto fit = static_cast<int64_t>((width_px - 6) / (font_size * kCharWidth));
  if (fit < 3) return {};
  // Count code points, not bytes, so multi-byte names are cut at a character boundary.
  size_t chars = 0, i = 0;
  for (; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) {
      if (static_cast<int64_t>(chars) == fit - 2) break;
      ++chars;
    }
  }
  if (i == name.size()) return name;
  // Too long: does the whole name fit after all?
  size_t total = chars;
  for (size_t k = i; k < name.size(); ++k) {
    if ((static_cast<unsigned char>(name[k]) & 0xC0) != 0x80) ++total;
  }
  if (static_cast<int64_t>(total) <= fit) return name;
  truncated = true;
  return name.substr(0, i);
}

// Per FrameId, the weight of the frames of that name that are not drawn and have no ancestor of
// the same name: those the tree pruned, and those the layout left out (in the tree, not in
// `boxes`). What a search adds for frames too narrow to draw.
std::vector<Weight> narrow_by_name(const FrameTree& tree, const std::vector<FrameBox>& boxes) {
  std::span<const Weight> pruned = tree.pruned_by_name();
  std::vector<Weight> by_name(pruned.begin(), pruned.end());
  by_name.resize(tree.profile().name_count());
  std::vector<uint32_t> on_path(by_name.size());
  std::vector<NodeId> path;  // ancestors of the node visited, root excluded
  size_t next_box = 0;
  for (NodeId n = 1; n < tree.size(); ++n) {
    while (!path.empty() && tree.depth(path.back()) >= tree.depth(n)) {
      --on_path[tree.frame(path.back())];
      path.pop_back();
    }
    while (next_box < boxes.size() && boxes[next_box].node < n) ++next_box;
    bool drawn = next_box < boxes.size() && boxes[next_box].node == n;
    FrameId f = tree.frame(n);
    if (!drawn && on_path[f] == 0) by_name[f] += tree.weight(n);
    ++on_path[f];
    path.push_back(n);
  }
  return by_name;
}

// "[20,000 narrow frames]", as the script writes it.
std::string narrow_label(uint32_t frames) {
  std::string digits = std::to_string(frames), grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return "[" + grouped + (frames == 1 ? " narrow frame]" : " narrow frames]");
}

std::string number(double v) {
  char buffer[32];
  int n = std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

double min_drawn_fraction(const SvgOptions& options) {
  unsigned width = std::max(options.width, 2 * kSideMargin + 10);
  double min_px = options.min_width_percent >= 0 ? options.min_width_percent / 100.0 * width
                                                 : options.min_width_px;
  // Rounding moves an edge by at most half a hundredth of a pixel each side.
  return std::max(0.0, (min_px - 0.01) / (width - 2 * kSideMargin));
}

// #kiln-narrow: what a search needs of the frames too narrow to draw, per name ("weight TAB
// name" lines, heaviest first): total = all weight not drawn, rest = the summed weights of
// the names not listed (restnames of them).
void write_narrow_summary(SvgOut& out, const FrameTree& tree, const std::vector<FrameBox>& boxes) {
  Weight total;
  for (const FrameBox& b : boxes) total += b.narrow;
  if (total.is_zero()) return;
  std::vector<Weight> by_name = narrow_by_name(tree, boxes);
  std::vector<FrameId> listed;
  for (FrameId f = 0; f < by_name.size(); ++f) {
    if (!by_name[f].is_zero()) listed.push_back(f);
  }
  const Profile& profile = tree.profile();
  auto heavier = [&](FrameId a, FrameId b) {
    return by_name[a] != by_name[b] ? by_name[a] > by_name[b] : profile.name(a) < profile.name(b);
  };
  Weight rest;
  size_t rest_names = 0;
  if (listed.size() > kNarrowNamesListed) {
    std::nth_element(listed.begin(), listed.begin() + kNarrowNamesListed, listed.end(), heavier);
    for (size_t i = kNarrowNamesListed; i < listed.size(); ++i) rest += by_name[listed[i]];
    rest_names = listed.size() - kNarrowNamesListed;
    listed.resize(kNarrowNamesListed);
  }
  std::sort(listed.begin(), listed.end(), heavier);
  out << "<metadata id=\"kiln-narrow\" total=\"" << total.to_string() << "\" rest=\""
      << rest.to_string() << "\" restnames=\"" << static_cast<int64_t>(rest_names) << "\">";
  for (size_t i = 0; i < listed.size(); ++i) {
    if (i) out << '\n';
    out << by_name[listed[i]].to_string() << '\t';
    out.escaped(profile.name(listed[i]));
  }
  out << "</metadata>\n";
}

SvgStats write_svg(const FrameTree& tree, const SvgOptions& options, std::ostream& stream) {
  const ProfileMetadata& meta = tree.profile().metadata;
  std::string title = options.title;
  if (title.empty()) {
    title = tree.flame_chart() ? "Flame Chart" : options.icicle ? "Icicle Graph" : "Flame Graph";
  }
  std::string count_name = options.count_name.empty() ? meta.count_name : options.count_name;
  if (count_name.empty()) count_name = "samples";

  LayoutOptions layout;
  layout.width = std::max(options.width, 2 * kSideMargin + 10);
  layout.side_margin = kSideMargin;
  layout.min_width_px = options.min_width_percent >= 0
                            ? options.min_width_percent / 100.0 * layout.width
                            : options.min_width_px;
  SvgStats stats;
  std::vector<FrameBox> boxes = compute_layout(tree, layout, &stats.frames_pruned);
  stats.frames_drawn = boxes.size();

  const auto layout_min_centi = static_cast<int64_t>(layout.min_width_px * 100 + 0.5);
  uint32_t depth = 0;
  for (const FrameBox& b : boxes) {
    bool narrow_drawn = !tree.flame_chart() && b.narrow_width_centi >= layout_min_centi;
    depth = std::max(depth, b.depth + (narrow_drawn ? 1 : 0));
  }
  const unsigned fh = std::max(options.frame_height, 4u);
  const unsigned top = kTitleHeight + (options.subtitle.empty() ? 0 : kLineHeight) +
                       (options.legend.empty() ? 0 : kLineHeight) + 8;
  const unsigned frames_height = (depth + 1) * fh;
  const unsigned height = top + frames_height + kFooterHeight;
  const unsigned width = layout.width;
  const double fs = options.font_size;

  SvgOut out(stream);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      << "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << int64_t{width}
      << "\" height=\"" << int64_t{height} << "\" viewBox=\"0 0 " << int64_t{width} << ' '
      << int64_t{height} << "\">\n";
  out << "<style>text{font-family:monospace;font-size:" << number(fs)
      << "px;fill:#000}#frames text,#zoom text,#tip{pointer-events:none}"
         "#frames rect:hover,#zoom rect:hover{stroke:#000;stroke-width:.5}"
         ".ctl{cursor:pointer;fill:#333}.ctl:hover,.ctl.on{fill:#c00}.ctl.on{font-weight:bold}"
         ".hide{display:none}"
         ".faded{opacity:.45}#title{font-size:"
      << number(fs + 5) << "px;text-anchor:middle}#subtitle{text-anchor:middle;fill:#555}"
      << "#tip rect{fill:#ffffe8;stroke:#888}</style>\n";
  out << "<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
         "<stop offset=\"5%\" stop-color=\"#eeeeee\"/><stop offset=\"95%\" "
         "stop-color=\"#eeeeb0\"/></linearGradient></defs>\n";
  out << "<rect width=\"100%\" height=\"100%\" fill=\"url(#bg)\"/>\n";
  out << "<text id=\"title\" x=\"" << int64_t{width / 2} << "\" y=\"24\">";
  out.escaped(title) << "</text>\n";
  unsigned y = kTitleHeight + 4;
  if (!options.subtitle.empty()) {
    out << "<text id=\"subtitle\" x=\"" << int64_t{width / 2} << "\" y=\"" << int64_t{y} << '"';
    // Centered text wider than the image loses both ends: squeeze it into the margins.
    size_t chars = 0;
    for (char c : options.subtitle) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    const double room = width - 2.0 * kSideMargin;
    if (chars * fs * kCharWidth > room) {
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
      x += 16 + static_cast<int64_t>((e.label.size() + 3) * fs * kCharWidth);
    }
    out << "</g>\n";
  }
  out << "<text id=\"unzoom\" class=\"ctl hide\" x=\"" << int64_t{kSideMargin}
      << "\" y=\"24\">Reset Zoom<title>Back to the whole graph (Escape)</title></text>\n"
      << "<text id=\"search\" class=\"ctl\" x=\"" << int64_t{width - kSideMargin - 130}
      << "\" y=\"24\">Search<title>Highlight frames matching a regular expression "
         "(Ctrl-F)</title></text>\n"
      << "<text id=\"ignorecase\" class=\"ctl\" x=\"" << int64_t{width - kSideMargin - 50}
      << "\" y=\"24\">[Aa]<title>Ignore case in searches</title></text>\n"
      << "<text id=\"clear\" class=\"ctl hide\" x=\"" << int64_t{width - kSideMargin - 16}
      << "\" y=\"24\">x<title>Clear the search (Escape)</title></text>\n"
      << "<text id=\"matched\" x=\"" << int64_t{width - kSideMargin - 200} << "\" y=\""
      << int64_t{height - 12} << "\"> </text>\n"
      << "<text id=\"details\" x=\"" << int64_t{kSideMargin} << "\" y=\"" << int64_t{height - 12}
      << "\"> </text>\n";

  // Every frame is a line of #kiln-data (depth, name index, weight, weight left of it, fill,
  // 1 if it is also an element, extra tooltip); names are stored once each in #kiln-names.
  // The elements repeat n, w and o so that the picture describes itself without the script.
  std::vector<uint32_t> name_index(tree.profile().name_count() + 1, UINT32_MAX);
  std::vector<std::string_view> names;
  auto index_of = [&](NodeId n) {
    FrameId f = tree.frame(n);
    uint32_t& slot = name_index[f == kNoFrame ? tree.profile().name_count() : f];
    if (slot == UINT32_MAX) {
      slot = static_cast<uint32_t>(names.size());
      names.push_back(tree.name(n));
    }
    return slot;
  };
  const auto element_min_centi =
      static_cast<int64_t>(std::max(options.element_min_width_px, layout.min_width_px) * 100);
  std::string data;
  data.reserve(boxes.size() * 40);

  out << "<g id=\"frames\">\n";
  // y of a frame's top edge, 1/100 px.
  auto y_of = [&](uint32_t d) {
    return int64_t{options.icicle ? top + d * fh : top + frames_height - (d + 1) * fh} * 100;
  };
  auto write_label = [&](std::string_view text, int64_t x_centi, int64_t width_centi,
                         int64_t y_centi) {
    bool truncated;
    std::string_view label = label_for(text, width_centi / 100.0, fs, truncated);
    if (label.empty()) return;
    out << "<text x=\"";
    out.centi(x_centi + 300) << "\" y=\"";
    out.centi(y_centi + static_cast<int64_t>(fh * 100) - 450) << "\">";
    out.escaped(label);
    if (truncated) out << "..";
    out << "</text>";
  };
  // The children of a frame too narrow to draw, as one grey box right of its drawn children:
  // a data line whose name field is the number of frames, kind 2 (data only), 3 (also an
  // element) or 4 (flame charts: not drawn, only told in the parent's tooltip).
  auto write_narrow = [&](const FrameBox& b) {
    std::string weight = b.narrow.to_string();
    Weight offset = b.offset + (tree.weight(b.node) - tree.self_weight(b.node) - b.narrow);
    bool drawable = !tree.flame_chart() && b.narrow_width_centi >= layout_min_centi;
    bool element = drawable && b.narrow_width_centi >= element_min_centi;
    data += std::to_string(b.depth + 1) + '\t' + std::to_string(b.narrow_frames) + '\t' + weight +
            '\t' + offset.to_string() + '\t' + to_css(kNarrowFill).substr(1) +
            (element    ? "\t3\n"
             : drawable ? "\t2\n"
                        : "\t4\n");
    if (!element) return;
    int64_t y_centi = y_of(b.depth + 1);
    out << "<rect class=\"narrow\" x=\"";
    out.centi(b.narrow_x_centi) << "\" y=\"";
    out.centi(y_centi) << "\" width=\"";
    out.centi(b.narrow_width_centi)
        << "\" height=\"" << int64_t{fh - 1} << "\" fill=\"" << to_css(kNarrowFill) << "\" c=\""
        << int64_t{b.narrow_frames} << "\" w=\"" << weight << "\" o=\"" << offset.to_string()
        << "\"/>";
    write_label(narrow_label(b.narrow_frames), b.narrow_x_centi, b.narrow_width_centi, y_centi);
    out << '\n';
  };
  std::vector<const FrameBox*> pending_narrow;  // written once the frame's subtree is
  FrameStyle style;
  for (const FrameBox& b : boxes) {
    while (!pending_narrow.empty() && pending_narrow.back()->depth >= b.depth) {
      write_narrow(*pending_narrow.back());
      pending_narrow.pop_back();
    }
    if (!b.narrow.is_zero()) pending_narrow.push_back(&b);
    std::string_view name = tree.name(b.node);
    style = FrameStyle{};
    if (options.styler && b.node != tree.root()) options.styler(tree, b.node, style);
    Rgb fill = style.fill              ? *style.fill
               : b.node == tree.root() ? Rgb{200, 200, 200}
               : options.palette_map   ? options.palette_map->color(name, options.palette)
                                       : frame_color(name, options.palette);
    std::string weight = tree.weight(b.node).to_string();
    std::string offset = b.offset.to_string();
    uint32_t name_id = index_of(b.node);
    bool element = b.node == tree.root() || b.width_centi >= element_min_centi;
    data += std::to_string(b.depth) + '\t' + std::to_string(name_id) + '\t' + weight + '\t' +
            offset + '\t' + to_css(fill).substr(1) + (element ? "\t1" : "\t0");
    if (!style.tooltip.empty()) {
      data += '\t';
      append_xml_escaped(data, style.tooltip);
    }
    data += '\n';
    if (!element) continue;

    int64_t y_centi = y_of(b.depth);
    out << "<rect x=\"";
    out.centi(b.x_centi) << "\" y=\"";
    out.centi(y_centi) << "\" width=\"";
    out.centi(b.width_centi) << "\" height=\"" << int64_t{fh - 1} << "\" fill=\"" << to_css(fill)
                             << "\" n=\"" << int64_t{name_id} << "\" w=\"" << weight << "\" o=\""
                             << offset << '"';
    if (!style.tooltip.empty()) {
      out << " t=\"";
      out.escaped(style.tooltip) << '"';
    }
    out << "/>";
    write_label(name, b.x_centi, b.width_centi, y_centi);
    out << '\n';
  }
  while (!pending_narrow.empty()) {
    write_narrow(*pending_narrow.back());
    pending_narrow.pop_back();
  }
  out << "</g>\n<g id=\"zoom\"></g>\n";
  // A recording in which nothing ran is a valid profile: the picture says why it is blank.
  if (tree.weight(tree.root()).is_zero()) {
    out << "<text id=\"empty\" x=\"" << int64_t{width / 2} << "\" y=\""
        << int64_t{options.icicle ? top + fh - 4 : top + frames_height - 4}
        << "\" style=\"text-anchor:middle;pointer-events:none\">Empty profile: nothing was "
           "recorded (0 ";
    out.escaped(count_name) << ")</text>\n";
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
  out.escaped(count_name) << "\" factor=\"" << number(options.factor) << "\" frameheight=\""
                          << int64_t{fh} << "\" fontsize=\"" << number(fs) << "\" top=\""
                          << int64_t{top} << "\" framesheight=\"" << int64_t{frames_height}
                          << "\" margin=\"" << int64_t{kSideMargin} << "\" minwidth=\""
                          << number(layout.min_width_px) << "\" elementminwidth=\""
                          << number(element_min_centi / 100.0) << "\" icicle=\""
                          << int64_t{options.icicle ? 1 : 0} << "\"/>\n";
  out << "<script type=\"text/ecmascript\"><![CDATA[\n" << kFlamegraphScript << "\n]]></script>\n";
  out << "</svg>\n";
  out.flush();
  return stats;
}

}  // namespace kiln::flamegraph

// The frames of the SVG: <rect>/<text> elements for those wide enough to see, and one data line
// per frame from which the script draws zoomed views (names stored once each).
#include <cstdint>

#include "flamegraph/svg_parts.h"

namespace kiln::flamegraph::svg {

namespace {

// The label that fits a frame: its label (the name without annotation), cut with ".." if too
// long.
std::string_view label_for(std::string_view name, double width_px, double font_size,
                           bool& truncated) {
  truncated = false;
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

class FrameWriter {
 public:
  FrameWriter(SvgOut& out, const FrameTree& tree, const Canvas& canvas, const SvgOptions& options,
              std::vector<std::string_view>& names)
      : out_(out),
        tree_(tree),
        canvas_(canvas),
        options_(options),
        names_(names),
        name_index_(tree.profile().name_count() + 1, UINT32_MAX) {}

  std::string write(const std::vector<FrameBox>& boxes) {
    data_.reserve(boxes.size() * 40);
    std::vector<const FrameBox*> pending_narrow;  // written once the frame's subtree is
    for (const FrameBox& b : boxes) {
      while (!pending_narrow.empty() && pending_narrow.back()->depth >= b.depth) {
        write_narrow(*pending_narrow.back());
        pending_narrow.pop_back();
      }
      if (!b.narrow.is_zero()) pending_narrow.push_back(&b);
      write_frame(b);
    }
    while (!pending_narrow.empty()) {
      write_narrow(*pending_narrow.back());
      pending_narrow.pop_back();
    }
    return std::move(data_);
  }

 private:
  uint32_t index_of(NodeId n) {
    FrameId f = tree_.frame(n);
    uint32_t& slot = name_index_[f == kNoFrame ? tree_.profile().name_count() : f];
    if (slot == UINT32_MAX) {
      slot = static_cast<uint32_t>(names_.size());
      names_.push_back(tree_.name(n));
    }
    return slot;
  }

  void write_label(std::string_view text, int64_t x_centi, int64_t width_centi, int64_t y_centi) {
    bool truncated;
    std::string_view label = label_for(text, width_centi / 100.0, canvas_.font_size, truncated);
    if (label.empty()) return;
    out_ << "<text x=\"";
    out_.centi(x_centi + 300) << "\" y=\"";
    out_.centi(y_centi + static_cast<int64_t>(canvas_.frame_height * 100) - 450) << "\">";
    out_.escaped(label);
    if (truncated) out_ << "..";
    out_ << "</text>";
  }

  void write_frame(const FrameBox& b) {
    std::string_view name = tree_.name(b.node);
    FrameStyle style;
    if (options_.styler && b.node != tree_.root()) options_.styler(tree_, b.node, style);
    Rgb fill = style.fill               ? *style.fill
               : b.node == tree_.root() ? Rgb{200, 200, 200}
               : options_.palette_map
                   ? options_.palette_map->color(name, options_.palette, tree_.kind(b.node))
                   : frame_color(name, options_.palette, tree_.kind(b.node));
    std::string weight = tree_.weight(b.node).to_string();
    std::string offset = b.offset.to_string();
    uint32_t name_id = index_of(b.node);
    bool element = b.node == tree_.root() || b.width_centi >= canvas_.element_min_centi;
    data_ += std::to_string(b.depth) + '\t' + std::to_string(name_id) + '\t' + weight + '\t' +
             offset + '\t' + to_css(fill).substr(1) + (element ? "\t1" : "\t0");
    if (!style.tooltip.empty()) {
      data_ += '\t';
      append_xml_escaped(data_, style.tooltip);
    }
    data_ += '\n';
    if (!element) return;

    int64_t y_centi = canvas_.y_centi(b.depth);
    out_ << "<rect x=\"";
    out_.centi(b.x_centi) << "\" y=\"";
    out_.centi(y_centi) << "\" width=\"";
    out_.centi(b.width_centi) << "\" height=\"" << int64_t{canvas_.frame_height - 1} << "\" fill=\""
                              << to_css(fill) << "\" n=\"" << int64_t{name_id} << "\" w=\""
                              << weight << "\" o=\"" << offset << '"';
    if (!style.tooltip.empty() && options_.tooltip_attributes) {
      out_ << " t=\"";
      out_.escaped(style.tooltip) << '"';
    }
    out_ << "/>";
    write_label(tree_.label(b.node), b.x_centi, b.width_centi, y_centi);
    out_ << '\n';
  }

  // The children of a frame too narrow to draw, as one grey box right of its drawn children:
  // a data line whose name field is the number of frames, kind 2 (data only), 3 (also an
  // element) or 4 (flame charts: not drawn, only told in the parent's tooltip).
  void write_narrow(const FrameBox& b) {
    std::string weight = b.narrow.to_string();
    Weight offset = b.offset + (tree_.weight(b.node) - tree_.self_weight(b.node) - b.narrow);
    bool drawable = !tree_.flame_chart() && b.narrow_width_centi >= canvas_.layout_min_centi;
    bool element = drawable && b.narrow_width_centi >= canvas_.element_min_centi;
    data_ += std::to_string(b.depth + 1) + '\t' + std::to_string(b.narrow_frames) + '\t' + weight +
             '\t' + offset.to_string() + '\t' + to_css(kNarrowFill).substr(1) +
             (element    ? "\t3\n"
              : drawable ? "\t2\n"
                         : "\t4\n");
    if (!element) return;
    int64_t y_centi = canvas_.y_centi(b.depth + 1);
    out_ << "<rect class=\"narrow\" x=\"";
    out_.centi(b.narrow_x_centi) << "\" y=\"";
    out_.centi(y_centi) << "\" width=\"";
    out_.centi(b.narrow_width_centi)
        << "\" height=\"" << int64_t{canvas_.frame_height - 1} << "\" fill=\""
        << to_css(kNarrowFill) << "\" c=\"" << int64_t{b.narrow_frames} << "\" w=\"" << weight
        << "\" o=\"" << offset.to_string() << "\"/>";
    write_label(narrow_label(b.narrow_frames), b.narrow_x_centi, b.narrow_width_centi, y_centi);
    out_ << '\n';
  }

  SvgOut& out_;
  const FrameTree& tree_;
  const Canvas& canvas_;
  const SvgOptions& options_;
  std::vector<std::string_view>& names_;
  std::vector<uint32_t> name_index_;  // per FrameId (and the root), its index in names_
  std::string data_;
};

}  // namespace

std::string write_frames(SvgOut& out, const FrameTree& tree, const std::vector<FrameBox>& boxes,
                         const Canvas& canvas, const SvgOptions& options,
                         std::vector<std::string_view>& names) {
  return FrameWriter(out, tree, canvas, options, names).write(boxes);
}

}  // namespace kiln::flamegraph::svg

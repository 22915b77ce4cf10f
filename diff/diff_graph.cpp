// The differential flame graph of `kiln diff`: the frame tree of one profile (AFTER by default)
// drawn by the SVG writer, each frame colored and annotated from the change of its share
// between the two profiles. A frame is a call path, so it is matched by path, not by name.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "diff/diff.h"

namespace kiln::diff {

// The differential graph is a flame graph with its own styling.
using namespace kiln::flamegraph;
namespace {

// Maps each node of `tree` to the node with the same call path in `other` (kNoNode if absent).
// FrameTree::build lists siblings sorted by name in both trees, so the children of two matched
// nodes are matched by one merge pass, with no hashing of the (often much larger) other tree.
std::vector<NodeId> match_paths(const FrameTree& tree, const FrameTree& other) {
  std::vector<NodeId> matched(tree.size(), kNoNode);
  matched[tree.root()] = other.root();
  for (NodeId n = 0; n < tree.size(); ++n) {  // preorder: a node is matched before its children
    if (matched[n] == kNoNode) continue;
    NodeId theirs = other.first_child(matched[n]);
    for (NodeId mine = tree.first_child(n); mine != kNoNode; mine = tree.next_sibling(mine)) {
      const std::string_view name = tree.name(mine);
      while (theirs != kNoNode && other.name(theirs) < name) theirs = other.next_sibling(theirs);
      if (theirs != kNoNode && other.name(theirs) == name) matched[mine] = theirs;
    }
  }
  return matched;
}

struct FrameWeights {
  double total = 0;
  double self = 0;
};

FrameWeights weights_of(const FrameTree& tree, NodeId node) {
  if (node == kNoNode) return {};
  return {tree.weight(node).to_double(), tree.self_weight(node).to_double()};
}

template <typename... Numbers>
std::string format(const char* pattern, Numbers... numbers) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, pattern, numbers...);
  return buffer;
}

// Colors: grey when unchanged, blending towards saturated red (grew) or blue (shrank).
constexpr Rgb kUnchanged{221, 221, 221};
constexpr Rgb kGrew{214, 39, 40};
constexpr Rgb kShrank{31, 96, 196};

Rgb blend(Rgb from, Rgb to, double t) {
  auto mix = [t](uint8_t a, uint8_t b) {
    return static_cast<uint8_t>(std::lround(a + (static_cast<double>(b) - a) * t));
  };
  return {mix(from.r, to.r), mix(from.g, to.g), mix(from.b, to.b)};
}

// Changes of this many points or more are fully saturated, unless the largest change in the
// graph is bigger (then saturation is relative to it), so a graph of small changes stays pale.
constexpr double kFullSaturationPoints = 2;

// Saturation grows with the square root of the change: a change a quarter the size of the
// largest is still half-saturated, while noise-sized changes stay close to grey.
Rgb change_color(double points, double saturation_points) {
  const double t = std::sqrt(std::min(1.0, std::fabs(points) / saturation_points));
  return blend(kUnchanged, points > 0 ? kGrew : kShrank, t);
}

}  // namespace

SvgStats write_diff_svg(const Profile& before, const Profile& after,
                        const DiffGraphOptions& options, std::ostream& out) {
  // The drawn tree leaves out frames too narrow to draw (fast on huge profiles); the other one
  // keeps every frame, so a drawn frame always finds its weight in the other profile.
  TreeOptions drawn_options;
  drawn_options.min_fraction = min_drawn_fraction(options.svg);
  const FrameTree drawn =
      FrameTree::build(options.widths_from_before ? before : after, drawn_options);
  const FrameTree other = FrameTree::build(options.widths_from_before ? after : before);
  const std::vector<NodeId> matched = match_paths(drawn, other);

  // Shares in percent of each profile's total, or raw weights in percent of BEFORE's total.
  const double before_total = before.total().to_double();
  const double after_total = options.normalize ? after.total().to_double() : before_total;
  const double before_scale = before_total > 0 ? 100 / before_total : 0;
  const double after_scale = after_total > 0 ? 100 / after_total : 0;

  struct FrameChange {
    FrameWeights before, after;
    double total_points, self_points;
  };
  auto change_of = [&](NodeId node) {
    FrameChange c;
    const FrameWeights mine = weights_of(drawn, node);
    const FrameWeights theirs = weights_of(other, matched[node]);
    c.before = options.widths_from_before ? mine : theirs;
    c.after = options.widths_from_before ? theirs : mine;
    c.total_points = c.after.total * after_scale - c.before.total * before_scale;
    c.self_points = c.after.self * after_scale - c.before.self * before_scale;
    return c;
  };

  std::vector<FrameChange> changes(drawn.size());
  double largest_points = 0;
  for (NodeId n = 1; n < drawn.size(); ++n) {
    changes[n] = change_of(n);
    largest_points = std::max(largest_points, std::fabs(changes[n].total_points));
  }
  const double saturation_points = std::max(largest_points, kFullSaturationPoints);

  SvgOptions svg = options.svg;
  if (svg.title.empty()) svg.title = "Differential Flame Graph";
  if (svg.count_name.empty()) svg.count_name = after.metadata.count_name;
  const std::string unit = svg.count_name;
  svg.styler = [&, unit](const FrameTree&, NodeId node, FrameStyle& style) {
    const FrameChange& c = changes[node];
    style.fill = change_color(c.total_points, saturation_points);
    const auto side = [&](const char* label, const FrameWeights& w, double scale) {
      return label + format_diff_weight(w.total) + " " + unit +
             format(" (%.2f%%)", w.total * scale) + ", self " + format_diff_weight(w.self) +
             format(" (%.2f%%)", w.self * scale);
    };
    style.tooltip =
        side("before ", c.before, before_scale) + "; " + side("after ", c.after, after_scale) +
        format("; change: total %+.2f points, self %+.2f points", c.total_points, c.self_points);
  };
  svg.tooltip_attributes = false;  // each tooltip once, in the data the script reads
  svg.legend = {
      {kGrew, "share grew"},
      {kShrank, "share shrank"},
      {kUnchanged, "unchanged"},
  };
  return write_svg(drawn, svg, out);
}

}  // namespace kiln::diff

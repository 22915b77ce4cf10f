// The differential flame graph of `kiln diff`: the frame tree of one profile (AFTER by default)
// drawn by the SVG writer, each frame colored and annotated from the change of its share
// between the two profiles. A frame is a call path, so it is matched by path, not by name.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "flamegraph.h"

namespace kiln::flamegraph {
namespace {

// Maps each node of `tree` to the node with the same call path in `other` (kNoNode if absent).
std::vector<NodeId> match_paths(const FrameTree& tree, const FrameTree& other) {
  struct Key {
    NodeId parent;
    std::string_view name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const {
      return std::hash<std::string_view>{}(key.name) * 31 + key.parent;
    }
  };
  std::unordered_map<Key, NodeId, KeyHash> children;
  children.reserve(other.size());
  for (NodeId n = 1; n < other.size(); ++n)
    children.emplace(Key{other.parent(n), other.name(n)}, n);

  std::vector<NodeId> matched(tree.size(), kNoNode);
  matched[tree.root()] = other.root();
  for (NodeId n = 1; n < tree.size(); ++n) {  // preorder: the parent is matched first
    const NodeId parent = matched[tree.parent(n)];
    if (parent == kNoNode) continue;
    const auto it = children.find(Key{parent, tree.name(n)});
    if (it != children.end()) matched[n] = it->second;
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

std::string format_weight(double weight) {
  return format(weight == std::floor(weight) ? "%.0f" : "%.2f", weight);
}

// Colors: grey when unchanged, towards saturated red (grew) or blue (shrank).
constexpr Rgb kUnchanged{221, 221, 221};
constexpr Rgb kGrewFull{214, 39, 40};
constexpr Rgb kShrankFull{31, 96, 196};
constexpr Rgb kGrewFaint{250, 222, 218};
constexpr Rgb kShrankFaint{218, 228, 250};

Rgb blend(Rgb from, Rgb to, double t) {
  auto mix = [t](uint8_t a, uint8_t b) {
    return static_cast<uint8_t>(std::lround(a + (static_cast<double>(b) - a) * t));
  };
  return {mix(from.r, to.r), mix(from.g, to.g), mix(from.b, to.b)};
}

// A change this small (in points of share) is drawn as unchanged: it does not show at the
// precision of the tooltip.
constexpr double kUnchangedPoints = 0.005;
// Changes of this many points or more are fully saturated, unless the largest change in the
// graph is bigger (then saturation is relative to it), so a graph of small changes stays pale.
constexpr double kFullSaturationPoints = 2;

Rgb change_color(double points, double saturation_points) {
  if (std::fabs(points) < kUnchangedPoints) return kUnchanged;
  const double t = std::min(1.0, std::fabs(points) / saturation_points);
  return points > 0 ? blend(kGrewFaint, kGrewFull, t) : blend(kShrankFaint, kShrankFull, t);
}

}  // namespace

SvgStats write_diff_svg(const Profile& before, const Profile& after,
                        const DiffGraphOptions& options, std::ostream& out) {
  const FrameTree before_tree = FrameTree::build(before);
  const FrameTree after_tree = FrameTree::build(after);
  const FrameTree& drawn = options.widths_from_before ? before_tree : after_tree;
  const FrameTree& other = options.widths_from_before ? after_tree : before_tree;
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

  double largest_points = 0;
  for (NodeId n = 1; n < drawn.size(); ++n) {
    largest_points = std::max(largest_points, std::fabs(change_of(n).total_points));
  }
  const double saturation_points = std::max(largest_points, kFullSaturationPoints);

  SvgOptions svg = options.svg;
  if (svg.title.empty()) svg.title = "Differential Flame Graph";
  if (svg.count_name.empty()) svg.count_name = after.metadata.count_name;
  const std::string unit = svg.count_name;
  svg.styler = [&, unit](const FrameTree&, NodeId node, FrameStyle& style) {
    const FrameChange c = change_of(node);
    style.fill = change_color(c.total_points, saturation_points);
    const auto side = [&](const char* label, const FrameWeights& w, double scale) {
      return label + format_weight(w.total) + " " + unit + format(" (%.2f%%)", w.total * scale) +
             ", self " + format_weight(w.self) + format(" (%.2f%%)", w.self * scale);
    };
    style.tooltip =
        side("before ", c.before, before_scale) + "; " + side("after ", c.after, after_scale) +
        format("; change: total %+.2f points, self %+.2f points", c.total_points, c.self_points);
  };
  svg.legend = {
      {blend(kGrewFaint, kGrewFull, 1), "share grew"},
      {blend(kShrankFaint, kShrankFull, 1), "share shrank"},
      {kUnchanged, "unchanged"},
  };
  return write_svg(drawn, svg, out);
}

}  // namespace kiln::flamegraph

// compute_layout: frame positions from weights, with rounded shared edges.
#include "flamegraph.h"

namespace kiln::flamegraph {

std::vector<FrameBox> compute_layout(const FrameTree& tree, const LayoutOptions& options,
                                     size_t* pruned) {
  using Units = Weight::Units;
  const Units total = tree.weight(tree.root()).units();
  const int64_t margin = static_cast<int64_t>(options.side_margin) * 100;
  const Units span = options.width > 2 * options.side_margin
                         ? Units(options.width - 2 * options.side_margin) * 100
                         : 0;
  const int64_t min_width = static_cast<int64_t>(options.min_width_px * 100 + 0.5);
  // Both edges of a frame are rounded from exact weights, so a frame's right edge is exactly
  // its next sibling's left edge and children add up to their parent.
  auto edge = [&](Units x) -> int64_t {
    if (total == 0) return margin;
    return margin + static_cast<int64_t>((x * span * 2 + total) / (total * 2));
  };

  std::vector<FrameBox> boxes;
  size_t skipped = 0;
  // next_x[d]: where the next frame at depth d starts (preorder makes this a simple stack).
  std::vector<Units> next_x(tree.max_depth() + 2, 0);
  for (NodeId n = 0; n < tree.size();) {
    uint32_t d = tree.depth(n);
    Units x = next_x[d];
    Units w = tree.weight(n).units();
    next_x[d] = x + w;
    int64_t left = edge(x);
    int64_t width = total == 0 ? static_cast<int64_t>(span) : edge(x + w) - left;
    if (n != tree.root() && width < min_width) {
      skipped += tree.subtree_end(n) - n;
      n = tree.subtree_end(n);
      continue;
    }
    boxes.push_back(FrameBox{n, Weight::from_units(x), left, width, d});
    next_x[d + 1] = x;
    ++n;
  }
  if (pruned) *pruned = skipped;
  return boxes;
}

}  // namespace kiln::flamegraph

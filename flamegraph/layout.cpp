// compute_layout: frame positions from weights, with rounded shared edges.
#include "flamegraph/flamegraph.h"

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
  // next_x[d]: where the next frame at depth d starts (preorder makes this a simple stack);
  // parent_box[d]: the box of the last frame drawn at depth d.
  std::vector<Units> next_x(tree.max_depth() + 2, 0);
  std::vector<size_t> parent_box(tree.max_depth() + 2, 0);
  for (NodeId n = 0; n < tree.size();) {
    uint32_t d = tree.depth(n);
    Units x = next_x[d];
    Units w = tree.weight(n).units();
    int64_t left = edge(x);
    int64_t width = total == 0 ? static_cast<int64_t>(span) : edge(x + w) - left;
    if (n != tree.root() && width < min_width) {
      FrameBox& parent = boxes[parent_box[d - 1]];
      parent.narrow += tree.weight(n);
      ++parent.narrow_frames;
      // A flame chart keeps time order; elsewhere the drawn siblings close up.
      if (tree.flame_chart()) next_x[d] = x + w;
      skipped += tree.subtree_end(n) - n;
      n = tree.subtree_end(n);
      continue;
    }
    next_x[d] = x + w;
    parent_box[d] = boxes.size();
    boxes.push_back(FrameBox{n, Weight::from_units(x), left, width, d, tree.pruned_weight(n),
                             tree.pruned_children(n)});
    next_x[d + 1] = x;
    ++n;
  }
  if (!tree.flame_chart()) {
    for (FrameBox& b : boxes) {
      if (b.narrow.is_zero()) continue;
      Units drawn = (tree.weight(b.node) - tree.self_weight(b.node) - b.narrow).units();
      Units x = b.offset.units() + drawn;
      b.narrow_x_centi = edge(x);
      b.narrow_width_centi = edge(x + b.narrow.units()) - b.narrow_x_centi;
    }
  }
  if (pruned) *pruned = skipped;
  return boxes;
}

}  // namespace kiln::flamegraph

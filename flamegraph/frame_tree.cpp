// FrameTree: the merged call tree of a Profile, built in one pass over stacks in tree order.
#include <algorithm>
#include <numeric>

#include "flamegraph/flamegraph.h"

namespace kiln::flamegraph {

namespace {

// Frames of each stack in the order the tree uses (reversed for the bottom-up view).
class StackFrames {
 public:
  StackFrames(const Profile& profile, bool reverse) : profile_(profile), reverse_(reverse) {
    if (!reverse) return;
    offsets_.reserve(profile.stack_count() + 1);
    offsets_.push_back(0);
    for (size_t s = 0; s < profile.stack_count(); ++s) {
      auto f = profile.frames(s);
      reversed_.insert(reversed_.end(), f.rbegin(), f.rend());
      offsets_.push_back(reversed_.size());
    }
  }
  std::span<const FrameId> operator()(size_t s) const {
    if (!reverse_) return profile_.frames(s);
    return {reversed_.data() + offsets_[s], reversed_.data() + offsets_[s + 1]};
  }

 private:
  const Profile& profile_;
  bool reverse_;
  std::vector<FrameId> reversed_;
  std::vector<size_t> offsets_;
};

// Whether consecutive stacks already come in frame-name order, as sorted folded files do. Each
// pair costs one name comparison, at the first frame where the stacks differ.
bool in_name_order(const Profile& profile, const StackFrames& frames) {
  for (size_t s = 1; s < profile.stack_count(); ++s) {
    auto a = frames(s - 1), b = frames(s);
    auto [ia, ib] = std::ranges::mismatch(a, b);
    if (ib == b.end()) {
      if (ia != a.end()) return false;  // b is a prefix of a
    } else if (ia != a.end() && profile.name(*ia) > profile.name(*ib)) {
      return false;
    }
  }
  return true;
}

// Stacks ordered by frame names, so that stacks sharing a prefix are adjacent and siblings
// come out sorted by name.
std::vector<uint32_t> name_order(const Profile& profile, const StackFrames& frames) {
  std::vector<uint32_t> order(profile.stack_count());
  std::iota(order.begin(), order.end(), 0);
  if (in_name_order(profile, frames)) return order;
  const std::vector<uint32_t> rank = profile.name_ranks();
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    auto fa = frames(a), fb = frames(b);
    return std::lexicographical_compare(fa.begin(), fa.end(), fb.begin(), fb.end(),
                                        [&](FrameId x, FrameId y) { return rank[x] < rank[y]; });
  });
  return order;
}

}  // namespace

FrameTree FrameTree::build(const Profile& profile, const TreeOptions& options) {
  FrameTree tree;
  tree.profile_ = &profile;
  tree.flame_chart_ = options.flame_chart;
  StackFrames frames(profile, options.reverse);
  std::vector<uint32_t> order;
  if (options.flame_chart) {
    order.resize(profile.stack_count());
    std::iota(order.begin(), order.end(), 0);
  } else {
    order = name_order(profile, frames);
  }

  std::vector<Node>& nodes = tree.nodes_;
  nodes.push_back(Node{Weight{}, kNoFrame, kNoNode, 0, 0});
  const auto min_units = static_cast<Weight::Units>(
      static_cast<long double>(profile.total().units()) * std::max(options.min_fraction, 0.0));
  // Closing a node (no later stack passes through it) fixes its weight; if it is too light its
  // subtree is the tail of `nodes` and is dropped, so pruned nodes never pile up in memory. Its
  // parent keeps its weight as pruned, not as self, weight.
  std::vector<Weight>& pruned = tree.pruned_;
  std::vector<uint32_t>& pruned_count = tree.pruned_count_;
  // How many frames of each name are on the current path: a pruned frame counts in its name's
  // pruned weight only when no ancestor has its name.
  std::vector<uint32_t> on_path;
  if (min_units > 0) {
    pruned.emplace_back();
    pruned_count.emplace_back();
    on_path.resize(profile.name_count());
    tree.pruned_by_name_.resize(profile.name_count());
  }
  auto close_to = [&](std::vector<NodeId>& path, size_t keep) {
    while (path.size() > keep) {
      NodeId closed = path.back();
      path.pop_back();
      if (min_units == 0) continue;
      FrameId f = nodes[closed].frame;
      if (--on_path[f] == 0 && nodes[closed].weight.units() < min_units) {
        tree.pruned_by_name_[f] += nodes[closed].weight;
      }
      if (nodes[closed].weight.units() < min_units) {
        pruned[nodes[closed].parent] += nodes[closed].weight;
        ++pruned_count[nodes[closed].parent];
        nodes.resize(closed);
        pruned.resize(closed);
        pruned_count.resize(closed);
      }
    }
  };
  std::vector<NodeId> path{0};  // the nodes of the previous stack, root first
  for (uint32_t s : order) {
    auto f = frames(s);
    size_t common = 0;
    while (common < f.size() && common + 1 < path.size() &&
           nodes[path[common + 1]].frame == f[common]) {
      ++common;
    }
    close_to(path, common + 1);
    for (size_t d = common; d < f.size(); ++d) {
      NodeId id = static_cast<NodeId>(nodes.size());
      nodes.push_back(Node{Weight{}, f[d], path.back(), 0, static_cast<uint32_t>(d + 1)});
      if (min_units > 0) {
        pruned.emplace_back();
        pruned_count.emplace_back();
        ++on_path[f[d]];
      }
      path.push_back(id);
    }
    Weight w = profile.weight(s);
    for (NodeId n : path) nodes[n].weight += w;
  }
  close_to(path, 1);
  for (const Node& n : nodes) tree.max_depth_ = std::max(tree.max_depth_, n.depth);

  // Subtree ends: a node's subtree stops at the next node that is not deeper.
  std::vector<NodeId> open;
  for (NodeId i = 0; i < nodes.size(); ++i) {
    while (!open.empty() && nodes[open.back()].depth >= nodes[i].depth) {
      nodes[open.back()].end = i;
      open.pop_back();
    }
    open.push_back(i);
  }
  for (NodeId n : open) nodes[n].end = static_cast<NodeId>(nodes.size());

  if (!options.flame_chart && options.order == SiblingOrder::kWeight) tree.sort_by_weight();
  return tree;
}

void FrameTree::sort_by_weight() {
  std::vector<Node> sorted;
  sorted.reserve(nodes_.size());
  std::vector<Weight> sorted_pruned;
  std::vector<uint32_t> sorted_pruned_count;
  // Depth-first, children heaviest first (ties keep name order); (old id, new parent) pairs.
  std::vector<std::pair<NodeId, NodeId>> todo{{0, kNoNode}};
  std::vector<NodeId> children;
  while (!todo.empty()) {
    auto [old_id, new_parent] = todo.back();
    todo.pop_back();
    NodeId new_id = static_cast<NodeId>(sorted.size());
    Node node = nodes_[old_id];
    node.parent = new_parent;
    sorted.push_back(node);
    if (!pruned_.empty()) {
      sorted_pruned.push_back(pruned_[old_id]);
      sorted_pruned_count.push_back(pruned_count_[old_id]);
    }
    children.clear();
    for (NodeId c = first_child(old_id); c != kNoNode; c = next_sibling(c)) children.push_back(c);
    std::stable_sort(children.begin(), children.end(),
                     [&](NodeId a, NodeId b) { return nodes_[a].weight > nodes_[b].weight; });
    for (auto it = children.rbegin(); it != children.rend(); ++it) todo.emplace_back(*it, new_id);
  }
  // Ends: same rule as in build().
  std::vector<NodeId> open;
  for (NodeId i = 0; i < sorted.size(); ++i) {
    while (!open.empty() && sorted[open.back()].depth >= sorted[i].depth) {
      sorted[open.back()].end = i;
      open.pop_back();
    }
    open.push_back(i);
  }
  for (NodeId n : open) sorted[n].end = static_cast<NodeId>(sorted.size());
  nodes_.swap(sorted);
  pruned_.swap(sorted_pruned);
  pruned_count_.swap(sorted_pruned_count);
}

std::string_view FrameTree::name(NodeId n) const {
  return n == 0 ? std::string_view("all") : profile_->name(nodes_[n].frame);
}

std::string_view FrameTree::label(NodeId n) const {
  return n == 0 ? std::string_view("all") : profile_->label(nodes_[n].frame);
}

FrameKind FrameTree::kind(NodeId n) const {
  return n == 0 ? FrameKind::kUser : profile_->kind(nodes_[n].frame);
}

Weight FrameTree::self_weight(NodeId n) const {
  Weight children;
  for (NodeId c = first_child(n); c != kNoNode; c = next_sibling(c)) children += nodes_[c].weight;
  if (!pruned_.empty()) children += pruned_[n];
  return nodes_[n].weight - children;
}

NodeId FrameTree::next_sibling(NodeId n) const {
  NodeId p = nodes_[n].parent;
  if (p == kNoNode) return kNoNode;
  NodeId next = nodes_[n].end;
  return next < nodes_[p].end ? next : kNoNode;
}

NodeId FrameTree::find_child(NodeId parent, std::string_view name) const {
  for (NodeId c = first_child(parent); c != kNoNode; c = next_sibling(c)) {
    if (this->name(c) == name) return c;
  }
  return kNoNode;
}

std::vector<std::string_view> FrameTree::path(NodeId n) const {
  std::vector<std::string_view> names;
  for (; n != 0 && n != kNoNode; n = nodes_[n].parent) names.push_back(name(n));
  std::reverse(names.begin(), names.end());
  return names;
}

}  // namespace kiln::flamegraph

// Frames too narrow to draw: their grey box's label and the per-name summary a search adds up.
#include <algorithm>
#include <span>

#include "flamegraph/svg_parts.h"

namespace kiln::flamegraph::svg {

namespace {

// Per FrameId, the weight of the frames of that name that are not drawn and have no ancestor of
// the same name: those the tree pruned (FrameTree::pruned_by_name, not copied: a deep profile
// has hundreds of thousands of names) and the few the layout left out (in the tree, not in
// `boxes`), kept aside. What a search adds for frames too narrow to draw.
class NarrowWeights {
 public:
  NarrowWeights(const FrameTree& tree, const std::vector<FrameBox>& boxes)
      : pruned_(tree.pruned_by_name()), has_left_out_(tree.profile().name_count()) {
    std::vector<uint32_t> on_path(tree.profile().name_count());
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
      if (!drawn && on_path[f] == 0) {
        left_out_.emplace_back(f, tree.weight(n));
        has_left_out_[f] = true;
        // A large tree leaves out many more frames than names: kept about as long as the names.
        if (left_out_.size() >= 2 * compacted_) compact();
      }
      ++on_path[f];
      path.push_back(n);
    }
    compact();
  }

  Weight operator[](FrameId f) const {
    Weight w = f < pruned_.size() ? pruned_[f] : Weight{};
    if (!has_left_out_[f]) return w;
    auto it = std::ranges::lower_bound(left_out_, f, {}, &std::pair<FrameId, Weight>::first);
    if (it != left_out_.end() && it->first == f) w += it->second;
    return w;
  }

 private:
  // One entry per name, in FrameId order, for the binary search of operator[].
  void compact() {
    std::ranges::sort(left_out_, {}, &std::pair<FrameId, Weight>::first);
    size_t kept = 0;
    for (const auto& [f, w] : left_out_) {
      if (kept > 0 && left_out_[kept - 1].first == f) {
        left_out_[kept - 1].second += w;
      } else {
        left_out_[kept++] = {f, w};
      }
    }
    left_out_.resize(kept);
    compacted_ = std::max<size_t>(kept, 4096);
  }

  std::span<const Weight> pruned_;
  std::vector<bool> has_left_out_;  // per FrameId: in left_out_ (most names are not)
  std::vector<std::pair<FrameId, Weight>> left_out_;
  size_t compacted_ = 4096;  // entries after the last compact()
};

}  // namespace

std::string narrow_label(uint32_t frames) {
  std::string digits = std::to_string(frames), grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return "[" + grouped + (frames == 1 ? " narrow frame]" : " narrow frames]");
}

void write_narrow_summary(SvgOut& out, const FrameTree& tree, const std::vector<FrameBox>& boxes) {
  Weight total;
  for (const FrameBox& b : boxes) total += b.narrow;
  if (total.is_zero()) return;
  const NarrowWeights by_name(tree, boxes);
  const Profile& profile = tree.profile();
  std::vector<FrameId> listed;
  for (FrameId f = 0; f < profile.name_count(); ++f) {
    if (!by_name[f].is_zero()) listed.push_back(f);
  }
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

}  // namespace kiln::flamegraph::svg

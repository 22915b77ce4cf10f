// Frames too narrow to draw: their grey box's label and the per-name summary a search adds up.
#include <algorithm>
#include <span>

#include "flamegraph/svg_parts.h"

namespace kiln::flamegraph::svg {

namespace {

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

}  // namespace kiln::flamegraph::svg

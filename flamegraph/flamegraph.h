// flamegraph: what a graph draws from a Profile (profile/profile.h): the merged frame tree,
// colors, the layout and the interactive SVG (flame, icicle, flame chart) with its embedded
// script, and the styling hook through which other views (diff/, `kiln record --wall`) color
// and label frames. It uses profile/ only.
//
//   FrameTree tree = FrameTree::build(profile);   // merged, siblings sorted by name
//   std::ofstream out("perf.svg");
//   write_svg(tree, SvgOptions{}, out);
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flamegraph/palette.h"
#include "profile/profile.h"

namespace kiln::flamegraph {

using profile::FrameId;
using profile::FrameKind;
using profile::kNoFrame;
using profile::Profile;
using profile::ProfileMetadata;
using profile::Weight;

// FrameTree: the merged call tree a graph draws. Node 0 is the synthetic root ("all"); nodes are
// stored in preorder, so the subtree of `n` is the id range [n, subtree_end(n)), and children
// appear left to right in drawing order.

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0xffffffffu;

enum class SiblingOrder { kName, kWeight };

struct TreeOptions {
  bool reverse = false;      // stacks reversed (leaf becomes root): the bottom-up view
  bool flame_chart = false;  // keep input (time) order: only adjacent identical frames merge
  SiblingOrder order = SiblingOrder::kName;  // ignored for flame charts
  // Frames lighter than this fraction of the total are left out of the tree (their weight stays
  // in their parent). Rendering passes min_drawn_fraction(svg options) so that a huge profile
  // never holds the nodes too narrow to draw; 0 keeps every frame.
  double min_fraction = 0;
};

class FrameTree {
 public:
  // The profile must outlive the tree (names are referenced, not copied).
  static FrameTree build(const Profile& profile, const TreeOptions& options = {});

  NodeId root() const { return 0; }
  size_t size() const { return nodes_.size(); }
  FrameId frame(NodeId n) const { return nodes_[n].frame; }  // kNoFrame for the root
  std::string_view name(NodeId n) const;                     // "all" for the root
  // The name without annotation, as labels show it ("all" for the root), and the frame's kind
  // (kUser for the root).
  std::string_view label(NodeId n) const;
  FrameKind kind(NodeId n) const;
  Weight weight(NodeId n) const { return nodes_[n].weight; }  // including descendants
  // Of the stacks that end at `n` (children left out by min_fraction are not self weight).
  Weight self_weight(NodeId n) const;
  // Weight and number of the children of `n` left out by min_fraction.
  Weight pruned_weight(NodeId n) const { return pruned_.empty() ? Weight{} : pruned_[n]; }
  uint32_t pruned_children(NodeId n) const { return pruned_count_.empty() ? 0 : pruned_count_[n]; }
  // Per FrameId, the weight of the frames of that name left out by min_fraction that have no
  // ancestor of the same name (so a name's weight counts nested calls once); empty when no
  // frame can be left out.
  std::span<const Weight> pruned_by_name() const { return pruned_by_name_; }
  NodeId parent(NodeId n) const { return nodes_[n].parent; }  // kNoNode for the root
  uint32_t depth(NodeId n) const { return nodes_[n].depth; }  // root 0
  NodeId subtree_end(NodeId n) const { return nodes_[n].end; }
  // Children left to right: for (NodeId c = first_child(n); c != kNoNode; c = next_sibling(c))
  NodeId first_child(NodeId n) const { return n + 1 < nodes_[n].end ? n + 1 : kNoNode; }
  NodeId next_sibling(NodeId n) const;
  NodeId find_child(NodeId parent, std::string_view name) const;  // kNoNode if absent
  // Names from the first frame below the root down to `n`.
  std::vector<std::string_view> path(NodeId n) const;
  uint32_t max_depth() const { return max_depth_; }
  const Profile& profile() const { return *profile_; }
  bool flame_chart() const { return flame_chart_; }

 private:
  struct Node {
    Weight weight;
    FrameId frame;
    NodeId parent;
    NodeId end;
    uint32_t depth;
  };
  void sort_by_weight();
  const Profile* profile_ = nullptr;
  std::vector<Node> nodes_;
  // Per node, the weight of its children left out by min_fraction; empty when none can be.
  std::vector<Weight> pruned_;
  std::vector<uint32_t> pruned_count_;
  std::vector<Weight> pruned_by_name_;
  uint32_t max_depth_ = 0;
  bool flame_chart_ = false;
};

// ---------------------------------------------------------------------------------------------
// Layout: where each frame is drawn. Coordinates are in hundredths of a pixel and computed from
// rounded edges, so the widths of adjacent frames add up exactly to their parent's.

struct LayoutOptions {
  unsigned width = 1200;      // image width, px
  unsigned side_margin = 10;  // px left and right of the frames
  double min_width_px = 0.1;  // frames narrower than this are not drawn (nor their subtree)
};

struct FrameBox {
  NodeId node;
  Weight offset;        // weight of everything left of this frame (at any depth)
  int64_t x_centi;      // left edge, 1/100 px, from the image's left border
  int64_t width_centi;  // 1/100 px
  uint32_t depth;       // root = 0
  Weight narrow;        // weight of the children too narrow to draw (pruned or left out here)
  uint32_t narrow_frames = 0;  // how many children that is
  // Where that weight is drawn as one box, right of the drawn children (not in flame charts).
  int64_t narrow_x_centi = 0;
  int64_t narrow_width_centi = 0;
};

// Frames in preorder (a parent before its children). Frames too narrow to draw keep their
// weight in their parent (`narrow`), which keeps its full width; except in flame charts (time
// order), the drawn children come first and the narrow weight is at the parent's right end.
// `pruned` (if given) receives the number of frames left out.
std::vector<FrameBox> compute_layout(const FrameTree& tree, const LayoutOptions& options,
                                     size_t* pruned = nullptr);

// ---------------------------------------------------------------------------------------------
// The SVG writer.

// Per-frame overrides, for differential graphs and other annotated views.
struct FrameStyle {
  std::optional<Rgb> fill;  // replaces the palette color
  std::string tooltip;      // extra tooltip line, e.g. "before 120 (3.1%) -> after 250 (6.0%)"
};
// Called once per drawn frame (never for the root) with the style to fill in.
using FrameStyler = std::function<void(const FrameTree& tree, NodeId node, FrameStyle& style)>;

struct LegendEntry {
  Rgb color;
  std::string label;  // e.g. "slower (more samples)"
};

struct SvgOptions {
  std::string title{};         // default: "Flame Graph", "Icicle Graph" or "Flame Chart"
  std::string subtitle{};      // second line under the title (e.g. the command, the duration)
  std::string count_name{};    // unit in tooltips; default: the profile's metadata.count_name
  double factor = 1.0;         // weights are multiplied by this for display
  bool icicle = false;         // root at the top
  unsigned width = 1200;       // px
  unsigned frame_height = 16;  // px
  double font_size = 12;
  double min_width_px = 0.1;      // see LayoutOptions
  double min_width_percent = -1;  // if >= 0, replaces min_width_px: % of the image width
  // Frames at least the minimum width but narrower than this are not SVG elements in the full
  // view (hairlines cost the browser as much as wide frames); they stay in the embedded data,
  // count in search results, and the script draws them once a zoom makes them this wide.
  double element_min_width_px = 1.0;
  Palette palette = Palette::kHot;
  PaletteMap* palette_map = nullptr;  // if set, colors come from (and are added to) this map
  FrameStyler styler{};               // optional per-frame fill and tooltip line
  // The styler's tooltip line is in the embedded data, which the script shows; when true it is
  // also each element's `t` attribute, so the picture tells it without the script (wall graphs).
  // The differential graph turns it off: its long lines are written once.
  bool tooltip_attributes = true;
  std::vector<LegendEntry> legend{};  // optional color legend drawn under the title
};

// The fraction of the total weight below which write_svg draws no frame (from min_width_px or
// min_width_percent and the width); a lower bound, meant for TreeOptions::min_fraction.
double min_drawn_fraction(const SvgOptions& options);

struct SvgStats {
  size_t frames_drawn = 0;   // frames in the picture (as elements or as script data)
  size_t frames_pruned = 0;  // frames of the tree left out by the minimum width
};

// Writes one self-contained, deterministic SVG (kiln's script embedded: tooltips, click-zoom,
// search, URL state). Every frame name is escaped or sanitized (invalid UTF-8 and control
// characters become U+FFFD), so no name can break the markup or reach the script as code.
SvgStats write_svg(const FrameTree& tree, const SvgOptions& options, std::ostream& out);

// ---------------------------------------------------------------------------------------------
// Wall-clock graphs (`kiln record --wall`): on-CPU samples and off-CPU waits of the same threads
// in one profile of time, each off-CPU stack ending in a frame that names how its thread waited.

enum class WallState { kSleeping, kUninterruptible, kRunnable };
// "[off-cpu: S]" (sleeping: interruptible), "[off-cpu: D]" (uninterruptible) or "[runnable]"
// (preempted, waiting for a CPU).
std::string_view wall_state_frame(WallState state);
// Styles a wall-clock graph: frames whose time is mostly off-CPU (blocked) in the io blues,
// mostly runnable in lavender, mostly on-CPU in `svg.palette`; every tooltip gets the frame's
// split into on-CPU, off-CPU (blocked) and runnable time, and the legend says which color is
// which.
void use_wall_time_style(SvgOptions& svg);

// XML-escapes text for an attribute or element body, replacing invalid UTF-8 and characters XML
// forbids by U+FFFD. Exposed for the writers of other SVG views and for tests.
void append_xml_escaped(std::string& out, std::string_view text);

}  // namespace kiln::flamegraph

// Layout arithmetic (exact child widths, pruning) and colors (palettes, annotations, files).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

const fs::path kInferno = fs::path(KILN_SHARED_TESTDATA) / "inferno" / "flamegraph";

profile::Profile read(const fs::path& path) {
  profile::Profile p;
  formats::FoldedReader reader(p, nullptr);
  EXPECT_TRUE(reader.read_file(path.string()));
  return p;
}

}  // namespace

// With no self weight, children fill the parent exactly (to the 1/100 px); with self weight
// they never exceed it; each child starts where its previous sibling ends.
TEST(Layout, ChildWidthsAddUpExactly) {
  profile::Profile p = read(kInferno / "base" / "flames.txt");
  flamegraph::FrameTree tree = flamegraph::FrameTree::build(p);
  std::vector<flamegraph::FrameBox> boxes =
      flamegraph::compute_layout(tree, {.width = 1200, .min_width_px = 0});
  ASSERT_EQ(boxes.size(), tree.size());
  std::map<flamegraph::NodeId, const flamegraph::FrameBox*> by_node;
  for (const auto& b : boxes) by_node[b.node] = &b;
  EXPECT_EQ(boxes[0].x_centi, 1000);
  EXPECT_EQ(boxes[0].width_centi, 118000);
  size_t checked = 0;
  for (const auto& b : boxes) {
    int64_t sum = 0;
    int64_t next_left = b.x_centi;
    for (flamegraph::NodeId c = tree.first_child(b.node); c != flamegraph::kNoNode;
         c = tree.next_sibling(c)) {
      EXPECT_EQ(by_node[c]->x_centi, next_left);
      next_left += by_node[c]->width_centi;
      sum += by_node[c]->width_centi;
      EXPECT_EQ(by_node[c]->depth, b.depth + 1);
    }
    if (tree.first_child(b.node) == flamegraph::kNoNode) continue;
    ++checked;
    if (tree.self_weight(b.node).is_zero()) {
      EXPECT_EQ(sum, b.width_centi) << tree.name(b.node);
    } else {
      EXPECT_LE(sum, b.width_centi) << tree.name(b.node);
    }
  }
  EXPECT_GT(checked, 50u);
}

TEST(Layout, WidthsAreProportionalToWeights) {
  profile::Profile p;
  p.add_stack({"a"}, profile::Weight::from_integer(1));
  p.add_stack({"b"}, profile::Weight::from_integer(3));
  flamegraph::FrameTree tree = flamegraph::FrameTree::build(p);
  auto boxes = flamegraph::compute_layout(tree, {.width = 420, .side_margin = 10});
  ASSERT_EQ(boxes.size(), 3u);
  EXPECT_EQ(boxes[1].width_centi, 10000);  // a: 1/4 of 400 px
  EXPECT_EQ(boxes[2].x_centi, 11000);
  EXPECT_EQ(boxes[2].width_centi, 30000);
  EXPECT_EQ(boxes[2].offset.to_string(), "1");
}

// narrow-blocks.txt has a 1-sample stack among 386,000: pruned at the default 0.1 px, but its
// weight stays in its ancestors, which keep their full width.
TEST(Layout, PrunedFramesKeepTheirWeightInTheParent) {
  profile::Profile p = read(kInferno / "narrow-blocks" / "narrow-blocks.txt");
  flamegraph::FrameTree tree = flamegraph::FrameTree::build(p);
  size_t pruned = 0;
  auto boxes = flamegraph::compute_layout(tree, {.width = 1200, .min_width_px = 0.1}, &pruned);
  EXPECT_GT(pruned, 0u);
  EXPECT_EQ(boxes.size() + pruned, tree.size());
  flamegraph::NodeId cksum = tree.find_child(0, "cksum");
  flamegraph::NodeId inner = tree.find_child(cksum, "cksum");
  ASSERT_NE(inner, flamegraph::kNoNode);
  EXPECT_EQ(tree.weight(inner).to_string(), "60001");  // includes the pruned 1-sample child
  bool inner_drawn = false;
  for (const auto& b : boxes) {
    EXPECT_NE(tree.name(b.node), "__GI___fread_unlocked");
    if (b.node == inner) {
      inner_drawn = true;
      // 60001 of 386001 samples of 1180 px, edges rounded to 1/100 px.
      EXPECT_NEAR(b.width_centi / 100.0, 1180.0 * 60001 / 386001, 0.011);
    }
  }
  EXPECT_TRUE(inner_drawn);
}

TEST(Palette, ColorsAreDeterministicFromTheWholeName) {
  for (std::string_view name : flamegraph::palette_names()) {
    auto palette = flamegraph::parse_palette(name);
    ASSERT_TRUE(palette) << name;
    EXPECT_EQ(flamegraph::palette_name(*palette), name);
    EXPECT_EQ(flamegraph::frame_color("std::vector<int>::push_back", *palette),
              flamegraph::frame_color("std::vector<int>::push_back", *palette));
  }
  EXPECT_FALSE(flamegraph::parse_palette("rainbow"));
  // Anagrams (flamegraph.pl's default gives them one color) and names that differ only at
  // the end (its --hash looks at the start) get different colors.
  EXPECT_NE(flamegraph::frame_color("listen", flamegraph::Palette::kHot),
            flamegraph::frame_color("silent", flamegraph::Palette::kHot));
  EXPECT_NE(flamegraph::frame_color("kv::Store::get_a", flamegraph::Palette::kHot),
            flamegraph::frame_color("kv::Store::get_b", flamegraph::Palette::kHot));
  // Many names get many colors.
  std::set<std::string> colors;
  for (int i = 0; i < 200; ++i) {
    colors.insert(flamegraph::to_css(
        flamegraph::frame_color("func" + std::to_string(i), flamegraph::Palette::kHot)));
  }
  EXPECT_GT(colors.size(), 190u);
}

TEST(Palette, HotColorsStayInTheHotRange) {
  for (int i = 0; i < 100; ++i) {
    flamegraph::Rgb c = flamegraph::frame_color("f" + std::to_string(i), flamegraph::Palette::kHot);
    EXPECT_GE(c.r, 205);
    EXPECT_LE(c.b, 55);
  }
}

TEST(Palette, KindsHaveDistinctHues) {
  using profile::FrameKind;
  // Same base name, four kinds: four different dominant channels.
  flamegraph::Rgb k =
      flamegraph::frame_color("f_[k]", flamegraph::Palette::kHot, FrameKind::kKernel);
  flamegraph::Rgb j = flamegraph::frame_color("f_[j]", flamegraph::Palette::kHot, FrameKind::kJit);
  flamegraph::Rgb i =
      flamegraph::frame_color("f_[i]", flamegraph::Palette::kHot, FrameKind::kInlined);
  flamegraph::Rgb w =
      flamegraph::frame_color("f_[w]", flamegraph::Palette::kHot, FrameKind::kWakeup);
  EXPECT_EQ(k.b, 0);    // orange: no blue
  EXPECT_GT(j.g, j.r);  // green
  EXPECT_GT(i.b, i.r);  // aqua
  EXPECT_GT(w.r, w.g);  // purple
  EXPECT_EQ(w.r, w.b);
  // Grey separators of wakeup stacks, as in inferno's grey-frames input.
  EXPECT_EQ(flamegraph::frame_color("-", flamegraph::Palette::kHot),
            (flamegraph::Rgb{160, 160, 160}));
  EXPECT_EQ(flamegraph::frame_color("--", flamegraph::Palette::kJava),
            (flamegraph::Rgb{160, 160, 160}));
}

TEST(Palette, JavaPaletteSeparatesJavaNativeAndJvmFrames) {
  flamegraph::Rgb java = flamegraph::frame_color("io/netty/channel/nio/NioEventLoop:::run",
                                                 flamegraph::Palette::kJava);
  flamegraph::Rgb cpp =
      flamegraph::frame_color("JavaCalls::call_helper", flamegraph::Palette::kJava);
  flamegraph::Rgb sys = flamegraph::frame_color("start_thread", flamegraph::Palette::kJava);
  EXPECT_GT(java.g, java.r);      // green
  EXPECT_GT(cpp.r, cpp.b + 100);  // yellow
  EXPECT_EQ(cpp.r, cpp.g);
  EXPECT_GT(sys.r, sys.g + 100);  // red
}

TEST(PaletteMap, ReadsInfernoMapsAndReportsBadLines) {
  flamegraph::PaletteMap good;
  std::ostringstream diag;
  ASSERT_TRUE(good.load((kInferno / "palette-map" / "palette.map").string(), &diag));
  EXPECT_EQ(good.bad_lines(), 0u) << diag.str();
  EXPECT_EQ(good.size(), 229u);
  EXPECT_EQ(good.find("GCTaskThread::run"), (flamegraph::Rgb{243, 216, 41}));
  EXPECT_EQ(good.find(""), (flamegraph::Rgb{255, 230, 55}));

  flamegraph::PaletteMap bad;
  ASSERT_TRUE(bad.load((kInferno / "palette-map" / "palette_invalid.map").string(), &diag));
  EXPECT_EQ(bad.bad_lines(), 5u) << diag.str();
  EXPECT_NE(diag.str().find("palette_invalid.map:2: "), std::string::npos);
  EXPECT_EQ(bad.find("JavaCalls::call_helper"), (flamegraph::Rgb{243, 120, 41}));

  flamegraph::PaletteMap big;
  ASSERT_TRUE(big.load((kInferno / "example-perf-stacks" / "palette.map").string(), &diag));
  EXPECT_EQ(big.size(), 532u);
}

TEST(PaletteMap, KeepsColorsAcrossGraphs) {
  fs::path path = fs::temp_directory_path() / ("kiln_palette_" + std::to_string(getpid()) + ".map");
  fs::remove(path);
  flamegraph::PaletteMap first;
  ASSERT_TRUE(first.load(path.string(), nullptr));  // missing file: empty map
  flamegraph::Rgb main_color = first.color("main", flamegraph::Palette::kHot);
  ASSERT_TRUE(first.save(path.string()));
  // A second graph with another palette still colors `main` as the first one did.
  flamegraph::PaletteMap second;
  ASSERT_TRUE(second.load(path.string(), nullptr));
  EXPECT_EQ(second.color("main", flamegraph::Palette::kBlue), main_color);
  EXPECT_NE(second.color("other", flamegraph::Palette::kBlue), main_color);
  fs::remove(path);
}

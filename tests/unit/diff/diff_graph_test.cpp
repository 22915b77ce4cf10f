// The differential flame graph as a user sees it: which frames are drawn, how wide, in which
// color, and what their tooltip says. The SVG is parsed with libxml2.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "folded_counts_diff.h"

namespace kiln::diff {
namespace {

struct DrawnFrame {
  std::string name;
  double width = 0;
  std::string fill;
  std::string tooltip;
};

std::string attribute(xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string text = value ? reinterpret_cast<const char*>(value) : "";
  xmlFree(value);
  return text;
}

xmlNode* find_by_id(xmlNode* node, const std::string& id) {
  for (; node; node = node->next) {
    if (node->type == XML_ELEMENT_NODE && attribute(node, "id") == id) return node;
    if (xmlNode* found = find_by_id(node->children, id)) return found;
  }
  return nullptr;
}

// Frames by name (for names drawn once), read the way kiln's script reads them: `n` indexes the
// names listed in <metadata id="kiln-names">, and the diff's tooltip line is the last field of
// the frame's line in <metadata id="kiln-data"> (the lines of kind 1 are the drawn frames, in
// the order of their elements).
std::map<std::string, DrawnFrame> parse_frames(const std::string& svg) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "diff.svg", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  EXPECT_NE(doc, nullptr) << "the SVG is well-formed XML";
  if (!doc) return {};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNode* names_node = find_by_id(root, "kiln-names");
  xmlNode* frames_node = find_by_id(root, "frames");
  EXPECT_NE(names_node, nullptr);
  EXPECT_NE(frames_node, nullptr);
  if (!names_node || !frames_node) return {};
  xmlChar* content = xmlNodeGetContent(names_node);
  std::vector<std::string> names;
  std::istringstream lines(reinterpret_cast<const char*>(content));
  for (std::string line; std::getline(lines, line);) names.push_back(line);
  xmlFree(content);

  std::vector<std::string> tooltips;  // of the drawn frames, in order
  xmlNode* data_node = find_by_id(root, "kiln-data");
  EXPECT_NE(data_node, nullptr);
  if (!data_node) return {};
  xmlChar* data = xmlNodeGetContent(data_node);
  std::istringstream data_lines(reinterpret_cast<const char*>(data));
  for (std::string line; std::getline(data_lines, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, '\t');) fields.push_back(field);
    if (fields.size() > 5 && fields[5] == "1")
      tooltips.push_back(fields.size() > 6 ? fields[6] : "");
  }
  xmlFree(data);

  std::map<std::string, DrawnFrame> frames;
  std::size_t drawn = 0;
  for (xmlNode* n = frames_node->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE ||
        std::string(reinterpret_cast<const char*>(n->name)) != "rect") {
      continue;
    }
    if (attribute(n, "class") == "narrow") continue;  // the box of frames too narrow to draw
    const std::size_t index = std::stoul(attribute(n, "n"));
    const std::size_t drawn_index = drawn++;
    EXPECT_LT(index, names.size());
    EXPECT_LT(drawn_index, tooltips.size());
    if (index >= names.size() || drawn_index >= tooltips.size()) continue;
    frames[names[index]] = {names[index], std::stod(attribute(n, "width")), attribute(n, "fill"),
                            tooltips[drawn_index]};
  }
  return frames;
}

struct Channels {
  int r, g, b;
};
Channels channels(const std::string& css) {
  EXPECT_EQ(css.size(), 7u) << css;
  return {std::stoi(css.substr(1, 2), nullptr, 16), std::stoi(css.substr(3, 2), nullptr, 16),
          std::stoi(css.substr(5, 2), nullptr, 16)};
}
bool reddish(const std::string& css) {
  const Channels c = channels(css);
  return c.r > c.g + 40 && c.r > c.b + 40;
}
bool bluish(const std::string& css) {
  const Channels c = channels(css);
  return c.b > c.r + 40;
}
bool grey(const std::string& css) {
  const Channels c = channels(css);
  return c.r == c.g && c.g == c.b;
}

const std::map<std::string, double> kBefore = {{"app;main;parse;tokenize", 200},
                                               {"app;main;draw", 500},
                                               {"app;main;compute", 200},
                                               {"app;main;legacy", 100}};
const std::map<std::string, double> kAfter = {{"app;main;parse;tokenize", 400},
                                              {"app;main;draw", 300},
                                              {"app;main;compute", 200},
                                              {"app;main;newcode", 100}};

std::string diff_svg(const DiffGraphOptions& options) {
  std::ostringstream svg;
  const SvgStats stats = write_diff_svg(profile_of(kBefore), profile_of(kAfter), options, svg);
  EXPECT_GT(stats.frames_drawn, 0u);
  return svg.str();
}

TEST(DiffGraph, WidthsFromAfterColorsFromShareChange) {
  const std::string svg = diff_svg({});
  auto frames = parse_frames(svg);
  ASSERT_TRUE(frames.count("tokenize") && frames.count("draw") && frames.count("compute"));
  EXPECT_FALSE(frames.count("legacy")) << "only in BEFORE: no width in AFTER";
  ASSERT_TRUE(frames.count("newcode"));
  // Widths are AFTER's: tokenize 400 of 1000 samples, draw 300.
  EXPECT_NEAR(frames["tokenize"].width / frames["draw"].width, 4.0 / 3, 0.01);
  EXPECT_NEAR(frames["tokenize"].width / frames["main"].width, 0.4, 0.001);
  EXPECT_TRUE(reddish(frames["tokenize"].fill)) << frames["tokenize"].fill;  // 20% -> 40%
  EXPECT_TRUE(reddish(frames["newcode"].fill)) << frames["newcode"].fill;    // 0% -> 10%
  EXPECT_TRUE(bluish(frames["draw"].fill)) << frames["draw"].fill;           // 50% -> 30%
  EXPECT_TRUE(grey(frames["compute"].fill)) << frames["compute"].fill;       // 20% -> 20%
  EXPECT_TRUE(grey(frames["main"].fill)) << frames["main"].fill;
  // Saturation by size: the +20 point frame is deeper red than the +10 point one.
  EXPECT_LT(channels(frames["tokenize"].fill).g, channels(frames["newcode"].fill).g);
  EXPECT_NE(svg.find("Differential Flame Graph"), std::string::npos);
}

TEST(DiffGraph, TooltipGivesWeightsSharesAndChanges) {
  const std::string svg = diff_svg({});
  auto frames = parse_frames(svg);
  EXPECT_EQ(frames["tokenize"].tooltip,
            "before 200 samples (20.00%), self 200 (20.00%); after 400 samples (40.00%), self "
            "400 (40.00%); change: total +20.00 points, self +20.00 points");
  EXPECT_EQ(frames["parse"].tooltip,
            "before 200 samples (20.00%), self 0 (0.00%); after 400 samples (40.00%), self 0 "
            "(0.00%); change: total +20.00 points, self +0.00 points");
  EXPECT_EQ(frames["newcode"].tooltip,
            "before 0 samples (0.00%), self 0 (0.00%); after 100 samples (10.00%), self 100 "
            "(10.00%); change: total +10.00 points, self +10.00 points");
  // Written once, in the data the script reads, not again on the element.
  const std::string tip = "after 400 samples (40.00%), self 400 (40.00%)";
  EXPECT_NE(svg.find(tip), std::string::npos);
  EXPECT_EQ(svg.find(tip, svg.find(tip) + 1), std::string::npos) << svg;
}

TEST(DiffGraph, WidthsFromBeforeShowRemovedCode) {
  DiffGraphOptions options;
  options.widths_from_before = true;
  auto frames = parse_frames(diff_svg(options));
  ASSERT_TRUE(frames.count("legacy"));
  EXPECT_FALSE(frames.count("newcode"));
  EXPECT_TRUE(bluish(frames["legacy"].fill)) << frames["legacy"].fill;
  EXPECT_NEAR(frames["draw"].width / frames["main"].width, 0.5, 0.001);  // BEFORE's 500/1000
  EXPECT_EQ(frames["legacy"].tooltip,
            "before 100 samples (10.00%), self 100 (10.00%); after 0 samples (0.00%), self 0 "
            "(0.00%); change: total -10.00 points, self -10.00 points");
}

TEST(DiffGraph, NoNormalizeColorsRawGrowth) {
  // AFTER recorded twice as long: every raw weight doubled, so every share is unchanged.
  std::map<std::string, double> doubled;
  for (const auto& [stack, count] : kBefore) doubled[stack] = 2 * count;
  std::ostringstream normalized, raw;
  write_diff_svg(profile_of(kBefore), profile_of(doubled), {}, normalized);
  DiffGraphOptions options;
  options.normalize = false;
  write_diff_svg(profile_of(kBefore), profile_of(doubled), options, raw);
  auto same = parse_frames(normalized.str());
  auto grew = parse_frames(raw.str());
  EXPECT_TRUE(grey(same["draw"].fill)) << same["draw"].fill;
  EXPECT_TRUE(reddish(grew["draw"].fill)) << grew["draw"].fill;
  EXPECT_NE(grew["draw"].tooltip.find("after 1000 samples (100.00%)"), std::string::npos)
      << grew["draw"].tooltip;
}

TEST(DiffGraph, FrameTooNarrowToDrawInBeforeStillHasItsBeforeWeight) {
  // rare is 1 sample in 1,000,000 before (far below a pixel) and half of AFTER.
  const std::map<std::string, double> before = {{"app;main;common", 999999}, {"app;main;rare", 1}};
  const std::map<std::string, double> after = {{"app;main;common", 500}, {"app;main;rare", 500}};
  std::ostringstream svg;
  write_diff_svg(profile_of(before), profile_of(after), {}, svg);
  auto frames = parse_frames(svg.str());
  ASSERT_TRUE(frames.count("rare"));
  EXPECT_EQ(frames["rare"].tooltip.substr(0, 30), "before 1 samples (0.00%), self");
}

TEST(DiffGraph, ChildrenTooNarrowToDrawAreNotSelfTime) {
  // dispatch calls 10000 handlers of 0.004% each, too narrow to draw (under 0.1 px), in both
  // profiles; no stack ends in dispatch itself, so its self share is 0 before and after.
  std::map<std::string, double> before = {{"app;main;work", 60000}};
  for (int i = 0; i < 10000; ++i) before["app;dispatch;handler" + std::to_string(i)] = 4;
  std::map<std::string, double> after = before;
  after["app;main;work"] = 30000;
  std::ostringstream svg;
  write_diff_svg(profile_of(before), profile_of(after), {}, svg);
  auto frames = parse_frames(svg.str());
  ASSERT_TRUE(frames.count("dispatch"));
  EXPECT_FALSE(frames.count("handler7"));
  EXPECT_NE(frames["dispatch"].tooltip.find("), self 0 (0.00%); after 40000 samples (57.14%), "
                                            "self 0 (0.00%); change: total +17.14 points, self "
                                            "+0.00 points"),
            std::string::npos)
      << frames["dispatch"].tooltip;
}

}  // namespace
}  // namespace kiln::diff

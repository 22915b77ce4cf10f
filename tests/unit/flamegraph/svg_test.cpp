// The SVG: parsed with libxml2, its frames must be what the folded input implies; names of any
// bytes must keep it valid XML; the same input gives the same bytes.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

const fs::path kInferno = fs::path(KILN_SHARED_TESTDATA) / "inferno" / "flamegraph";

std::string render(const profile::Profile& p, flamegraph::SvgOptions options = {},
                   flamegraph::TreeOptions tree = {}) {
  flamegraph::FrameTree t = flamegraph::FrameTree::build(p, tree);
  std::ostringstream out;
  flamegraph::write_svg(t, options, out);
  return out.str();
}

profile::Profile parse(std::string_view text) {
  profile::Profile p;
  formats::FoldedReader reader(p, nullptr);
  reader.read_text(text);
  return p;
}

// A drawn frame as the SVG describes it.
struct DrawnFrame {
  std::vector<std::string> path;  // names from the first frame under "all"
  double weight, x, width;
  unsigned depth;
  std::string fill, tooltip;
};

struct ParsedSvg {
  std::vector<DrawnFrame> frames;
  std::vector<std::string> names;
  std::map<std::string, std::string> config;
  std::vector<std::vector<std::string>> data;  // #kiln-data lines split at tabs
  std::string title, subtitle;
  bool ok = false;
};

std::string attr(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string s(reinterpret_cast<char*>(v));
  xmlFree(v);
  return s;
}

std::string content(xmlNode* node) {
  xmlChar* v = xmlNodeGetContent(node);
  std::string s(v ? reinterpret_cast<char*>(v) : "");
  xmlFree(v);
  return s;
}

xmlNode* by_id(xmlNode* node, const std::string& id) {
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (attr(node, "id") == id) return node;
    if (xmlNode* found = by_id(node->children, id)) return found;
  }
  return nullptr;
}

// Strict XML parse (no recovery): any escaping mistake fails here.
ParsedSvg parse_svg(const std::string& svg) {
  ParsedSvg out;
  xmlDoc* doc = xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "kiln.svg", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return out;
  xmlNode* root = xmlDocGetRootElement(doc);
  std::string names = content(by_id(root, "kiln-names"));
  for (size_t start = 0;;) {
    size_t nl = names.find('\n', start);
    out.names.push_back(names.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::istringstream data(content(by_id(root, "kiln-data")));
  for (std::string line; std::getline(data, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, '\t');) fields.push_back(field);
    out.data.push_back(fields);
  }
  xmlNode* config = by_id(root, "kiln-config");
  for (xmlAttr* a = config->properties; a; a = a->next) {
    out.config[reinterpret_cast<const char*>(a->name)] =
        attr(config, reinterpret_cast<const char*>(a->name));
  }
  out.title = content(by_id(root, "title"));
  if (xmlNode* sub = by_id(root, "subtitle")) out.subtitle = content(sub);
  double top = std::stod(out.config["top"]);
  double frames_height = std::stod(out.config["framesheight"]);
  double fh = std::stod(out.config["frameheight"]);
  bool icicle = out.config["icicle"] == "1";
  std::vector<std::string> path;
  for (xmlNode* n = by_id(root, "frames")->children; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE ||
        std::string(reinterpret_cast<const char*>(n->name)) != "rect")
      continue;
    if (attr(n, "class") == "narrow") continue;  // the box of frames too narrow to draw
    DrawnFrame f;
    double y = std::stod(attr(n, "y"));
    f.depth = static_cast<unsigned>(
        std::lround(icicle ? (y - top) / fh : (top + frames_height - y) / fh - 1));
    f.weight = std::stod(attr(n, "w"));
    f.x = std::stod(attr(n, "x"));
    f.width = std::stod(attr(n, "width"));
    f.fill = attr(n, "fill");
    f.tooltip = attr(n, "t");
    path.resize(f.depth);
    if (f.depth > 0) path[f.depth - 1] = out.names.at(std::stoul(attr(n, "n")));
    f.path = path;
    out.frames.push_back(f);
  }
  xmlFreeDoc(doc);
  out.ok = true;
  return out;
}

std::vector<std::string> split(const std::string& stack) {
  std::vector<std::string> names;
  size_t start = 0;
  for (size_t semi; (semi = stack.find(';', start)) != std::string::npos; start = semi + 1) {
    names.push_back(stack.substr(start, semi - start));
  }
  names.push_back(stack.substr(start));
  return names;
}

}  // namespace

// Every frame drawn (name, weight, x, width, depth) is what the folded lines imply, computed
// here directly from the text: weight = sum of lines with that prefix; x = weight of the lines
// whose prefix sorts before it.
TEST(SvgStructure, DrawnFramesMatchTheFoldedInput) {
  for (const fs::path& file :
       {kInferno / "base" / "flames.txt",
        fs::path(KILN_SOURCE_DIR) / "samples" / "profiles" / "example.folded"}) {
    std::ifstream in(file);
    std::vector<std::pair<std::vector<std::string>, double>> stacks;
    std::map<std::vector<std::string>, double> prefix_weight;
    double total = 0;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      size_t space = line.rfind(' ');
      double w = std::stod(line.substr(space + 1));
      auto names = split(line.substr(0, space));
      for (size_t d = 1; d <= names.size(); ++d) {
        prefix_weight[std::vector<std::string>(names.begin(), names.begin() + d)] += w;
      }
      stacks.emplace_back(names, w);
      total += w;
    }
    profile::Profile p;
    formats::FoldedReader(p, nullptr).read_file(file.string());
    ParsedSvg svg = parse_svg(render(p, {.min_width_px = 0, .element_min_width_px = 0}));
    ASSERT_TRUE(svg.ok) << file;
    ASSERT_EQ(svg.frames.size(), prefix_weight.size() + 1) << file;  // + the root "all"
    EXPECT_EQ(svg.frames[0].weight, total);
    EXPECT_EQ(svg.frames[0].width, 1180);
    const double scale = 1180 / total;
    for (const DrawnFrame& f : svg.frames) {
      if (f.depth == 0) continue;
      ASSERT_TRUE(prefix_weight.count(f.path)) << f.path.back();
      EXPECT_DOUBLE_EQ(f.weight, prefix_weight[f.path]) << f.path.back();
      double left = 0;
      for (const auto& [names, w] : stacks) {
        size_t depth = std::min(names.size(), f.path.size());
        std::vector<std::string> cut(names.begin(), names.begin() + depth);
        bool ancestor_self_time =
            depth < f.path.size() && std::equal(cut.begin(), cut.end(), f.path.begin());
        if (cut < f.path && !ancestor_self_time) left += w;  // self time is drawn right of children
      }
      EXPECT_NEAR(f.x, 10 + left * scale, 0.006) << f.path.back();
      EXPECT_NEAR(f.width, f.weight * scale, 0.011) << f.path.back();
    }
  }
}

// Hairline frames (>= --minwidth but < 1 px) are not elements, but the script's data has every
// frame: same order, weights and depths as the elements, which are exactly the flagged lines.
// A kernel frame read from folded text is drawn in the kernel's orange in every palette, a user
// frame of the same name in the palette's colors; both are labelled without the annotation.
TEST(SvgStructure, KernelFramesAreColoredByTheirKind) {
  const profile::Profile p = parse("app;main;vfs_read_[k] 3\napp;main;vfs_read 1\n");
  for (flamegraph::Palette palette : {flamegraph::Palette::kHot, flamegraph::Palette::kIo}) {
    flamegraph::SvgOptions options;
    options.palette = palette;
    const std::string svg = render(p, options);
    const ParsedSvg parsed = parse_svg(svg);
    ASSERT_TRUE(parsed.ok);
    std::map<std::string, std::string> fill;  // by leaf name
    for (const DrawnFrame& f : parsed.frames)
      if (f.path.size() == 3) fill[f.path[2]] = f.fill;
    ASSERT_EQ(fill.size(), 2u);
    const std::string& kernel = fill["vfs_read_[k]"];
    ASSERT_EQ(kernel.size(), 7u);
    EXPECT_EQ(kernel.substr(5), "00") << kernel;  // orange: no blue
    EXPECT_GT(std::stoi(kernel.substr(1, 2), nullptr, 16),
              std::stoi(kernel.substr(3, 2), nullptr, 16));
    EXPECT_EQ(kernel, flamegraph::to_css(flamegraph::frame_color("vfs_read_[k]", palette,
                                                                 profile::FrameKind::kKernel)));
    EXPECT_EQ(fill["vfs_read"], flamegraph::to_css(flamegraph::frame_color("vfs_read", palette)));
    EXPECT_NE(fill["vfs_read"], kernel);
    size_t labels = 0;
    for (size_t at = svg.find(">vfs_read</text>"); at != std::string::npos;
         at = svg.find(">vfs_read</text>", at + 1))
      ++labels;
    EXPECT_EQ(labels, 2u);
    EXPECT_EQ(svg.find("vfs_read_[k]</text>"), std::string::npos);
  }
}

TEST(SvgStructure, DataHoldsEveryFrameAndElementsTheWideOnes) {
  std::string text = "main;big 100000\n";
  for (int i = 0; i < 50; ++i) text += "main;small" + std::to_string(i) + " 10\n";  // ~0.12 px
  profile::Profile p = parse(text);
  ParsedSvg svg = parse_svg(render(p));
  ASSERT_TRUE(svg.ok);
  EXPECT_EQ(svg.data.size(), 53u);   // all, main, big, 50 small frames
  EXPECT_EQ(svg.frames.size(), 3u);  // all, main, big
  size_t element = 0;
  for (const auto& fields : svg.data) {
    ASSERT_GE(fields.size(), 6u);
    if (fields[5] != "1") continue;
    ASSERT_LT(element, svg.frames.size());
    EXPECT_EQ(std::stod(fields[2]), svg.frames[element].weight);
    EXPECT_EQ(std::stoul(fields[0]), svg.frames[element].depth);
    ++element;
  }
  EXPECT_EQ(element, 3u);
  EXPECT_EQ(svg.names.at(std::stoul(svg.data.back()[1])), "small9");  // sorted by name
  EXPECT_EQ(svg.data.back()[2], "10");
}

TEST(SvgStructure, IcicleDrawsTheRootAtTheTop) {
  profile::Profile p = parse("main;a 1\nmain;b;c 1\n");
  ParsedSvg flame = parse_svg(render(p));
  ParsedSvg icicle = parse_svg(render(p, {.icicle = true}));
  ASSERT_TRUE(flame.ok && icicle.ok);
  EXPECT_EQ(flame.title, "Flame Graph");
  EXPECT_EQ(icicle.title, "Icicle Graph");
  ASSERT_EQ(icicle.frames.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(icicle.frames[i].path, flame.frames[i].path);
    EXPECT_EQ(icicle.frames[i].depth, flame.frames[i].depth);
  }
  EXPECT_EQ(icicle.frames[4].path, (std::vector<std::string>{"main", "b", "c"}));
}

TEST(SvgStructure, MinWidthPercentPrunes) {
  profile::Profile p = parse("main;big 990\nmain;small 10\n");
  EXPECT_EQ(parse_svg(render(p, {.min_width_percent = 0.5})).frames.size(), 4u);  // 1% stays
  EXPECT_EQ(parse_svg(render(p, {.min_width_percent = 2})).frames.size(), 3u);    // 1% pruned
}

TEST(SvgEscaping, AdversarialNamesKeepTheSvgValid) {
  const std::vector<std::string> names = {"<script>alert(1)</script>",
                                          "]]>",
                                          "a&b",
                                          "\"quoted\" 'single'",
                                          "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC",
                                          "bad\xFFutf8",
                                          "trunc\xC3",
                                          "ctl\x01\x1B[31m",
                                          "over\xC0\xAFlong",
                                          "surr\xED\xA0\x80",
                                          "tab\tname",
                                          "x</metadata><script>alert(2)</script>"};
  profile::Profile p;
  for (size_t i = 0; i < names.size(); ++i) {
    p.add_stack({"root", names[i]}, profile::Weight::from_integer(i + 1));
  }
  std::string svg = render(p, {.title = "<b>&title]]>", .subtitle = "\x01sub"});
  ParsedSvg parsed = parse_svg(svg);
  ASSERT_TRUE(parsed.ok) << "not well-formed XML";
  EXPECT_EQ(parsed.title, "<b>&title]]>");
  EXPECT_EQ(parsed.subtitle, "\xEF\xBF\xBDsub");
  std::vector<std::string> drawn;
  for (const auto& f : parsed.frames) {
    if (f.depth == 2) drawn.push_back(f.path.back());
  }
  auto has = [&](const std::string& n) {
    return std::find(drawn.begin(), drawn.end(), n) != drawn.end();
  };
  const std::string bad = "\xEF\xBF\xBD";
  EXPECT_TRUE(has("<script>alert(1)</script>"));
  EXPECT_TRUE(has("]]>"));
  EXPECT_TRUE(has("\"quoted\" 'single'"));
  EXPECT_TRUE(has("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"));
  EXPECT_TRUE(has("bad" + bad + "utf8"));
  EXPECT_TRUE(has("trunc" + bad));
  EXPECT_TRUE(has("ctl" + bad + bad + "[31m"));
  EXPECT_TRUE(has("over" + bad + bad + "long"));
  EXPECT_TRUE(has("tab" + bad + "name"));
  EXPECT_TRUE(has("x</metadata><script>alert(2)</script>"));
  // Only kiln's own script element and CDATA end exist in the bytes.
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("]]>"), 1u);
  EXPECT_EQ(count("<script"), 1u);
}

TEST(SvgEscaping, XmlEscaper) {
  std::string out;
  flamegraph::append_xml_escaped(out, "<a href=\"x\">&'</a>\x7f\xF0\x9F\x94\xA5\xF4\x90\x80\x80");
  EXPECT_EQ(out,
            "&lt;a "
            "href=&quot;x&quot;&gt;&amp;&#39;&lt;/"
            "a&gt;\x7f\xF0\x9F\x94\xA5\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  out.clear();
  // U+FFFE, a non-character XML forbids: each of its bytes is replaced, as for other invalid
  // sequences.
  flamegraph::append_xml_escaped(out, "nc\xEF\xBF\xBE");
  EXPECT_EQ(out, "nc\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SvgDeterminism, SameInputAndOptionsGiveTheSameBytes) {
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text += "app;mod" + std::to_string(i % 7) + "::run;fn" + std::to_string(i % 23) + "_[k] " +
            std::to_string(i % 11 + 1) + "\n";
  }
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::shuffle(lines.begin(), lines.end(), std::mt19937(7));
  std::string shuffled;
  for (const auto& l : lines) shuffled += l + "\n";
  profile::Profile a = parse(text), b = parse(shuffled);
  std::string svg = render(a);
  EXPECT_EQ(svg, render(a));
  EXPECT_EQ(svg, render(b));
  // Compact: bytes per frame (the embedded script, about 17 KB, is most of it).
  EXPECT_LT(svg.size() / parse_svg(svg).frames.size(), 220u);
}

// The hook `kiln diff` uses: per-frame fill and tooltip line, and a legend.
TEST(SvgStyler, OverridesFillAndAddsTooltipAndLegend) {
  profile::Profile p = parse("main;slow 10\nmain;fast 2\n");
  flamegraph::SvgOptions options;
  options.styler = [](const flamegraph::FrameTree& t, flamegraph::NodeId n,
                      flamegraph::FrameStyle& style) {
    if (t.name(n) == "slow") {
      style.fill = flamegraph::Rgb{255, 0, 0};
      style.tooltip = "before 5 (50.0%) -> after 10 (83.3%), +33.3 pts";
    }
  };
  options.legend = {{flamegraph::Rgb{255, 0, 0}, "more samples after"},
                    {flamegraph::Rgb{0, 0, 255}, "fewer"}};
  std::string svg = render(p, options);
  ParsedSvg parsed = parse_svg(svg);
  ASSERT_TRUE(parsed.ok);
  for (const auto& f : parsed.frames) {
    if (f.depth == 2 && f.path.back() == "slow") {
      EXPECT_EQ(f.fill, "#ff0000");
      EXPECT_EQ(f.tooltip, "before 5 (50.0%) -> after 10 (83.3%), +33.3 pts");
      bool in_data = false;
      for (const auto& fields : parsed.data) {
        in_data |=
            fields.size() == 7 && fields[6] == "before 5 (50.0%) -> after 10 (83.3%), +33.3 pts";
      }
      EXPECT_TRUE(in_data);
    } else {
      EXPECT_EQ(f.tooltip, "");
      EXPECT_NE(f.fill, "#ff0000");
    }
  }
  EXPECT_NE(svg.find(">more samples after</text>"), std::string::npos);
}

// Without tooltip attributes (the differential graph), the tooltip line is only in the data.
TEST(SvgStyler, TooltipOnlyInDataWithoutAttributes) {
  profile::Profile p = parse("main;slow 10\nmain;fast 2\n");
  flamegraph::SvgOptions options;
  options.styler = [](const flamegraph::FrameTree& t, flamegraph::NodeId n,
                      flamegraph::FrameStyle& style) {
    if (t.name(n) == "slow") style.tooltip = "slow grew";
  };
  options.tooltip_attributes = false;
  std::string svg = render(p, options);
  ParsedSvg parsed = parse_svg(svg);
  ASSERT_TRUE(parsed.ok);
  EXPECT_EQ(svg.find(" t=\""), std::string::npos) << svg;
  bool in_data = false;
  for (const auto& fields : parsed.data) in_data |= fields.size() == 7 && fields[6] == "slow grew";
  EXPECT_TRUE(in_data) << svg;
}

TEST(SvgLabels, AnnotationHiddenAndLongNamesTruncated) {
  profile::Profile p = parse(
      "do_syscall_64_[k] 1\nstd::__detail::_Executor<char const*>::_M_dfs_with_a_long_tail 1\n");
  std::string svg = render(p, {.width = 420});
  EXPECT_NE(svg.find(">do_syscall_64</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">do_syscall_64_[k]</text>"), std::string::npos);
  // (200 - 6) px at 7.2 px per character: 26 characters, the last two "..".
  EXPECT_NE(svg.find(">std::__detail::_Executor..</text>"), std::string::npos) << svg;
}

// A centered subtitle wider than the image (kiln diff puts both file paths in it) was cut off
// at both ends; it must be squeezed into the width between the side margins instead.
TEST(SvgLabels, LongSubtitleIsFittedToTheWidth) {
  profile::Profile p;
  p.add_stack({"main", "f"}, profile::Weight::from_integer(1));
  std::string long_subtitle(300, 'x');
  std::string svg = render(p, {.subtitle = long_subtitle, .width = 600});
  xmlDoc* doc = xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "kiln.svg", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  ASSERT_NE(doc, nullptr);
  xmlNode* sub = by_id(xmlDocGetRootElement(doc), "subtitle");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(content(sub), long_subtitle);
  std::string length = attr(sub, "textLength");
  xmlFreeDoc(doc);
  ASSERT_FALSE(length.empty()) << "a 300-character subtitle overflows 600 px";
  EXPECT_LE(std::stod(length), 580.0);

  std::string short_svg = render(p, {.subtitle = "fits", .width = 600});
  EXPECT_EQ(short_svg.find("textLength"), std::string::npos);
}

// 16/21 in main;wide, 5/21 over 5,000 callers of memcpy too narrow to draw (0.06 px): memcpy's
// narrow weight is in the search summary once, and main's narrow children are one box right
// of wide, not main's self time; the same whether the tree or the layout leaves them out (10,000
// frames left out: more than the summary keeps before it adds up those of a name).
TEST(SvgNarrowFrames, SummaryPerNameAndOneBoxRightOfTheDrawnChildren) {
  std::string text = "main;wide 80000\n";
  for (int i = 0; i < 5000; ++i) text += "main;caller" + std::to_string(i) + ";memcpy 5\n";
  profile::Profile p = parse(text);
  flamegraph::TreeOptions pruning;
  pruning.min_fraction = flamegraph::min_drawn_fraction({});
  for (const std::string& svg : {render(p), render(p, {}, pruning)}) {
    EXPECT_NE(svg.find("<metadata id=\"kiln-narrow\" total=\"25000\" rest=\"0\" "
                       "restnames=\"0\">25000\tmemcpy\n5\tcaller0\n5\tcaller1\n"),
              std::string::npos);
    ParsedSvg parsed = parse_svg(svg);
    ASSERT_TRUE(parsed.ok);
    // The narrow box: depth 2, 5,000 frames, weight 25000 right of wide (offset 80000), kind 3.
    EXPECT_NE(std::find(parsed.data.begin(), parsed.data.end(),
                        std::vector<std::string>{"2", "5000", "25000", "80000", "bcbcbc", "3"}),
              parsed.data.end());
    EXPECT_NE(svg.find(">[5,000 narrow frames]</text>"), std::string::npos);
  }
}

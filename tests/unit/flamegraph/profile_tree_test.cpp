// Profile merge, FoldedWriter output and the frame tree (merged, flame chart, reversed).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln;

namespace {

profile::Profile parse(std::string_view text) {
  profile::Profile p;
  formats::FoldedReader reader(p, nullptr);
  reader.read_text(text);
  EXPECT_EQ(reader.bad_lines(), 0u);
  return p;
}

std::string write(const profile::Profile& p, bool metadata = false) {
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = metadata}.write(p, out);
  return out.str();
}

// "name(weight)[children...]" of a subtree, to compare whole trees at once.
std::string shape(const flamegraph::FrameTree& t, flamegraph::NodeId n) {
  std::string s = std::string(t.name(n)) + "(" + t.weight(n).to_string() + ")";
  if (t.first_child(n) == flamegraph::kNoNode) return s;
  s += "[";
  for (flamegraph::NodeId c = t.first_child(n); c != flamegraph::kNoNode; c = t.next_sibling(c)) {
    if (c != t.first_child(n)) s += " ";
    s += shape(t, c);
  }
  return s + "]";
}

}  // namespace

TEST(FoldedWriter, MergesDuplicatesAndSortsByFrameNames) {
  profile::Profile p = parse("b;x 1\na;y 2\nb;x 3\na 1\na;y;z 0.5\n");
  EXPECT_EQ(write(p), "a 1\na;y 2\na;y;z 0.5\nb;x 4\n");
}

TEST(FoldedWriter, SameBytesWhateverTheInputOrder) {
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i) {
    lines.push_back("app;f" + std::to_string(i % 17) + ";g" + std::to_string(i % 5) + " " +
                    std::to_string(i + 1));
  }
  std::string sorted_text, shuffled_text;
  for (const auto& l : lines) sorted_text += l + "\n";
  std::shuffle(lines.begin(), lines.end(), std::mt19937(42));
  for (const auto& l : lines) shuffled_text += l + "\n";
  EXPECT_EQ(write(parse(sorted_text)), write(parse(shuffled_text)));
}

TEST(FoldedWriter, MetadataRoundTrips) {
  profile::Profile p;
  p.metadata.measured = "off-cpu";
  p.metadata.count_name = "us";
  p.metadata.frequency_hz = 99;
  p.metadata.duration_s = 12.5;
  p.metadata.lost_samples = 3;
  p.add_stack({"app", "main", "read_[k]"}, profile::Weight::from_integer(1500));
  std::string text = write(p, true);
  EXPECT_EQ(text,
            "# measured: off-cpu\n# countname: us\n# frequency: 99 Hz\n# duration: 12.5 s\n"
            "# lost: 3 samples\napp;main;read_[k] 1500\n");
  profile::Profile back = parse(text);
  EXPECT_EQ(back.metadata.measured, "off-cpu");
  EXPECT_EQ(back.metadata.count_name, "us");
  EXPECT_EQ(back.metadata.frequency_hz, 99);
  EXPECT_EQ(back.metadata.duration_s, 12.5);
  EXPECT_EQ(back.metadata.lost_samples, 3u);
  EXPECT_EQ(write(back, true), text);
}

TEST(Profile, StacksFromStringsViewsAndIdsAreTheSame) {
  profile::Profile p;
  std::vector<std::string> owned = {"app", "main", "read_[k]"};
  p.add_stack(owned, profile::Weight::from_integer(2));
  p.add_stack({"app", "main", "read_[k]"}, profile::Weight::from_integer(3));
  std::vector<profile::FrameId> ids(p.frames(0).begin(), p.frames(0).end());
  p.add_stack(ids, profile::Weight::from_integer(5));
  EXPECT_EQ(p.name_count(), 3u);
  EXPECT_EQ(write(p), "app;main;read_[k] 10\n");
  EXPECT_EQ(p.find("main"), ids[1]);
  EXPECT_FALSE(p.find("absent"));
}

TEST(Profile, AppendReinternsNames) {
  profile::Profile a = parse("x;y 1\n");
  profile::Profile b = parse("q;x 2\nx;y 3\n");
  a.append(b);
  EXPECT_EQ(a.name_count(), 3u);
  EXPECT_EQ(write(a), "q;x 2\nx;y 4\n");
}

// flamegraph.pl draws `foo` twice under main for this input; kiln draws it once.
TEST(FrameTree, SameFrameOnceWhateverTheInputOrder) {
  profile::Profile p = parse("main;foo 1\nmain;foo.isra.0;x 1\nmain;foo;y 1\n");
  flamegraph::FrameTree t = flamegraph::FrameTree::build(p);
  EXPECT_EQ(shape(t, t.root()), "all(3)[main(3)[foo(2)[y(1)] foo.isra.0(1)[x(1)]]]");
  flamegraph::NodeId foo = t.find_child(t.find_child(0, "main"), "foo");
  EXPECT_EQ(t.self_weight(foo).to_string(), "1");
  EXPECT_EQ(t.path(foo), (std::vector<std::string_view>{"main", "foo"}));
  EXPECT_EQ(t.depth(foo), 2u);
  EXPECT_EQ(t.max_depth(), 3u);
}

TEST(FrameTree, FlameChartKeepsTimeOrderAndMergesOnlyAdjacentFrames) {
  profile::Profile p = parse("a;b 1\na;c 1\na;b 1\nz 2\na;b 1\n");
  flamegraph::FrameTree t = flamegraph::FrameTree::build(p, {.flame_chart = true});
  EXPECT_EQ(shape(t, t.root()), "all(6)[a(3)[b(1) c(1) b(1)] z(2) a(1)[b(1)]]");
}

TEST(FrameTree, ReverseMakesLeavesRoots) {
  profile::Profile p = parse("a;b;c 2\nx;b;c 1\ny;d 4\n");
  flamegraph::FrameTree t = flamegraph::FrameTree::build(p, {.reverse = true});
  EXPECT_EQ(shape(t, t.root()), "all(7)[c(3)[b(3)[a(2) x(1)]] d(4)[y(4)]]");
}

TEST(FrameTree, SortByWeightPutsHeaviestSiblingFirst) {
  profile::Profile p = parse("m;a 1\nm;b 5\nm;c 3\nm;c;k 1\nm;c;j 2\n");
  flamegraph::FrameTree by_name = flamegraph::FrameTree::build(p);
  EXPECT_EQ(shape(by_name, 0), "all(12)[m(12)[a(1) b(5) c(6)[j(2) k(1)]]]");
  flamegraph::FrameTree t =
      flamegraph::FrameTree::build(p, {.order = flamegraph::SiblingOrder::kWeight});
  EXPECT_EQ(shape(t, 0), "all(12)[m(12)[c(6)[j(2) k(1)] b(5) a(1)]]");
  // Preorder invariants survive the reordering.
  for (flamegraph::NodeId n = 1; n < t.size(); ++n) {
    EXPECT_LT(t.parent(n), n);
    EXPECT_LE(t.subtree_end(n), t.subtree_end(t.parent(n)));
  }
}

TEST(Weight, ParseAndFormat) {
  EXPECT_EQ(profile::Weight::parse("42")->to_string(), "42");
  EXPECT_EQ(profile::Weight::parse("6.")->to_string(), "6");
  EXPECT_EQ(profile::Weight::parse(".5")->to_string(), "0.5");
  EXPECT_EQ(profile::Weight::parse("0.000000001")->to_string(), "0.000000001");
  EXPECT_FALSE(profile::Weight::parse(""));
  EXPECT_FALSE(profile::Weight::parse("."));
  EXPECT_FALSE(profile::Weight::parse("-1"));
  EXPECT_FALSE(profile::Weight::parse("1e3"));
  EXPECT_FALSE(profile::Weight::parse("1000000000000000000000000000000"));
  EXPECT_EQ((*profile::Weight::parse("0.1") + *profile::Weight::parse("0.2")).to_string(), "0.3");
}

// Light frames are dropped while the tree is built (a huge profile never holds the frames too
// narrow to draw), but their weight stays in their ancestors.
TEST(FrameTree, MinFractionDropsLightFramesButKeepsTheirWeight) {
  profile::Profile p =
      parse("m;heavy;leaf 96\nm;light;deep;deeper 1\nm;light2 1\nm;heavy;tiny 2\n");
  flamegraph::FrameTree t = flamegraph::FrameTree::build(p, {.min_fraction = 0.015});
  EXPECT_EQ(shape(t, 0), "all(100)[m(100)[heavy(98)[leaf(96) tiny(2)]]]");
  // light and light2 stay in m's width (100 = heavy's 98 + 2), not in its self weight: no stack
  // ends at m. heavy's self is 0 too.
  EXPECT_EQ(t.self_weight(t.find_child(0, "m")).to_string(), "0");
  EXPECT_EQ(t.self_weight(t.find_child(t.find_child(0, "m"), "heavy")).to_string(), "0");
  flamegraph::FrameTree flame_chart =
      flamegraph::FrameTree::build(p, {.flame_chart = true, .min_fraction = 0.015});
  EXPECT_EQ(shape(flame_chart, 0), "all(100)[m(100)[heavy(96)[leaf(96)] heavy(2)[tiny(2)]]]");
}

TEST(Profile, NameRanksAreByteOrder) {
  // Long shared prefixes, prefixes of other names, zero and high bytes, an empty name.
  std::vector<std::string> names = {"Lorg/apache/kafka/clients/Consumer::poll",
                                    "Lorg/apache/kafka/clients/Consumer::poll_[j]",
                                    "Lorg/apache/kafka/clients/Consumer",
                                    "Lorg/apache/kafka/clients/Consumer::pol",
                                    std::string("ab\0c", 4),
                                    std::string("ab\0", 3),
                                    "ab",
                                    "\xff\xfe",
                                    "",
                                    "tokio::runtime::task::Harness<T,S>::poll::h0123456789abcdef",
                                    "tokio::runtime::task::Harness<T,S>::poll::h0123456789abcdee"};
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string name = "ns::Class" + std::to_string(random() % 500) + "::method";
    names.push_back(name + std::string(random() % 20, static_cast<char>('a' + random() % 3)));
  }
  profile::Profile p;
  for (const std::string& n : names) p.intern(n);
  std::vector<uint32_t> rank = p.name_ranks();
  std::vector<profile::FrameId> by_rank(rank.size());
  for (profile::FrameId id = 0; id < rank.size(); ++id) by_rank.at(rank[id]) = id;
  for (size_t r = 1; r < by_rank.size(); ++r) {
    EXPECT_LT(p.name(by_rank[r - 1]), p.name(by_rank[r])) << "at rank " << r;
  }
}

TEST(FrameTree, UnsortedInputGivesTheTreeOfSortedInput) {
  const char* sorted = "a;b;c 1\na;b;d 2\na;c 3\nb;a 4\nb;a;x 5\n";
  const char* shuffled = "b;a;x 5\na;c 3\na;b;d 2\nb;a 4\na;b;c 1\n";
  profile::Profile p1 = parse(sorted), p2 = parse(shuffled);
  flamegraph::FrameTree t1 = flamegraph::FrameTree::build(p1),
                        t2 = flamegraph::FrameTree::build(p2);
  EXPECT_EQ(shape(t1, t1.root()), shape(t2, t2.root()));
  EXPECT_EQ(shape(t1, t1.root()), "all(15)[a(6)[b(3)[c(1) d(2)] c(3)] b(9)[a(9)[x(5)]]]");
}

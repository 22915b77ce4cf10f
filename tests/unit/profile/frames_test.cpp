// Interned frames: a frame is its folded name (name and annotation); its kind comes from the
// annotation of folded text or from the structured frame, and a structured frame's location is
// kept.
#include <gtest/gtest.h>

#include "profile/profile.h"

using namespace kiln::profile;

TEST(Frames, FoldedNamesAreReadIntoKinds) {
  Profile p;
  struct Case {
    std::string_view text, label;
    FrameKind kind;
  };
  for (const Case& c : {
           Case{"vfs_read_[k]", "vfs_read", FrameKind::kKernel},
           Case{"Interpreter_[j]", "Interpreter", FrameKind::kJit},
           Case{"hash_[i]", "hash", FrameKind::kInlined},
           Case{"sleep_[w]", "sleep", FrameKind::kWakeup},
           Case{"main", "main", FrameKind::kUser},
           Case{"array_[x]", "array_[x]", FrameKind::kUser},
           Case{"[unknown]", "[unknown]", FrameKind::kUnknown},
           Case{"[libfoo.so]", "[libfoo.so]", FrameKind::kUnknown},
           Case{"[python3.11]+0x1b3f20", "[python3.11]+0x1b3f20", FrameKind::kUnknown},
           Case{"[kernel]_[k]", "[kernel]", FrameKind::kKernel},
           Case{"[perf-42.map]_[j]", "[perf-42.map]", FrameKind::kJit},
           // Frames kiln adds itself are not code without a symbol.
           Case{"[truncated]", "[truncated]", FrameKind::kUser},
           Case{"[off-cpu: S]", "[off-cpu: S]", FrameKind::kUser},
           Case{"[runnable]", "[runnable]", FrameKind::kUser},
           Case{"[x]+0xzz", "[x]+0xzz", FrameKind::kUser},
       }) {
    const FrameId id = p.intern(c.text);
    EXPECT_EQ(p.name(id), c.text);
    EXPECT_EQ(p.label(id), c.label) << c.text;
    EXPECT_EQ(p.kind(id), c.kind) << c.text;
    EXPECT_EQ(p.frame(id).name, c.label) << c.text;
    EXPECT_EQ(p.frame(id).module, "") << c.text;  // folded text has no location
  }
}

TEST(Frames, AStructuredFrameIsTheFrameOfItsFoldedName) {
  Profile p;
  const FrameId kernel = p.intern(Frame{.name = "vfs_read", .kind = FrameKind::kKernel});
  EXPECT_EQ(p.name(kernel), "vfs_read_[k]");
  EXPECT_EQ(p.intern("vfs_read_[k]"), kernel);
  EXPECT_EQ(p.find("vfs_read_[k]"), kernel);
  // The same name as another kind is another frame (the graph draws them apart).
  const FrameId user = p.intern(Frame{.name = "vfs_read"});
  EXPECT_NE(user, kernel);
  EXPECT_EQ(p.name(user), "vfs_read");
  EXPECT_EQ(p.kind(user), FrameKind::kUser);
  const FrameId unknown = p.intern(Frame{.name = "[unknown]", .kind = FrameKind::kUnknown});
  EXPECT_EQ(p.name(unknown), "[unknown]");
  EXPECT_EQ(p.intern("[unknown]"), unknown);
}

TEST(Frames, TheFirstOccurrencesLocationIsKept) {
  Profile p;
  const FrameId id = p.intern(Frame{.name = "parse",
                                    .module = "libfoo.so.1",
                                    .file = "/src/parse.c",
                                    .line = 42,
                                    .address = 0x7f0000001234});
  EXPECT_EQ(p.intern(Frame{.name = "parse", .module = "other.so", .line = 7}), id);
  EXPECT_EQ(p.intern("parse"), id);
  const Frame f = p.frame(id);
  EXPECT_EQ(f.name, "parse");
  EXPECT_EQ(f.kind, FrameKind::kUser);
  EXPECT_EQ(f.module, "libfoo.so.1");
  EXPECT_EQ(f.file, "/src/parse.c");
  EXPECT_EQ(f.line, 42u);
  EXPECT_EQ(f.address, 0x7f0000001234u);
  // A frame interned after it without a location has none.
  EXPECT_EQ(p.frame(p.intern("main")).module, "");
}

TEST(Frames, KindsAndLocationsSurviveAppendAndMerge) {
  Profile p;
  const FrameId parse = p.intern(Frame{.name = "parse", .module = "libfoo.so.1", .line = 3});
  const FrameId read = p.intern(Frame{.name = "vfs_read", .kind = FrameKind::kKernel});
  const FrameId stack[] = {parse, read};
  p.add_stack(stack, Weight::from_integer(2));
  p.add_stack(stack, Weight::from_integer(3));

  Profile copy;
  copy.add_stack({"main"}, Weight::from_integer(1));
  copy.append(p);
  const Profile merged = copy.merged();
  for (const Profile* q : {static_cast<const Profile*>(&copy), &merged}) {
    const std::optional<FrameId> kernel = q->find("vfs_read_[k]");
    ASSERT_TRUE(kernel.has_value());
    EXPECT_EQ(q->kind(*kernel), FrameKind::kKernel);
    EXPECT_EQ(q->label(*kernel), "vfs_read");
    const std::optional<FrameId> user = q->find("parse");
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(q->frame(*user).module, "libfoo.so.1");
    EXPECT_EQ(q->frame(*user).line, 3u);
  }
  ASSERT_EQ(merged.stack_count(), 2u);
  EXPECT_EQ(merged.weight(1), Weight::from_integer(5));
}

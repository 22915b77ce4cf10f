// What a Profile gives back once it has been read (drop_name_index) and drawn from
// (clear_stacks): names, kinds and ids stay as they were.
#include <gtest/gtest.h>

#include <string>

#include "profile/profile.h"

using namespace kiln::profile;

TEST(Release, InterningAfterTheIndexIsDroppedFindsTheSameIds) {
  Profile p;
  std::vector<FrameId> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(p.intern("frame" + std::to_string(i) + "_[k]"));
  p.drop_name_index();
  EXPECT_EQ(p.find("frame4321_[k]"), ids[4321]);
  EXPECT_FALSE(p.find("frame5000").has_value());
  p.drop_name_index();
  EXPECT_EQ(p.intern("frame17_[k]"), ids[17]);
  EXPECT_EQ(p.intern("new_frame"), 5000u);
  std::vector<std::string_view> names = {"frame0_[k]", "frame4999_[k]", "another"};
  std::vector<FrameId> found;
  p.drop_name_index();
  p.intern_all(names, found);
  EXPECT_EQ(found, (std::vector<FrameId>{ids[0], ids[4999], 5001u}));
  EXPECT_EQ(p.name_count(), 5002u);
  EXPECT_EQ(p.kind(ids[9]), FrameKind::kKernel);
}

TEST(Release, ClearedStacksLeaveTheNamesReadable) {
  Profile p;
  p.metadata.count_name = "us";
  const size_t blocks = p.add_column("blocks", "count");
  p.add_stack({"app", "main", "read_[k]"}, Weight::from_integer(10));
  p.set_value(blocks, 0, Weight::from_integer(3));
  const FrameId read = *p.find("read_[k]");
  const std::string_view name = p.name(read);
  p.clear_stacks();
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.stack_count(), 0u);
  EXPECT_TRUE(p.total().is_zero());
  EXPECT_EQ(p.value(blocks, 0), Weight{});
  EXPECT_EQ(name, "read_[k]");  // a view taken before still holds the name
  EXPECT_EQ(p.label(read), "read");
  EXPECT_EQ(p.metadata.count_name, "us");
  p.add_stack({"app", "write_[k]"}, Weight::from_integer(4));
  EXPECT_EQ(p.frames(0)[0], *p.find("app"));
  EXPECT_EQ(p.total(), Weight::from_integer(4));
}

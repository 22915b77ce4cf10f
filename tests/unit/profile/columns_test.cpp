// Named value columns: the numbers a Profile keeps per stack besides its weight (the BEFORE
// column of differential input, the blocks of an off-CPU recording), carried by append() and
// added up by merged() like the weights.
#include <gtest/gtest.h>

#include "profile/profile.h"

using namespace kiln::profile;

namespace {

Weight w(uint64_t value) {
  return Weight::from_integer(value);
}

}  // namespace

TEST(Columns, StacksGivenNoValueHoldZero) {
  Profile p;
  p.add_stack({"app", "read"}, w(10));
  const size_t blocks = p.add_column("blocks", "count");
  p.add_stack({"app", "write"}, w(20));
  p.set_value(blocks, 1, w(4));
  p.add_stack({"app", "sleep"}, w(30));
  EXPECT_EQ(p.add_column("blocks", "other"), blocks);  // one column per name
  EXPECT_EQ(p.column(blocks).unit, "count");
  EXPECT_EQ(p.find_column("blocks"), blocks);
  EXPECT_FALSE(p.find_column(kBeforeColumn).has_value());
  EXPECT_EQ(p.value(blocks, 0), Weight{});
  EXPECT_EQ(p.value(blocks, 1), w(4));
  EXPECT_EQ(p.value(blocks, 2), Weight{});
  EXPECT_EQ(p.total(), w(60));  // the weights alone
}

TEST(Columns, MergedAddsTheBlocksOfIdenticalStacks) {
  Profile p;
  p.metadata.count_name = "us";
  const size_t blocks = p.add_column("blocks", "count");
  p.add_stack({"sleeper", "nanosleep_[k]"}, w(2000));
  p.set_value(blocks, 0, w(200));
  p.add_stack({"reader", "read"}, w(1500));
  p.set_value(blocks, 1, w(300));
  p.add_stack({"sleeper", "nanosleep_[k]"}, w(1000));
  p.set_value(blocks, 2, w(100));
  p.add_stack({"reader", "poll"}, w(5));  // no blocks given

  const Profile merged = p.merged();
  ASSERT_EQ(merged.stack_count(), 3u);
  const std::optional<size_t> column = merged.find_column("blocks");
  ASSERT_TRUE(column.has_value());
  EXPECT_EQ(merged.column(*column).unit, "count");
  // Sorted by names: reader;poll, reader;read, sleeper;nanosleep_[k].
  EXPECT_EQ(merged.name(merged.frames(0).back()), "poll");
  EXPECT_EQ(merged.value(*column, 0), Weight{});
  EXPECT_EQ(merged.value(*column, 1), w(300));
  EXPECT_EQ(merged.name(merged.frames(2).front()), "sleeper");
  EXPECT_EQ(merged.weight(2), w(3000));
  EXPECT_EQ(merged.value(*column, 2), w(300));
}

TEST(Columns, AppendCarriesColumnsByName) {
  Profile first;
  first.add_stack({"a"}, w(1));
  const size_t before = first.add_column(kBeforeColumn, "samples");
  first.set_value(before, 0, w(5));

  Profile second;
  second.add_stack({"b"}, w(2));
  second.add_stack({"a"}, w(3));
  second.set_value(second.add_column("blocks", "count"), 0, w(7));
  second.set_value(second.add_column(kBeforeColumn, "samples"), 1, w(6));

  first.append(second);
  ASSERT_EQ(first.stack_count(), 3u);
  ASSERT_EQ(first.column_count(), 2u);
  const size_t blocks = *first.find_column("blocks");
  EXPECT_EQ(first.value(before, 0), w(5));
  EXPECT_EQ(first.value(before, 1), Weight{});
  EXPECT_EQ(first.value(before, 2), w(6));
  EXPECT_EQ(first.value(blocks, 0), Weight{});
  EXPECT_EQ(first.value(blocks, 1), w(7));
  EXPECT_EQ(first.value(blocks, 2), Weight{});

  const Profile merged = first.merged();  // a: weights 1 + 3, before 5 + 6
  EXPECT_EQ(merged.weight(0), w(4));
  EXPECT_EQ(merged.value(*merged.find_column(kBeforeColumn), 0), w(11));
}

TEST(Columns, AProfileWithoutColumnsGetsNoneFromMerging) {
  Profile p;
  p.add_stack({"a", "b"}, w(1));
  p.add_stack({"a", "b"}, w(2));
  EXPECT_EQ(p.merged().column_count(), 0u);
}

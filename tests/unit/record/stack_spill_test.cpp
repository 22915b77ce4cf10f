// Stacks set aside on disk while recording (StackSpill), and the stacks of exited processes
// that go there (ExitedStacks): what comes back at the end is what went in.
#include "record/stack_spill.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "formats/formats.h"
#include "record/exited_stacks.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/record/known_frames.h"

namespace kiln::record {
namespace {

using profile::Frame;
using profile::FrameKind;
using profile::Profile;
using profile::Weight;

std::string folded(const Profile& profile) {
  std::ostringstream out;
  formats::FoldedWriter{false}.write(profile, out);
  return out.str();
}

TEST(StackSpill, ProfilesComeBackWithFramesLocationsWeightsAndColumns) {
  Profile first;
  const profile::FrameId main = first.intern(Frame{
      .name = "main", .module = "app", .file = "/src/app.c", .line = 12, .address = 0x401000});
  const profile::FrameId read = first.intern(Frame{.name = "vfs_read", .kind = FrameKind::kKernel});
  const profile::FrameId inlined = first.intern(Frame{.name = "step", .kind = FrameKind::kInlined});
  const profile::FrameId unnamed = first.intern("[python3.11]+0x1b3f20");
  const size_t blocks = first.add_column("blocks", "count");
  first.add_stack(std::vector<profile::FrameId>{main, inlined, read}, *Weight::parse("2.5"));
  first.set_value(blocks, 0, Weight::from_integer(3));
  first.add_stack(std::vector<profile::FrameId>{main, unnamed}, Weight::from_integer(7));
  Profile second;
  second.add_stack({"other", "main", "write_[k]"}, Weight::from_integer(1));

  StackSpill spill;
  ASSERT_TRUE(spill.write(first)) << spill.error();
  ASSERT_TRUE(spill.write(second)) << spill.error();
  EXPECT_EQ(spill.stacks(), 3u);
  EXPECT_GT(spill.bytes(), 0u);

  Profile back;
  back.add_stack({"already", "there"}, Weight::from_integer(4));
  int profiles = 0;
  ASSERT_TRUE(spill.read_each([&](const Profile& part) {
    back.append(part);
    ++profiles;
  })) << spill.error();
  EXPECT_EQ(profiles, 2);
  EXPECT_EQ(folded(back),
            "already;there 4\n"
            "main;[python3.11]+0x1b3f20 7\n"
            "main;step_[i];vfs_read_[k] 2.5\n"
            "other;main;write_[k] 1\n");
  const Frame again = back.frame(*back.find("main"));
  EXPECT_EQ(again.module, "app");
  EXPECT_EQ(again.file, "/src/app.c");
  EXPECT_EQ(again.line, 12u);
  EXPECT_EQ(again.address, 0x401000u);
  EXPECT_EQ(back.kind(*back.find("[python3.11]+0x1b3f20")), FrameKind::kUnknown);
  const auto column = back.find_column("blocks");
  ASSERT_TRUE(column.has_value());
  EXPECT_EQ(back.column(*column).unit, "count");
  EXPECT_EQ(back.value(*column, 1), Weight::from_integer(3));
  EXPECT_EQ(back.value(*column, 2), Weight{});
}

TEST(StackSpill, NothingWrittenReadsAsNothing) {
  StackSpill spill;
  int profiles = 0;
  EXPECT_TRUE(spill.read_each([&](const Profile&) { ++profiles; }));
  EXPECT_EQ(profiles, 0);
  EXPECT_EQ(spill.stacks(), 0u);
}

// 6,000 processes of 3,000 programs (two each: their stacks merge) handed over with a small
// spill threshold: most of their stacks go to disk while "recording", and the profile at the
// end has every one of them with all of the weight, merged although the two stacks of a program
// were set aside in different profiles.
TEST(ExitedStacks, StacksSetAsideOnDiskAreAllInTheProfileAtTheEnd) {
  symbolizer::Symbolizer symbolizer;
  ExitedStacks exited(symbolizer, {}, /*spill_frames=*/1000);
  const uint32_t self = static_cast<uint32_t>(getpid());
  const uint64_t leaf = reinterpret_cast<uint64_t>(&kiln_test_callee) + 1;
  uint64_t weight = 0;
  for (int round = 0; round < 2; ++round) {
    RawProfile raw;
    for (int program = 0; program < 3000; ++program) {
      RawStack& stack = raw.stacks.emplace_back();
      stack.tgid = stack.pid = self;
      stack.comm = "program" + std::to_string(program);
      stack.user = {leaf, kiln_test_caller()};
      stack.weight = static_cast<uint64_t>(program % 7 + 1);
      weight += stack.weight;
    }
    int parts = 0;
    exited.add(
        std::move(raw), [](uint32_t) { return 0u; }, [&parts] { ++parts; });
    EXPECT_EQ(parts, 6);  // 500 stacks a part
  }
  EXPECT_GT(exited.spill().stacks(), 0u) << "nothing was set aside";
  EXPECT_EQ(exited.raw_weight(), weight);

  Profile merged;
  merged.add_stack({"program0", "kiln_test_caller", "kiln_test_callee"}, Weight::from_integer(5));
  ASSERT_TRUE(exited.append_to(merged)) << exited.spill().error();
  weight += 5;
  EXPECT_EQ(merged.total(), Weight::from_integer(weight));
  ASSERT_EQ(merged.stack_count(), 3000u);
  for (size_t stack = 0; stack < merged.stack_count(); ++stack) {
    const auto frames = merged.frames(stack);
    ASSERT_EQ(frames.size(), 3u);
    const int program = std::stoi(std::string(merged.name(frames[0]).substr(7)));
    EXPECT_EQ(merged.name(frames[1]), "kiln_test_caller");
    EXPECT_EQ(merged.name(frames[2]), "kiln_test_callee");
    EXPECT_EQ(
        merged.weight(stack),
        Weight::from_integer(2 * static_cast<uint64_t>(program % 7 + 1) + (program == 0 ? 5 : 0)));
  }
}

// A process's stacks taken while it runs (every minute), then at its exit, then one that is
// still running at the end: each thread is counted once, and its weight is all there, merged.
TEST(ExitedStacks, AProcessAddedWhileItRunsAndAtItsExitCountsItsThreadsOnce) {
  symbolizer::Symbolizer symbolizer;
  ExitedStacks exited(symbolizer, {});
  const uint64_t leaf = reinterpret_cast<uint64_t>(&kiln_test_callee) + 1;
  const auto stacks_of = [&](uint32_t tgid, std::vector<uint32_t> tids, uint64_t weight) {
    RawProfile raw;
    for (const uint32_t tid : tids) {
      RawStack& stack = raw.stacks.emplace_back();
      stack.tgid = tgid;
      stack.pid = tid;
      stack.comm = "worker";
      stack.user = {leaf, kiln_test_caller()};
      stack.weight = weight;
    }
    return raw;
  };
  const auto no_parent = [](uint32_t) { return 0u; };
  const auto nothing = [] {};
  exited.add(stacks_of(100, {100, 101}, 3), no_parent, nothing);  // running, a minute in
  exited.add(stacks_of(200, {200}, 1), no_parent, nothing);
  exited.add(stacks_of(100, {101, 102}, 2), no_parent, nothing);  // at its exit
  exited.handed_over({100}, 0);
  // Process 200 still runs at the end: its thread counted at the end too is the same thread.
  const RawProfile rest = stacks_of(200, {200, 201}, 5);
  EXPECT_EQ(exited.threads(rest), 5u);  // 100, 101, 102; 200, 201

  Profile profile;
  ASSERT_TRUE(exited.append_to(profile));
  ASSERT_EQ(profile.stack_count(), 1u) << "the same frames, from several takings, merged";
  EXPECT_EQ(profile.total(), Weight::from_integer(3 + 3 + 1 + 2 + 2));
}

}  // namespace
}  // namespace kiln::record

// What `kiln record --off-cpu` tells the user about a recording, without BPF: the SVG's title,
// subtitle and colors, and the stderr summary's totals, S/D split, notes and top blocking stacks
// with their blocks.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "record/record.h"

namespace kiln::record {
namespace {

OffCpuRecording two_threads() {
  OffCpuRecording result;
  result.recording.seconds = 2.0;
  result.recording.counters.samples = 300;
  result.recording.counters.lost_stack_map_full = 3;
  result.offcpu.below_min = 7;
  result.offcpu.blocked_at_start = 1;
  result.offcpu.uninterruptible_ns = 500'000'000;
  result.threads = 2;
  result.blocked_ns = 3'500'000'000;
  return result;
}

profile::Profile blocked_profile() {
  profile::Profile profile;
  profile.add_stack({"sleeper", "main", "clock_nanosleep", "hrtimer_nanosleep_[k]",
                     "do_nanosleep_[k]", "schedule_[k]", "__schedule_[k]"},
                    profile::Weight::from_integer(2'000'000));
  profile.add_stack({"reader", "main", "read", "ksys_read_[k]", "vfs_read_[k]",
                     "anon_pipe_read_[k]", "schedule_[k]", "__schedule_[k]"},
                    profile::Weight::from_integer(1'500'000));
  return profile;
}

// The summary of `profile` as symbolize_into makes it, the i-th stack with blocks[i] blocks in
// its blocks column; blocked_profile() has 200 sleeps of 10 ms and 300 reads of 5 ms.
std::string summary_of(const OffCpuRecording& result, profile::Profile profile,
                       const std::vector<uint64_t>& blocks = {200, 300}) {
  const size_t column = profile.add_column(kBlocksColumn, "count");
  for (size_t i = 0; i < profile.stack_count(); ++i)
    profile.set_value(column, i, profile::Weight::from_integer(blocks.at(i)));
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  Summary parts = off_cpu_summary(result, profile);
  parts.written = {"blocked.svg"};
  print_summary(out, parts, profile);
  std::fclose(out);
  std::string summary(text, size);
  std::free(text);
  return summary;
}

TEST(OffCpuSvg, SubtitleGivesTotalThreadsBlocksAndLosses) {
  const flamegraph::SvgOptions svg = off_cpu_svg_options(two_threads(), "pid 42");
  EXPECT_EQ(svg.title, "Off-CPU Time Flame Graph");
  EXPECT_EQ(svg.subtitle,
            "off-CPU time of pid 42: 2.0 s traced, 3.500 s blocked in 2 threads, 300 blocks, 3 "
            "lost");
  EXPECT_EQ(svg.palette, flamegraph::Palette::kIo);
}

TEST(OffCpuSvg, BlocksLostToAFullStartMapCountAsLost) {
  OffCpuRecording result = two_threads();
  result.offcpu.lost_start_map_full = 4;
  EXPECT_EQ(result.lost(), 7u);  // and 3 stacks lost to a full stack map
  EXPECT_NE(off_cpu_svg_options(result, "pid 42").subtitle.find("300 blocks, 7 lost"),
            std::string::npos);
  EXPECT_NE(summary_of(result, blocked_profile()).find("300 blocks, 7 lost"), std::string::npos);
}

TEST(OffCpuSvg, EveryFrameIsBlueKernelFramesIncluded) {
  const profile::Profile profile = blocked_profile();
  const flamegraph::FrameTree tree = flamegraph::FrameTree::build(profile);
  const flamegraph::SvgOptions svg = off_cpu_svg_options(two_threads(), "pid 42");
  ASSERT_TRUE(svg.styler);
  for (flamegraph::NodeId node = 1; node < tree.size(); ++node) {
    flamegraph::FrameStyle style;
    svg.styler(tree, node, style);
    ASSERT_TRUE(style.fill.has_value()) << tree.name(node);
    EXPECT_GT(style.fill->b, style.fill->r + 40) << tree.name(node);
    EXPECT_GT(style.fill->b, style.fill->g + 40) << tree.name(node);
  }
}

TEST(OffCpuSummary, TotalsNotesAndTopStacksByTime) {
  const std::string summary = summary_of(two_threads(), blocked_profile());
  EXPECT_NE(summary.find("3.500 s blocked in 2 threads, 300 blocks, 3 lost"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("1 thread was already blocked when tracing started"), std::string::npos);
  EXPECT_NE(summary.find("7 blocks shorter than --min-block-us not counted"), std::string::npos);
  EXPECT_NE(summary.find("stack map full"), std::string::npos);
  EXPECT_NE(summary.find("3.000 s interruptible (S: sleeps, waits for events, locks, pipes, "
                         "sockets), 0.500 s uninterruptible (D: disk I/O, some kernel locks)"),
            std::string::npos)
      << summary;
  // The longest stack first, with its share of the total, its blocks and mean block: the root
  // and the 4 innermost frames above the scheduler's (schedule, __schedule).
  const size_t sleeper = summary.find(
      "57.14%       2.000 s      200 x    10.000 ms  "
      "sleeper;main;clock_nanosleep;hrtimer_nanosleep_[k];do_nanosleep_[k]\n");
  const size_t reader = summary.find(
      "42.86%       1.500 s      300 x     5.000 ms  "
      "reader;...;read;ksys_read_[k];vfs_read_[k];anon_pipe_read_[k]\n");
  EXPECT_NE(sleeper, std::string::npos) << summary;
  EXPECT_NE(reader, std::string::npos) << summary;
  EXPECT_LT(sleeper, reader);
  EXPECT_NE(summary.find("kiln: wrote blocked.svg"), std::string::npos);
}

TEST(OffCpuSummary, RawStacksThatSymbolizeAlikeAreOneLine) {
  // Two raw stacks of sleeper with the same functions (other return addresses, or another
  // thread of the same comm): one line with their time and blocks added up.
  profile::Profile profile = blocked_profile();
  profile.add_stack({"sleeper", "main", "clock_nanosleep", "hrtimer_nanosleep_[k]",
                     "do_nanosleep_[k]", "schedule_[k]", "__schedule_[k]"},
                    profile::Weight::from_integer(1'000'000));
  const std::string summary = summary_of(two_threads(), std::move(profile), {200, 300, 100});
  EXPECT_NE(summary.find("66.67%       3.000 s      300 x    10.000 ms  sleeper;"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("sleeper;"), summary.rfind("sleeper;")) << summary;
}

}  // namespace
}  // namespace kiln::record

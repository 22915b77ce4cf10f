// The profiler pieces that need no privileges: map sizing, loss reports, CPU selection, the
// command kiln starts, symbolization of recorded addresses and the outputs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/formats.h"
#include "record/record.h"
#include "record/sample_counters.h"
#include "record/target_filter.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/record/known_frames.h"

namespace kiln::record {
namespace {

TEST(StackMapEntries, FollowsRateCpusAndDurationWithinBounds) {
  EXPECT_EQ(stack_map_entries(99, 2, 1, 0), 16384u);         // 396 wanted: the floor
  EXPECT_EQ(stack_map_entries(999, 4, 10, 0), 79920u);       // 2 x 999 x 4 x 10
  EXPECT_EQ(stack_map_entries(4999, 64, 3600, 0), 262144u);  // the ceiling
  EXPECT_EQ(stack_map_entries(99, 2, 0, 0), 65536u);         // open ended
  EXPECT_EQ(stack_map_entries(99, 2, 10, 1234), 1234u);      // --stack-map-size wins
}

TEST(DescribeLosses, GivesCountShareAndFixPerReason) {
  SampleCounters counters;
  counters.samples = 1000;
  counters.lost_stack_map_full = 25;
  counters.lost_counts_map_full = 1;
  counters.no_user_stack = 300;  // kernel threads: not a loss
  EXPECT_EQ(counters.lost(), 26u);
  const std::vector<std::string> lines = describe_losses(counters);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "25 (2.50%) stack map full; raise --stack-map-size or shorten -d");
  EXPECT_EQ(lines[1], "1 (0.10%) counts map full; raise --stack-map-size or shorten -d");
  EXPECT_TRUE(describe_losses(SampleCounters{}).empty());
}

TEST(Cpus, OnlineCpusMatchTheSystemAndBadCpusAreRejected) {
  const std::vector<int> cpus = online_cpus();
  EXPECT_EQ(static_cast<long>(cpus.size()), sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_EQ(selected_cpus(TargetSpec{}), cpus);
  TargetSpec spec;
  spec.cpus = {cpus.front(), cpus.front()};
  EXPECT_EQ(selected_cpus(spec), std::vector<int>{cpus.front()});
  spec.cpus = {100000};
  EXPECT_THROW(selected_cpus(spec), UsageError);
}

TEST(Targets, MissingPidIsAnEnvironmentErrorNamingIt) {
  TargetSpec spec;
  spec.pids = {999999999};
  try {
    check_targets_exist(spec);
    FAIL() << "no error for a missing pid";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("-p 999999999: no such process"), std::string::npos);
  }
}

TEST(TargetFilterConfig, FollowsChildrenOfProcessTargetsOnly) {
  TargetSpec spec;
  const TargetFilter everything(spec, 0);
  EXPECT_FALSE(everything.config().filter_tgids);
  EXPECT_FALSE(everything.follows_children());
  EXPECT_EQ(everything.config().self_tgid, static_cast<uint32_t>(getpid()));
  const TargetFilter command(spec, 4242);
  EXPECT_TRUE(command.config().filter_tgids);
  EXPECT_TRUE(command.follows_children());
  spec.tids = {7};
  spec.cpus = {0};
  spec.include_idle = true;
  const TargetFilter threads(spec, 0);
  EXPECT_TRUE(threads.config().filter_tids);
  EXPECT_TRUE(threads.config().filter_cpus);
  EXPECT_TRUE(threads.config().include_idle);
  EXPECT_FALSE(threads.follows_children());
}

TEST(ChildCommandTest, PassesTheExitStatusOn) {
  ChildCommand command({"sh", "-c", "exit 7"});
  command.release();
  EXPECT_TRUE(command.reap(true));
  EXPECT_EQ(command.exit_code(), 7);
  ChildCommand killed({"sh", "-c", "kill -TERM $$"});
  killed.release();
  killed.reap(true);
  EXPECT_EQ(killed.exit_code(), 128 + 15);
}

TEST(ChildCommandTest, MissingCommandIsAnEnvironmentError) {
  ChildCommand command({"kiln-no-such-command"});
  try {
    command.release();
    FAIL() << "no error for a missing command";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("command not found: kiln-no-such-command"),
              std::string::npos);
  }
}

// A frame-pointer walk through code without frame pointers reads data as a return address:
// the stack is drawn from the frame inside it, under [truncated], and counted as cut.
TEST(Symbolization, StackCutAtAReturnAddressInNoMapping) {
  RawProfile raw;
  RawStack stack;
  stack.tgid = stack.pid = static_cast<uint32_t>(getpid());
  stack.comm = "tester";
  const uint64_t text_in_no_mapping = 0x3538392e32203a73;  // "s: 2.985", as seen in a recording
  stack.user = {reinterpret_cast<uint64_t>(&kiln_test_callee) + 1, text_in_no_mapping,
                kiln_test_caller()};
  stack.weight = 3;
  raw.stacks = {stack};

  symbolizer::Symbolizer symbolizer;
  profile::Profile profile;
  const CutStacks cut = symbolize_into(raw, symbolizer, {}, profile);
  std::ostringstream folded;
  formats::FoldedWriter{false}.write(profile, folded);
  EXPECT_EQ(folded.str(), "tester;[truncated];kiln_test_callee 3\n");
  EXPECT_EQ(cut.stacks, 1u);
  EXPECT_EQ(cut.weight, 3u);
  ASSERT_EQ(cut.examples.size(), 1u);
  EXPECT_EQ(cut.examples[0].second, text_in_no_mapping);

  std::string summary(512, '\0');
  FILE* out = fmemopen(summary.data(), summary.size(), "w");
  print_cut_stacks(out, cut, 3, /*verbose=*/true);
  std::fclose(out);
  EXPECT_NE(summary.find("1 stacks (100.00% of the weight) incomplete: a return address in no "
                         "mapping"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("address 0x3538392e32203a73 of process"), std::string::npos) << summary;
}

// What the symbolizer says of a frame reaches the Profile: kind, module, source line, address;
// an address in no mapping is a frame of the kind unknown.
TEST(Symbolization, FramesKeepTheirKindModuleAndLine) {
  RawProfile raw;
  RawStack stack;
  stack.tgid = stack.pid = static_cast<uint32_t>(getpid());
  stack.comm = "tester";
  const uint64_t callee = reinterpret_cast<uint64_t>(&kiln_test_callee) + 1;
  stack.user = {callee, kiln_test_caller()};
  stack.kernel = {0xffffffff81000000};  // a kernel symbol, or "[kernel]" below them all
  stack.weight = 5;
  RawStack unmapped = stack;
  unmapped.user = {0x1000};  // no process maps its first page
  unmapped.kernel.clear();
  raw.stacks = {stack, unmapped};

  symbolizer::SymbolizerOptions lines;
  lines.want_lines = true;
  symbolizer::Symbolizer symbolizer(lines);
  profile::Profile profile;
  symbolize_into(raw, symbolizer, {}, profile);
  ASSERT_EQ(profile.stack_count(), 2u);

  const std::span<const profile::FrameId> frames = profile.frames(0);
  ASSERT_EQ(frames.size(), 4u);
  const profile::Frame leaf = profile.frame(frames[2]);
  EXPECT_EQ(leaf.name, "kiln_test_callee");
  EXPECT_EQ(leaf.kind, profile::FrameKind::kUser);
  EXPECT_EQ(leaf.module, std::filesystem::read_symlink("/proc/self/exe").filename().string());
  EXPECT_TRUE(leaf.file.ends_with("known_frames.cpp")) << leaf.file;
  EXPECT_GT(leaf.line, 0u);
  EXPECT_EQ(leaf.address, callee);
  EXPECT_EQ(profile.kind(frames[3]), profile::FrameKind::kKernel);
  EXPECT_TRUE(profile.name(frames[3]).ends_with("_[k]")) << profile.name(frames[3]);

  const std::span<const profile::FrameId> lost = profile.frames(1);
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(profile.name(lost[1]), "[unknown]");
  EXPECT_EQ(profile.kind(lost[1]), profile::FrameKind::kUnknown);
}

TEST(Symbolization, UserFramesRootFirstUnderTheCommRoot) {
  RawProfile raw;
  RawStack stack;
  stack.tgid = stack.pid = static_cast<uint32_t>(getpid());
  stack.comm = "tester";
  // Innermost first, as the kernel gives them: a pc in the callee, then the return address.
  stack.user = {reinterpret_cast<uint64_t>(&kiln_test_callee) + 1, kiln_test_caller()};
  stack.weight = 5;
  raw.stacks = {stack, stack};
  raw.stacks[1].weight = 2;
  raw.stacks[1].pid = stack.pid + 1;

  symbolizer::Symbolizer symbolizer;
  profile::Profile profile;
  symbolize_into(raw, symbolizer, {}, profile);
  std::ostringstream folded;
  formats::FoldedWriter{false}.write(profile, folded);
  EXPECT_EQ(folded.str(), "tester;kiln_test_caller;kiln_test_callee 7\n");

  profile::Profile per_tid;
  SymbolizeOptions options;
  options.root = RootFrame::kPerTid;
  symbolize_into(raw, symbolizer, options, per_tid);
  std::ostringstream by_thread;
  formats::FoldedWriter{false}.write(per_tid, by_thread);
  const std::string pid = std::to_string(getpid());
  const std::string text = by_thread.str();
  EXPECT_NE(text.find("tester-" + pid + "/" + pid + ";kiln_test_caller;kiln_test_callee 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tester-" + pid + "/" + std::to_string(getpid() + 1) +
                      ";kiln_test_caller;kiln_test_callee 2\n"),
            std::string::npos)
      << text;
}

// Blocked time is recorded in nanoseconds and drawn in microseconds, rounded once per stack;
// each stack's blocks go with it in the Profile's blocks column, however the stacks merge.
RawProfile blocked_in_test_functions() {
  RawProfile raw;
  raw.unit = RawUnit::kNanoseconds;
  RawStack stack;
  stack.tgid = stack.pid = static_cast<uint32_t>(getpid());
  stack.comm = "tester";
  stack.user = {reinterpret_cast<uint64_t>(&kiln_test_callee) + 1, kiln_test_caller()};
  raw.stacks = {stack, stack, stack};
  raw.stacks[0].weight = 2'499;  // 2 us
  raw.stacks[0].events = 2;
  raw.stacks[1].weight = 1'500;  // 2 us: rounded per stack, not 4'000 ns -> 4 us in total
  raw.stacks[1].events = 1;
  raw.stacks[1].pid = stack.pid + 1;  // another thread: the same frames under the comm root
  raw.stacks[2].comm = "other";
  raw.stacks[2].weight = 7'000'000;  // 7000 us in 40 blocks
  raw.stacks[2].events = 40;
  return raw;
}

TEST(Symbolization, NanosecondsBecomeMicrosecondsPerStackWithTheirBlocks) {
  const RawProfile raw = blocked_in_test_functions();
  EXPECT_EQ(raw.total_weight(), 7'003'999u);

  symbolizer::Symbolizer symbolizer;
  profile::Profile profile;
  SymbolizeOptions options;
  options.events_column = kBlocksColumn;
  symbolize_into(raw, symbolizer, options, profile);
  EXPECT_EQ(profile.metadata.count_name, "us");
  std::ostringstream folded;
  formats::FoldedWriter{false}.write(profile, folded);
  EXPECT_EQ(folded.str(),
            "other;kiln_test_caller;kiln_test_callee 7000\n"
            "tester;kiln_test_caller;kiln_test_callee 4\n");

  const profile::Profile merged = profile.merged();
  const std::optional<size_t> blocks = merged.find_column("blocks");
  ASSERT_TRUE(blocks.has_value());
  EXPECT_EQ(merged.column(*blocks).unit, "count");
  ASSERT_EQ(merged.stack_count(), 2u);
  EXPECT_EQ(merged.name(merged.frames(0).front()), "other");
  EXPECT_EQ(merged.weight(0), profile::Weight::from_integer(7000));
  EXPECT_EQ(merged.value(*blocks, 0), profile::Weight::from_integer(40));
  EXPECT_EQ(merged.name(merged.frames(1).front()), "tester");
  EXPECT_EQ(merged.weight(1), profile::Weight::from_integer(4));
  EXPECT_EQ(merged.value(*blocks, 1), profile::Weight::from_integer(3));

  // An on-CPU recording names no events column: its Profile has none.
  profile::Profile on_cpu;
  symbolize_into(raw, symbolizer, {}, on_cpu);
  EXPECT_EQ(on_cpu.column_count(), 0u);
}

// The off-CPU summary's top stacks give the blocks of the raw stacks each symbolized stack is
// made of, and their mean block.
TEST(Symbolization, OffCpuSummaryGivesTheBlocksOfEachSymbolizedStack) {
  OffCpuRecording result;
  result.recording.raw = blocked_in_test_functions();
  result.recording.counters.samples = 43;
  result.threads = 3;
  result.blocked_ns = result.recording.raw.total_weight();
  symbolizer::Symbolizer symbolizer;
  profile::Profile profile;
  SymbolizeOptions options;
  options.events_column = kBlocksColumn;
  symbolize_into(result.recording.raw, symbolizer, options, profile);

  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  print_summary(out, off_cpu_summary(result, profile), profile);
  std::fclose(out);
  const std::string summary(text, size);
  std::free(text);
  EXPECT_NE(summary.find(" 99.94%       0.007 s       40 x     0.175 ms  "
                         "other;kiln_test_caller;kiln_test_callee\n"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("  0.06%       0.000 s        3 x     0.001 ms  "
                         "tester;kiln_test_caller;kiln_test_callee\n"),
            std::string::npos)
      << summary;
}

TEST(Outputs, WritesByExtensionAndRejectsUnknownOnes) {
  EXPECT_THROW(check_output_paths({"profile.png"}), UsageError);
  EXPECT_NO_THROW(check_output_paths({"a.svg", "b.folded", "c.txt", "-"}));

  profile::Profile profile;
  profile.add_stack({"app", "main", "work"}, profile::Weight::from_integer(3));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("kiln-output-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  flamegraph::SvgOptions svg;
  svg.subtitle = "3 samples";
  const auto written =
      write_outputs(profile, svg, {(dir / "p.svg").string(), (dir / "p.txt").string()});
  EXPECT_EQ(written.size(), 2u);
  std::ifstream svg_in(dir / "p.svg"), folded_in(dir / "p.txt");
  const std::string svg_text{std::istreambuf_iterator<char>(svg_in), {}};
  const std::string folded_text{std::istreambuf_iterator<char>(folded_in), {}};
  EXPECT_NE(svg_text.find("<svg"), std::string::npos);
  EXPECT_NE(svg_text.find("3 samples"), std::string::npos);
  EXPECT_NE(folded_text.find("app;main;work 3\n"), std::string::npos);
  EXPECT_THROW(write_outputs(profile, svg, {(dir / "missing-dir" / "x.svg").string()}), UsageError);
  std::filesystem::remove_all(dir);
}

// The recorded command in an SVG subtitle reads as it was typed: the shell quoting it needed is
// back (the words used to be joined with spaces, which made `sh -c 'exit 7'` unrunnable).
TEST(ShellWords, QuotesWordsAsAShellNeedsThem) {
  EXPECT_EQ(shell_words({"./app", "--port=8080", "-v", "a,b:c@d%+"}),
            "./app --port=8080 -v a,b:c@d%+");
  EXPECT_EQ(shell_words({"sh", "-c", "echo hi; exit 7"}), "sh -c 'echo hi; exit 7'");
  EXPECT_EQ(shell_words({"echo", "it's", "", "$HOME", "*.c", "a\tb"}),
            "echo 'it'\\''s' '' '$HOME' '*.c' 'a\tb'");
  EXPECT_EQ(shell_words({"A=1", "B=2"}), "'A=1' B=2");  // a first word with = is an assignment
  EXPECT_EQ(shell_words({}), "");
}

}  // namespace
}  // namespace kiln::record

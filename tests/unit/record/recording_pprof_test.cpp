// A recording written as pprof keeps what kiln knows of each address: the mapping of this test
// binary with its build-id (as `readelf -n` reads it), function names, files and lines from
// DWARF, the thread in labels, the sample types and the recording's facts.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "pprof/pprof.h"
#include "process/process.h"
#include "record/record.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/record/known_frames.h"

namespace kiln::record {
namespace {

// A C++ function: its Function has the demangled name and the linkage name as system_name.
__attribute__((noinline)) int mangled_leaf(int x) {
  asm volatile("");
  return x + 1;
}

std::string readelf_build_id(const std::string& path) {
  FILE* pipe = popen(("readelf -n " + path + " 2>/dev/null").c_str(), "r");
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  pclose(pipe);
  const size_t at = text.find("Build ID: ");
  return at == std::string::npos ? "" : text.substr(at + 10, text.find('\n', at) - at - 10);
}

pprof::Profile written(const RawProfile& raw, const PprofFacts& facts,
                       const std::string& measured = "cpu", unsigned hz = 0) {
  symbolizer::SymbolizerOptions options;
  options.want_lines = true;
  symbolizer::Symbolizer symbolizer(options);
  std::ostringstream out;
  RecordingPprof pprof(symbolizer, measured, hz);
  pprof.add(raw, {});
  pprof.write(facts, out);
  pprof::Profile p;
  std::string error;
  EXPECT_TRUE(pprof::parse(out.str(), "recording", p, error)) << error;
  return p;
}

RawProfile one_stack(uint64_t weight, uint64_t events) {
  RawStack stack;
  stack.tgid = static_cast<uint32_t>(getpid());
  stack.pid = stack.tgid + 1;
  stack.comm = "tester";
  stack.user = {reinterpret_cast<uint64_t>(&kiln_test_callee) + 1, kiln_test_caller()};
  stack.weight = weight;
  stack.events = events;
  RawProfile raw;
  raw.stacks = {stack};
  return raw;
}

TEST(RecordingPprof, KeepsMappingBuildIdLinesAndThreadLabels) {
  PprofFacts facts;
  facts.seconds = 2;
  facts.start_time_nanos = 1'700'000'000'000'000'000;
  facts.lost = 4;
  facts.comments = {"lost: 4 (stack map full)"};
  const pprof::Profile p = written(one_stack(7, 7), facts, "cpu", 99);
  const auto str = [&](int64_t i) { return p.strings[static_cast<size_t>(i)]; };

  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(str(p.sample_types[0].type) + "/" + str(p.sample_types[0].unit), "samples/count");
  EXPECT_EQ(str(p.sample_types[1].type) + "/" + str(p.sample_types[1].unit), "cpu/nanoseconds");
  EXPECT_EQ(p.period, 1'000'000'000 / 99);
  EXPECT_EQ(p.duration_nanos, 2'000'000'000);
  EXPECT_EQ(p.time_nanos, facts.start_time_nanos);
  ASSERT_EQ(p.comments.size(), 2u);
  EXPECT_EQ(str(p.comments[0]), "lost: 4 samples");

  ASSERT_EQ(p.samples.size(), 1u);
  const pprof::Sample& sample = p.samples[0];
  EXPECT_EQ(sample.values, (std::vector<int64_t>{7, 7 * (1'000'000'000 / 99)}));
  ASSERT_EQ(sample.labels.size(), 3u);
  EXPECT_EQ(str(sample.labels[0].key), "pid");
  EXPECT_EQ(sample.labels[0].num, getpid());
  EXPECT_EQ(str(sample.labels[1].key), "tid");
  EXPECT_EQ(sample.labels[1].num, getpid() + 1);
  EXPECT_EQ(str(sample.labels[2].key) + "=" + str(sample.labels[2].str), "thread_name=tester");

  ASSERT_EQ(sample.location_ids.size(), 2u);  // leaf first
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const char* expected[] = {"kiln_test_callee", "kiln_test_caller"};
  for (size_t i = 0; i < 2; ++i) {
    const pprof::Location& l = p.locations[sample.location_ids[i] - 1];
    ASSERT_EQ(l.lines.size(), 1u);
    const pprof::Function& f = p.functions[l.lines[0].function_id - 1];
    EXPECT_EQ(str(f.name), expected[i]);
    EXPECT_TRUE(str(f.filename).ends_with("known_frames.cpp")) << str(f.filename);
    EXPECT_GT(l.lines[0].line, 2);  // in the functions' lines of known_frames.cpp
    EXPECT_LT(l.lines[0].line, 12);
    const pprof::Mapping& m = p.mappings[l.mapping_id - 1];
    EXPECT_EQ(str(m.filename), self);
    EXPECT_LE(m.memory_start, l.address);
    EXPECT_GT(m.memory_limit, l.address);
    EXPECT_EQ(str(m.build_id), readelf_build_id(self));
    EXPECT_FALSE(str(m.build_id).empty());
  }
  // The caller's location is its call instruction (the return address minus one).
  EXPECT_EQ(p.locations[sample.location_ids[1] - 1].address, kiln_test_caller() - 1);
}

// As in the folded output (Symbolization.StackCutAtAReturnAddressInNoMapping): a return address
// in no mapping, which a frame-pointer walk read from data, and what lies outside it are not the
// stack. Before, the pprof file kept them ([unknown], then kiln_test_caller) where the folded
// file of the same recording said [truncated].
TEST(RecordingPprof, StackCutAtAReturnAddressInNoMappingAsInFoldedStacks) {
  RawProfile raw = one_stack(3, 3);
  const uint64_t text_in_no_mapping = 0x3538392e32203a73;  // "s: 2.985", as seen in a recording
  raw.stacks[0].user = {reinterpret_cast<uint64_t>(&kiln_test_callee) + 1, text_in_no_mapping,
                        kiln_test_caller()};
  const pprof::Profile p = written(raw, PprofFacts{});
  const auto name = [&p](uint64_t location_id) {
    const pprof::Location& l = p.locations.at(location_id - 1);
    return p.strings.at(static_cast<size_t>(p.functions.at(l.lines.at(0).function_id - 1).name));
  };
  const std::vector<uint64_t>& ids = p.samples.at(0).location_ids;  // leaf first
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(name(ids[0]), "kiln_test_callee");
  EXPECT_EQ(name(ids[1]), "[truncated]");
}

TEST(RecordingPprof, OffCpuTimeInNanosecondsAndBlocks) {
  RawProfile raw = one_stack(1'499'600, 3);  // 1.4996 ms in 3 blocks
  raw.unit = RawUnit::kNanoseconds;
  // In microseconds, as the folded stacks have them, so that both add up to the same total.
  const pprof::Profile p = written(raw, PprofFacts{}, "off-cpu");
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(p.strings[static_cast<size_t>(p.sample_types[0].type)], "off_cpu");
  EXPECT_EQ(p.strings[static_cast<size_t>(p.sample_types[1].type)], "blocks");
  EXPECT_EQ(p.samples.at(0).values, (std::vector<int64_t>{1'500'000, 3}));
}

TEST(RecordingPprof, CxxFunctionsKeepTheirLinkageName) {
  RawProfile raw = one_stack(1, 1);
  raw.stacks[0].user = {reinterpret_cast<uint64_t>(&mangled_leaf) + 1};
  const pprof::Profile p = written(raw, PprofFacts{});
  const pprof::Location& l = p.locations.at(p.samples.at(0).location_ids.at(0) - 1);
  const pprof::Function& f = p.functions.at(l.lines.at(0).function_id - 1);
  const auto str = [&p](int64_t i) { return p.strings[static_cast<size_t>(i)]; };
  EXPECT_EQ(str(f.name), "kiln::record::(anonymous namespace)::mangled_leaf");
  EXPECT_TRUE(str(f.system_name).starts_with("_ZN4kiln6record")) << str(f.system_name);
  EXPECT_NE(str(f.system_name).find("12mangled_leafEi"), std::string::npos) << str(f.system_name);
}

TEST(RecordingPprof, WallTimeWithTheStateOfEachSample) {
  RawProfile raw = one_stack(2'000'000, 1);  // 2 ms blocked in S state
  raw.unit = RawUnit::kNanoseconds;
  raw.stacks[0].state = OFFCPU_STATE_INTERRUPTIBLE;
  raw.stacks.push_back(one_stack(10'101'010, 1).stacks[0]);  // one on-CPU sample at 99 Hz
  const pprof::Profile p = written(raw, PprofFacts{}, "wall", 99);
  const auto str = [&p](int64_t i) { return p.strings[static_cast<size_t>(i)]; };
  ASSERT_EQ(p.sample_types.size(), 1u);
  EXPECT_EQ(str(p.sample_types[0].type) + "/" + str(p.sample_types[0].unit), "wall/nanoseconds");
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[0].values, std::vector<int64_t>{2'000'000});
  EXPECT_EQ(str(p.samples[0].labels.back().key) + "=" + str(p.samples[0].labels.back().str),
            "state=[off-cpu: S]");
  EXPECT_EQ(str(p.samples[1].labels.back().str), "on-cpu");
  // The wait's leaf is its state frame, as in folded stacks.
  const pprof::Location& leaf = p.locations.at(p.samples[0].location_ids.at(0) - 1);
  EXPECT_EQ(str(p.functions.at(leaf.lines.at(0).function_id - 1).name), "[off-cpu: S]");
}

// While recording, a process handed over is forgotten by the pprof samples as by the process
// table: a later process with the same pid (pids are reused) has its own mappings. Before, the
// samples of the second process would have been given the first one's locations.
TEST(RecordingPprof, AProcessForgottenIsNotTakenForALaterOneWithItsPid) {
  symbolizer::SymbolizerOptions options;
  options.want_lines = true;
  symbolizer::Symbolizer symbolizer(options);
  process::ProcessTable& table = symbolizer.processes();
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&cos), &info), 0);
  const std::string lib = std::filesystem::canonical(info.dli_fname).string();
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto mapping_of = [](const std::string& path) {
    process::RecordedMapping mapping;
    mapping.start = 0x10000;
    mapping.end = 0x20000;
    mapping.path = path;
    mapping.build_id = readelf_build_id(path);
    return mapping;
  };
  const pid_t pid = 4'000'003;  // above any pid_max: never a live process
  RawProfile raw = one_stack(1, 1);
  raw.stacks[0].tgid = raw.stacks[0].pid = static_cast<uint32_t>(pid);
  raw.stacks[0].user = {0x10010};

  RecordingPprof pprof(symbolizer, "cpu", 99);
  table.record_exec(pid);
  table.record_mapping(pid, mapping_of(lib));
  pprof.add(raw, {});
  pprof.forget({static_cast<uint32_t>(pid)});
  table.record_exit(pid);
  ASSERT_TRUE(table.forget(pid));
  table.record_exec(pid);
  table.record_mapping(pid, mapping_of(self));
  pprof.add(raw, {});

  std::ostringstream out;
  pprof.write(PprofFacts{}, out);
  pprof::Profile p;
  std::string error;
  ASSERT_TRUE(pprof::parse(out.str(), "recording", p, error)) << error;
  ASSERT_EQ(p.samples.size(), 2u);
  const auto mapped_file = [&p](const pprof::Sample& sample) {
    const pprof::Location& l = p.locations.at(sample.location_ids.at(0) - 1);
    return p.strings.at(static_cast<size_t>(p.mappings.at(l.mapping_id - 1).filename));
  };
  EXPECT_EQ(mapped_file(p.samples[0]), lib);
  EXPECT_EQ(mapped_file(p.samples[1]), self);
}

}  // namespace
}  // namespace kiln::record

// Processes symbolized from the kernel's records of their mappings (ProcessTable::record_*), as
// kiln record gets them for processes that exit before their /proc can be read: the sample
// program's real mappings are recorded, the program exits, and its addresses are still named.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>

#include "process/process.h"
#include "process/process_maps.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

using process::MappedBinary;
using process::Mapping;
using process::read_process_maps;
using process::RecordedMapping;

const std::string kProgram = std::string(KILN_SAMPLE_DIR) + "/kiln_sample_pie";

std::string build_id_of(const std::string& binary) {
  std::istringstream notes(test::run_command("readelf -n " + binary));
  for (std::string word; notes >> word;)
    if (word == "ID:" && notes >> word) return word;
  return "";
}

// The executable mappings of a live process as the kernel records them (path and build-id).
std::vector<RecordedMapping> recorded_mappings(pid_t pid) {
  std::vector<Mapping> maps;
  EXPECT_TRUE(read_process_maps(pid, &maps));
  std::vector<RecordedMapping> recorded;
  for (const Mapping& m : maps) {
    if (!m.executable) continue;
    RecordedMapping& r = recorded.emplace_back();
    r.start = m.start;
    r.end = m.end;
    r.offset = m.offset;
    r.path = m.path.empty() ? "//anon" : m.path;
    if (m.path.starts_with("/")) r.build_id = build_id_of(m.path);
  }
  return recorded;
}

// The sample program's mappings and addresses, read while it ran; it has exited since.
struct ExitedSample {
  std::vector<RecordedMapping> mappings;
  uint64_t main = 0, area = 0, lib_code = 0;
  ExitedSample() {
    auto sample = std::make_unique<test::SampleProcess>(kProgram);
    mappings = recorded_mappings(sample->pid());
    main = sample->address("main");
    area = sample->address("area");
    lib_code = sample->address("lib_code");
  }
};

// A pid no process has: above kernel.pid_max (32768 by default), below its highest setting.
constexpr pid_t kGonePid = 4194000;

TEST(RecordedProcess, ExitedProcessIsNamedFromItsRecordedMappings) {
  const ExitedSample sample;
  Symbolizer symbolizer;
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().function, "[unknown]");
  symbolizer.processes().record_exec(kGonePid);
  for (const RecordedMapping& m : sample.mappings)
    symbolizer.processes().record_mapping(kGonePid, m);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().function, "main");
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.area).back().function,
            "geometry::Shape<double>::area");
  const Frame lib = symbolizer.symbolize_user(kGonePid, sample.lib_code).back();
  EXPECT_EQ(lib.function, "lib_static_helper");
  EXPECT_EQ(lib.module, "libkiln_sample_lib.so");
}

TEST(RecordedProcess, FileWithAnotherBuildIdIsNotReadInItsPlace) {
  const ExitedSample sample;
  Symbolizer symbolizer;
  symbolizer.processes().record_exec(kGonePid);
  for (RecordedMapping m : sample.mappings) {
    if (m.path == kProgram) m.build_id = "00112233445566778899aabbccddeeff00112233";
    symbolizer.processes().record_mapping(kGonePid, m);
  }
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().function, "[kiln_sample_pie]");
  bool told = false;
  for (const std::string& message : symbolizer.stats().messages)
    told |= message.find(kProgram + " of process") != std::string::npos &&
            message.find("replaced on disk after the process mapped it") != std::string::npos;
  EXPECT_TRUE(told) << "no message says the binary was replaced";
}

TEST(RecordedProcess, ForkedChildStartsWithItsParentsMappings) {
  const ExitedSample sample;
  Symbolizer symbolizer;
  symbolizer.processes().record_exec(kGonePid);
  for (const RecordedMapping& m : sample.mappings)
    symbolizer.processes().record_mapping(kGonePid, m);
  symbolizer.processes().record_fork(kGonePid + 1, kGonePid);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid + 1, sample.main).back().function, "main");
  // A process kiln has no snapshot of is left to /proc: its children are too.
  symbolizer.processes().record_fork(kGonePid + 3, kGonePid + 2);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid + 3, sample.main).back().function, "[unknown]");
}

TEST(RecordedProcess, SamplesBeforeAnExecAreNamedInTheEarlierProgram) {
  const ExitedSample sample;
  Symbolizer symbolizer;
  symbolizer.processes().record_exec(kGonePid);
  for (const RecordedMapping& m : sample.mappings)
    symbolizer.processes().record_mapping(kGonePid, m);
  // The process execs a program mapped elsewhere (here the same binary 1 GiB higher).
  symbolizer.processes().record_exec(kGonePid);
  constexpr uint64_t kShift = 1ull << 30;
  for (RecordedMapping m : sample.mappings) {
    m.start += kShift;
    m.end += kShift;
    symbolizer.processes().record_mapping(kGonePid, m);
  }
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main + kShift).back().function, "main");
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().function, "main");
  // The unwinder gets the image the address was in, under its own generation.
  std::vector<MappedBinary> now, before;
  const uint64_t current = symbolizer.processes().binaries(kGonePid, sample.main + kShift, 0, &now);
  const uint64_t earlier = symbolizer.processes().binaries(kGonePid, sample.main, 0, &before);
  EXPECT_NE(current, earlier);
  const auto program_start = [](const std::vector<MappedBinary>& binaries) {
    for (const MappedBinary& binary : binaries)
      if (binary.path == kProgram) return binary.start;
    return uint64_t{0};
  };
  ASSERT_NE(program_start(before), 0u);
  EXPECT_EQ(program_start(now), program_start(before) + kShift);
}

TEST(RecordedProcess, MappingOverAnotherReplacesWhatItCovers) {
  const ExitedSample sample;
  Symbolizer symbolizer;
  symbolizer.processes().record_exec(kGonePid);
  for (const RecordedMapping& m : sample.mappings)
    symbolizer.processes().record_mapping(kGonePid, m);
  // Anonymous memory mapped over the first byte of main (as a JIT would with MAP_FIXED, here
  // narrower than a page): the binary's mapping is split around it.
  RecordedMapping anon;
  anon.start = sample.main;
  anon.end = sample.main + 1;
  anon.path = "//anon";
  symbolizer.processes().record_mapping(kGonePid, anon);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().module, "[anon]");
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main + 1).back().function, "main");
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.area).back().function,
            "geometry::Shape<double>::area");
}

// A long recording forgets the binaries of processes long gone: one mapped again is opened and
// parsed again, and a new binary is never named from what was cached of a forgotten one.
TEST(RecordedProcess, ForgottenBinariesAreOpenedAgainAndNeverNamedFromTheirCache) {
  const ExitedSample sample;
  const std::string other = std::string(KILN_SAMPLE_DIR) + "/kiln_unnamed_functions";
  // The sample's mappings as process `pid` made them, with `program` in the place of the sample.
  const auto record = [&sample](process::ProcessTable& processes, pid_t pid,
                                const std::string& program) {
    processes.record_exec(pid);
    for (RecordedMapping m : sample.mappings) {
      if (m.path == kProgram) {
        m.path = program;
        m.build_id = build_id_of(program);
      }
      processes.record_mapping(pid, m);
    }
  };
  Symbolizer fresh;
  record(fresh.processes(), kGonePid, other);
  const std::string in_other = fresh.symbolize_user(kGonePid, sample.main).back().function;
  ASSERT_NE(in_other, "main");

  Symbolizer symbolizer;
  process::ProcessTable& processes = symbolizer.processes();
  record(processes, kGonePid, kProgram);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid, sample.main).back().function, "main");
  const uint64_t opened = symbolizer.stats().binaries_parsed;
  processes.record_exit(kGonePid);
  ASSERT_TRUE(processes.forget(kGonePid));
  EXPECT_EQ(processes.release_unmapped_binaries(std::chrono::hours(1)), 0u);
  EXPECT_GE(processes.release_unmapped_binaries(std::chrono::seconds(0)), 2u);
  processes.binary_cache().for_each([](const process::Binary& binary) {
    EXPECT_EQ(binary.path, "[vdso]") << binary.path << " was not forgotten";
  });

  record(processes, kGonePid + 1, other);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid + 1, sample.main).back().function, in_other);
  record(processes, kGonePid + 2, kProgram);
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid + 2, sample.main).back().function, "main");
  EXPECT_EQ(symbolizer.symbolize_user(kGonePid + 2, sample.lib_code).back().function,
            "lib_static_helper");
  EXPECT_GT(symbolizer.stats().binaries_parsed, opened);
}

}  // namespace
}  // namespace kiln::symbolizer

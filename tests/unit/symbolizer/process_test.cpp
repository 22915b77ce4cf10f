// Symbolizing live processes: mappings, shared libraries, inline chains with lines, the vDSO,
// processes that exit, deleted binaries, anonymous memory.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "process/process.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;

std::string function_of(Symbolizer& s, pid_t pid, uint64_t address) {
  return s.symbolize_user(pid, address).back().function;
}

class ProcessSymbolization : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessSymbolization, NamesFunctionsOfTheProgramAndItsLibrary) {
  test::SampleProcess sample(kDir + "/" + GetParam());
  Symbolizer symbolizer;
  ASSERT_TRUE(symbolizer.processes().snapshot(sample.pid()));
  pid_t pid = sample.pid();
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("area")), "geometry::Shape<double>::area");
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("operator_less") + 1),
            "geometry::operator<<double>");
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("repeat")), "geometry::repeat<int>");
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("plus_assign")),
            "geometry::detail::Accumulator::operator+=");
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("hidden")),
            "(anonymous namespace)::hidden_in_anonymous_namespace");
  // Each compiler's own name for the lambda's class (as llvm-symbolizer prints them too).
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("lambda")),
            GetParam().starts_with("kiln_sample_clang") ? "main::$_0::operator()"
                                                        : "main::'lambda'(int)::operator()");
  EXPECT_EQ(function_of(symbolizer, pid, sample.address("main")), "main");
  auto lib = symbolizer.symbolize_user(pid, sample.address("lib_code"));
  EXPECT_EQ(lib.back().function, "lib_static_helper");
  EXPECT_EQ(lib.back().module, "libkiln_sample_lib.so");
  EXPECT_EQ(lib.back().kind, FrameKind::kUser);
}

TEST_P(ProcessSymbolization, InlineChainWithCallSiteLines) {
  test::SampleProcess sample(kDir + "/" + GetParam());
  Symbolizer::Options options;
  options.want_lines = true;
  Symbolizer symbolizer(options);
  // A return address minus one lies in the call instruction, inside two inlined functions.
  auto frames = symbolizer.symbolize_user(sample.pid(), sample.address("inlined_return") - 1);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, "innermost_inline");
  EXPECT_EQ(frames[0].line, test::marked_line("innermost_call"));
  EXPECT_EQ(frames[0].kind, FrameKind::kInlined);
  EXPECT_EQ(frames[1].function, "middle_inline");
  EXPECT_EQ(frames[1].line, test::marked_line("middle_call"));
  EXPECT_EQ(frames[1].kind, FrameKind::kInlined);
  EXPECT_EQ(frames[2].function, "outer_function");
  EXPECT_EQ(frames[2].line, test::marked_line("outer_call"));
  EXPECT_EQ(frames[2].kind, FrameKind::kUser);
  for (const Frame& frame : frames) EXPECT_EQ(frame.file, KILN_SAMPLE_SOURCE);

  Symbolizer::Options no_inlines;
  no_inlines.inlines = false;
  Symbolizer outer_only(no_inlines);
  auto outer = outer_only.symbolize_user(sample.pid(), sample.address("inlined_return") - 1);
  ASSERT_EQ(outer.size(), 1u);
  EXPECT_EQ(outer[0].function, "outer_function");
}

// GCC with DWARF 5 (PIE) and 4 (non-PIE), clang with DWARF 4 and 5.
INSTANTIATE_TEST_SUITE_P(GccAndClang, ProcessSymbolization,
                         ::testing::Values("kiln_sample_pie", "kiln_sample_nopie",
                                           "kiln_sample_clang_dwarf4", "kiln_sample_clang_dwarf5"));

TEST(ProcessSymbolization, SnapshotStillWorksAfterTheProcessExits) {
  auto sample = std::make_unique<test::SampleProcess>(kDir + "/kiln_sample_pie");
  pid_t pid = sample->pid();
  uint64_t area = sample->address("area"), lib = sample->address("lib_code");
  Symbolizer symbolizer;
  ASSERT_TRUE(symbolizer.processes().snapshot(pid));
  sample.reset();  // exits and is reaped
  EXPECT_EQ(function_of(symbolizer, pid, area), "geometry::Shape<double>::area");
  EXPECT_EQ(function_of(symbolizer, pid, lib), "lib_static_helper");
  EXPECT_TRUE(symbolizer.processes().snapshot(pid));  // refresh of a gone process keeps the old one
  EXPECT_EQ(function_of(symbolizer, pid, area), "geometry::Shape<double>::area");
}

TEST(ProcessSymbolization, ZombieKeepsItsSnapshot) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  Symbolizer symbolizer;
  ASSERT_TRUE(symbolizer.processes().snapshot(child));
  kill(child, SIGKILL);
  // Not reaped yet: a zombie, whose /proc/PID/maps is empty.
  std::string stat;
  for (int i = 0; i < 200 && stat.find(") Z ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::getline(in, stat);
  }
  ASSERT_NE(stat.find(") Z "), std::string::npos) << stat;
  EXPECT_TRUE(symbolizer.processes().snapshot(child));
  // The child is a fork of this test: the same code at the same address.
  const uint64_t address = reinterpret_cast<uint64_t>(&function_of);
  Symbolizer self;
  const std::string expected = function_of(self, getpid(), address);
  EXPECT_NE(expected, "[unknown]");
  EXPECT_EQ(function_of(symbolizer, child, address), expected);
  waitpid(child, nullptr, 0);
}

TEST(ProcessSymbolization, DeletedBinaryIsReadThroughMapFiles) {
  std::string copy = "/tmp/kiln-deleted-sample-" + std::to_string(getpid());
  std::filesystem::copy_file(kDir + "/kiln_sample_pie", copy,
                             std::filesystem::copy_options::overwrite_existing);
  test::SampleProcess sample(copy);
  std::filesystem::remove(copy);
  Symbolizer symbolizer;
  EXPECT_EQ(function_of(symbolizer, sample.pid(), sample.address("hidden")),
            "(anonymous namespace)::hidden_in_anonymous_namespace");
  EXPECT_EQ(symbolizer.stats().missing_files, 0u);
}

TEST(ProcessSymbolization, OneParsePerBinaryAcrossProcesses) {
  test::SampleProcess first(kDir + "/kiln_sample_pie"), second(kDir + "/kiln_sample_pie");
  Symbolizer symbolizer;
  EXPECT_EQ(function_of(symbolizer, first.pid(), first.address("area")),
            "geometry::Shape<double>::area");
  uint64_t parsed = symbolizer.stats().binaries_parsed;
  EXPECT_EQ(function_of(symbolizer, second.pid(), second.address("area")),
            "geometry::Shape<double>::area");
  EXPECT_EQ(symbolizer.stats().binaries_parsed, parsed);
}

TEST(ProcessSymbolization, VdsoIsNamedFromItsOwnImage) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  ASSERT_NE(base, 0u);
  // Dump the vDSO and let nm name its functions.
  std::ifstream maps("/proc/self/maps");
  uint64_t end = 0;
  for (std::string line; std::getline(maps, line);) {
    if (line.ends_with("[vdso]")) end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
  }
  ASSERT_GT(end, base);
  std::string dump = "/tmp/kiln-vdso-" + std::to_string(getpid()) + ".so";
  std::ofstream(dump).write(reinterpret_cast<const char*>(base), static_cast<long>(end - base));
  std::istringstream nm(test::run_command("nm -D --defined-only " + dump));
  std::filesystem::remove(dump);
  std::map<uint64_t, std::set<std::string>> names;  // aliases: clock_gettime, __vdso_clock_gettime
  std::string address, type, name;
  while (nm >> address >> type >> name) {
    if (type == "T" || type == "W")
      names[std::stoull(address, nullptr, 16)].insert(name.substr(0, name.find('@')));
  }
  Symbolizer symbolizer;
  int checked = 0;
  for (const auto& [offset, aliases] : names) {
    auto frames = symbolizer.symbolize_user(getpid(), base + offset + 1);
    EXPECT_TRUE(aliases.count(frames.back().function)) << frames.back().function;
    EXPECT_EQ(frames.back().module, "[vdso]");
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST(ProcessSymbolization, LibraryLoadedAfterTheSnapshot) {
  Symbolizer symbolizer;
  ASSERT_TRUE(symbolizer.processes().snapshot(getpid()));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  void* library = dlopen((kDir + "/libkiln_sample_lib.so").c_str(), RTLD_NOW);
  ASSERT_NE(library, nullptr) << dlerror();
  void* function = dlsym(library, "kiln_lib_print");
  ASSERT_NE(function, nullptr);
  auto frames = symbolizer.symbolize_user(getpid(), reinterpret_cast<uint64_t>(function) + 1);
  EXPECT_EQ(frames.back().function, "kiln_lib_print");
  EXPECT_EQ(frames.back().module, "libkiln_sample_lib.so");
  dlclose(library);
}

TEST(ProcessSymbolization, KernelThreadHasNoMappingsButIsNoExitedProcess) {
  Symbolizer symbolizer;
  EXPECT_TRUE(symbolizer.processes().snapshot(2));  // kthreadd
  EXPECT_EQ(symbolizer.symbolize_user(2, 0x401000).back().function, "[unknown]");
  EXPECT_EQ(symbolizer.stats().exited_processes, 0u);
}

TEST(ProcessSymbolization, UnknownPlacesAreNamedAndCounted) {
  Symbolizer symbolizer;
  auto unmapped = symbolizer.symbolize_user(getpid(), 0x10);
  EXPECT_EQ(unmapped.back().function, "[unknown]");
  EXPECT_EQ(unmapped.back().kind, FrameKind::kUnmapped);
  EXPECT_EQ(symbolizer.stats().unmapped_addresses, 1u);
  // A pid that does not exist (pid_max is at most 2^22).
  auto gone = symbolizer.symbolize_user(1 << 23, 0x401000);
  EXPECT_EQ(gone.back().function, "[unknown]");
  EXPECT_EQ(gone.back().kind, FrameKind::kUnmapped);
  EXPECT_EQ(symbolizer.stats().exited_processes, 1u);
  EXPECT_FALSE(symbolizer.stats().messages.empty());
}

}  // namespace
}  // namespace kiln::symbolizer

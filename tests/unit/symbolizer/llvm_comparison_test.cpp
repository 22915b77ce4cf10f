// kiln against `llvm-symbolizer --inlines` on thousands of code addresses of the sample
// programs (PIE, non-PIE, shared library, stripped with debuglink, stripped with build-id, built
// by clang with DWARF 4 and 5) and
// of Debian's libc (debug file from libc6-dbg): function names, inline chains and file:line.
//
// Differences that are explained (and counted as such):
//  - unnamed: llvm-symbolizer prints "??" where kiln prints "[module]" (alignment padding
//    between functions); kiln never prints a bare "??".
//  - debug symbols: kiln also reads the separate debug file's symbol table, so it names
//    functions without DWARF (crt startup code, libgcc's soft-float helpers in libc) that
//    llvm-symbolizer, which reads only the binary's own symbol table, prints as "??".
//  - qualified: GCC gives a function in an anonymous namespace no DW_AT_linkage_name; for a
//    stripped binary llvm-symbolizer then prints DWARF's bare "name", kiln the debug file's
//    mangled symbol "(anonymous namespace)::name(int)".
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;

using Answer = std::vector<std::pair<std::string, std::string>>;  // (function, file:line)

std::vector<Answer> llvm_answers(const std::string& binary, const std::vector<uint64_t>& addresses,
                                 const std::string& extra_options) {
  std::string input = "/tmp/kiln-llvm-input-" + std::to_string(getpid());
  {
    std::ofstream out(input);
    for (uint64_t a : addresses) out << "0x" << std::hex << a << "\n";
  }
  std::string output = test::run_command("llvm-symbolizer --inlines " + extra_options +
                                         " --obj=" + binary + " < " + input);
  unlink(input.c_str());
  std::vector<Answer> answers(1);
  std::istringstream lines(output);
  for (std::string function, location; std::getline(lines, function);) {
    if (function.empty()) {
      answers.emplace_back();
      continue;
    }
    std::getline(lines, location);
    if (std::count(location.begin(), location.end(), ':') >= 2) {  // drop ":column"
      location.resize(location.rfind(':'));
    }
    answers.back().emplace_back(function, location);
  }
  if (answers.back().empty()) answers.pop_back();
  return answers;
}

struct Tally {
  size_t same = 0, unnamed = 0, debug_symbols = 0, qualified = 0, unexplained = 0;
};

void compare(const std::string& binary, const std::vector<uint64_t>& addresses,
             const std::string& llvm_options, const std::vector<std::string>& debug_dirs,
             Tally* tally) {
  std::vector<Answer> expected = llvm_answers(binary, addresses, llvm_options);
  ASSERT_EQ(expected.size(), addresses.size()) << binary;
  Symbolizer::Options options;
  options.full_signatures = true;  // llvm-symbolizer prints full signatures
  options.want_lines = true;
  options.debug_directories = debug_dirs;
  Symbolizer symbolizer(options);
  for (size_t i = 0; i < addresses.size(); ++i) {
    Answer actual;
    for (const Frame& f :
         symbolizer.symbolize_file(binary, addresses[i], AddressKind::kVirtualAddress)) {
      actual.emplace_back(f.function,
                          f.file.empty() ? "??:0" : f.file + ":" + std::to_string(f.line));
    }
    const Answer& want = expected[i];
    if (actual == want) {
      ++tally->same;
      continue;
    }
    bool one_frame = actual.size() == 1 && want.size() == 1;
    if (one_frame && want[0].first == "??" && actual[0].first.starts_with("[")) {
      ++tally->unnamed;
      continue;
    }
    if (one_frame && want[0].first == "??" && actual[0].second.ends_with(":0")) {
      ++tally->debug_symbols;
      continue;
    }
    bool qualified = actual.size() == want.size();
    for (size_t f = 0; qualified && f < actual.size(); ++f) {
      const auto& [kf, kl] = actual[f];
      const auto& [lf, ll] = want[f];
      qualified =
          kl == ll && (kf == lf || (f + 1 == actual.size() && lf.find("::") == std::string::npos &&
                                    kf.find("::" + lf + "(") != std::string::npos));
    }
    if (qualified) {
      ++tally->qualified;
      continue;
    }
    ++tally->unexplained;
    std::ostringstream message;
    message << binary << " 0x" << std::hex << addresses[i] << "\n  llvm-symbolizer:";
    for (const auto& [f, l] : want) message << "\n    " << f << " " << l;
    message << "\n  kiln:";
    for (const auto& [f, l] : actual) message << "\n    " << f << " " << l;
    ADD_FAILURE() << message.str();
  }
}

// [start, end) of .text from readelf.
std::pair<uint64_t, uint64_t> text_section(const std::string& binary) {
  std::istringstream lines(test::run_command("readelf -SW " + binary));
  for (std::string line; std::getline(lines, line);) {
    size_t pos = line.find(" .text ");
    if (pos == std::string::npos) continue;
    std::istringstream words(line.substr(pos + 7));
    std::string type, address, offset, size;
    words >> type >> address >> offset >> size;
    uint64_t start = std::stoull(address, nullptr, 16);
    return {start, start + std::stoull(size, nullptr, 16)};
  }
  return {0, 0};
}

std::vector<uint64_t> every_nth_address(const std::string& binary, uint64_t step) {
  auto [start, end] = text_section(binary);
  std::vector<uint64_t> addresses;
  for (uint64_t a = start; a < end; a += step) addresses.push_back(a);
  return addresses;
}

void expect_agreement(const Tally& t) {
  size_t total = t.same + t.unnamed + t.debug_symbols + t.qualified + t.unexplained;
  ::testing::Test::RecordProperty("addresses", static_cast<int>(total));
  std::cout << "addresses " << total << ": same " << t.same << ", unnamed padding " << t.unnamed
            << ", named from debug symbols " << t.debug_symbols << ", qualified " << t.qualified
            << ", unexplained " << t.unexplained << "\n";
  EXPECT_GE(total, 1000u);
  EXPECT_GE(double(t.same), 0.995 * double(total - t.unnamed - t.debug_symbols - t.qualified));
  EXPECT_EQ(t.unexplained, 0u);
}

TEST(LlvmComparison, SampleProgramsAndLibrary) {
  Tally tally;
  for (const char* name :
       {"kiln_sample_pie", "kiln_sample_nopie", "libkiln_sample_lib.so", "stripped_debuglink",
        "kiln_sample_clang_dwarf4", "kiln_sample_clang_dwarf5"}) {
    std::string binary = kDir + "/" + name;
    compare(binary, every_nth_address(binary, 2), "", {"/usr/lib/debug"}, &tally);
  }
  std::string stripped = kDir + "/stripped_buildid";
  compare(stripped, every_nth_address(stripped, 2), "--debug-file-directory=" + kDir + "/debug",
          {kDir + "/debug"}, &tally);
  expect_agreement(tally);
  EXPECT_GT(tally.same, 5000u);
}

TEST(LlvmComparison, LibcWithDebianDebugFile) {
  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  auto [start, end] = text_section(libc);
  ASSERT_LT(start, end);
  std::mt19937_64 random(42);
  std::vector<uint64_t> addresses;
  for (int i = 0; i < 3000; ++i) addresses.push_back(start + random() % (end - start));
  Tally tally;
  compare(libc, addresses, "", {"/usr/lib/debug"}, &tally);
  expect_agreement(tally);
  // libc6-dbg names libc's internal (static) functions: most addresses have a file and line.
  EXPECT_GT(tally.same, 2900u);
}

}  // namespace
}  // namespace kiln::symbolizer

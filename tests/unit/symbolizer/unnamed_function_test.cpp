// Code without symbols keeps its shape: in a stripped binary with no debug file, an address
// is named after its module and the start of its function from .eh_frame or .debug_frame
// ("[stripped_unnamed]+0x1149"), so distinct functions stay distinct frames. Checked against
// nm of the unstripped program, and against readelf's reading of Debian's own liblzma.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;
const std::string kStripped = kDir + "/stripped_unnamed";

struct Extent {
  uint64_t address = 0, size = 0;
};

// "name -> address, size" of the symbols nm prints with a size.
std::map<std::string, Extent> nm_sizes(const std::string& binary) {
  std::map<std::string, Extent> symbols;
  std::istringstream lines(test::run_command("nm -S --defined-only " + binary));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string address, size, type, name;
    if (words >> address >> size >> type >> name)
      symbols[name] = {std::stoull(address, nullptr, 16), std::stoull(size, nullptr, 16)};
  }
  return symbols;
}

std::string function_at(Symbolizer& symbolizer, const std::string& path, uint64_t address) {
  auto frames = symbolizer.symbolize_file(path, address, AddressKind::kVirtualAddress);
  EXPECT_EQ(frames.size(), 1u) << path << " " << test::hex(address);
  return frames.back().function;
}

// (unstripped program, its stripped copy): from .eh_frame, and from .debug_frame.
class StrippedStaticFunctions
    : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(StrippedStaticFunctions, AreNamedByModuleAndStart) {
  const auto& [unstripped, stripped] = GetParam();
  auto symbols = nm_sizes(kDir + "/" + unstripped);
  const std::string path = kDir + "/" + stripped;
  ASSERT_TRUE(test::nm_text_symbols(path).empty()) << "strip left symbols";
  Symbolizer symbolizer;
  std::set<std::string> names;
  for (const char* function : {"count_vowels", "mix_bits", "sum_digits", "main"}) {
    SCOPED_TRACE(function);
    ASSERT_TRUE(symbols.count(function));
    auto [start, size] = symbols[function];
    ASSERT_GT(size, 4u);
    std::string expected = "[" + stripped + "]+" + test::hex(start);
    // Every address of the function, first to last byte, is the same frame.
    for (uint64_t address : {start, start + 1, start + size / 2, start + size - 1})
      EXPECT_EQ(function_at(symbolizer, path, address), expected) << test::hex(address);
    names.insert(expected);
  }
  EXPECT_EQ(names.size(), 4u);  // four functions, four frames
  auto frames =
      symbolizer.symbolize_file(path, symbols["mix_bits"].address, AddressKind::kVirtualAddress);
  EXPECT_EQ(frames.back().module, stripped);
  EXPECT_EQ(symbolizer.stats().binaries_parsed, 1u);
}

INSTANTIATE_TEST_SUITE_P(
    EhFrameAndDebugFrame, StrippedStaticFunctions,
    ::testing::Values(std::pair<std::string, std::string>{"kiln_unnamed_functions",
                                                          "stripped_unnamed"},
                      std::pair<std::string, std::string>{"kiln_unnamed_functions_debug_frame",
                                                          "stripped_debug_frame"}));

TEST(UnnamedFunctions, AddressesInNoFunctionStayNamedAfterTheModule) {
  auto symbols = nm_sizes(kDir + "/kiln_unnamed_functions");
  ASSERT_TRUE(symbols.count("kiln_unnamed_table"));
  Symbolizer symbolizer;
  // Read-only data, and the ELF header: no FDE covers them.
  EXPECT_EQ(function_at(symbolizer, kStripped, symbols["kiln_unnamed_table"].address + 8),
            "[stripped_unnamed]");
  EXPECT_EQ(function_at(symbolizer, kStripped, 0x10), "[stripped_unnamed]");
  // Both, and the function-start names, count as addresses without a symbol.
  function_at(symbolizer, kStripped, symbols["main"].address);
  EXPECT_EQ(symbolizer.stats().unknown, 3u);
}

// Debian's liblzma is stripped: only its exported functions have (.dynsym) names. Each of its
// internal functions, as readelf lists their FDEs, is a frame of its own named by its start.
TEST(UnnamedFunctions, DebianStrippedLibrary) {
  const std::string link = "/usr/lib/x86_64-linux-gnu/liblzma.so.5";
  if (!std::filesystem::exists(link)) GTEST_SKIP() << link << " is not installed";
  const std::string library = std::filesystem::canonical(link);
  const std::string module = std::filesystem::path(library).filename();

  std::set<uint64_t> exported;  // starts of the functions .dynsym names
  std::istringstream dynsym(test::run_command("nm -D --defined-only " + library));
  for (std::string address, type, name; dynsym >> address >> type >> name;)
    exported.insert(std::stoull(address, nullptr, 16));
  test::Section text = test::section_of(library, ".text");
  const uint64_t text_start = text.address, text_end = text.address + text.size;
  ASSERT_LT(text_start, text_end);

  // FDE lines: "00000018 0000000000000014 0000001c FDE cie=00000000 pc=...4b30..0000...4c3c".
  Symbolizer::Options options;
  options.debug_directories = {};  // the -dbgsym package, if installed, would name them
  Symbolizer symbolizer(options);
  std::istringstream frames(test::run_command("readelf --debug-dump=frames " + library));
  std::set<std::string> names;
  int internal = 0;
  for (std::string line; std::getline(frames, line);) {
    size_t pc = line.find(" FDE ") != std::string::npos ? line.find("pc=") : std::string::npos;
    if (pc == std::string::npos) continue;
    size_t dots = line.find("..", pc);
    uint64_t start = std::stoull(line.substr(pc + 3, dots - pc - 3), nullptr, 16);
    uint64_t end = std::stoull(line.substr(dots + 2), nullptr, 16);
    if (start < text_start || end > text_end || end - start < 2) continue;
    uint64_t middle = start + (end - start) / 2;
    std::string name = function_at(symbolizer, library, middle);
    if (exported.count(start)) {
      EXPECT_FALSE(name.starts_with("[")) << name << " at " << test::hex(middle);
      continue;
    }
    SCOPED_TRACE(line);
    ASSERT_EQ(name, "[" + module + "]+" + test::hex(start));
    EXPECT_LE(std::stoull(name.substr(name.find("+0x") + 3), nullptr, 16), middle);
    EXPECT_EQ(function_at(symbolizer, library, end - 1), name);
    names.insert(name);
    ++internal;
  }
  EXPECT_GT(internal, 100);  // liblzma 5.4 has a few hundred internal functions
  EXPECT_EQ(names.size(), static_cast<size_t>(internal));
}

}  // namespace
}  // namespace kiln::symbolizer

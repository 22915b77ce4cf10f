// Symbolizing ELF files by address: symbol tables, PIE and non-PIE, file offsets, PLT stubs,
// stripped binaries with debug files found by .gnu_debuglink and by build-id.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;

std::string function_at(Symbolizer& symbolizer, const std::string& path, uint64_t address,
                        AddressKind kind = AddressKind::kVirtualAddress) {
  return symbolizer.symbolize_file(path, address, kind).back().function;
}

// (mangled name, name kiln must print): the sample's functions, found in nm's output.
const std::vector<std::pair<std::string, std::string>> kSampleFunctions = {
    {"_ZNK8geometry5ShapeIdE4areaEv", "geometry::Shape<double>::area"},
    {"_ZN8geometry6repeatIiEESt6vectorIT_SaIS2_EES2_i", "geometry::repeat<int>"},
    {"_ZN8geometry6detail11AccumulatorpLEl", "geometry::detail::Accumulator::operator+="},
    {"_ZN12_GLOBAL__N_129hidden_in_anonymous_namespaceEi",
     "(anonymous namespace)::hidden_in_anonymous_namespace"},
    {"_ZZ4mainENKUliE_clEi", "main::'lambda'(int)::operator()"},
    {"_Z14outer_functionv", "outer_function"},
    {"main", "main"},
};

class ElfSymbolization : public ::testing::TestWithParam<std::string> {};

TEST_P(ElfSymbolization, NamesEveryFunctionFromItsStartToItsEnd) {
  std::string binary = kDir + "/" + GetParam();
  auto symbols = test::nm_text_symbols(binary);
  Symbolizer symbolizer;
  for (const auto& [mangled, expected] : kSampleFunctions) {
    ASSERT_TRUE(symbols.count(mangled)) << mangled << " not in " << binary;
    uint64_t address = symbols[mangled];
    EXPECT_EQ(function_at(symbolizer, binary, address), expected) << mangled;
    EXPECT_EQ(function_at(symbolizer, binary, address + 3), expected) << mangled;
  }
  Stats stats = symbolizer.stats();
  EXPECT_EQ(stats.binaries_parsed, 1u);  // one parse for all addresses
  EXPECT_EQ(stats.corrupt_files + stats.missing_files, 0u);
}

TEST_P(ElfSymbolization, FileOffsetsAreTranslatedThroughTheLoadSegments) {
  std::string binary = kDir + "/" + GetParam();
  // Text segment of readelf -lW: "LOAD 0xOFFSET 0xVADDR ... R E 0x1000".
  std::istringstream headers(test::run_command("readelf -lW " + binary));
  uint64_t offset = 0, vaddr = 0;
  for (std::string line; std::getline(headers, line);) {
    std::istringstream words(line);
    std::string type, off, va;
    if (words >> type >> off >> va && type == "LOAD" && line.find(" R E ") != std::string::npos) {
      offset = std::stoull(off, nullptr, 16);
      vaddr = std::stoull(va, nullptr, 16);
    }
  }
  ASSERT_NE(vaddr, 0u);
  uint64_t main_address = test::nm_text_symbols(binary)["main"];
  Symbolizer symbolizer;
  EXPECT_EQ(
      function_at(symbolizer, binary, main_address - vaddr + offset, AddressKind::kFileOffset),
      "main");
}

TEST_P(ElfSymbolization, PltStubsAreNamedAfterTheirTarget) {
  std::string binary = kDir + "/" + GetParam();
  // objdump labels PLT entries "<kiln_lib_work@plt>:".
  std::istringstream disassembly(test::run_command("objdump -d -j .plt -j .plt.sec " + binary));
  Symbolizer symbolizer;
  int checked = 0;
  for (std::string line; std::getline(disassembly, line);) {
    size_t open = line.find(" <"), close = line.find("@plt>:");
    if (open == std::string::npos || close == std::string::npos) continue;
    uint64_t address = std::stoull(line.substr(0, open), nullptr, 16);
    std::string name = line.substr(open + 2, close - open - 2) + "@plt";
    EXPECT_EQ(function_at(symbolizer, binary, address + 2), name);
    ++checked;
  }
  EXPECT_GE(checked, 2);  // kiln_lib_work and kiln_lib_print at least
}

INSTANTIATE_TEST_SUITE_P(PieAndNonPie, ElfSymbolization,
                         ::testing::Values("kiln_sample_pie", "kiln_sample_nopie"));

TEST(ElfSymbolization, SharedLibraryFunctionsIncludingStaticOnes) {
  std::string library = kDir + "/libkiln_sample_lib.so";
  auto symbols = test::nm_text_symbols(library);
  Symbolizer symbolizer;
  EXPECT_EQ(function_at(symbolizer, library, symbols["kiln_lib_work"] + 1), "kiln_lib_work");
  EXPECT_EQ(function_at(symbolizer, library, symbols["lib_static_helper"] + 1),
            "lib_static_helper");
  auto frames =
      symbolizer.symbolize_file(library, symbols["kiln_lib_work"], AddressKind::kVirtualAddress);
  EXPECT_EQ(frames.back().module, "libkiln_sample_lib.so");
}

TEST(ElfSymbolization, AddressWithoutSymbolIsNamedAfterTheModule) {
  Symbolizer symbolizer;
  auto frames =
      symbolizer.symbolize_file(kDir + "/kiln_sample_pie", 0x10, AddressKind::kVirtualAddress);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "[kiln_sample_pie]");
  EXPECT_EQ(frames[0].kind, FrameKind::kUnknown);
  EXPECT_EQ(symbolizer.stats().unknown, 1u);
}

// A stripped binary has no names of its own for static functions; its debug file has them.
TEST(ElfSymbolization, StrippedBinaryUsesDebugFileFoundByDebuglink) {
  auto symbols = test::nm_text_symbols(kDir + "/kiln_sample_pie");  // same addresses
  Symbolizer::Options options;
  options.want_lines = true;
  Symbolizer symbolizer(options);
  auto frames =
      symbolizer.symbolize_file(kDir + "/stripped_debuglink",
                                symbols["_ZN12_GLOBAL__N_129hidden_in_anonymous_namespaceEi"] + 1,
                                AddressKind::kVirtualAddress);
  EXPECT_EQ(frames.back().function, "(anonymous namespace)::hidden_in_anonymous_namespace");
  EXPECT_EQ(frames.back().file, KILN_SAMPLE_SOURCE);
  EXPECT_GT(frames.back().line, 0u);
}

TEST(ElfSymbolization, DebuglinkWithWrongCrcIsIgnored) {
  // The stripped binary beside a debug file of the right name but other contents.
  std::string dir = "/tmp/kiln-debuglink-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kDir + "/stripped_debuglink", dir + "/stripped_debuglink");
  std::filesystem::copy_file(kDir + "/kiln_sample_nopie", dir + "/stripped_debuglink.debug");
  auto symbols = test::nm_text_symbols(kDir + "/kiln_sample_pie");
  uint64_t start = symbols["_ZN12_GLOBAL__N_129hidden_in_anonymous_namespaceEi"];
  Symbolizer symbolizer;
  auto frames = symbolizer.symbolize_file(dir + "/stripped_debuglink", start + 1,
                                          AddressKind::kVirtualAddress);
  std::filesystem::remove_all(dir);
  // Unnamed: only .eh_frame says where its function starts.
  EXPECT_EQ(frames.back().function, "[stripped_debuglink]+" + test::hex(start));
}

TEST(ElfSymbolization, StrippedBinaryUsesDebugFileFoundByBuildId) {
  auto symbols = test::nm_text_symbols(kDir + "/kiln_sample_nopie");
  uint64_t start = symbols["_ZNK8geometry5ShapeIdE4areaEv"];
  uint64_t address = start + 2;
  Symbolizer::Options options;
  options.debug_directories = {kDir + "/debug"};
  Symbolizer with_debug(options);
  EXPECT_EQ(function_at(with_debug, kDir + "/stripped_buildid", address),
            "geometry::Shape<double>::area");
  Symbolizer without_debug;  // /usr/lib/debug has no file for this build-id
  EXPECT_EQ(function_at(without_debug, kDir + "/stripped_buildid", address),
            "[stripped_buildid]+" + test::hex(start));
}

}  // namespace
}  // namespace kiln::symbolizer

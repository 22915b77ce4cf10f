// Damaged binaries never crash or hang the symbolizer: copies of the sample program truncated
// at many points and with bytes flipped (anywhere, and in the .eh_frame of a stripped one)
// give "[module]" frames or real names, plus a counted warning when the file cannot be read.
// (Run under ASan+UBSan in CI.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes, size_t size) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<long>(size));
}

// The addresses asked about: every function of the intact program, and points between.
std::vector<uint64_t> probe_addresses(const std::string& binary) {
  std::vector<uint64_t> addresses;
  for (const auto& [name, address] : test::nm_text_symbols(binary)) {
    addresses.push_back(address);
    addresses.push_back(address + 5);
  }
  return addresses;
}

// Every frame has a name; an unnamed address is "[corrupt-copy]"-style, never a number.
void expect_named_frames(const std::string& copy, const std::vector<uint64_t>& addresses,
                         Stats* stats) {
  Symbolizer::Options options;
  options.want_lines = true;
  Symbolizer symbolizer(options);
  for (uint64_t address : addresses) {
    for (AddressKind kind : {AddressKind::kVirtualAddress, AddressKind::kFileOffset}) {
      auto frames = symbolizer.symbolize_file(copy, address, kind);
      ASSERT_FALSE(frames.empty());
      for (const Frame& frame : frames) {
        ASSERT_FALSE(frame.function.empty());
        ASSERT_FALSE(frame.function.starts_with("0x")) << frame.function;
      }
    }
  }
  *stats = symbolizer.stats();
}

TEST(CorruptInput, TruncatedCopies) {
  std::string original = kDir + "/kiln_sample_pie";
  std::vector<char> bytes = read_bytes(original);
  ASSERT_GT(bytes.size(), 4096u);
  auto addresses = probe_addresses(original);
  std::string copy = "/tmp/kiln-truncated-" + std::to_string(getpid());
  std::vector<size_t> sizes = {0, 1, 4, 16, 52, 63, 64, 65, 120, 1000, 4095, 4096};
  for (size_t i = 1; i < 48; ++i) sizes.push_back(bytes.size() * i / 48);
  sizes.push_back(bytes.size() - 1);
  for (size_t size : sizes) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    write_bytes(copy, bytes, size);
    Stats stats;
    expect_named_frames(copy, addresses, &stats);
    // The section headers sit at the end of the file: any truncation loses them.
    EXPECT_EQ(stats.corrupt_files, 1u);
    EXPECT_EQ(stats.messages.size(), 1u);
    EXPECT_EQ(stats.unknown, stats.addresses);
  }
  std::filesystem::remove(copy);
}

TEST(CorruptInput, FlippedBytes) {
  std::string original = kDir + "/kiln_sample_pie";
  std::vector<char> bytes = read_bytes(original);
  auto addresses = probe_addresses(original);
  std::string copy = "/tmp/kiln-flipped-" + std::to_string(getpid());
  std::mt19937_64 random(7);
  int named = 0;
  for (int round = 0; round < 120; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<char> damaged = bytes;
    // Early rounds hit the headers, later ones the whole file (mostly DWARF).
    size_t range = round < 40 ? 4096 : damaged.size();
    for (int flips = 0; flips < 16; ++flips) {
      damaged[random() % range] ^= static_cast<char>(1 + random() % 255);
    }
    write_bytes(copy, damaged, damaged.size());
    Stats stats;
    expect_named_frames(copy, addresses, &stats);
    if (stats.unknown < stats.addresses) ++named;
  }
  EXPECT_GT(named, 0);  // damage outside the symbol table still leaves names
  std::filesystem::remove(copy);
}

// Damaged DIEs (kiln's own DIE reader, symbolizer/dwarf_unit.h) in GCC's and clang's DWARF 5:
// flipped bytes in .debug_info and .debug_abbrev, and the second half of .debug_info made an
// endless LEB128 number (a DIE tree cut off). Frames keep their names; with the tree cut off,
// each address still gets its function from the symbol table, the one the intact copy gives.
TEST(CorruptInput, DamagedDebugInfo) {
  for (const char* name : {"kiln_sample_pie", "kiln_sample_clang_dwarf5"}) {
    SCOPED_TRACE(name);
    std::string original = kDir + "/" + name;
    std::vector<char> bytes = read_bytes(original);
    test::Section info = test::section_of(original, ".debug_info");
    test::Section abbrev = test::section_of(original, ".debug_abbrev");
    ASSERT_GT(info.size, 64u);
    ASSERT_GT(abbrev.size, 16u);
    auto addresses = probe_addresses(original);
    std::string copy = "/tmp/kiln-debug-info-" + std::to_string(getpid());
    std::mt19937_64 random(13);
    for (int round = 0; round < 60; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      std::vector<char> damaged = bytes;
      const test::Section& section = round % 3 == 2 ? abbrev : info;
      for (int flips = 0; flips < 1 + round % 4; ++flips) {
        damaged[section.offset + random() % section.size] ^= static_cast<char>(1 + random() % 255);
      }
      write_bytes(copy, damaged, damaged.size());
      Stats stats;
      expect_named_frames(copy, addresses, &stats);
    }

    std::vector<char> cut = bytes;
    std::fill(cut.begin() + static_cast<long>(info.offset + info.size / 2),
              cut.begin() + static_cast<long>(info.offset + info.size), '\x80');
    write_bytes(copy, cut, cut.size());
    Symbolizer intact_symbolizer, cut_symbolizer;
    for (uint64_t address : addresses) {
      auto intact =
          intact_symbolizer.symbolize_file(original, address, AddressKind::kVirtualAddress);
      auto damaged = cut_symbolizer.symbolize_file(copy, address, AddressKind::kVirtualAddress);
      ASSERT_FALSE(damaged.empty());
      std::string expected = intact.back().function;
      if (expected == "[" + std::string(name) + "]") expected = "[" + copy.substr(5) + "]";
      EXPECT_EQ(damaged.back().function, expected) << std::hex << address;
    }
    std::filesystem::remove(copy);
  }
}

// A stripped binary names its functions from .eh_frame: damage there gives other or fewer
// "[module]+0xSTART" names, never a crash or a read outside the section (ASan).
TEST(CorruptInput, DamagedUnwindInformation) {
  std::string original = kDir + "/stripped_unnamed";
  std::vector<char> bytes = read_bytes(original);
  test::Section eh_frame = test::section_of(original, ".eh_frame");
  ASSERT_GT(eh_frame.size, 16u);
  ASSERT_LE(eh_frame.offset + eh_frame.size, bytes.size());
  auto addresses = probe_addresses(kDir + "/kiln_unnamed_functions");
  std::string copy = "/tmp/kiln-eh-frame-" + std::to_string(getpid());
  std::mt19937_64 random(11);
  int still_told_apart = 0;
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<char> damaged = bytes;
    for (int flips = 0; flips < 1 + round % 8; ++flips) {
      damaged[eh_frame.offset + random() % eh_frame.size] ^= static_cast<char>(1 + random() % 255);
    }
    write_bytes(copy, damaged, damaged.size());
    Symbolizer symbolizer;
    std::set<std::string> names;
    for (uint64_t address : addresses) {
      auto frames = symbolizer.symbolize_file(copy, address, AddressKind::kVirtualAddress);
      ASSERT_EQ(frames.size(), 1u);
      const std::string& name = frames[0].function;
      ASSERT_TRUE(name == "[" + copy.substr(5) + "]" ||
                  name.starts_with("[" + copy.substr(5) + "]+0x"))
          << name;
      names.insert(name);
    }
    if (names.size() > 2) ++still_told_apart;
  }
  EXPECT_GT(still_told_apart, 0);  // a few flipped bytes spoil some FDEs, not all
  std::filesystem::remove(copy);
}

// Binaries the elf fuzz target found a defect with (tests/fuzz/corpus/elf/regression-*),
// symbolized as the target does it: near their entry point, as addresses and as file offsets.
std::vector<Frame> fuzz_regression_frames(const std::string& name) {
  std::string path = std::string(KILN_SOURCE_DIR) + "/tests/fuzz/corpus/elf/" + name;
  std::vector<char> bytes = read_bytes(path);
  EXPECT_GE(bytes.size(), 32u);
  if (bytes.size() < 32) return {};
  uint64_t entry;
  memcpy(&entry, bytes.data() + 24, sizeof entry);
  Symbolizer::Options options;
  options.want_lines = true;
  options.debug_directories = {};
  Symbolizer symbolizer(options);
  std::vector<Frame> all;
  for (uint64_t delta : {0, 1, 0x10, 0x28, 0x40, 0x80, 0x100, 0x200}) {
    for (AddressKind kind : {AddressKind::kVirtualAddress, AddressKind::kFileOffset}) {
      for (Frame& frame : symbolizer.symbolize_file(path, entry + delta, kind)) {
        EXPECT_FALSE(frame.function.empty()) << name << " at " << entry + delta;
        all.push_back(std::move(frame));
      }
    }
  }
  return all;
}

// A damaged .symtab whose function at the entry point is named "@" (only a symbol version):
// the frame had an empty name (an empty frame in folded stacks); it is unnamed instead.
TEST(CorruptInput, SymbolNamedOnlyByAVersion) {
  for (const Frame& frame : fuzz_regression_frames("regression-empty-symbol-name")) {
    EXPECT_EQ(frame.function, "[regression-empty-symbol-name]");
  }
}

TEST(CorruptInput, MissingAndNonElfFiles) {
  Symbolizer symbolizer;
  auto missing =
      symbolizer.symbolize_file("/nonexistent/libfoo.so", 0x1000, AddressKind::kVirtualAddress);
  EXPECT_EQ(missing.back().function, "[libfoo.so]");
  std::string text = "/tmp/kiln-not-elf-" + std::to_string(getpid());
  std::ofstream(text) << "just text\n";
  auto not_elf = symbolizer.symbolize_file(text, 0x10, AddressKind::kVirtualAddress);
  std::filesystem::remove(text);
  EXPECT_EQ(not_elf.back().function, "[" + text.substr(5) + "]");
  Stats stats = symbolizer.stats();
  EXPECT_EQ(stats.missing_files, 1u);
  EXPECT_EQ(stats.corrupt_files, 1u);
  EXPECT_EQ(stats.messages.size(), 2u);
  // libelf has no error to add for a text file: no "not an ELF file: no error".
  for (const std::string& message : stats.messages) {
    EXPECT_EQ(message.find("no error"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace kiln::symbolizer

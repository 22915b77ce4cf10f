// Damaged binaries never crash or hang the symbolizer: copies of the sample program truncated
// at many points and with bytes flipped give "[module]" frames or real names, plus a counted
// warning when the file cannot be read. (Run under ASan+UBSan in CI.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "sample_process.h"
#include "symbolizer.h"

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

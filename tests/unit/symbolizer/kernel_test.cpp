// Kernel symbols from /proc/kallsyms, and the kptr_restrict case.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "symbolizer/kernel_symbols.h"
#include "symbolizer/symbolizer.h"

namespace kiln::symbolizer {
namespace {

// Address of a text symbol as /proc/kallsyms lists it (0 when hidden).
uint64_t kallsyms_address(const std::string& name) {
  std::ifstream file("/proc/kallsyms");
  std::string address, type, symbol;
  while (file >> address >> type >> symbol) {
    if (symbol == name && (type == "T" || type == "t")) return std::stoull(address, nullptr, 16);
    file.ignore(1 << 20, '\n');
  }
  return 0;
}

TEST(KernelSymbols, NamesAddressesInsideKernelFunctions) {
  uint64_t schedule = kallsyms_address("schedule");
  if (schedule == 0) GTEST_SKIP() << "kallsyms addresses hidden here (kptr_restrict)";
  Symbolizer symbolizer;
  auto frames = symbolizer.symbolize_kernel(schedule + 4);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "schedule");
  EXPECT_EQ(frames[0].module, "[kernel]");
  EXPECT_EQ(frames[0].kind, FrameKind::kKernel);
  EXPECT_FALSE(symbolizer.stats().kptr_restricted);
}

TEST(KernelSymbols, ModuleNamesAndBounds) {
  char path[] = "/tmp/kiln-kallsyms-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text =
      "ffffffff81000000 T _stext\n"
      "ffffffff81000100 T do_work\n"
      "ffffffff81000200 D some_data\n"
      "ffffffffc0001000 t ext4_read\t[ext4]\n"
      "ffffffffc0001080 t ext4_write\t[ext4]\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  KernelSymbols symbols;
  ASSERT_TRUE(symbols.load(path));
  unlink(path);
  EXPECT_FALSE(symbols.restricted());
  EXPECT_EQ(symbols.find(0xffffffff81000150)->name, "do_work");  // data symbols are skipped
  EXPECT_EQ(symbols.find(0xffffffff81000250)->name, "do_work");
  EXPECT_EQ(symbols.find(0xffffffffc0001010)->name, "ext4_read");
  EXPECT_EQ(symbols.find(0xffffffffc0001010)->module, "ext4");
  EXPECT_EQ(symbols.find(0xffffffffc0001090)->name, "ext4_write");
  EXPECT_EQ(symbols.find(0xffffffff80000000), nullptr);
  EXPECT_EQ(symbols.find(0xffffffffc8000000), nullptr);  // far past the last symbol
}

// A line that ends right after "ADDRESS " was read one byte past its end to look for the space
// after the type: past the buffer's end when the line filled getline's 120-byte buffer
// (ASan: heap-buffer-overflow). Such lines are skipped.
TEST(KernelSymbols, LineEndingAfterTheAddress) {
  char path[] = "/tmp/kiln-kallsyms-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = std::string(118, 'f') + " ";  // 119 bytes and the terminating NUL: 120
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  KernelSymbols symbols;
  EXPECT_FALSE(symbols.load(path));
  unlink(path);
  EXPECT_EQ(symbols.find(0xffffffff81000000), nullptr);
}

TEST(KernelSymbols, DetectsKptrRestrict) {
  char path[] = "/tmp/kiln-kallsyms-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "0000000000000000 T _stext\n0000000000000000 T schedule\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  KernelSymbols symbols;
  EXPECT_FALSE(symbols.load(path));
  unlink(path);
  EXPECT_TRUE(symbols.restricted());
  EXPECT_EQ(symbols.find(0xffffffff81000000), nullptr);
}

}  // namespace
}  // namespace kiln::symbolizer

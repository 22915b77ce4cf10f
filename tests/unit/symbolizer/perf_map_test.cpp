// JIT perf maps: parsing, growth, overlapping entries.
#include "perf_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace kiln::symbolizer {
namespace {

TEST(PerfMap, ReadsEntriesAndRereadsWhenTheFileGrows) {
  char path[] = "/tmp/kiln-perfmap-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* file = fdopen(fd, "w");
  fprintf(file, "7f0000001000 100 LazyCompile:~hot /app/main.js:3\n");
  fprintf(file, "7f0000002000 40 Builtin:ArgumentsAdaptor\n7f0000003");  // partial last line
  fflush(file);
  PerfMap map;
  ASSERT_TRUE(map.open(path));
  ASSERT_NE(map.find(0x7f0000001080), nullptr);
  EXPECT_EQ(map.find(0x7f0000001080)->name, "LazyCompile:~hot /app/main.js:3");
  EXPECT_EQ(map.find(0x7f0000002010)->name, "Builtin:ArgumentsAdaptor");
  EXPECT_EQ(map.find(0x7f0000001100), nullptr);  // one past the end
  EXPECT_EQ(map.find(0x7f0000003000), nullptr);

  // The JIT appends: the partial line completes, and code memory is reused by a new entry.
  fprintf(file, "000 20 LazyCompile:*cold /app/main.js:9\n");
  fprintf(file, "7f0000001000 80 LazyCompile:*hot /app/main.js:3\n");
  fclose(file);
  EXPECT_EQ(map.find(0x7f0000003010)->name, "LazyCompile:*cold /app/main.js:9");
  EXPECT_EQ(map.find(0x7f0000001010)->name, "LazyCompile:*hot /app/main.js:3");
  EXPECT_EQ(map.find(0x7f0000001090)->name, "LazyCompile:~hot /app/main.js:3");
  unlink(path);
}

TEST(PerfMap, MissingFile) {
  PerfMap map;
  EXPECT_FALSE(map.open("/tmp/kiln-no-such-perf-map.map"));
  EXPECT_EQ(map.find(0x1000), nullptr);
}

}  // namespace
}  // namespace kiln::symbolizer

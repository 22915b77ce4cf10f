// JIT perf maps: parsing, growth, overlapping entries.
#include "process/perf_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace kiln::process {
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

// Found by fuzzing (tests/fuzz/corpus/perf_map/regression-size-on-next-line): a line cut after
// its start address let the size be read from the next line, and the name then ended before it
// began (std::length_error: kiln aborted). Fields are read within their own line only.
TEST(PerfMap, FieldsAreReadWithinTheirLine) {
  char path[] = "/tmp/kiln-perfmap-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* file = fdopen(fd, "w");
  fprintf(file, "3f6ba400 \n108 java.lang.String::hashCode\n");  // size on the next line
  fprintf(file, " 3f6bb000 10 leading_blank\n3f6bb100 -10 negative_size\n");
  fprintf(file, "0x3f6bc000 0x20 with_prefix\n3f6bd000 40 Interpreter\n");
  fclose(file);
  PerfMap map;
  ASSERT_TRUE(map.open(path));
  EXPECT_EQ(map.find(0x3f6ba400), nullptr);
  EXPECT_EQ(map.find(0x108), nullptr);
  EXPECT_EQ(map.find(0x3f6bb000), nullptr);
  EXPECT_EQ(map.find(0x3f6bb100), nullptr);
  ASSERT_NE(map.find(0x3f6bc010), nullptr);
  EXPECT_EQ(map.find(0x3f6bc010)->name, "with_prefix");
  ASSERT_NE(map.find(0x3f6bd000), nullptr);
  EXPECT_EQ(map.find(0x3f6bd000)->name, "Interpreter");
  unlink(path);
}

TEST(PerfMap, MissingFile) {
  PerfMap map;
  EXPECT_FALSE(map.open("/tmp/kiln-no-such-perf-map.map"));
  EXPECT_EQ(map.find(0x1000), nullptr);
}

}  // namespace
}  // namespace kiln::process

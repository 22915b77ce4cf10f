// FoldedReader on every folded input of inferno's test suite and on hand-made edge cases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "flamegraph/flamegraph.h"
#include "formats/formats.h"
#include "profile/profile.h"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

const fs::path kInferno = fs::path(KILN_SHARED_TESTDATA) / "inferno" / "flamegraph";

struct ReadResult {
  profile::Profile profile;
  uint64_t bad = 0;
  std::string diagnostics;
};

ReadResult read_files(std::initializer_list<fs::path> paths) {
  ReadResult r;
  std::ostringstream diag;
  formats::FoldedReader reader(r.profile, &diag);
  for (const fs::path& p : paths) EXPECT_TRUE(reader.read_file(p.string())) << p;
  r.bad = reader.bad_lines();
  r.diagnostics = diag.str();
  return r;
}

ReadResult read_text(std::string_view text) {
  ReadResult r;
  std::ostringstream diag;
  formats::FoldedReader reader(r.profile, &diag);
  reader.read_text(text, "test.folded");
  r.bad = reader.bad_lines();
  r.diagnostics = diag.str();
  return r;
}

std::vector<std::string> names_of(const profile::Profile& p, size_t stack) {
  std::vector<std::string> names;
  for (profile::FrameId f : p.frames(stack)) names.emplace_back(p.name(f));
  return names;
}

std::string folded(const profile::Profile& p) {
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = false}.write(p, out);
  return out.str();
}

}  // namespace

// Every file in the inferno folder is read without a crash, and folded inputs lose no line.
TEST(FoldedReaderInferno, EveryInputIsReadAndEveryLineAccountedFor) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kInferno)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    ReadResult r = read_files({entry.path()});
    // Each non-blank, non-comment line is either a stack or a reported bad line.
    std::ifstream in(entry.path());
    std::string line;
    uint64_t content_lines = 0;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos && line[0] != '#') ++content_lines;
    }
    EXPECT_EQ(r.profile.stack_count() + r.bad, content_lines) << entry.path();
  }
  EXPECT_GE(files, 25u);
}

TEST(FoldedReaderInferno, BadLinesAreReportedWithFileAndLine) {
  fs::path path = kInferno / "bad-lines" / "bad-lines.txt";
  ReadResult r = read_files({path});
  EXPECT_EQ(r.bad, 2u);
  EXPECT_EQ(r.profile.stack_count(), 7u);
  EXPECT_EQ(r.profile.total().to_string(), "607");  // 31+6+1+19+2+274+274
  EXPECT_NE(r.diagnostics.find(path.string() + ":3: "), std::string::npos) << r.diagnostics;
  EXPECT_NE(r.diagnostics.find(path.string() + ":6: the count '12V.43'"), std::string::npos)
      << r.diagnostics;
}

TEST(FoldedReaderInferno, EmptyInputHasNoStacks) {
  ReadResult r = read_files({kInferno / "empty" / "empty.txt"});
  EXPECT_TRUE(r.profile.empty());
  EXPECT_EQ(r.bad, 0u);
}

TEST(FoldedReaderInferno, FractionalCountsAddUpExactly) {
  ReadResult r = read_files({kInferno / "fractional-samples" / "fractional.txt"});
  EXPECT_EQ(r.bad, 0u);
  EXPECT_EQ(r.profile.total().to_string(), "334.618");  // 31.23+6.1+1.4+19.0+2.567+274.321
  ReadResult zero = read_files({kInferno / "fractional-samples" / "zero-fractionals.txt"});
  EXPECT_EQ(zero.bad, 0u);  // "6." and "2.0" are counts
  EXPECT_EQ(zero.profile.total().to_string(), "333");
  ReadResult none = read_files({kInferno / "fractional-samples" / "no-fractionals.txt"});
  EXPECT_EQ(none.profile.total().to_string(), "333");
}

TEST(FoldedReaderInferno, NamesWithSpacesAndPunctuation) {
  ReadResult r = read_files({kInferno / "fractional-samples" / "tricky-stack.txt"});
  ASSERT_EQ(r.profile.stack_count(), 1u);
  EXPECT_EQ(names_of(r.profile, 0),
            (std::vector<std::string>{
                "rustc", "<alloc::vec::Vec<T> as alloc::vec::SpecExtend<T, I>>::from_iter",
                "memcpy@GLIBC_2.2.5"}));
  EXPECT_EQ(r.profile.weight(0).to_string(), "3");
  ReadResult spaces = read_files({kInferno / "fractional-samples" / "with-space.txt"});
  EXPECT_EQ(spaces.bad, 0u);
  EXPECT_EQ(spaces.profile.total().to_string(), "334.618");
}

TEST(FoldedReaderInferno, SeveralFilesMergeLikeOneUnsortedFile) {
  ReadResult both = read_files(
      {kInferno / "multiple-inputs" / "perf-vertx-stacks-01-collapsed-all-unsorted-1.txt",
       kInferno / "multiple-inputs" / "perf-vertx-stacks-01-collapsed-all-unsorted-2.txt"});
  ReadResult one =
      read_files({kInferno / "unsorted-input" / "perf-vertx-stacks-01-collapsed-all-unsorted.txt"});
  EXPECT_EQ(both.profile.stack_count(), 200u);
  EXPECT_EQ(both.profile.total(), one.profile.total());
  EXPECT_EQ(folded(both.profile), folded(one.profile));
}

TEST(FoldedReaderInferno, DifferentialInputKeepsBothColumns) {
  ReadResult r = read_files(
      {kInferno / "differential" / "perf-cycles-instructions-01-collapsed-all-diff.txt"});
  EXPECT_EQ(r.bad, 0u);
  const std::optional<size_t> column = r.profile.find_column(profile::kBeforeColumn);
  ASSERT_TRUE(column.has_value());
  profile::Weight before;
  for (size_t s = 0; s < r.profile.stack_count(); ++s) before += r.profile.value(*column, s);
  EXPECT_EQ(before.to_string(), "333");             // first column
  EXPECT_EQ(r.profile.total().to_string(), "513");  // second column: the frame sizes
}

TEST(FoldedReaderInferno, CommentHeaderLinesAreMetadataNotStacks) {
  ReadResult r = read_files({kInferno / "austin" / "flames.txt"});
  EXPECT_EQ(r.bad, 0u);
  EXPECT_EQ(r.profile.stack_count(), 2u);
  // austin's "# duration: 23873" is in microseconds: kept as is, not read as seconds.
  EXPECT_EQ(r.profile.metadata.duration_s, 0.0);
  bool found = false;
  for (const auto& [k, v] : r.profile.metadata.extra) found |= k == "mode" && v == "wall";
  EXPECT_TRUE(found);
}

TEST(FoldedReaderInferno, NameAttributeFilesAreNotFoldedAndEveryLineIsReported) {
  ReadResult r = read_files({kInferno / "nameattr" / "nameattr.txt"});
  EXPECT_TRUE(r.profile.empty());
  EXPECT_EQ(r.bad, 3u);
  EXPECT_NE(r.diagnostics.find("nameattr.txt:1: the count 'hreflang=\"en-us\"' is not"),
            std::string::npos);
}

// "stack BEFORE AFTER": AFTER is the weight, BEFORE the "before" column in the same unit; a
// sorted two-column file is written back byte for byte, and identical stacks add both columns.
TEST(FoldedReader, TwoColumnInputIsReadAndWrittenBackUnchanged) {
  const std::string text =
      "# countname: us\n"
      "main;parse 10 12\n"
      "main;parse;memcpy 0.5 0\n"
      "main;work 3 7\n";
  ReadResult r = read_text(text);
  EXPECT_EQ(r.bad, 0u);
  const std::optional<size_t> before = r.profile.find_column(profile::kBeforeColumn);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(r.profile.column(*before).unit, "us");
  ASSERT_EQ(r.profile.stack_count(), 3u);
  EXPECT_EQ(r.profile.value(*before, 0).to_string(), "10");
  EXPECT_EQ(r.profile.value(*before, 1).to_string(), "0.5");
  EXPECT_EQ(r.profile.value(*before, 2).to_string(), "3");
  EXPECT_EQ(r.profile.total().to_string(), "19");
  std::ostringstream out;
  formats::FoldedWriter{.write_metadata = true}.write(r.profile, out);
  EXPECT_EQ(out.str(), text);

  ReadResult twice = read_text("main;work 3 7\nmain;work 1 2\n");
  EXPECT_EQ(folded(twice.profile), "main;work 4 9\n");
}

TEST(FoldedReader, CrlfBlankLinesCommentsAndTabs) {
  ReadResult r = read_text(
      "# measured: cpu\r\n# countname: us\r\n# frequency: 99 Hz\r\n# duration: 2.5 s\r\n"
      "# lost: 7 samples\r\n\r\n   \r\nmain;foo 3\r\n\tmain;bar\t2 \r\n#main;baz 100\r\n");
  EXPECT_EQ(r.bad, 0u) << r.diagnostics;
  ASSERT_EQ(r.profile.stack_count(), 2u);
  EXPECT_EQ(names_of(r.profile, 0), (std::vector<std::string>{"main", "foo"}));
  EXPECT_EQ(names_of(r.profile, 1), (std::vector<std::string>{"main", "bar"}));
  EXPECT_EQ(r.profile.total().to_string(), "5");
  EXPECT_EQ(r.profile.metadata.measured, "cpu");
  EXPECT_EQ(r.profile.metadata.count_name, "us");
  EXPECT_EQ(r.profile.metadata.frequency_hz, 99.0);
  EXPECT_EQ(r.profile.metadata.duration_s, 2.5);
  EXPECT_EQ(r.profile.metadata.lost_samples, 7u);
}

TEST(FoldedReader, BadLinesAreCountedWithReasons) {
  ReadResult r = read_text("a;b 1\nno_count_here\na;b -3\n 5\na;b 1e5\na;b 2\n");
  EXPECT_EQ(r.profile.stack_count(), 2u);
  EXPECT_EQ(r.bad, 4u);
  EXPECT_NE(r.diagnostics.find("test.folded:2: no count"), std::string::npos) << r.diagnostics;
  EXPECT_NE(r.diagnostics.find("test.folded:3: the count '-3'"), std::string::npos);
  EXPECT_NE(r.diagnostics.find("test.folded:4: "), std::string::npos);
  EXPECT_NE(r.diagnostics.find("test.folded:5: the count '1e5'"), std::string::npos);
}

TEST(FoldedReader, WeightsUpTo2Pow63DoNotOverflow) {
  ReadResult r =
      read_text("a;b 9223372036854775808\na;c 9223372036854775808\na 9223372036854775807\n");
  EXPECT_EQ(r.bad, 0u);
  EXPECT_EQ(r.profile.total().to_string(), "27670116110564327423");  // 3 * 2^63 - 1
  flamegraph::FrameTree tree = flamegraph::FrameTree::build(r.profile);
  EXPECT_EQ(tree.weight(tree.find_child(0, "a")).to_string(), "27670116110564327423");
}

// Consecutive lines reuse the frames of the shared byte prefix; names that only share bytes
// (foo / foo.isra.0 / food) must still be told apart.
TEST(FoldedReader, SharedPrefixesStillSplitFramesExactly) {
  ReadResult r = read_text(
      "main;foo 1\nmain;foo.isra.0;x 1\nmain;foo;y 1\nmain;food 1\nmain;foo 1\nmain 1\n"
      "main;foo;y;z 1\nmain;;y 1\n");
  ASSERT_EQ(r.profile.stack_count(), 8u);
  using V = std::vector<std::string>;
  EXPECT_EQ(names_of(r.profile, 0), (V{"main", "foo"}));
  EXPECT_EQ(names_of(r.profile, 1), (V{"main", "foo.isra.0", "x"}));
  EXPECT_EQ(names_of(r.profile, 2), (V{"main", "foo", "y"}));
  EXPECT_EQ(names_of(r.profile, 3), (V{"main", "food"}));
  EXPECT_EQ(names_of(r.profile, 4), (V{"main", "foo"}));
  EXPECT_EQ(names_of(r.profile, 5), (V{"main"}));
  EXPECT_EQ(names_of(r.profile, 6), (V{"main", "foo", "y", "z"}));
  EXPECT_EQ(names_of(r.profile, 7), (V{"main", "", "y"}));
}

// kiln names a function of a stripped binary "[module]+0xSTART": an ordinary name (only `;` and
// the trailing count are special), kept apart from its module's other functions, not annotated.
TEST(FoldedReader, UnnamedFunctionFramesAreOrdinaryNames) {
  const std::string text =
      "xz;main;[liblzma.so.5.4.1] 3\nxz;main;[liblzma.so.5.4.1]+0x15ae0 258\n"
      "xz;main;[liblzma.so.5.4.1]+0x15cf0 295\n";
  ReadResult r = read_text(text);
  EXPECT_EQ(r.bad, 0u) << r.diagnostics;
  ASSERT_EQ(r.profile.stack_count(), 3u);
  using V = std::vector<std::string>;
  EXPECT_EQ(names_of(r.profile, 0), (V{"xz", "main", "[liblzma.so.5.4.1]"}));
  EXPECT_EQ(names_of(r.profile, 1), (V{"xz", "main", "[liblzma.so.5.4.1]+0x15ae0"}));
  EXPECT_EQ(names_of(r.profile, 2), (V{"xz", "main", "[liblzma.so.5.4.1]+0x15cf0"}));
  const profile::FrameId unnamed = r.profile.frames(1).back();
  EXPECT_EQ(r.profile.kind(unnamed), profile::FrameKind::kUnknown);
  EXPECT_EQ(r.profile.label(unnamed), "[liblzma.so.5.4.1]+0x15ae0");
  EXPECT_EQ(folded(r.profile), text);  // written back as read
}

// An empty frame name as the first name a profile sees (";a 5", "; 5") crashed the reader.
TEST(FoldedReader, EmptyFrameNameFirstInTheProfile) {
  ReadResult r = read_text(";a 5\n; 2\n;;; 1\n");
  EXPECT_EQ(r.bad, 0u) << r.diagnostics;
  ASSERT_EQ(r.profile.stack_count(), 3u);
  using V = std::vector<std::string>;
  EXPECT_EQ(names_of(r.profile, 0), (V{"", "a"}));
  EXPECT_EQ(names_of(r.profile, 1), (V{"", ""}));
  EXPECT_EQ(r.profile.total().to_string(), "8");
}

// An endless line (/dev/zero, a binary file without newlines) used to grow the read buffer
// until the allocation failed and kiln aborted; it is an input error naming the file and line.
TEST(FoldedReader, EndlessLineIsAnErrorNotACrash) {
  profile::Profile p;
  std::ostringstream diag;
  formats::FoldedReader reader(p, &diag);
  EXPECT_FALSE(reader.read_file("/dev/zero"));
  EXPECT_NE(reader.error().find("/dev/zero:1: "), std::string::npos) << reader.error();
  EXPECT_NE(reader.error().find("longer than"), std::string::npos) << reader.error();
}

TEST(FoldedReader, MissingFileIsAnErrorNamingTheFile) {
  profile::Profile p;
  std::ostringstream diag;
  formats::FoldedReader reader(p, &diag);
  EXPECT_FALSE(reader.read_file("/nonexistent/kiln.folded"));
  EXPECT_NE(reader.error().find("/nonexistent/kiln.folded: cannot open"), std::string::npos);
}

TEST(FoldedReader, LinesLongerThanTheReadBufferAndNoFinalNewline) {
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "frame_number_" + std::to_string(i) + ';';
  deep += "leaf 5\nmain;x 2";  // > 3 MB line, then a last line without newline
  fs::path path =
      fs::temp_directory_path() / ("kiln_long_line_" + std::to_string(getpid()) + ".folded");
  std::ofstream(path) << deep;
  ReadResult r = read_files({path});
  fs::remove(path);
  ASSERT_EQ(r.profile.stack_count(), 2u);
  EXPECT_EQ(r.profile.frames(0).size(), 200001u);
  EXPECT_EQ(r.profile.total().to_string(), "7");
}

// The annotations of folded text are read into kinds and written back from them: a file with
// every kind comes back byte for byte, and each frame has the kind its annotation says.
TEST(FoldedReader, AnnotationsBecomeKindsAndAreWrittenBackUnchanged) {
  const std::string text =
      "java;Interpreter_[j];hash_[i] 2\n"
      "java;[unknown];[libjvm.so]+0x1f00 1\n"
      "java;main;read;vfs_read_[k] 5\n"
      "java;main;sleep;-;waker_[w] 3\n";
  ReadResult r = read_text(text);
  EXPECT_EQ(r.bad, 0u) << r.diagnostics;
  EXPECT_EQ(folded(r.profile), text);
  using profile::FrameKind;
  const auto kind_of = [&](std::string_view name) {
    const std::optional<profile::FrameId> id = r.profile.find(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? r.profile.kind(*id) : FrameKind::kUser;
  };
  EXPECT_EQ(kind_of("Interpreter_[j]"), FrameKind::kJit);
  EXPECT_EQ(kind_of("hash_[i]"), FrameKind::kInlined);
  EXPECT_EQ(kind_of("vfs_read_[k]"), FrameKind::kKernel);
  EXPECT_EQ(kind_of("waker_[w]"), FrameKind::kWakeup);
  EXPECT_EQ(kind_of("[unknown]"), FrameKind::kUnknown);
  EXPECT_EQ(kind_of("[libjvm.so]+0x1f00"), FrameKind::kUnknown);
  EXPECT_EQ(kind_of("read"), FrameKind::kUser);
}

// Runs the real `kiln render` binary and checks what a user sees: exit codes, messages, files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const fs::path kInferno = fs::path(KILN_SHARED_TESTDATA) / "inferno" / "flamegraph";

struct KilnRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

KilnRun kiln(const std::string& args) {
  std::string command = std::string(KILN_BINARY) + " render " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class RenderCli : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("kiln_render_cli_" + std::to_string(getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

}  // namespace

TEST_F(RenderCli, WritesTheSvgAndSkipsBadLinesWithTheirLineNumbers) {
  fs::path out = dir / "bad.svg";
  KilnRun r = kiln((kInferno / "bad-lines" / "bad-lines.txt").string() + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("bad-lines.txt:3: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad-lines.txt:6: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 line(s) could not be read"), std::string::npos);
  EXPECT_NE(r.output.find("wrote " + out.string() + " (7 stacks, 20 frames, 607 samples)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(slurp(out).find("total=\"607\""), std::string::npos);
}

TEST_F(RenderCli, StrictTurnsBadLinesIntoExit1AndWritesNothing) {
  fs::path out = dir / "strict.svg";
  KilnRun r = kiln("--strict " + (kInferno / "bad-lines" / "bad-lines.txt").string() + " -o " +
                   out.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--strict"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RenderCli, EmptyInputIsAnErrorNotAnEmptyPicture) {
  KilnRun r = kiln((kInferno / "empty" / "empty.txt").string() + " -o " + (dir / "e.svg").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no stacks in the input"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("empty.txt"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "e.svg"));
}

// `kiln record` of a program that only sleeps writes a folded file with its headers and no
// stack, and an SVG that says it is empty; render agrees (it used to exit 1 on that file).
TEST_F(RenderCli, ARecordingWithoutSamplesIsDrawnAsEmptyWithAWarning) {
  const fs::path folded = dir / "idle.folded", out = dir / "idle.svg";
  std::ofstream(folded) << "# measured: cpu\n# countname: samples\n# frequency: 99 Hz\n"
                           "# duration: 1.01 s\n# lost: 3 samples\n";
  KilnRun r = kiln(folded.string() + " -o " + out.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: no stacks in " + folded.string() +
                          ": a recording of 0 samples (3 lost); the graph says it is empty"),
            std::string::npos)
      << r.output;
  EXPECT_NE(slurp(out).find(">Empty profile: nothing was recorded (0 samples)</text>"),
            std::string::npos);

  // Headers and nothing readable: not an empty recording but a broken file.
  std::ofstream(folded) << "# measured: cpu\nmain;work many\n";
  r = kiln(folded.string() + " -o " + (dir / "bad.svg").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no stacks in the input"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "bad.svg"));
}

TEST_F(RenderCli, MissingFileAndBadOptionsAreUsageErrors) {
  KilnRun missing = kiln("/nonexistent.folded -o " + (dir / "m.svg").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("/nonexistent.folded: cannot open"), std::string::npos);
  std::string input = (kInferno / "base" / "flames.txt").string();
  EXPECT_EQ(kiln(input + " --palette rainbow -o " + (dir / "p.svg").string()).exit_code, 1);
  EXPECT_EQ(kiln(input + " --minwidth wide -o " + (dir / "w.svg").string()).exit_code, 1);
  EXPECT_EQ(kiln(input + " --sort random -o " + (dir / "s.svg").string()).exit_code, 1);
}

TEST_F(RenderCli, SeveralInputsMergeAndStdoutWorks) {
  std::string one =
      (kInferno / "multiple-inputs" / "perf-vertx-stacks-01-collapsed-all-unsorted-1.txt").string();
  std::string two =
      (kInferno / "multiple-inputs" / "perf-vertx-stacks-01-collapsed-all-unsorted-2.txt").string();
  std::string all =
      (kInferno / "unsorted-input" / "perf-vertx-stacks-01-collapsed-all-unsorted.txt").string();
  KilnRun merged = kiln(one + " " + two + " -o -");
  KilnRun single = kiln("- -o - < " + all);
  EXPECT_EQ(merged.exit_code, 0);
  EXPECT_EQ(merged.output, single.output);  // same bytes: merge is order-independent
  EXPECT_EQ(merged.output.rfind("<?xml", 0), 0u);
}

TEST_F(RenderCli, OptionsReachThePicture) {
  fs::path out = dir / "o.svg";
  std::string input = (kInferno / "base" / "flames.txt").string();
  KilnRun r = kiln(input +
                   " --icicle --title 'My <title>' --subtitle sub --countname us --width 800 "
                   "--height 20 --minwidth 0.5% --palette blue -o " +
                   out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string svg = slurp(out);
  EXPECT_NE(svg.find(">My &lt;title&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">sub</text>"), std::string::npos);
  EXPECT_NE(svg.find("countname=\"us\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"800\""), std::string::npos);
  EXPECT_NE(svg.find("frameheight=\"20\""), std::string::npos);
  EXPECT_NE(svg.find("icicle=\"1\""), std::string::npos);
  EXPECT_NE(svg.find("minwidth=\"4\""), std::string::npos);  // 0.5% of 800 px
}

TEST_F(RenderCli, PaletteFileKeepsColorsBetweenGraphs) {
  fs::path map = dir / "palette.map";
  std::string input = (kInferno / "base" / "flames.txt").string();
  ASSERT_EQ(
      kiln(input + " --palette-file " + map.string() + " -o " + (dir / "a.svg").string()).exit_code,
      0);
  std::string saved = slurp(map);
  EXPECT_NE(saved.find("GraphQL->rgb("), std::string::npos);
  // A second graph with another palette reuses the saved colors.
  ASSERT_EQ(kiln(input + " --palette green --palette-file " + map.string() + " -o " +
                 (dir / "b.svg").string())
                .exit_code,
            0);
  std::string a = slurp(dir / "a.svg"), b = slurp(dir / "b.svg");
  EXPECT_EQ(a, b);
  EXPECT_EQ(slurp(map), saved);
}

TEST_F(RenderCli, HelpHasExamples) {
  KilnRun r = kiln("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("Examples:"), std::string::npos);
  EXPECT_NE(r.output.find("--flamechart"), std::string::npos);
}

// JIT frames from perf maps, for real: Node.js with --perf-basic-prof writes
// /tmp/perf-PID.map while it compiles; kiln finds it through /proc/PID/root and NSpid and
// re-reads it as it grows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "process/process.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/symbolizer/sample_process.h"

namespace kiln::symbolizer {
namespace {

// The start and size of the perf map entry naming `function` (the last one: the optimized code).
bool perf_map_entry(const std::string& path, const std::string& function, uint64_t* start,
                    uint64_t* size) {
  std::ifstream map(path);
  bool found = false;
  for (std::string line; std::getline(map, line);) {
    if (line.find(function) == std::string::npos) continue;
    std::istringstream words(line);
    std::string s, n;
    words >> s >> n;
    *start = std::stoull(s, nullptr, 16);
    *size = std::stoull(n, nullptr, 16);
    found = true;
  }
  return found;
}

TEST(JitPerfMap, NodeFunctionsAreNamed) {
  if (test::run_command("command -v node").empty()) GTEST_SKIP() << "node is not installed";
  char directory[] = "/tmp/kiln-node-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  Symbolizer symbolizer;
  // Snapshot as soon as node runs, before the hot function is compiled: the map grows later.
  test::SampleProcess node(
      {"node", "--perf-basic-prof",
       KILN_SOURCE_DIR "/tests/unit/symbolizer/programs/jit_sample.js"},
      [&](pid_t pid) {
        for (int i = 0;
             i < 200 && access(("/tmp/perf-" + std::to_string(pid) + ".map").c_str(), R_OK) != 0;
             ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        symbolizer.processes().snapshot(pid);
      },
      directory);  // node writes an isolate-*.log into its working directory
  pid_t pid = node.pid();
  uint64_t start = 0, size = 0;
  ASSERT_TRUE(
      perf_map_entry("/tmp/perf-" + std::to_string(pid) + ".map", "hotLoopForKiln", &start, &size));
  auto frames = symbolizer.symbolize_user(node.pid(), start + size / 2);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("hotLoopForKiln"), std::string::npos) << frames[0].function;
  EXPECT_NE(frames[0].function.find("jit_sample.js"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[0].kind, FrameKind::kJit);
  EXPECT_EQ(frames[0].module, "perf-" + std::to_string(node.pid()) + ".map");

  // node's own C++ code is named from its binary, not the perf map.
  std::ifstream maps("/proc/" + std::to_string(node.pid()) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("r-xp") == std::string::npos || !line.ends_with("/node")) continue;
    uint64_t code = std::stoull(line.substr(0, line.find('-')), nullptr, 16) + 0x1000;
    EXPECT_EQ(symbolizer.symbolize_user(node.pid(), code).back().module, "node");
    break;
  }
  node.stop();
  unlink(("/tmp/perf-" + std::to_string(pid) + ".map").c_str());
  std::filesystem::remove_all(directory);
}

// A "container": node in its own pid namespace (it is pid 1 there) with a private /tmp, so its
// perf map is /tmp/perf-1.map inside and reachable from here only as
// /proc/PID/root/tmp/perf-1.map. The script is copied into the private /tmp through a file
// descriptor opened before the mount, so the checkout may be anywhere, /tmp included.
TEST(JitPerfMap, NodeInOtherPidAndMountNamespaces) {
  if (test::run_command("command -v node").empty()) GTEST_SKIP() << "node is not installed";
  if (test::run_command("unshare --pid --fork --mount-proc --mount true && echo ok") != "ok\n") {
    GTEST_SKIP() << "cannot create namespaces here (needs root)";
  }
  const std::string script = KILN_SOURCE_DIR "/tests/unit/symbolizer/programs/jit_sample.js";
  // stderr goes to the pipe the test reads, so why node did not start is in output().
  test::SampleProcess container(
      {"unshare", "--pid", "--fork", "--mount-proc", "--mount", "sh", "-c",
       "exec 2>&1 && exec 3<\"$0\" && mount -t tmpfs tmpfs /tmp && cd /tmp && "
       "cat <&3 >jit_sample.js && exec 3<&- && exec node --perf-basic-prof jit_sample.js",
       script},
      [](pid_t) {});
  ASSERT_TRUE(container.ready()) << "node did not start in the namespaces; it printed:\n"
                                 << container.output();
  // unshare forks node: its only child.
  std::string children;
  std::ifstream(("/proc/" + std::to_string(container.pid()) + "/task/" +
                 std::to_string(container.pid()) + "/children")) >>
      children;
  ASSERT_FALSE(children.empty()) << "unshare (pid " << container.pid() << ") has no child";
  pid_t node = std::stoi(children);
  std::string map = "/proc/" + std::to_string(node) + "/root/tmp/perf-1.map";
  ASSERT_FALSE(std::filesystem::exists("/tmp/perf-" + std::to_string(node) + ".map"));
  uint64_t start = 0, size = 0;
  ASSERT_TRUE(perf_map_entry(map, "hotLoopForKiln", &start, &size)) << map;

  Symbolizer symbolizer;
  auto frames = symbolizer.symbolize_user(node, start + size / 2);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("hotLoopForKiln"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[0].kind, FrameKind::kJit);
}

}  // namespace
}  // namespace kiln::symbolizer

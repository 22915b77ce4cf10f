// The debuginfod client without a server (the tests of a real server are debuginfod_cli and
// integration_debuginfod_*, which need the kiln executable): a refused connection on 127.0.0.1
// (nothing leaves the machine) is counted as failed with its reason once, the next binary is
// not asked, and nothing is asked unless the Symbolizer's options say so.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "symbolizer/symbolizer.h"

namespace kiln::symbolizer {
namespace {

const std::string kDir = KILN_SAMPLE_DIR;

// Sets the environment of the test and restores it afterwards.
class DebuginfodEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames) {
      const char* value = getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    cache_ = std::filesystem::temp_directory_path() /
             ("kiln-debuginfod-test-" + std::to_string(getpid()));
    // Port 1 on the loopback interface: nothing listens there, so the connection is refused.
    setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1", 1);
    setenv("DEBUGINFOD_CACHE_PATH", cache_.c_str(), 1);
    unsetenv("DEBUGINFOD_TIMEOUT");
    unsetenv("DEBUGINFOD_RETRY_LIMIT");
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name, value->c_str(), 1);
      } else {
        unsetenv(name);
      }
    }
    std::filesystem::remove_all(cache_);
  }

  static constexpr const char* kNames[] = {"DEBUGINFOD_URLS", "DEBUGINFOD_CACHE_PATH",
                                           "DEBUGINFOD_TIMEOUT", "DEBUGINFOD_RETRY_LIMIT"};
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
  std::filesystem::path cache_;
};

std::string first_function(Symbolizer& symbolizer, const std::string& name) {
  return symbolizer.symbolize_file(kDir + "/" + name, 0x1000, AddressKind::kVirtualAddress)
      .front()
      .function;
}

TEST_F(DebuginfodEnvironment, RefusedConnectionFailsOnceForTheRun) {
  Symbolizer::Options options;
  options.debuginfod = true;
  Symbolizer symbolizer(options);
  // Two stripped binaries without a local debug file.
  EXPECT_TRUE(first_function(symbolizer, "stripped_unnamed").starts_with("[stripped_unnamed]"));
  EXPECT_TRUE(
      first_function(symbolizer, "stripped_debug_frame").starts_with("[stripped_debug_frame]"));
  const Stats stats = symbolizer.stats();
  EXPECT_EQ(stats.debuginfod.failed, 2u);
  EXPECT_EQ(stats.debuginfod.fetched + stats.debuginfod.cached + stats.debuginfod.missing, 0u);
  ASSERT_EQ(stats.messages.size(), 1u);
  EXPECT_NE(stats.messages[0].find("Connection refused"), std::string::npos) << stats.messages[0];
  EXPECT_NE(stats.messages[0].find("stripped_unnamed"), std::string::npos) << stats.messages[0];
  EXPECT_NE(stats.messages[0].find("DEBUGINFOD_TIMEOUT=10 by kiln's default"), std::string::npos)
      << stats.messages[0];
  EXPECT_EQ(
      describe_debuginfod(stats.debuginfod)
          .rfind("debuginfod: 0 debug files fetched, 0 from the cache, 0 missing, 2 failed (", 0),
      0u)
      << describe_debuginfod(stats.debuginfod);
  // kiln's defaults were in force only during the request.
  EXPECT_EQ(getenv("DEBUGINFOD_TIMEOUT"), nullptr);
  EXPECT_EQ(getenv("DEBUGINFOD_RETRY_LIMIT"), nullptr);
}

TEST_F(DebuginfodEnvironment, UsersSettingsAreNamedAndKept) {
  setenv("DEBUGINFOD_TIMEOUT", "3", 1);
  Symbolizer::Options options;
  options.debuginfod = true;
  Symbolizer symbolizer(options);
  first_function(symbolizer, "stripped_unnamed");
  const Stats stats = symbolizer.stats();
  ASSERT_EQ(stats.messages.size(), 1u);
  EXPECT_NE(stats.messages[0].find("(DEBUGINFOD_TIMEOUT=3; DEBUGINFOD_RETRY_LIMIT=0 by kiln's"),
            std::string::npos)
      << stats.messages[0];
  EXPECT_STREQ(getenv("DEBUGINFOD_TIMEOUT"), "3");
}

TEST_F(DebuginfodEnvironment, NothingIsAskedUnlessEnabled) {
  Symbolizer symbolizer;  // options.debuginfod is false by default
  first_function(symbolizer, "stripped_unnamed");
  const Stats stats = symbolizer.stats();
  EXPECT_EQ(stats.debuginfod.asked(), 0u);
  EXPECT_TRUE(stats.messages.empty());
  EXPECT_EQ(describe_debuginfod(stats.debuginfod), "");
  EXPECT_FALSE(std::filesystem::exists(cache_));
}

}  // namespace
}  // namespace kiln::symbolizer

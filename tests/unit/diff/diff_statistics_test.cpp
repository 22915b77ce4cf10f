// Proves the statistics of the `kiln diff` gate: unchanged workloads pass it at a rate of at
// least 1 - alpha, a real +5 point regression fails it and is named, tiny profiles never fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "folded_counts_diff.h"
#include "synthetic_profiles.h"

namespace kiln::diff {
namespace {

using test::draw_profile;
using test::SeededGenerator;
using test::StackDistribution;

// A small service: parsing, rendering, I/O in the kernel, and a shared allocator.
const StackDistribution kWorkload = {
    {"app;main;parse;tokenize", 0.20}, {"app;main;parse;alloc", 0.10},
    {"app;main;render;draw", 0.25},    {"app;main;render;alloc", 0.10},
    {"app;main;io;read_[k]", 0.15},    {"app;main;compute", 0.20},
};

const std::vector<GateRule> kStrictestGate = {{GateRule::Share::kTotal, 0},
                                              {GateRule::Share::kSelf, 0}};

std::vector<std::string> failing_functions(const DiffReport& report,
                                           std::span<const GateRule> rules) {
  std::vector<std::string> names;
  for (const GateFailure& failure : evaluate_gate(report, rules)) {
    names.push_back(failure.function->name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// The report on `samples` draws from kWorkload (BEFORE) and as many from `regressed` (AFTER).
DiffReport diff_against_workload(const StackDistribution& regressed, int samples,
                                 SeededGenerator& generator) {
  const auto before = draw_profile(kWorkload, samples, generator);
  const auto after = draw_profile(regressed, samples, generator);
  return diff_folded_counts(before, after, {});
}

// Same distribution, many seeds, profiles of different lengths, and the strictest gate (any
// significant growth at all): the gate must pass at a rate of at least 1 - alpha.
void expect_false_alarm_rate_below_alpha(double alpha, int min_samples, int max_samples) {
  constexpr int kRuns = 1000;
  DiffOptions options;
  options.alpha = alpha;
  int failed_runs = 0;
  std::size_t tests = 0;
  for (int seed = 1; seed <= kRuns; ++seed) {
    SeededGenerator generator(static_cast<std::uint64_t>(seed));
    const auto span = static_cast<std::uint64_t>(max_samples - min_samples);
    const int before_samples = min_samples + static_cast<int>(generator.next() % span);
    const int after_samples = min_samples + static_cast<int>(generator.next() % span);
    const auto before = draw_profile(kWorkload, before_samples, generator);
    const auto after = draw_profile(kWorkload, after_samples, generator);
    const DiffReport report = diff_folded_counts(before, after, options);
    tests = std::max(tests, report.tests);
    if (!evaluate_gate(report, kStrictestGate).empty()) ++failed_runs;
  }
  EXPECT_GT(tests, 10u) << "the functions were actually tested";
  ::testing::Test::RecordProperty("false_alarms_at_alpha_" + std::to_string(alpha), failed_runs);
  EXPECT_LE(failed_runs, alpha * kRuns)
      << failed_runs << " of " << kRuns << " unchanged runs failed the gate at alpha " << alpha;
}

TEST(DiffStatistics, SameDistributionPassesAtRateOneMinusAlpha) {
  expect_false_alarm_rate_below_alpha(0.01, 2000, 20000);
}

TEST(DiffStatistics, SameDistributionPassesAtRateOneMinusAlphaForLooseAlpha) {
  expect_false_alarm_rate_below_alpha(0.05, 2000, 20000);
}

TEST(DiffStatistics, SameDistributionSmallProfilesPassAtRateOneMinusAlpha) {
  // 100-500 samples (1-5 s at 99 Hz): where the normal approximation is weakest.
  expect_false_alarm_rate_below_alpha(0.01, 100, 500);
  expect_false_alarm_rate_below_alpha(0.05, 100, 500);
}

TEST(DiffStatistics, FivePointGrowthWithTenThousandSamplesFailsAndIsNamed) {
  const StackDistribution regressed = test::with_growth(kWorkload, "app;main;parse;tokenize", 5);
  const std::vector<GateRule> gate = {{GateRule::Share::kTotal, 2}};
  for (int seed = 1; seed <= 50; ++seed) {
    SeededGenerator generator(static_cast<std::uint64_t>(seed) * 7919);
    const DiffReport report = diff_against_workload(regressed, 10000, generator);
    const auto names = failing_functions(report, gate);
    // tokenize grew by 5 points, and so did its caller parse (whose total contains it).
    EXPECT_EQ(names, (std::vector<std::string>{"parse", "tokenize"})) << "seed " << seed;
  }
}

TEST(DiffStatistics, SelfGrowthFailsTheSelfGate) {
  const StackDistribution regressed = test::with_growth(kWorkload, "app;main;render;alloc", 5);
  SeededGenerator generator(42);
  const DiffReport report = diff_against_workload(regressed, 10000, generator);
  const std::vector<GateRule> gate = {{GateRule::Share::kSelf, 2}};
  EXPECT_EQ(failing_functions(report, gate), std::vector<std::string>{"alloc"});
}

TEST(DiffStatistics, GrowthBelowThresholdPasses) {
  const StackDistribution regressed = test::with_growth(kWorkload, "app;main;compute", 1);
  SeededGenerator generator(7);
  const DiffReport report = diff_against_workload(regressed, 100000, generator);
  const std::vector<GateRule> gate = {{GateRule::Share::kTotal, 3}};
  EXPECT_TRUE(failing_functions(report, gate).empty());
  // ...although the 1 point growth itself is significant with 100k samples.
  const std::vector<GateRule> any_growth = {{GateRule::Share::kTotal, 0}};
  EXPECT_EQ(failing_functions(report, any_growth), std::vector<std::string>{"compute"});
}

TEST(DiffStatistics, TinyProfileNeverFailsEvenWhenEverythingMoved) {
  // Every size below the minimum, and the most extreme move possible: all samples switch from
  // one function to another.
  for (int samples = 1; samples < 100; ++samples) {
    const std::map<std::string, double> before = {{"app;main;old_path", samples}};
    const std::map<std::string, double> after = {{"app;main;new_path", samples}};
    const DiffReport report = diff_folded_counts(before, after, {});
    EXPECT_TRUE(failing_functions(report, kStrictestGate).empty()) << samples << " samples";
    EXPECT_EQ(report.tests, 0u);
    EXPECT_EQ(report.untested.reason, Untested::Reason::kTooFewSamples);
    EXPECT_EQ(to_string(report.untested), "before.folded has " + std::to_string(samples) +
                                              " samples; at least 100 are needed to test a change");
  }
}

TEST(DiffStatistics, TinyProfilesRandomNeverFail) {
  for (int seed = 1; seed <= 500; ++seed) {
    SeededGenerator generator(static_cast<std::uint64_t>(seed));
    const StackDistribution skewed = test::with_growth(kWorkload, "app;main;compute", 60);
    const auto before =
        draw_profile(kWorkload, 1 + static_cast<int>(generator.next() % 99), generator);
    const auto after = draw_profile(skewed, 1 + static_cast<int>(generator.next() % 99), generator);
    EXPECT_TRUE(failing_functions(diff_folded_counts(before, after, {}), kStrictestGate).empty())
        << "seed " << seed;
  }
}

TEST(DiffStatistics, CochranRuleHoldsWithoutTheMinimum) {
  // Even with --min-samples 0, fewer than 10 samples per profile cannot make an expected count
  // of 5 in every cell, so nothing is tested.
  DiffOptions options;
  options.min_samples = 0;
  for (int samples = 1; samples < 10; ++samples) {
    const DiffReport report =
        diff_folded_counts({{"a;old", samples}}, {{"a;new", samples}}, options);
    EXPECT_EQ(report.tests, 0u) << samples;
    EXPECT_TRUE(failing_functions(report, kStrictestGate).empty());
  }
}

}  // namespace
}  // namespace kiln::diff

// What a user reads in the `kiln diff` report: per-function weights and shares, the changes in
// points, what is tested and why not, the gate rules, and the three report formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "folded_counts_diff.h"

namespace kiln::diff {
namespace {

const FunctionChange& find_function(const DiffReport& report, const std::string& name) {
  for (const FunctionChange& c : report.functions) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no function " + name + " in the report");
}

bool has_function(const DiffReport& report, const std::string& name) {
  for (const FunctionChange& c : report.functions) {
    if (c.name == name) return true;
  }
  return false;
}

// 1000 samples before, 2000 after: shares, not raw weights, are compared by default.
const std::map<std::string, double> kBefore = {
    {"app;main;parse;parse;lex", 300},  // recursion: parse counts once per stack
    {"app;main;parse", 100},
    {"app;main;draw", 500},
    {"app;main;legacy", 100},
};
const std::map<std::string, double> kAfter = {
    {"app;main;parse;parse;lex", 1000},
    {"app;main;parse", 200},
    {"app;main;draw", 800},
};

TEST(DiffReport, TotalAndSelfSharesPerFunction) {
  const DiffReport report = diff_folded_counts(kBefore, kAfter, {});
  EXPECT_DOUBLE_EQ(report.before.total, 1000);
  EXPECT_DOUBLE_EQ(report.after.total, 2000);
  const FunctionChange& parse = find_function(report, "parse");
  EXPECT_DOUBLE_EQ(parse.total.before, 400);
  EXPECT_DOUBLE_EQ(parse.self.before, 100);
  EXPECT_DOUBLE_EQ(parse.total.before_percent, 40);
  EXPECT_DOUBLE_EQ(parse.total.after_percent, 60);
  EXPECT_DOUBLE_EQ(parse.total.change_points, 20);
  EXPECT_DOUBLE_EQ(parse.self.change_points, 0);  // 10% of each
  const FunctionChange& lex = find_function(report, "lex");
  EXPECT_DOUBLE_EQ(lex.self.change_points, 20);  // 30% -> 50%
  EXPECT_TRUE(lex.self.significant);
  const FunctionChange& draw = find_function(report, "draw");
  EXPECT_DOUBLE_EQ(draw.total.change_points, -10);
  // Largest change of total share first (parse and lex both +20).
  EXPECT_NEAR(report.functions.front().total.change_points, 20, 1e-9);
}

TEST(DiffReport, FunctionOnlyInBeforeIsReported) {
  const DiffReport report = diff_folded_counts(kBefore, kAfter, {});
  const FunctionChange& legacy = find_function(report, "legacy");
  EXPECT_DOUBLE_EQ(legacy.total.before_percent, 10);
  EXPECT_DOUBLE_EQ(legacy.total.after, 0);
  std::ostringstream text;
  write_diff_text(text, report, {}, 10);
  const std::string out = text.str();
  const auto section = out.find("Only in BEFORE");
  ASSERT_NE(section, std::string::npos) << out;
  EXPECT_NE(out.find("10.00% total, 100 samples  legacy", section), std::string::npos) << out;
}

TEST(DiffReport, NoNormalizeComparesRawWeightsAgainstBeforeTotal) {
  DiffOptions options;
  options.normalize = false;
  const DiffReport report = diff_folded_counts(kBefore, kAfter, options);
  const FunctionChange& draw = find_function(report, "draw");
  EXPECT_DOUBLE_EQ(draw.total.before_percent, 50);
  EXPECT_DOUBLE_EQ(draw.total.after_percent, 80);  // 800 of BEFORE's 1000
  EXPECT_DOUBLE_EQ(draw.total.change_points, 30);  // whereas its share shrank from 50% to 40%
  EXPECT_TRUE(draw.total.significant);
  EXPECT_FALSE(report.normalized);
}

TEST(DiffReport, FocusAndIgnoreChooseTheFunctions) {
  DiffOptions options;
  options.considered = [](const std::string& name) { return name != "parse" && name != "app"; };
  const DiffReport report = diff_folded_counts(kBefore, kAfter, options);
  EXPECT_FALSE(has_function(report, "parse"));
  EXPECT_FALSE(has_function(report, "app"));
  EXPECT_TRUE(has_function(report, "lex"));
  const std::vector<GateRule> gate = {{GateRule::Share::kTotal, 1}};
  for (const GateFailure& f : evaluate_gate(report, gate)) EXPECT_NE(f.function->name, "parse");
  // Shares stay relative to the whole profile.
  EXPECT_DOUBLE_EQ(find_function(report, "lex").total.before_percent, 30);
}

TEST(DiffReport, FractionalWeightsAreNotTestedWithoutEffectiveSamples) {
  const DiffReport report =
      diff_folded_counts({{"a;x", 1000.5}, {"a;y", 1000}}, {{"a;x", 3000.25}, {"a;y", 1000}}, {});
  EXPECT_FALSE(report.before.sample_counts);
  EXPECT_EQ(report.tests, 0u);
  EXPECT_EQ(report.untested.reason, Untested::Reason::kNotSampleCounts);
  EXPECT_EQ(to_string(report.untested),
            "before.folded is not weighted by sample counts, so sampling noise cannot be "
            "estimated; pass --effective-samples N (e.g. the number of events)");
  EXPECT_FALSE(find_function(report, "x").total.significant);
  // The JSON report gives the message and its stable code.
  std::ostringstream json;
  write_diff_json(json, report, {});
  EXPECT_NE(json.str().find("\"untested_reason\": \"before.folded is not weighted by sample "
                            "counts"),
            std::string::npos)
      << json.str();
  EXPECT_NE(json.str().find("\"untested_code\": \"not_sample_counts\",\n"), std::string::npos)
      << json.str();

  DiffOptions options;
  options.effective_samples = 2000;
  const DiffReport tested = diff_folded_counts({{"a;x", 1000.5}, {"a;y", 1000}},
                                               {{"a;x", 3000.25}, {"a;y", 1000}}, options);
  EXPECT_GT(tested.tests, 0u);
  EXPECT_TRUE(find_function(tested, "x").total.significant);  // 50% -> 75% of 2000 samples
}

TEST(DiffReport, TimeWeightedProfileIsNotTestedAsSamples) {
  // 10 s of off-CPU time in microseconds; sleep goes from 50% to 70% of it.
  Profile before = profile_of({{"a;sleep", 5000000}, {"a;work", 5000000}});
  Profile after = profile_of({{"a;sleep", 7000000}, {"a;work", 3000000}});
  before.metadata.count_name = after.metadata.count_name = "us";
  const DiffReport report = diff_profiles(before, after, {});
  EXPECT_FALSE(report.before.sample_counts);
  EXPECT_EQ(report.tests, 0u);  // 10 s in microseconds is not 10M independent samples
  EXPECT_NE(to_string(report.untested).find("--effective-samples"), std::string::npos);
  // The report speaks in the files' unit: microseconds of time, not samples.
  std::ostringstream text;
  write_diff_text(text, report, GateResult{}, 10);
  EXPECT_NE(text.str().find("(10000000 us) -> AFTER"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("Total share (time with the function on the stack)"),
            std::string::npos);
  EXPECT_NE(text.str().find("before us        after us"), std::string::npos) << text.str();

  DiffOptions options;
  options.effective_samples = 500;  // e.g. 500 off-CPU events in each profile
  const DiffReport tested = diff_profiles(before, after, options);
  EXPECT_GT(tested.tests, 0u);
  EXPECT_TRUE(find_function(tested, "sleep").total.significant);  // 250 -> 350 of 500

  options.effective_samples = 50;  // below --min-samples: nothing is tested
  EXPECT_EQ(diff_profiles(before, after, options).tests, 0u);
}

TEST(DiffReport, LargeWeightsArePrintedInFullWithTheirUnit) {
  // A whole machine blocked for days, in microseconds: 11 and 17 digits, every one kept.
  Profile before = profile_of({{"a;sleep", 98765432109}, {"a;work", 1}});
  Profile after = profile_of({{"a;sleep", 12345678901234567}, {"a;work", 1}});
  before.metadata.count_name = after.metadata.count_name = "us";
  const DiffReport report = diff_profiles(before, after, {});
  std::ostringstream text, json;
  write_diff_text(text, report, GateResult{}, 10);
  write_diff_json(json, report, GateResult{});
  EXPECT_NE(text.str().find("(98765432110 us) -> AFTER"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("(12345678901234568 us)"), std::string::npos) << text.str();
  EXPECT_NE(json.str().find("\"total\": 98765432110, \"sample_counts\": false, \"unit\": \"us\"}"),
            std::string::npos)
      << json.str();
  EXPECT_NE(json.str().find("\"total\": 12345678901234568,"), std::string::npos) << json.str();
}

TEST(DiffReport, GateRuleParsing) {
  const GateRule total = parse_gate_rule("total:5");
  EXPECT_EQ(total.share, GateRule::Share::kTotal);
  EXPECT_DOUBLE_EQ(total.points, 5);
  const GateRule self = parse_gate_rule("self:0.5");
  EXPECT_EQ(self.share, GateRule::Share::kSelf);
  EXPECT_DOUBLE_EQ(self.points, 0.5);
  EXPECT_EQ(to_string(self), "self:0.5");
  for (const char* bad : {"", "total", "total:", "cpu:5", "total:-1", "total:5x", "self:nan"}) {
    EXPECT_THROW(parse_gate_rule(bad), std::invalid_argument) << bad;
  }
}

TEST(DiffReport, GateNeedsGrowthAboveThresholdAndSignificance) {
  // parse's and lex's total shares grew by 20 points (40% -> 60%, 30% -> 50%), draw's shrank.
  const DiffReport report = diff_folded_counts(kBefore, kAfter, {});
  EXPECT_TRUE(
      evaluate_gate(report, std::vector<GateRule>{{GateRule::Share::kTotal, 20.5}}).empty());
  const std::vector<GateRule> rules = {{GateRule::Share::kTotal, 19}};
  std::vector<std::string> named;
  for (const GateFailure& f : evaluate_gate(report, rules)) named.push_back(f.function->name);
  std::sort(named.begin(), named.end());
  EXPECT_EQ(named, (std::vector<std::string>{"lex", "parse"}));
}

TEST(DiffReport, TextMarkdownAndJsonAgree) {
  const DiffReport report = diff_folded_counts(kBefore, kAfter, {});
  const std::vector<GateRule> rules = {{GateRule::Share::kSelf, 15}};
  const GateResult gate{rules, evaluate_gate(report, rules)};
  ASSERT_EQ(gate.failures.size(), 1u);
  EXPECT_EQ(gate.failures[0].function->name, "lex");

  std::ostringstream text, markdown, json;
  write_diff_text(text, report, gate, 10);
  write_diff_markdown(markdown, report, gate, 10);
  write_diff_json(json, report, gate);
  EXPECT_NE(text.str().find("Gate self:15: FAILED\n  lex (self +20.00 points > self:15"),
            std::string::npos)
      << text.str();
  EXPECT_NE(markdown.str().find("**Gate `self:15`: FAILED**\n- `lex` (self +20.00 points"),
            std::string::npos)
      << markdown.str();
  EXPECT_NE(markdown.str().find("| `parse` | +20.00 | 40.00% | 60.00% | 400 | 1200 | yes p="),
            std::string::npos)
      << markdown.str();
  const std::string j = json.str();
  for (const char* key :
       {"\"format\": \"kiln-diff\"", "\"version\": 1",
        "\"before\": {\"file\": \"before.folded\", "
        "\"total\": 1000, \"sample_counts\": true, \"unit\": \"samples\"}",
        "\"normalized\": true", "\"alpha\": 0.01", "\"untested_reason\": null",
        "\"untested_code\": null",
        "{\"name\": \"parse\", \"before\": {\"total\": 400, \"self\": 100, \"total_percent\": 40, "
        "\"self_percent\": 10}, \"after\": {\"total\": 1200, \"self\": 200, \"total_percent\": "
        "60, \"self_percent\": 10}, \"total_change_points\": 20, \"self_change_points\": 0",
        "\"gate\": {\"rules\": [\"self:15\"], \"passed\": false, \"failures\": [\n    "
        "{\"function\": \"lex\", \"rule\": \"self:15\", \"change_points\": 20"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << "\n" << j;
  }
}

TEST(DiffReport, JsonEscapesNames) {
  const DiffReport report = diff_folded_counts({{"a;say \"hi\"\\", 200}, {"a;b", 200}},
                                               {{"a;say \"hi\"\\", 200}, {"a;b", 200}}, {});
  std::ostringstream json;
  write_diff_json(json, report, {});
  EXPECT_NE(json.str().find(R"("name": "say \"hi\"\\")"), std::string::npos) << json.str();
}

TEST(DiffReport, JsonReplacesInvalidUtf8) {
  // Frame names may hold any bytes (a truncated multi-byte name, Latin-1 from an old tool).
  const DiffReport report =
      diff_folded_counts({{"a;caf\xc3\xa9", 200}, {"a;bad\xff\xc3", 200}, {"a;\xed\xa0\x80x", 1}},
                         {{"a;caf\xc3\xa9", 200}, {"a;bad\xff\xc3", 200}}, {});
  std::ostringstream json;
  write_diff_json(json, report, {});
  EXPECT_NE(json.str().find("\"name\": \"caf\xc3\xa9\""), std::string::npos) << json.str();
  EXPECT_NE(json.str().find(R"("name": "bad\ufffd\ufffd")"), std::string::npos) << json.str();
  EXPECT_NE(json.str().find(R"("name": "\ufffd\ufffd\ufffdx")"), std::string::npos)
      << json.str();  // an encoded surrogate is not valid UTF-8
}

}  // namespace
}  // namespace kiln::diff

// Compares the per-function weights of two profiles: shares, changes, significance.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "diff/diff.h"
#include "diff/diff_functions.h"
#include "diff/diff_significance.h"

namespace kiln::diff {
namespace {

bool considered(const std::string& name, const DiffOptions& options) {
  return !options.considered || options.considered(name);
}

std::string format_count(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

// How the weights become counts for the test: a factor per profile (1 for sample counts), or
// why no test can be made.
struct CountScale {
  double before = 1;
  double after = 1;
  Untested untested;
};

CountScale count_scale(const DiffSide& before, const DiffSide& after, const DiffOptions& options) {
  CountScale scale;
  for (const DiffSide* side : {&before, &after}) {
    if (side->total <= 0) {
      scale.untested = {Untested::Reason::kNoSamples, side->name};
      return scale;
    }
  }
  if (options.effective_samples > 0) {
    // Normalized: each profile is E samples. Raw: both scaled alike, so BEFORE is E samples.
    scale.before = options.effective_samples / before.total;
    scale.after = options.normalize ? options.effective_samples / after.total : scale.before;
  } else {
    for (const DiffSide* side : {&before, &after}) {
      if (!side->sample_counts) {
        scale.untested = {Untested::Reason::kNotSampleCounts, side->name};
        return scale;
      }
    }
  }
  for (auto [side, factor] : {std::pair{&before, scale.before}, std::pair{&after, scale.after}}) {
    if (side->total * factor < options.min_samples) {
      scale.untested = {Untested::Reason::kTooFewSamples, side->name, side->total * factor,
                        options.min_samples};
      return scale;
    }
  }
  return scale;
}

std::optional<double> p_value(double before, double after, const DiffSide& before_side,
                              const DiffSide& after_side, const CountScale& scale,
                              const DiffOptions& options) {
  if (scale.untested.reason != Untested::Reason::kNone) return std::nullopt;
  if (!options.normalize) return poisson_rate_p_value(before * scale.before, after * scale.after);
  return two_proportion_p_value(before * scale.before, before_side.total * scale.before,
                                after * scale.after, after_side.total * scale.after);
}

// `before.sample_counts` / `after.sample_counts` say whether the weights are sample counts
// (otherwise the significance test needs options.effective_samples).
DiffReport compare_function_weights(DiffSide before, const FunctionWeights& before_weights,
                                    DiffSide after, const FunctionWeights& after_weights,
                                    const DiffOptions& options) {
  DiffReport report;
  report.before = std::move(before);
  report.after = std::move(after);
  report.normalized = options.normalize;
  report.alpha = options.alpha;

  std::set<std::string> names;
  for (const auto* weights : {&before_weights, &after_weights}) {
    for (const auto& [name, entry] : weights->functions()) {
      if (considered(name, options)) names.insert(name);
    }
  }

  const double before_denominator = report.before.total;
  const double after_denominator = options.normalize ? report.after.total : report.before.total;
  const CountScale scale = count_scale(report.before, report.after, options);
  report.untested = scale.untested;

  const double before_scale = before_denominator > 0 ? 100 / before_denominator : 0;
  const double after_scale = after_denominator > 0 ? 100 / after_denominator : 0;
  auto share_change = [&](double before_weight, double after_weight) {
    ShareChange share;
    share.before = before_weight;
    share.after = after_weight;
    share.before_percent = before_weight * before_scale;
    share.after_percent = after_weight * after_scale;
    share.change_points = share.after_percent - share.before_percent;
    share.p_value =
        p_value(before_weight, after_weight, report.before, report.after, scale, options);
    report.tests += share.p_value.has_value();
    return share;
  };
  for (const std::string& name : names) {
    const FunctionWeights::Weights before_weight = before_weights.find(name);
    const FunctionWeights::Weights after_weight = after_weights.find(name);
    FunctionChange change;
    change.name = name;
    change.total = share_change(before_weight.total, after_weight.total);
    change.self = share_change(before_weight.self, after_weight.self);
    report.functions.push_back(std::move(change));
  }

  // Bonferroni: the chance that any unchanged function is flagged stays below alpha.
  const double tests = static_cast<double>(report.tests);
  for (FunctionChange& change : report.functions) {
    for (ShareChange* share : {&change.total, &change.self}) {
      if (!share->p_value) continue;
      share->p_value = std::min(1.0, *share->p_value * tests);
      share->significant = *share->p_value <= options.alpha;
    }
  }

  std::stable_sort(report.functions.begin(), report.functions.end(),
                   [](const FunctionChange& a, const FunctionChange& b) {
                     const double ta = std::fabs(a.total.change_points);
                     const double tb = std::fabs(b.total.change_points);
                     if (ta != tb) return ta > tb;
                     return std::fabs(a.self.change_points) > std::fabs(b.self.change_points);
                   });
  return report;
}

}  // namespace

std::string to_string(const Untested& untested) {
  switch (untested.reason) {
    case Untested::Reason::kNone:
      return "";
    case Untested::Reason::kNoSamples:
      return untested.side + " has no samples";
    case Untested::Reason::kNotSampleCounts:
      return untested.side +
             " is not weighted by sample counts, so sampling noise cannot be estimated; pass "
             "--effective-samples N (e.g. the number of events)";
    case Untested::Reason::kTooFewSamples:
      return untested.side + " has " + format_count(untested.samples) + " samples; at least " +
             format_count(untested.min_samples) + " are needed to test a change";
  }
  return "";
}

std::string_view untested_code(Untested::Reason reason) {
  switch (reason) {
    case Untested::Reason::kNone:
      return "";
    case Untested::Reason::kNoSamples:
      return "no_samples";
    case Untested::Reason::kNotSampleCounts:
      return "not_sample_counts";
    case Untested::Reason::kTooFewSamples:
      return "too_few_samples";
  }
  return "";
}

DiffReport diff_profiles(const Profile& before, const Profile& after, const DiffOptions& options,
                         std::string before_name, std::string after_name) {
  const FunctionWeights before_weights(before);
  const FunctionWeights after_weights(after);
  auto side = [](const Profile& profile, const FunctionWeights& weights, std::string name) {
    return DiffSide{std::move(name), weights.total(),
                    weights.whole_weights() && profile.metadata.count_name == "samples",
                    profile.metadata.count_name};
  };
  return compare_function_weights(side(before, before_weights, std::move(before_name)),
                                  before_weights, side(after, after_weights, std::move(after_name)),
                                  after_weights, options);
}

}  // namespace kiln::diff

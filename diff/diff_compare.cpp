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

FunctionShare share_of(FunctionWeights::Weights weights, double denominator) {
  const double scale = denominator > 0 ? 100 / denominator : 0;
  return {weights.total, weights.self, weights.total * scale, weights.self * scale};
}

std::string format_count(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

// How the weights become counts for the test: a factor per profile (1 for sample counts), or
// the reason no test can be made.
struct CountScale {
  double before = 1;
  double after = 1;
  std::string untested_reason;
};

CountScale count_scale(const DiffSide& before, const DiffSide& after, const DiffOptions& options) {
  CountScale scale;
  for (const DiffSide* side : {&before, &after}) {
    if (side->total <= 0) {
      scale.untested_reason = side->name + " has no samples";
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
        scale.untested_reason = side->name +
                                " is not weighted by sample counts, so sampling noise cannot be "
                                "estimated; pass --effective-samples N (e.g. the number of events)";
        return scale;
      }
    }
  }
  for (auto [side, factor] : {std::pair{&before, scale.before}, std::pair{&after, scale.after}}) {
    if (side->total * factor < options.min_samples) {
      scale.untested_reason = side->name + " has " + format_count(side->total * factor) +
                              " samples; at least " + format_count(options.min_samples) +
                              " are needed to test a change";
      return scale;
    }
  }
  return scale;
}

std::optional<double> p_value(double before, double after, const DiffSide& before_side,
                              const DiffSide& after_side, const CountScale& scale,
                              const DiffOptions& options) {
  if (!scale.untested_reason.empty()) return std::nullopt;
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
  report.untested_reason = scale.untested_reason;

  for (const std::string& name : names) {
    FunctionChange change;
    change.name = name;
    change.before = share_of(before_weights.find(name), before_denominator);
    change.after = share_of(after_weights.find(name), after_denominator);
    change.total_change_points = change.after.total_percent - change.before.total_percent;
    change.self_change_points = change.after.self_percent - change.before.self_percent;
    change.total_p_value = p_value(change.before.total, change.after.total, report.before,
                                   report.after, scale, options);
    change.self_p_value =
        p_value(change.before.self, change.after.self, report.before, report.after, scale, options);
    report.tests += change.total_p_value.has_value() + change.self_p_value.has_value();
    report.functions.push_back(std::move(change));
  }

  // Bonferroni: the chance that any unchanged function is flagged stays below alpha.
  const double tests = static_cast<double>(report.tests);
  for (FunctionChange& change : report.functions) {
    for (auto [p, significant] : {std::pair{&change.total_p_value, &change.total_significant},
                                  std::pair{&change.self_p_value, &change.self_significant}}) {
      if (!p->has_value()) continue;
      *p = std::min(1.0, **p * tests);
      *significant = **p <= options.alpha;
    }
  }

  std::stable_sort(report.functions.begin(), report.functions.end(),
                   [](const FunctionChange& a, const FunctionChange& b) {
                     const double ta = std::fabs(a.total_change_points);
                     const double tb = std::fabs(b.total_change_points);
                     if (ta != tb) return ta > tb;
                     return std::fabs(a.self_change_points) > std::fabs(b.self_change_points);
                   });
  return report;
}

}  // namespace

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

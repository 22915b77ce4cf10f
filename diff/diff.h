// diff: `kiln diff`, the comparison of two profiles function by function: shares and their
// change, the significance test, the CI gate, the text, markdown and JSON reports and the
// differential flame graph (drawn by flamegraph/ through its styling hook). README.md, section
// "diff", documents the method and the JSON keys. It uses profile/ and flamegraph/.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flamegraph/flamegraph.h"
#include "profile/profile.h"

namespace kiln::diff {

using flamegraph::SvgOptions;
using flamegraph::SvgStats;
using profile::FrameId;
using profile::Profile;
using profile::Weight;

struct DiffOptions {
  // Compare shares of each profile's total (default) or raw weights (--no-normalize), in which
  // case every share and change is relative to BEFORE's total.
  bool normalize = true;
  double alpha = 0.01;  // family-wise error rate, Bonferroni-corrected over the tests made
  // When > 0, each profile counts as this many independent samples for the significance test
  // (weights that are not sample counts: off-CPU time, fractional weights).
  double effective_samples = 0;
  // Profiles with fewer samples are not tested at all: in the far tail that Bonferroni needs,
  // the normal approximation of a small binomial is not trustworthy.
  double min_samples = 100;
  // The functions considered (reported, tested, gated); all when empty. `kiln diff` builds it
  // from --focus and --ignore.
  std::function<bool(const std::string& name)> considered;
};

// A --fail-on rule: fail when a function's total (or self) share grew by more than `points`
// percentage points and the growth is significant.
struct GateRule {
  enum class Share { kTotal, kSelf };
  Share share = Share::kTotal;
  double points = 0;
};

// One share of a function (total: on the stack; self: at the top) in both profiles and its
// change. Weights as summed; percents of the profile's total (see DiffOptions).
struct ShareChange {
  double before = 0;
  double after = 0;
  double before_percent = 0;
  double after_percent = 0;
  double change_points = 0;  // after_percent - before_percent
  // Bonferroni-adjusted two-sided p-value; nullopt when the change could not be tested.
  std::optional<double> p_value;
  bool significant = false;
};

struct FunctionChange {
  std::string name;
  ShareChange total;
  ShareChange self;
  const ShareChange& share(GateRule::Share kind) const {
    return kind == GateRule::Share::kTotal ? total : self;
  }
};

struct DiffSide {
  std::string name;           // file name as given on the command line
  double total = 0;           // sum of weights
  bool sample_counts = true;  // weights are sample counts (whole numbers, unit samples)
  std::string count_name;     // the folded file's unit ("samples", "us", ...), as read
};

// Why no change could be tested, with what its message names.
struct Untested {
  enum class Reason { kNone, kNoSamples, kNotSampleCounts, kTooFewSamples };
  Reason reason = Reason::kNone;
  std::string side;        // the profile's name
  double samples = 0;      // kTooFewSamples: the samples it counts as
  double min_samples = 0;  // kTooFewSamples: DiffOptions::min_samples
};
// The English message ("AFTER has 12 samples; at least 100 are needed to test a change"), and
// the stable code of the JSON report ("too_few_samples"); both empty for kNone.
std::string to_string(const Untested& untested);
std::string_view untested_code(Untested::Reason reason);

struct DiffReport {
  DiffSide before;
  DiffSide after;
  bool normalized = true;
  double alpha = 0.01;
  std::size_t tests = 0;                  // hypotheses tested (the Bonferroni factor)
  Untested untested;                      // why nothing was tested (kNone when tests were made)
  std::vector<FunctionChange> functions;  // considered functions, largest |total change| first
};

// Compares two profiles function by function (names label them in reports). A profile's weights
// count as samples when they are whole numbers and its metadata.count_name is "samples".
DiffReport diff_profiles(const Profile& before, const Profile& after, const DiffOptions& options,
                         std::string before_name = "BEFORE", std::string after_name = "AFTER");

// Parses "total:N" or "self:N"; throws std::invalid_argument naming what is wrong.
GateRule parse_gate_rule(std::string_view text);
std::string to_string(const GateRule& rule);

struct GateFailure {
  const FunctionChange* function;
  GateRule rule;
};
std::vector<GateFailure> evaluate_gate(const DiffReport& report, std::span<const GateRule> rules);

struct GateResult {
  std::vector<GateRule> rules;
  std::vector<GateFailure> failures;
};

// The reports: `top` rows per table (text, markdown); JSON lists every considered function.
void write_diff_text(std::ostream& out, const DiffReport& report, const GateResult& gate,
                     std::size_t top);
void write_diff_markdown(std::ostream& out, const DiffReport& report, const GateResult& gate,
                         std::size_t top);
void write_diff_json(std::ostream& out, const DiffReport& report, const GateResult& gate);
// A weight as kiln diff's report and graph print it: whole numbers in full (a uint64 count has
// up to 20 digits), others with two decimals.
std::string format_diff_weight(double weight);

// The differential flame graph: frame widths from AFTER (or BEFORE), color from the change of
// the frame's share (red grew, blue shrank, saturation by size, grey unchanged), and a tooltip
// line with both weights and shares and the change in points of total and self share.
struct DiffGraphOptions {
  bool widths_from_before = false;  // --widths before: the view where removed code is visible
  bool normalize = true;            // see DiffOptions::normalize
  SvgOptions svg;                   // title, width, ...; styler and legend are set by the diff
};
SvgStats write_diff_svg(const Profile& before, const Profile& after,
                        const DiffGraphOptions& options, std::ostream& out);

}  // namespace kiln::diff

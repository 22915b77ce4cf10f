// The CI gate of `kiln diff`: --fail-on total:N / self:N.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "diff/diff.h"

namespace kiln::diff {

GateRule parse_gate_rule(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view share = text.substr(0, colon);
  GateRule rule;
  if (share == "total") {
    rule.share = GateRule::Share::kTotal;
  } else if (share == "self") {
    rule.share = GateRule::Share::kSelf;
  } else {
    throw std::invalid_argument("--fail-on '" + std::string(text) +
                                "': expected total:POINTS or self:POINTS");
  }
  const std::string_view number = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  const auto [end, error] =
      std::from_chars(number.data(), number.data() + number.size(), rule.points);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(rule.points) || rule.points < 0) {
    throw std::invalid_argument("--fail-on '" + std::string(text) +
                                "': POINTS must be a number >= 0 (percentage points of share)");
  }
  return rule;
}

std::string to_string(const GateRule& rule) {
  std::ostringstream out;
  out << (rule.share == GateRule::Share::kTotal ? "total:" : "self:") << rule.points;
  return out.str();
}

std::vector<GateFailure> evaluate_gate(const DiffReport& report, std::span<const GateRule> rules) {
  std::vector<GateFailure> failures;
  for (const FunctionChange& change : report.functions) {
    for (const GateRule& rule : rules) {
      const ShareChange& share = change.share(rule.share);
      if (share.change_points > rule.points && share.significant) {
        failures.push_back({&change, rule});
      }
    }
  }
  return failures;
}

}  // namespace kiln::diff

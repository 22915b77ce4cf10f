// The JSON report of `kiln diff` (--format json). The keys are a stable interface for CI
// scripts and are documented in README.md (section diff); add keys, never rename or remove them.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>

#include "diff/diff.h"

namespace kiln::diff {
namespace {

// A JSON string; bytes that are not valid UTF-8 (frame names may hold any bytes) become U+FFFD,
// so the report is always valid JSON.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch >= 0x80) {
      const std::size_t length = profile::utf8_sequence_length(text, i);
      out += length ? text.substr(i, length) : "\\ufffd";
      i += length ? length : 1;
      continue;
    }
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (ch < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", ch);
          out += buffer;
        } else {
          out += static_cast<char>(ch);
        }
    }
    ++i;
  }
  return out + "\"";
}

// The shortest of 15 or 17 significant digits that reads back as the same double: weights in
// microseconds pass 10 digits (a whole-machine off-CPU profile of hours) and stay exact.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string json_number(const std::optional<double>& value) {
  return value ? json_number(*value) : "null";
}

const char* json_bool(bool value) {
  return value ? "true" : "false";
}

std::string side_object(const DiffSide& side) {
  return "{\"file\": " + json_string(side.name) + ", \"total\": " + json_number(side.total) +
         ", \"sample_counts\": " + json_bool(side.sample_counts) +
         ", \"unit\": " + json_string(side.count_name) + "}";
}

// A function's weights and shares in one profile.
std::string share_object(double total, double self, double total_percent, double self_percent) {
  return "{\"total\": " + json_number(total) + ", \"self\": " + json_number(self) +
         ", \"total_percent\": " + json_number(total_percent) +
         ", \"self_percent\": " + json_number(self_percent) + "}";
}

std::string untested_json(const Untested& untested, const std::string& text) {
  return untested.reason == Untested::Reason::kNone ? "null" : json_string(text);
}

}  // namespace

void write_diff_json(std::ostream& out, const DiffReport& report, const GateResult& gate) {
  out << "{\n  \"format\": \"kiln-diff\",\n  \"version\": 1,\n"
      << "  \"before\": " << side_object(report.before) << ",\n"
      << "  \"after\": " << side_object(report.after) << ",\n"
      << "  \"normalized\": " << json_bool(report.normalized) << ",\n"
      << "  \"test\": \"" << (report.normalized ? "two-proportion z-test" : "poisson rate test")
      << "\",\n  \"correction\": \"bonferroni\",\n"
      << "  \"alpha\": " << json_number(report.alpha) << ",\n"
      << "  \"tests\": " << report.tests << ",\n"
      << "  \"untested_reason\": " << untested_json(report.untested, to_string(report.untested))
      << ",\n  \"untested_code\": "
      << untested_json(report.untested, std::string(untested_code(report.untested.reason)))
      << ",\n  \"functions\": [";
  const char* separator = "\n";
  for (const FunctionChange& c : report.functions) {
    out << separator << "    {\"name\": " << json_string(c.name) << ", \"before\": "
        << share_object(c.total.before, c.self.before, c.total.before_percent,
                        c.self.before_percent)
        << ", \"after\": "
        << share_object(c.total.after, c.self.after, c.total.after_percent, c.self.after_percent)
        << ", \"total_change_points\": " << json_number(c.total.change_points)
        << ", \"self_change_points\": " << json_number(c.self.change_points)
        << ", \"total_p_value\": " << json_number(c.total.p_value)
        << ", \"self_p_value\": " << json_number(c.self.p_value)
        << ", \"total_significant\": " << json_bool(c.total.significant)
        << ", \"self_significant\": " << json_bool(c.self.significant)
        << ", \"only_before\": " << json_bool(c.total.after == 0)
        << ", \"only_after\": " << json_bool(c.total.before == 0) << "}";
    separator = ",\n";
  }
  out << "\n  ],\n  \"gate\": {\"rules\": [";
  separator = "";
  for (const GateRule& rule : gate.rules) {
    out << separator << json_string(to_string(rule));
    separator = ", ";
  }
  out << "], \"passed\": " << json_bool(gate.failures.empty()) << ", \"failures\": [";
  separator = "\n";
  for (const GateFailure& failure : gate.failures) {
    const ShareChange& share = failure.function->share(failure.rule.share);
    out << separator << "    {\"function\": " << json_string(failure.function->name)
        << ", \"rule\": " << json_string(to_string(failure.rule))
        << ", \"change_points\": " << json_number(share.change_points)
        << ", \"p_value\": " << json_number(share.p_value) << "}";
    separator = ",\n";
  }
  out << (gate.failures.empty() ? "" : "\n  ") << "]}\n}\n";
}

}  // namespace kiln::diff
